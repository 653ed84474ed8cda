"""Departments are data (services/tickets/data/departments.yaml): each has names per language and
the platform roles of the staff who work in it (TI-01)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class InvalidDepartments(ValueError):
    """The departments' data file contradicts itself; names the entry."""


@dataclass(frozen=True)
class Department:
    key: str
    names: Mapping[str, str]
    staff_roles: tuple[str, ...]

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.key


@dataclass(frozen=True)
class Departments:
    by_key: Mapping[str, Department]

    def __contains__(self, key: str) -> bool:
        return key in self.by_key

    def keys(self) -> tuple[str, ...]:
        return tuple(self.by_key)

    def of_staff(self, roles) -> tuple[str, ...]:
        """The departments whose staff hold one of `roles`."""
        return tuple(d.key for d in self.by_key.values() if any(r in d.staff_roles for r in roles))


def departments_from(data) -> Departments:
    if not isinstance(data, Mapping) or not isinstance(data.get("departments"), Mapping) or not data["departments"]:
        raise InvalidDepartments("departments: give at least one department")
    found = {}
    for key, entry in data["departments"].items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise InvalidDepartments(f"departments.{key}: a key of lower-case letters, digits, - and _")
        if not isinstance(entry, Mapping):
            raise InvalidDepartments(f"departments.{key}: give names and staff_roles")
        names, roles = entry.get("names") or {}, entry.get("staff_roles")
        if not isinstance(names, Mapping) or "en" not in names:
            raise InvalidDepartments(f"departments.{key}.names: give at least an English name")
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r.startswith("platform:") for r in roles):
            raise InvalidDepartments(f"departments.{key}.staff_roles: give platform roles")
        found[key] = Department(key, {str(k): str(v) for k, v in names.items()}, tuple(roles))
    return Departments(found)
