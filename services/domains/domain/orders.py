"""Registering and transferring in domains (DO-02, DO-03): an order, paid through billing, carried out
at the registry.

1. The customer checks names (many at once, with our price) and orders one: the TLD's rules are
   checked first (the period, who may hold the name, the registrant data and documents the TLD asks
   for: a 400 that lists what is missing). The order is `awaiting_payment` and `DomainOrderPlaced`
   asks billing to invoice it (reference `domain-order:<order_id>`).
2. `InvoicePaid` with that reference marks the order `paid` (a second InvoicePaid changes nothing).
3. The scheduler carries out paid orders at the registry (`carry_out`): a registration creates the
   registrant's contact and the domain; a transfer asks for it with the auth code and waits
   (`pending_transfer`, the transfer queried again) until the losing registrar or the registry
   approves it. A registry that cannot be reached is asked again later (nothing is lost: the order
   stays where it was); a refusal fails the order with its reason, and `DomainOrderFailed` has
   billing cancel or refund the invoice.
4. Done: the domain is stored `active` with the registry's expiry, `DomainStateChanged` and
   `ProductProvisioned` announce it.

Asking the registry twice is harmless: a contact or domain an earlier, interrupted attempt created is
recognized (2302 and the registry's record naming our contact), a transfer already requested (2300)
is queried.
"""
from __future__ import annotations

import logging
import secrets
import string
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

import idna

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Conflict, Invalid, NotFound, invalid_field

from .documents import proves
from .events import DomainOrderFailed, DomainOrderPlaced, DomainStateChanged, ProductProvisioned
from .model import Domain
from .registry import (
    AUTHORIZATION_ERROR, INVALID_AUTH_INFO, NOT_TRANSFERABLE, OBJECT_MISSING, PENDING_TRANSFER, STATUS_PROHIBITS,
    ContactDetails, ContactRole, DomainRegistration, PostalAddress, Registry, RegistryRefused, RegistryUnavailable,
)
from .tld_rules import TldCatalog, TldRules

log = logging.getLogger(__name__)

REGISTRATION, TRANSFER = "registration", "transfer"
KINDS = (REGISTRATION, TRANSFER)
AWAITING_PAYMENT, PAID, PENDING_TRANSFER_STATE, COMPLETED, FAILED = (
    "awaiting_payment", "paid", "pending_transfer", "completed", "failed")
OPEN_STATES = (AWAITING_PAYMENT, PAID, PENDING_TRANSFER_STATE)
REFERENCE_PREFIX = "domain-order:"
MAX_NAMES = 50  # names per availability check
TRANSFER_QUERY_EVERY = timedelta(seconds=5)
LONGEST_WAIT = timedelta(minutes=15)  # between two tries of a registry that cannot be reached
APPROVED = ("clientApproved", "serverApproved")
REFUSED_TRANSFER = ("clientRejected", "clientCancelled", "serverCancelled")


@dataclass(eq=False)
class DomainOrder:
    id: str
    org_id: str
    kind: str
    domain: str
    years: int
    price_minor: int
    currency: str
    status: str
    created_at: datetime
    updated_at: datetime
    registrant: dict | None = None
    auth_code: str | None = field(default=None, repr=False)  # the losing registrar's code, until used
    reason: str | None = None
    domain_id: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    open_name: str | None = None  # the name while the order is open: one open order per name

    @property
    def tld(self) -> str:
        return self.domain.rsplit(".", 1)[-1]

    def price(self) -> dict:
        return {"amount_minor": self.price_minor, "currency": self.currency}


# --- names ----------------------------------------------------------------------------------------

