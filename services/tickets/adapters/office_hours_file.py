"""The office hours' data file, read once per process (services/tickets/data/office_hours.yaml)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from ..domain.office_hours import InvalidOfficeHours, OfficeHours, office_hours_from
from ..domain.service_levels import ServiceLevels, service_levels_from

OFFICE_HOURS = Path(__file__).resolve().parent.parent / "data" / "office_hours.yaml"


def load(path: Path = OFFICE_HOURS) -> tuple[OfficeHours, ServiceLevels]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise InvalidOfficeHours(f"{path.name}: the file holds no mapping")
    return office_hours_from(data), service_levels_from(data.get("service_levels"))


@lru_cache(maxsize=1)
def office_hours() -> OfficeHours:
    return load()[0]


@lru_cache(maxsize=1)
def service_levels() -> ServiceLevels:
    return load()[1]
