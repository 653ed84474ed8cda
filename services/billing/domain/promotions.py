"""BI-12: the provider's staff create voucher codes; support grants an organization free options,
which show at its checkout."""
from __future__ import annotations

import uuid
from datetime import date

from portico_kernel.errors import Conflict, Invalid, invalid_field
from portico_kernel.paging import EVER, Page, PageRequest, Period
from portico_kernel.principal import Principal

from .money import Money
from .orders import account_of, product_in
from .visibility import ensure_billing_staff, ensure_sees_billing, ensure_support_staff
from .vouchers import FreeOption, Voucher, VoucherRefused


def create_voucher(uow, caller: Principal, *, code: str, percent: int | None = None, amount: dict | None = None,
                   product_ids: list[str] = (), max_uses: int | None = None, valid_from: date | None = None,
                   valid_until: date | None = None) -> Voucher:
    ensure_billing_staff(caller)
    for index, product_id in enumerate(product_ids):
        product_in(uow, "CHF", product_id, f"product_ids[{index}]")
    try:
        voucher = Voucher(code=code.upper(), percent=percent,
                          amount=Money(amount["amount_minor"], amount["currency"]) if amount else None,
                          product_ids=tuple(dict.fromkeys(product_ids)), max_uses=max_uses,
                          valid_from=valid_from, valid_until=valid_until)
    except VoucherRefused as refused:
        raise Invalid(str(refused)) from None
    if uow.vouchers.get(voucher.code) is not None:
        raise Conflict("This code exists already.", problem="voucher-exists")
    uow.vouchers.add(voucher, caller.user_id, uow.clock.now())
    uow.commit()
    return voucher


def vouchers(uow, caller: Principal, page: PageRequest, period: Period = EVER) -> Page[Voucher]:
    ensure_billing_staff(caller)
    return uow.vouchers.page(page, period)


def grant_free_option(uow, caller: Principal, org_id: str, product_id: str, add_on_id: str) -> FreeOption:
    ensure_support_staff(caller)
    product = product_in(uow, account_of(uow, org_id).currency, product_id)
    try:
        product.add_on(add_on_id)
    except LookupError:
        raise invalid_field("add_on_id", f"{product.name} has no such add-on") from None
    option = FreeOption(id=str(uuid.uuid4()), org_id=org_id, product_id=product_id, add_on_id=add_on_id,
                        granted_by=caller.user_id, granted_at=uow.clock.now())
    uow.free_options.add(option)
    uow.commit()
    return option


def free_options_of(uow, caller: Principal, org_id: str, page: PageRequest, status: str | None = None,
                    period: Period = EVER) -> Page[FreeOption]:
    ensure_sees_billing(uow, caller, org_id)
    account_of(uow, org_id)
    return uow.free_options.of_org(org_id, page, status, period)
