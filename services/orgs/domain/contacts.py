"""OR-17: named contacts of an organization (where support emails go, who handles billing …) and
OR-14: extra billing addresses. Members read them; administrators and legal representatives keep them."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from portico_kernel.errors import Invalid, NotFound
from portico_kernel.paging import ALL, Page, PageRequest
from portico_kernel.principal import Principal

from .details import checked_phone
from .events import ContactAdded, ContactRemoved
from .model import CONTACT_PURPOSES, BillingAddress, Contact, new_id
from .organizations import managing, visible_to


def checked_email(email: str) -> str:
    try:
        # as identity checks login addresses: no DNS, and the reserved .test domain is accepted for test systems
        return validate_email(email, check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError:
        raise Invalid("Not a valid email address.", invalid_params=[{"name": "email", "reason": "not an email address"}]) from None


def add_contact(uow, caller: Principal, org_id: str, purpose: str, name: str, email: str, phone: str | None) -> Contact:
    managing(uow, caller, org_id)
    if purpose not in CONTACT_PURPOSES:
        raise Invalid("Unknown purpose.", invalid_params=[{"name": "purpose", "reason": "unknown"}])
    if not name.strip():
        raise Invalid("A contact needs a name.", invalid_params=[{"name": "name", "reason": "empty"}])
    contact = Contact(id=new_id(), org_id=org_id, purpose=purpose, name=name.strip(), email=checked_email(email),
                      phone=checked_phone(phone) if phone else None, created_at=uow.clock.now())
    uow.contacts.add(contact)
    uow.emit(ContactAdded(contact_id=contact.id, org_id=org_id, purpose=contact.purpose, name=contact.name,
                          email=contact.email), org_id=org_id)
    uow.commit()
    return contact


def contacts_of(uow, caller: Principal, org_id: str, page: PageRequest = ALL) -> Page[Contact]:
    visible_to(uow, caller, org_id)
    return uow.contacts.of_organization(org_id, page)


def remove_contact(uow, caller: Principal, org_id: str, contact_id: str) -> None:
    managing(uow, caller, org_id)
    contact = uow.contacts.get(contact_id)
    if contact is None or contact.org_id != org_id:
        raise NotFound("No such contact.")
    uow.contacts.remove(contact)
    uow.emit(ContactRemoved(contact_id=contact.id, org_id=org_id), org_id=org_id)
    uow.commit()


def add_billing_address(uow, caller: Principal, org_id: str, address: dict) -> BillingAddress:
    managing(uow, caller, org_id)
    for field in ("recipient", "street", "postcode", "town", "country"):
        if not str(address.get(field) or "").strip():
            raise Invalid(f"{field} is needed.", invalid_params=[{"name": field, "reason": "empty"}])
    created = BillingAddress(id=new_id(), org_id=org_id, recipient=address["recipient"].strip(),
                             street=address["street"].strip(), house_number=(address.get("house_number") or "").strip() or None,
                             postcode=address["postcode"].strip(), town=address["town"].strip(),
                             country=address["country"].upper(), created_at=uow.clock.now())
    uow.billing_addresses.add(created)
    uow.commit()
    return created


def billing_addresses_of(uow, caller: Principal, org_id: str, page: PageRequest = ALL) -> Page[BillingAddress]:
    visible_to(uow, caller, org_id)
    return uow.billing_addresses.of_organization(org_id, page)


def remove_billing_address(uow, caller: Principal, org_id: str, address_id: str) -> None:
    managing(uow, caller, org_id)
    address = uow.billing_addresses.get(address_id)
    if address is None or address.org_id != org_id:
        raise NotFound("No such billing address.")
    uow.billing_addresses.remove(address)
    uow.commit()
