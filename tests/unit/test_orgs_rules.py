"""Organizations' rules (services/orgs/domain): roles (OR-02, OR-04, OR-05), invitations (OR-03,
ID-16), requiring 2FA (OR-10) and blocking (OR-13), against in-memory fakes and a moved clock."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from portico_kernel import roles
from portico_kernel.errors import Conflict, Forbidden, Gone, NotFound
from portico_kernel.paging import ALL
from portico_kernel.principal import Principal
from services.orgs.domain import invitations, members, two_factor
from services.orgs.domain.events import MemberAccessChanged, MemberBlocked, MemberRoleChanged, UserInvited
from services.orgs.domain.model import Member, Organization, Person

from .fakes import orgs_unit_of_work

ORG = "00000000-0000-4000-8000-000000000001"


def person(user_id: str, org: str | None = ORG) -> Principal:
    return Principal(user_id=user_id, kind="customer", org_id=org, claims={"sub": user_id, "kind": "customer", "amr": ["pwd"]})


def key_for(org: str) -> Principal:
    return Principal(user_id="key-1", kind="api_key", org_id=org, scopes=("orgs:write",), claims={"sub": "key-1", "kind": "api_key"})


@pytest.fixture
def uow(clock):
    uow = orgs_unit_of_work(clock)
    uow.organizations.add(Organization(id=ORG, name="Acme", type="company", country="CH", created_by="rep"))
    for user_id, role in (("rep", "legal_representative"), ("admin", "administrator"), ("colleague", "collaborator"),
                          ("guest", "external")):
        uow.people.add(Person(user_id=user_id, email=f"{user_id}@example.test", first_name=user_id.title(),
                              last_name="Muster", language="de"))
        uow.members.add(Member(org_id=ORG, user_id=user_id, role=role, email=f"{user_id}@example.test",
                               first_name=user_id.title(), last_name="Muster"))
    return uow


def test_OR_02_the_four_roles_are_named_once_for_the_kernel_and_the_contracts():
    common = yaml.safe_load((Path(__file__).parents[2] / "contracts" / "common.yaml").read_text())
    assert tuple(common["components"]["schemas"]["Role"]["enum"]) == roles.ROLES
    assert roles.MANAGING_ROLES == ("legal_representative", "administrator")


def test_OR_05_administrators_and_legal_representatives_change_roles(uow):
    changed = members.change_role(uow, person("admin"), ORG, "colleague", "external")
    assert changed.role == "external"
    record, org = last(uow, MemberRoleChanged)
    assert record == MemberRoleChanged(org_id=ORG, user_id="colleague", role="external", previous_role="collaborator",
                                       changed_by="admin") and org == ORG
    with pytest.raises(Forbidden):
        members.change_role(uow, person("guest"), ORG, "colleague", "administrator")
    with pytest.raises(Forbidden):
        members.change_role(uow, person("colleague"), ORG, "guest", "collaborator")
    with pytest.raises(NotFound):
        members.change_role(uow, person("stranger"), ORG, "colleague", "administrator")


def test_OR_04_only_a_legal_representative_makes_or_unmakes_a_legal_representative(uow):
    with pytest.raises(Forbidden) as refused:
        members.change_role(uow, person("admin"), ORG, "colleague", "legal_representative")
    assert refused.value.problem == "legal-representative-only"
    with pytest.raises(Forbidden):
        members.change_role(uow, person("admin"), ORG, "rep", "collaborator")
    with pytest.raises(Forbidden):  # an API key is nobody's legal representative
        members.change_role(uow, key_for(ORG), ORG, "colleague", "legal_representative")
    assert members.change_role(uow, person("rep"), ORG, "colleague", "legal_representative").role == "legal_representative"


def test_OR_09_the_last_legal_representative_keeps_the_role(uow):
    with pytest.raises(Conflict) as refused:
        members.change_role(uow, person("rep"), ORG, "rep", "administrator")
    assert refused.value.problem == "last-legal-representative"
    members.change_role(uow, person("rep"), ORG, "admin", "legal_representative")
    assert members.change_role(uow, person("rep"), ORG, "rep", "administrator").role == "administrator"


def test_OR_13_a_blocked_member_reaches_nothing_and_the_last_representative_is_not_blocked(uow):
    from services.orgs.domain.organizations import visible_to

    blocked = members.block(uow, person("admin"), ORG, "colleague")
    assert blocked.blocked and last(uow, MemberBlocked)[0].user_id == "colleague"
    with pytest.raises(Forbidden) as refused:
        visible_to(uow, person("colleague"), ORG)
    assert refused.value.problem == "member-blocked"
    with pytest.raises(Forbidden):
        members.block(uow, person("admin"), ORG, "rep")
    with pytest.raises(Conflict):
        members.block(uow, person("admin"), ORG, "admin")
    with pytest.raises(Conflict):  # the only legal representative
        members.block(uow, person("rep"), ORG, "rep")
    members.unblock(uow, person("rep"), ORG, "colleague")
    assert visible_to(uow, person("colleague"), ORG)[1].user_id == "colleague"


def test_OR_10_requiring_2fa_needs_the_requesters_own_2fa_first(uow):
    with pytest.raises(Conflict) as refused:
        two_factor.set_policy(uow, person("rep"), ORG, True)
    assert refused.value.problem == "two-factor-not-enabled"
    assert uow.organizations.get(ORG).two_factor_required is False
    uow.two_factor.people.add("rep")
    assert two_factor.set_policy(uow, person("rep"), ORG, True).two_factor_required is True
    with pytest.raises(Forbidden):
        two_factor.set_policy(uow, person("colleague"), ORG, False)
    # a partner key acting for the organization changes it (OR-19)
    assert two_factor.set_policy(uow, key_for(ORG), ORG, False).two_factor_required is False
    with pytest.raises(NotFound):
        two_factor.set_policy(uow, key_for("00000000-0000-4000-8000-000000000002"), ORG, False)


def test_OR_10_a_persons_list_leaves_out_the_organizations_whose_2fa_requirement_they_do_not_meet(uow):
    from services.orgs.domain.organizations import organizations_of

    other = "00000000-0000-4000-8000-000000000002"
    uow.organizations.add(Organization(id=other, name="Beta", type="company", country="DE", created_by="admin",
                                       two_factor_required=True))
    uow.members.add(Member(org_id=other, user_id="colleague", role="administrator", email="colleague@example.test",
                           first_name="Colleague", last_name="Muster"))
    listed = lambda who: [(org.name, role) for org, role in organizations_of(uow, who, ALL)]
    assert listed(person("colleague")) == [("Acme", "collaborator")]
    uow.two_factor.people.add("colleague")  # set up since: the organization is listed again
    assert listed(person("colleague")) == [("Acme", "collaborator"), ("Beta", "administrator")]
    uow.two_factor.people.discard("colleague")
    signed_in_with_a_second_factor = Principal(user_id="colleague", kind="customer", org_id=ORG,
                                               claims={"sub": "colleague", "kind": "customer", "amr": ["pwd", "mfa"]})
    assert [name for name, _ in listed(signed_in_with_a_second_factor)] == ["Acme", "Beta"]
    assert listed(key_for(other)) == [("Beta", None)]  # an API key: the one organization it acts for (OR-19)


def last(uow, record_type):
    return next(((r, org) for r, org in reversed(uow.emitted) if isinstance(r, record_type)), (None, None))


def _invited(uow, email="new@example.test", role="collaborator", by="admin"):
    invitation = invitations.invite(uow, person(by), ORG, email, role)
    record = last(uow, UserInvited)[0]
    assert record.invitation_id == invitation.id
    return invitation, record


def test_OR_03_an_invitation_carries_what_the_mail_needs(uow):
    invitation, record = _invited(uow)
    assert (record.email, record.organization_name, record.inviter_name, record.inviter_language,
            record.invitee_language) == ("new@example.test", "Acme", "Admin Muster", "de", None)
    assert invitation.token_hash != record.token  # only the hash is kept
    uow.people.add(Person(user_id="p2", email="someone@example.test", first_name="S", last_name="O", language="fr"))
    _, french = _invited(uow, email="someone@example.test")
    assert french.invitee_language == "fr"
    with pytest.raises(Conflict):
        invitations.invite(uow, person("admin"), ORG, "NEW@example.test", "external")
    with pytest.raises(Conflict):
        invitations.invite(uow, person("admin"), ORG, "colleague@example.test", "external")
    with pytest.raises(Forbidden):
        invitations.invite(uow, person("colleague"), ORG, "x@example.test", "external")
    with pytest.raises(Forbidden):
        invitations.invite(uow, person("admin"), ORG, "x@example.test", "legal_representative")


def test_ID_16_OR_03_a_link_lasts_the_organizations_link_lifetime(uow, clock):
    _, record = _invited(uow)
    clock.advance(days=59, hours=23)
    assert invitations.usable(uow, record.token, "new@example.test", clock.now())
    clock.advance(hours=1)
    with pytest.raises(Gone) as expired:
        invitations.usable(uow, record.token, "new@example.test", clock.now())
    assert expired.value.problem == "invitation-expired"

    invitations.set_link_days(uow, person("rep"), ORG, 7)
    _, short = _invited(uow, email="short@example.test")
    clock.advance(days=7)
    with pytest.raises(Gone):
        invitations.usable(uow, short.token, "short@example.test", clock.now())


def test_OR_03_a_link_works_once_for_its_address_until_revoked_and_resending_replaces_it(uow, clock):
    uow.people.add(Person(user_id="newbie", email="new@example.test", first_name="N", last_name="B"))
    invitation, first = _invited(uow)
    with pytest.raises(Forbidden) as other:
        invitations.accept(uow, person("guest"), first.token)
    assert other.value.problem == "invitation-for-another-email"
    invitations.resend(uow, person("admin"), ORG, invitation.id)
    second = last(uow, UserInvited)[0]
    with pytest.raises(NotFound):
        invitations.accept(uow, person("newbie"), first.token)
    joined = invitations.accept(uow, person("newbie"), second.token)
    assert (joined.org_id, joined.role) == (ORG, "collaborator")
    with pytest.raises(Gone) as used:
        invitations.accept(uow, person("newbie"), second.token)
    assert used.value.problem == "invitation-used"

    revoked, third = _invited(uow, email="late@example.test")
    invitations.revoke(uow, person("rep"), ORG, revoked.id)
    with pytest.raises(Gone) as gone:
        invitations.usable(uow, third.token, "late@example.test", clock.now())
    assert gone.value.problem == "invitation-revoked"


def recently_checked(user_id: str, at) -> Principal:
    return Principal(user_id=user_id, kind="customer", org_id=ORG,
                     claims={"sub": user_id, "kind": "customer", "amr": ["pwd"], "auth_time": int(at.timestamp())})


def test_OR_09_removing_needs_a_fresh_password_a_confirmation_and_a_decision_on_product_data(uow, clock):
    from portico_kernel.errors import Invalid
    from services.orgs.domain.events import MemberLeft, MemberRemoved

    with pytest.raises(Forbidden) as stale:
        members.remove(uow, person("rep"), ORG, "colleague", confirmed=True, product_data="delete")
    assert stale.value.problem == "password-required"
    checked = recently_checked("rep", clock.now())
    clock.advance(minutes=6)
    with pytest.raises(Forbidden):
        members.remove(uow, checked, ORG, "colleague", confirmed=True, product_data="delete")
    checked = recently_checked("rep", clock.now())
    with pytest.raises(Invalid):
        members.remove(uow, checked, ORG, "colleague", confirmed=False, product_data="delete")
    with pytest.raises(Invalid):
        members.remove(uow, checked, ORG, "colleague", confirmed=True, product_data="transfer", transfer_to="nobody")
    with pytest.raises(Conflict):
        members.remove(uow, checked, ORG, "rep", confirmed=True, product_data="delete")
    with pytest.raises(Forbidden):  # an administrator does not remove a legal representative
        members.remove(uow, recently_checked("admin", clock.now()), ORG, "rep", confirmed=True, product_data="delete")
    members.remove(uow, checked, ORG, "colleague", confirmed=True, product_data="transfer", transfer_to="guest")
    assert uow.members.get(ORG, "colleague") is None
    removed, _ = last(uow, MemberRemoved)
    assert last(uow, MemberLeft)[0].user_id == "colleague"
    assert removed.transfer_to == "guest" and removed.product_data == "transfer"


def _access(uow, user_id):
    from services.orgs.domain.access import effective_access
    return effective_access(uow, ORG, user_id)


def test_OR_06_OR_07_OR_08_grants_per_product_type_groups_and_everyone(uow):
    from portico_kernel.errors import Invalid
    from portico_kernel.product_access import allows, rights_of
    from services.orgs.domain import access
    from services.orgs.domain.model import Product

    assert {"use", "manage", "technical", "statistics"} <= set(rights_of("hosting")) and rights_of("nonsense") == ()
    uow.products.add(Product(product_type="domain", product_id="acme.ch", org_id=ORG))
    access.grant(uow, person("admin"), ORG, holder_kind="member", holder_id="colleague", scope="product",
                 product_type="domain", product_id="acme.ch", rights=["use"])
    assert allows(_access(uow, "colleague"), "domain", "acme.ch", "use")
    assert not allows(_access(uow, "colleague"), "domain", "acme.ch", "manage")  # use is not manage (OR-06)
    with pytest.raises(Invalid):
        access.grant(uow, person("admin"), ORG, holder_kind="member", holder_id="colleague", scope="product",
                     product_type="domain", product_id="acme.ch", rights=["console"])
    with pytest.raises(NotFound):
        access.grant(uow, person("admin"), ORG, holder_kind="member", holder_id="colleague", scope="product",
                     product_type="domain", product_id="other.ch", rights=["use"])
    with pytest.raises(Forbidden):
        access.grant(uow, person("colleague"), ORG, holder_kind="everyone", holder_id=None, scope="all",
                     product_type=None, product_id=None, rights=["use"])
    access.grant(uow, person("rep"), ORG, holder_kind="everyone", holder_id=None, scope="type",
                 product_type="hosting", product_id=None, rights=["use"])
    assert allows(_access(uow, "colleague"), "hosting", "created-next-year", "use")
    assert _access(uow, "guest") == []  # external users are left out of organization-wide sharing (OR-02)
    assert allows(_access(uow, "admin"), "server", "s-1", "console")  # OR-07

    group = access.create_group(uow, person("admin"), ORG, "Support")
    access.grant(uow, person("admin"), ORG, holder_kind="group", holder_id=group.id, scope="all",
                 product_type=None, product_id=None, rights=["statistics"])
    access.add_to_group(uow, person("admin"), ORG, group.id, "guest")
    assert allows(_access(uow, "guest"), "mailbox", "m-1", "statistics")
    access.remove_from_group(uow, person("admin"), ORG, group.id, "guest")
    assert _access(uow, "guest") == []
    members.block(uow, person("rep"), ORG, "colleague")
    assert _access(uow, "colleague") == []  # a blocked member holds nothing (OR-13)


def test_OR_06_the_kernel_decides_from_the_token_and_the_access_copy():
    from portico_kernel.product_access import ensure_may

    entries = {(ORG, "colleague"): [{"scope": "type", "product_type": "domain", "product_id": None, "rights": ["use"]}]}
    access_of = lambda org, user: entries.get((org, user))  # noqa: E731
    collaborator = Principal(user_id="colleague", kind="customer", org_id=ORG, roles=("collaborator",))
    ensure_may(collaborator, ORG, "domain", "acme.ch", "use", access_of)
    with pytest.raises(Forbidden):
        ensure_may(collaborator, ORG, "domain", "acme.ch", "manage", access_of)
    with pytest.raises(NotFound):
        ensure_may(collaborator, "00000000-0000-4000-8000-000000000002", "domain", "acme.ch", "use", access_of)
    ensure_may(Principal(user_id="a", kind="customer", org_id=ORG, roles=("administrator",)), ORG, "server", "s", "console", access_of)
    with pytest.raises(Forbidden):  # nothing known of this member
        ensure_may(Principal(user_id="new", kind="customer", org_id=ORG, roles=("external",)), ORG, "domain", "a", "use", access_of)


def test_OR_14_only_a_legal_representative_changes_details_checked_per_country(uow):
    from portico_kernel.errors import Invalid
    from services.orgs.domain import details
    from services.orgs.domain.events import OrganizationDetailsChanged

    with pytest.raises(Forbidden):
        details.change(uow, person("admin"), ORG, {"name": "Other"})
    with pytest.raises(Forbidden):
        details.change(uow, key_for(ORG), ORG, {"name": "Other"})
    with pytest.raises(Invalid) as wrong:
        details.change(uow, person("rep"), ORG, {"vat_id": "CHE-116.281.711 MWST"})
    assert wrong.value.extra["invalid_params"][0]["name"] == "vat_id"
    org = details.change(uow, person("rep"), ORG, {"vat_id": "CHE116281710MWST", "phone": "+41 44 668 18 00"})
    assert (org.vat_id, org.phone) == ("CHE-116.281.710 MWST", "+41446681800")
    with pytest.raises(Invalid):  # the Swiss VAT ID does not fit a German address
        details.change(uow, person("rep"), ORG, {"address": {"country": "DE"}})
    org = details.change(uow, person("rep"), ORG, {"address": {"country": "LI"}})
    assert last(uow, OrganizationDetailsChanged)[0].country == "LI"


def test_OR_12_nobody_else_manages_a_locked_product_and_mail_has_maintenance_instead(uow):
    from portico_kernel.product_access import allows
    from services.orgs.domain import access
    from services.orgs.domain.model import Product

    uow.products.add(Product(product_type="hosting", product_id="h-1", org_id=ORG))
    uow.products.add(Product(product_type="mailbox", product_id="m-1", org_id=ORG))
    access.grant(uow, person("rep"), ORG, holder_kind="member", holder_id="colleague", scope="all",
                 product_type=None, product_id=None, rights=["use", "manage"])
    with pytest.raises(Forbidden):
        access.set_lock(uow, person("colleague"), ORG, "hosting", "h-1", True)
    access.set_lock(uow, person("admin"), ORG, "hosting", "h-1", True)
    assert not allows(_access(uow, "colleague"), "hosting", "h-1", "manage")
    assert allows(_access(uow, "colleague"), "hosting", "h-1", "use")
    assert allows(_access(uow, "admin"), "hosting", "h-1", "manage")  # by role (the kernel decides by the token)
    with pytest.raises(Conflict):
        access.set_lock(uow, person("admin"), ORG, "mailbox", "m-1", True)
    assert access.set_maintenance(uow, person("admin"), ORG, "mailbox", "m-1", True).maintenance
    with pytest.raises(Conflict):
        access.set_maintenance(uow, person("admin"), ORG, "hosting", "h-1", True)


def test_OR_15_deleting_names_every_reason_at_once(uow, clock):
    from services.orgs.domain import deletion
    from services.orgs.domain.model import Product

    uow.products.add(Product(product_type="hosting", product_id="h-1", org_id=ORG))
    org = uow.organizations.get(ORG)
    org.unpaid_invoices, org.prepaid_balance_minor = 1, 500
    assert [r["reason"] for r in deletion.reasons_against(uow, org, "rep")] == [
        "has-products", "has-other-members", "has-unpaid-invoices", "has-prepaid-balance"]
    with pytest.raises(Conflict) as refused:
        deletion.delete(uow, recently_checked("rep", clock.now()), ORG)
    assert len(refused.value.extra["reasons"]) == 4
    with pytest.raises(Forbidden):
        deletion.delete(uow, recently_checked("admin", clock.now()), ORG)


def test_OR_19_a_reseller_creates_a_linked_customer_whose_first_legal_representative_its_key_invites(uow):
    from services.orgs.domain import resellers
    from services.orgs.domain.events import ResellerLinked

    with pytest.raises(Forbidden) as refused:
        resellers.create_customer(uow, person("admin"), ORG, "Kunde AG", "company", "CH")
    assert refused.value.problem == "not-a-reseller"
    staff = Principal(user_id="staff-1", kind="staff", org_id=None, roles=("platform:admin",))
    with pytest.raises(Forbidden):
        resellers.make_reseller(uow, person("rep"), ORG, True)
    resellers.make_reseller(uow, staff, ORG, True)
    customer = resellers.create_customer(uow, key_for(ORG), ORG, "Kunde AG", "company", "ch")
    assert customer.country == "CH" and last(uow, ResellerLinked)[0].customer_org_id == customer.id
    assert [link.customer_org_id for link in resellers.customers_of(uow, person("admin"), ORG)] == [customer.id]
    invitations.invite(uow, key_for(customer.id), customer.id, "boss@kunde.test", "legal_representative")
    uow.members.add(Member(org_id=customer.id, user_id="boss", role="legal_representative", email="boss@kunde.test",
                           first_name="B", last_name="K"))
    with pytest.raises(Forbidden):  # from then on, the customer's own legal representatives decide
        invitations.invite(uow, key_for(customer.id), customer.id, "second@kunde.test", "legal_representative")


def test_OR_17_contacts_are_kept_by_administrators_and_checked(uow):
    from portico_kernel.errors import Invalid
    from services.orgs.domain import contacts

    uow.contacts = _Rows()
    with pytest.raises(Forbidden):
        contacts.add_contact(uow, person("colleague"), ORG, "support", "Desk", "desk@example.test", None)
    with pytest.raises(Invalid):
        contacts.add_contact(uow, person("admin"), ORG, "support", "Desk", "not an address", None)
    with pytest.raises(Invalid):
        contacts.add_contact(uow, person("admin"), ORG, "gossip", "Desk", "desk@example.test", None)
    added = contacts.add_contact(uow, person("admin"), ORG, "support", "Desk", "Desk@Example.test", "+41446681800")
    assert added.email == "Desk@example.test" and added.phone == "+41446681800"


def test_OR_18_the_agreement_names_the_organization(uow):
    from services.orgs.adapters.documents import pdf_of
    from services.orgs.domain.agreement import agreement_for

    title, lines = agreement_for(uow, person("rep"), ORG)
    assert "and Acme (the controller)" in lines
    with pytest.raises(Forbidden):
        agreement_for(uow, person("colleague"), ORG)
    assert pdf_of(title, lines * 10).startswith(b"%PDF-1.")


class _Rows:
    def __init__(self):
        self.rows = []

    def add(self, row):
        self.rows.append(row)


def test_OR_14_a_logo_is_a_png_jpeg_or_webp_of_bounded_size_whose_bytes_match_its_type():
    import base64

    from portico_kernel.errors import Invalid
    from services.orgs.domain.logos import checked_image

    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 100
    assert checked_image("image/jpeg", base64.b64encode(jpeg).decode()) == jpeg
    for content_type, data in (("image/png", jpeg), ("image/svg+xml", b"<svg/>"), ("image/jpeg", b"\xff\xd8\xff" + b"0" * 600_000)):
        with pytest.raises(Invalid):
            checked_image(content_type, base64.b64encode(data).decode())
    with pytest.raises(Invalid):
        checked_image("image/png", "***")


def test_OR_16_a_seat_shares_its_plan_and_ends_on_its_own_date_not_the_plans(uow, clock):
    from types import SimpleNamespace

    from portico_kernel.clock import iso_utc
    from portico_kernel.product_access import allows
    from services.orgs.domain import seats
    from services.orgs.domain.events import SeatsProvisioned

    uow.received = SimpleNamespace(occurred_at=clock.now())
    until = clock.now() + timedelta(days=30)
    seats.on_seats_provisioned(SeatsProvisioned(org_id=ORG, product_type="hosting", product_id="plan-1", seats=2,
                                                valid_until=iso_utc(until)), uow)
    first, second = uow.seats.of_plan("hosting", "plan-1")
    with pytest.raises(Forbidden):
        seats.assign(uow, person("colleague"), ORG, first.id, "guest")
    seats.assign(uow, person("admin"), ORG, first.id, "guest")
    assert allows(_access(uow, "guest"), "hosting", "plan-1", "use")
    with pytest.raises(Conflict):
        seats.assign(uow, person("admin"), ORG, first.id, "colleague")
    with pytest.raises(Conflict):
        seats.assign(uow, person("admin"), ORG, second.id, "guest")
    clock.advance(days=31)  # the plan may have been renewed meanwhile; the seat was not
    assert not allows(_access(uow, "guest"), "hosting", "plan-1", "use")
    with pytest.raises(Conflict):
        seats.assign(uow, person("admin"), ORG, second.id, "colleague")
    seats.on_seats_provisioned(SeatsProvisioned(org_id=ORG, product_type="hosting", product_id="plan-1", seats=2,
                                                valid_until=iso_utc(clock.now() + timedelta(days=365))), uow)
    assert allows(_access(uow, "guest"), "hosting", "plan-1", "use")  # renewed explicitly
    seats.release(uow, person("admin"), ORG, first.id)
    assert not allows(_access(uow, "guest"), "hosting", "plan-1", "use")


def test_OR_03_OR_06_the_invitations_product_access_becomes_the_members_grants(uow):
    from portico_kernel.errors import Invalid
    from portico_kernel.product_access import allows

    with pytest.raises(Invalid):
        invitations.invite(uow, person("admin"), ORG, "x@example.test", "external",
                           [{"scope": "type", "product_type": "hosting", "rights": ["console"]}])
    invitation = invitations.invite(uow, person("admin"), ORG, "new@example.test", "external",
                                    [{"scope": "type", "product_type": "hosting", "rights": ["use"]}])
    uow.people.add(Person(user_id="newbie", email="new@example.test", first_name="N", last_name="B"))
    invitations.accept(uow, person("newbie"), last(uow, UserInvited)[0].token)
    assert invitation.status == "accepted" and allows(_access(uow, "newbie"), "hosting", "p", "use")


GRANTS = {  # grant (as orgs stores it) -> (allowed, refused) (product type, product id, right)
    "one domain, use": ({"scope": "product", "product_type": "domain", "product_id": "acme.ch", "rights": ["use"]},
                        [("domain", "acme.ch", "use")], [("domain", "acme.ch", "manage"), ("domain", "other.ch", "use")]),
    "every hosting, manage+statistics": ({"scope": "type", "product_type": "hosting", "product_id": None,
                                          "rights": ["manage", "statistics"]},
                                         [("hosting", "future-plan", "manage"), ("hosting", "h-1", "statistics")],
                                         [("hosting", "h-1", "use"), ("domain", "acme.ch", "manage")]),
    "everything, use": ({"scope": "all", "product_type": None, "product_id": None, "rights": ["use"]},
                        [("mailbox", "m-1", "use"), ("server", "s-1", "use")], [("server", "s-1", "console")]),
}


@pytest.mark.parametrize("role", ["legal_representative", "administrator", "collaborator", "external"])
@pytest.mark.parametrize("grant_name", list(GRANTS))
def test_OR_06_OR_07_for_each_role_and_grant_the_allowed_and_refused_actions(uow, role, grant_name):
    """The kernel's answer from what orgs publishes: administrators and legal representatives may
    everything (OR-07); collaborators and external users what the grant says, nothing more (OR-06)."""
    from portico_kernel.product_access import ensure_may
    from services.orgs.domain import access
    from services.orgs.domain.model import Product

    spec, allowed, refused = GRANTS[grant_name]
    uow.products.add(Product(product_type="domain", product_id="acme.ch", org_id=ORG))
    user = {"legal_representative": "rep", "administrator": "admin", "collaborator": "colleague", "external": "guest"}[role]
    access.grant(uow, person("rep"), ORG, holder_kind="member", holder_id=user, scope=spec["scope"],
                 product_type=spec["product_type"], product_id=spec["product_id"], rights=spec["rights"])
    published = {(ORG, user): last(uow, MemberAccessChanged)[0].grants}
    caller = Principal(user_id=user, kind="customer", org_id=ORG, roles=(role,))
    for product_type, product_id, right in allowed:
        ensure_may(caller, ORG, product_type, product_id, right, lambda o, u: published.get((o, u)))
    for product_type, product_id, right in refused:
        if role in ("legal_representative", "administrator"):
            ensure_may(caller, ORG, product_type, product_id, right, lambda o, u: published.get((o, u)))
        else:
            with pytest.raises(Forbidden):
                ensure_may(caller, ORG, product_type, product_id, right, lambda o, u: published.get((o, u)))
    with pytest.raises(NotFound):  # another organization's products do not exist for anyone here
        ensure_may(Principal(user_id=user, kind="customer", org_id="00000000-0000-4000-8000-000000000009", roles=(role,)),
                   ORG, "domain", "acme.ch", "use", lambda o, u: published.get((o, u)))


def test_OR_15_billings_latest_standing_wins_even_when_an_older_one_arrives_late():
    from datetime import datetime, timedelta, timezone

    from portico_kernel.records import Received
    from services.orgs.domain.deletion import on_billing_standing_changed
    from services.orgs.domain.events import BillingStandingChanged
    from services.orgs.domain.model import Organization
    from tests.unit.fakes import FakeOrganizations, FakeUnitOfWork

    uow = FakeUnitOfWork(organizations=FakeOrganizations())
    org = Organization(id="o-1", name="Acme", type="company", country="CH", created_by="u-1")
    uow.organizations.add(org)
    early = datetime(2026, 5, 4, 9, tzinfo=timezone.utc)

    def said(at, unpaid, balance):
        uow.received = Received(id=str(at), type="BillingStandingChanged", producer="billing", occurred_at=at)
        on_billing_standing_changed(BillingStandingChanged(org_id="o-1", unpaid_invoices=unpaid,
                                                           prepaid_balance_minor=balance), uow)

    said(early + timedelta(seconds=2), 0, 0)  # paid and withdrawn
    said(early, 1, 1000)  # the older word, retried, arrives last
    assert (org.unpaid_invoices, org.prepaid_balance_minor) == (0, 0)
    said(early + timedelta(seconds=3), 1, 0)
    assert (org.unpaid_invoices, org.prepaid_balance_minor) == (1, 0)
