"""The catalog: products with plans in sizes, priced per billing frequency, with add-ons priced with
the plan, free trials and seats for team members (BI-01 … BI-05, BI-18, BI-19, OR-16).

Plain data, loaded from the catalog's table; the rules of a change of plan are in subscriptions.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .money import Money
from .periods import Frequency


@dataclass(frozen=True)
class Plan:
    id: str
    product_id: str
    name: str
    size: int  # its rank among the product's plans: a larger size is an upgrade
    prices: dict[Frequency, Money] = field(default_factory=dict)  # none for a free trial
    trial_days: int = 0  # > 0: a free trial of that many days (BI-19)
    capacity: dict[str, int] = field(default_factory=dict)  # e.g. {"events": 100, "mailboxes": 10}
    seats: int = 0  # team-member accounts the plan includes (OR-16)

    @property
    def is_trial(self) -> bool:
        return self.trial_days > 0

    def price(self, frequency: Frequency) -> Money:
        if frequency not in self.prices:
            raise LookupError(f"the plan {self.name!r} is not sold {frequency.name.lower()}")
        return self.prices[frequency]


@dataclass(frozen=True)
class AddOn:
    """An option booked beside a plan; priced with the plan (BI-02): each plan its own price."""
    id: str
    product_id: str
    name: str
    prices: dict[str, dict[Frequency, Money]] = field(default_factory=dict)  # plan id -> frequency -> price

    def price(self, plan_id: str, frequency: Frequency) -> Money:
        try:
            return self.prices[plan_id][frequency]
        except KeyError:
            raise LookupError(f"the add-on {self.name!r} is not sold with this plan {frequency.name.lower()}") from None


@dataclass(frozen=True)
class Product:
    id: str
    type: str  # "hosting", "mailbox", "domain", "premium-support" …: what orgs grants rights on
    name: str
    plans: tuple[Plan, ...] = ()
    add_ons: tuple[AddOn, ...] = ()

    def plan(self, plan_id: str) -> Plan:
        for plan in self.plans:
            if plan.id == plan_id:
                return plan
        raise LookupError(f"{self.name} has no plan {plan_id!r}")

    def add_on(self, add_on_id: str) -> AddOn:
        for add_on in self.add_ons:
            if add_on.id == add_on_id:
                return add_on
        raise LookupError(f"{self.name} has no add-on {add_on_id!r}")

    def larger_than(self, plan: Plan) -> list[Plan]:
        """The upgrade options of a plan (BI-05): the paid plans of a larger size, smallest first."""
        return sorted((p for p in self.plans if p.size > plan.size and not p.is_trial), key=lambda p: p.size)


FREQUENCIES = {f.name.lower(): f for f in Frequency}


@dataclass(frozen=True)
class Fee:
    id: str
    name: str
    prices: dict[str, Money]  # currency -> price


@dataclass(frozen=True)
class Catalog:
    """The whole catalog in each currency it is sold in (plain data, from services/billing/data/catalog.yaml)."""
    products: dict[str, tuple[Product, ...]]  # currency -> products
    fees: dict[str, Fee]
    supplier: dict
    # BI-09: the least an offer is worth (net, per currency) for its customer to change its billing frequency
    offer_frequency_change_minimum: dict[str, Money] = field(default_factory=dict)
    # BI-11: how many days before a term ends its renewal is invoiced (and collected)
    renewal_lead_days: int = 14

    def in_currency(self, currency: str) -> tuple[Product, ...]:
        return self.products[currency]

    def product(self, currency: str, product_id: str) -> Product:
        for product in self.products[currency]:
            if product.id == product_id:
                return product
        raise LookupError(f"the catalog has no product {product_id!r}")


def _money(prices: dict, currency: str) -> Money:
    return Money(int(prices[currency]), currency)


def catalog_from(data: dict) -> Catalog:
    """The catalog from its data: every price given in every currency, every add-on priced for plans
    of its product, or it is refused at start rather than at an order."""
    currencies = sorted({"CHF", "EUR"})
    products: dict[str, list[Product]] = {c: [] for c in currencies}
    for raw in data["products"]:
        plan_ids = {p["id"] for p in raw["plans"]}
        for currency in currencies:
            plans = tuple(Plan(id=p["id"], product_id=raw["id"], name=p["name"], size=int(p["size"]),
                               prices={FREQUENCIES[f]: _money(v, currency) for f, v in (p.get("prices") or {}).items()},
                               trial_days=int(p.get("trial_days", 0)), capacity=dict(p.get("capacity") or {}),
                               seats=int(p.get("seats", 0)))
                          for p in raw["plans"])
            add_ons = []
            for a in raw.get("add_ons") or ():
                if not set(a["prices"]) <= plan_ids:
                    raise ValueError(f"the add-on {a['id']} is priced for a plan {raw['id']} does not have")
                add_ons.append(AddOn(id=a["id"], product_id=raw["id"], name=a["name"],
                                     prices={plan: {FREQUENCIES[f]: _money(v, currency) for f, v in per.items()}
                                             for plan, per in a["prices"].items()}))
            for plan in plans:
                if plan.is_trial == bool(plan.prices):
                    raise ValueError(f"the plan {plan.id} is either a free trial or priced")
            products[currency].append(Product(id=raw["id"], type=raw["type"], name=raw["name"], plans=plans,
                                              add_ons=tuple(add_ons)))
    fees = {fee_id: Fee(fee_id, raw["name"], {c: _money(raw["prices"], c) for c in currencies})
            for fee_id, raw in (data.get("fees") or {}).items()}
    minimum = (data.get("offers") or {}).get("frequency_change_minimum") or {}
    return Catalog({c: tuple(p) for c, p in products.items()}, fees, dict(data["supplier"]),
                   {c: _money(minimum, c) for c in currencies if c in minimum},
                   renewal_lead_days=int((data.get("renewals") or {}).get("lead_days", 14)))
