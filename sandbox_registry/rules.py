"""What the sandbox registry decides, as a registry would: pure functions over its records, a TLD's
rules (services/domains/data/tlds.yaml, the same file Portico sells from) and the moment `now`.

Nothing here reads a clock, a database or XML. A refusal is `Refused` with the EPP result code
(RFC 5730 section 3) and a reason a registrar can act on.

Time after expiry, as registries do it: at the expiry the registry renews the name itself by the
TLD's shortest period and keeps it in the auto-renew grace (RFC 3915 autoRenewPeriod) for the TLD's
`auto_renew_grace` days; a deletion in that time undoes the automatic renewal. A deletion puts the
name into the redemption period (RFC 3915 redemptionPeriod) where the TLD can restore, then into
pendingDelete, then frees it; within the add grace a new name is deleted at once.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.domains.adapters.epp.codes import Result
from services.domains.domain.lifecycle import (
    LockingEvent, add_years, expiry_after_transfer, transfer_locked_until,
)
from services.domains.domain.tld_rules import MAX_YEARS, TldCatalog, TldRules

# RFC 3915 section 3.2: a restore request waits this long for its report, else the name goes back
RESTORE_REPORT_DAYS = 7
MAX_NAMESERVERS = 13
CONTACT_ROLES = ("admin", "tech", "billing")
# RFC 5731 section 2.3: what a client may set itself
CLIENT_STATUSES = frozenset({
    "clientDeleteProhibited", "clientHold", "clientRenewProhibited", "clientTransferProhibited",
    "clientUpdateProhibited",
})
HOST_CLIENT_STATUSES = frozenset({"clientDeleteProhibited", "clientUpdateProhibited"})
CONTACT_CLIENT_STATUSES = frozenset({
    "clientDeleteProhibited", "clientTransferProhibited", "clientUpdateProhibited",
})

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CONTACT_ID = re.compile(r"^[A-Za-z0-9._:-]{3,16}$")


class Refused(Exception):
    """The registry says no: `code` is the EPP result code."""

    def __init__(self, code: int, reason: str):
        self.code = int(code)
        self.reason = reason
        super().__init__(f"{self.code} {reason}")


# --- names ----------------------------------------------------------------------------------------

def host_name_problem(name: str) -> str | None:
    """Why this is not a host name (LDH labels, at least two, 253 characters at most), or None."""
    if not name or len(name) > 253 or name != name.lower():
        return "a host name is lower-case letters, digits and hyphens in dot-separated labels"
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return "a host name is lower-case letters, digits and hyphens in dot-separated labels"
    if labels[2:3] == ["--"] or any(label[2:4] == "--" and not label.startswith("xn--") for label in labels):
        return "hyphens in the third and fourth place are reserved for IDNA (xn--)"
    return None


def tld_of(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def domain_rules(catalog: TldCatalog, name: str) -> TldRules:
    """The rules of the TLD a name is registered under; 2005 for a malformed name, 2306 for a TLD
    this registry does not run or a name that is not directly below it."""
    problem = host_name_problem(name)
    if problem:
        raise Refused(Result.VALUE_SYNTAX_ERROR, problem)
    if name.count(".") != 1:
        raise Refused(Result.POLICY_ERROR, "names are registered directly below the top-level domain")
    try:
        return catalog.for_tld(tld_of(name))
    except LookupError:
        raise Refused(Result.POLICY_ERROR, f".{tld_of(name)} is not a top-level domain of this registry") from None


# Names that make the registry refuse on purpose, so a client's handling of a refusal can be
# rehearsed: `refuse-2104-anything.com` is answered 2104 when created, renewed or transferred.
REHEARSED_REFUSALS = {
    Result.BILLING_FAILURE: "the registrar's account at the registry cannot pay for this",
    Result.NOT_RENEWABLE: "the registry does not renew this name",
    Result.NOT_TRANSFERABLE: "the registry does not transfer this name",
    Result.POLICY_ERROR: "the registry's policy refuses this name",
    Result.DATA_POLICY_VIOLATION: "the registry's data policy refuses this registrant",
    Result.COMMAND_FAILED: "the registry failed to carry out the command",
}


def rehearsed_refusal(name: str) -> None:
    """Refuses as asked by a rehearsal name (`refuse-<code>-…`); other names pass."""
    label = name.split(".", 1)[0]
    if not label.startswith("refuse-"):
        return
    try:
        code = Result(int(label.split("-")[1]))
    except (ValueError, IndexError):
        return
    if code in REHEARSED_REFUSALS:
        raise Refused(code, f"{REHEARSED_REFUSALS[code]} (a rehearsal name)")


def superordinate(host: str, catalog: TldCatalog) -> str | None:
    """The registered name a host lies in when it lies in one of this registry's zones (then it
    needs addresses: glue), else None (an external host)."""
    labels = host.split(".")
    if len(labels) >= 3 and labels[-1] in catalog.rules:
        return ".".join(labels[-2:])
    return None


def address_problem(address: str, version: str) -> str | None:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"{address!r} is not an IP address"
    if (version == "v6") != (parsed.version == 6):
        return f"{address} is not an IP{version} address"
    if parsed.is_unspecified or parsed.is_multicast or parsed.is_loopback:
        return f"{address} is not an address a name server can have"
    return None


def contact_id_problem(contact_id: str) -> str | None:
    if not _CONTACT_ID.match(contact_id or ""):
        return "a contact id is 3 to 16 letters, digits or . _ : -"
    return None


def period_years(value: str | None, unit: str | None) -> int | None:
    """The years of an EPP period (unit y or m, 1 to 99); None when none was given."""
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise Refused(Result.VALUE_SYNTAX_ERROR, "a period is a whole number") from None
    if unit == "m":
        if number % 12:
            raise Refused(Result.POLICY_ERROR, "this registry registers and renews whole years")
        number //= 12
    if not 1 <= number <= 99:
        raise Refused(Result.VALUE_RANGE_ERROR, "a period is 1 to 99 years")
    return number


# --- records ------------------------------------------------------------------------------------

@dataclass
class Transfer:
    status: str            # pending, clientApproved, clientRejected, clientCancelled, serverApproved
    requested_by: str
    requested_at: datetime
    act_by: str
    act_until: datetime
    years: int | None = None


@dataclass
class Domain:
    name: str
    roid: str
    sponsor: str
    registrant: str
    auth_info: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    contacts: list[tuple[str, str]] = field(default_factory=list)   # (role, contact id)
    nameservers: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)                 # client* and server* set on it
    updated_at: datetime | None = None
    updated_by: str | None = None
    transferred_at: datetime | None = None
    owner_changed_at: datetime | None = None
    # the expiry an automatic renewal started from, while its grace may still undo it
    auto_renewed_from: datetime | None = None
    deleted_at: datetime | None = None
    restore_requested_at: datetime | None = None
    transfer: Transfer | None = None


@dataclass(frozen=True)
class Notice:
    """A message for a registrar's poll queue."""
    client: str
    text: str
    domain: str
    transfer: Transfer | None = None
    expires_at: datetime | None = None


