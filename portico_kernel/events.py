"""Integration events: the envelope every message travels in, and the schemas that bind them.

Every event type has a JSON Schema in contracts/events/ (listed in contracts/events/asyncapi.yaml).
An event is validated against its schema before it is written to the outbox, so a message that
breaks its contract never leaves a service.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field, is_dataclass
from functools import lru_cache
from typing import Any

import jsonschema
from referencing import Registry, Resource

from .clock import iso_utc, utcnow  # noqa: F401 - utcnow: domain modules long found it here
from .config import contracts_dir

ENVELOPE_SCHEMA = "envelope.schema.json"


@dataclass(frozen=True)
class Envelope:
    type: str
    producer: str
    payload: dict[str, Any]
    org_id: str | None = None
    correlation_id: str | None = None
    version: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=lambda: iso_utc(utcnow()))

    @property
    def routing_key(self) -> str:
        return f"{self.producer}.{self.type}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Envelope":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def payload_of(record: Any) -> dict[str, Any]:
    """Integration events are plain records (dataclasses); their fields are the payload."""
    if is_dataclass(record):
        return json.loads(json.dumps(asdict(record), default=str))
    return dict(record)


def event_type_of(record: Any) -> str:
    return type(record).__name__


class SchemaViolation(ValueError):
    pass


@lru_cache(maxsize=1)
def _registry() -> tuple[Registry, dict[str, dict]]:
    folder = contracts_dir() / "events"
    schemas: dict[str, dict] = {}
    registry = Registry()
    for path in sorted(folder.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        schemas[path.name] = schema
        registry = registry.with_resource(path.name, Resource.from_contents(schema))
    return registry, schemas


def schema_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.schema.json"


@lru_cache(maxsize=None)
def _validator(schema_file: str):
    registry, schemas = _registry()
    return jsonschema.Draft202012Validator(schemas[schema_file], registry=registry,
                                           format_checker=jsonschema.FormatChecker())


@lru_cache(maxsize=None)
def _fast_validator(schema_file: str):
    """The same schema compiled by jsonschema-rs (some hundred times faster), where it is installed:
    what it accepts is accepted at once; what it refuses is asked of `jsonschema` again, whose
    answer counts (and names the error). Event schemas refer to no other files."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs.validator_for(_registry()[1][schema_file], validate_formats=True)


def validate(envelope: dict[str, Any]) -> None:
    """Raise SchemaViolation unless the envelope and its payload match the contract."""
    _, schemas = _registry()
    name = schema_name(envelope.get("type", "?"), envelope.get("version", 1))
    if name not in schemas:
        raise SchemaViolation(f"no schema {name} in contracts/events")
    for schema_file, instance in ((ENVELOPE_SCHEMA, envelope), (name, envelope.get("payload"))):
        fast = _fast_validator(schema_file)
        if fast is not None and fast.is_valid(instance):
            continue
        errors = sorted(_validator(schema_file).iter_errors(instance), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "(root)"
            raise SchemaViolation(f"{schema_file}: {where}: {errors[0].message}")
