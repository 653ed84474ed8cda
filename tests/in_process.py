"""A contract served in this process by the kernel (`web.serve_contract`), and requests sent to it
as an ASGI server would send them: for tests of what the kernel makes of any contract."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

from portico_kernel import web


def served(contract_text: str, path: Path, loop_waits: bool = False):
    """Yields (loop, app): the contract's app, started, on a loop of its own; stopped after. With
    `loop_waits`, short reads run as on PostgreSQL (portico_kernel/loop_waits.py)."""
    path.write_text(contract_text)
    lifespans = []
    made = web.serve_contract(path, validate_responses=True, loop_waits=loop_waits)

    async def started(app):
        queue, sent = asyncio.Queue(), asyncio.Queue()
        await queue.put({"type": "lifespan.startup"})

        async def receive():
            return await queue.get()

        lifespans.append(asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, sent.put)))
        await sent.get()
        return app

    loop = asyncio.new_event_loop()
    yield loop, loop.run_until_complete(started(made))
    for task in lifespans:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*lifespans, return_exceptions=True))
    loop.close()


async def ask(app, method: str, path: str, query: bytes = b"", headers: list | None = None, body: bytes = b"",
              named: bool = False):
    """The status, headers and body of an answer; a problem's `instance` blanked unless `named`."""
    messages = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
             "headers": [(b"host", b"contract.test"), *(headers or [])], "client": ("127.0.0.1", 5000),
             "server": ("contract.test", 80)}
    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    answer_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]
                      if k.lower() not in (b"content-length",)}
    parsed = json.loads(content) if content and answer_headers["content-type"].endswith("json") else content
    if isinstance(parsed, dict) and "instance" in parsed and not named:
        parsed["instance"] = "(request id)"
    return start["status"], answer_headers, parsed
