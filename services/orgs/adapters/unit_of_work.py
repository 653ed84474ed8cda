from __future__ import annotations

from portico_kernel.uow import UnitOfWork, repository

from .repository import BillingAddresses, Logos, Seats, Contacts, Grants, Invitations, Members, Products, WorkGroups, Organizations, People, ResellerLinks, TwoFactorStatuses


class OrgsUnitOfWork(UnitOfWork):
    organizations = repository(Organizations)
    members = repository(Members)
    people = repository(People)
    reseller_links = repository(ResellerLinks)
    two_factor = repository(TwoFactorStatuses)
    invitations = repository(Invitations)
    products = repository(Products)
    grants = repository(Grants)
    work_groups = repository(WorkGroups)
    contacts = repository(Contacts)
    logos = repository(Logos)
    seats = repository(Seats)
    billing_addresses = repository(BillingAddresses)
