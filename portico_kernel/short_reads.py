"""Short reads, served in one pass (docs/PERFORMANCE.md, item 13).

connexion hands a request through a dozen layers, each routing it to its operation again and
building its own request object: for a read of one indexed query, the layers cost the service more
CPU than the read. A GET of an operation whose handler is marked `short_read` is served here, in
front of connexion's layers, in one pass, by pieces built once per operation from the contract:
the route (matched as connexion's router matches it), the bearer token's check (or the operation's
other security, by connexion), the parameters' validation (the kernel's validator), the handler's
arguments, the answer (JSON as Starlette sends it, anything else by connexion), and, when on, the
answer's check against the contract.

Only answers leave from here. Whatever this pass would refuse, or fails at, goes to connexion's
whole path, which answers it as it answers any request: every refusal is connexion's own, with
its status, problem type and headers. A short read is a read, so its handler running twice for a
refused request changes nothing. Anything else goes on to connexion untouched: other methods,
HEAD, a GET that carries a body, and a path that a route declared earlier in the contract matches
too.
"""
from __future__ import annotations

import asyncio
import functools
import typing as t

from connexion.context import _context, _operation, _receive, _scope, context
from connexion.decorators.parameter import (CONTEXT_NAME, _get_query_defaults, _get_val_from_param, inspect_function_arguments,
                                            pythonic, sanitized)
from connexion.decorators.response import AsyncResponseDecorator, BaseResponseDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework, starlettify_path
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.abstract import ROUTING_CONTEXT, AbstractRoutingAPI, SpecMiddleware
from connexion.middleware.request_validation import RequestValidationOperation
from connexion.middleware.response_validation import ResponseValidationOperation
from connexion.middleware.security import SecurityOperation
from connexion.security import SecurityHandlerFactory
from connexion.utils import get_function_from_name
from starlette.routing import compile_path, get_route_path

from .connexion_fast_path import is_short_read, parameter_validator_of

if t.TYPE_CHECKING:
    from .loop_waits import AtMost

_BODY_HEADERS = (b"content-type", b"content-length", b"transfer-encoding")


class _Route(t.NamedTuple):
    pattern: t.Any  # the compiled path, as connexion's router (Starlette's) compiles it
    convertors: dict
    method: str
    read: "ShortRead | None"  # served here, or None: connexion serves it


