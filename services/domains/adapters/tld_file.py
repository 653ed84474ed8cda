"""The TLD rules' data file, read once per process (services/domains/data/tlds.yaml)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from ..domain.tld_rules import TldCatalog, tld_catalog_from

TLDS = Path(__file__).resolve().parent.parent / "data" / "tlds.yaml"


def read_tld_catalog(path: Path) -> TldCatalog:
    """The rules in a TLD file; refuses (InvalidTldRules) a file that contradicts itself."""
    return tld_catalog_from(yaml.safe_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def tld_catalog() -> TldCatalog:
    return read_tld_catalog(TLDS)