def ascii_name(name: Any) -> str:
    """The name as registries take it: lower case, IDNA A-labels, no trailing dot; ValueError says why not."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a domain name is a text")
    text = name.strip().rstrip(".").lower()
    if len(text) > 253 or "." not in text:
        raise ValueError("a domain name is a name and its TLD, e.g. example.ch")
    try:
        encoded = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        raise ValueError("not a valid domain name") from None
    labels = encoded.split(".")
    if len(labels) != 2:
        raise ValueError("only a name directly under its TLD is registered, e.g. example.ch")
    for label in labels:
        if not 1 <= len(label) <= 63 or label.startswith("-") or label.endswith("-"):
            raise ValueError("not a valid domain name")
        if not all(c in string.ascii_lowercase + string.digits + "-" for c in label):
            raise ValueError("not a valid domain name")
    return encoded


def rules_of(catalog: TldCatalog, name: str) -> TldRules:
    try:
        return catalog.for_domain(name)
    except LookupError as unknown:
        raise ValueError(str(unknown)) from None


# --- availability (DO-02) ---------------------------------------------------------------------------

def check_availability(catalog: TldCatalog, registry_for: Callable[[str], Registry], names: list,
                       currency: str) -> list[dict]:
    """Each name: whether it can be registered, why not, and our price for one year and the periods
    the TLD allows. Names of one registry are asked in one check."""
    if not names or len(names) > MAX_NAMES:
        raise invalid_field("names", f"1 to {MAX_NAMES} names")
    answers: list[dict] = []
    asked: dict[str, list[int]] = {}
    for index, given in enumerate(names):
        answer: dict[str, Any] = {"name": given if isinstance(given, str) else str(given), "available": False,
                                  "reason": None, "price": None, "years": []}
        answers.append(answer)
        try:
            name = ascii_name(given)
            rules = rules_of(catalog, name)
        except ValueError as wrong:
            answer["reason"] = str(wrong)
            continue
        answer["name"] = name
        try:
            answer["price"] = asdict(rules.renewal_price(currency, 1))
        except LookupError as unsold:
            answer["reason"] = str(unsold)
            continue
        answer["years"] = list(rules.periods)
        asked.setdefault(rules.tld, []).append(index)
    for tld, indexes in asked.items():
        try:
            found = {a.name.lower(): a for a in registry_for(tld).check_domains([answers[i]["name"] for i in indexes])}
        except (RegistryUnavailable, RegistryRefused):
            for i in indexes:
                answers[i]["reason"] = "the registry cannot be asked just now; try again shortly"
            continue
        for i in indexes:
            availability = found.get(answers[i]["name"])
            if availability is None:
                answers[i]["reason"] = "the registry gave no answer for this name"
                continue
            answers[i]["available"] = availability.available
            answers[i]["reason"] = None if availability.available else (availability.reason or "registered already")
    return answers


# --- placing an order -------------------------------------------------------------------------------

REGISTRANT_FIELDS = ("name", "email")
ADDRESS_FIELDS = ("street", "city", "postcode", "country")


def registrant_problems(rules: TldRules, registrant: Mapping[str, Any] | None, documents: Mapping[str, str]) -> list[dict]:
    """What the TLD asks of the registrant and the order does not give: each a field named for
    `invalid_params` (DO-02). `documents` maps the uploaded documents' ids to their types."""
    if not isinstance(registrant, Mapping):
        return [{"name": "registrant", "reason": "the registrant (holder) of the domain is required"}]
    problems = []
    kind = registrant.get("kind") or "person"
    for name in REGISTRANT_FIELDS:
        if not str(registrant.get(name) or "").strip():
            problems.append({"name": f"registrant.{name}", "reason": "required"})
    if kind == "organization" and not str(registrant.get("organization") or "").strip():
        problems.append({"name": "registrant.organization", "reason": "required for an organization"})
    address = registrant.get("address") if isinstance(registrant.get("address"), Mapping) else {}
    for name in ADDRESS_FIELDS:
        if not str(address.get(name) or "").strip():
            problems.append({"name": f"registrant.address.{name}", "reason": "required"})
    country = str(address.get("country") or "").upper()
    if country and not rules.may_register_from(country):
        problems.append({"name": "registrant.address.country",
                         "reason": f".{rules.tld} domains are held only by registrants from "
                                   f"{', '.join(sorted(rules.eligible_countries or ()))}"})
    given = dict(registrant.get("data") or {})
    given_types = {documents[d] for d in registrant.get("documents") or () if d in documents}
    for datum in rules.required_for(kind, country):
        if str(given.get(datum.field) or "").strip() or any(proves(t, datum.field) for t in given_types):
            continue
        problems.append({"name": f"registrant.data.{datum.field}",
                         "reason": f"required by .{rules.tld}" + (f": {datum.note}" if datum.note else "")})
    unknown = [d for d in registrant.get("documents") or () if d not in documents]
    for document_id in unknown:
        problems.append({"name": "registrant.documents", "reason": f"no such document: {document_id}"})
    return problems


