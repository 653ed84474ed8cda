"""Repositories: the domain's collections, backed by the identity database."""
from __future__ import annotations

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from portico_kernel.db import fetch_page, in_period
from portico_kernel.paging import ALL, EVER, Page, PageRequest, Period

from ..domain.model import KnownOrganization, Membership, RefreshToken, SignInSession, User
from ..domain.closure import AccountClosure
from ..domain.profile import AccountSettings, EmailChange
from ..domain.security import ActivityEntry, AlertSettings, FailedSignIn, KnownLocation
from ..domain.two_factor import AppPassword, RecoveryCode, SecondFactor, SignInChallenge


class Repository:
    model: type

    def __init__(self, session: Session):
        self.session = session

    def add(self, item) -> None:
        self.session.add(item)

    def get(self, *key):
        return self.session.get(self.model, key if len(key) > 1 else key[0])

    def remove(self, item) -> None:
        self.session.delete(item)


class Users(Repository):
    model = User

    def by_email_key(self, key: str) -> User | None:
        return self.session.scalars(select(User).where(User.email_key == key)).first()


class Memberships(Repository):
    model = Membership

    def of_user(self, user_id: str) -> list[Membership]:
        query = select(Membership).where(Membership.user_id == user_id).order_by(Membership.joined_at)
        return list(self.session.scalars(query))

    def of_org(self, org_id: str) -> list[Membership]:
        return list(self.session.scalars(select(Membership).where(Membership.org_id == org_id)))


class Organizations(Repository):
    """Organizations' names, from the orgs service's events (ID-13's consent page)."""
    model = KnownOrganization

    def names(self, org_ids: list[str]) -> dict[str, str]:
        if not org_ids:
            return {}
        query = select(KnownOrganization).where(KnownOrganization.org_id.in_(org_ids))
        return {o.org_id: o.name for o in self.session.scalars(query)}


class SignInSessions(Repository):
    model = SignInSession

    def add(self, item: SignInSession) -> None:
        super().add(item)
        self.session.flush()  # its refresh tokens refer to it

    def active_of_user(self, user_id: str, page: PageRequest = ALL) -> Page[SignInSession]:
        """Newest first."""
        query = select(SignInSession).where(SignInSession.user_id == user_id, SignInSession.ended_at.is_(None))
        return fetch_page(self.session, query, (SignInSession.created_at, SignInSession.id), page, descending=True)


class RefreshTokens(Repository):
    model = RefreshToken


class AccountSettingsRepository(Repository):
    model = AccountSettings


class EmailChanges(Repository):
    model = EmailChange

    def pending_of(self, user_id: str) -> list[EmailChange]:
        query = select(EmailChange).where(EmailChange.user_id == user_id, EmailChange.status == "pending")
        return list(self.session.scalars(query))

    def by_token_hash(self, token_hash: str) -> EmailChange | None:
        return self.session.scalars(select(EmailChange).where(EmailChange.token_hash == token_hash)).first()


class PersonalData:
    """ID-11: every row that describes a person. The account row itself is anonymized by the
    domain; sessions stay (their ids appear in tokens and logs) without device and address."""

    ABOUT_A_PERSON = (AccountSettings, EmailChange, Membership, ActivityEntry, AlertSettings, KnownLocation,
                      SecondFactor, RecoveryCode, SignInChallenge, AppPassword)

    def __init__(self, session: Session):
        self.session = session

    def erase(self, user: User) -> None:
        for model in self.ABOUT_A_PERSON:
            self.session.execute(delete(model).where(model.user_id == user.id))
        self.session.execute(delete(FailedSignIn).where(FailedSignIn.email_key == user.email_key))
        self.session.execute(update(SignInSession).where(SignInSession.user_id == user.id)
                             .values(user_agent=None, ip_address=None))


class AccountClosures(Repository):
    model = AccountClosure

    def of_user(self, user_id: str) -> AccountClosure | None:
        return self.session.scalars(select(AccountClosure).where(AccountClosure.user_id == user_id)).first()

    def get_for_update(self, closure_id: str) -> AccountClosure | None:
        """Locked (PostgreSQL): confirmations of several services may arrive at once."""
        query = select(AccountClosure).where(AccountClosure.id == closure_id).with_for_update()
        return self.session.scalars(query).first()


class FailedSignIns(Repository):
    model = FailedSignIn

    def forget_before(self, moment) -> None:
        self.session.execute(delete(FailedSignIn).where(FailedSignIn.occurred_at <= moment))

    def remove(self, attempt_id: str) -> None:
        self.session.execute(delete(FailedSignIn).where(FailedSignIn.id == attempt_id))

    def since(self, moment, email_key: str, ip_address: str | None) -> list:
        """Failures since `moment` for this login email or from this address (rows, not entities)."""
        by_whom = FailedSignIn.email_key == email_key
        if ip_address:
            by_whom = or_(by_whom, FailedSignIn.ip_address == ip_address)
        query = select(FailedSignIn.id, FailedSignIn.email_key, FailedSignIn.ip_address, FailedSignIn.occurred_at).where(
            FailedSignIn.occurred_at > moment, by_whom)
        return list(self.session.execute(query).all())


class KnownLocations(Repository):
    model = KnownLocation

    def any_of(self, user_id: str) -> bool:
        return self.session.scalars(select(KnownLocation.kind).where(KnownLocation.user_id == user_id).limit(1)).first() is not None

    def among(self, user_id: str, places: list[tuple[str, str]]) -> dict[tuple[str, str], KnownLocation]:
        """Those of these (kind, value) pairs the account has used, in one query."""
        if not places:
            return {}
        query = select(KnownLocation).where(KnownLocation.user_id == user_id, or_(
            *(and_(KnownLocation.kind == kind, KnownLocation.value == value) for kind, value in places)))
        return {(known.kind, known.value): known for known in self.session.scalars(query)}


