from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import BillingAddresses, Logos, Seats, Contacts, Grants, Invitations, Members, Products, WorkGroups, Organizations, People, ResellerLinks, TwoFactorStatuses


class OrgsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.organizations = Organizations(self.session)
        self.members = Members(self.session)
        self.people = People(self.session)
        self.reseller_links = ResellerLinks(self.session)
        self.two_factor = TwoFactorStatuses(self.session)
        self.invitations = Invitations(self.session)
        self.products = Products(self.session)
        self.grants = Grants(self.session)
        self.work_groups = WorkGroups(self.session)
        self.contacts = Contacts(self.session)
        self.logos = Logos(self.session)
        self.seats = Seats(self.session)
        self.billing_addresses = BillingAddresses(self.session)
        return self
