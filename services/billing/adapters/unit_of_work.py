from __future__ import annotations

from portico_kernel.access_model import MemberAccess
from portico_kernel.uow import UnitOfWork, repository

from .bank_repository import BankStatements
from .catalog_file import catalog
from .dunning_repository import Dunning
from .direct_debit_repository import Collections, Mandates
from .orm import member_access as member_access_table
from .payments_repository import Ledger, Payments, PrepaidMovements, Quotes
from .receivables import Receivables
from .repository import BillingAccounts, FreeOptions, Invoices, Subscriptions, Vouchers


class BillingUnitOfWork(UnitOfWork):
    accounts = repository(BillingAccounts)
    invoices = repository(Invoices)
    subscriptions = repository(Subscriptions)
    vouchers = repository(Vouchers)
    free_options = repository(FreeOptions)
    member_access = repository(lambda session: MemberAccess(session, member_access_table))
    payments = repository(Payments)
    movements = repository(PrepaidMovements)
    ledger = repository(Ledger)
    receivables = repository(Receivables)
    quotes = repository(Quotes)
    dunning = repository(Dunning)
    bank = repository(BankStatements)  # imported bank statements and their entries
    mandates = repository(Mandates)  # SEPA direct debit (BI-08)
    collections = repository(Collections)
    def __enter__(self):
        super().__enter__()
        self.catalog = catalog()
        return self