def place(uow, org_id: str, catalog: TldCatalog, body: Mapping[str, Any], *,
          registry_for: Callable[[str], Registry] | None = None) -> DomainOrder:
    """An order for billing to invoice; nothing happens at the registry before it is paid."""
    kind = body.get("kind") or REGISTRATION
    if kind not in KINDS:
        raise invalid_field("kind", "registration or transfer")
    try:
        name = ascii_name(body.get("domain"))
        rules = rules_of(catalog, name)
    except ValueError as wrong:
        raise invalid_field("domain", str(wrong)) from None
    years = body.get("years")
    if kind == REGISTRATION:
        years = 1 if years is None else years
        if years not in rules.periods:
            raise invalid_field("years", f".{rules.tld} is registered for {', '.join(map(str, rules.periods))} years")
    else:
        years = 1 if rules.transfer_expiry == "add_year" else 0
    auth_code = body.get("auth_code")
    registrant = body.get("registrant")
    if kind == TRANSFER:
        if not isinstance(auth_code, str) or not auth_code.strip():
            raise invalid_field("auth_code", "the auth code the domain's current registrar gave its holder is required")
        if len(auth_code) > 255:
            raise invalid_field("auth_code", "at most 255 characters")
        auth_code = auth_code.strip()
    else:
        auth_code = None
    if kind == REGISTRATION or registrant is not None:
        documents = uow.documents.types_of(org_id, [d for d in (registrant or {}).get("documents") or ()
                                                    if isinstance(d, str)]) if isinstance(registrant, Mapping) else {}
        problems = registrant_problems(rules, registrant, documents)
        if problems:
            raise Invalid(f"The order lacks what .{rules.tld} asks of its holder: "
                          + ", ".join(p["name"] for p in problems), problem="tld-requirements",
                          invalid_params=problems)
    currency = uow.currencies.of(org_id)
    if currency is None:
        raise Conflict("The organization's billing account is not open yet; try again in a moment.",
                       problem="billing-account-pending")
    try:
        price = rules.renewal_price(currency, max(years, 1))
    except LookupError as unsold:
        raise Conflict(str(unsold), problem="not-sold") from None
    held = uow.domains.by_name(name)
    if held is not None and held.status != "released":
        if held.org_id == org_id:
            raise Conflict(f"{name} is yours already.", problem="domain-held")
        raise Conflict(f"{name} is not available.", problem="domain-not-available")
    if uow.orders.open_for(name) is not None:
        raise Conflict(f"{name} is being ordered already.", problem="domain-order-open")
    if kind == REGISTRATION and registry_for is not None:
        try:
            found = registry_for(rules.tld).check_domains([name])
            if found and not found[0].available:
                raise Conflict(f"{name} is not available: {found[0].reason or 'registered already'}.",
                               problem="domain-not-available")
        except (RegistryUnavailable, RegistryRefused) as unanswered:
            # the check only spares a doomed order: the registry decides when the order is carried out
            log.info("availability of %s not checked before ordering (%s)", name, unanswered)
    now = uow.clock.now()
    order = DomainOrder(id=str(uuid.uuid4()), org_id=org_id, kind=kind, domain=name, years=years,
                        price_minor=price.amount_minor, currency=currency, status=AWAITING_PAYMENT,
                        created_at=now, updated_at=now, registrant=dict(registrant) if registrant else None,
                        auth_code=auth_code, open_name=name)
    uow.orders.add(order)
    uow.emit(DomainOrderPlaced(org_id=org_id, order_id=order.id, kind=kind, domain=name, years=years,
                               price=order.price()), org_id=org_id)
    return order


def order_of(uow, org_id: str, order_id: str) -> DomainOrder:
    order = uow.orders.get(order_id)
    if order is None or order.org_id != org_id:
        raise NotFound("No such domain order.")
    return order


# --- payment ------------------------------------------------------------------------------------------

