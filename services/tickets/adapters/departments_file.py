"""The departments' data file, read once per process (services/tickets/data/departments.yaml)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from ..domain.departments import Departments, departments_from

DEPARTMENTS = Path(__file__).resolve().parent.parent / "data" / "departments.yaml"


def load(path: Path = DEPARTMENTS) -> Departments:
    return departments_from(yaml.safe_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def departments() -> Departments:
    return load()
