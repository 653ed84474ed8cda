from __future__ import annotations

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, load_only

from portico_kernel.db import fetch_page
from portico_kernel.paging import ALL, Page, PageRequest

from ..domain.model import (BillingAddress, Contact, Grant, Logo, Seat, Invitation, Member, Organization, Person, Product, ResellerLink, TwoFactorStatus,
                            WorkGroup, WorkGroupMember)
from . import orm  # the classes are mapped before the queries below are built

# The collections read on every page view, built once (their values are bound per call)
ORGANIZATIONS_OF_MEMBER = (select(Organization, Member).join(Member, Member.org_id == Organization.id)
                           .where(Member.user_id == bindparam("user_id"))
                           # of the membership, a list of organizations shows the role only
                           .options(load_only(Member.org_id, Member.user_id, Member.role, Member.joined_at)))
# The organizations list is read on every page view: its rows are read as they come, not loaded
# into entities (the ORM's loading cost a list more than the query itself)
_org, _member = orm.organizations.c, orm.members.c
LISTED_FOR_MEMBER = (select(_org.id, _org.name, _org.type, _org.country, _org.created_at, _org.two_factor_required,
                            _org.link_days, _org.is_reseller, _org.street, _org.house_number, _org.postcode, _org.town,
                            _org.phone, _org.vat_id, _org.commercial_register, _member.role.label("my_role"),
                            _member.joined_at)
                     .select_from(orm.organizations.join(orm.members, _member.org_id == _org.id))
                     .where(_member.user_id == bindparam("user_id")))
LISTED_IN_ORDER_JOINED = (_member.joined_at, _member.org_id)
MEMBERS_OF_ORGANIZATION = select(Member).where(Member.org_id == bindparam("org_id"))


class Organizations:
    def __init__(self, session: Session):
        self.session = session

    def add(self, org: Organization) -> None:
        self.session.add(org)
        self.session.flush()  # its members refer to it

    def get(self, org_id: str) -> Organization | None:
        return self.session.get(Organization, org_id)

    def remove(self, org: Organization) -> None:
        self.session.delete(org)

    def of_member(self, user_id: str, page: PageRequest = ALL) -> Page[tuple[Organization, Member]]:
        return fetch_page(self.session, ORGANIZATIONS_OF_MEMBER, (Member.joined_at, Member.org_id), page,
                          params={"user_id": user_id}, scalars=False,
                          key=lambda row: (row[1].joined_at, row[1].org_id)).map(tuple)

    def listed_for(self, user_id: str, page: PageRequest = ALL) -> Page:
        """The organizations a person is a member of, as rows of what a list shows of each (its
        columns by name, the member's role as `my_role`), in the order they joined."""
        return fetch_page(self.session, LISTED_FOR_MEMBER, LISTED_IN_ORDER_JOINED, page,
                          params={"user_id": user_id}, through_driver=True, key=lambda row: (row.joined_at, row.id))


class Members:
    def __init__(self, session: Session):
        self.session = session

    def add(self, member: Member) -> None:
        self.session.add(member)

    def get(self, org_id: str, user_id: str) -> Member | None:
        return self.session.get(Member, (org_id, user_id))

    def remove(self, member: Member) -> None:
        self.session.delete(member)

    def of_organization(self, org_id: str, page: PageRequest = ALL, *, two_factor: bool | None = None) -> Page[Member]:
        """The members, those with or without 2FA only when `two_factor` says (OR-11)."""
        if two_factor is None:
            return fetch_page(self.session, MEMBERS_OF_ORGANIZATION, (Member.joined_at, Member.user_id), page,
                              params={"org_id": org_id})
        query = select(Member).where(Member.org_id == org_id)
        with_two_factor = select(TwoFactorStatus.user_id).where(TwoFactorStatus.enabled.is_(True))
        query = query.where(Member.user_id.in_(with_two_factor) if two_factor else Member.user_id.not_in(with_two_factor))
        return fetch_page(self.session, query, (Member.joined_at, Member.user_id), page)


class People:
    def __init__(self, session: Session):
        self.session = session

    def add(self, person: Person) -> None:
        self.session.add(person)

    def remove(self, person: Person) -> None:
        self.session.delete(person)

    def get(self, user_id: str) -> Person | None:
        return self.session.get(Person, user_id)

    def by_email(self, key: str) -> Person | None:
        """The person whose address this is, whatever its letter case."""
        from sqlalchemy import func
        return self.session.scalars(select(Person).where(func.lower(Person.email) == key)).first()


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

    def of_reseller(self, reseller_org_id: str) -> list[ResellerLink]:
        return list(self.session.scalars(select(ResellerLink).where(ResellerLink.reseller_org_id == reseller_org_id)))

    def of_reseller_paged(self, reseller_org_id: str, page: PageRequest = ALL) -> Page[ResellerLink]:
        query = select(ResellerLink).where(ResellerLink.reseller_org_id == reseller_org_id)
        return fetch_page(self.session, query, (ResellerLink.linked_at, ResellerLink.customer_org_id), page)

    def of_customer(self, customer_org_id: str, page: PageRequest = ALL) -> Page[ResellerLink]:
        query = select(ResellerLink).where(ResellerLink.customer_org_id == customer_org_id)
        return fetch_page(self.session, query, (ResellerLink.linked_at, ResellerLink.reseller_org_id), page)


