from __future__ import annotations

from portico_kernel.uow import UnitOfWork, repository

from .repository import ReadModels


class GatewayUnitOfWork(UnitOfWork):
    read_models = repository(ReadModels)
