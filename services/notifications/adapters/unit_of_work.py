from __future__ import annotations

from portico_kernel.uow import UnitOfWork

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
        return self
