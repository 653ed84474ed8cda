"""Delegated access (ID-13): applications acting for a person, with that person's consent.

Identity owns the clients an organization (or the provider) registers, the grants people give them,
the authorization codes, and the refresh tokens in families (one family per authorization code or
client-credentials issue; reusing a spent refresh token or a used code revokes its family). The
gateway signs the access tokens and ID tokens from the claims decided here, and refuses the tokens of
a revoked grant or family at once.

The protocol itself (RFC 6749, 7636, 7009, 7662) is Authlib's, in adapters/oauth_server.py; what
is decided here: who may register a client, which redirect URIs and scopes a client may have, what
a delegated token may do (never more than the grant, nor than the person), and what a person and
an organization's administrators see and revoke.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from ipaddress import ip_address
from urllib.parse import urlsplit

from portico_kernel import roles, scopes
from portico_kernel.errors import Forbidden, NotFound, invalid_field

# Scopes per service and action (the contracts' `x-api-key-scope`); identity's own are never
# delegated: an application cannot manage a person's password, 2FA, sessions or grants.
DELEGABLE_SCOPES = scopes.DELEGABLE_SCOPES
PUBLIC, PAIRWISE = "public", "pairwise"
CODE_TTL = timedelta(minutes=5)
CONSENT_TTL = timedelta(minutes=10)
REFRESH_TTL = timedelta(days=30)
CLIENT_SECRET_MARK = "pcs_"
LOOPBACK_HOSTS = ("localhost",)


def new_id() -> str:
    return str(uuid.uuid4())


def digest(secret: str) -> str:
    """Secrets, codes and tokens are random and long: SHA-256 is enough to keep them unreadable."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(mark: str = "") -> tuple[str, str]:
    value = mark + secrets.token_urlsafe(32)
    return value, digest(value)


@dataclass(eq=False)
class OAuthClient:
    id: str
    org_id: str | None  # None: the provider's own, offered to everyone (registered by platform staff)
    name: str
    redirect_uris: list[str]
    public: bool
    scopes: list[str]
    subject_type: str
    pairwise_salt: str
    created_by: str
    created_at: datetime
    secret_hash: str | None = None
    secret_rotated_at: datetime | None = None

    def secret_matches(self, secret: str) -> bool:
        return bool(self.secret_hash) and hmac.compare_digest(self.secret_hash, digest(secret or ""))

    def subject_of(self, user_id: str) -> str:
        """`sub` of an ID token: the person's id, or one per client that no two clients share."""
        if self.subject_type != PAIRWISE:
            return user_id
        return hashlib.sha256(f"{self.pairwise_salt}:{user_id}".encode()).hexdigest()


@dataclass(eq=False)
class OAuthGrant:
    """That a person let a client act for them in one organization, with these scopes."""
    id: str
    user_id: str
    org_id: str | None
    client_id: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(eq=False)
class OAuthConsent:
    """A signed-in person looking at the consent page: what they were asked, for a few minutes."""
    token_hash: str
    user_id: str
    org_id: str | None
    amr: list[str]
    auth_time: int
    params: dict
    expires_at: datetime
    used_at: datetime | None = None
    org_choices: list | None = None  # the organizations the person may let the application act for


@dataclass(eq=False)
class AuthorizationCode:
    code_hash: str
    client_id: str
    user_id: str
    org_id: str | None
    grant_id: str
    family_id: str
    redirect_uri: str
    scope: str
    amr: list[str]
    auth_time: int
    expires_at: datetime
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    used_at: datetime | None = None


@dataclass(eq=False)
class TokenFamily:
    """The tokens issued from one authorization code (or one client-credentials request) on."""
    id: str
    client_id: str
    grant_id: str | None
    user_id: str | None
    org_id: str | None
    scope: str
    amr: list[str]
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    def revoke(self, now: datetime, reason: str) -> bool:
        if self.revoked_at is None:
            self.revoked_at, self.revoked_reason = now, reason
            return True
        return False


@dataclass(eq=False)
class OAuthRefreshToken:
    token_hash: str
    family_id: str
    issued_at: datetime
    expires_at: datetime
    spent_at: datetime | None = None


# --- rules -------------------------------------------------------------------------------------

def check_redirect_uri(uri: str) -> str:
    """Absolute, no fragment, https, or http only to this machine (RFC 8252 loopback)."""
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri or not parts.hostname:
        raise invalid_field("redirect_uris", "A redirect URI is absolute and has no fragment.")
    if parts.scheme == "https":
        return uri
    if parts.scheme == "http" and _loopback(parts.hostname):
        return uri
    raise invalid_field("redirect_uris", "A redirect URI uses https (http only to localhost or a loopback address).")


