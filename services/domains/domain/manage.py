"""Managing a domain the organization holds (DO-01): its name servers, its contacts, the transfer auth
code and the change of owner. Each change is made at the registry first (through the Registry port)
and stored only once the registry said yes, in one transaction with its event: never half a change.

Who may: members with the `manage` right on the domain (orgs grants product access; administrators and
legal representatives always), decided by the kernel's product access from domains' copy of members'
access. Another organization's domain does not exist for the caller (404).

The organization's contacts (orgs' ContactAdded/ContactRemoved) are kept here as a read model; a
contact chosen for a domain becomes a contact object at the registry (RFC 5733) once, with the
organization's postal address (orgs' OrganizationCreated/OrganizationDetailsChanged), and is reused.
"""
from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Protocol

from portico_kernel.errors import Conflict, DomainError, Gone, NotFound, invalid_field
from portico_kernel.principal import Principal
from portico_kernel.product_access import MANAGE, ensure_may

from . import auth_codes, nameservers as ns
from .events import (ContactAdded, ContactRemoved, DomainAuthCodeIssued, DomainOwnerChanged,
                     DomainOwnerChangeRequested, OrganizationCreated, OrganizationDetailsChanged)
from .lifecycle import LockingEvent, transfer_lock_ends
from .registry import (ContactDetails, ContactRole, DomainChange, HostChange, PostalAddress, Registry,
                       RegistryRefused, RegistryUnavailable)
from .tld_rules import TldRules

log = logging.getLogger(__name__)

PRODUCT_TYPE = "domain"
ROLES = ("admin", "tech", "billing")  # the registrant changes by a change of owner only
OWNER_CHANGE_VALID = timedelta(days=7)  # the new registrant's confirmation link
TRANSFER_PROHIBITED = "clientTransferProhibited"
LANGUAGES = ("de", "en", "fr", "it")


class RegistryDown(DomainError):
    code = "unavailable"


# --- records kept by domains ----------------------------------------------------------------------

@dataclass(frozen=True)
class OrgContact:
    contact_id: str
    org_id: str
    purpose: str
    name: str
    email: str


@dataclass(frozen=True)
class OrgAddress:
    org_id: str
    name: str
    country: str | None = None
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    town: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Registrant:
    """Who a contact at the registry is: an organization's contact, or a new registrant's details."""
    name: str
    email: str
    country: str
    town: str
    street: str | None = None
    postcode: str | None = None
    organization: str | None = None
    contact_id: str | None = None  # the organization's contact, when chosen from them

    def postal(self) -> PostalAddress:
        return PostalAddress(name=self.name, city=self.town, country_code=self.country,
                             streets=(self.street,) if self.street else (), organization=self.organization,
                             postcode=self.postcode)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class DomainContact:
    domain_id: str
    role: str  # registrant, admin, tech, billing
    handle: str  # the contact's id at the registry
    name: str
    email: str
    contact_id: str | None = None


@dataclass(frozen=True)
class AuthCodeRecord:
    domain_id: str
    code_hash: str = field(repr=False)
    issued_at: datetime
    valid_until: datetime | None
    issued_by: str | None = None


@dataclass
class OwnerChange:
    id: str
    org_id: str
    domain_id: str
    token_hash: str = field(repr=False)
    registrant: Registrant
    requested_by: str | None
    requested_at: datetime
    expires_at: datetime
    status: str = "pending"  # pending, confirmed, withdrawn
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class TransferLock:
    domain_id: str
    locked_until: datetime
    reason: str  # owner_change


