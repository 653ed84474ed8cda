"""The contracts as one document a client can browse: every public path of every component.

Built from contracts/ (no framework): each component's paths that a caller can reach through the
gateway, with the shared definitions of common.yaml and each component's own components merged
under one `components` (a name two contracts define differently is prefixed by its component).
Internal paths (`/internal/...`) and the services' health endpoints are left out; they are not
reachable from outside.
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

from .config import SERVICES, contracts_dir

COMPONENTS = ("gateway", *SERVICES)
COMMON = "common.yaml"
HEALTH = ("/healthz", "/readyz")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def load(name: str, folder: Path | None = None) -> dict:
    return yaml.safe_load(((folder or contracts_dir()) / name).read_text())


def is_public(component: str, path: str) -> bool:
    if path.startswith("/internal") or "/internal/" in path:
        return False
    return component == "gateway" or path not in HEALTH


def _rewrite_refs(node, rename):
    """Every `$ref` pointed into the combined document (`rename` maps a ref to its new one)."""
    if isinstance(node, dict):
        return {k: (rename(v) if k == "$ref" else _rewrite_refs(v, rename)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(v, rename) for v in node]
    return node


def _without_implementation(node):
    """Extensions that name our code (x-bearerInfoFunc) are no business of a client."""
    if isinstance(node, dict):
        return {k: _without_implementation(v) for k, v in node.items() if k != "x-bearerInfoFunc"}
    if isinstance(node, list):
        return [_without_implementation(v) for v in node]
    return node


def combined(folder: Path | None = None, version: str = "1.0.0") -> dict:
    common = load(COMMON, folder)
    merged: dict[str, dict] = {section: dict(items) for section, items in common.get("components", {}).items()}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Portico API", "version": version,
                 "description": "Every public operation of the Portico suite, reached through the gateway. "
                                "Conventions (paging, problem types, Idempotency-Key, CORS): docs/API.md."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": [],
        "paths": {},
    }
    for component in COMPONENTS:
        contract = load(f"{component}.yaml", folder)
        names = {}  # (section, name) -> name in the combined document
        for section, items in _own_components(contract).items():
            for name, definition in items.items():
                target = merged.setdefault(section, {})
                chosen = name
                if name in target and _without_implementation(target[name]) != _without_implementation(definition):
                    chosen = component.capitalize() + name
                names[(section, name)] = chosen

        def rename(ref: str, names=names) -> str:
            file, _, pointer = ref.partition("#")
            if file == COMMON:
                return "#" + pointer
            _, _, section, name = pointer.split("/", 3)
            return f"#/components/{section}/{names.get((section, name), name)}"

        for section, items in _own_components(contract).items():
            for name, definition in items.items():
                merged[section][names[(section, name)]] = _rewrite_refs(copy.deepcopy(definition), rename)
        document["tags"].append({"name": component, "description": contract["info"].get("title", component)})
        for path, item in contract["paths"].items():
            if not is_public(component, path):
                continue
            item = _rewrite_refs(copy.deepcopy(item), rename)
            for method in HTTP_METHODS:
                if method in item:
                    item[method].setdefault("tags", [component])
                    if "security" not in item[method] and "security" in contract:
                        item[method]["security"] = contract["security"]
            document["paths"][path] = item
    merged["securitySchemes"] = {"bearer": BEARER}
    document["components"] = _without_implementation(merged)
    return document


# Every component takes the same credentials: the gateway's access token, or an API key in its place.
BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
          "description": "An access token the gateway issued (POST /v1/auth/login), or an API key "
                         "(also accepted as `X-API-Key`)."}


def _own_components(contract: dict) -> dict:
    return {section: items for section, items in contract.get("components", {}).items() if section != "securitySchemes"}
