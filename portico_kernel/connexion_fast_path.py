"""connexion's request path, made to cost a request less (docs/PERFORMANCE.md, item 5).

connexion 3 redoes per request work that depends only on the operation: it builds the parameter and
response decorators and the URI parser anew, reads the handler's and the bearer function's
signatures three times, converts parameter names with regular expressions, and asks every body for
a form. This module, imported by the web app factory (web.py), keeps that work per operation or
skips it, and hands synchronous handlers to a small pool of threads through asyncio rather than
anyio. Routing, security and validation stay connexion's, from the contract.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import connexion.decorators.main
import connexion.decorators.parameter
import connexion.security
import connexion.utils
from connexion.apps.asynchronous import AsyncOperation
from connexion.decorators.main import StarletteDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.http_facts import FORM_CONTENT_TYPES
from connexion.lifecycle import ConnexionRequest
from connexion.middleware.request_validation import RequestValidationOperation

from .config import env


@functools.cache
def _arguments_of(function: Callable) -> tuple[tuple[str, ...], bool]:
    arguments, has_kwargs = connexion.utils.inspect_function_arguments(function)
    return tuple(arguments), has_kwargs


def _inspected_once(function: Callable) -> tuple[list[str], bool]:
    """connexion reads a handler's (and the bearer function's) signature on every request; a
    function's signature does not change."""
    arguments, has_kwargs = _arguments_of(function)
    return list(arguments), has_kwargs


connexion.security.inspect_function_arguments = _inspected_once
connexion.decorators.parameter.inspect_function_arguments = _inspected_once
# A parameter's Python name, worked out by three regular expressions per parameter per request.
connexion.decorators.parameter.pythonic = functools.cache(connexion.decorators.parameter.pythonic)


async def _call_prepared(self: AsyncOperation, scope, receive, send):
    """connexion's AsyncOperation builds its parameter and response decorators, and the URI parser
    of the operation, anew on every request; they depend on the operation only, so they are built
    at its first request and kept. The request itself is read per call, as connexion does."""
    prepared = self.__dict__.get("_portico_prepared")
    if prepared is None:
        decorator = StarletteDecorator(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        prepared = self.__dict__["_portico_prepared"] = (decorator.uri_parser, decorator.decorate(self._fn))
    uri_parser, view = prepared
    response = await view(StarletteFramework.get_request(uri_parser=uri_parser, scope=scope, receive=receive))
    return await response(scope, receive, send)


AsyncOperation.__call__ = _call_prepared


def parameter_validator_of(validation: RequestValidationOperation):
    """The operation's parameter validator with its URI parser: connexion builds both for every
    request, though they depend on the operation only; they are built at its first request and kept."""
    parameters = validation.__dict__.get("_portico_parameters")
    if parameters is None:
        operation = validation._operation
        parameters = validation.__dict__["_portico_parameters"] = validation._validator_map["parameter"](
            operation.parameters, uri_parser=operation._uri_parser_class(operation.parameters, operation.body_definition()),
            strict_validation=validation.strict_validation, security_query_params=validation.security_query_params)
    return parameters


async def _validate_prepared(self: RequestValidationOperation, scope, receive, send):
    """connexion's request validation, with the operation's parameter validator kept. The content
    type and the body are checked as connexion checks them (connexion 3.3)."""
    parameters = parameter_validator_of(self)
    parameters.validate(scope)
    mime_type, encoding = self.extract_content_type(scope["headers"])
    self.validate_mime_type(mime_type)
    schema = self._operation.body_schema(mime_type)
    body_validator = self._validator_map["body"].get(mime_type) if schema else None
    if body_validator is not None:
        validator = body_validator(
            schema=schema, required=self._operation.request_body.get("required", False),
            nullable=connexion.utils.is_nullable(self._operation.body_definition(mime_type)), encoding=encoding,
            strict_validation=self.strict_validation, uri_parser=parameters.uri_parser)
        receive, scope = await validator.wrap_receive(receive, scope=scope)
    await self.next_app(scope, receive, send)


RequestValidationOperation.__call__ = _validate_prepared


_HANDLER_THREADS = ThreadPoolExecutor(max_workers=max(1, int(env("PORTICO_WEB_THREADS", "4"))), thread_name_prefix="handler")


def short_read(handler: Callable) -> Callable:
    """Marks a handler that reads by an indexed query or two and calls nothing else: it runs on the
    worker's event loop, and a GET of it is served in one pass (short_reads.py). Handing a request
    to a handler thread and back costs the worker more CPU than such a query's wait on the
    database; anything slower (a document to render, a call to another system, a write) stays in
    the handler threads, where it holds up no other request."""
    handler.short_read = True
    return handler


def is_short_read(function: Callable) -> bool:
    return getattr(function, "short_read", False)


async def _in_thread(function, *args, **kwargs):
    """A synchronous handler runs in the worker's pool of handler threads, with the request's
    context. asyncio's own hand-off costs a request less than anyio's, which connexion uses; and a
    few threads serve a worker better than forty fighting over one interpreter lock."""
    if is_short_read(function):
        return function(*args, **kwargs)
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_HANDLER_THREADS, call)


async def _inline(function, *args, **kwargs):
    return function(*args, **kwargs)


connexion.decorators.main.run_in_threadpool = _inline if env("PORTICO_WEB_THREADS", "4") == "0" else _in_thread


def _files_of_forms_only(files):
    """connexion asks every request for its uploaded files, and so parses a form that a JSON or
    empty body is not; only a form's body is asked."""

    async def of_request(self):
        if self._files is None and self.mimetype not in FORM_CONTENT_TYPES:
            return {}
        return await files(self)

    return of_request


ConnexionRequest.files = _files_of_forms_only(ConnexionRequest.files)
