"""The registry port: what domains asks of a registry, in the domain's words.

A registry keeps the authoritative record of a name (who holds it, until when, its name servers and
contacts). Most registries speak EPP (RFC 5730-5734, restore by RFC 3915); DENIC speaks RRI. The
rules talk to this port only, so another protocol fits beside the EPP adapter
(`adapters/epp/client.py`). No XML, sockets or TLS here.

A refusal by the registry is `RegistryRefused` with the registry's result code (the EPP codes of
RFC 5730 section 3, which other protocols are mapped onto); a registry that cannot be reached, or
whose answer never arrived, is `RegistryUnavailable`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

# Result codes the rules decide on (RFC 5730 section 3); the full table is the adapter's.
PENDING = 1001
NO_MESSAGES = 1300
AUTHORIZATION_ERROR = 2201
INVALID_AUTH_INFO = 2202
PENDING_TRANSFER = 2300
NOT_PENDING_TRANSFER = 2301
OBJECT_EXISTS = 2302
OBJECT_MISSING = 2303
STATUS_PROHIBITS = 2304
ASSOCIATION_PROHIBITS = 2305
POLICY_ERROR = 2306
BILLING_FAILURE = 2104
NOT_RENEWABLE = 2105
NOT_TRANSFERABLE = 2106


class RegistryRefused(Exception):
    """The registry answered and refused: `code` is its result code (2000-2502)."""

    def __init__(self, code: int, message: str, reason: str | None = None):
        self.code = code
        self.message = message
        self.reason = reason
        super().__init__(f"{code} {message}" + (f" ({reason})" if reason else ""))

    @property
    def object_exists(self) -> bool:
        return self.code == OBJECT_EXISTS

    @property
    def object_missing(self) -> bool:
        return self.code == OBJECT_MISSING

    @property
    def not_authorized(self) -> bool:
        return self.code in (AUTHORIZATION_ERROR, INVALID_AUTH_INFO)


class RegistryUnavailable(Exception):
    """The registry could not be reached, or its answer was lost: the outcome is unknown, so a
    caller that changed something asks the registry (info) before trying again."""


# --- values sent and received -------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """The registry's answer to a command that returns no data: done (1000) or pending (1001)."""
    code: int
    message: str

    @property
    def pending(self) -> bool:
        return self.code == PENDING


@dataclass(frozen=True)
class Availability:
    name: str
    available: bool
    reason: str | None = None


@dataclass(frozen=True)
class ContactRole:
    """A contact attached to a domain: `role` is admin, tech or billing."""
    role: str
    contact_id: str


@dataclass(frozen=True)
class DomainRegistration:
    """What a new registration asks for."""
    name: str
    years: int
    registrant: str
    auth_info: str = field(repr=False)
    contacts: tuple[ContactRole, ...] = ()
    nameservers: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainCreated:
    name: str
    created_at: datetime | None
    expires_at: datetime | None
    pending: bool = False


@dataclass(frozen=True)
class DomainInfo:
    name: str
    registry_id: str
    statuses: tuple[str, ...]
    sponsor: str
    registrant: str | None = None
    contacts: tuple[ContactRole, ...] = ()
    nameservers: tuple[str, ...] = ()
    subordinate_hosts: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    expires_at: datetime | None = None
    transferred_at: datetime | None = None
    # only the sponsor (or whoever showed the right code) learns it; the port says whether it came
    has_auth_info: bool = False
    auth_info: str | None = field(default=None, repr=False)
    # RFC 3915: addPeriod, autoRenewPeriod, renewPeriod, transferPeriod, redemptionPeriod,
    # pendingRestore, pendingDelete
    grace_statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainRenewed:
    name: str
    expires_at: datetime | None
    pending: bool = False


@dataclass(frozen=True)
class TransferStatus:
    """RFC 5731 trnData: `status` is pending, clientApproved, clientCancelled, clientRejected,
    serverApproved or serverCancelled."""
    name: str
    status: str
    requested_by: str
    requested_at: datetime | None
    act_by: str
    act_until: datetime | None
    expires_at: datetime | None = None
    pending: bool = False


@dataclass(frozen=True)
class DomainChange:
    """An update of a domain; anything left empty stays as it is."""
    add_nameservers: tuple[str, ...] = ()
    remove_nameservers: tuple[str, ...] = ()
    add_contacts: tuple[ContactRole, ...] = ()
    remove_contacts: tuple[ContactRole, ...] = ()
    add_statuses: tuple[str, ...] = ()
    remove_statuses: tuple[str, ...] = ()
    registrant: str | None = None
    auth_info: str | None = field(default=None, repr=False)

    def is_empty(self) -> bool:
        return not (self.add_nameservers or self.remove_nameservers or self.add_contacts
                    or self.remove_contacts or self.add_statuses or self.remove_statuses
                    or self.registrant is not None or self.auth_info is not None)


