"""The web app factory: every service is a connexion 3 app served from its contract.

The contract decides the routes and validates every request; handlers (named by operationId) stay
thin. Bad input is answered 400 problem+json that names each field at fault (`invalid_params`);
domain errors become problem+json with the status their kind implies.
"""
from __future__ import annotations

import json
import logging
import uuid
from typing import Callable

import connexion
import jsonschema
from connexion import context
from connexion.apps.asynchronous import AsyncOperation
from connexion.decorators.response import BaseResponseDecorator
from connexion.exceptions import NonConformingResponseHeaders, ProblemException
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionResponse
from connexion.middleware import MiddlewarePosition
from connexion.validators import JSONRequestBodyValidator, VALIDATOR_MAP
from jsonschema import Draft4Validator

from . import auth, health
from .config import Settings, contracts_dir, env
from .errors import DomainError
from .problems import CONTENT_TYPE, from_domain_error
from .uow import correlation_id

log = logging.getLogger(__name__)

_bearer_info = None


async def bearer_info(token: str, request) -> dict:
    """Named by every contract's bearer scheme (`x-bearerInfoFunc`); the request names the operation."""
    return await _bearer_info(token, request)


def _field_name(error: jsonschema.ValidationError) -> str:
    path = [str(p) for p in error.path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    elif error.validator == "additionalProperties" and "'" in error.message:
        path.append(error.message.split("'")[1])
    return ".".join(p for p in path if p) or "(body)"


class ProblemJSONBodyValidator(JSONRequestBodyValidator):
    """Reports every invalid field, by name, in `invalid_params` (RFC 9457 §3.2 extension)."""

    _compiled: dict[int, tuple[dict, Draft4RequestValidator]] = {}

    @property
    def _validator(self) -> Draft4RequestValidator:
        """One per operation's schema: connexion makes this class anew for every request."""
        kept = self._compiled.get(id(self._schema))
        if kept is None or kept[0] is not self._schema:
            kept = self._compiled[id(self._schema)] = (
                self._schema, Draft4RequestValidator(self._schema, format_checker=Draft4Validator.FORMAT_CHECKER))
        return kept[1]

    def _validate(self, body):
        if not self._nullable and body is None:
            raise invalid_request("The request body is missing: a JSON object is expected.", [])
        errors = sorted(self._validator.iter_errors(body), key=lambda e: [str(p) for p in e.path])
        if errors:
            params = [{"name": _field_name(e), "reason": e.message} for e in errors]
            detail = "; ".join(f"{p['name']}: {p['reason']}" for p in params)
            raise invalid_request(detail, params)
        return body

    async def _parse(self, stream, scope):
        try:
            return await super()._parse(stream, scope)
        except ProblemException as exc:
            raise invalid_request(f"The body is not valid JSON: {exc.detail}", [{"name": "(body)", "reason": exc.detail}])


def invalid_request(detail: str, params: list[dict]) -> ProblemException:
    return ProblemException(status=400, title="Bad Request", detail=detail, type="https://portico.dev/problems/invalid-request",
                            ext={"invalid_params": params})


def _prefer_json(original):
    """Our operations answer application/json on success and application/problem+json on error;
    connexion cannot choose between them for a returned dict, so a dict or list is JSON."""

    def infer(data, headers):
        try:
            return original(data, headers)
        except NonConformingResponseHeaders:
            if isinstance(data, (dict, list)):
                return "application/json"
            raise

    return staticmethod(infer)


BaseResponseDecorator._infer_content_type = _prefer_json(BaseResponseDecorator._infer_content_type)


def _decorated_once(build):
    """connexion's AsyncOperation wraps its view in the parameter and response decorators anew on
    every request, inspecting the view's signature each time. The wrapped view reads the request
    from connexion's context when called, so one built at the first request serves all."""

    def fn(self):
        if "_portico_view" not in self.__dict__:
            self.__dict__["_portico_view"] = build(self)
        return self.__dict__["_portico_view"]

    return property(fn)


AsyncOperation.fn = _decorated_once(AsyncOperation.fn.fget)

VALIDATORS = {**VALIDATOR_MAP, "body": {**VALIDATOR_MAP["body"], "application/json": ProblemJSONBodyValidator,
                                        "*/*json": ProblemJSONBodyValidator}}


def problem_response(status: int, body: dict, headers: dict | None = None) -> ConnexionResponse:
    return ConnexionResponse(status_code=status, body=json.dumps(body), content_type=CONTENT_TYPE, headers=headers or {})


def _domain_error_handler(_request, error: DomainError):
    status, body = from_domain_error(error)
    return problem_response(status, body)


class _Correlated:
    """Every request carries a correlation id (the caller's, or a new one) into the events it causes."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            given = next((value for name, value in scope["headers"] if name == b"x-correlation-id"), None)
            correlation_id.set(given.decode("latin-1") if given else str(uuid.uuid4()))
        await self.app(scope, receive, send)


def create_app(settings: Settings, ready_checks: dict[str, Callable[[], None]], *,
               verifier: auth.TokenVerifier | None = None) -> connexion.AsyncApp:
    """A connexion app for `settings.component`, serving contracts/<component>.yaml.

    An AsyncApp, not a FlaskApp: connexion runs the (synchronous) handlers in a thread pool of its
    own, and a request does not cross a WSGI bridge into a fixed pool of ten threads and back."""
    global _bearer_info
    _bearer_info = auth.bearer_info_function(settings, verifier)
    _bearer_info.verifier.keyring.refresh()
    health.register(ready_checks)

    app = connexion.AsyncApp(settings.component, specification_dir=str(contracts_dir()))
    app.add_api(
        f"{settings.component}.yaml",
        validator_map=VALIDATORS,
        strict_validation=True,
        validate_responses=env("PORTICO_VALIDATE_RESPONSES", "false") == "true",
        pythonic_params=True,
    )
    app.add_error_handler(DomainError, _domain_error_handler)
    app.add_middleware(_Correlated, position=MiddlewarePosition.BEFORE_EXCEPTION)
    return app


def principal() -> auth.Principal:
    """The caller of the current request, as verified by the bearer scheme."""
    return auth.Principal.from_claims(context.context["token_info"])