def days(n: int) -> timedelta:
    return timedelta(days=n)


# --- time: what the clock does to a domain ------------------------------------------------------

def deletion_phase(domain: Domain, rules: TldRules, now: datetime) -> str | None:
    """None (not deleted), pendingRestore, redemptionPeriod, pendingDelete or purged."""
    if domain.deleted_at is None:
        return None
    redemption = rules.redemption_period if rules.restorable else 0
    redemption_ends = domain.deleted_at + days(redemption)
    if domain.restore_requested_at is not None and now < domain.restore_requested_at + days(RESTORE_REPORT_DAYS):
        return "pendingRestore"
    if now < redemption_ends:
        return "redemptionPeriod"
    if now < redemption_ends + days(rules.pending_delete):
        return "pendingDelete"
    return "purged"


def settle(domain: Domain, rules: TldRules, now: datetime) -> list[Notice]:
    """Brings a record up to `now`: a pending transfer whose time ran out is approved by the
    registry, an expiry passed renews automatically. Returns the poll messages this caused; the
    caller purges the record when `deletion_phase` says purged."""
    notices: list[Notice] = []
    transfer = domain.transfer
    if transfer is not None and transfer.status == "pending" and now >= transfer.act_until:
        notices += complete_transfer(domain, rules, transfer.act_until, "serverApproved")
    if domain.deleted_at is None:
        while domain.expires_at <= now:
            domain.auto_renewed_from = domain.expires_at
            domain.expires_at = add_years(domain.expires_at, rules.periods[0])
    return notices