def on_invoice_paid(paid, uow) -> None:
    """An order's invoice is paid: the order is carried out at the registry (by the scheduler)."""
    reference = paid.reference or ""
    if not reference.startswith(REFERENCE_PREFIX):
        return
    order = uow.orders.locked(reference[len(REFERENCE_PREFIX):])
    if order is None or order.org_id != paid.org_id or order.status != AWAITING_PAYMENT:
        return  # another's, unknown, or paid already: nothing twice
    order.status = PAID
    order.next_attempt_at = order.updated_at = uow.clock.now()


def on_billing_account_opened(opened, uow) -> None:
    uow.currencies.put(opened.org_id, opened.currency)


# --- carrying out paid orders ------------------------------------------------------------------------

def contact_id_of(order: DomainOrder) -> str:
    """The registrant's contact at the registry (RFC 5733: 3-16 characters), one per order."""
    return "pt" + uuid.UUID(order.id).hex[:14]


def new_auth_code(rules: TldRules) -> str:
    """A strong random auth code the TLD's rules accept (the holder asks for their own later, DO-01)."""
    rule = rules.auth_code
    alphabet = rule.alphabet or (string.ascii_letters + string.digits + "-_+#!")
    length = max(rule.min_length, min(rule.max_length, 16))
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(length))
        if rule.problem(code) is None:
            return code


def _contact(order: DomainOrder) -> ContactDetails:
    registrant = order.registrant or {}
    address = registrant.get("address") or {}
    street = str(address.get("street") or "").strip()
    return ContactDetails(
        contact_id=contact_id_of(order), email=str(registrant.get("email")), auth_info=secrets.token_urlsafe(12),
        voice=registrant.get("phone") or None,
        postal=PostalAddress(name=str(registrant.get("name")), organization=registrant.get("organization") or None,
                             streets=(street,) if street else (), city=str(address.get("city")),
                             postcode=str(address.get("postcode") or "") or None,
                             country_code=str(address.get("country")).upper()))


def _retry_later(order: DomainOrder, now: datetime) -> None:
    order.attempts += 1
    order.next_attempt_at = now + min(LONGEST_WAIT, timedelta(seconds=2 ** min(order.attempts, 10)))
    order.updated_at = now


def fail(uow, order: DomainOrder, reason: str) -> None:
    now = uow.clock.now()
    order.status, order.reason, order.auth_code, order.open_name = FAILED, reason[:500], None, None
    order.next_attempt_at, order.updated_at = None, now
    uow.emit(DomainOrderFailed(org_id=order.org_id, order_id=order.id, reason=order.reason), org_id=order.org_id)


def complete(uow, order: DomainOrder, expires_at: datetime | None) -> Domain | None:
    now = uow.clock.now()
    expires_at = expires_at or (now + timedelta(days=365 * max(order.years, 1)))
    released = uow.domains.by_name(order.domain)
    if released is not None and released.status == "released":
        uow.domains.remove(released)  # a released name registered anew is a new domain
    elif released is not None:  # cannot happen while one order per name is open; never two rows of a name
        log.error("domain order %s: %s is held in Portico already", order.id, order.domain)
        fail(uow, order, "the domain is held in Portico already")
        return None
    domain = Domain(id=str(uuid.uuid4()), org_id=order.org_id, name=order.domain, expires_at=expires_at,
                    status="active", auto_renew=True, created_at=now)
    uow.domains.add(domain)
    order.status, order.domain_id, order.auth_code, order.open_name = COMPLETED, domain.id, None, None
    order.next_attempt_at, order.updated_at, order.reason = None, now, None
    uow.emit(DomainStateChanged(org_id=order.org_id, domain_id=domain.id, domain=domain.name, status="active",
                                expires_on=expires_at.date().isoformat(), at=iso_utc(now)), org_id=order.org_id)
    uow.emit(ProductProvisioned(org_id=order.org_id, product_type="domain", product_id=domain.id), org_id=order.org_id)
    return domain


