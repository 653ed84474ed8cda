"""The web app factory: every service is a connexion 3 app served from its contract.

The contract decides the routes and validates every request; handlers (named by operationId) stay
thin. Bad input is answered 400 problem+json that names each field at fault (`invalid_params`);
domain errors become problem+json with the status their kind implies.
"""
from __future__ import annotations

import copy
import json
import logging
import random
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

import connexion
import jsonschema
import rfc3339_validator
import yaml
from connexion import context
from connexion.context import _context
from connexion.datastructures import MediaTypeDict
from connexion.decorators.response import BaseResponseDecorator
from connexion.exceptions import NonConformingResponseHeaders, ProblemException
from connexion.json_schema import Draft4RequestValidator
from connexion.jsonifier import JSONEncoder, Jsonifier
from connexion.lifecycle import ConnexionResponse
from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.utils import is_null, is_nullable
from connexion.validators import JSONRequestBodyValidator, ParameterValidator, VALIDATOR_MAP
from jsonschema import Draft4Validator
from starlette.exceptions import HTTPException

from . import auth, connexion_fast_path, health, logs, paging, request_body  # noqa: F401 (the fast path: its patch)
from .clock import parse_iso
from .config import Settings, contracts_dir, env
from .errors import DomainError
from .asgi import declared_length, read_bounded, replaying, send_problem
from .connexion_fast_path import short_read  # noqa: F401 (for handlers: web.short_read)
from .short_reads import ShortReads
from .idempotency import Idempotency, Store
from .problems import CONTENT_TYPE, PROBLEM_BASE, from_domain_error, generic, problem_body, request_id

log = logging.getLogger(__name__)

_bearer_info = None


def bearer_info(token: str, request):
    """Named by every contract's bearer scheme (`x-bearerInfoFunc`); the request names the
    operation. Answers the check's coroutine, which connexion (and a short read) awaits."""
    return _bearer_info(token, request)