def in_add_grace(domain: Domain, rules: TldRules, now: datetime) -> bool:
    return now < domain.created_at + days(rules.add_grace)


def in_auto_renew_grace(domain: Domain, rules: TldRules, now: datetime) -> bool:
    return domain.auto_renewed_from is not None and now < domain.auto_renewed_from + days(rules.auto_renew_grace)


def grace_statuses(domain: Domain, rules: TldRules, now: datetime) -> list[str]:
    """RFC 3915 rgpStatus values of a domain now."""
    phase = deletion_phase(domain, rules, now)
    if phase is not None:
        return [phase] if phase != "purged" else []
    found = []
    if in_add_grace(domain, rules, now):
        found.append("addPeriod")
    if in_auto_renew_grace(domain, rules, now):
        found.append("autoRenewPeriod")
    return found


def statuses(domain: Domain, rules: TldRules, now: datetime) -> list[str]:
    """The EPP status values (RFC 5731 section 2.3) of a domain now."""
    found = set(domain.statuses)
    if domain.deleted_at is not None:
        found.add("pendingDelete")
    if domain.transfer is not None and domain.transfer.status == "pending":
        found.add("pendingTransfer")
    if not domain.nameservers:
        found.add("inactive")
    return sorted(found) or ["ok"]


# --- commands on domains ------------------------------------------------------------------------

def _prohibited(domain: Domain, action: str) -> None:
    for who in ("client", "server"):
        if f"{who}{action}Prohibited" in domain.statuses:
            raise Refused(Result.STATUS_PROHIBITS, f"the domain has {who}{action}Prohibited")


def check_auth_code(rules: TldRules, code: str) -> None:
    problem = rules.auth_code.problem(code)
    if problem:
        raise Refused(Result.POLICY_ERROR, f"auth info for .{rules.tld} {problem}")


def create_refusal(rules: TldRules, years: int | None) -> int:
    """The years of a new registration (default: the TLD's shortest period)."""
    years = rules.periods[0] if years is None else years
    if years not in rules.periods:
        offered = ", ".join(str(p) for p in rules.periods)
        raise Refused(Result.POLICY_ERROR, f".{rules.tld} registers for {offered} year(s), not {years}")
    return years


def renew(domain: Domain, rules: TldRules, current_expiry: date, years: int | None, now: datetime) -> None:
    """RFC 5731 renew: `current_expiry` must be the expiry's date as the registry has it (2304
    otherwise, so a renewal sent twice does not renew twice); the period is one of the TLD's and
    the new expiry at most its years ahead (and never more than ten) (2306)."""
    if domain.deleted_at is not None:
        raise Refused(Result.STATUS_PROHIBITS, "the domain is being deleted: restore it first")
    _prohibited(domain, "Renew")
    if domain.transfer is not None and domain.transfer.status == "pending":
        raise Refused(Result.STATUS_PROHIBITS, "a transfer of the domain is pending")
    if current_expiry != domain.expires_at.date():
        raise Refused(Result.STATUS_PROHIBITS,
                      f"curExpDate {current_expiry.isoformat()} is not the expiry {domain.expires_at.date().isoformat()}")
    years = rules.periods[0] if years is None else years
    if years not in rules.periods:
        offered = ", ".join(str(p) for p in rules.periods)
        raise Refused(Result.POLICY_ERROR, f".{rules.tld} renews for {offered} year(s), not {years}")
    new_expiry = add_years(domain.expires_at, years)
    latest = add_years(now, min(rules.max_years_ahead, MAX_YEARS))
    if new_expiry > latest:
        raise Refused(Result.POLICY_ERROR,
                      f"renewed for {years} year(s) it would run until {new_expiry.date().isoformat()}, "
                      f"more than {rules.max_years_ahead} years ahead")
    domain.expires_at = new_expiry


