from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import Memberships, RefreshTokens, SignInSessions, Users


class IdentityUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.users = Users(self.session)
        self.memberships = Memberships(self.session)
        self.sessions = SignInSessions(self.session)
        self.refresh_tokens = RefreshTokens(self.session)
        return self
