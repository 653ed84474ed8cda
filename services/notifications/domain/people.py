"""Who receives what, learnt from events and never by calls: each person's email, name, language
and time zone (identity), each organization's members and roles (orgs). And ID-11: a person who
closes their account is forgotten here too, mails included."""
from __future__ import annotations

from .events import (AccountClosureRequested, LanguageOrTimeZoneChanged, LoginEmailChanged, MemberJoined, MemberLeft, PersonalDataErased,
                     PersonRenamed, UserRegistered)
from .model import LANGUAGES, Membership, Person

LEGAL_REPRESENTATIVE = "legal_representative"
ADMINISTRATORS = (LEGAL_REPRESENTATIVE, "administrator")  # who runs an organization's mail (ID-14, ID-15)


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
    uow.people.erase(closing.user_id)
    uow.emit(PersonalDataErased(closure_id=closing.closure_id, user_id=closing.user_id, service="notifications"))
