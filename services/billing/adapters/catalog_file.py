"""The catalog's data file, read once per process (services/billing/data/catalog.yaml)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from ..domain.catalog import Catalog, catalog_from
from ..domain.dunning import Policy

CATALOG = Path(__file__).resolve().parent.parent / "data" / "catalog.yaml"


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    return catalog_from(yaml.safe_load(CATALOG.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def dunning_policy() -> Policy:
    """When unpaid invoices are reminded of and their services suspended (the `dunning` entry)."""
    return Policy.from_data(yaml.safe_load(CATALOG.read_text(encoding="utf-8")).get("dunning"))
