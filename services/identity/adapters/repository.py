"""Repositories: the domain's collections, backed by the identity database."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.model import Membership, RefreshToken, SignInSession, User


class Repository:
    model: type

    def __init__(self, session: Session):
        self.session = session

    def add(self, item) -> None:
        self.session.add(item)

    def get(self, *key):
        return self.session.get(self.model, key if len(key) > 1 else key[0])


class Users(Repository):
    model = User

    def by_email_key(self, key: str) -> User | None:
        return self.session.scalars(select(User).where(User.email_key == key)).first()


class Memberships(Repository):
    model = Membership

    def of_user(self, user_id: str) -> list[Membership]:
        query = select(Membership).where(Membership.user_id == user_id).order_by(Membership.joined_at)
        return list(self.session.scalars(query))


class SignInSessions(Repository):
    model = SignInSession

    def add(self, item: SignInSession) -> None:
        super().add(item)
        self.session.flush()  # its refresh tokens refer to it


class RefreshTokens(Repository):
    model = RefreshToken
