"""Ticket rules without a database (TI-01, ID-11): files checked by their content, departments as
data, who sees which ticket, email answers' addresses and text, and closing an account."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from portico_kernel.clock import FakeClock
from portico_kernel.errors import Forbidden, Invalid, NotFound
from portico_kernel.principal import Principal
from services.tickets.adapters.departments_file import load as load_departments
from services.tickets.domain import attachments, closure, tickets
from services.tickets.domain.departments import InvalidDepartments, departments_from
from services.tickets.domain.events import AccountClosureRequested, PersonalDataErased, TicketReplied
from services.tickets.domain.inbound import new_text, token_of
from services.tickets.domain.model import Message, Ticket

ORG, OTHER_ORG = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
ALICE, BOB = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 10


# --- files ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("content, declared, expected", [
    (PNG, "image/png", "image/png"),
    (b"\xff\xd8\xff\xe0rest", "image/jpeg", "image/jpeg"),
    (b"%PDF-1.7 ...", "application/pdf", "application/pdf"),
    (b"name;amount\nx;1\n", "text/csv", "text/csv"),
    ("Grüezi\n".encode(), "text/plain; charset=utf-8", "text/plain"),
])
def test_TI_01_files_of_the_declared_type_are_taken(content, declared, expected):
    assert attachments.checked(0, "file", declared, content) == expected


@pytest.mark.parametrize("filename, declared, content, field", [
    ("a.png", "image/png", b"MZ\x90\x00", "attachments[0].content"),  # an executable named .png
    ("a.pdf", "application/pdf", PNG, "attachments[0].content"),
    ("a.txt", "text/plain", b"<!DOCTYPE html><script>x</script>", "attachments[0].content"),
    ("a.txt", "text/plain", b"bin\x00ary", "attachments[0].content"),
    ("a.svg", "image/svg+xml", b"<svg onload=x>", "attachments[0].content_type"),
    ("a.html", "text/html", b"<p>", "attachments[0].content_type"),
    ("a.txt", "text/plain", b"", "attachments[0].content"),
    ("a.txt", "text/plain", b"a" * (attachments.MAX_BYTES + 1), "attachments[0].content"),
    ("../x", "text/plain", b"a", "attachments[0].filename"),
    ("a\x00.txt", "text/plain", b"a", "attachments[0].filename"),
    ("..", "text/plain", b"a", "attachments[0].filename"),
])
def test_TI_01_files_are_refused_naming_the_field(filename, declared, content, field):
    with pytest.raises(Invalid) as refused:
        attachments.checked(0, filename, declared, content)
    assert [p["name"] for p in refused.value.extra["invalid_params"]] == [field]


# --- departments ----------------------------------------------------------------------------------

def test_TI_01_departments_are_data_with_their_staff_roles():
    departments = load_departments()
    assert {"sales", "billing", "technical", "domains"} <= set(departments.keys())
    assert "billing" in departments.of_staff(["platform:billing-clerk"])
    assert "technical" not in departments.of_staff(["platform:billing-clerk"])
    assert set(departments.of_staff(["platform:admin"])) == set(departments.keys())
    assert departments.by_key["billing"].name_in("de") == "Buchhaltung"
    assert departments.by_key["billing"].name_in("xx") == "Billing"


@pytest.mark.parametrize("data", [
    {}, {"departments": {}}, {"departments": {"Sales!": {"names": {"en": "S"}, "staff_roles": ["platform:admin"]}}},
    {"departments": {"sales": {"names": {"de": "V"}, "staff_roles": ["platform:admin"]}}},
    {"departments": {"sales": {"names": {"en": "S"}, "staff_roles": []}}},
    {"departments": {"sales": {"names": {"en": "S"}, "staff_roles": ["administrator"]}}},
])
def test_TI_01_a_wrong_departments_file_is_refused(data):
    with pytest.raises(InvalidDepartments):
        departments_from(data)


# --- who sees what --------------------------------------------------------------------------------

class FakeAccess:
    def __init__(self, grants=None):
        self.grants = grants or {}

    def get(self, org_id, user_id):
        return self.grants.get((org_id, user_id))


class FakeUow:
    def __init__(self, grants=None):
        self.departments = load_departments()
        self.member_access = FakeAccess(grants)


def ticket(**fields) -> Ticket:
    values = dict(id="t", org_id=ORG, number="T-000001", subject="s", department="technical", opened_by=ALICE,
                  reply_token="f" * 32)
    return Ticket(**{**values, **fields})


def customer(user_id=BOB, org_id=ORG, *roles) -> Principal:
    return Principal(user_id=user_id, kind="customer", org_id=org_id, roles=tuple(roles))


def staff(*roles) -> Principal:
    return Principal(user_id="cccccccc-cccc-cccc-cccc-cccccccccccc", kind="staff", org_id=None, roles=roles)


def test_TI_01_members_see_their_organizations_tickets_as_their_product_access_allows():
    domain = dict(product_type="domain", product_id="example.ch")
    grants = {(ORG, BOB): [{"scope": "product", "product_type": "domain", "product_id": "example.ch", "rights": ["use"]}]}
    assert tickets.may_see(FakeUow(), customer(BOB, ORG, "collaborator"), ticket())
    assert not tickets.may_see(FakeUow(), customer(BOB, ORG, "collaborator"), ticket(**domain))
    assert tickets.may_see(FakeUow(grants), customer(BOB, ORG, "collaborator"), ticket(**domain))
    assert tickets.may_see(FakeUow(), customer(BOB, ORG, "administrator"), ticket(**domain))
    assert tickets.may_see(FakeUow(), customer(ALICE, ORG, "collaborator"), ticket(**domain))  # who opened it
    assert not tickets.may_see(FakeUow(), customer(BOB, ORG, "external"), ticket())  # OR-02: left out
    assert not tickets.may_see(FakeUow(), customer(BOB, OTHER_ORG, "legal_representative"), ticket())


def test_TI_01_staff_see_their_departments_tickets_only():
    assert tickets.may_see(FakeUow(), staff("platform:support-agent"), ticket(department="technical"))
    assert not tickets.may_see(FakeUow(), staff("platform:support-agent"), ticket(department="billing"))
    assert tickets.may_see(FakeUow(), staff("platform:billing-clerk"), ticket(department="billing"))
    assert tickets.may_see(FakeUow(), staff("platform:admin"), ticket(department="sales"))
    assert not tickets.may_see(FakeUow(), staff(), ticket())


def test_TI_01_a_hidden_ticket_is_not_found():
    class Tickets:
        def get(self, ticket_id):
            return ticket(org_id=OTHER_ORG)

    uow = FakeUow()
    uow.tickets = Tickets()
    with pytest.raises(NotFound):
        tickets.visible_ticket(uow, customer(BOB, ORG, "legal_representative"), "t")


# --- email answers --------------------------------------------------------------------------------

def test_TI_01_reply_addresses_name_a_token_at_the_reply_domain():
    token = "0123456789abcdef" * 2
    assert token_of(f"reply+{token}@support.example.test", "support.example.test") == token
    assert token_of(f"<REPLY+{token.upper()}@Support.Example.Test>", "support.example.test") == token
    for address in (f"reply+{token}@other.test", f"reply+{token[:-1]}@support.example.test", "postmaster@support.example.test",
                    f"reply+{token}x@support.example.test", "reply+@support.example.test", "nonsense"):
        assert token_of(address, "support.example.test") is None, address
    assert tickets.reply_address(ticket(reply_token=token), "support.example.test") == f"reply+{token}@support.example.test"


@pytest.mark.parametrize("mail, kept", [
    ("Thanks!\n\nOn Mon, 1 Jan 2026 at 10:00, Support <s@x> wrote:\n> old text", "Thanks!"),
    ("Danke!\nAm 01.01.2026 um 10:00 schrieb Support:\n> alt", "Danke!"),
    ("Merci\r\n\r\nLe lun. 1 janv. 2026, Support a écrit :\r\n> ancien", "Merci"),
    ("Grazie\nIl giorno lun 1 gen 2026 Support ha scritto:\n> vecchio", "Grazie"),
    ("Top answer\n-----Original Message-----\nFrom: x", "Top answer"),
    ("> only a quote", ""),
    ("bell\x07 and\ttab", "bell and\ttab"),
])
def test_TI_01_an_email_answer_keeps_only_what_is_new(mail, kept):
    assert new_text(mail) == kept


# --- staff answers and internal notes --------------------------------------------------------------

class Store(list):
    def add(self, item):
        self.append(item)


class ReplyUow(FakeUow):
    def __init__(self, the_ticket):
        super().__init__()
        self.clock = FakeClock(datetime(2026, 11, 26, 9, tzinfo=timezone.utc))
        self.messages, self.attachments, self.emitted = Store(), Store(), []
        the = the_ticket

        class Tickets:
            def get_for_update(self, ticket_id):
                return the

            get = get_for_update
        self.tickets = Tickets()

        class People:
            def name_of(self, user_id):
                return "Bob"
        self.people = People()

    def emit(self, record, org_id=None):
        self.emitted.append(record)


def test_TI_01_a_public_answer_is_announced_for_mail_an_internal_note_never():
    the = ticket()
    uow = ReplyUow(the)
    tickets.reply(uow, staff("platform:support-agent"), "t", body="internal remark", visibility="internal",
                  reply_domain="support.example.test")
    assert uow.emitted == [] and the.state == "open"
    tickets.reply(uow, staff("platform:support-agent"), "t", body="Our answer", reply_domain="support.example.test")
    [event] = uow.emitted
    assert isinstance(event, TicketReplied) and event.body == "Our answer" and event.user_id == ALICE
    assert event.reply_to == f"reply+{'f' * 32}@support.example.test" and the.state == "waiting"
    tickets.reply(uow, customer(ALICE, ORG, "legal_representative"), "t", body="Thanks", reply_domain="x")
    assert the.state == "open" and uow.messages[-1].author_name == "Bob"
    with pytest.raises(Forbidden):
        tickets.reply(uow, customer(ALICE, ORG, "legal_representative"), "t", body="psst", visibility="internal",
                      reply_domain="x")


def test_ID_11_nobody_is_mailed_for_a_forgotten_person():
    uow = ReplyUow(ticket(opened_by=closure.FORGOTTEN_PERSON))
    tickets.reply(uow, staff("platform:admin"), "t", body="Answer", reply_domain="x")
    assert uow.emitted == []


# --- closing an account ---------------------------------------------------------------------------

def test_ID_11_closing_an_account_anonymizes_the_persons_tickets_and_messages_and_confirms():
    opened = ticket(opened_by=BOB)
    by_web = Message(id="m1", ticket_id="t", org_id=ORG, author_kind="customer", author_id=BOB, author_name="Bob B",
                     author_email=None, visibility="public", body="Hello")
    by_mail = Message(id="m2", ticket_id="t", org_id=ORG, author_kind="email", author_id=None, author_name="Bob B",
                      author_email="bob@example.test", visibility="public", body="Hi")

    class Uow:
        emitted = []

        class tickets:
            @staticmethod
            def opened_by(user_id):
                return [opened] if user_id == BOB else []

        class people:
            @staticmethod
            def forget(user_id):
                return "bob@example.test"

        class messages:
            @staticmethod
            def written_by(user_id):
                return [by_web]

            @staticmethod
            def written_from(email):
                return [by_mail] if email == "bob@example.test" else []

        def emit(self, record, org_id=None):
            self.emitted.append(record)

    uow = Uow()
    closure.on_account_closure_requested(AccountClosureRequested(user_id=BOB, closure_id="c" * 8), uow)
    assert opened.opened_by == closure.FORGOTTEN_PERSON
    for message in (by_web, by_mail):
        assert (message.author_id, message.author_name, message.author_email) == (closure.FORGOTTEN_PERSON, None, None)
    assert by_web.body == "Hello"  # the organization keeps what was said
    assert uow.emitted == [PersonalDataErased(closure_id="c" * 8, user_id=BOB, service="tickets")]
