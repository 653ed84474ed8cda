"""A person's own account details: profile (ID-05, ID-12), default link expiry (ID-16), recovery
contacts (ID-06) and the login email (ID-07)."""
from __future__ import annotations

import secrets
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import phonenumbers
import pycountry

from portico_kernel.errors import Conflict, Forbidden, Invalid, NotFound, invalid_field
from portico_kernel.clock import iso_utc, utcnow

from . import security
from .emails import checked_email
from .events import EmailChangeRequested, LanguageOrTimeZoneChanged, LoginEmailChanged, PersonRenamed
from .model import User, email_key, hash_token, new_id, unreadable_character
from .passwords import PasswordHasher

LANGUAGES = ("de", "en", "fr", "it")
# ID-16: links that expire (invitations, shared access, verification links) last this long unless
# the account chose otherwise.
DEFAULT_LINK_EXPIRY_DAYS = 60
LINK_EXPIRY_RANGE = (1, 365)
TIME_ZONES = frozenset(zoneinfo.available_timezones())


@dataclass(eq=False)
class AccountSettings:
    """What a person set for their account beyond the profile on `User`."""

    user_id: str
    link_expiry_days: int = DEFAULT_LINK_EXPIRY_DAYS
    recovery_phone_country_code: str | None = None  # calling code without "+", e.g. "41"
    recovery_phone_number: str | None = None  # E.164, e.g. "+41791234567"
    recovery_email: str | None = None
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class EmailChange:
    """A requested new login email, waiting for its owner to open the link sent there (ID-07)."""

    id: str
    user_id: str
    new_email: str
    expires_at: datetime
    status: str = "pending"  # pending, confirmed, superseded
    token_hash: str | None = None  # set when the link is sent
    requested_at: datetime = field(default_factory=utcnow)
    confirmed_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def confirmed_account(uow, hasher: PasswordHasher, user_id: str, password: str) -> User:
    """ID-06, ID-07, ID-08, ID-11: security changes are confirmed with the current password.
    The hash takes a tenth of a second: no transaction is held meanwhile (on SQLite, the write lock)."""
    user = account_of(uow, user_id)
    uow.commit()
    if not hasher.verify(user.password_hash, password):
        raise Forbidden("The password is wrong.", problem="wrong-password",
                        invalid_params=[{"name": "password", "reason": "does not match the account's password"}])
    return user


def account_of(uow, user_id: str) -> User:
    user = uow.users.get(user_id)
    if user is None or user.status != "active":
        raise NotFound("This account does not exist (any more).")
    return user


def settings_of(uow, user_id: str) -> AccountSettings:
    settings = uow.account_settings.get(user_id)
    if settings is None:
        settings = AccountSettings(user_id=user_id)
        uow.account_settings.add(settings)
    return settings


def checked_name(value: str, field: str) -> str:
    """A first or last name: not blank, no control characters or lone surrogates."""
    value = value.strip()
    if not value:
        raise invalid_field(field, "must not be blank")
    if (character := unreadable_character(value)) is not None:
        raise invalid_field(field, f"contains a control character or lone surrogate ({character})")
    return value


def _country(code: str | None) -> str | None:
    if code is None:
        return None
    if pycountry.countries.get(alpha_2=code.upper()) is None:
        raise invalid_field("country", f"{code} is not an ISO 3166-1 alpha-2 country code")
    return code.upper()


def update_profile(uow, user_id: str, changes: dict) -> tuple[User, AccountSettings]:
    """ID-05, ID-12: name, language, country, time zone; ID-16: the account's default link expiry."""
    user = account_of(uow, user_id)
    settings = settings_of(uow, user_id)
    name_before, place_before = (user.first_name, user.last_name), (user.language, user.time_zone)
    for name in ("first_name", "last_name"):
        if name in changes:
            setattr(user, name, checked_name(changes[name], name))
    if (user.first_name, user.last_name) != name_before:
        uow.emit(PersonRenamed(user_id=user.id, first_name=user.first_name, last_name=user.last_name))
    if "language" in changes:
        if changes["language"] not in LANGUAGES:
            raise invalid_field("language", f"one of {', '.join(LANGUAGES)}")
        user.language = changes["language"]
    if "country" in changes:
        user.country = _country(changes["country"])
    if "time_zone" in changes:
        zone = changes["time_zone"]
        if zone is not None and zone not in TIME_ZONES:
            raise invalid_field("time_zone", f"{zone} is not an IANA time zone (e.g. Europe/Zurich)")
        user.time_zone = zone
    if "link_expiry_days" in changes:
        days = changes["link_expiry_days"]
        low, high = LINK_EXPIRY_RANGE
        if not low <= days <= high:
            raise invalid_field("link_expiry_days", f"between {low} and {high} days")
        settings.link_expiry_days = days
    if (user.language, user.time_zone) != place_before:
        uow.emit(LanguageOrTimeZoneChanged(user_id=user.id, language=user.language, time_zone=user.time_zone))
    settings.updated_at = utcnow()
    uow.commit()
    return user, settings


