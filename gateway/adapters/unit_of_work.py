from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import ReadModels


class GatewayUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.read_models = ReadModels(self.session)
        return self
