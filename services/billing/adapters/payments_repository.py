"""Billing's repositories of money: payments, the prepaid balance's movements, the ledger, quotes."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from portico_kernel.db import fetch_page, in_period
from portico_kernel.errors import Conflict
from portico_kernel.paging import EVER, PageRequest, Period

from ..domain.payments import PENDING, Payment
from ..domain.prepaid import PrepaidMovement
from ..domain.quotes import EXPIRED, OPEN, Quote
from .orm import ledger_entries
from .repository import LedgerPostings


class Payments:
    def __init__(self, session):
        self.session = session

    def add(self, payment: Payment) -> None:
        self.session.add(payment)
        try:
            self.session.flush()  # the unique index on an invoice's pending payment speaks now
        except IntegrityError:
            raise Conflict("A payment of this invoice is under way; wait for its outcome.",
                           problem="payment-in-progress") from None

    def locked(self, payment_id: str) -> Payment | None:
        return self.session.scalars(select(Payment).where(Payment.id == payment_id).with_for_update()
                                    .execution_options(populate_existing=True)).first()

    def get(self, payment_id: str) -> Payment | None:
        return self.session.get(Payment, payment_id)

    def pending_of_invoice(self, invoice_id: str) -> Payment | None:
        return self.session.scalars(select(Payment).where(Payment.invoice_id == invoice_id,
                                                          Payment.status == PENDING)).first()

    def pending(self, limit: int = 200) -> list[Payment]:
        return list(self.session.scalars(select(Payment).where(Payment.status == PENDING)
                                         .order_by(Payment.created_at).limit(limit)))

    def of_invoice(self, invoice_id: str, page: PageRequest):
        return fetch_page(self.session, _OF_INVOICE, (Payment.created_at, Payment.id), page,
                          params={"invoice_id": invoice_id})


_OF_INVOICE = select(Payment).where(Payment.invoice_id == bindparam("invoice_id"))
_MOVEMENTS = select(PrepaidMovement).where(PrepaidMovement.org_id == bindparam("org_id"))


class PrepaidMovements:
    def __init__(self, session):
        self.session = session

    def add(self, movement: PrepaidMovement) -> None:
        self.session.add(movement)

    def of_org(self, org_id: str, page: PageRequest, period: Period = EVER):
        """Newest first."""
        query = in_period(_MOVEMENTS, PrepaidMovement.at, period)
        return fetch_page(self.session, query, (PrepaidMovement.at, PrepaidMovement.id), page,
                          params={"org_id": org_id}, descending=True)


class Ledger(LedgerPostings):
    """The ledger's postings, and what its check asks of them."""

    def trial_balance(self) -> dict[str, int]:
        """Every currency's sum over all entries: zero while the ledger balances."""
        rows = self.session.execute(select(ledger_entries.c.currency, func.sum(ledger_entries.c.amount_minor))
                                    .group_by(ledger_entries.c.currency))
        return {currency: int(total) for currency, total in rows}

    def unbalanced_postings(self) -> int:
        rows = self.session.execute(select(ledger_entries.c.posting_id).group_by(ledger_entries.c.posting_id)
                                    .having(func.sum(ledger_entries.c.amount_minor) != 0))
        return len(list(rows))

    def balances(self, prefix: str) -> dict[tuple[str, str], int]:
        """The balance of every account named `<prefix><something>`, by (something, currency)."""
        rows = self.session.execute(select(ledger_entries.c.account, ledger_entries.c.currency,
                                           func.sum(ledger_entries.c.amount_minor))
                                    .where(ledger_entries.c.account.startswith(prefix, autoescape=True))
                                    .group_by(ledger_entries.c.account, ledger_entries.c.currency))
        out: dict = defaultdict(int)
        for account, currency, total in rows:
            out[(account[len(prefix):], currency)] = int(total)
        return dict(out)


_QUOTES = select(Quote).where(Quote.org_id == bindparam("org_id"))


class Quotes:
    def __init__(self, session):
        self.session = session

    def add(self, quote: Quote) -> None:
        self.session.add(quote)

    def get(self, quote_id: str) -> Quote | None:
        return self.session.get(Quote, quote_id)

    def of_org(self, org_id: str, page: PageRequest, *, status: str | None, today):
        """Newest first; `expired` are the open ones past their day."""
        query = _QUOTES
        if status == EXPIRED:
            query = query.where(Quote.status == OPEN, Quote.valid_until < today)
        elif status == OPEN:
            query = query.where(Quote.status == OPEN, Quote.valid_until >= today)
        elif status is not None:
            query = query.where(Quote.status == status)
        return fetch_page(self.session, query, (Quote.created_at, Quote.id), page, params={"org_id": org_id},
                          descending=True)

    def decide(self, quote_id: str, status: str, at, by: str) -> bool:
        """Open → `status`, in one statement: of two decisions at once, one wins."""
        done = self.session.execute(update(Quote).where(Quote.id == quote_id, Quote.status == OPEN)
                                    .values(status=status, decided_at=at, decided_by=by)
                                    .execution_options(synchronize_session=False))
        return done.rowcount == 1

    def reprice(self, quote_id: str, items: list, lines: list) -> bool:
        """The open quote's items and lines anew; a quote decided meanwhile stays as it was."""
        done = self.session.execute(update(Quote).where(Quote.id == quote_id, Quote.status == OPEN)
                                    .values(items=items, lines=lines).execution_options(synchronize_session=False))
        return done.rowcount == 1

    def invoiced(self, quote_id: str, invoice_id: str) -> None:
        self.session.execute(update(Quote).where(Quote.id == quote_id).values(invoice_id=invoice_id)
                             .execution_options(synchronize_session=False))
