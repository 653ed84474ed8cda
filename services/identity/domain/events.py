"""Integration events identity publishes, and those it handles (schemas: contracts/events/<Name>.v1.schema.json)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UserRegistered:
    user_id: str
    email: str
    first_name: str
    last_name: str
    language: str
    country: str | None
    self_signup: bool
    personal_org_id: str | None = None  # ID-01: the organization orgs creates in the person's name
    invitation_id: str | None = None  # OR-03: signed up through this invitation, joining its organization


@dataclass(frozen=True)
class StaffAccountCreated:
    user_id: str
    email: str
    platform_roles: list[str]
    first_name: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class AlertChoicesChanged:
    """ID-04: which optional security alerts the person wants emailed (the notifications service decides)."""

    user_id: str
    new_sign_in_location: bool
    wrong_password: bool
    changed_at: str


@dataclass(frozen=True)
class SecurityAlertRaised:
    """ID-02, ID-03: the notifications service emails it to the account's owner."""

    user_id: str
    email: str
    language: str
    alert: str
    occurred_at: str
    details: dict
    first_name: str | None = None
    time_zone: str | None = None
    mail: bool = True  # ID-04: the owner's choice for this alert when it was raised


@dataclass(frozen=True)
class TwoFactorStatusChanged:
    """ID-09: the person's set of second factors changed (the gateway enforces OR-10 with it)."""

    user_id: str
    enabled: bool
    methods: list[str]


@dataclass(frozen=True)
class EmailChangeRequested:
    """Integration event: a verification link is to be sent to `new_email` (ID-07)."""

    user_id: str
    email_change_id: str
    new_email: str
    language: str
    first_name: str
    token: str  # the link's secret; identity keeps only its hash
    expires_at: str
    time_zone: str | None = None


@dataclass(frozen=True)
class LoginEmailChanged:
    """Integration event: the person signs in with `new_email` from now on (ID-07)."""

    user_id: str
    old_email: str
    new_email: str


@dataclass(frozen=True)
class LanguageOrTimeZoneChanged:
    """Integration event: emails to the person are written in this language and zone (ID-05)."""

    user_id: str
    language: str
    time_zone: str | None


@dataclass(frozen=True)
class PersonRenamed:
    """Integration event: the person's name changed (ID-05); orgs shows it in member lists."""

    user_id: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class AccountClosureRequested:
    """Integration event: every service erases or anonymizes the person's data (ID-11)."""

    user_id: str
    closure_id: str


@dataclass(frozen=True)
class AccountClosed:
    """Integration event: the account is anonymized and can no longer sign in (ID-11)."""

    user_id: str


# Received from orgs: identity keeps its copy of memberships (the `org` and `roles` of tokens).
@dataclass(frozen=True)
class MemberJoined:
    org_id: str
    user_id: str
    role: str


@dataclass(frozen=True)
class MemberLeft:
    org_id: str
    user_id: str


# Received from every service holding personal data, once it has forgotten the person (ID-11).
@dataclass(frozen=True)
class PersonalDataErased:
    closure_id: str
    user_id: str


@dataclass(frozen=True)
class MemberRoleChanged:
    org_id: str
    user_id: str
    role: str


@dataclass(frozen=True)
class MemberBlocked:
    """Received from orgs: a blocked member's applications lose their access there (ID-13, OR-13)."""
    org_id: str
    user_id: str


@dataclass(frozen=True)
class OrganizationCreated:
    org_id: str
    name: str


@dataclass(frozen=True)
class OrganizationDetailsChanged:
    org_id: str
    name: str