class Settings(Protocol):
    """What domains stores about managing a domain (adapters/repository.py DomainSettings)."""

    def nameservers(self, domain_id: str) -> tuple[ns.NameServer, ...]: ...
    def set_nameservers(self, domain_id: str, servers: tuple[ns.NameServer, ...]) -> None: ...
    def contacts(self, domain_id: str) -> dict[str, DomainContact]: ...
    def registrant_of_order(self, domain_id: str) -> DomainContact | None: ...
    def set_contact(self, contact: DomainContact) -> None: ...
    def remove_contact(self, domain_id: str, role: str) -> None: ...
    def org_contact(self, contact_id: str) -> OrgContact | None: ...
    def add_org_contact(self, contact: OrgContact) -> None: ...
    def remove_org_contact(self, contact_id: str, org_id: str) -> None: ...
    def org_address(self, org_id: str) -> OrgAddress | None: ...
    def set_org_address(self, address: OrgAddress) -> None: ...
    def registry_handle(self, registry: str, source: str) -> str | None: ...
    def add_registry_handle(self, registry: str, source: str, handle: str, org_id: str) -> None: ...
    def auth_code(self, domain_id: str) -> AuthCodeRecord | None: ...
    def set_auth_code(self, record: AuthCodeRecord) -> None: ...
    def owner_change_by_token(self, token_hash: str) -> OwnerChange | None: ...
    def pending_owner_change(self, domain_id: str) -> OwnerChange | None: ...
    def save_owner_change(self, change: OwnerChange) -> None: ...
    def transfer_lock(self, domain_id: str) -> TransferLock | None: ...
    def set_transfer_lock(self, lock: TransferLock) -> None: ...
    def transfer_locks_of(self, domain_ids: list[str]) -> dict[str, TransferLock]: ...
    def claim_expired_auth_codes(self, now: datetime, limit: int) -> list[AuthCodeRecord]: ...
    def retire_auth_code(self, domain_id: str, at: datetime) -> None: ...
    def claim_ended_transfer_locks(self, now: datetime, limit: int) -> list[TransferLock]: ...
    def end_transfer_lock(self, domain_id: str) -> None: ...


@dataclass(frozen=True)
class Tools:
    """What the use cases need besides the unit of work: the registry of a domain, the TLD rules,
    and how secrets are hashed (argon2id, adapters/hashing.py)."""
    registry_for: Callable[[str], Registry]
    rules_for: Callable[[str], TldRules]
    hash_secret: Callable[[str], str]
    verify_secret: Callable[[str, str], bool]
    digest: Callable[[str], str]  # a keyed, deterministic digest to look a token up by


# --- reading the organization's contacts and address ---------------------------------------------

def on_contact_added(added: ContactAdded, uow) -> None:
    uow.settings.add_org_contact(OrgContact(added.contact_id, added.org_id, added.purpose, added.name, added.email))


def on_contact_removed(removed: ContactRemoved, uow) -> None:
    uow.settings.remove_org_contact(removed.contact_id, removed.org_id)


def on_organization_created(created: OrganizationCreated, uow) -> None:
    known = uow.settings.org_address(created.org_id)
    uow.settings.set_org_address(OrgAddress(
        org_id=created.org_id, name=created.name, country=created.country or (known.country if known else None),
        street=known.street if known else None, house_number=known.house_number if known else None,
        postcode=known.postcode if known else None, town=known.town if known else None,
        language=getattr(created, "language", None)))


def on_organization_details_changed(changed: OrganizationDetailsChanged, uow) -> None:
    known = uow.settings.org_address(changed.org_id)
    address = dict(changed.address or {})
    uow.settings.set_org_address(OrgAddress(
        org_id=changed.org_id, name=changed.name, country=changed.country,
        street=address.get("street"), house_number=address.get("house_number"),
        postcode=address.get("postcode"), town=address.get("town"),
        language=known.language if known else None))


# --- who may ---------------------------------------------------------------------------------------

def _access_of(uow):
    return lambda org_id, user_id: uow.member_access.get(org_id, user_id)


def managed_domain(uow, caller: Principal, domain_id: str, *, right: str = MANAGE):
    """The domain, if the caller's organization holds it and the caller may manage it."""
    domain = uow.domains.get(domain_id)
    if domain is None or domain.org_id != caller.org_id or caller.is_staff:
        raise NotFound("No such domain.")
    ensure_may(caller, domain.org_id, PRODUCT_TYPE, domain.id, right, _access_of(uow))
    if domain.status != "active":
        raise Conflict(f"{domain.name} is {domain.status}: only an active domain can be changed.",
                       refusal="domain-not-active")
    return domain


def seen_domain(uow, caller: Principal, domain_id: str):
    """The domain, for reading: `use` is enough."""
    domain = uow.domains.get(domain_id)
    if domain is None or domain.org_id != caller.org_id or caller.is_staff:
        raise NotFound("No such domain.")
    ensure_may(caller, domain.org_id, PRODUCT_TYPE, domain.id, "use", _access_of(uow))
    return domain


def _at_registry(action: Callable[[], Any], what: str):
    try:
        return action()
    except RegistryRefused as refused:
        raise Conflict(f"The registry refused to {what}: {refused.message}" + (f" ({refused.reason})" if refused.reason else ""),
                       refusal="registry-refused", registry_code=refused.code) from None
    except RegistryUnavailable:
        raise RegistryDown(f"The registry cannot be reached to {what}; nothing was changed here, try again shortly.",
                           refusal="registry-unavailable") from None