class ShortRead:
    """One GET operation of the contract, with connexion's per-operation pieces built once."""

    def __init__(self, operation, *, jsonifier, validator_map, strict_validation: bool, validate_responses: bool,
                 pythonic_params: bool, security_map: dict | None):
        self.operation = operation
        self.operation_id = operation.operation_id
        self.bearer = _bearer_info_of(operation)
        self.verify = None  # any other security is checked as connexion checks it
        if self.bearer is None and operation.security:
            self.verify = SecurityOperation(None, security_handler_factory=SecurityHandlerFactory(security_map),
                                            security=operation.security,
                                            security_schemes=operation.security_schemes).verification_fn
        validation = RequestValidationOperation(None, operation=operation, strict_validation=strict_validation,
                                                validator_map=validator_map)
        self.parameters = parameter_validator_of(validation)
        self.handler = operation.function
        self.arguments, self.has_kwargs = inspect_function_arguments(self.handler)
        self.sanitize = pythonic if pythonic_params else sanitized
        self.path_definitions = {p["name"]: p for p in operation.parameters if p["in"] == "path"}
        self.query_definitions = {p["name"]: p for p in operation.parameters if p["in"] == "query"}
        self.query_defaults = _get_query_defaults(self.query_definitions)
        self.default_arguments = self._query_arguments(self.query_defaults)
        self.context_wanted = None if self.has_kwargs else frozenset(self.arguments)
        # without a query, an operation of optional query parameters alone has nothing to validate
        self.checks_without_query = any(p["in"] != "query" or p.get("required") for p in operation.parameters)
        self.jsonifier = jsonifier
        self.answers = AsyncResponseDecorator(framework=StarletteFramework, jsonifier=jsonifier)
        self.checked = (ResponseValidationOperation(_send_prepared, operation=operation, validator_map=validator_map)
                        if validate_responses else None)

    def answer(self, result):
        """The handler's result as connexion's response decorator answers it: a list or an object
        is JSON, with the status and headers the handler gave (Starlette's Response, without one)."""
        if type(result) is tuple and len(result) == 2 and type(result[1]) is int:  # (data, status), as most answer
            (data, status), headers = result, None
        elif isinstance(result, tuple) and 1 <= len(result) <= 3:
            data, status, headers = BaseResponseDecorator._unpack_handler_response(result)
        else:
            data, status, headers = result, None, None
        if not isinstance(data, (dict, list)) or (headers and any(name.lower() == "content-type" for name in headers)):
            return self._as_connexion_answers(result)
        body = self.jsonifier.dumps(data).encode()
        head = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()] if headers else []
        head += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode("latin-1"))]
        return _Answer(status or 200, head, body)

    def arguments_of(self, path_params: dict, query_params: dict | None, connexion_context: dict) -> dict:
        """The handler's arguments, as connexion's parameter decorator makes them (connexion 3.3)
        for an operation of path and query parameters of single values."""
        kwargs = {}
        for name, value in path_params.items():
            definition = self.path_definitions.get(name)
            kwargs[self.sanitize(name)] = value if definition is None else _get_val_from_param(value, definition)
        kwargs.update(self._query_arguments({**self.query_defaults, **query_params}) if query_params else self.default_arguments)
        wanted = self.context_wanted
        for key, value in connexion_context.items():
            if wanted is None or key in wanted:
                kwargs[key] = value
        if CONTEXT_NAME in self.arguments:
            kwargs[CONTEXT_NAME] = context
        return kwargs

    def _query_arguments(self, query: dict) -> dict:
        arguments = {}
        for name, value in query.items():
            key, definition = self.sanitize(name), self.query_definitions.get(name)
            if definition is not None and (self.has_kwargs or key in self.arguments):
                arguments[key] = _get_val_from_param(value, definition)
        return arguments

    def _as_connexion_answers(self, result):
        if StarletteFramework.is_framework_response(result):
            return result
        if isinstance(result, ConnexionResponse):
            return StarletteFramework.connexion_to_framework_response(result)
        return self.answers.build_framework_response(result)

    async def prepare(self, scope, receive, loop_waits: AtMost | None = None) -> list[dict]:
        """The answer's messages. Raises whatever connexion's path would refuse the request for,
        and a refusal of the bearer scheme's own. With `loop_waits`, the handler's waits for the
        database go to the event loop (portico_kernel/loop_waits.py)."""
        query = scope.get("query_string")
        if query or self.checks_without_query or scope["path_params"]:
            request = _connexion_request(scope, receive, self.parameters.uri_parser)
        else:
            request = _AskedOfItsScope(scope, receive, self.parameters.uri_parser)
        if self.bearer is not None:
            claims = await self.bearer(_bearer_token(scope), request)
            scope["extensions"]["connexion_context"] = {"user": claims.get("sub", claims.get("uid")), "token_info": claims}
        elif self.verify is not None:
            await self.verify(request)
        if query or self.checks_without_query:
            self.parameters.validate_request(request)
        connexion_context = scope["extensions"].get("connexion_context", {})
        _context.set(connexion_context)
        _operation.set(self.operation)
        _receive.set(receive)
        _scope.set(scope)
        arguments = self.arguments_of(request.path_params if scope["path_params"] else {}, request.query_params if query else None,
                                      connexion_context)
        result = self.handler(**arguments) if loop_waits is None else await loop_waits.run(self.handler, arguments)
        response = self.answer(result)
        if self.checked is None and isinstance(response, _Answer):
            return response.messages()
        messages: list[dict] = []

        async def keep(message):
            messages.append(message)

        if self.checked is None:
            await response(scope, receive, keep)
        else:
            scope["portico.answer"] = response
            await self.checked(scope, receive, keep)
        return messages


def _bearer_info_of(operation):
    """The bearer scheme's function, when the operation's security is that scheme alone: the
    scheme's token check then runs here (a refusal is connexion's to answer)."""
    if len(operation.security or ()) != 1 or len(operation.security[0]) != 1:
        return None
    (name, scopes), = operation.security[0].items()
    scheme = operation.security_schemes.get(name, {})
    if scopes or scheme.get("type") != "http" or scheme.get("scheme", "").lower() != "bearer" or "x-bearerInfoFunc" not in scheme:
        return None
    function = get_function_from_name(scheme["x-bearerInfoFunc"])
    arguments, _ = inspect_function_arguments(function)
    if "request" not in arguments:
        return None

    async def bearer_info(token: str, request) -> dict:
        claims = function(token, request=request)
        while not isinstance(claims, dict) and asyncio.iscoroutine(claims):
            claims = await claims
        if not isinstance(claims, dict) or not claims:
            raise _Refused()
        return claims

    return bearer_info


def _connexion_request(scope, receive, uri_parser) -> ConnexionRequest:
    request = ConnexionRequest(scope, receive, uri_parser=uri_parser)
    if not scope.get("query_string"):
        request._query_params = {}  # what its URI parser makes of no query, without asking it
    return request


class _AskedOfItsScope:
    """The request of a short read without parameters, for the bearer scheme, which reads the
    operation in its scope: connexion's request object is made only when more is asked of it."""

    __slots__ = ("scope", "_receive", "_uri_parser", "_made")

    def __init__(self, scope, receive, uri_parser):
        self.scope, self._receive, self._uri_parser, self._made = scope, receive, uri_parser, None

    def __getattr__(self, name: str):
        if self._made is None:
            self._made = _connexion_request(self.scope, self._receive, self._uri_parser)
        return getattr(self._made, name)