def _recovery_phone(phone: dict | None) -> tuple[str | None, str | None]:
    if phone is None:
        return None, None
    code = phone["country_code"].lstrip("+")
    try:
        number = phonenumbers.parse(f"+{code}{phone['number']}")
    except phonenumbers.NumberParseException as exc:
        raise invalid_field("recovery_phone", str(exc)) from exc
    if str(number.country_code) != code or not phonenumbers.is_valid_number(number):
        raise invalid_field("recovery_phone", f"+{code} {phone['number']} is not a valid phone number")
    return code, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def set_recovery_contacts(uow, hasher: PasswordHasher, user_id: str, *, password: str,
                          recovery_phone: dict | None, recovery_email: str | None) -> AccountSettings:
    """ID-06: the recovery phone (country code + number) and recovery email; the password is required."""
    user = confirmed_account(uow, hasher, user_id, password)
    code, number = _recovery_phone(recovery_phone)
    if recovery_email is not None:
        recovery_email = checked_email(recovery_email, "recovery_email")
        # A recovery address that is the login itself recovers nothing (see also ID-07).
        if email_key(recovery_email) == user.email_key:
            raise invalid_field("recovery_email", "must differ from the login email")
    settings = settings_of(uow, user_id)
    settings.recovery_phone_country_code, settings.recovery_phone_number = code, number
    settings.recovery_email = recovery_email
    settings.updated_at = utcnow()
    # Whoever controls the recovery contacts can take the account over: the owner hears of it (ID-04).
    security.record(uow, user, "recovery-contacts-changed", alert="recovery-contacts-changed")
    uow.commit()
    return settings


def _check_new_login(uow, user: User, new_email: str) -> None:
    key = email_key(new_email)
    if key == user.email_key:
        raise invalid_field("new_email", "is the login email already")
    settings = uow.account_settings.get(user.id)
    if settings is not None and settings.recovery_email and email_key(settings.recovery_email) == key:
        raise invalid_field("new_email", "must differ from the recovery email")
    if uow.users.by_email_key(key) is not None:
        raise Conflict("Another account signs in with this email address.", problem="email-taken")


def request_email_change(uow, hasher: PasswordHasher, user_id: str, *, new_email: str, password: str) -> EmailChange:
    """ID-07: the new login email must differ from the recovery email and from every other
    account's login (any letter case); the password is required; the address is verified by a
    link sent there, valid for the account's link expiry (ID-16)."""
    new_email = checked_email(new_email, "new_email")
    user = confirmed_account(uow, hasher, user_id, password)
    _check_new_login(uow, user, new_email)
    for earlier in uow.email_changes.pending_of(user_id):
        earlier.status = "superseded"
    now = utcnow()
    change = EmailChange(id=new_id(), user_id=user_id, new_email=new_email, requested_at=now,
                         expires_at=now + timedelta(days=settings_of(uow, user_id).link_expiry_days))
    # The link's secret travels once, to the notifications service that mails it; identity keeps
    # only its hash, and the link works once, until it expires.
    token = secrets.token_urlsafe(32)
    change.token_hash = hash_token(token)
    uow.email_changes.add(change)
    uow.emit(EmailChangeRequested(user_id=user_id, email_change_id=change.id, new_email=new_email,
                                  language=user.language, first_name=user.first_name, token=token,
                                  expires_at=iso_utc(change.expires_at), time_zone=user.time_zone))
    uow.commit()
    return change


def confirm_email_change(uow, user_id: str | None, *, token: str) -> User:
    """ID-07: opening the link switches the login email; each link works once, until it expires.
    The link alone proves the new mailbox (the change itself needed the password): from the page
    the link opens, `user_id` is None; signed in, it must be the person's own link."""
    change = uow.email_changes.by_token_hash(hash_token(token))
    if change is None or (user_id is not None and change.user_id != user_id) or change.status != "pending":
        raise Invalid("This link is not valid (any more).", problem="invalid-link")
    if change.expired(utcnow()):
        raise Invalid("This link has expired; request the change again.", problem="link-expired")
    user = account_of(uow, change.user_id)
    _check_new_login(uow, user, change.new_email)
    # The alert goes to the old address: if this was not its owner, they still hear of it (ID-04).
    security.record(uow, user, "login-email-changed", details={"new_email": change.new_email},
                    alert="login-email-changed")
    old_email = user.email
    user.email, user.email_key = change.new_email, email_key(change.new_email)
    change.status, change.confirmed_at = "confirmed", utcnow()
    uow.emit(LoginEmailChanged(user_id=user.id, old_email=old_email, new_email=user.email))
    uow.commit()
    return user