def _loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_scopes(requested: list[str]) -> list[str]:
    unknown = [s for s in requested if s not in DELEGABLE_SCOPES]
    if unknown:
        raise invalid_field("scopes", f"Applications cannot be given {', '.join(unknown)[:200]}: scopes are "
                      f"{', '.join(DELEGABLE_SCOPES)}.")
    return sorted(set(requested), key=DELEGABLE_SCOPES.index)


@dataclass(frozen=True)
class Registrar:
    """Who registers a client: a person managing the organization their token acts for, or staff."""
    user_id: str
    kind: str
    org_id: str | None
    roles: tuple[str, ...]


def org_of_registrar(who: Registrar) -> str | None:
    if who.kind == "staff" and "platform:admin" in who.roles:
        return None
    if who.kind == "customer" and who.org_id and any(roles.manages_organization(r) for r in who.roles):
        return who.org_id
    raise Forbidden("Administrators and legal representatives of an organization (or platform administrators) "
                    "register applications.")


def register_client(uow, who: Registrar, *, name: str, redirect_uris: list[str], public: bool, scopes: list[str],
                    subject_type: str = PUBLIC) -> tuple[OAuthClient, str | None]:
    org_id = org_of_registrar(who)
    uris = [check_redirect_uri(u) for u in redirect_uris]
    allowed = check_scopes(scopes)
    if subject_type not in (PUBLIC, PAIRWISE):
        raise invalid_field("subject_type", "subject_type is public or pairwise.")
    secret, secret_hash = (None, None) if public else new_secret(CLIENT_SECRET_MARK)
    now = uow.clock.now()
    client = OAuthClient(id=new_id(), org_id=org_id, name=name.strip(), redirect_uris=uris, public=public,
                         scopes=allowed, subject_type=subject_type, pairwise_salt=secrets.token_hex(16),
                         created_by=who.user_id, created_at=now, secret_hash=secret_hash)
    uow.oauth_clients.add(client)
    uow.commit()
    return client, secret


def _managed_client(uow, who: Registrar, client_id: str) -> OAuthClient:
    org_id = org_of_registrar(who)
    client = uow.oauth_clients.get(client_id)
    if client is None or client.org_id != org_id:
        raise NotFound("No such application.")
    return client


def rotate_secret(uow, who: Registrar, client_id: str) -> tuple[OAuthClient, str]:
    client = _managed_client(uow, who, client_id)
    if client.public:
        raise invalid_field("client_id", "A public application has no secret.")
    secret, client.secret_hash = new_secret(CLIENT_SECRET_MARK)
    client.secret_rotated_at = uow.clock.now()
    uow.commit()
    return client, secret


def clients_of(uow, who: Registrar, page):
    return uow.oauth_clients.of_org(org_of_registrar(who), page)


def delegated_scopes(client: OAuthClient, requested: list[str]) -> list[str]:
    """Never more than the client was registered for (nor anything of identity's own)."""
    return [s for s in requested if s in client.scopes and s in DELEGABLE_SCOPES]


def record_grant(uow, *, user_id: str, org_id: str | None, client: OAuthClient, scopes: list[str]) -> OAuthGrant:
    """The person's consent: one live grant per person, organization and client, widened if asked again."""
    now = uow.clock.now()
    grant = uow.oauth_grants.live(user_id, org_id, client.id)
    if grant is None:
        grant = OAuthGrant(id=new_id(), user_id=user_id, org_id=org_id, client_id=client.id, scopes=list(scopes),
                           created_at=now)
        uow.oauth_grants.add(grant)
    else:
        grant.scopes = sorted(set(grant.scopes) | set(scopes), key=DELEGABLE_SCOPES.index)
    return grant


def person_claims(uow, user, org_id: str | None) -> dict | None:
    """What the person may do now in the organization of the grant (roles change; members leave):
    a delegated token is never more than that. None when the person may no longer act there."""
    if user is None or user.status != "active":
        return None
    if user.is_staff:
        return {"sub": user.id, "kind": user.kind, "org": None, "roles": list(user.platform_roles)}
    membership = next((m for m in uow.memberships.of_user(user.id) if m.org_id == org_id), None)
    if membership is None:
        return None
    return {"sub": user.id, "kind": user.kind, "org": org_id, "roles": [membership.role]}


def revoke_grant(uow, grant: OAuthGrant, reason: str) -> list[str]:
    """The grant and every token family issued under it; the ids the gateway refuses from now on."""
    now = uow.clock.now()
    revoked = []
    if grant.revoked_at is None:
        grant.revoked_at = now
    revoked.append(grant.id)
    for family in uow.oauth_families.of_grant(grant.id):
        family.revoke(now, reason)
        revoked.append(family.id)
    return revoked