# --- name servers ----------------------------------------------------------------------------------

def nameservers_of(uow, caller: Principal, domain_id: str) -> dict:
    domain = seen_domain(uow, caller, domain_id)
    return {"domain": domain.name, "nameservers": [s.view() for s in uow.settings.nameservers(domain.id)]}


def set_nameservers(uow, tools: Tools, caller: Principal, domain_id: str, raw: Any) -> dict:
    """DO-01: the registry gets the in-zone hosts (with glue) first, then the domain's new servers;
    in-zone hosts no longer used are deleted last (a host still delegated to cannot be deleted)."""
    domain = managed_domain(uow, caller, domain_id)
    wanted = ns.nameservers(raw, domain.name)
    current = uow.settings.nameservers(domain.id)
    step = ns.plan(current, wanted, domain.name)
    registry = tools.registry_for(domain.name)
    for host in step.external_hosts:
        _at_registry(lambda: _external_host(registry, host), f"name the server {host}")
    for host in step.create_hosts:
        _at_registry(lambda: _create_or_readdress(registry, host), f"create the name server {host.host}")
    for host, add, remove in step.readdress_hosts:
        _at_registry(lambda: registry.update_host(host.host, HostChange(add_addresses=add, remove_addresses=remove)),
                     f"change the addresses of {host.host}")
    if step.changes_domain:
        _at_registry(lambda: registry.update_domain(domain.name, DomainChange(add_nameservers=step.add,
                                                                               remove_nameservers=step.remove)),
                     f"change the name servers of {domain.name}")
    for host in step.delete_hosts:
        try:
            registry.delete_host(host)
        except (RegistryRefused, RegistryUnavailable) as left:
            # still used by another domain, or the registry away: the domain itself no longer names it
            log.warning("host %s no longer used by %s was not deleted at the registry (%s)", host, domain.name, left)
    uow.settings.set_nameservers(domain.id, wanted)
    uow.commit()
    return {"domain": domain.name, "nameservers": [s.view() for s in wanted]}


def _external_host(registry: Registry, host: str) -> None:
    """A host object without addresses for a server outside the zone; if it exists (anyone's) or
    the registry will not make it (another registrar's zone), the domain's update says whether the
    name can be used."""
    try:
        registry.create_host(host, ())
    except RegistryRefused:
        pass


def _create_or_readdress(registry: Registry, host: ns.NameServer):
    try:
        return registry.create_host(host.host, host.addresses)
    except RegistryRefused as refused:
        if not refused.object_exists:
            raise
    info = registry.host_info(host.host)  # ours from before (kept at the registry): bring its glue up to date
    had = set(info.addresses)
    add = tuple(a for a in host.addresses if a not in had)
    remove = tuple(a for a in info.addresses if a not in set(host.addresses))
    if add or remove:
        registry.update_host(host.host, HostChange(add_addresses=add, remove_addresses=remove))


# --- contacts ----------------------------------------------------------------------------------------

def _contact_view(contact: DomainContact | None) -> dict | None:
    if contact is None:
        return None
    return {"contact_id": contact.contact_id, "handle": contact.handle, "name": contact.name, "email": contact.email}


def _contacts(uow, domain_id: str) -> dict[str, DomainContact]:
    """The domain's contacts as stored; the registrant, until a change of owner, is the one its order
    gave the registry."""
    have = uow.settings.contacts(domain_id)
    if "registrant" not in have:
        registrant = uow.settings.registrant_of_order(domain_id)
        if registrant is not None:
            have["registrant"] = registrant
    return have


def contacts_of(uow, caller: Principal, domain_id: str) -> dict:
    domain = seen_domain(uow, caller, domain_id)
    have = _contacts(uow, domain.id)
    return {"domain": domain.name, **{role: _contact_view(have.get(role)) for role in ("registrant", *ROLES)}}


