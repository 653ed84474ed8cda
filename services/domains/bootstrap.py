from __future__ import annotations

from functools import lru_cache

from portico_kernel.service import Service
from portico_kernel.uow import UnitOfWork

from .adapters.orm import metadata
from .adapters.repository import Domains
from .domain import closure, events


class DomainsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.domains = Domains(self.session)
        return self


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("domains", metadata, uow_class=DomainsUnitOfWork, events=events, handlers={
        "AccountClosureRequested": closure.on_account_closure_requested,
    })