def _bearer_token(scope) -> str:
    """The token of `Authorization: Bearer …`, read as connexion reads it."""
    header = next((value for name, value in scope["headers"] if name == b"authorization"), None)
    parts = header.decode("latin-1").split(None, 1) if header else ()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise _Refused()
    return parts[1]


class _Refused(Exception):
    """What connexion would refuse: its own path answers it."""


class _Answer(t.NamedTuple):
    """A JSON answer, sent as Starlette's Response sends one."""

    status: int
    headers: list
    body: bytes

    def messages(self) -> list[dict]:
        return [{"type": "http.response.start", "status": self.status, "headers": self.headers},
                {"type": "http.response.body", "body": self.body}]

    async def __call__(self, scope, receive, send) -> None:
        for message in self.messages():
            await send(message)


async def _send_prepared(scope, receive, send) -> None:
    await scope.pop("portico.answer")(scope, receive, send)


class ShortReadsAPI(AbstractRoutingAPI):
    """The routes of one contract, in its order, those of short reads with what serves them."""

    def __init__(self, *args, jsonifier=None, validator_map=None, strict_validation=False, validate_responses=False,
                 security_map=None, **kwargs):
        self.routes: list[_Route] = []
        self._options = {"jsonifier": jsonifier or Jsonifier(), "validator_map": validator_map,
                         "strict_validation": bool(strict_validation), "validate_responses": bool(validate_responses),
                         "security_map": security_map}
        super().__init__(*args, **kwargs)

    def make_operation(self, operation) -> ShortRead | None:
        eligible = (operation.method == "get" and is_short_read(operation.function) and not operation.request_body
                    and not asyncio.iscoroutinefunction(operation.function)
                    and all(p["in"] in ("path", "query") and p.get("schema", p).get("type") not in ("array", "object")
                            for p in operation.parameters))
        if not eligible:
            return None
        return ShortRead(operation, pythonic_params=self.pythonic_params, **self._options)

    @staticmethod
    def _framework_path_and_name(operation, path: str) -> tuple[str, str]:
        framework_path = starlettify_path(path, operation.get_path_parameter_types())
        return framework_path, framework_path

    def _add_operation_internal(self, method: str, path: str, operation, name=None) -> None:
        pattern, _, convertors = compile_path(path)
        read = operation if isinstance(operation, ShortRead) else None  # else connexion's (or its resolver error's)
        self.routes.append(_Route(pattern, convertors, method.upper(), read))

    def route(self, path: str) -> tuple[ShortRead, dict] | None:
        """The short read a GET of `path` goes to, when connexion's router would route it there:
        the first route of the contract whose path and method match."""
        for route in self.routes:
            if route.method != "GET":
                continue
            match = route.pattern.match(path)
            if match:
                if route.read is None:
                    return None
                params = {key: route.convertors[key].convert(value) for key, value in match.groupdict().items()}
                return route.read, params
        return None


class ShortReads(SpecMiddleware):
    """Serves the GETs of short reads in one pass; passes everything else on."""

    def __init__(self, app, loop_waits: AtMost | None = None, door=None):
        self.app = app
        self.apis: list[ShortReadsAPI] = []
        # a path's route is a function of the path: worked out once for the paths asked most
        self._route_of = functools.lru_cache(maxsize=4096)(self._route)
        self.loop_waits = loop_waits
        self.at_door = door is not None  # the app's door asks `answered` before connexion's layers
        if door is not None:
            door.short_reads = self

    def add_api(self, specification, **kwargs) -> ShortReadsAPI:
        api = ShortReadsAPI(specification, **kwargs)
        if any(route.read for route in api.routes):
            self.apis.append(api)
        return api

    async def __call__(self, scope, receive, send) -> None:
        if self.at_door or scope["type"] != "http" or scope["method"] != "GET" or not await self.answered(scope, receive, send):
            await self.app(scope, receive, send)

    async def answered(self, scope, receive, send) -> bool:
        """Whether a GET was answered here: else it is connexion's to answer, untouched."""
        routed = self._routed(scope) if self.apis else None
        if routed is None:
            return False
        read, base_path, params = routed
        extensions = scope.get("extensions") or {}
        own = {**scope, "path_params": {**scope.get("path_params", {}), **params},
               "extensions": {**extensions, ROUTING_CONTEXT: {"api_base_path": base_path, "operation_id": read.operation_id}}}
        try:
            messages = await read.prepare(own, receive, self.loop_waits)
        except Exception:  # refused, or failed: connexion's whole path answers it, as it would have
            return False
        for message in messages:
            await send(message)
        return True

    def _routed(self, scope) -> tuple[ShortRead, str, dict] | None:
        if any(name in _BODY_HEADERS for name, _ in scope["headers"]):
            return None
        return self._route_of(get_route_path(scope))

    def _route(self, path: str) -> tuple[ShortRead, str, dict] | None:
        for api in self.apis:
            base_path = api.base_path or ""
            if base_path and not path.startswith(base_path + "/"):
                continue
            routed = api.route(path[len(base_path):])
            return None if routed is None else (routed[0], base_path, routed[1])
        return None