def _field_name(error: jsonschema.ValidationError) -> str:
    path = [str(p) for p in error.path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    elif error.validator == "additionalProperties" and "'" in error.message:
        path.append(error.message.split("'")[1])
    return ".".join(p for p in path if p) or "(body)"


def _reason(error: jsonschema.ValidationError) -> str:
    """The validator's message with the refused value cut to a short, escaped excerpt: an answer or
    a log line never carries a whole (possibly huge, possibly secret) value."""
    message = error.message
    shown = repr(error.instance)
    if len(shown) > request_body.EXCERPT or not shown.isprintable():
        message = message.replace(shown, request_body.excerpt(error.instance))
    return message[:300]


def _date_time(value) -> bool:
    """RFC 3339, and a moment that exists in UTC: `9999-12-31T23:59:59-01:00` does not."""
    if not isinstance(value, str):
        return True
    if not rfc3339_validator.validate_rfc3339(value):
        return False
    try:
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return False
    return True


FORMAT_CHECKER = copy.deepcopy(Draft4Validator.FORMAT_CHECKER)
FORMAT_CHECKER.checks("date-time")(_date_time)


_COMPILED: dict[tuple[int, type], tuple[dict, Draft4Validator]] = {}


def compiled(schema: dict, kind: type[Draft4Validator]) -> Draft4Validator:
    """One validator per schema of the contract: connexion makes its validators anew for every
    request, and compiling a schema costs more than checking a value against it."""
    kept = _COMPILED.get((id(schema), kind))
    if kept is None or kept[0] is not schema:
        kept = _COMPILED[(id(schema), kind)] = (schema, kind(schema, format_checker=FORMAT_CHECKER))
    return kept[1]


class ProblemJSONBodyValidator(JSONRequestBodyValidator):
    """Reports every invalid field, by name, in `invalid_params` (RFC 9457 §3.2 extension)."""

    @property
    def _validator(self) -> Draft4RequestValidator:
        return compiled(self._schema, Draft4RequestValidator)

    def _validate(self, body):
        if not self._nullable and body is None:
            raise invalid_request("The request body is missing: a JSON object is expected.", [])
        errors = sorted(self._validator.iter_errors(body), key=lambda e: [str(p) for p in e.path])
        if errors:
            params = [{"name": request_body.excerpt(_field_name(e), 100), "reason": _reason(e)} for e in errors[:20]]
            detail = "; ".join(f"{p['name']}: {p['reason']}" for p in params[:5])
            raise invalid_request(detail, params)
        return body

    async def _parse(self, stream, scope):
        raw = b"".join([chunk async for chunk in stream])
        if not raw:
            return None
        try:
            return request_body.parse_json(raw)
        except request_body.InvalidBody as exc:
            raise invalid_request(exc.detail, [{"name": exc.field, "reason": exc.detail}]) from None


class ProblemParameterValidator(ParameterValidator):
    """Path, query and header parameters: every one at fault named in `invalid_params`, with a
    short excerpt of the value at most, and parameters the contract does not know refused."""

    def _check(self, location: str, param: dict, value) -> dict | None:
        name = param["name"]
        if value is None or (is_nullable(param) and is_null(value)):
            return {"name": name, "reason": f"the {location} parameter is required"} if param.get("required") else None
        schema = param.get("schema", param)
        error = next(iter(compiled(schema, Draft4Validator).iter_errors(value)), None)
        return None if error is None else {"name": name, "reason": _reason(error)}

    def validate_request(self, request):
        params = []
        if self.strict_validation:
            extra = self.validate_query_parameter_list(request, security_params=self.security_query_params)
            params += [{"name": request_body.excerpt(name), "reason": "this query parameter is not known"}
                       for name in sorted(extra)[:20]]
        readers = {"query": lambda p: request.query_params.get(p["name"]),
                   "path": lambda p: request.path_params.get(p["name"].replace("-", "_")),
                   "header": lambda p: request.headers.get(p["name"]),
                   "cookie": lambda p: request.cookies.get(p["name"])}
        for location, read in readers.items():
            for param in self.parameters.get(location, []):
                problem = self._check(location, param, read(param))
                if problem:
                    params.append(problem)
        if params:
            raise invalid_request("; ".join(f"{p['name']}: {p['reason']}" for p in params[:5]), params)


def invalid_request(detail: str, params: list[dict]) -> ProblemException:
    return ProblemException(status=400, title="Bad Request", detail=detail, type="https://portico.dev/problems/invalid-request",
                            ext={"invalid_params": params})


def _prefer_json(original):
    """Our operations answer application/json on success and application/problem+json on error;
    connexion cannot choose between them for a returned dict, so a dict or list is JSON (unless the
    handler names its content type)."""

    def infer(data, headers):
        if isinstance(data, (dict, list)) and not any(k.lower() == "content-type" for k in headers):
            return "application/json"
        try:
            return original(data, headers)
        except NonConformingResponseHeaders:
            if isinstance(data, (dict, list)):
                return "application/json"
            raise

    return staticmethod(infer)


BaseResponseDecorator._infer_content_type = _prefer_json(BaseResponseDecorator._infer_content_type)



# media ranges, as connexion's own map has them: `*/*json` is every JSON type (application/merge-patch+json …)
VALIDATORS = {**VALIDATOR_MAP, "parameter": ProblemParameterValidator,
              "body": MediaTypeDict({**VALIDATOR_MAP["body"], "application/json": ProblemJSONBodyValidator,
                                     "*/*json": ProblemJSONBodyValidator})}


def problem_response(status: int, body: dict, headers: dict | None = None) -> ConnexionResponse:
    return ConnexionResponse(status_code=status, body=json.dumps(body), content_type=CONTENT_TYPE, headers=headers or {})


async def _domain_error_handler(_request, error: DomainError):
    status, body = from_domain_error(error)
    return problem_response(status, body)


async def _problem_handler(_request, error: ProblemException):
    """connexion's refusals (security, validation, content type): ours keep their type and detail,
    the library's own (type about:blank) are said in the project's words."""
    if str(error.type).startswith(PROBLEM_BASE):
        body = problem_body(error.status, error.detail, error.type[len(PROBLEM_BASE):], error.title, **(error.ext or {}))
    else:
        body = generic(error.status)
    return problem_response(error.status, body, dict(error.headers or {}))


async def _http_error_handler(_request, error: HTTPException):
    """Starlette's refusals (no such route, method not allowed), in the project's words."""
    return problem_response(error.status_code, generic(error.status_code), dict(error.headers or {}))


async def _unexpected_error_handler(_request, error: Exception):
    log.error("unexpected error: %r", error, exc_info=error)
    return problem_response(500, generic(500))


REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,100}$")

# a version 4 UUID's bits, as uuid.UUID(int=…, version=4) sets them, without its object around them
_NOT_VERSION_NOR_VARIANT = ~((0xF000 << 64) | (0xC000 << 48)) & (1 << 128) - 1
_VERSION_4_RFC_4122 = (0x4000 << 64) | (0x8000 << 48)


