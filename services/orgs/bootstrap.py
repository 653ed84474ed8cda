from __future__ import annotations

from functools import lru_cache

from portico_kernel.service import Service

from .adapters.orm import metadata
from .adapters.unit_of_work import OrgsUnitOfWork
from .domain import organizations


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("orgs", metadata, uow_class=OrgsUnitOfWork, handlers=organizations.HANDLERS)