@dataclass(frozen=True)
class RestoreReport:
    """RFC 3915 section 4.2.1: what the registrar reports after asking for a restore."""
    before_deletion: str
    after_restore: str
    deleted_at: datetime
    restored_at: datetime
    reason: str
    # the two statements RFC 3915 requires: the restore serves the registrant, not the registrar,
    # and the report is true
    statements: tuple[str, str]
    other: str | None = None


@dataclass(frozen=True)
class PostalAddress:
    name: str
    city: str
    country_code: str
    streets: tuple[str, ...] = ()
    organization: str | None = None
    state: str | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class ContactDetails:
    """A contact as the registry keeps it (RFC 5733); `postal` is the internationalized form."""
    contact_id: str
    postal: PostalAddress
    email: str
    auth_info: str = field(repr=False)
    voice: str | None = None
    fax: str | None = None


@dataclass(frozen=True)
class ContactCreated:
    contact_id: str
    created_at: datetime | None


@dataclass(frozen=True)
class ContactInfo:
    contact_id: str
    registry_id: str
    statuses: tuple[str, ...]
    postal: PostalAddress
    email: str
    sponsor: str
    voice: str | None = None
    fax: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    has_auth_info: bool = False


@dataclass(frozen=True)
class ContactChange:
    add_statuses: tuple[str, ...] = ()
    remove_statuses: tuple[str, ...] = ()
    postal: PostalAddress | None = None
    email: str | None = None
    voice: str | None = None
    fax: str | None = None
    auth_info: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class HostAddress:
    address: str
    version: str = "v4"   # v4 or v6


@dataclass(frozen=True)
class HostInfo:
    name: str
    registry_id: str
    statuses: tuple[str, ...]
    addresses: tuple[HostAddress, ...]
    sponsor: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class HostChange:
    add_addresses: tuple[HostAddress, ...] = ()
    remove_addresses: tuple[HostAddress, ...] = ()
    add_statuses: tuple[str, ...] = ()
    remove_statuses: tuple[str, ...] = ()
    new_name: str | None = None


@dataclass(frozen=True)
class PollMessage:
    """A message the registry queued for us (transfers asked of our domains, deletions, ...)."""
    message_id: str
    remaining: int
    queued_at: datetime | None
    text: str
    transfer: TransferStatus | None = None


# --- the port -----------------------------------------------------------------------------------

class Registry(Protocol):
    """One registry, spoken to as one registrar (our client id). Every method raises
    `RegistryRefused` when the registry says no and `RegistryUnavailable` when it cannot be asked.
    Names go in their ASCII form (IDNA A-labels, `xn--...`): converting is the caller's."""

    # domains
    def check_domains(self, names: list[str]) -> list[Availability]: ...
    def create_domain(self, registration: DomainRegistration) -> DomainCreated: ...
    def domain_info(self, name: str, auth_info: str | None = None) -> DomainInfo: ...
    def renew_domain(self, name: str, current_expiry: date, years: int) -> DomainRenewed: ...
    def request_transfer(self, name: str, auth_info: str, years: int | None = None) -> TransferStatus: ...
    def query_transfer(self, name: str, auth_info: str | None = None) -> TransferStatus: ...
    def approve_transfer(self, name: str) -> TransferStatus: ...
    def reject_transfer(self, name: str) -> TransferStatus: ...
    def cancel_transfer(self, name: str) -> TransferStatus: ...
    def update_domain(self, name: str, change: DomainChange) -> Outcome: ...
    def delete_domain(self, name: str) -> Outcome: ...
    def request_restore(self, name: str) -> Outcome: ...
    def report_restore(self, name: str, report: RestoreReport) -> Outcome: ...

    # contacts
    def check_contacts(self, contact_ids: list[str]) -> list[Availability]: ...
    def create_contact(self, contact: ContactDetails) -> ContactCreated: ...
    def contact_info(self, contact_id: str, auth_info: str | None = None) -> ContactInfo: ...
    def update_contact(self, contact_id: str, change: ContactChange) -> Outcome: ...
    def delete_contact(self, contact_id: str) -> Outcome: ...

    # hosts (name servers inside a zone the registry keeps)
    def check_hosts(self, names: list[str]) -> list[Availability]: ...
    def create_host(self, name: str, addresses: tuple[HostAddress, ...] = ()) -> Outcome: ...
    def host_info(self, name: str) -> HostInfo: ...
    def update_host(self, name: str, change: HostChange) -> Outcome: ...
    def delete_host(self, name: str) -> Outcome: ...

    # the registry's message queue
    def poll(self) -> PollMessage | None: ...
    def acknowledge(self, message_id: str) -> int: ...
