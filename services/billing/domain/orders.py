"""Ordering products (BI-05, BI-12, BI-18, BI-19, OR-16): what an order costs, shown at checkout
before it is placed, and placing it.

An order holds items (a product's plan at a billing frequency, with add-ons of that plan) and voucher
codes. A paid plan is billed for its first period from today; a free trial costs nothing and runs
for its days. Free options support granted the organization make their add-on free on its first
booking; each code takes its share off one item (vouchers.py). A placed order starts a subscription
per item (`ProductProvisioned`, and `SeatsProvisioned` for a plan with seats) and issues one invoice
of what it costs.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta, timezone

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Conflict, NotFound, invalid_field
from portico_kernel.principal import Principal

from . import issuing
from .catalog import FREQUENCIES, Plan, Product
from .events import ProductProvisioned, SeatsProvisioned
from .issuing import Charge, Document
from .money import Money
from .subscriptions import Subscription
from .visibility import ensure_orders
from .vouchers import FreeOption, Voucher, VoucherRefused, assign

MAX_ITEMS = 20


@dataclass(frozen=True)
class Item:
    product_id: str
    plan_id: str
    frequency: str = "monthly"
    add_on_ids: tuple[str, ...] = ()


@dataclass
class Checkout:
    """What an order costs, line by line, before it is placed."""
    currency: str
    charges: list[Charge] = field(default_factory=list)
    subscriptions: list[tuple[Subscription, Product, Plan]] = field(default_factory=list)
    vouchers: list[Voucher] = field(default_factory=list)
    free_options: list[tuple[FreeOption, int]] = field(default_factory=list)  # each with the item it went to
    free_options_available: list[FreeOption] = field(default_factory=list)

    @property
    def net(self) -> Money:
        return Money(sum(c.amount.minor for c in self.charges), self.currency)


def account_of(uow, org_id: str):
    account = uow.accounts.of_org(org_id)
    if account is None:
        raise NotFound("No billing account for this organization.")
    return account


def product_in(uow, currency: str, product_id: str, name: str = "product_id") -> Product:
    try:
        return uow.catalog.product(currency, product_id)
    except LookupError:
        raise invalid_field(name, "no such product in the catalog") from None


def checkout(uow, caller: Principal, org_id: str, items: list[Item], codes: list[str]) -> Checkout:
    ensure_orders(uow, caller, org_id)
    return _priced(uow, account_of(uow, org_id), org_id, items, codes)


def _priced(uow, account, org_id: str, items: list[Item], codes: list[str]) -> Checkout:
    if not items:
        raise invalid_field("items", "an order holds at least one product")
    if len(items) > MAX_ITEMS:
        raise invalid_field("items", f"at most {MAX_ITEMS} products per order")
    today = uow.clock.now().date()
    currency = account.currency
    result = Checkout(currency)
    free = uow.free_options.unused_of(org_id)
    result.free_options_available = list(free)
    item_lines: dict[int, list[int]] = {}
    for index, item in enumerate(items):
        name = f"items[{index}]"
        product = product_in(uow, currency, item.product_id, f"{name}.product_id")
        try:
            plan = product.plan(item.plan_id)
        except LookupError:
            raise invalid_field(f"{name}.plan_id", f"{product.name} has no such plan") from None
        frequency = FREQUENCIES.get(item.frequency)
        if frequency is None:
            raise invalid_field(f"{name}.frequency", "monthly, quarterly or yearly")
        if len(set(item.add_on_ids)) != len(item.add_on_ids):
            raise invalid_field(f"{name}.add_on_ids", "an add-on is booked once")
        subscription = Subscription(id=str(uuid.uuid4()), org_id=org_id, product_id=product.id, plan_id=plan.id,
                                    frequency=frequency, started_on=today, add_on_ids=frozenset(item.add_on_ids),
                                    status="trial" if plan.is_trial else "active",
                                    trial_ends_on=today + timedelta(days=plan.trial_days) if plan.is_trial else None)
        result.subscriptions.append((subscription, product, plan))
        lines = item_lines.setdefault(index, [])
        if plan.is_trial:
            if item.add_on_ids:
                raise invalid_field(f"{name}.add_on_ids", "a free trial comes without add-ons")
            continue
        period = subscription.period(today)
        try:
            price = plan.price(frequency)
        except LookupError as refused:
            raise invalid_field(f"{name}.frequency", str(refused)) from None
        lines.append(len(result.charges))
        result.charges.append(Charge(f"{product.name} {plan.name}, {frequency.name.lower()}, "
                                     f"{period.start.isoformat()} to {period.end.isoformat()}", price,
                                     product.id, subscription.id))
        for add_on_id in item.add_on_ids:
            try:
                add_on = product.add_on(add_on_id)
                add_on_price = add_on.price(plan.id, frequency)
            except LookupError as refused:
                raise invalid_field(f"{name}.add_on_ids", str(refused)) from None
            lines.append(len(result.charges))
            result.charges.append(Charge(f"{add_on.name} with {product.name} {plan.name}, {frequency.name.lower()}",
                                         add_on_price, product.id, subscription.id))
            option = next((o for o in free if o.product_id == product.id and o.add_on_id == add_on_id
                           and o not in [f for f, _ in result.free_options]), None)
            if option is not None:
                lines.append(len(result.charges))
                result.charges.append(Charge(f"{add_on.name}: granted free by support", -add_on_price,
                                             product.id, subscription.id))
                result.free_options.append((option, index))
    vouchers = []
    for position, code in enumerate(codes):
        voucher = uow.vouchers.get(code) if isinstance(code, str) else None
        if voucher is None:
            raise invalid_field(f"voucher_codes[{position}]", "no such code")
        try:
            voucher.check(today, currency)
        except VoucherRefused as refused:
            raise invalid_field(f"voucher_codes[{position}]", str(refused)) from None
        vouchers.append(voucher)
    try:
        assigned = assign(vouchers, [item.product_id for item in items])
    except VoucherRefused as refused:
        raise invalid_field("voucher_codes", str(refused)) from None
    for index, voucher in sorted(assigned.items()):
        subscription, product, plan = result.subscriptions[index]
        subtotal = Money(sum(result.charges[i].amount.minor for i in item_lines[index]), currency)
        off = voucher.discount(subtotal)
        if off.minor:
            result.charges.append(Charge(f"Voucher {voucher.code} on {product.name} {plan.name}", -off,
                                         product.id, subscription.id))
        result.subscriptions[index] = (replace(subscription, promo_codes=subscription.promo_codes + (voucher.code,)),
                                       product, plan)
        result.vouchers.append(voucher)
    return result


def place(uow, caller: Principal, org_id: str, items: list[Item], codes: list[str], *,
          commit: bool = True) -> tuple[Checkout, Document | None]:
    """The order is placed: its subscriptions start, its invoice is issued, in one transaction (which
    an accepted quote shares: `commit=False`)."""
    ensure_orders(uow, caller, org_id)
    account = account_of(uow, org_id)
    order = _priced(uow, account, org_id, items, codes)
    now = uow.clock.now()
    for subscription, product, plan in order.subscriptions:
        uow.subscriptions.add(subscription, now)
        started(uow, subscription, product, plan)
    document = issuing.issue(uow, account, order.charges) if order.charges else None
    # A code used up by a parallel order refuses this one whole: its invoice's number too goes
    # back with the rollback (the series stays without gaps).
    for voucher in order.vouchers:
        if not uow.vouchers.use(voucher.code):
            raise Conflict(f"The code {voucher.code} has just been used up.", problem="voucher-used-up")
    for option, index in order.free_options:
        if not uow.free_options.use(option.id, order.subscriptions[index][0].id):
            raise Conflict("A free option was used meanwhile; check out again.", problem="free-option-used")
    if commit:
        uow.commit()
    return order, document


def started(uow, subscription: Subscription, product: Product, plan: Plan) -> None:
    uow.emit(ProductProvisioned(org_id=subscription.org_id, product_type=product.type, product_id=subscription.id),
             org_id=subscription.org_id)
    if plan.seats:
        seats_until(uow, subscription, product, plan)


def seats_until(uow, subscription: Subscription, product: Product, plan: Plan, ends=None) -> None:
    """OR-16: the plan's seats, until the end of the period bought (a renewal of the plan alone does
    not move it; only a purchase or an explicit renewal of the seats does)."""
    end = ends or subscription.period(uow.clock.now().date()).end
    uow.emit(SeatsProvisioned(org_id=subscription.org_id, product_type=product.type, product_id=subscription.id,
                              seats=plan.seats,
                              valid_until=iso_utc(datetime.combine(end, time(0), tzinfo=timezone.utc))),
             org_id=subscription.org_id)