def registrant_from_contact(uow, org_id: str, contact_id: Any, field_name: str) -> Registrant:
    """An organization's contact, with the organization's postal address, as a registry contact."""
    if not isinstance(contact_id, str):
        raise invalid_field(field_name, "must be the id of one of the organization's contacts")
    contact = uow.settings.org_contact(contact_id)
    if contact is None or contact.org_id != org_id:
        raise invalid_field(field_name, "is not one of the organization's contacts")
    address = uow.settings.org_address(org_id)
    missing = [] if address else ["country", "town"]
    if address:
        missing = [k for k in ("country", "town") if not getattr(address, k)]
    if missing:
        raise Conflict(f"The registry keeps a postal address for every contact: give the organization's "
                       f"{' and '.join(missing)} first (PUT /v1/orgs/{{id}}).", refusal="organization-address-missing",
                       missing=missing)
    street = " ".join(p for p in (address.street, address.house_number) if p) or None
    return Registrant(name=contact.name, email=contact.email, country=address.country, town=address.town,
                      street=street, postcode=address.postcode, organization=address.name, contact_id=contact.contact_id)


def _new_handle() -> str:
    return "PC" + secrets.token_hex(6).upper()  # 14 characters: within RFC 5730's 3 to 16


def ensure_registry_contact(uow, tools: Tools, domain, registrant: Registrant) -> str:
    """The registry's handle of this contact: created once per registry for an organization's contact,
    anew for new registrant details."""
    rules = tools.rules_for(domain.name)
    source = registrant.contact_id
    if source is not None:
        known = uow.settings.registry_handle(rules.registry, source)
        if known:
            return known
    registry = tools.registry_for(domain.name)
    handle = _new_handle()
    details = ContactDetails(contact_id=handle, postal=registrant.postal(), email=registrant.email,
                             auth_info=auth_codes.new_auth_code(rules.auth_code))
    _at_registry(lambda: registry.create_contact(details), f"create the contact {registrant.name}")
    if source is not None:
        uow.settings.add_registry_handle(rules.registry, source, handle, domain.org_id)
    return handle


def set_contacts(uow, tools: Tools, caller: Principal, domain_id: str, body: Any) -> dict:
    """DO-01: admin, tech and billing from the organization's contacts; a role given null is removed,
    a role left out stays. The registrant changes only by a change of owner."""
    domain = managed_domain(uow, caller, domain_id)
    if not isinstance(body, dict):
        raise invalid_field("body", "must name the roles to set: admin, tech, billing")
    for key in body:
        if key == "registrant":
            raise invalid_field("registrant", "the registrant changes by a change of owner (POST /v1/domains/{id}/owner-change)")
        if key not in ROLES:
            raise invalid_field(key, "is not a contact role (admin, tech, billing)")
    have = uow.settings.contacts(domain.id)
    chosen: dict[str, Registrant | None] = {}
    for role in ROLES:
        if role not in body:
            continue
        chosen[role] = None if body[role] is None else registrant_from_contact(uow, domain.org_id, body[role], role)
    registry = tools.registry_for(domain.name)
    at_registry = _at_registry(lambda: registry.domain_info(domain.name), f"read the contacts of {domain.name}").contacts
    add, remove, stored = [], [], []
    for role, person in chosen.items():
        old = have.get(role)
        held = [c for c in at_registry if c.role == role]
        if person is None:
            remove += held
            continue
        if old is not None and old.contact_id == person.contact_id and [c.contact_id for c in held] == [old.handle]:
            continue
        handle = ensure_registry_contact(uow, tools, domain, person)
        if handle not in [c.contact_id for c in held]:
            add.append(ContactRole(role, handle))
        remove += [c for c in held if c.contact_id != handle]
        stored.append(DomainContact(domain.id, role, handle, person.name, person.email, person.contact_id))
    if add or remove:
        _at_registry(lambda: registry.update_domain(domain.name, DomainChange(add_contacts=tuple(add),
                                                                               remove_contacts=tuple(remove))),
                     f"change the contacts of {domain.name}")
    for role, person in chosen.items():
        if person is None:
            uow.settings.remove_contact(domain.id, role)
    for contact in stored:
        uow.settings.set_contact(contact)
    uow.commit()
    return contacts_of(uow, caller, domain_id)


# --- transfer auth code ------------------------------------------------------------------------------

def lock_of(uow, domain_id: str, now: datetime) -> TransferLock | None:
    lock = uow.settings.transfer_lock(domain_id)
    return lock if lock is not None and lock.locked_until > now else None


