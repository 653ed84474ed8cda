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
from connexion.decorators.response import BaseResponseDecorator
from connexion.exceptions import NonConformingResponseHeaders, ProblemException
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionResponse
from connexion.validators import JSONRequestBodyValidator, VALIDATOR_MAP
from jsonschema import Draft4Validator

from . import auth, health
from .config import Settings, contracts_dir, env
from .errors import DomainError
from .problems import CONTENT_TYPE, from_domain_error
from .uow import correlation_id

log = logging.getLogger(__name__)

_bearer_info = None


async def bearer_info(token: str) -> dict:
    """Named by every contract's bearer scheme (`x-bearerInfoFunc`)."""
    return await _bearer_info(token)


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

    def _validate(self, body):
        if not self._nullable and body is None:
            raise invalid_request("The request body is missing: a JSON object is expected.", [])
        validator = Draft4RequestValidator(self._schema, format_checker=Draft4Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.path])
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

VALIDATORS = {**VALIDATOR_MAP, "body": {**VALIDATOR_MAP["body"], "application/json": ProblemJSONBodyValidator,
                                        "*/*json": ProblemJSONBodyValidator}}


def problem_response(status: int, body: dict, headers: dict | None = None) -> ConnexionResponse:
    return ConnexionResponse(status_code=status, body=json.dumps(body), content_type=CONTENT_TYPE, headers=headers or {})


def _domain_error_handler(_request, error: DomainError):
    status, body = from_domain_error(error)
    return problem_response(status, body)


def create_app(settings: Settings, ready_checks: dict[str, Callable[[], None]], *, asynchronous: bool = False,
               verifier: auth.TokenVerifier | None = None):
    """A connexion app for `settings.component`, serving contracts/<component>.yaml."""
    global _bearer_info
    _bearer_info = auth.bearer_info_function(settings, verifier)
    _bearer_info.verifier.keyring.refresh()
    health.register(ready_checks)

    app_class = connexion.AsyncApp if asynchronous else connexion.FlaskApp
    app = app_class(settings.component, specification_dir=str(contracts_dir()))
    app.add_api(
        f"{settings.component}.yaml",
        validator_map=VALIDATORS,
        strict_validation=True,
        validate_responses=env("PORTICO_VALIDATE_RESPONSES", "false") == "true",
        pythonic_params=True,
    )
    if asynchronous:  # handlers run on the loop: connexion's own error handling sees their exceptions
        app.add_error_handler(DomainError, _domain_error_handler)
    else:  # handlers are Flask views: their exceptions stop at Flask's error handlers
        flask_app = app.app

        @flask_app.before_request
        def _correlation():
            correlation_id.set(context.request.headers.get("x-correlation-id") or str(uuid.uuid4()))

        @flask_app.errorhandler(DomainError)
        def _domain_error(error: DomainError):
            status, body = from_domain_error(error)
            return body, status, {"Content-Type": CONTENT_TYPE}
    return app


def principal() -> auth.Principal:
    """The caller of the current request, as verified by the bearer scheme."""
    return auth.Principal.from_claims(context.context["token_info"])