class Invitations:
    def __init__(self, session: Session):
        self.session = session

    def add(self, invitation: Invitation) -> None:
        self.session.add(invitation)

    def get(self, invitation_id: str) -> Invitation | None:
        return self.session.get(Invitation, invitation_id)

    def remove(self, invitation: Invitation) -> None:
        self.session.delete(invitation)

    def by_token_hash(self, token_hash: str) -> Invitation | None:
        return self.session.scalars(select(Invitation).where(Invitation.token_hash == token_hash)).first()

    def pending_for(self, org_id: str, email_key: str) -> list[Invitation]:
        return list(self.session.scalars(select(Invitation).where(and_(
            Invitation.org_id == org_id, Invitation.email_key == email_key, Invitation.status == "pending"))))

    def of_organization(self, org_id: str, page: PageRequest = ALL) -> Page[Invitation]:
        query = select(Invitation).where(Invitation.org_id == org_id)
        return fetch_page(self.session, query, (Invitation.created_at, Invitation.id), page)


class Products:
    def __init__(self, session: Session):
        self.session = session

    def add(self, product: Product) -> None:
        self.session.add(product)

    def remove(self, product: Product) -> None:
        self.session.delete(product)

    def get(self, product_type: str, product_id: str) -> Product | None:
        return self.session.get(Product, (product_type, product_id))

    def locked_in(self, org_id: str) -> list[Product]:
        return list(self.session.scalars(select(Product).where(Product.org_id == org_id, Product.locked.is_(True))))

    def of_organization(self, org_id: str, page: PageRequest = ALL) -> Page[Product]:
        query = select(Product).where(Product.org_id == org_id)
        return fetch_page(self.session, query, (Product.provisioned_at, Product.product_type, Product.product_id), page)


class Grants:
    def __init__(self, session: Session):
        self.session = session

    def add(self, grant: Grant) -> None:
        self.session.add(grant)

    def remove(self, grant: Grant) -> None:
        self.session.delete(grant)

    def get(self, grant_id: str) -> Grant | None:
        return self.session.get(Grant, grant_id)

    def of_organization(self, org_id: str, page: PageRequest = ALL) -> Page[Grant]:
        return fetch_page(self.session, select(Grant).where(Grant.org_id == org_id), (Grant.granted_at, Grant.id), page)

    def on_product(self, org_id: str, product_type: str, product_id: str) -> list[Grant]:
        return list(self.session.scalars(select(Grant).where(and_(
            Grant.org_id == org_id, Grant.product_type == product_type, Grant.product_id == product_id))))


class WorkGroups:
    def __init__(self, session: Session):
        self.session = session

    def add(self, group: WorkGroup) -> None:
        self.session.add(group)

    def get(self, group_id: str) -> WorkGroup | None:
        return self.session.get(WorkGroup, group_id)

    def of_organization(self, org_id: str, page: PageRequest = ALL) -> Page[WorkGroup]:
        return fetch_page(self.session, select(WorkGroup).where(WorkGroup.org_id == org_id),
                          (WorkGroup.created_at, WorkGroup.id), page)

    def remove(self, group: WorkGroup) -> None:
        self.session.delete(group)

    def add_member(self, membership: WorkGroupMember) -> None:
        self.session.add(membership)

    def remove_member(self, membership: WorkGroupMember) -> None:
        self.session.delete(membership)

    def membership(self, group_id: str, user_id: str) -> WorkGroupMember | None:
        return self.session.get(WorkGroupMember, (group_id, user_id))

    def members_of(self, group_id: str) -> list[WorkGroupMember]:
        return list(self.session.scalars(select(WorkGroupMember).where(WorkGroupMember.group_id == group_id)))

    def memberships_of(self, org_id: str, user_id: str) -> list[WorkGroupMember]:
        return list(self.session.scalars(select(WorkGroupMember).where(and_(
            WorkGroupMember.org_id == org_id, WorkGroupMember.user_id == user_id))))


class OwnedRows:
    """Rows that belong to one organization, listed in the order they were added."""
    model: type

    def __init__(self, session: Session):
        self.session = session

    def add(self, row) -> None:
        self.session.add(row)

    def remove(self, row) -> None:
        self.session.delete(row)

    def get(self, row_id: str):
        return self.session.get(self.model, row_id)

    def of_organization(self, org_id: str, page: PageRequest = ALL) -> Page:
        return fetch_page(self.session, select(self.model).where(self.model.org_id == org_id),
                          (self.model.created_at, self.model.id), page)


class Contacts(OwnedRows):
    model = Contact


class BillingAddresses(OwnedRows):
    model = BillingAddress


class Logos:
    def __init__(self, session: Session):
        self.session = session

    def add(self, logo: Logo) -> None:
        self.session.add(logo)

    def remove(self, logo: Logo) -> None:
        self.session.delete(logo)

    def get(self, org_id: str) -> Logo | None:
        return self.session.get(Logo, org_id)


class Seats(OwnedRows):
    model = Seat

    def of_plan(self, product_type: str, product_id: str) -> list[Seat]:
        return list(self.session.scalars(select(Seat).where(Seat.product_type == product_type, Seat.product_id == product_id)
                                         .order_by(Seat.created_at, Seat.id)))

    def held_by(self, org_id: str, user_id: str) -> list[Seat]:
        return list(self.session.scalars(select(Seat).where(Seat.org_id == org_id, Seat.holder_id == user_id)))
