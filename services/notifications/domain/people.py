"""Who receives what, learnt from events and never by calls: each person's email, name, language
and time zone (identity), each organization's members and roles (orgs). And ID-11: a person who
closes their account is forgotten here too, mails included."""
from __future__ import annotations

from portico_kernel.clock import parse_iso

from .events import (AccountClosureRequested, AlertChoicesChanged, ContactAdded, ContactRemoved, LanguageOrTimeZoneChanged,
                     LoginEmailChanged, MemberJoined, MemberLeft, MemberRoleChanged, OrganizationDeleted, PersonalDataErased,
                     PersonRenamed,
                     StaffAccountCreated, UserRegistered)
from .model import LANGUAGES, AlertChoices, Contact, Membership, Person

LEGAL_REPRESENTATIVE = "legal_representative"
ADMINISTRATOR = "administrator"
ADMINISTRATORS = (LEGAL_REPRESENTATIVE, ADMINISTRATOR)  # who runs an organization's mail (ID-14, ID-15)


def heard_of(uow, user_id: str, *, email: str | None = None, language: str | None = None,
             first_name: str | None = None, time_zone: str | None = None) -> Person | None:
    """Keeps what an event says of a person; an event that names no email only updates a known one."""
    person = uow.people.get(user_id)
    if person is None:
        if email is None:
            return None
        person = Person(user_id=user_id, email=email)
        uow.people.add(person)
    if email is not None:
        person.email = email
    if language in LANGUAGES:
        person.language = language
    if first_name is not None:
        person.first_name = first_name
    if time_zone is not None:
        person.time_zone = time_zone
    return person


def on_user_registered(user: UserRegistered, uow) -> None:
    heard_of(uow, user.user_id, email=user.email, language=user.language, first_name=user.first_name)


def on_login_email_changed(change: LoginEmailChanged, uow) -> None:
    heard_of(uow, change.user_id, email=change.new_email)


def on_language_or_time_zone_changed(change: LanguageOrTimeZoneChanged, uow) -> None:
    person = heard_of(uow, change.user_id, language=change.language)
    if person is not None:
        person.time_zone = change.time_zone  # None: the person chose none any more


def on_person_renamed(renamed: PersonRenamed, uow) -> None:
    heard_of(uow, renamed.user_id, first_name=renamed.first_name)


def on_member_joined(joined: MemberJoined, uow) -> None:
    membership = uow.memberships.get(joined.org_id, joined.user_id)
    if membership is None:
        uow.memberships.add(Membership(org_id=joined.org_id, user_id=joined.user_id, role=joined.role))
    else:
        membership.role = joined.role


def on_member_role_changed(changed: MemberRoleChanged, uow) -> None:
    """OR-04, OR-05: the member's role decides the organization mails they get from now on (a new
    legal representative gets the details summary, OR-14)."""
    on_member_joined(MemberJoined(org_id=changed.org_id, user_id=changed.user_id, role=changed.role), uow)


def on_staff_account_created(staff: StaffAccountCreated, uow) -> None:
    """The provider's staff are known (address, name, language) before their first mail."""
    heard_of(uow, staff.user_id, email=staff.email, language=staff.language, first_name=staff.first_name)


def on_alert_choices_changed(changed: AlertChoicesChanged, uow) -> None:
    """ID-04: the latest choice counts; an older one delivered late changes nothing."""
    at = parse_iso(changed.changed_at)
    choices = uow.alert_choices.get(changed.user_id)
    if choices is None:
        uow.alert_choices.add(AlertChoices(user_id=changed.user_id, new_sign_in_location=changed.new_sign_in_location,
                                           wrong_password=changed.wrong_password, changed_at=at))
    elif choices.changed_at <= at:
        choices.new_sign_in_location, choices.wrong_password = changed.new_sign_in_location, changed.wrong_password
        choices.changed_at = at


def wants_alert(uow, user_id: str, alert: str) -> bool:
    """ID-04: only the optional alerts can be switched off (model.OPTIONAL_ALERTS)."""
    choices = uow.alert_choices.get(user_id)
    return choices is None or choices.wants(alert)


def on_contact_added(added: ContactAdded, uow) -> None:
    """OR-17: the organization's named contact, to address its mails by purpose."""
    contact = uow.contacts.get(added.contact_id)
    if contact is None:
        uow.contacts.add(Contact(id=added.contact_id, org_id=added.org_id, purpose=added.purpose, name=added.name,
                                 email=added.email))
    elif contact.org_id == added.org_id:
        contact.purpose, contact.name, contact.email = added.purpose, added.name, added.email


def on_contact_removed(removed: ContactRemoved, uow) -> None:
    contact = uow.contacts.get(removed.contact_id)
    if contact is not None and contact.org_id == removed.org_id:
        uow.contacts.remove(removed.contact_id)


def on_organization_deleted(deleted: OrganizationDeleted, uow) -> None:
    """OR-15: nothing of a deleted organization is kept to send mail with: its members, its contacts'
    addresses, its invoice preferences and its mail server (with the password). The mails already
    sent stay in their recipients' histories."""
    for repository in (uow.memberships, uow.contacts, uow.invoice_preferences, uow.smtp_servers):
        repository.erase_org(deleted.org_id)


def on_member_left(left: MemberLeft, uow) -> None:
    uow.memberships.remove(left.org_id, left.user_id)


def role_in(uow, org_id: str, user_id: str) -> str | None:
    membership = uow.memberships.get(org_id, user_id)
    return membership.role if membership else None


def on_account_closure_requested(closing: AccountClosureRequested, uow) -> None:
    """ID-11: every mail sent to the person, what was known of them and their memberships are
    erased; then identity is told."""
    uow.emails.erase_person(closing.user_id)
    uow.memberships.erase_person(closing.user_id)
    uow.alert_choices.erase(closing.user_id)
    uow.people.erase(closing.user_id)
    uow.emit(PersonalDataErased(closure_id=closing.closure_id, user_id=closing.user_id, service="notifications"))
