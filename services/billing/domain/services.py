"""My services (BI-05): the organization's subscriptions with their upgrade options, booking add-ons,
changing plan (BI-01 … BI-04) or billing frequency (BI-09), automatic renewal (BI-11), ending one.

Every change of a subscription needs `manage` on it (the product orgs knows, visibility.py); what a
change costs is shown first (a preview) and charged when it is confirmed, by the rules of
subscriptions.py.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from portico_kernel.errors import Conflict, NotFound, invalid_field
from portico_kernel.paging import EVER, Page, PageRequest, Period
from portico_kernel.principal import Principal

from . import issuing, renewals
from .catalog import FREQUENCIES, Plan, Product
from .events import ProductRemoved
from .issuing import Charge, Document
from .money import Money
from .orders import account_of, seats_until
from .periods import prorated
from .subscriptions import (
    ChangeRefused, Line, Subscription, frequency_change_quote, schedule_downgrade, upgrade_quote,
)
from .visibility import ensure_manages, ensure_sees_billing

STATUSES = ("trial", "active", "suspended", "ended")  # suspended: dunning.py
UPGRADE, DOWNGRADE, FREQUENCY = "upgrade", "downgrade", "frequency"


def services_of(uow, caller: Principal, org_id: str, page: PageRequest, status: str | None = None,
                period: Period = EVER) -> Page:
    ensure_sees_billing(uow, caller, org_id)
    currency = account_of(uow, org_id).currency
    return uow.subscriptions.of_org(org_id, page, status=status, period=period).map(
        lambda found: (found[0], uow.catalog.product(currency, found[0].product_id), found[1]))


def service(uow, caller: Principal, org_id: str, subscription_id: str) -> tuple[Subscription, Product]:
    ensure_sees_billing(uow, caller, org_id)
    subscription = uow.subscriptions.get(subscription_id)
    if subscription is None or subscription.org_id != org_id:
        raise NotFound("No such subscription.")
    return subscription, uow.catalog.product(account_of(uow, org_id).currency, subscription.product_id)


def _managed(uow, caller: Principal, org_id: str, subscription_id: str) -> tuple[Subscription, Product]:
    subscription = uow.subscriptions.get(subscription_id, for_update=True)
    if subscription is None or subscription.org_id != org_id or caller.org_id != org_id:
        raise NotFound("No such subscription.")
    product = uow.catalog.product(account_of(uow, org_id).currency, subscription.product_id)
    ensure_manages(uow, caller, org_id, product.type, subscription.id)
    if subscription.status == "ended":
        raise Conflict("This subscription has ended.", problem="subscription-ended")
    return subscription, product


def set_auto_renew(uow, caller: Principal, org_id: str, subscription_id: str, on: bool) -> Subscription:
    """BI-11: on or off, in one step."""
    subscription, _ = _managed(uow, caller, org_id, subscription_id)
    changed = replace(subscription, auto_renew=on)
    uow.subscriptions.save(changed)
    uow.commit()
    return changed


def end(uow, caller: Principal, org_id: str, subscription_id: str) -> Subscription:
    """The subscription ends today; the product goes (`ProductRemoved`), orgs drops its grants."""
    subscription, product = _managed(uow, caller, org_id, subscription_id)
    ended = renewals.changed_after_renewal(
        uow, subscription, replace(subscription, status="ended", ended_on=uow.clock.now().date(), auto_renew=False))
    uow.subscriptions.save(ended)
    uow.emit(ProductRemoved(org_id=org_id, product_type=product.type, product_id=subscription.id), org_id=org_id)
    uow.commit()
    return ended


@dataclass(frozen=True)
class Change:
    """A change as previewed: what it costs now (an invoice when confirmed) and when it takes effect."""
    kind: str
    lines: tuple[Line, ...]
    currency: str
    effective_on: date
    renews_on: date
    subscription: Subscription

    @property
    def total(self) -> Money:
        return Money(sum(line.amount.minor for line in self.lines), self.currency)


def _not_suspended(subscription: Subscription) -> None:
    """A service suspended for an unpaid invoice (dunning.py) changes once it is paid: an upgrade
    must not make it serve again."""
    if subscription.status == "suspended":
        raise Conflict("This service is suspended until its unpaid invoice is paid.", problem="subscription-suspended")


def _plan_change(uow, subscription: Subscription, product: Product, plan_id: str) -> Change:
    _not_suspended(subscription)
    today = uow.clock.now().date()
    try:
        target = product.plan(plan_id)
    except LookupError:
        raise invalid_field("plan_id", f"{product.name} has no such plan") from None
    current = product.plan(subscription.plan_id)
    try:
        if target.size > current.size and not target.is_trial:
            quote = upgrade_quote(subscription, product, plan_id, today)
            upgraded = replace(quote.subscription, status="active", trial_ends_on=None)
            return Change(UPGRADE, quote.lines, quote.total.currency if quote.lines else _currency(product),
                          today, quote.renews_on, upgraded)
        downgraded, on = schedule_downgrade(subscription, product, plan_id, today)
        return Change(DOWNGRADE, (), _currency(product), on, on, downgraded)
    except ChangeRefused as refused:
        raise invalid_field("plan_id", str(refused)) from None


def _currency(product: Product) -> str:
    for plan in product.plans:
        for price in plan.prices.values():
            return price.currency
    return "CHF"


def preview_plan_change(uow, caller: Principal, org_id: str, subscription_id: str, plan_id: str) -> Change:
    """BI-01, BI-03: the amount due is shown before the customer confirms."""
    subscription, product = _managed(uow, caller, org_id, subscription_id)
    return _plan_change(uow, subscription, product, plan_id)


def change_plan(uow, caller: Principal, org_id: str, subscription_id: str, plan_id: str) -> tuple[Change, Document | None]:
    """BI-01, BI-02: an upgrade is charged now for the days left, its add-ons with it, the renewal
    date stays. BI-03, BI-19: a downgrade waits for the next term, never to a trial, and ends the
    promo codes of the whole account."""
    subscription, product = _managed(uow, caller, org_id, subscription_id)
    change = _plan_change(uow, subscription, product, plan_id)
    if change.kind == DOWNGRADE:
        uow.subscriptions.end_promo_codes(org_id)
    uow.subscriptions.save(renewals.changed_after_renewal(uow, subscription, change.subscription))
    document = None
    if change.kind == UPGRADE:
        account = account_of(uow, org_id)
        charges = [Charge(line.description, line.amount, product.id, subscription.id) for line in change.lines]
        if charges:
            document = issuing.issue(uow, account, charges)
        new_plan = product.plan(plan_id)
        if new_plan.seats != product.plan(subscription.plan_id).seats:
            seats_until(uow, change.subscription, product, new_plan)
    uow.commit()
    return change, document


def _frequency_change(uow, subscription: Subscription, product: Product, frequency_name: str) -> Change:
    _not_suspended(subscription)
    today = uow.clock.now().date()
    frequency = FREQUENCIES.get(frequency_name)
    if frequency is None:
        raise invalid_field("frequency", "monthly, quarterly or yearly")
    if subscription.status != "active":
        raise invalid_field("frequency", "a free trial is not billed; choose a paid plan first")
    plan = product.plan(subscription.plan_id)
    try:
        plan.price(frequency)
        quote = frequency_change_quote(subscription, product, frequency, today)
    except (ChangeRefused, LookupError) as refused:
        raise invalid_field("frequency", str(refused)) from None
    paid_until = subscription.period(today).end
    if frequency.months < subscription.frequency.months or quote.total.minor < 0:
        # BI-09: a shorter frequency starts when the paid term ends: no paid month is billed twice
        return Change(FREQUENCY, (), quote.total.currency, paid_until, paid_until,
                      replace(subscription, next_frequency=frequency))
    return Change(FREQUENCY, quote.lines, quote.total.currency, today, quote.renews_on,
                  replace(quote.subscription, next_frequency=None))


def preview_frequency_change(uow, caller: Principal, org_id: str, subscription_id: str, frequency: str) -> Change:
    subscription, product = _managed(uow, caller, org_id, subscription_id)
    return _frequency_change(uow, subscription, product, frequency)


def change_frequency(uow, caller: Principal, org_id: str, subscription_id: str, frequency: str) -> tuple[Change, Document | None]:
    """BI-09: to a longer frequency now, the unused part of the paid period credited on the invoice;
    to a shorter one from the end of the paid term."""
    subscription, product = _managed(uow, caller, org_id, subscription_id)
    change = _frequency_change(uow, subscription, product, frequency)
    uow.subscriptions.save(renewals.changed_after_renewal(uow, subscription, change.subscription))
    document = None
    if change.lines:
        charges = [Charge(line.description, line.amount, product.id, subscription.id) for line in change.lines]
        document = issuing.issue(uow, account_of(uow, org_id), charges)
    uow.commit()
    return change, document


def book_add_on(uow, caller: Principal, org_id: str, subscription_id: str, add_on_id: str) -> tuple[Subscription, Document | None]:
    """BI-05, BI-02: an add-on of the subscription's plan, charged for the days left of the period;
    a free option support granted makes it free."""
    subscription, product = _managed(uow, caller, org_id, subscription_id)
    _not_suspended(subscription)
    if subscription.status != "active":
        raise invalid_field("add_on_id", "a free trial comes without add-ons; choose a paid plan first")
    if add_on_id in subscription.add_on_ids:
        raise Conflict("This add-on is booked already.", problem="add-on-booked")
    today = uow.clock.now().date()
    try:
        add_on = product.add_on(add_on_id)
        price = add_on.price(subscription.plan_id, subscription.frequency)
    except LookupError as refused:
        raise invalid_field("add_on_id", str(refused)) from None
    period = subscription.period(today)
    due = Money.of(prorated(price, period, today), price.currency)
    charges = [Charge(f"{add_on.name}, {period.days_left(today)} of {period.days} days to {period.end.isoformat()}",
                      due, product.id, subscription.id)]
    option = next((o for o in uow.free_options.unused_of(org_id)
                   if o.product_id == product.id and o.add_on_id == add_on_id), None)
    if option is not None:
        if not uow.free_options.use(option.id, subscription.id):
            raise Conflict("The free option was used meanwhile.", problem="free-option-used")
        charges.append(Charge(f"{add_on.name}: granted free by support", -due, product.id, subscription.id))
    booked = renewals.changed_after_renewal(uow, subscription,
                                            replace(subscription, add_on_ids=subscription.add_on_ids | {add_on_id}))
    uow.subscriptions.save(booked)
    document = issuing.issue(uow, account_of(uow, org_id), charges)
    uow.commit()
    return booked, document


def upgrade_options(product: Product, subscription: Subscription) -> list[Plan]:
    return product.larger_than(product.plan(subscription.plan_id))


def capacity_check(uow, caller: Principal, org_id: str, subscription_id: str, usage: dict[str, int]):
    """BI-04: what the product's usage comes near (80 % of the plan's capacity or more), each with the
    next larger plan offered. The usage is the product's to measure; it is given here as its service
    or its page shows it."""
    from .subscriptions import capacity_notices

    subscription, product = service(uow, caller, org_id, subscription_id)
    plan = product.plan(subscription.plan_id)
    unknown = sorted(set(usage) - set(plan.capacity))
    if unknown:
        raise invalid_field("usage", f"{plan.name} has no capacity for {', '.join(u[:40] for u in unknown[:3])}")
    return subscription, capacity_notices(product, plan, usage)
