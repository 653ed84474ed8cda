from __future__ import annotations

from portico_kernel.access_model import MemberAccess
from portico_kernel.uow import UnitOfWork

from .bank_repository import BankStatements
from .catalog_file import catalog
from .dunning_repository import Dunning
from .direct_debit_repository import Collections, Mandates
from .orm import member_access
from .payments_repository import Ledger, Payments, PrepaidMovements, Quotes
from .receivables import Receivables
from .repository import BillingAccounts, FreeOptions, Invoices, Subscriptions, Vouchers


class BillingUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.accounts = BillingAccounts(self.session)
        self.invoices = Invoices(self.session)
        self.subscriptions = Subscriptions(self.session)
        self.vouchers = Vouchers(self.session)
        self.free_options = FreeOptions(self.session)
        self.member_access = MemberAccess(self.session, member_access)
        self.catalog = catalog()
        self.payments = Payments(self.session)
        self.movements = PrepaidMovements(self.session)
        self.ledger = Ledger(self.session)
        self.receivables = Receivables(self.session)
        self.quotes = Quotes(self.session)
        self.dunning = Dunning(self.session)
        self.bank = BankStatements(self.session)  # imported bank statements and their entries
        self.mandates = Mandates(self.session)  # SEPA direct debit (BI-08)
        self.collections = Collections(self.session)
        return self
