"""Short reads (portico_kernel/short_reads.py): a GET of a handler marked `short_read` is served in
one pass, and answers exactly as connexion's full path answers it, refusals included. Every request
below is sent to the same contract twice, once with short reads served and once with everything
left to connexion, and the two answers must be the same; a request that connexion would route
elsewhere (a route declared earlier, HEAD, a body) is never taken."""
from __future__ import annotations

import json
import textwrap
import uuid

import pytest
from connexion.exceptions import OAuthProblem

from portico_kernel import short_reads, web
from portico_kernel.errors import NotFound

from .in_process import ask, served

CONTRACT = textwrap.dedent("""\
    openapi: 3.0.3
    info: {title: things, version: '1'}
    servers: [{url: /}]
    security: [{bearer: []}]
    paths:
      /things:
        get:
          operationId: tests.test_short_reads.list_things
          parameters:
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100, default: 20}}
            - {name: cursor, in: query, schema: {type: string, maxLength: 20}}
            - {name: archived, in: query, schema: {type: boolean}}
          responses:
            '200':
              description: the things
              content:
                application/json:
                  schema: {type: array, items: {$ref: '#/components/schemas/Thing'}}
      /things/new:
        get:
          operationId: tests.test_short_reads.new_thing
          responses:
            '200': {description: a form, content: {application/json: {schema: {type: object}}}}
      /things/{thing_id}:
        parameters:
          - {name: thing_id, in: path, required: true, schema: {type: string, pattern: '^[a-z0-9-]{1,36}$'}}
        get:
          operationId: tests.test_short_reads.get_thing
          responses:
            '200':
              description: the thing
              content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}
        delete:
          operationId: tests.test_short_reads.delete_thing
          responses:
            '204': {description: gone}
      /things/{thing_id}/parts/{number}:
        get:
          operationId: tests.test_short_reads.get_part
          parameters:
            - {name: thing_id, in: path, required: true, schema: {type: string}}
            - {name: number, in: path, required: true, schema: {type: integer}}
          responses:
            '200': {description: a part, content: {application/json: {schema: {type: object}}}}
      /label:
        get:
          operationId: tests.test_short_reads.label
          responses:
            '200': {description: a label, content: {text/plain: {schema: {type: string}}}}
      /open:
        get:
          operationId: tests.test_short_reads.open_read
          security: []
          responses:
            '200': {description: for anyone, content: {application/json: {schema: {type: object}}}}
    components:
      securitySchemes:
        bearer: {type: http, scheme: bearer, x-bearerInfoFunc: tests.test_short_reads.bearer_info}
      schemas:
        Thing:
          type: object
          required: [id, owner]
          additionalProperties: false
          properties: {id: {type: string}, owner: {type: string}}
    """)

THINGS = [{"id": f"thing-{n}", "owner": "ada"} for n in range(5)]


TOKENS = {"ada-token": {"sub": "ada"},
          # two tokens of one id (`jti`): a caller kept for one must not answer for the other
          "ada-kept": {"sub": "ada", "jti": "t-1"}, "bob-kept": {"sub": "bob", "jti": "t-1"}}


def bearer_info(token, request):
    if token not in TOKENS:
        raise OAuthProblem(detail="unknown token")
    return dict(TOKENS[token])


@web.short_read
def list_things(limit, cursor=None, archived=None):
    start = int(cursor or 0)
    page = THINGS[start:start + limit]
    if start + limit < len(THINGS):
        return page, 200, {"Link": f'</things?limit={limit}&cursor={start + limit}>; rel="next"'}
    return page, 200


def new_thing():  # not a short read, declared before /things/{thing_id}: a GET of /things/new is this
    return {"form": True}


@web.short_read
def get_thing(thing_id):
    if thing_id == "broken":
        return {"id": thing_id}, 200  # not what the contract promises: the answer's check refuses it
    found = next((t for t in THINGS if t["id"] == thing_id), None)
    if found is None or web.principal().user_id != found["owner"]:
        raise NotFound("No such thing.")
    return found


def delete_thing(thing_id):
    return None, 204


@web.short_read
def get_part(thing_id, number):
    return {"thing": thing_id, "number": number, "type": type(number).__name__}


@web.short_read
def label():  # not JSON: answered as connexion answers it
    return "a thing", 200, {"Content-Type": "text/plain"}


@web.short_read
def open_read():
    return {"open": True}


@pytest.fixture(scope="module", params=[False, True], ids=["holding the loop", "waiting on the loop"])
def apps(tmp_path_factory, request):
    """Short reads hold the loop on SQLite and hand their database waits to it on PostgreSQL: they
    answer the same either way."""
    yield from served(CONTRACT, tmp_path_factory.mktemp("contract") / "things.yaml", loop_waits=request.param)


AS_ADA = [(b"authorization", b"Bearer ada-token")]