def request_id_of(given: bytes | None) -> str:
    """The caller's request id when it is a short token of safe characters, else a new one: it
    travels into events, logs and answer headers.

    A request id names a request, it guards nothing, so it comes from `random` rather than the
    operating system: `uuid4()` asks the kernel for bytes and lets go of the interpreter lock on
    every request, which on a busy worker hands the lock to a handler thread for a whole switch
    interval before the event loop gets it back."""
    if given and REQUEST_ID.match(given):
        return given.decode("ascii")
    digits = f"{random.getrandbits(128) & _NOT_VERSION_NOR_VARIANT | _VERSION_4_RFC_4122:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


class _Correlated:
    """Every request carries a correlation id (the caller's, or a new one) into the events it causes."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            given = next((value for name, value in scope["headers"] if name == b"x-correlation-id"), None)
            request_id.set(request_id_of(given))
        await self.app(scope, receive, send)


class ContractApp(connexion.AsyncApp):
    """connexion's app of a contract, whose short reads are answered at its door: ahead of
    connexion's dispatch and error layer, which would only pass them on (docs/PERFORMANCE.md,
    item 22). What the short reads do not answer takes connexion's whole path."""

    short_reads: ShortReads | None = None  # made when connexion builds its layers, at start-up

    async def __call__(self, scope, receive, send):
        reads = self.short_reads
        # A short read that answers needs no request id: a reading unit of work emits no event, and
        # whatever it refuses or fails at is answered by connexion's path, which names the request.
        if reads is not None and scope["type"] == "http" and scope["method"] == "GET" and await reads.answered(scope, receive, send):
            return
        await self.middleware(scope, receive, send)


BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodyLimit:
    """Reads at most PORTICO_MAX_BODY_BYTES of a body (413 beyond), before any parsing, and hands
    the app the body whole with an exact Content-Length (chunked bodies included)."""

    def __init__(self, app, limit: int | None = None):
        self.app = app
        self.limit = limit or request_body.max_body_bytes()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope["headers"])
        if declared is not None and declared > self.limit:
            await send_problem(send, 413, request_body.too_large_detail(self.limit), "body-too-large")
            return
        body = await read_bounded(receive, self.limit)
        if body is None:
            await send_problem(send, 413, request_body.too_large_detail(self.limit), "body-too-large")
            return
        headers = [(k, v) for k, v in scope["headers"] if k not in (b"content-length", b"transfer-encoding")]
        scope = {**scope, "headers": headers + [(b"content-length", str(len(body)).encode())]}
        await self.app(scope, replaying(body, receive), send)


class AnswerHeaders:
    """Headers a refusal owes its client, whichever layer refused: a 405 names every method the
    contract gives the path (the router names only the first route it matched), a 401 says how to
    authenticate (RFC 6750)."""

    def __init__(self, app, paths: dict):
        self.app = app
        self.methods = [(re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", path) + "$"),
                         ", ".join(sorted({m.upper() for m in item if m in HTTP_METHODS} |
                                          ({"HEAD"} if "get" in item else set()))).encode())
                        for path, item in paths.items()]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message):
            if message["type"] == "http.response.start" and message["status"] in (401, 405):
                headers = list(message.get("headers", []))
                if message["status"] == 405:
                    allowed = next((methods for pattern, methods in self.methods if pattern.match(path)), None)
                    if allowed is not None:
                        headers = [(k, v) for k, v in headers if k.lower() != b"allow"] + [(b"allow", allowed)]
                elif not any(k.lower() == b"www-authenticate" for k, _ in headers):
                    headers.append((b"www-authenticate", b'Bearer realm="portico"'))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def create_app(settings: Settings, ready_checks: dict[str, Callable[[], None]], *,
               verifier: auth.TokenVerifier | None = None, token_kinds: frozenset[str] | None = None,
               idempotency: Store | None = None, loop_waits: bool = False) -> connexion.AsyncApp:
    """A connexion app for `settings.component`, serving contracts/<component>.yaml.

    An AsyncApp, not a FlaskApp: connexion runs the (synchronous) handlers in a thread pool of its
    own, and a request does not cross a WSGI bridge into a fixed pool of ten threads and back.
    With `loop_waits` (a service on PostgreSQL), short reads wait for the database on the event loop."""
    global _bearer_info
    logs.bound_and_redact()
    _bearer_info = auth.bearer_info_function(settings, verifier, token_kinds)
    _bearer_info.verifier.keyring.refresh()
    health.register(ready_checks)

    return serve_contract(contracts_dir() / f"{settings.component}.yaml", idempotency=idempotency,
                          validate_responses=env("PORTICO_VALIDATE_RESPONSES", "false") == "true", loop_waits=loop_waits)


