"""How billing's records are shown (contracts/billing.yaml's schemas)."""
from __future__ import annotations

from fractions import Fraction

from portico_kernel.clock import iso_utc


def money(m) -> dict:
    return {"amount_minor": m.minor, "currency": m.currency}


def rate(r: Fraction) -> str:
    """A VAT rate in per cent, as written on an invoice: "8.1", "19", "25.5"."""
    text = f"{float(r):.2f}".rstrip("0").rstrip(".")
    return text


def plan_view(plan) -> dict:
    return {"id": plan.id, "name": plan.name, "size": plan.size, "trial_days": plan.trial_days, "seats": plan.seats,
            "capacity": dict(plan.capacity),
            "prices": [{"frequency": f.name.lower(), "price": money(p)} for f, p in plan.prices.items()]}


def add_on_view(add_on) -> dict:
    return {"id": add_on.id, "name": add_on.name,
            "prices": [{"plan_id": plan_id, "frequency": f.name.lower(), "price": money(p)}
                       for plan_id, per in add_on.prices.items() for f, p in per.items()]}


def product_view(product) -> dict:
    return {"id": product.id, "type": product.type, "name": product.name,
            "plans": [plan_view(p) for p in product.plans], "add_ons": [add_on_view(a) for a in product.add_ons]}


def subscription_view(subscription, product, created_at=None, today=None) -> dict:
    plan = product.plan(subscription.plan_id)
    renews_on = None
    if subscription.status == "active" and today is not None:
        renews_on = subscription.period(max(today, subscription.started_on)).end.isoformat()
    view = {
        "id": subscription.id, "org_id": subscription.org_id, "status": subscription.status,
        "product": {"id": product.id, "type": product.type, "name": product.name},
        "plan": {"id": plan.id, "name": plan.name, "size": plan.size, "trial": plan.is_trial, "seats": plan.seats},
        "frequency": subscription.frequency.name.lower(), "started_on": subscription.started_on.isoformat(),
        "renews_on": renews_on, "auto_renew": subscription.auto_renew,
        "trial_ends_on": subscription.trial_ends_on.isoformat() if subscription.trial_ends_on else None,
        "ended_on": subscription.ended_on.isoformat() if subscription.ended_on else None,
        "add_ons": [{"id": a.id, "name": a.name} for a in product.add_ons if a.id in subscription.add_on_ids],
        "next_plan_id": subscription.next_plan_id,
        "next_frequency": subscription.next_frequency.name.lower() if subscription.next_frequency else None,
        "promo_codes": list(subscription.promo_codes),
        "upgrade_options": [{"plan_id": p.id, "name": p.name, "size": p.size,
                             **({"price": money(p.price(subscription.frequency))} if subscription.frequency in p.prices else {})}
                            for p in product.larger_than(plan)],
        "bookable_add_ons": [{"id": a.id, "name": a.name,
                              "price": money(a.prices[plan.id][subscription.frequency])}
                             for a in product.add_ons if a.id not in subscription.add_on_ids
                             and subscription.frequency in a.prices.get(plan.id, {})],
    }
    if created_at is not None:
        view["created_at"] = iso_utc(created_at)
    return view


def document_view(document) -> dict:
    invoice = document.invoice
    return {
        "id": invoice.id, "number": invoice.number, "kind": document.kind, "org_id": invoice.org_id,
        "status": invoice.status, "currency": invoice.currency,
        "issued_on": invoice.issued_on.isoformat(), "issued_at": iso_utc(document.issued_at),
        "due_on": invoice.due_on.isoformat(), "supplier": document.supplier, "customer": document.customer,
        "lines": [{"description": line.description, "net": money(line.net), "vat_rate": rate(line.vat_rate)}
                  for line in invoice.lines],
        "vat_summary": [{"vat_rate": rate(v.rate), "net": money(v.net), "vat": money(v.vat),
                         "gross": money(v.net + v.vat)} for v in invoice.vat_lines],
        "net": money(invoice.net), "vat": money(invoice.vat), "total": money(invoice.total),
        "paid": money(invoice.paid), "outstanding": money(invoice.outstanding),
        "reverse_charge": invoice.treatment.reverse_charge, "notes": list(invoice.notes),
        "credit_note_of": invoice.credit_note_of, "payment_reference": document.payment_reference,
    }


def charges_view(charges, currency: str) -> dict:
    total = sum(c.amount.minor for c in charges)
    return {"lines": [{"description": c.description, "amount": money(c.amount), "product_id": c.product_id}
                      for c in charges], "net": {"amount_minor": total, "currency": currency}}


def invoice_part(document) -> dict:
    """The invoice a change issued, when it charged anything."""
    return {"invoice": document_view(document)} if document is not None else {}
