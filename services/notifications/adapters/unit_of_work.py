from __future__ import annotations

from portico_kernel.access_model import MemberAccess
from portico_kernel.uow import UnitOfWork

from .orm import member_access
from .repository import (AlertChoicesRepository, Contacts, Emails, InvoicePreferencesRepository, Memberships, People,
                         SmtpServers)


class NotificationsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.emails = Emails(self.session)
        self.people = People(self.session)
        self.memberships = Memberships(self.session)
        self.smtp_servers = SmtpServers(self.session)
        self.alert_choices = AlertChoicesRepository(self.session)
        self.contacts = Contacts(self.session)
        self.invoice_preferences = InvoicePreferencesRepository(self.session)
        self.member_access = MemberAccess(self.session, member_access)
        return self