def delete(domain: Domain, rules: TldRules, now: datetime) -> bool:
    """RFC 5731 delete. True: the name is gone at once (within the add grace, RFC 3915 3.3);
    False: it enters the redemption period (or pendingDelete where the TLD cannot restore)."""
    if domain.deleted_at is not None:
        raise Refused(Result.STATUS_PROHIBITS, "the domain is already being deleted")
    _prohibited(domain, "Delete")
    if domain.transfer is not None and domain.transfer.status == "pending":
        raise Refused(Result.STATUS_PROHIBITS, "a transfer of the domain is pending")
    if in_add_grace(domain, rules, now):
        return True
    if in_auto_renew_grace(domain, rules, now):
        # RFC 3915 3.1: deleting in the auto-renew grace credits the automatic renewal
        domain.expires_at = domain.auto_renewed_from
    domain.auto_renewed_from = None
    domain.deleted_at = now
    domain.restore_requested_at = None
    return False


def request_restore(domain: Domain, rules: TldRules, now: datetime) -> None:
    """RFC 3915 restore request: only in the redemption period."""
    if deletion_phase(domain, rules, now) != "redemptionPeriod":
        raise Refused(Result.STATUS_PROHIBITS, "a restore is possible only in the redemption period")
    domain.restore_requested_at = now


def report_restore(domain: Domain, rules: TldRules, now: datetime) -> None:
    """RFC 3915 restore report: completes a pending restore; the name is back with its expiry (a
    past expiry is renewed by the clock as at any expiry)."""
    if deletion_phase(domain, rules, now) != "pendingRestore":
        raise Refused(Result.STATUS_PROHIBITS, "no restore request is waiting for its report")
    domain.deleted_at = None
    domain.restore_requested_at = None
    domain.updated_at = now


def change_statuses(current: set[str], add: list[str], remove: list[str], allowed: frozenset[str]) -> set[str]:
    """Statuses a client adds and removes: only client* ones (2306 for others)."""
    for status in [*add, *remove]:
        if status not in allowed:
            raise Refused(Result.POLICY_ERROR, f"a registrar may not set or clear {status}")
    return (current - set(remove)) | set(add)


def check_updatable(domain: Domain, removing: list[str]) -> None:
    if domain.deleted_at is not None:
        raise Refused(Result.STATUS_PROHIBITS, "the domain is being deleted")
    if "serverUpdateProhibited" in domain.statuses:
        raise Refused(Result.STATUS_PROHIBITS, "the domain has serverUpdateProhibited")
    # RFC 5731: an update removing clientUpdateProhibited is allowed, it is how it is lifted
    if "clientUpdateProhibited" in domain.statuses and "clientUpdateProhibited" not in removing:
        raise Refused(Result.STATUS_PROHIBITS, "the domain has clientUpdateProhibited")


# --- transfers ------------------------------------------------------------------------------------

def transfer_locked_until_of(domain: Domain, rules: TldRules) -> datetime | None:
    events = [(LockingEvent.REGISTRATION, domain.created_at)]
    if domain.transferred_at is not None:
        events.append((LockingEvent.TRANSFER, domain.transferred_at))
    if domain.owner_changed_at is not None:
        events.append((LockingEvent.OWNER_CHANGE, domain.owner_changed_at))
    return transfer_locked_until(rules, events)


