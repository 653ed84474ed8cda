from __future__ import annotations

from portico_kernel.access_model import MemberAccess
from portico_kernel.uow import UnitOfWork

from .departments_file import departments
from .orm import member_access
from .repository import (Attachments, DeletedOrganizations, Emergencies, Messages, People, Products,
                         SensitiveDataStore, ServiceLevels, SupportCodeLookups, SupportCodes, Tickets)


class TicketsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.tickets = Tickets(self.session)
        self.support_codes = SupportCodes(self.session)
        self.support_code_lookups = SupportCodeLookups(self.session)
        self.service_levels = ServiceLevels(self.session)
        self.emergencies = Emergencies(self.session)
        self.sensitive_data = SensitiveDataStore(self.session)
        self.messages = Messages(self.session)
        self.attachments = Attachments(self.session)
        self.products = Products(self.session)
        self.people = People(self.session)
        self.deleted_organizations = DeletedOrganizations(self.session)
        self.member_access = MemberAccess(self.session, member_access)
        self.departments = departments()
        return self
