"""Identity's tables, mapped onto the domain's plain classes."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables
from portico_kernel.secrets import EncryptedString

from ..domain.model import KnownOrganization, Membership, RefreshToken, SignInSession, User
from ..domain.closure import AccountClosure
from ..domain.profile import AccountSettings, EmailChange
from ..domain.security import ActivityEntry, AlertSettings, FailedSignIn, KnownLocation
from ..domain.two_factor import AppPassword, RecoveryCode, SecondFactor, SignInChallenge

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)

users = Table(
    "users", metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("email_key", String(320), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("language", String(5), nullable=False),
    Column("country", String(2)),
    Column("time_zone", String(64)),
    Column("platform_roles", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("active_org_id", String(36)),
)

memberships = Table(
    "memberships", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("org_id", String(36), primary_key=True),
    Column("role", String(40), nullable=False),
    Column("joined_at", UtcDateTime, nullable=False),
)

sign_in_sessions = Table(
    "sign_in_sessions", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("amr", JSON, nullable=False),
    Column("org_id", String(36)),
    Column("user_agent", String(300)),
    Column("ip_address", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("end_reason", String(40)),
)

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", String(36), ForeignKey("sign_in_sessions.id"), nullable=False, index=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("spent_at", UtcDateTime),
)

account_settings = Table(
    "account_settings", metadata,
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("link_expiry_days", Integer, nullable=False),
    Column("recovery_phone_country_code", String(4)),
    Column("recovery_phone_number", String(20)),
    Column("recovery_email", String(320)),
    Column("updated_at", UtcDateTime, nullable=False),
)

email_changes = Table(
    "email_changes", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("new_email", String(320), nullable=False),
    Column("status", String(20), nullable=False),
    Column("token_hash", String(64), unique=True),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime),
)

account_closures = Table(
    "account_closures", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, unique=True),
    Column("confirmed_by", JSON, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
)

failed_sign_ins = Table(
    "failed_sign_ins", metadata,
    Column("id", String(36), primary_key=True),
    Column("email_key", String(320), nullable=False, index=True),
    Column("ip_address", String(64), index=True),
    Column("occurred_at", UtcDateTime, nullable=False, index=True),
)

known_locations = Table(
    "known_locations", metadata,
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("kind", String(10), primary_key=True),
    Column("value", String(300), primary_key=True),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
)

activity = Table(
    "activity", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("ip_address", String(64)),
    Column("device", String(300)),
    Column("details", JSON, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
)

alert_settings = Table(
    "alert_settings", metadata,
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("new_sign_in_location", Boolean, nullable=False),
    Column("wrong_password", Boolean, nullable=False),
    Column("wrong_password_alerted_at", UtcDateTime),
)

second_factors = Table(
    "second_factors", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("method", String(10), nullable=False),
    Column("name", String(100)),
    Column("secret", EncryptedString(400)),  # the authenticator app's TOTP seed, encrypted at rest
    Column("credential_id", String(400), index=True),
    Column("public_key", String(1200)),
    Column("sign_count", Integer, nullable=False),
    Column("challenge", String(100)),
    Column("phone", String(20)),
    Column("last_used_step", Integer),
    Column("code_hash", String(64)),
    Column("code_expires_at", UtcDateTime),
    Column("code_attempts", Integer, nullable=False),
    Column("confirmed_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
)

recovery_codes = Table(
    "recovery_codes", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    Column("used_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
)

sign_in_challenges = Table(
    "sign_in_challenges", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ip_address", String(64)),
    Column("user_agent", String(1000)),
    Column("webauthn_challenge", String(100)),
    Column("attempts", Integer, nullable=False),
    Column("completed_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
)

app_passwords = Table(
    "app_passwords", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

# ID-13: organizations' names from the orgs service's events, for the consent page
known_organizations = Table(
    "known_organizations", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

mapper_registry.map_imperatively(User, users)
mapper_registry.map_imperatively(KnownOrganization, known_organizations)
mapper_registry.map_imperatively(Membership, memberships)
mapper_registry.map_imperatively(SignInSession, sign_in_sessions)
mapper_registry.map_imperatively(RefreshToken, refresh_tokens)
mapper_registry.map_imperatively(AccountSettings, account_settings)
mapper_registry.map_imperatively(EmailChange, email_changes)
mapper_registry.map_imperatively(AccountClosure, account_closures)
mapper_registry.map_imperatively(FailedSignIn, failed_sign_ins)
mapper_registry.map_imperatively(KnownLocation, known_locations)
mapper_registry.map_imperatively(ActivityEntry, activity)
mapper_registry.map_imperatively(AlertSettings, alert_settings)
mapper_registry.map_imperatively(SecondFactor, second_factors)
mapper_registry.map_imperatively(RecoveryCode, recovery_codes)
mapper_registry.map_imperatively(SignInChallenge, sign_in_challenges)
mapper_registry.map_imperatively(AppPassword, app_passwords)

# Delegated access (ID-13): applications, the grants people give them, codes and refresh tokens.
from ..domain.oauth import (AuthorizationCode, OAuthClient, OAuthConsent, OAuthGrant, OAuthRefreshToken,  # noqa: E402
                            TokenFamily)

oauth_clients = Table(
    "oauth_clients", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), index=True),
    Column("name", String(200), nullable=False),
    Column("redirect_uris", JSON, nullable=False),
    Column("public", Boolean, nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("subject_type", String(20), nullable=False),
    Column("pairwise_salt", String(64), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("secret_hash", String(64)),
    Column("secret_rotated_at", UtcDateTime),
)

oauth_grants = Table(
    "oauth_grants", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), nullable=False, index=True),
    Column("org_id", String(36), index=True),
    Column("client_id", String(36), ForeignKey("oauth_clients.id"), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

oauth_consents = Table(
    "oauth_consents", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), nullable=False),
    Column("org_id", String(36)),
    Column("amr", JSON, nullable=False),
    Column("auth_time", Integer, nullable=False),
    Column("params", JSON, nullable=False),
    Column("org_choices", JSON),  # the organizations the person may pick on the consent page
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)

oauth_codes = Table(
    "oauth_codes", metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("client_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("org_id", String(36)),
    Column("grant_id", String(36), nullable=False),
    Column("family_id", String(36), nullable=False),
    Column("redirect_uri", String(2000), nullable=False),
    Column("scope", String(1000), nullable=False),
    Column("amr", JSON, nullable=False),
    Column("auth_time", Integer, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("nonce", String(500)),
    Column("code_challenge", String(128)),
    Column("code_challenge_method", String(10)),
    Column("used_at", UtcDateTime),
)

oauth_token_families = Table(
    "oauth_token_families", metadata,
    Column("id", String(36), primary_key=True),
    Column("client_id", String(36), nullable=False),
    Column("grant_id", String(36), index=True),
    Column("user_id", String(36)),
    Column("org_id", String(36)),
    Column("scope", String(1000), nullable=False),
    Column("amr", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("revoked_reason", String(40)),
)

oauth_refresh_tokens = Table(
    "oauth_refresh_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family_id", String(36), ForeignKey("oauth_token_families.id"), nullable=False, index=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("spent_at", UtcDateTime),
)

mapper_registry.map_imperatively(OAuthClient, oauth_clients)
mapper_registry.map_imperatively(OAuthGrant, oauth_grants)
mapper_registry.map_imperatively(OAuthConsent, oauth_consents)
mapper_registry.map_imperatively(AuthorizationCode, oauth_codes)
mapper_registry.map_imperatively(TokenFamily, oauth_token_families)
mapper_registry.map_imperatively(OAuthRefreshToken, oauth_refresh_tokens)