def request_transfer(domain: Domain, rules: TldRules, client: str, auth_info: str | None,
                     years: int | None, now: datetime, transfer_days: int) -> list[Notice]:
    """RFC 5731 transfer request by the gaining registrar: the right auth info (2202), no lock of the
    TLD's rules or of the domain's statuses (2304), nothing pending (2300). The losing registrar
    approves or rejects; after `transfer_days` the registry approves."""
    if client == domain.sponsor:
        raise Refused(Result.NOT_TRANSFERABLE, "the domain is already yours")
    if not auth_info or auth_info != domain.auth_info:
        raise Refused(Result.INVALID_AUTH_INFO, "the auth info is not the domain's")
    if domain.transfer is not None and domain.transfer.status == "pending":
        raise Refused(Result.PENDING_TRANSFER, "a transfer of the domain is already pending")
    if domain.deleted_at is not None:
        raise Refused(Result.STATUS_PROHIBITS, "the domain is being deleted")
    _prohibited(domain, "Transfer")
    locked = transfer_locked_until_of(domain, rules)
    if locked is not None and now < locked:
        raise Refused(Result.STATUS_PROHIBITS,
                      f".{rules.tld} locks transfers until {locked.date().isoformat()}")
    if years is not None and rules.transfer_expiry == "add_year" and years != 1:
        raise Refused(Result.POLICY_ERROR, f"a transfer of .{rules.tld} adds one year")
    domain.transfer = Transfer("pending", client, now, domain.sponsor, now + days(transfer_days), years)
    text = f"Transfer of {domain.name} requested by {client}"
    return [Notice(domain.sponsor, text, domain.name, domain.transfer, domain.expires_at)]


def complete_transfer(domain: Domain, rules: TldRules, now: datetime, status: str) -> list[Notice]:
    """The transfer succeeds: the gaining registrar sponsors the domain from now, with the expiry
    the TLD's transfer rule gives and the auth info cleared of the old registrar's secret."""
    transfer = domain.transfer
    assert transfer is not None
    losing = domain.sponsor
    transfer.status = status
    domain.sponsor = transfer.requested_by
    domain.expires_at = expiry_after_transfer(rules, domain.expires_at, now)
    domain.transferred_at = now
    domain.auto_renewed_from = None
    text = f"Transfer of {domain.name} {'approved by the registry' if status == 'serverApproved' else 'approved'}"
    return [Notice(transfer.requested_by, text, domain.name, transfer, domain.expires_at),
            Notice(losing, text, domain.name, transfer, domain.expires_at)]


def answer_transfer(domain: Domain, rules: TldRules, client: str, operation: str, now: datetime) -> list[Notice]:
    """approve or reject (by the losing registrar), cancel (by the gaining one)."""
    transfer = domain.transfer
    if transfer is None or transfer.status != "pending":
        raise Refused(Result.NOT_PENDING_TRANSFER, "no transfer of the domain is pending")
    if operation == "cancel":
        if client != transfer.requested_by:
            raise Refused(Result.AUTHORIZATION_ERROR, "only the registrar that asked may cancel the transfer")
        transfer.status = "clientCancelled"
        return [Notice(transfer.act_by, f"Transfer of {domain.name} cancelled", domain.name, transfer, domain.expires_at)]
    if client != domain.sponsor:
        raise Refused(Result.AUTHORIZATION_ERROR, "only the sponsoring registrar may approve or reject")
    if operation == "approve":
        return complete_transfer(domain, rules, now, "clientApproved")
    transfer.status = "clientRejected"
    return [Notice(transfer.requested_by, f"Transfer of {domain.name} rejected", domain.name, transfer, domain.expires_at)]


def may_see_transfer(domain: Domain, client: str, auth_info: str | None) -> None:
    if domain.transfer is None:
        raise Refused(Result.NOT_PENDING_TRANSFER, "the domain was never asked to transfer")
    if client in (domain.sponsor, domain.transfer.requested_by, domain.transfer.act_by):
        return
    if auth_info is None or auth_info != domain.auth_info:
        raise Refused(Result.AUTHORIZATION_ERROR, "only the registrars concerned see a transfer")
