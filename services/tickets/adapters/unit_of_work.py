from __future__ import annotations

from portico_kernel.access_model import MemberAccess
from portico_kernel.uow import UnitOfWork, repository

from .departments_file import departments
from .orm import member_access
from .repository import (Attachments, DeletedOrganizations, Emergencies, Messages, People, Products,
                         SensitiveDataStore, ServiceLevels, SupportCodeLookups, SupportCodes, Tickets)


class TicketsUnitOfWork(UnitOfWork):
    tickets = repository(Tickets)
    support_codes = repository(SupportCodes)
    support_code_lookups = repository(SupportCodeLookups)
    service_levels = repository(ServiceLevels)
    emergencies = repository(Emergencies)
    sensitive_data = repository(SensitiveDataStore)
    messages = repository(Messages)
    attachments = repository(Attachments)
    products = repository(Products)
    people = repository(People)
    deleted_organizations = repository(DeletedOrganizations)
    member_access = repository(lambda session: MemberAccess(session, member_access))
    def __enter__(self):
        super().__enter__()
        self.departments = departments()
        return self
