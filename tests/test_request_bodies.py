"""A request body of any JSON media type the contract consumes (`application/merge-patch+json` as
well as `application/json`) is checked against its schema, and a bad one is a 400 naming each
field at fault."""
from __future__ import annotations

import json
import textwrap

import pytest

from .in_process import ask, served

CONTRACT = textwrap.dedent("""\
    openapi: 3.0.3
    info: {title: notes, version: '1'}
    paths:
      /notes/{note_id}:
        patch:
          operationId: tests.test_request_bodies.change_note
          security: []
          parameters:
            - {name: note_id, in: path, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/merge-patch+json:
                schema:
                  type: object
                  additionalProperties: false
                  properties: {title: {type: string, maxLength: 10}}
          responses:
            '200': {description: the note, content: {application/json: {schema: {type: object}}}}
    """)


def change_note(note_id, body):
    return {"id": note_id, **body}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    yield from served(CONTRACT, tmp_path_factory.mktemp("contract") / "notes.yaml")


def _patch(app, body: bytes, media_type: bytes = b"application/merge-patch+json"):
    loop, served_app = app
    headers = [(b"content-type", media_type), (b"content-length", str(len(body)).encode())]
    return loop.run_until_complete(ask(served_app, "PATCH", "/notes/n-1", headers=headers, body=body))


def test_a_body_of_another_json_type_is_checked_against_its_schema(app):
    status, _, answer = _patch(app, json.dumps({"title": "far too long a title", "colour": "red"}).encode())
    assert status == 400 and answer["type"].endswith("/invalid-request")
    assert sorted(p["name"] for p in answer["invalid_params"]) == ["colour", "title"]
    assert _patch(app, b'{"title": ')[0] == 400
    assert _patch(app, json.dumps({"title": "short"}).encode())[:3:2] == (200, {"id": "n-1", "title": "short"})


def test_a_media_type_the_operation_does_not_consume_is_refused(app):
    assert _patch(app, b'{"title": "short"}', b"application/json")[0] == 415
