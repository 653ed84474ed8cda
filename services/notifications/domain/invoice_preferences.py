"""BI-16: an organization's invoice notification preferences: which invoice mails it gets (a new
invoice or credit note, a payment) and who receives them: its legal representatives, its
administrators, the members who hold the accounting right on billing (BI-15), members it names, its contacts by purpose (OR-17), extra addresses. Its legal
representatives and administrators read and set them; the mails follow them (catalogue.py)."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from portico_kernel.clock import utcnow
from portico_kernel.errors import invalid_field
from portico_kernel.principal import Principal

from .catalogue import Mail, invoice_addressees
from .history import administered_org
from .model import INVOICE_KINDS, LANGUAGES, InvoicePreferences

CONTACT_PURPOSES = ("support", "billing", "technical", "security", "data_protection", "general")  # orgs' (OR-17)
MAX_EXTRA_ADDRESSES = 5
MAX_MEMBERS = 50


def preferences_of(uow, caller: Principal) -> InvoicePreferences:
    """The active organization's preferences (the defaults until it chose), for its legal
    representatives and administrators."""
    org_id = administered_org(uow, caller)
    return uow.invoice_preferences.get(org_id) or InvoicePreferences(org_id=org_id, updated_at=None)


def recipients(uow, preferences: InvoicePreferences) -> list[Mail]:
    """Who the next invoice mail goes to, as the preferences and what is known now say (so the
    organization sees the effect of its choice, e.g. that it has no billing contact yet)."""
    return invoice_addressees(uow, preferences, "invoice-issued", {})


def _distinct(values: list) -> list:
    return list(dict.fromkeys(values))


def _checked(uow, org_id: str, body: dict) -> dict:
    """The fields of the body, each checked; nothing is changed before all are."""
    changes = {}
    if "kinds" in body:
        if any(kind not in INVOICE_KINDS for kind in body["kinds"]):
            raise invalid_field("kinds", f"each one of {', '.join(INVOICE_KINDS)}")
        changes["kinds"] = _distinct(body["kinds"])
    for flag in ("legal_representatives", "administrators", "accounting"):
        if flag in body:
            changes[flag] = bool(body[flag])
    if "members" in body:
        members = _distinct(body["members"])
        if len(members) > MAX_MEMBERS:
            raise invalid_field("members", f"at most {MAX_MEMBERS}")
        # Only the organization's own members: another organization's people are not named here.
        if any(uow.memberships.get(org_id, user_id) is None for user_id in members):
            raise invalid_field("members", "each a member of the organization")
        changes["members"] = members
    if "contacts" in body:
        if any(purpose not in CONTACT_PURPOSES for purpose in body["contacts"]):
            raise invalid_field("contacts", f"each one of {', '.join(CONTACT_PURPOSES)}")
        changes["contacts"] = _distinct(body["contacts"])
    if "extra_addresses" in body:
        addresses = {}
        for address in body["extra_addresses"]:
            try:
                normalized = validate_email(address, check_deliverability=False, test_environment=True).normalized
            except EmailNotValidError:
                raise invalid_field("extra_addresses", "each an email address") from None
            addresses.setdefault(normalized.lower(), normalized)
        if len(addresses) > MAX_EXTRA_ADDRESSES:
            raise invalid_field("extra_addresses", f"at most {MAX_EXTRA_ADDRESSES}")
        changes["extra_addresses"] = list(addresses.values())
    if "language" in body:
        if body["language"] is not None and body["language"] not in LANGUAGES:
            raise invalid_field("language", f"one of {', '.join(LANGUAGES)}")
        changes["language"] = body["language"]
    return changes


def set_preferences(uow, caller: Principal, body: dict) -> InvoicePreferences:
    """Replaces what the body names; a field left out stays as it was."""
    org_id = administered_org(uow, caller)
    changes = _checked(uow, org_id, body)
    preferences = uow.invoice_preferences.get(org_id)
    if preferences is None:
        preferences = InvoicePreferences(org_id=org_id)
        uow.invoice_preferences.add(preferences)
    for name, value in changes.items():
        setattr(preferences, name, value)
    preferences.updated_at = utcnow()
    uow.commit()
    return preferences
