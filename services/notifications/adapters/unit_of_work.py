from __future__ import annotations

from portico_kernel.access_model import MemberAccess
from portico_kernel.uow import UnitOfWork, repository

from .orm import member_access as member_access_table
from .repository import (AlertChoicesRepository, Contacts, Emails, InvoicePreferencesRepository, Memberships, People,
                         SmtpServers)


class NotificationsUnitOfWork(UnitOfWork):
    emails = repository(Emails)
    people = repository(People)
    memberships = repository(Memberships)
    smtp_servers = repository(SmtpServers)
    alert_choices = repository(AlertChoicesRepository)
    contacts = repository(Contacts)
    invoice_preferences = repository(InvoicePreferencesRepository)
    member_access = repository(lambda session: MemberAccess(session, member_access_table))