REQUESTS = [  # who answers: the short read, connexion after the short read refused (so that every
    # refusal is connexion's own), or connexion alone
    ("short read", "GET", "/things", b"", AS_ADA),
    ("short read", "GET", "/things", b"limit=2", AS_ADA),
    ("short read", "GET", "/things", b"limit=2&cursor=2&archived=true", AS_ADA),
    ("refused", "GET", "/things", b"limit=0", AS_ADA),  # 400 naming limit
    ("refused", "GET", "/things", b"limit=two", AS_ADA),
    ("refused", "GET", "/things", b"colour=red", AS_ADA),  # a parameter the contract does not know
    ("refused", "GET", "/things", b"cursor=" + b"9" * 40, AS_ADA),
    ("refused", "GET", "/things", b"", []),  # 401, with WWW-Authenticate
    ("refused", "GET", "/things", b"", [(b"authorization", b"Bearer someone-else")]),
    ("refused", "GET", "/things", b"", [(b"authorization", b"Basic YWRhOmFkYQ==")]),
    ("refused", "GET", "/things", b"", [(b"authorization", b"Bearer")]),
    ("short read", "GET", "/things", b"", [(b"authorization", b"bearer   ada-token")]),
    ("short read", "GET", "/things/thing-3", b"", AS_ADA),
    ("refused", "GET", "/things/thing-9", b"", AS_ADA),  # 404 from the domain
    ("refused", "GET", "/things/broken", b"", AS_ADA),  # an answer the contract does not allow: 500
    ("refused", "GET", "/things/Not%20Valid", b"", AS_ADA),  # 400 naming thing_id
    ("short read", "GET", "/things/thing-3/parts/7", b"", AS_ADA),  # converted as connexion converts it
    ("short read", "GET", "/open", b"", []),
    ("short read", "GET", "/label", b"", AS_ADA),
    ("connexion", "GET", "/things/new", b"", AS_ADA),  # an earlier route, not a thing
    ("connexion", "GET", "/things/thing-3/parts/seven", b"", AS_ADA),  # no route matches: 404
    ("connexion", "HEAD", "/things", b"", AS_ADA),
    ("connexion", "DELETE", "/things/thing-3", b"", AS_ADA),
    ("connexion", "GET", "/things", b"", AS_ADA + [(b"content-type", b"application/json")]),
    ("connexion", "POST", "/things", b"", AS_ADA),  # 405 naming GET
]


@pytest.mark.parametrize("expected, method, path, query, headers", REQUESTS,
                         ids=[f"{r[1]} {r[2]}?{r[3].decode()[:20]} {r[4][:1]}" for r in REQUESTS])
def test_a_short_read_answers_as_connexion_does(apps, monkeypatch, expected, method, path, query, headers):
    loop, app = apps
    tried, answered = [], []
    prepare = short_reads.ShortRead.prepare

    async def counted(self, scope, receive, loop_waits=None):
        tried.append(self.operation_id)
        messages = await prepare(self, scope, receive, loop_waits)
        answered.append(self.operation_id)
        return messages

    async def connexion_only(self, scope, receive, send):
        return False

    monkeypatch.setattr(short_reads.ShortRead, "prepare", counted)
    in_one_pass = loop.run_until_complete(ask(app, method, path, query, headers))
    assert (bool(tried), bool(answered)) == {"short read": (True, True), "refused": (True, False),
                                             "connexion": (False, False)}[expected]
    monkeypatch.setattr(short_reads.ShortReads, "answered", connexion_only)
    through_connexion = loop.run_until_complete(ask(app, method, path, query, headers))
    assert in_one_pass == through_connexion


def test_what_the_short_reads_answer(apps):
    loop, app = apps
    answer_to = lambda *args: loop.run_until_complete(ask(app, *args))
    status, headers, body = answer_to("GET", "/things", b"limit=2", AS_ADA)
    assert (status, [t["id"] for t in body]) == (200, ["thing-0", "thing-1"])
    assert headers["link"] == '</things?limit=2&cursor=2>; rel="next"'
    status, _, body = answer_to("GET", "/things", b"limit=0", AS_ADA)
    assert status == 400 and [p["name"] for p in body["invalid_params"]] == ["limit"]
    status, _, body = answer_to("GET", "/things", b"colour=red", AS_ADA)
    assert status == 400 and [p["name"] for p in body["invalid_params"]] == ["colour"]
    status, headers, body = answer_to("GET", "/things", b"", [])
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert headers["content-type"] == "application/problem+json"
    assert answer_to("GET", "/things/thing-9", b"", AS_ADA)[0] == 404
    assert answer_to("GET", "/things/thing-3/parts/7", b"", AS_ADA)[2] == {"thing": "thing-3", "number": 7, "type": "int"}
    assert answer_to("GET", "/things/new", b"", AS_ADA)[2] == {"form": True}
    assert answer_to("GET", "/label", b"", AS_ADA)[1:] == ({"content-type": "text/plain"}, b"a thing")
    status, _, body = answer_to("GET", "/things/broken", b"", AS_ADA)  # the answer's check runs here too
    assert status == 500 and "owner" not in json.dumps(body)


def test_the_caller_is_the_tokens_own_though_another_token_has_its_id(apps):
    """web.principal keeps the caller made of a token's claims, by the token's id and for equal
    claims only."""
    loop, app = apps
    status_for = lambda token: loop.run_until_complete(
        ask(app, "GET", "/things/thing-3", b"", [(b"authorization", b"Bearer " + token)]))[0]
    tokens = [b"ada-kept", b"bob-kept", b"ada-kept", b"bob-kept", b"ada-token"]
    assert [status_for(token) for token in tokens] == [200, 404, 200, 404, 200]


def test_a_request_without_an_id_of_its_own_is_named_by_a_new_version_4_uuid(apps):
    loop, app = apps
    named = set()
    for _ in range(50):
        instance = loop.run_until_complete(ask(app, "GET", "/things", named=True))[2]["instance"]
        request_id = instance.removeprefix("urn:portico:request:")
        assert str(uuid.UUID(request_id)) == request_id and uuid.UUID(request_id).version == 4
        named.add(request_id)
    assert len(named) == 50
