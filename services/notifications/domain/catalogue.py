"""Which events become which emails: adding an email is a template (templates/<language>/<kind>.txt
and .html) and one entry in MAILS, from the event's record to the mails it asks for. Nothing else
changes: queueing, rendering, delivery, retries and the history are the same for every email.

A new email is a mapping such as `invoice_issued` below, plus templates/<language>/<kind>.txt and
.html, the record in events.py and the `receive` operation in the AsyncAPI document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable

from portico_kernel.product_access import ACCOUNTING, BILLING, allows

from . import people
from .events import (DirectDebitReturned, DomainAuthCodeIssued, DomainExpiring, DomainOwnerChangeRequested,
                     DomainOwnerChanged, EmailChangeRequested, EmergencyReported, InvoiceIssued,
                     InvoiceOverdue, InvoicePaid, InvoicesExported, OrganizationDetailsChanged,
                     ProductStateChanged, SecurityAlertRaised, SecurityWarningRequested, ServiceSuspended,
                     TicketReplied, UserInvited)
from .model import DEFAULT_LANGUAGE, INVOICE_ISSUED, INVOICE_PAID, LANGUAGES, InvoicePreferences


@dataclass(frozen=True)
class Mail:
    """One email an event asks for, before it is rendered."""

    kind: str  # the template's name
    recipient: str
    language: str
    context: dict  # what the template shows
    user_id: str | None = None
    org_id: str | None = None
    topic: str | None = None
    time_zone: str | None = None
    secrets: dict = field(default_factory=dict)  # shown in the mail sent, masked in the history
    security: bool = False  # a security mail always goes through the provider's server (ID-15)
    attachment: tuple[str, str] | None = None  # (file name, text) sent with it, e.g. a CSV
    reply_to: str | None = None  # Reply-To: where the recipient's answer goes (a ticket's address, TI-01)


def to_person(uow, user_id: str, kind: str, context: dict, *, org_id: str | None = None,
              topic: str | None = None) -> list[Mail]:
    """A mail to a person the service knows (from identity's events), in their language and zone."""
    person = uow.people.get(user_id)
    if person is None:
        return []
    return [Mail(kind, person.email, person.language, {"first_name": person.first_name, **context},
                 user_id=person.user_id, org_id=org_id, topic=topic, time_zone=person.time_zone)]


def to_administrators(uow, org_id: str, kind: str, context: dict, *, topic: str | None = None) -> list[Mail]:
    """A mail about an organization to each of its legal representatives and administrators (from
    orgs' events), each in their own language; it goes through the organization's own server when
    it has one (ID-15) and is in the organization's history (ID-14)."""
    return [mail for membership in uow.memberships.of_org(org_id) if membership.role in people.ADMINISTRATORS
            for mail in to_person(uow, membership.user_id, kind, context, org_id=org_id, topic=topic)]


def to_address(uow, email: str, language: str | None, kind: str, context: dict, *, otherwise: str = DEFAULT_LANGUAGE,
               org_id: str | None = None, topic: str | None = None, secrets: dict | None = None) -> list[Mail]:
    """A mail to an address that may have no account yet (an invitee): in the language the event
    names, else the person's own when the address is someone the service knows (who then finds it
    in their history, ID-14), else `otherwise`. An address that gets an account later does not
    see the mail sent before in its own history (the organization's history has it)."""
    person = uow.people.by_email(email)
    if language not in LANGUAGES:
        language = person.language if person is not None else otherwise
    return [Mail(kind, email, language, context, user_id=person.user_id if person else None, org_id=org_id,
                 topic=topic, time_zone=person.time_zone if person else None, secrets=dict(secrets or {}))]


def to_members(uow, org_id: str, kind: str, context: dict, *, roles: tuple[str, ...] | None = None,
               topic: str | None = None) -> list[Mail]:
    """A mail about an organization to each of its members (or those in `roles`), each in their own
    language, in the organization's history (ID-14)."""
    return [mail for membership in uow.memberships.of_org(org_id) if roles is None or membership.role in roles
            for mail in to_person(uow, membership.user_id, kind, context, org_id=org_id, topic=topic)]


def _name_of(uow, user_id: str) -> str:
    person = uow.people.get(user_id)
    return person.first_name if person is not None and person.first_name else ""


def invitation(invited: UserInvited, uow) -> list[Mail]:
    """OR-03, ID-16: the invitation link goes to the invited address, in the invitee's language when
    the address has an account, else the inviter's; the organization's administrators see it in the
    organization's history."""
    context = {"organization_name": invited.organization_name, "inviter_name": invited.inviter_name,
               "role": invited.role, "expires_at": invited.expires_at, "email": invited.email}
    return to_address(uow, invited.email, invited.invitee_language, "invitation", context,
                      otherwise=invited.inviter_language, org_id=invited.org_id, topic=invited.role, secrets={"token": invited.token})


def security_warning(warning: SecurityWarningRequested, uow) -> list[Mail]:
    """OR-11: the member without 2FA is asked to set it up, in their language, at their login email;
    it is a security mail, so it goes through the provider's server (ID-15)."""
    person = uow.people.get(warning.user_id)
    context = {"organization_name": warning.organization_name, "requester_name": warning.requester_name,
               "first_name": person.first_name if person is not None and person.first_name else ""}
    return [Mail("security-warning", warning.email, warning.language, context, user_id=warning.user_id,
                 org_id=warning.org_id, topic=warning.reason, time_zone=person.time_zone if person else None,
                 security=True)]


MAIL_PRODUCT = "mailbox"  # a mail product has a maintenance mode instead of a lock (OR-12)


def product_state(changed: ProductStateChanged, uow) -> list[Mail]:
    """OR-12: every member hears that a product's management was locked or unlocked, or that a mail
    product went into or out of maintenance."""
    if changed.product_type == MAIL_PRODUCT:
        state = "maintenance" if changed.maintenance else "maintenance-ended"
    else:
        state = "locked" if changed.locked else "unlocked"
    context = {"state": state, "product_type": changed.product_type, "product_id": changed.product_id,
               "changed_by_name": _name_of(uow, changed.changed_by)}
    return to_members(uow, changed.org_id, "product-state", context, topic=state)


def details_changed(changed: OrganizationDetailsChanged, uow) -> list[Mail]:
    """OR-14: the legal representatives get a summary naming the fields that changed."""
    context = {"organization_name": changed.name, "changed_fields": list(changed.changed_fields),
               "changed_by_name": _name_of(uow, changed.changed_by)}
    return to_members(uow, changed.org_id, "organization-details", context, roles=(people.LEGAL_REPRESENTATIVE,))


def security_alert(alert: SecurityAlertRaised, uow) -> list[Mail]:
    """ID-02, ID-03: identity raises every alert; it goes to the owner's login email unless it is
    one of the optional alerts and the owner switched it off (ID-04)."""
    people.heard_of(uow, alert.user_id, email=alert.email, language=alert.language,
                    first_name=alert.first_name, time_zone=alert.time_zone)
    wanted = alert.mail if alert.mail is not None else people.wants_alert(uow, alert.user_id, alert.alert)
    if not wanted:
        return []
    context = {"alert": alert.alert, "occurred_at": alert.occurred_at, "details": dict(alert.details),
               "first_name": alert.first_name or ""}
    return [Mail("security-alert", alert.email, alert.language, context, user_id=alert.user_id, topic=alert.alert,
                 time_zone=alert.time_zone, security=True)]


def email_change(change: EmailChangeRequested, uow) -> list[Mail]:
    """ID-07: the link that verifies a new login email goes to the new address, never the old one."""
    people.heard_of(uow, change.user_id, language=change.language, first_name=change.first_name,
                    time_zone=change.time_zone)
    context = {"first_name": change.first_name, "expires_at": change.expires_at}
    return [Mail("email-change", change.new_email, change.language, context, user_id=change.user_id,
                 time_zone=change.time_zone, secrets={"token": change.token}, security=True)]


def to_invoice_recipients(uow, org_id: str, wanted: str, kind: str, context: dict, *, topic: str | None) -> list[Mail]:
    """BI-16: the organization's invoice mails of the `wanted` kind (issued, paid), if it wants them."""
    preferences = uow.invoice_preferences.get(org_id) or InvoicePreferences(org_id=org_id)
    if wanted not in preferences.kinds:
        return []
    return invoice_addressees(uow, preferences, kind, context, topic=topic)


def keeps_the_books(uow, org_id: str, user_id: str) -> bool:
    """A member orgs granted the accounting right on the organization's billing (BI-15), decided as
    billing decides who sees it (portico_kernel/product_access.py)."""
    return allows(uow.member_access.get(org_id, user_id) or (), BILLING, org_id, ACCOUNTING)


def invoice_addressees(uow, preferences: InvoicePreferences, kind: str, context: dict, *,
                       topic: str | None = None) -> list[Mail]:
    """BI-16: whom the preferences name (legal representatives, administrators, named members, the
    organization's contacts by purpose (OR-17), extra addresses), each address once, each person in
    their own language; addresses without an account in the preferences' language, else the first
    legal representative's. Through the organization's own server when it has one (ID-15)."""
    org_id = preferences.org_id
    roles = {people.LEGAL_REPRESENTATIVE} if preferences.legal_representatives else set()
    if preferences.administrators:
        roles.add(people.ADMINISTRATOR)
    memberships = uow.memberships.of_org(org_id)

    def chosen(membership) -> bool:
        return (membership.role in roles or membership.user_id in preferences.members
                or (preferences.accounting and keeps_the_books(uow, org_id, membership.user_id)))

    mails = [mail for membership in memberships if chosen(membership)
             for mail in to_person(uow, membership.user_id, kind, context, org_id=org_id, topic=topic)]
    language = preferences.language
    if language not in LANGUAGES:
        known = [person for person in (uow.people.get(m.user_id) for m in memberships
                                       if m.role == people.LEGAL_REPRESENTATIVE) if person is not None]
        language = known[0].language if known else DEFAULT_LANGUAGE
    contacts = [contact.email for contact in uow.contacts.of_org(org_id, list(preferences.contacts))] if preferences.contacts else []
    for address in [*contacts, *preferences.extra_addresses]:
        mails += to_address(uow, address, None, kind, {"first_name": "", **context}, otherwise=language, org_id=org_id,
                            topic=topic)
    once, seen = [], set()
    for mail in mails:
        if mail.recipient.lower() not in seen:
            seen.add(mail.recipient.lower())
            once.append(mail)
    return once


def _total(total: dict) -> dict:
    return {"amount_minor": int(total["amount_minor"]), "currency": total["currency"]}


def invoice_issued(invoice: InvoiceIssued, uow) -> list[Mail]:
    """BI-16, BI-06: an invoice or credit note was issued to the organization."""
    context = {"invoice_id": invoice.invoice_id, "number": invoice.number, "document": invoice.kind,
               "issued_at": invoice.issued_at, "due_on": invoice.due_on, **_total(invoice.total)}
    return to_invoice_recipients(uow, invoice.org_id, INVOICE_ISSUED, "invoice-issued", context, topic=invoice.kind)


def invoice_paid(paid: InvoicePaid, uow) -> list[Mail]:
    """BI-16: the organization's invoice is paid in full."""
    context = {"invoice_id": paid.invoice_id, "number": paid.number, "paid_at": paid.paid_at, **_total(paid.total)}
    return to_invoice_recipients(uow, paid.org_id, INVOICE_PAID, "invoice-paid", context, topic="invoice")


def to_whom_invoices_go(uow, org_id: str, kind: str, context: dict, *, topic: str | None) -> list[Mail]:
    """BI-16: mails about what the organization owes go to whom its preferences name, whichever
    kinds of invoice mail it chose: a reminder or a suspension is not a mail one opts out of."""
    preferences = uow.invoice_preferences.get(org_id) or InvoicePreferences(org_id=org_id)
    return invoice_addressees(uow, preferences, kind, context, topic=topic)


def invoice_overdue(overdue: InvoiceOverdue, uow) -> list[Mail]:
    """BI-16, dunning: a reminder of an invoice unpaid past its due date, naming what is owed, how
    to pay it and when the services are suspended."""
    outstanding = _total(overdue.outstanding)
    context = {"invoice_id": overdue.invoice_id, "number": overdue.number, "level": int(overdue.level),
               "due_on": overdue.due_on, "suspend_on": overdue.suspend_on,
               "payment_reference": overdue.payment_reference, **outstanding}
    return to_whom_invoices_go(uow, overdue.org_id, "invoice-overdue", context, topic=f"level-{int(overdue.level)}")


def service_suspended(suspended: ServiceSuspended, uow) -> list[Mail]:
    """Dunning: a product is suspended because an invoice for it stays unpaid."""
    context = {"product_type": suspended.product_type, "product_id": suspended.product_id,
               "invoice_id": suspended.invoice_id, "suspended_at": suspended.suspended_at}
    return to_whom_invoices_go(uow, suspended.org_id, "service-suspended", context, topic=suspended.product_type)


def direct_debit_returned(returned: DirectDebitReturned, uow) -> list[Mail]:
    """BI-08: the bank returned a direct debit; the invoice is open again and is to be paid otherwise."""
    context = {"invoice_id": returned.invoice_id, "number": returned.number, "reason_code": returned.reason_code,
               "reason": returned.reason or "", "returned_on": returned.returned_on, **_total(returned.amount)}
    return to_whom_invoices_go(uow, returned.org_id, "direct-debit-returned", context, topic=returned.reason_code)


def invoices_exported(exported: InvoicesExported, uow) -> list[Mail]:
    """BI-13: the set of invoices a person asked for, mailed to them as a CSV file."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", exported.file_name)[:100]
    mails = to_person(uow, exported.requested_by, "invoices-exported", {"count": exported.invoice_count, "file_name": name},
                      org_id=exported.org_id)
    return [replace(mail, attachment=(name, exported.csv)) for mail in mails]


def domain_expiring(expiring: DomainExpiring, uow) -> list[Mail]:
    """DO-04: the organization's owners (legal representatives and administrators) hear that a domain
    expires: about a month and a week before, and once after expiry if it was not renewed; whether it
    renews by itself, until when it can be renewed and until when restored."""
    context = {"domain": expiring.domain, "expires_on": expiring.expires_on, "notice": expiring.notice,
               "after_expiry": expiring.notice == "after_expiry", "auto_renew": bool(expiring.auto_renew),
               "renewal_warranty": bool(expiring.renewal_warranty), "renew_by": expiring.renew_by,
               "restore_by": expiring.restore_by, "domain_id": expiring.domain_id}
    return to_administrators(uow, expiring.org_id, "domain-expiring", context, topic=expiring.notice)
def ticket_replied(replied: TicketReplied, uow) -> list[Mail]:
    """TI-01: support's answer to a ticket goes to the person who opened it, in their language; their
    email answer goes to the ticket's own address (Reply-To) and lands in the ticket's thread."""
    context = {"ticket_id": replied.ticket_id, "number": replied.number, "subject": replied.subject,
               "body": replied.body, "attachments": replied.attachments}
    return [replace(mail, reply_to=replied.reply_to)
            for mail in to_person(uow, replied.user_id, "ticket-replied", context, org_id=replied.org_id,
                                  topic=replied.department)]


def _to_registrant_or_administrators(uow, email: str | None, language: str | None, org_id: str, kind: str,
                                     context: dict, *, topic: str, secrets: dict | None = None) -> list[Mail]:
    """DO-01: a mail for a domain's registrant; when domains knows no registrant address, the
    organization's legal representatives and administrators get it."""
    if email:
        return to_address(uow, email, language, kind, {"first_name": context.get("registrant_name", ""), **context},
                          org_id=org_id, topic=topic, secrets=secrets)
    return [replace(mail, secrets=dict(secrets or {})) for mail in to_administrators(uow, org_id, kind, context, topic=topic)]


def domain_auth_code(issued: DomainAuthCodeIssued, uow) -> list[Mail]:
    """DO-01: the transfer auth code goes to the registrant; the history shows it masked."""
    context = {"domain": issued.domain, "domain_id": issued.domain_id, "registrant_name": issued.registrant_name,
               "valid_until": issued.valid_until}
    return _to_registrant_or_administrators(uow, issued.registrant_email, issued.language, issued.org_id,
                                            "domain-auth-code", context, topic=issued.domain,
                                            secrets={"auth_code": issued.auth_code})


def domain_owner_change(requested: DomainOwnerChangeRequested, uow) -> list[Mail]:
    """DO-01: the new registrant confirms the change of owner by the link, which only they get."""
    context = {"domain": requested.domain, "domain_id": requested.domain_id,
               "registrant_name": requested.registrant_name, "expires_at": requested.expires_at}
    return to_address(uow, requested.registrant_email, requested.language, "domain-owner-change",
                      {"first_name": requested.registrant_name, **context}, org_id=requested.org_id,
                      topic=requested.domain, secrets={"token": requested.token})


def domain_owner_changed(changed: DomainOwnerChanged, uow) -> list[Mail]:
    """DO-01: the new registrant and the organization's administrators hear that the registry holds
    the domain for the new registrant, and until when it cannot move to another registrar."""
    context = {"domain": changed.domain, "domain_id": changed.domain_id, "registrant_name": changed.registrant_name,
               "changed_at": changed.changed_at, "transfer_locked_until": changed.transfer_locked_until}
    mails = to_address(uow, changed.registrant_email, changed.language, "domain-owner-changed",
                       {"first_name": changed.registrant_name, **context}, org_id=changed.org_id, topic=changed.domain)
    mails += [m for m in to_administrators(uow, changed.org_id, "domain-owner-changed", context, topic=changed.domain)
              if m.recipient.lower() != changed.registrant_email.lower()]
    return mails


def emergency_reported(reported: EmergencyReported, uow, *, on_call: str | None) -> list[Mail]:
    """TI-03: a critical ticket is escalated at once, day and night: the provider's on-call address
    (PORTICO_ONCALL_EMAIL) hears of the emergency, in the provider's language."""
    if not on_call:
        return []
    context = {"ticket_id": reported.ticket_id, "ticket_number": reported.ticket_number,
               "department": reported.department, "emergency_kind": reported.emergency_kind,
               "subject": reported.subject, "reported_at": reported.reported_at, "first_name": ""}
    return [Mail("emergency-reported", on_call, DEFAULT_LANGUAGE, context, org_id=None, topic=reported.emergency_kind)]


# Event types whose mails go to an address of the provider's settings: wired by mailing.handlers.
PROVIDER_MAILS = {"EmergencyReported": emergency_reported}

# Event type -> the mails it asks for. Every kind here has a template in every language.
MAILS: dict[str, Callable[..., list[Mail]]] = {
    "SecurityAlertRaised": security_alert,
    "EmailChangeRequested": email_change,
    "UserInvited": invitation,
    "SecurityWarningRequested": security_warning,
    "ProductStateChanged": product_state,
    "OrganizationDetailsChanged": details_changed,
    "InvoiceIssued": invoice_issued,
    "InvoicePaid": invoice_paid,
    "InvoicesExported": invoices_exported,
    "InvoiceOverdue": invoice_overdue,
    "ServiceSuspended": service_suspended,
    "DirectDebitReturned": direct_debit_returned,
    "DomainExpiring": domain_expiring,
    "TicketReplied": ticket_replied,
    "DomainAuthCodeIssued": domain_auth_code,
    "DomainOwnerChangeRequested": domain_owner_change,
    "DomainOwnerChanged": domain_owner_changed,
}
# Kinds queued by the service itself rather than by an event.
OWN_KINDS = ("smtp-test",)
KINDS = ("security-alert", "email-change", "invitation", "security-warning", "product-state", "organization-details",
         "invoice-issued", "invoice-paid", "invoices-exported", "invoice-overdue", "service-suspended",
         "direct-debit-returned", "domain-expiring", "ticket-replied",
         "domain-auth-code", "domain-owner-change", "domain-owner-changed", "emergency-reported", *OWN_KINDS)
