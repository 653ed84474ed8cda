"""In-memory fakes of repositories and of the unit of work, for the unit tier.

They keep entities in lists and answer the queries the domain asks, the way the SQL repositories
in each service's adapters/repository.py do; the unit of work's clock is a FakeClock.
"""
from __future__ import annotations

from portico_kernel.clock import FakeClock


class FakeFailedSignIns:
    def __init__(self):
        self.rows = []

    def add(self, attempt) -> None:
        self.rows.append(attempt)

    def remove(self, attempt_id: str) -> None:
        self.rows = [row for row in self.rows if row.id != attempt_id]

    def forget_before(self, moment) -> None:
        self.rows = [row for row in self.rows if row.occurred_at > moment]

    def since(self, moment, email_key: str, ip_address: str | None) -> list:
        return [row for row in self.rows if row.occurred_at > moment
                and (row.email_key == email_key or (ip_address and row.ip_address == ip_address))]


class FakeKnownLocations:
    def __init__(self):
        self.rows = []

    def add(self, location) -> None:
        self.rows.append(location)

    def get(self, user_id: str, kind: str, value: str):
        return next((row for row in self.rows if (row.user_id, row.kind, row.value) == (user_id, kind, value)), None)


class FakeAccounts:
    """Billing accounts by organization."""

    def __init__(self):
        self.rows = []

    def add(self, account) -> None:
        self.rows.append(account)

    def of_org(self, org_id: str):
        return next((row for row in self.rows if row.org_id == org_id), None)


class FakeUnitOfWork:
    """The unit of work the domain sees: repositories as attributes, `emit`, `commit`, a clock."""

    def __init__(self, clock: FakeClock | None = None, **repositories):
        self.clock = clock or FakeClock()
        self.emitted: list[tuple[object, str | None]] = []
        self.commits = 0
        for name, repository in repositories.items():
            setattr(self, name, repository)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def emit(self, record, org_id: str | None = None):
        self.emitted.append((record, org_id))

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        pass

    def flush(self) -> None:
        pass


class FakeRows:
    """A table of one kind of entity, keyed by `key(entity)`."""

    def __init__(self, key):
        self.key = key
        self.rows: dict = {}

    def add(self, item) -> None:
        self.rows[self.key(item)] = item

    def remove(self, item) -> None:
        self.rows.pop(self.key(item), None)

    def get(self, *key):
        return self.rows.get(key if len(key) > 1 else key[0])


class FakeOrganizations(FakeRows):
    def __init__(self, members: "FakeMembers | None" = None):
        super().__init__(lambda org: org.id)
        self.members = members

    def listed_for(self, user_id: str, page=None):
        """As the repository lists them: what a list shows of each organization, the role as `my_role`."""
        from types import SimpleNamespace

        from portico_kernel.paging import Page

        joined = sorted((m for m in self.members.rows.values() if m.user_id == user_id), key=lambda m: (m.joined_at, m.org_id))
        return Page([SimpleNamespace(**vars(self.rows[m.org_id]), my_role=m.role) for m in joined if m.org_id in self.rows])


class FakeMembers(FakeRows):
    def __init__(self):
        super().__init__(lambda m: (m.org_id, m.user_id))

    def of_organization(self, org_id: str, page=None, *, two_factor=None):
        return [m for m in self.rows.values() if m.org_id == org_id]


class FakePeople(FakeRows):
    def __init__(self):
        super().__init__(lambda p: p.user_id)

    def by_email(self, key: str):
        return next((p for p in self.rows.values() if p.email.casefold() == key), None)


class FakeTwoFactor:
    def __init__(self, enabled=()):
        self.people = set(enabled)

    def enabled(self, user_id: str) -> bool:
        return user_id in self.people


class FakeInvitations(FakeRows):
    def __init__(self):
        super().__init__(lambda i: i.id)

    def by_token_hash(self, token_hash: str):
        return next((i for i in self.rows.values() if i.token_hash == token_hash), None)

    def pending_for(self, org_id: str, email_key: str):
        return [i for i in self.rows.values() if (i.org_id, i.email_key, i.status) == (org_id, email_key, "pending")]

    def of_organization(self, org_id: str, page=None):
        return [i for i in self.rows.values() if i.org_id == org_id]


class FakeProducts(FakeRows):
    def __init__(self):
        super().__init__(lambda p: (p.product_type, p.product_id))

    def of_organization(self, org_id: str, page=None):
        return [p for p in self.rows.values() if p.org_id == org_id]

    def locked_in(self, org_id: str):
        return [p for p in self.of_organization(org_id) if p.locked]


class FakeGrants(FakeRows):
    def __init__(self):
        super().__init__(lambda g: g.id)

    def of_organization(self, org_id: str, page=None):
        return [g for g in self.rows.values() if g.org_id == org_id]

    def on_product(self, org_id: str, product_type: str, product_id: str):
        return [g for g in self.of_organization(org_id) if (g.product_type, g.product_id) == (product_type, product_id)]


class FakeWorkGroups(FakeRows):
    def __init__(self):
        super().__init__(lambda g: g.id)
        self.memberships: dict = {}

    def of_organization(self, org_id: str, page=None):
        return [g for g in self.rows.values() if g.org_id == org_id]

    def add_member(self, membership) -> None:
        self.memberships[(membership.group_id, membership.user_id)] = membership

    def remove_member(self, membership) -> None:
        self.memberships.pop((membership.group_id, membership.user_id), None)

    def membership(self, group_id: str, user_id: str):
        return self.memberships.get((group_id, user_id))

    def members_of(self, group_id: str):
        return [m for m in self.memberships.values() if m.group_id == group_id]

    def memberships_of(self, org_id: str, user_id: str):
        return [m for m in self.memberships.values() if (m.org_id, m.user_id) == (org_id, user_id)]


class FakeResellerLinks(FakeRows):
    def __init__(self):
        super().__init__(lambda link: (link.reseller_org_id, link.customer_org_id))

    def of_customer(self, customer_org_id: str, page=None):
        return [link for link in self.rows.values() if link.customer_org_id == customer_org_id]

    def of_reseller(self, reseller_org_id: str):
        return [link for link in self.rows.values() if link.reseller_org_id == reseller_org_id]

    def of_reseller_paged(self, reseller_org_id: str, page=None):
        return self.of_reseller(reseller_org_id)


class FakeSeats(FakeRows):
    def __init__(self):
        super().__init__(lambda seat: seat.id)

    def of_organization(self, org_id: str, page=None):
        return [s for s in self.rows.values() if s.org_id == org_id]

    def of_plan(self, product_type: str, product_id: str):
        return [s for s in self.rows.values() if (s.product_type, s.product_id) == (product_type, product_id)]

    def held_by(self, org_id: str, user_id: str):
        return [s for s in self.of_organization(org_id) if s.holder_id == user_id]


def orgs_unit_of_work(clock=None) -> FakeUnitOfWork:
    members = FakeMembers()
    return FakeUnitOfWork(clock, organizations=FakeOrganizations(members), members=members, people=FakePeople(),
                          two_factor=FakeTwoFactor(), invitations=FakeInvitations(), products=FakeProducts(),
                          grants=FakeGrants(), work_groups=FakeWorkGroups(), reseller_links=FakeResellerLinks(), seats=FakeSeats())