def _register(uow, order: DomainOrder, registry: Registry, rules: TldRules) -> None:
    contact_id = contact_id_of(order)
    try:
        registry.create_contact(_contact(order))
    except RegistryRefused as refused:
        if not refused.object_exists:
            raise
    try:
        created = registry.create_domain(DomainRegistration(
            name=order.domain, years=order.years, registrant=contact_id, auth_info=new_auth_code(rules),
            contacts=(ContactRole("admin", contact_id), ContactRole("tech", contact_id))))
    except RegistryRefused as refused:
        if not refused.object_exists:
            raise
        info = registry.domain_info(order.domain)  # an earlier attempt's, or someone else's
        if info.registrant != contact_id:
            raise
        complete(uow, order, info.expires_at)
        return
    expires_at = created.expires_at
    if expires_at is None:
        expires_at = registry.domain_info(order.domain).expires_at
    complete(uow, order, expires_at)


def _transfer(uow, order: DomainOrder, registry: Registry, rules: TldRules) -> None:
    now = uow.clock.now()
    if order.status == PAID:
        try:
            status = registry.request_transfer(order.domain, order.auth_code or "", order.years or None)
        except RegistryRefused as refused:
            if refused.code != PENDING_TRANSFER:
                raise
            status = registry.query_transfer(order.domain, order.auth_code)
    else:
        status = registry.query_transfer(order.domain, order.auth_code)
    if status.status in APPROVED:
        info = registry.domain_info(order.domain)
        complete(uow, order, info.expires_at or status.expires_at)
    elif status.status in REFUSED_TRANSFER:
        fail(uow, order, {"clientRejected": "the domain's current registrar rejected the transfer",
                          "clientCancelled": "the transfer was cancelled",
                          "serverCancelled": "the registry cancelled the transfer"}[status.status])
    else:
        order.status = PENDING_TRANSFER_STATE
        order.next_attempt_at, order.updated_at = now + TRANSFER_QUERY_EVERY, now


def refusal_reason(order: DomainOrder, refused: RegistryRefused) -> str:
    if order.kind == TRANSFER:
        if refused.code in (AUTHORIZATION_ERROR, INVALID_AUTH_INFO):
            return "the auth code is wrong: ask the domain's current registrar for the valid one"
        if refused.code == STATUS_PROHIBITS:
            return "the domain is locked against transfers at its registrar: have it unlocked first"
        if refused.code == NOT_TRANSFERABLE:
            return "the domain cannot be transferred yet (recently registered, transferred or changed hands)"
        if refused.code == OBJECT_MISSING:
            return "the registry holds no such domain"
    elif refused.object_exists:
        return "the name was registered by someone else meanwhile"
    return f"the registry refused: {refused.message} ({refused.code})"


Step = Callable[[Any, DomainOrder, Registry, TldRules], None]


def carry_out(uow, order: DomainOrder, registry_for: Callable[[str], Registry], catalog: TldCatalog,
              more_steps: Mapping[str, Step] | None = None) -> None:
    """One step of a paid order at the registry; the order records where it is. Kinds of order that
    build on these (a restore, domain/restores.py) bring their step in `more_steps`."""
    now = uow.clock.now()
    steps: Mapping[str, Step] = {REGISTRATION: _register, TRANSFER: _transfer, **(more_steps or {})}
    try:
        rules = catalog.for_tld(order.tld)
        registry = registry_for(order.tld)
        steps[order.kind](uow, order, registry, rules)
    except LookupError as unsold:
        fail(uow, order, str(unsold))
    except RegistryRefused as refused:
        fail(uow, order, refusal_reason(order, refused))
    except RegistryUnavailable as unavailable:
        _retry_later(order, now)
        log.warning("domain order %s: the registry of .%s cannot be asked (%s); trying again at %s",
                    order.id, order.tld, unavailable, order.next_attempt_at)


def carry_out_due(uow_factory, registry_for: Callable[[str], Registry], catalog: TldCatalog, batch: int = 20,
                  more_steps: Mapping[str, Step] | None = None) -> int:
    """The scheduler's round: every paid order, and every pending transfer due to be queried, one
    transaction each (its row claimed: a second scheduler skips it)."""
    done = 0
    for _ in range(batch):
        with uow_factory() as uow:
            order = uow.orders.claim_due(uow.clock.now())
            if order is None:
                break
            carry_out(uow, order, registry_for, catalog, more_steps)
            uow.commit()
            done += 1
    return done