class Activity(Repository):
    model = ActivityEntry

    def recent_of(self, user_id: str, page: PageRequest, *, kind: str | None = None,
                  period: Period = EVER) -> Page[ActivityEntry]:
        """Newest first."""
        query = in_period(select(ActivityEntry).where(ActivityEntry.user_id == user_id), ActivityEntry.occurred_at, period)
        if kind is not None:
            query = query.where(ActivityEntry.kind == kind)
        return fetch_page(self.session, query, (ActivityEntry.occurred_at, ActivityEntry.id), page, descending=True)


class AlertSettingsRepository(Repository):
    model = AlertSettings


class SecondFactors(Repository):
    model = SecondFactor

    def of_user(self, user_id: str) -> list[SecondFactor]:
        return list(self.session.scalars(select(SecondFactor).where(SecondFactor.user_id == user_id)))

    def remove(self, factor: SecondFactor) -> None:
        self.session.delete(factor)

    def remove_unconfirmed(self, user_id: str, method: str) -> None:
        self.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user_id, SecondFactor.method == method,
                                                        SecondFactor.confirmed_at.is_(None)))


class RecoveryCodes(Repository):
    model = RecoveryCode

    def remove_of(self, user_id: str) -> None:
        self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))

    def unused_by_hash(self, user_id: str, code_hash: str) -> RecoveryCode | None:
        query = select(RecoveryCode).where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == code_hash,
                                           RecoveryCode.used_at.is_(None))
        return self.session.scalars(query).first()

    def unused_count(self, user_id: str) -> int:
        query = select(RecoveryCode.id).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        return len(list(self.session.scalars(query)))


class SignInChallenges(Repository):
    model = SignInChallenge

    def forget_expired(self, moment) -> None:
        self.session.execute(delete(SignInChallenge).where(SignInChallenge.expires_at <= moment))


class AppPasswords(Repository):
    model = AppPassword

    def of_user(self, user_id: str, page: PageRequest = ALL) -> Page[AppPassword]:
        query = select(AppPassword).where(AppPassword.user_id == user_id, AppPassword.revoked_at.is_(None))
        return fetch_page(self.session, query, (AppPassword.created_at, AppPassword.id), page)

    def active_by_hash(self, user_id: str, secret_hash: str) -> AppPassword | None:
        query = select(AppPassword).where(AppPassword.user_id == user_id, AppPassword.secret_hash == secret_hash,
                                          AppPassword.revoked_at.is_(None))
        return self.session.scalars(query).first()


# Delegated access (ID-13)
from ..domain.oauth import (AuthorizationCode, OAuthClient, OAuthConsent, OAuthGrant, OAuthRefreshToken,  # noqa: E402
                            TokenFamily)


class OAuthClients(Repository):
    model = OAuthClient

    def of_org(self, org_id: str | None, page: PageRequest) -> Page[OAuthClient]:
        where = OAuthClient.org_id.is_(None) if org_id is None else OAuthClient.org_id == org_id
        return fetch_page(self.session, select(OAuthClient).where(where), (OAuthClient.created_at, OAuthClient.id), page)


class OAuthGrants(Repository):
    model = OAuthGrant

    def live(self, user_id: str, org_id: str | None, client_id: str) -> OAuthGrant | None:
        org = OAuthGrant.org_id.is_(None) if org_id is None else OAuthGrant.org_id == org_id
        return self.session.scalars(select(OAuthGrant).where(
            OAuthGrant.user_id == user_id, org, OAuthGrant.client_id == client_id,
            OAuthGrant.revoked_at.is_(None))).first()

    def live_of_user(self, user_id: str) -> list[OAuthGrant]:
        return list(self.session.scalars(select(OAuthGrant).where(OAuthGrant.user_id == user_id,
                                                                  OAuthGrant.revoked_at.is_(None))))

    def of_user(self, user_id: str, page: PageRequest) -> Page[OAuthGrant]:
        query = select(OAuthGrant).where(OAuthGrant.user_id == user_id, OAuthGrant.revoked_at.is_(None))
        return fetch_page(self.session, query, (OAuthGrant.created_at, OAuthGrant.id), page)

    def of_org(self, org_id: str, page: PageRequest) -> Page[OAuthGrant]:
        query = select(OAuthGrant).where(OAuthGrant.org_id == org_id, OAuthGrant.revoked_at.is_(None))
        return fetch_page(self.session, query, (OAuthGrant.created_at, OAuthGrant.id), page)


class OAuthConsents(Repository):
    model = OAuthConsent


def _claimed(session, model, key_column, key: str, spent_column, now) -> bool:
    """Marks a one-time credential spent unless it already is, in one statement: of two requests
    presenting it at the same moment, one claims it (the other waits for its row lock on PostgreSQL)."""
    result = session.execute(update(model).where(key_column == key, spent_column.is_(None)).values({spent_column.key: now})
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


class AuthorizationCodes(Repository):
    model = AuthorizationCode

    def claim(self, code_hash: str, now) -> bool:
        return _claimed(self.session, AuthorizationCode, AuthorizationCode.code_hash, code_hash,
                        AuthorizationCode.used_at, now)


class TokenFamilies(Repository):
    model = TokenFamily

    def of_grant(self, grant_id: str) -> list[TokenFamily]:
        return list(self.session.scalars(select(TokenFamily).where(TokenFamily.grant_id == grant_id)))


class OAuthRefreshTokens(Repository):
    model = OAuthRefreshToken

    def claim(self, token_hash: str, now) -> bool:
        return _claimed(self.session, OAuthRefreshToken, OAuthRefreshToken.token_hash, token_hash,
                        OAuthRefreshToken.spent_at, now)