class KeptEncoderJsonifier(Jsonifier):
    """connexion's JSON, from one encoder: `json.dumps` makes an encoder for every answer when given
    connexion's encoder class, though the encoder keeps nothing between answers."""

    def __init__(self):
        super().__init__()
        self.encoder = JSONEncoder()

    def dumps(self, data, **kwargs) -> str:
        return super().dumps(data, **kwargs) if kwargs else self.encoder.encode(data) + "\n"


# short reads under way at once on one worker's loop, each on a reading connection of its own: a
# few keep the worker busy while the database answers, and they fit well inside the pool's 40
LOOP_WAITS = 8


def serve_contract(contract: Path, *, validate_responses: bool, idempotency: Store | None = None,
                   loop_waits: bool = False) -> connexion.AsyncApp:
    """The connexion app of one contract, with the kernel's validation, errors, middlewares and
    short reads."""
    # No component serves its own documentation viewer or document (the gateway serves the suite's):
    # connexion's Swagger UI middleware would only route every request once more.
    middlewares = [m for m in ConnexionMiddleware.default_middlewares if m is not SwaggerUIMiddleware]
    app = ContractApp(contract.stem, specification_dir=str(contract.parent), middlewares=middlewares,
                      jsonifier=KeptEncoderJsonifier())
    app.add_api(contract.name, validator_map=VALIDATORS, strict_validation=True, validate_responses=validate_responses,
                pythonic_params=True)
    app.add_error_handler(DomainError, _domain_error_handler)
    app.add_error_handler(ProblemException, _problem_handler)
    app.add_error_handler(HTTPException, _http_error_handler)
    app.add_error_handler(Exception, _unexpected_error_handler)
    app.add_middleware(_Correlated, position=MiddlewarePosition.BEFORE_EXCEPTION)
    if loop_waits:
        from .loop_waits import AtMost  # psycopg's: a service on SQLite does without
    app.add_middleware(ShortReads, position=MiddlewarePosition.BEFORE_EXCEPTION, door=app,
                       loop_waits=AtMost(LOOP_WAITS) if loop_waits else None)
    app.add_middleware(BodyLimit, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(AnswerHeaders, position=MiddlewarePosition.BEFORE_EXCEPTION,
                       paths=yaml.safe_load(contract.read_text())["paths"])
    if idempotency is not None:  # after security (the caller is known), before validation
        app.add_middleware(Idempotency, position=MiddlewarePosition.BEFORE_VALIDATION, store=idempotency)
    return app


def page_asked(limit=None, cursor=None) -> paging.PageRequest:
    """The page the request asks for (its `limit` and `cursor` query parameters)."""
    return paging.request(limit, cursor)


def period_asked(since: str | None = None, until: str | None = None) -> paging.Period:
    """The period a collection is filtered by (its `since` and `until` query parameters, RFC 3339
    date-times the contract's validation has checked already)."""
    moment = lambda value: None if value is None else parse_iso(value.upper())
    return paging.period(moment(since), moment(until))


def paged(page: paging.Page, view: Callable | None = None):
    """A page of a collection: the items as a JSON array, and the next page as an RFC 8288 link
    (relative to this request, so it is right at the gateway and at the service alike)."""
    items = [view(item) for item in page.items] if view else page.items
    if page.next_cursor is None:
        return items, 200
    request = context.request
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"] + [("cursor", page.next_cursor)]
    return items, 200, {"Link": f'<{request.url.path}?{urlencode(query)}>; rel="next"'}


_PRINCIPALS: dict[str, tuple[dict, auth.Principal]] = {}  # by token id (`jti`), with the claims they were made of


def principal() -> auth.Principal:
    """The caller of the current request, as verified by the bearer scheme. A client sends one
    token until it expires, so the caller made of its claims is kept for the same claims."""
    claims = _context.get()["token_info"]
    token_id = claims.get("jti")
    kept = _PRINCIPALS.get(token_id)
    if kept is not None and kept[0] == claims:
        return kept[1]
    caller = auth.Principal.from_claims(claims)
    if len(_PRINCIPALS) >= 4096:
        _PRINCIPALS.clear()
    _PRINCIPALS[token_id] = (claims, caller)
    return caller
