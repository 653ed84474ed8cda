"""What tickets keeps of other services' events: the organizations' products, members' product
access (portico_kernel/access_model.py), who people are and where they belong."""
from __future__ import annotations

from .events import (
    LoginEmailChanged, MemberJoined, MemberLeft, MemberRemoved, PersonRenamed, ProductProvisioned,
    ProductRemoved, UserRegistered,
)


def email_key(email: str) -> str:
    return email.strip().casefold()


def on_product_provisioned(event: ProductProvisioned, uow) -> None:
    uow.products.add(event.org_id, event.product_type, event.product_id)


def on_product_removed(event: ProductRemoved, uow) -> None:
    uow.products.remove(event.org_id, event.product_type, event.product_id)


def on_user_registered(event: UserRegistered, uow) -> None:
    uow.people.put(event.user_id, email_key(event.email), f"{event.first_name} {event.last_name}".strip())


def on_login_email_changed(event: LoginEmailChanged, uow) -> None:
    uow.people.put(event.user_id, email_key=email_key(event.new_email))


def on_person_renamed(event: PersonRenamed, uow) -> None:
    uow.people.put(event.user_id, name=f"{event.first_name} {event.last_name}".strip())


def on_member_joined(event: MemberJoined, uow) -> None:
    uow.people.join(event.org_id, event.user_id)


def on_member_left(event: MemberLeft | MemberRemoved, uow) -> None:
    uow.people.leave(event.org_id, event.user_id)