def issue_auth_code(uow, tools: Tools, caller: Principal, domain_id: str) -> dict:
    """DO-01: a new code, set at the registry (domain:update chg authInfo), kept only as a hash,
    answered once and mailed to the registrant (DomainAuthCodeIssued). Refused while the domain is
    locked against transfers (after a change of owner, per TLD)."""
    domain = managed_domain(uow, caller, domain_id)
    now = uow.clock.now()
    lock = lock_of(uow, domain.id, now)
    if lock is not None:
        raise Conflict(f"{domain.name} cannot move to another registrar before {lock.locked_until.isoformat()} "
                       f"(the registry's lock after a {lock.reason.replace('_', ' ')}).", refusal="transfer-locked",
                       locked_until=lock.locked_until.isoformat())
    rules = tools.rules_for(domain.name)
    code = auth_codes.new_auth_code(rules.auth_code)
    until = auth_codes.valid_until(rules.auth_code, now)
    registry = tools.registry_for(domain.name)
    old_lock = uow.settings.transfer_lock(domain.id)
    remove_statuses = (TRANSFER_PROHIBITED,) if old_lock is not None else ()
    _at_registry(lambda: registry.update_domain(domain.name, DomainChange(auth_info=code, remove_statuses=remove_statuses)),
                 f"set a new auth code for {domain.name}")
    uow.settings.set_auth_code(AuthCodeRecord(domain.id, tools.hash_secret(code), now, until, caller.user_id))
    registrant = _contacts(uow, domain.id).get("registrant")
    address = uow.settings.org_address(domain.org_id)
    recipient_name = registrant.name if registrant else (address.name if address else "")
    recipient_email = registrant.email if registrant else None
    uow.emit(DomainAuthCodeIssued(
        org_id=domain.org_id, domain_id=domain.id, domain=domain.name, registrant_name=recipient_name,
        registrant_email=recipient_email, language=_language(address), auth_code=code,
        valid_until=until.isoformat() if until else None, issued_at=now.isoformat()), org_id=domain.org_id)
    uow.commit()
    return {"domain": domain.name, "auth_code": code, "issued_at": now, "valid_until": until,
            "mailed_to": recipient_email}


def _language(address: OrgAddress | None) -> str | None:
    return address.language if address is not None and address.language in LANGUAGES else None


def auth_code_status(uow, caller: Principal, domain_id: str) -> dict:
    """Whether a code was issued and until when it holds (never the code itself), and the lock."""
    domain = seen_domain(uow, caller, domain_id)
    now = uow.clock.now()
    record = uow.settings.auth_code(domain.id)
    lock = lock_of(uow, domain.id, now)
    return {"domain": domain.name,
            "auth_code": None if record is None else {
                "issued_at": record.issued_at, "valid_until": record.valid_until,
                "valid": record.valid_until is None or record.valid_until > now},
            "transfer_locked_until": lock.locked_until if lock else None,
            "transfer_lock_reason": lock.reason if lock else None}


# --- change of owner ---------------------------------------------------------------------------------

NEW_REGISTRANT_FIELDS = ("name", "email", "country", "town", "street", "postcode", "organization")


def registrant_from_details(raw: Any, field_name: str = "registrant") -> Registrant:
    if not isinstance(raw, dict):
        raise invalid_field(field_name, "must hold the new registrant's name, email, country and town")
    for key in raw:
        if key not in NEW_REGISTRANT_FIELDS:
            raise invalid_field(f"{field_name}.{key}", "is not a field of a registrant")
    values = {}
    for key in NEW_REGISTRANT_FIELDS:
        value = raw.get(key)
        if value is None:
            if key in ("name", "email", "country", "town"):
                raise invalid_field(f"{field_name}.{key}", "is required")
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > 255 or any(ord(c) < 32 for c in value):
            raise invalid_field(f"{field_name}.{key}", "must be a line of text (at most 255 characters)")
        values[key] = value.strip()
    if len(values["country"]) != 2 or not values["country"].isalpha() or not values["country"].isascii():
        raise invalid_field(f"{field_name}.country", "must be an ISO 3166 alpha-2 country code")
    values["country"] = values["country"].upper()
    email = values["email"]
    local, _, host = email.rpartition("@")
    if not local or "." not in host or " " in email or len(email) > 254:
        raise invalid_field(f"{field_name}.email", "must be an email address")
    return Registrant(**values)


