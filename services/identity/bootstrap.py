"""Wires identity together once per process: database, unit of work, event handlers, hasher."""
from __future__ import annotations

from functools import lru_cache

from portico_kernel.service import Service

from .adapters.hashing import Argon2Hasher
from .adapters.orm import metadata
from .adapters.unit_of_work import IdentityUnitOfWork
from .domain import memberships


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("identity", metadata, uow_class=IdentityUnitOfWork, handlers=memberships.HANDLERS)


@lru_cache(maxsize=1)
def hasher() -> Argon2Hasher:
    return Argon2Hasher()
