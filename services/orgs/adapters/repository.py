from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from portico_kernel.db import fetch_page
from portico_kernel.paging import ALL, Page, PageRequest

from ..domain.model import Member, Organization, Person, ResellerLink, TwoFactorStatus
from . import orm  # noqa: F401  the classes are mapped before the queries below are built

# The collections' queries, built once (their values are bound per call)
ORGANIZATIONS_OF_MEMBER = (select(Organization, Member).join(Member, Member.org_id == Organization.id)
                           .where(Member.user_id == bindparam("user_id")))
MEMBERS_OF_ORGANIZATION = select(Member).where(Member.org_id == bindparam("org_id"))


class Organizations:
    def __init__(self, session: Session):
        self.session = session

    def add(self, org: Organization) -> None:
        self.session.add(org)
        self.session.flush()  # its members refer to it

    def get(self, org_id: str) -> Organization | None:
        return self.session.get(Organization, org_id)

    def of_member(self, user_id: str, page: PageRequest = ALL) -> Page[tuple[Organization, Member]]:
        return fetch_page(self.session, ORGANIZATIONS_OF_MEMBER, (Member.joined_at, Member.org_id), page,
                          params={"user_id": user_id}, scalars=False,
                          key=lambda row: (row[1].joined_at, row[1].org_id)).map(tuple)


class Members:
    def __init__(self, session: Session):
        self.session = session

    def add(self, member: Member) -> None:
        self.session.add(member)

    def get(self, org_id: str, user_id: str) -> Member | None:
        return self.session.get(Member, (org_id, user_id))

    def remove(self, member: Member) -> None:
        self.session.delete(member)

    def of_organization(self, org_id: str, page: PageRequest = ALL) -> Page[Member]:
        return fetch_page(self.session, MEMBERS_OF_ORGANIZATION, (Member.joined_at, Member.user_id), page,
                          params={"org_id": org_id})


class People:
    def __init__(self, session: Session):
        self.session = session

    def add(self, person: Person) -> None:
        self.session.add(person)

    def remove(self, person: Person) -> None:
        self.session.delete(person)

    def get(self, user_id: str) -> Person | None:
        return self.session.get(Person, user_id)


class TwoFactorStatuses:
    def __init__(self, session: Session):
        self.session = session

    def get(self, user_id: str) -> TwoFactorStatus | None:
        return self.session.get(TwoFactorStatus, user_id)

    def add(self, status: TwoFactorStatus) -> None:
        self.session.add(status)

    def remove(self, status: TwoFactorStatus) -> None:
        self.session.delete(status)

    def enabled(self, user_id: str) -> bool:
        status = self.get(user_id)
        return status is not None and status.enabled


class ResellerLinks:
    def __init__(self, session: Session):
        self.session = session

    def add(self, link: ResellerLink) -> None:
        self.session.add(link)

    def get(self, reseller_org_id: str, customer_org_id: str) -> ResellerLink | None:
        return self.session.get(ResellerLink, (reseller_org_id, customer_org_id))

    def remove(self, link: ResellerLink) -> None:
        self.session.delete(link)

    def of_customer(self, customer_org_id: str, page: PageRequest = ALL) -> Page[ResellerLink]:
        query = select(ResellerLink).where(ResellerLink.customer_org_id == customer_org_id)
        return fetch_page(self.session, query, (ResellerLink.linked_at, ResellerLink.reseller_org_id), page)