def request_owner_change(uow, tools: Tools, caller: Principal, domain_id: str, body: Any) -> dict:
    """DO-01: a new registrant (one of the organization's contacts, or new details) is asked to
    confirm by a link mailed to them (DomainOwnerChangeRequested); nothing changes at the registry
    until then. A newer request withdraws a pending one."""
    domain = managed_domain(uow, caller, domain_id)
    if not isinstance(body, dict) or ("contact_id" in body) == ("registrant" in body):
        raise invalid_field("contact_id", "give either contact_id (one of the organization's contacts) or registrant (new details)")
    unknown = sorted(set(body) - {"contact_id", "registrant"})
    if unknown:
        raise invalid_field(unknown[0], "is not a field of a change of owner")
    if "contact_id" in body:
        registrant = registrant_from_contact(uow, domain.org_id, body["contact_id"], "contact_id")
    else:
        registrant = registrant_from_details(body["registrant"])
    now = uow.clock.now()
    pending = uow.settings.pending_owner_change(domain.id)
    if pending is not None:
        pending.status = "withdrawn"
        uow.settings.save_owner_change(pending)
    token = auth_codes.new_token()
    change = OwnerChange(id=str(uuid.uuid4()), org_id=domain.org_id, domain_id=domain.id,
                         token_hash=tools.digest(token), registrant=registrant, requested_by=caller.user_id,
                         requested_at=now, expires_at=now + OWNER_CHANGE_VALID)
    uow.settings.save_owner_change(change)
    address = uow.settings.org_address(domain.org_id)
    uow.emit(DomainOwnerChangeRequested(
        org_id=domain.org_id, domain_id=domain.id, domain=domain.name, change_id=change.id,
        registrant_name=registrant.name, registrant_email=registrant.email, language=_language(address),
        token=token, expires_at=change.expires_at.isoformat()), org_id=domain.org_id)
    uow.commit()
    return _change_view(change, domain.name)


def _change_view(change: OwnerChange, name: str) -> dict:
    return {"id": change.id, "domain_id": change.domain_id, "domain": name, "status": change.status,
            "registrant": {"name": change.registrant.name, "email": change.registrant.email},
            "requested_at": change.requested_at, "expires_at": change.expires_at, "confirmed_at": change.confirmed_at}


def confirm_owner_change(uow, tools: Tools, caller: Principal, domain_id: str, token: Any) -> dict:
    """DO-01: with the token the new registrant received, the registry gets the new registrant
    (contact:create, domain:update chg registrant); the TLD's lock after a change of owner applies
    (tlds.yaml transfer.lock_days.after_owner_change): the registry refuses transfers until then and
    the domain shows it. DomainOwnerChanged tells notifications."""
    domain = managed_domain(uow, caller, domain_id)
    if not isinstance(token, str) or not 20 <= len(token) <= 200:
        raise invalid_field("token", "must be the token from the confirmation mail")
    change = uow.settings.owner_change_by_token(tools.digest(token))
    if change is None or change.domain_id != domain.id:
        raise NotFound("No change of owner with this token for this domain.")
    now = uow.clock.now()
    if change.status != "pending":
        raise Gone(f"This change of owner was {change.status} already.", refusal="owner-change-closed")
    if change.expires_at <= now:
        raise Gone("This confirmation link has expired; ask for the change of owner again.", refusal="owner-change-expired")
    handle = ensure_registry_contact(uow, tools, domain, change.registrant)
    rules = tools.rules_for(domain.name)
    locked_until = transfer_lock_ends(rules, LockingEvent.OWNER_CHANGE, now)
    add_statuses = (TRANSFER_PROHIBITED,) if locked_until else ()
    registry = tools.registry_for(domain.name)
    _at_registry(lambda: registry.update_domain(domain.name, DomainChange(registrant=handle, add_statuses=add_statuses)),
                 f"change the registrant of {domain.name}")
    change.status, change.confirmed_at = "confirmed", now
    uow.settings.save_owner_change(change)
    uow.settings.set_contact(DomainContact(domain.id, "registrant", handle, change.registrant.name,
                                           change.registrant.email, change.registrant.contact_id))
    if locked_until:
        uow.settings.set_transfer_lock(TransferLock(domain.id, locked_until, LockingEvent.OWNER_CHANGE.value))
    address = uow.settings.org_address(domain.org_id)
    uow.emit(DomainOwnerChanged(
        org_id=domain.org_id, domain_id=domain.id, domain=domain.name, change_id=change.id,
        registrant_name=change.registrant.name, registrant_email=change.registrant.email,
        language=_language(address), changed_at=now.isoformat(),
        transfer_locked_until=locked_until.isoformat() if locked_until else None), org_id=domain.org_id)
    uow.commit()
    return {**_change_view(change, domain.name),
            "transfer_locked_until": locked_until}
