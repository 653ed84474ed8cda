"""Contracts first: every OpenAPI document is valid and names handlers that exist; every event has a
valid JSON Schema listed in the AsyncAPI document; every process is alive and ready."""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from connexion.spec import Specification

from portico_kernel import topology

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
SERVICE_CONTRACTS = ["gateway", "identity", "orgs", "billing", "domains", "tickets", "notifications"]


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                yield path, method, operation


@pytest.mark.parametrize("name", SERVICE_CONTRACTS)
def test_each_contract_is_valid_openapi_and_every_operation_has_its_handler(name):
    spec = Specification.load(CONTRACTS / f"{name}.yaml")  # validates against the OpenAPI 3 schema
    found = list(operations(spec.raw))
    assert found
    for path, method, operation in found:
        module, _, function = operation["operationId"].rpartition(".")
        assert callable(getattr(importlib.import_module(module), function, None)), (name, path, method)
        errors = {code for code in operation["responses"] if code.startswith(("4", "5"))}
        for code in errors:
            content = operation["responses"][code]
            if "$ref" not in content:
                assert "application/problem+json" in content.get("content", {}), (name, path, method, code)


def test_every_event_schema_is_valid_and_listed_in_the_asyncapi_document():
    document = yaml.safe_load((CONTRACTS / "events" / "asyncapi.yaml").read_text())
    listed = {m["payload"]["$ref"].lstrip("./") for m in document["components"]["messages"].values()}
    files = {p.name for p in (CONTRACTS / "events").glob("*.v*.schema.json")}
    assert listed == files
    for name in files | {"envelope.schema.json"}:
        jsonschema.Draft202012Validator.check_schema(json.loads((CONTRACTS / "events" / name).read_text()))
    for channel in document["channels"].values():
        producer, event_type = channel["address"].split(".")
        assert f"{event_type}.v1.schema.json" in files
        assert any(op["x-service"] == producer and op["action"] == "send"
                   for op in document["operations"].values() if op["channel"]["$ref"].endswith(channel["address"]))


def test_every_received_event_has_a_handler_in_its_service():
    for service, subscription in topology.subscriptions().items():
        package = "gateway" if service == "gateway" else f"services.{service}"
        built = importlib.import_module(f"{package}.bootstrap").bootstrap()
        runtime = built.service if service == "gateway" else built
        for key in subscription.routing_keys:
            assert key.split(".")[1] in runtime.handlers, (service, key)
            assert key.split(".")[1] in runtime.records, (service, key)  # handlers receive typed records


@pytest.mark.parametrize("component", SERVICE_CONTRACTS)
def test_every_component_is_alive_and_ready(stack, api, component):
    base = stack.urls[component]
    assert api.http.get(base + "/healthz", timeout=10).json() == {"status": "alive"}
    ready = api.http.get(base + "/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_the_readme_lists_every_configuration_variable():
    from portico_kernel import config

    readme = (CONTRACTS.parent / "README.md").read_text()
    missing = [name for name in config.VARIABLES if f"`{name}`" not in readme]
    assert not missing, f"README.md's configuration table lacks {missing}"


def test_the_architecture_document_lists_every_event_with_its_producers_and_consumers():
    document = yaml.safe_load((CONTRACTS / "events" / "asyncapi.yaml").read_text())
    text = (CONTRACTS.parent / "docs" / "ARCHITECTURE.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line.split("|") for line in text.splitlines() if line.startswith("| `")}
    for name, channel in document["channels"].items():
        producer, event_type = channel["address"].split(".")
        assert event_type in rows, f"docs/ARCHITECTURE.md lacks the event {event_type}"
        consumers = {op["x-service"] for op in document["operations"].values()
                     if op["action"] == "receive" and op["channel"]["$ref"].endswith("/" + name)}
        assert producer in rows[event_type][2], (event_type, producer)
        assert all(c in rows[event_type][3] for c in consumers), (event_type, consumers)