def end_grants_of(uow, user_id: str, org_id: str | None, reason: str, *, every_org: bool = False) -> list[str]:
    """Identity itself ends the ground of a person's grants (they left or were removed from the
    organization, were blocked in it, or closed their account): the grants and their token families
    are revoked. Idempotent: a redelivered event finds nothing live. The gateway learns the same
    events and refuses the tokens at once (gateway/domain/tokens.py)."""
    revoked = []
    for grant in uow.oauth_grants.live_of_user(user_id):
        if every_org or grant.org_id == org_id:
            revoked.extend(revoke_grant(uow, grant, reason))
    return revoked


@dataclass(frozen=True)
class Viewer:
    user_id: str
    kind: str
    org_id: str | None
    roles: tuple[str, ...]


def grants_of_person(uow, viewer: Viewer, page):
    return uow.oauth_grants.of_user(viewer.user_id, page)


def grants_of_organization(uow, viewer: Viewer, page):
    if not (viewer.kind == "customer" and viewer.org_id and any(roles.manages_organization(r) for r in viewer.roles)):
        raise Forbidden("Administrators and legal representatives see the applications granted access to "
                        "their organization.")
    return uow.oauth_grants.of_org(viewer.org_id, page)


def revoke_grant_by(uow, viewer: Viewer, grant_id: str) -> list[str]:
    """The person who granted it, or a manager of the organization it was granted for."""
    grant = uow.oauth_grants.get(grant_id)
    manages = (viewer.kind == "customer" and grant is not None and grant.org_id is not None
               and grant.org_id == viewer.org_id and any(roles.manages_organization(r) for r in viewer.roles))
    if grant is None or not (grant.user_id == viewer.user_id or manages):
        raise NotFound("No such grant.")
    revoked = revoke_grant(uow, grant, "revoked by person" if grant.user_id == viewer.user_id else "revoked by organization")
    uow.commit()
    return revoked


def organization_choices(uow, user, names_wanted: bool = True) -> list[dict]:
    """The organizations a person belongs to, named, the consent page offers (ID-13)."""
    if user is None or user.status != "active" or user.is_staff:
        return []
    members = uow.memberships.of_user(user.id)
    names = uow.organizations.names([m.org_id for m in members]) if names_wanted else {}
    return [{"org_id": m.org_id, "name": names.get(m.org_id) or m.org_id, "role": m.role} for m in members]


def chosen_organization(consent: OAuthConsent, asked: str | None) -> str | None:
    """The organization the person picked on the consent page: one they were offered, or the default."""
    if not asked:
        return consent.org_id
    if asked not in (consent.org_choices or []):
        raise invalid_field("org_id", "Pick one of the organizations offered on this page.")
    return asked


def standard_claims(user, scope: str) -> dict:
    """What an application learns of the person with `email` and `profile` (OpenID Connect Core 5.4)."""
    scopes = scope.split()
    claims = {}
    if "email" in scopes:
        claims.update(email=user.email, email_verified=True)
    if "profile" in scopes:
        claims.update(name=f"{user.first_name} {user.last_name}".strip(), given_name=user.first_name,
                      family_name=user.last_name, locale=user.language)
    return claims


def userinfo(uow, access_claims: dict) -> dict:
    """OpenID Connect's userinfo for an application's access token: the same `sub` as its ID token,
    and the claims its scopes allow. None when the token's ground is gone."""
    family = uow.oauth_families.get(access_claims.get("fid") or "")
    client = uow.oauth_clients.get(access_claims.get("client_id") or "")
    if (family is None or client is None or family.revoked_at is not None or family.client_id != client.id
            or not family.user_id):
        return None
    grant = uow.oauth_grants.get(family.grant_id) if family.grant_id else None
    user = uow.users.get(family.user_id)
    if grant is None or grant.revoked_at is not None or person_claims(uow, user, family.org_id) is None:
        return None
    return {"sub": client.subject_of(user.id), **standard_claims(user, access_claims.get("scope") or "")}


def id_token_claims(client: OAuthClient, user, *, scope: str, nonce: str | None, auth_time: int, amr: list[str]) -> dict:
    """The standard claims of sign-in (OpenID Connect Core 2, 5.1); the gateway adds iss, iat, exp."""
    claims = {"sub": client.subject_of(user.id), "aud": client.id, "azp": client.id, "auth_time": auth_time,
              "amr": amr or ["pwd"]}
    if nonce:
        claims["nonce"] = nonce
    claims.update(standard_claims(user, scope))
    return claims
