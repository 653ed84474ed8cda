"""The notifications service's rules without a stack: every email in every language, escaped,
dated in the person's time zone; delivery outcomes; who reads which email (ID-14); the
organization's own server (ID-15); closure (ID-11)."""
from __future__ import annotations

import re
import shutil
from dataclasses import replace

import pytest

from portico_kernel.errors import Forbidden, Invalid, NotFound
from portico_kernel.paging import EVER, Page, request
from portico_kernel.principal import Principal
from services.notifications.adapters.templates import FOLDER, Templates
from services.notifications.domain import catalogue, history, mailing, people, smtp_servers
from services.notifications.domain.events import (AccountClosureRequested, EmailChangeRequested, MemberJoined,
                                                  OrganizationDetailsChanged, ProductStateChanged, SecurityWarningRequested,
                                                  SecurityAlertRaised, UserInvited, UserRegistered)
from services.notifications.domain.model import FAILED, LANGUAGES, QUEUED, SENT
from tests.unit.fakes import FakeUnitOfWork

ALERTS = ("new-sign-in-location", "wrong-password", "two-factor-changed", "password-changed", "app-password-created",
          "recovery-codes-regenerated", "recovery-contacts-changed", "login-email-changed")
SAMPLES = {
    "security-alert": {"alert": "wrong-password", "occurred_at": "2026-03-02T09:00:00Z", "first_name": "Anna",
                       "details": {"ip_address": "203.0.113.9", "network": "203.0.113.0/24", "device": "Browser/1.0"}},
    "email-change": {"first_name": "Anna", "expires_at": "2026-05-01T09:00:00Z", "token": "secret-token-123"},
    "smtp-test": {"first_name": "Anna", "host": "mail.example.test", "port": 587, "sender": "info@example.test"},
    "invitation": {"organization_name": "Muster AG", "inviter_name": "Erika Muster", "role": "administrator",
                   "expires_at": "2026-05-01T09:00:00Z", "email": "anna@example.test", "token": "secret-token-123"},
    "security-warning": {"first_name": "Anna", "organization_name": "Muster AG", "requester_name": "Erika Muster"},
    "product-state": {"first_name": "Anna", "state": "locked", "product_type": "hosting", "product_id": "web-1",
                      "changed_by_name": "Erika"},
    "organization-details": {"first_name": "Anna", "organization_name": "Muster AG", "changed_by_name": "Erika",
                             "changed_fields": ["name", "country", "vat_id"]},
    "invoice-issued": {"first_name": "Anna", "invoice_id": "i-1", "number": "2026-00042", "document": "invoice",
                       "issued_at": "2026-03-02T09:00:00Z", "due_on": "2026-04-01", "amount_minor": 123450,
                       "currency": "CHF"},
    "invoice-paid": {"first_name": "Anna", "invoice_id": "i-1", "number": "2026-00042", "paid_at": "2026-03-09T09:00:00Z",
                     "amount_minor": 123450, "currency": "CHF"},
    "invoices-exported": {"first_name": "Anna", "count": 12, "file_name": "invoices-2026.csv"},
    "invoice-overdue": {"first_name": "Anna", "invoice_id": "i-1", "number": "CHF-2026-000042", "level": 1,
                        "due_on": "2026-04-01", "suspend_on": "2026-05-01", "payment_reference": "RF18539007547034",
                        "amount_minor": 123450, "currency": "CHF"},
    "service-suspended": {"first_name": "Anna", "product_type": "hosting", "product_id": "sub-1", "invoice_id": "i-1",
                          "suspended_at": "2026-05-01T02:00:00Z"},
    "direct-debit-returned": {"first_name": "Anna", "invoice_id": "i-1", "number": "EUR-2026-000042",
                              "reason_code": "AC04", "reason": "Account closed", "returned_on": "2026-04-03",
                              "amount_minor": 123450, "currency": "EUR"},
    "domain-expiring": {"first_name": "Anna", "domain": "example.ch", "domain_id": "d-1", "expires_on": "2026-03-31",
                        "notice": "before_30", "after_expiry": False, "auto_renew": True, "renewal_warranty": True,
                        "renew_by": "2026-03-30", "restore_by": "2026-05-04"},
    "ticket-replied": {"first_name": "Anna", "ticket_id": "t-1", "number": "T-000042", "subject": "Website down",
                       "body": "We restarted the server.", "attachments": 1},
    "domain-auth-code": {"first_name": "Nora", "domain": "example.ch", "domain_id": "d-1", "registrant_name": "Nora New",
                         "valid_until": "2026-03-16T09:00:00Z", "auth_code": "Ab3$Xy9!Qw7#Er5%Ty2^"},
    "domain-owner-change": {"first_name": "Nora", "domain": "example.ch", "domain_id": "d-1", "registrant_name": "Nora New",
                            "expires_at": "2026-03-09T09:00:00Z", "token": "secret-token-123"},
    "domain-owner-changed": {"first_name": "Nora", "domain": "example.ch", "domain_id": "d-1", "registrant_name": "Nora New",
                             "changed_at": "2026-03-02T09:00:00Z", "transfer_locked_until": "2026-05-01T09:00:00Z"},
    "emergency-reported": {"first_name": "", "ticket_id": "t-1", "ticket_number": "T-000042", "department": "technical",
                           "emergency_kind": "website_offline", "subject": "Shop offline",
                           "reported_at": "2026-11-29T02:00:00Z"},
}


def test_every_email_is_translated_into_every_language():
    """A missing translation would fall back to English; this names each one missing."""
    templates = Templates("https://portal.example.test")
    missing = [(kind, language) for kind in catalogue.KINDS for language in LANGUAGES
               if not templates.has(kind, language)]
    assert missing == []
    for kind in catalogue.KINDS:
        subjects = {templates.render(kind, language, SAMPLES[kind], None)[0] for language in LANGUAGES}
        assert len(subjects) == len(LANGUAGES), (kind, subjects)  # each language says it its own way
    for alert in ALERTS:
        subjects = {templates.render("security-alert", language, {**SAMPLES["security-alert"], "alert": alert}, None)[0]
                    for language in LANGUAGES}
        assert len(subjects) == len(LANGUAGES), alert


def test_a_missing_translation_falls_back_to_english(tmp_path):
    shutil.copytree(FOLDER / "en", tmp_path / "en")
    templates = Templates("https://portal.example.test", folder=tmp_path)
    assert templates.render("email-change", "fr", SAMPLES["email-change"], None)[0] == "Confirm your new sign-in email address"
    assert templates.render("email-change", "xx", SAMPLES["email-change"], None)[0] == "Confirm your new sign-in email address"


GREETINGS = ("Hello", "Guten Tag", "Hallo", "Bonjour", "Buongiorno", "Ciao")


def test_a_subject_ends_where_its_line_ends_in_every_email_and_language():
    """A subject line ending in a template tag once swallowed the line after it ("… is still openHello
    Anna,"): the subject is the first line alone, the greeting stays in the body."""
    templates = Templates("https://portal.example.test")
    for kind in catalogue.KINDS:
        for language in LANGUAGES:
            subject, text, _ = templates.render(kind, language, SAMPLES[kind], None)
            assert not any(greeting in subject for greeting in GREETINGS), (kind, language, subject)


def test_html_is_escaped_and_the_subject_is_one_line():
    templates = Templates("https://portal.example.test")
    hostile = {**SAMPLES["security-alert"], "first_name": "Eve\r\nBcc: victim@example.test",
               "details": {"device": "<script>alert(1)</script>"}}
    subject, text, html = templates.render("security-alert", "en", hostile, None)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" in text  # the plain part shows what the device said, as text
    assert "\n" not in subject and "\r" not in subject


def test_times_are_in_the_persons_language_and_time_zone():
    templates = Templates("https://portal.example.test")
    _, text, _ = templates.render("security-alert", "de", SAMPLES["security-alert"], "Europe/Zurich")
    assert "2. März 2026" in text and "10:00:00" in text  # 09:00 UTC is 10:00 in Zurich in March
    _, text, _ = templates.render("security-alert", "en", SAMPLES["security-alert"], "America/New_York")
    assert "March 2, 2026" in text and "4:00:00" in text
    _, text, _ = templates.render("security-alert", "fr", SAMPLES["security-alert"], "Not/AZone")
    assert "2 mars 2026" in text and "09:00:00" in text  # an unknown zone: UTC


def test_the_link_leads_to_the_public_url():
    templates = Templates("https://portal.example.test/")
    _, text, html = templates.render("email-change", "it", SAMPLES["email-change"], None)
    assert "https://portal.example.test/account/email-change/confirm?token=secret-token-123" in text
    assert 'href="https://portal.example.test/account/email-change/confirm?token=secret-token-123"' in html


# --- fakes -------------------------------------------------------------------------------------------

class FakeEmails:
    def __init__(self):
        self.rows = []

    def add(self, email):
        self.rows.append(email)

    def get(self, email_id):
        return next((e for e in self.rows if e.id == email_id), None)

    def find(self, page, *, user_id=None, org_id=None, kind=None, period=EVER):
        rows = [e for e in self.rows if (user_id is None or e.user_id == user_id) and (org_id is None or e.org_id == org_id)
                and (kind is None or e.kind == kind) and (period.since is None or e.created_at >= period.since)
                and (period.until is None or e.created_at < period.until)]
        return Page(sorted(rows, key=lambda e: e.created_at, reverse=True), None)

    def claim_due(self, now, claimed_until, limit):
        due = [e for e in self.rows if e.status == QUEUED and e.next_attempt_at <= now][:limit]
        for e in due:
            e.next_attempt_at, e.attempts = claimed_until, e.attempts + 1
        return [e.id for e in due]

    def erase_person(self, user_id):
        self.rows = [e for e in self.rows if e.user_id != user_id]


class FakeByKey:
    def __init__(self, key):
        self.rows, self.key = {}, key

    def add(self, row):
        self.rows[self.key(row)] = row

    def get(self, *key):
        return self.rows.get(key if len(key) > 1 else key[0])

    def remove(self, *key):
        if len(key) == 1 and not isinstance(key[0], str):
            key = (self.key(key[0]),)
        self.rows.pop(key if len(key) > 1 else key[0], None)

    def erase(self, user_id):
        self.rows.pop(user_id, None)

    def by_email(self, email):
        return next((p for p in self.rows.values() if getattr(p, "email", "").lower() == email.lower()), None)

    def erase_person(self, user_id):
        self.rows = {k: v for k, v in self.rows.items() if v.user_id != user_id}


class FakeByOrg(FakeByKey):
    def erase_org(self, org_id):
        self.rows = {k: v for k, v in self.rows.items() if v.org_id != org_id}


class FakeMemberships(FakeByOrg):
    def of_org(self, org_id):
        return [m for (o, _), m in self.rows.items() if o == org_id]


class FakeContacts(FakeByOrg):
    def of_org(self, org_id, purposes=None):
        return [c for c in self.rows.values() if c.org_id == org_id and (purposes is None or c.purpose in purposes)]


def uow():
    work = FakeUnitOfWork(emails=FakeEmails(), people=FakeByKey(lambda p: p.user_id),
                          memberships=FakeMemberships(lambda m: (m.org_id, m.user_id)),
                          smtp_servers=FakeByOrg(lambda s: s.org_id), alert_choices=FakeByKey(lambda c: c.user_id),
                          contacts=FakeContacts(lambda c: c.id), invoice_preferences=FakeByOrg(lambda p: p.org_id))
    work.received = None  # not in a consumer
    return work


class Mailer:
    def __init__(self, *outcomes):
        self.outcomes, self.sent = list(outcomes), []

    def send(self, message):
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        self.sent.append(message)


ANNA = "11111111-1111-1111-1111-111111111111"
ORG = "22222222-2222-2222-2222-222222222222"


def alert(**changes) -> SecurityAlertRaised:
    return replace(SecurityAlertRaised(user_id=ANNA, email="anna@example.test", language="de", alert="wrong-password",
                                       occurred_at="2026-03-02T09:00:00Z", details={"ip_address": "203.0.113.9"},
                                       first_name="Anna", time_zone="Europe/Zurich"), **changes)


def send_round(work, mailer):
    templates = Templates("https://portal.example.test")
    return mailing.send_due(lambda: work, mailer, templates, lambda token: token[::-1])


def test_ID_03_an_alert_is_queued_in_the_persons_language_and_sent_once():
    work, templates = uow(), Templates("https://portal.example.test")
    mailing.handlers(templates)["SecurityAlertRaised"](alert(), work)
    [email] = work.emails.rows
    assert email.status == QUEUED and email.language == "de" and email.security and "falschem Passwort" in email.subject
    mailer = Mailer()
    assert send_round(work, mailer) == 1 and send_round(work, mailer) == 0
    assert len(mailer.sent) == 1 and mailer.sent[0].server is None and email.status == SENT and email.attempts == 1


def test_ID_04_an_alert_switched_off_when_raised_is_not_mailed_whatever_order_the_events_came_in():
    """Identity says in the alert whether its owner wanted it when it was raised: notifications
    follows that even before the owner's changed choice (AlertChoicesChanged) reached it."""
    work, templates = uow(), Templates("https://portal.example.test")
    mailing.handlers(templates)["SecurityAlertRaised"](alert(mail=False), work)
    assert work.emails.rows == []
    mailing.handlers(templates)["SecurityAlertRaised"](alert(mail=True), work)
    assert len(work.emails.rows) == 1


def test_ID_03_a_temporary_failure_is_retried_and_a_permanent_one_fails():
    work = uow()
    mailing.handlers(Templates("https://p.test"))["SecurityAlertRaised"](alert(), work)
    [email] = work.emails.rows
    send_round(work, Mailer(mailing.SendFailed("451 greylisted", permanent=False)))
    assert email.status == QUEUED and email.last_error == "451 greylisted" and email.next_attempt_at is not None
    email.next_attempt_at = email.created_at  # the wait is over
    send_round(work, Mailer(mailing.SendFailed("550 no such user", permanent=True)))
    assert email.status == FAILED and email.attempts == 2 and email.last_error.startswith("550")


def test_ID_07_the_links_secret_is_masked_in_the_history_and_forgotten_once_sent():
    work, templates = uow(), Templates("https://portal.example.test")
    change = EmailChangeRequested(user_id=ANNA, email_change_id=ANNA, new_email="new@example.test", language="fr",
                                  first_name="Anna", token="the-secret-token-value", expires_at="2026-05-01T09:00:00Z")
    mailing.handlers(templates)["EmailChangeRequested"](change, work)
    [email] = work.emails.rows
    assert "the-secret-token-value" not in email.text + email.html and mailing.MASK in email.text
    mailer = Mailer()
    send_round(work, mailer)
    assert "token=the-secret-token-value" in mailer.sent[0].text and email.secrets is None


def test_ID_14_a_person_reads_their_own_emails_administrators_their_organizations_support_any():
    work, templates = uow(), Templates("https://p.test")
    mailing.handlers(templates)["SecurityAlertRaised"](alert(), work)
    [email] = work.emails.rows
    anna = Principal(user_id=ANNA, kind="customer", org_id=ORG)
    other = Principal(user_id="33333333-3333-3333-3333-333333333333", kind="customer", org_id=ORG)
    support = Principal(user_id="44444444-4444-4444-4444-444444444444", kind="staff", org_id=None,
                        roles=("platform:support-agent:hosting",))
    assert history.email(work, anna, email.id) is email
    assert history.email(work, support, email.id) is email
    with pytest.raises(NotFound):
        history.email(work, other, email.id)
    with pytest.raises(Forbidden):
        history.org_emails(work, other, history.Filters(), request())
    people.on_member_joined(MemberJoined(org_id=ORG, user_id=other.user_id, role="administrator"), work)
    assert history.org_emails(work, other, history.Filters(), request()).items == []  # a personal alert is not the org's
    with pytest.raises(Invalid):
        history.filters("no-such-kind")
    assert history.own_emails(work, anna, history.filters("email-change"), request()).items == []


def test_ID_15_the_organizations_server_takes_its_mails_but_never_security_mails():
    work, templates = uow(), Templates("https://p.test")
    people.on_user_registered(UserRegistered(user_id=ANNA, email="anna@example.test", first_name="Anna", language="it"), work)
    people.on_member_joined(MemberJoined(org_id=ORG, user_id=ANNA, role="legal_representative"), work)
    anna = Principal(user_id=ANNA, kind="customer", org_id=ORG)
    server = smtp_servers.set_server(work, anna, {"sender": "info@example.test", "host": "mail.example.test",
                                                  "username": "info", "password": "s3cret"}, lambda p: p[::-1])
    assert server.port == 587 and server.starttls and server.password_encrypted == "terc3s"
    smtp_servers.set_server(work, anna, {"sender": "info@example.test", "host": "mail.example.test"}, lambda p: p[::-1])
    assert server.password_encrypted == "terc3s"  # left out: kept
    for hostile in ({"host": "mail.example.test\r\nRCPT TO:<x@y>"}, {"host": "a b"}, {"sender": "not an address"}):
        with pytest.raises(Invalid):
            smtp_servers.set_server(work, anna, {"sender": "info@example.test", "host": "mail.example.test", **hostile}, str)
    test = smtp_servers.send_test(work, anna, templates)
    mailing.handlers(templates)["SecurityAlertRaised"](alert(), work)
    mailer = Mailer()
    send_round(work, mailer)
    by_subject = {m.subject: m for m in mailer.sent}
    [own] = [m for m in mailer.sent if m.server is not None]
    assert own.password == "s3cret" and "prova" in own.subject and test.via == "organization"
    assert len(by_subject) == 2 and [m for m in mailer.sent if m.server is None][0].subject.startswith("Anmeldeversuch")
    collaborator = Principal(user_id="55555555-5555-5555-5555-555555555555", kind="customer", org_id=ORG)
    people.on_member_joined(MemberJoined(org_id=ORG, user_id=collaborator.user_id, role="collaborator"), work)
    with pytest.raises(Forbidden):
        smtp_servers.set_server(work, collaborator, {"sender": "x@example.test", "host": "evil.example.test"}, str)


def test_ID_11_closure_erases_the_persons_emails_and_confirms():
    work = uow()
    mailing.handlers(Templates("https://p.test"))["SecurityAlertRaised"](alert(), work)
    people.on_account_closure_requested(AccountClosureRequested(user_id=ANNA, closure_id=ORG), work)
    assert work.emails.rows == [] and work.people.get(ANNA) is None
    [(event, _)] = work.emitted
    assert event.service == "notifications" and event.closure_id == ORG


def test_ID_15_an_organizations_server_on_an_inner_address_is_refused(monkeypatch):
    """Its settings must not make the scheduler reach into the provider's network."""
    from services.notifications.adapters.smtp import SmtpMailer
    from services.notifications.domain.model import SmtpServer

    monkeypatch.delenv("PORTICO_SMTP_ALLOW_PRIVATE_HOSTS", raising=False)
    mailer = SmtpMailer("127.0.0.1", 25, "Portico <no-reply@example.test>", timeout=2)
    for host in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "localhost"):
        server = SmtpServer(org_id=ORG, sender="info@example.test", host=host, port=5432)
        with pytest.raises(mailing.SendFailed) as refused:
            mailer.send(mailing.Outgoing("anna@example.test", "s", "t", "<p>h</p>", server, None))
        assert refused.value.permanent and "not a public address" in refused.value.reason


def test_the_contracts_kinds_of_email_are_the_catalogues():
    import yaml

    from portico_kernel.config import contracts_dir

    contract = yaml.safe_load((contracts_dir() / "notifications.yaml").read_text())
    assert contract["components"]["parameters"]["Kind"]["schema"]["enum"] == list(catalogue.KINDS)
    assert contract["components"]["schemas"]["EmailSummary"]["properties"]["kind"]["enum"] == list(catalogue.KINDS)


def test_ID_05_emails_follow_the_persons_language_and_time_zone():
    from services.notifications.domain.events import LanguageOrTimeZoneChanged

    work = uow()
    people.on_user_registered(UserRegistered(user_id=ANNA, email="anna@example.test", first_name="Anna", language="de"), work)
    people.on_language_or_time_zone_changed(LanguageOrTimeZoneChanged(user_id=ANNA, language="fr",
                                                                      time_zone="Europe/Paris"), work)
    assert (work.people.get(ANNA).language, work.people.get(ANNA).time_zone) == ("fr", "Europe/Paris")
    people.on_language_or_time_zone_changed(LanguageOrTimeZoneChanged(user_id=ANNA, language="it", time_zone=None), work)
    assert (work.people.get(ANNA).language, work.people.get(ANNA).time_zone) == ("it", None)


def test_an_email_its_template_cannot_render_is_recorded_failed_and_the_event_handled():
    class Broken:
        def render(self, *args):
            raise KeyError("details")

    work = uow()
    mailing.handlers(Broken())["SecurityAlertRaised"](alert(), work)
    [email] = work.emails.rows
    assert email.status == FAILED and "cannot be rendered" in email.last_error and email.next_attempt_at is None


def test_ID_15_passwords_are_encrypted_and_keys_rotate(monkeypatch):
    from cryptography.fernet import Fernet

    from portico_kernel.secrets import Keyring

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    kept = Keyring([old]).encrypt("s3cret")
    assert "s3cret" not in kept
    rotated = Keyring([new, old])
    assert rotated.decrypt(kept) == "s3cret"  # the old key still reads what it wrote
    assert Keyring([new]).decrypt(rotated.rotate(kept)) == "s3cret"  # re-encrypted with the new one
    with pytest.raises(RuntimeError):
        Keyring([new]).decrypt(kept)


def test_ID_14_an_organizations_mail_goes_to_each_administrator_in_their_language():
    """The mechanism other services' emails use (OR-03, BI-13, DO-04, TI-01 … once their events exist)."""
    work = uow()
    work.memberships.of_org = lambda org_id: [m for (o, _), m in work.memberships.rows.items() if o == org_id]
    for user_id, language, role in ((ANNA, "fr", "legal_representative"),
                                    ("66666666-6666-6666-6666-666666666666", "it", "administrator"),
                                    ("77777777-7777-7777-7777-777777777777", "de", "collaborator")):
        people.on_user_registered(UserRegistered(user_id=user_id, email=f"{language}@example.test", first_name="X",
                                                 language=language), work)
        people.on_member_joined(MemberJoined(org_id=ORG, user_id=user_id, role=role), work)
    mails = catalogue.to_administrators(work, ORG, "smtp-test", {"host": "h", "port": 587, "sender": "s@example.test"})
    assert sorted((m.recipient, m.language, m.org_id) for m in mails) == [("fr@example.test", "fr", ORG),
                                                                          ("it@example.test", "it", ORG)]


SWISS_THOUSANDS = re.compile("1['’]234.50")


def test_amounts_are_written_with_their_currency_in_the_persons_language(tmp_path):
    for language in LANGUAGES:
        (tmp_path / language).mkdir()
        (tmp_path / language / "amount.txt").write_text("Amount\n{{ money(amount, currency) }}\n")
        (tmp_path / language / "amount.html").write_text("<p>{{ money(amount, currency) }}</p>\n")
    templates = Templates("https://p.test", folder=tmp_path)
    said = {language: templates.render("amount", language, {"amount": 123450, "currency": "CHF"}, None)[1].strip()
            for language in LANGUAGES}
    # Swiss grouping is an apostrophe: typographic (’) or plain ('), as the CLDR release babel carries has it
    assert said["en"] == "CHF1,234.50" and SWISS_THOUSANDS.search(said["de"]) and "CHF" in said["fr"]
    assert SWISS_THOUSANDS.search(said["it"])
    assert templates.render("amount", "en", {"amount": 500, "currency": "JPY"}, None)[1].strip() == "¥500"


# --- the organization's emails (OR-03, OR-11, OR-12, OR-14) ------------------------------------------

def _organization(work, *members):
    """People the service heard of, members of ORG in a role: (user_id, email, language, role)."""
    work.memberships.of_org = lambda org_id: [m for (o, _), m in work.memberships.rows.items() if o == org_id]
    for user_id, email, language, role in members:
        people.heard_of(work, user_id, email=email, language=language, first_name=email.split("@")[0])
        people.on_member_joined(MemberJoined(org_id=ORG, user_id=user_id, role=role), work)


def _invited(**changes) -> UserInvited:
    return replace(UserInvited(invitation_id=ANNA, org_id=ORG, organization_name="Muster AG", email="New@Example.test",
                               role="collaborator", invited_by=ANNA, inviter_name="Erika Muster", inviter_language="it",
                               token="the-invitation-secret-123", expires_at="2026-05-01T09:00:00Z"), **changes)


def test_OR_03_the_invitation_goes_to_the_address_in_the_inviters_language_unless_the_invitee_has_one():
    work, templates = uow(), Templates("https://portal.example.test")
    mailing.handlers(templates)["UserInvited"](_invited(), work)
    [email] = work.emails.rows
    assert (email.recipient, email.language, email.org_id, email.user_id) == ("New@Example.test", "it", ORG, None)
    assert "the-invitation-secret-123" not in email.text + email.html + email.subject and mailing.MASK in email.text
    assert "Erika Muster" in email.subject and "Muster AG" in email.subject
    # an address of a known account: their language, and their own history shows it
    BOB = "33333333-3333-3333-3333-333333333333"
    people.heard_of(work, BOB, email="new@example.test", language="fr", first_name="Bob")
    mailing.handlers(templates)["UserInvited"](_invited(invitee_language=None), work)
    assert (work.emails.rows[-1].language, work.emails.rows[-1].user_id) == ("fr", BOB)
    mailing.handlers(templates)["UserInvited"](_invited(invitee_language="de"), work)
    assert work.emails.rows[-1].language == "de"


def test_OR_11_the_security_warning_goes_to_the_member_as_a_security_mail():
    work, templates = uow(), Templates("https://portal.example.test")
    warning = SecurityWarningRequested(org_id=ORG, organization_name="Muster AG", user_id=ANNA, email="anna@example.test",
                                       language="de", reason="two-factor-missing", requester_name="Erika Muster")
    mailing.handlers(templates)["SecurityWarningRequested"](warning, work)
    [email] = work.emails.rows
    assert (email.recipient, email.language, email.security, email.user_id) == ("anna@example.test", "de", True, ANNA)
    assert "Zwei-Faktor" in email.subject and "Erika Muster" in email.text


def test_OR_12_OR_14_members_hear_of_product_states_and_legal_representatives_of_changed_details():
    work, templates = uow(), Templates("https://portal.example.test")
    BOB, CARLA = "33333333-3333-3333-3333-333333333333", "44444444-4444-4444-4444-444444444444"
    _organization(work, (ANNA, "anna@example.test", "de", "legal_representative"),
                  (BOB, "bob@example.test", "fr", "administrator"), (CARLA, "carla@example.test", "en", "collaborator"))
    handle = mailing.handlers(templates)
    handle["ProductStateChanged"](ProductStateChanged(org_id=ORG, product_type="hosting", product_id="web-1", locked=True,
                                                      maintenance=False, changed_by=ANNA), work)
    assert {(e.recipient, e.topic) for e in work.emails.rows} == {
        ("anna@example.test", "locked"), ("bob@example.test", "locked"), ("carla@example.test", "locked")}
    assert next(e for e in work.emails.rows if e.language == "fr").subject == "La gestion de hosting web-1 est verrouillée"
    work.emails.rows.clear()
    handle["ProductStateChanged"](ProductStateChanged(org_id=ORG, product_type="mailbox", product_id="m-1", locked=False,
                                                      maintenance=True, changed_by=ANNA), work)
    assert {e.topic for e in work.emails.rows} == {"maintenance"}
    work.emails.rows.clear()
    handle["OrganizationDetailsChanged"](OrganizationDetailsChanged(org_id=ORG, name="Muster AG", changed_fields=["name", "vat_id"],
                                                                    changed_by=ANNA), work)
    [email] = work.emails.rows
    assert email.recipient == "anna@example.test" and "MWST-Nummer" in email.text and "Muster AG" in email.subject


# --- alert choices (ID-04) ------------------------------------------------------------------------

def _choices(new_sign_in_location: bool, wrong_password: bool, at: str):
    from services.notifications.domain.events import AlertChoicesChanged

    return AlertChoicesChanged(user_id=ANNA, new_sign_in_location=new_sign_in_location, wrong_password=wrong_password,
                               changed_at=at)


def test_ID_04_optional_alerts_follow_the_persons_choice_security_changes_always_go_out():
    work, templates = uow(), Templates("https://p.test")
    handle = mailing.handlers(templates)["SecurityAlertRaised"]
    handle(alert(alert="new-sign-in-location"), work)
    assert len(work.emails.rows) == 1  # nothing chosen yet: every alert is sent
    people.on_alert_choices_changed(_choices(False, False, "2026-03-02T10:00:00Z"), work)
    for optional in ("new-sign-in-location", "wrong-password"):
        handle(alert(alert=optional), work)
    assert len(work.emails.rows) == 1
    for always in ("password-changed", "login-email-changed", "two-factor-changed", "recovery-contacts-changed",
                   "app-password-created", "recovery-codes-regenerated"):
        handle(alert(alert=always), work)
    assert [e.topic for e in work.emails.rows[1:]] == ["password-changed", "login-email-changed", "two-factor-changed",
                                                       "recovery-contacts-changed", "app-password-created",
                                                       "recovery-codes-regenerated"]


def test_ID_04_the_latest_choice_counts_even_when_an_older_one_arrives_late():
    work, templates = uow(), Templates("https://p.test")
    people.on_alert_choices_changed(_choices(True, False, "2026-03-02T10:00:00Z"), work)
    people.on_alert_choices_changed(_choices(False, True, "2026-03-02T09:00:00Z"), work)  # older, delivered late
    handle = mailing.handlers(templates)["SecurityAlertRaised"]
    handle(alert(alert="wrong-password"), work)
    handle(alert(alert="new-sign-in-location"), work)
    assert [e.topic for e in work.emails.rows] == ["new-sign-in-location"]
    people.on_account_closure_requested(AccountClosureRequested(user_id=ANNA, closure_id=ORG), work)
    assert work.alert_choices.get(ANNA) is None


# --- the read model: staff, roles, contacts (OR-04, OR-05, OR-17) ---------------------------------

def test_staff_are_known_before_their_first_mail_and_roles_follow_changes():
    from services.notifications.domain.events import MemberRoleChanged, StaffAccountCreated

    work = uow()
    STAFF = "88888888-8888-8888-8888-888888888888"
    people.on_staff_account_created(StaffAccountCreated(user_id=STAFF, email="ops@example.test",
                                                        first_name="Olga",
                                                        language="it"), work)
    assert (work.people.get(STAFF).email, work.people.get(STAFF).language) == ("ops@example.test", "it")
    people.on_member_joined(MemberJoined(org_id=ORG, user_id=ANNA, role="collaborator"), work)
    people.on_member_role_changed(MemberRoleChanged(org_id=ORG, user_id=ANNA, role="legal_representative"), work)
    assert people.role_in(work, ORG, ANNA) == "legal_representative"
    BOB = "33333333-3333-3333-3333-333333333333"  # a role change heard before the join
    people.on_member_role_changed(MemberRoleChanged(org_id=ORG, user_id=BOB, role="administrator"), work)
    assert people.role_in(work, ORG, BOB) == "administrator"


def test_OR_17_contacts_are_kept_per_organization_and_removed():
    from services.notifications.domain.events import ContactAdded, ContactRemoved

    work = uow()
    contact = ContactAdded(contact_id=ANNA, org_id=ORG, purpose="billing", name="Buchhaltung", email="buha@example.test")
    people.on_contact_added(contact, work)
    people.on_contact_added(contact, work)  # redelivered
    assert [c.email for c in work.contacts.of_org(ORG, ["billing"])] == ["buha@example.test"]
    people.on_contact_removed(ContactRemoved(contact_id=ANNA, org_id="99999999-9999-9999-9999-999999999999"), work)
    assert work.contacts.get(ANNA) is not None  # another organization's id removes nothing
    people.on_contact_removed(ContactRemoved(contact_id=ANNA, org_id=ORG), work)
    assert work.contacts.of_org(ORG) == []


# --- invoice notification preferences (BI-16) ---------------------------------------------------

BOB, CARLA, DORA = ("33333333-3333-3333-3333-333333333333", "44444444-4444-4444-4444-444444444444",
                    "55555555-5555-5555-5555-555555555555")


def _issued(**changes):
    from services.notifications.domain.events import InvoiceIssued

    return replace(InvoiceIssued(invoice_id=ANNA, org_id=ORG, number="2026-00042", kind="invoice",
                                 total={"amount_minor": 123450, "currency": "CHF"}, issued_at="2026-03-02T09:00:00Z",
                                 due_on="2026-04-01"), **changes)


def _paid():
    from services.notifications.domain.events import InvoicePaid

    return InvoicePaid(invoice_id=ANNA, org_id=ORG, number="2026-00042", total={"amount_minor": 99, "currency": "EUR"},
                       paid_at="2026-03-09T09:00:00Z")


def _billing_org(work):
    from services.notifications.domain.events import ContactAdded

    _organization(work, (ANNA, "anna@example.test", "de", "legal_representative"),
                  (BOB, "bob@example.test", "fr", "administrator"), (CARLA, "carla@example.test", "it", "collaborator"),
                  (DORA, "dora@example.test", "en", "collaborator"))
    people.on_contact_added(ContactAdded(contact_id=ORG, org_id=ORG, purpose="billing", name="Buchhaltung",
                                         email="buha@example.test"), work)
    return Principal(user_id=ANNA, kind="customer", org_id=ORG)


def test_BI_16_without_a_choice_the_legal_representatives_get_both_kinds_in_their_language():
    from services.notifications.domain import invoice_preferences

    work, templates = uow(), Templates("https://p.test")
    anna = _billing_org(work)
    assert invoice_preferences.preferences_of(work, anna).kinds == ["issued", "paid"]
    mailing.handlers(templates)["InvoiceIssued"](_issued(), work)
    mailing.handlers(templates)["InvoicePaid"](_paid(), work)
    issued, paid = work.emails.rows
    assert (issued.recipient, issued.language, issued.org_id, issued.kind) == ("anna@example.test", "de", ORG, "invoice-issued")
    assert "Rechnung 2026-00042" in issued.subject and SWISS_THOUSANDS.search(issued.subject) and "1. April 2026" in issued.text
    assert paid.kind == "invoice-paid" and "bezahlt" in paid.subject and "0.99" in paid.text


def test_BI_16_OR_17_preferences_name_administrators_members_contacts_and_extra_addresses_each_once():
    from services.notifications.domain import invoice_preferences

    work, templates = uow(), Templates("https://p.test")
    anna = _billing_org(work)
    invoice_preferences.set_preferences(work, anna, {
        "kinds": ["issued"], "legal_representatives": False, "administrators": True, "members": [CARLA],
        "contacts": ["billing"], "extra_addresses": ["Extern@Example.test", "extern@example.test", "bob@example.test"],
        "language": "fr"})
    mailing.handlers(templates)["InvoiceIssued"](_issued(kind="credit_note"), work)
    mailing.handlers(templates)["InvoicePaid"](_paid(), work)  # not chosen: nothing
    sent = sorted((e.recipient.lower(), e.language) for e in work.emails.rows)
    assert sent == [("bob@example.test", "fr"), ("buha@example.test", "fr"), ("carla@example.test", "it"),
                    ("extern@example.test", "fr")]
    assert all(e.org_id == ORG and not e.security and e.kind == "invoice-issued" for e in work.emails.rows)
    assert any("Note de crédit" in e.subject for e in work.emails.rows)
    # a named member who left the organization gets nothing any more
    people.on_member_left(__import__("services.notifications.domain.events", fromlist=["MemberLeft"]).MemberLeft(
        org_id=ORG, user_id=CARLA), work)
    work.emails.rows.clear()
    mailing.handlers(templates)["InvoiceIssued"](_issued(), work)
    assert "carla@example.test" not in [e.recipient for e in work.emails.rows]


def test_BI_16_only_legal_representatives_and_administrators_set_them_and_hostile_input_is_refused_by_name():
    from services.notifications.domain import invoice_preferences

    work = uow()
    _billing_org(work)
    carla = Principal(user_id=CARLA, kind="customer", org_id=ORG)
    with pytest.raises(Forbidden):
        invoice_preferences.set_preferences(work, carla, {"administrators": True})
    with pytest.raises(Forbidden):
        invoice_preferences.preferences_of(work, carla)
    bob = Principal(user_id=BOB, kind="customer", org_id=ORG)
    stranger = "99999999-9999-9999-9999-999999999999"  # another organization's member
    for body, field in (({"members": [stranger]}, "members"), ({"kinds": ["refunded"]}, "kinds"),
                        ({"contacts": ["boss"]}, "contacts"), ({"extra_addresses": ["not an address"]}, "extra_addresses"),
                        ({"extra_addresses": [f"a{i}@example.test" for i in range(6)]}, "extra_addresses"),
                        ({"language": "xx"}, "language")):
        with pytest.raises(Invalid) as refused:
            invoice_preferences.set_preferences(work, bob, body)
        assert [p["name"] for p in refused.value.extra["invalid_params"]] == [field]
    assert work.invoice_preferences.get(ORG) is None  # nothing half-written


def test_OR_15_a_deleted_organization_leaves_nothing_to_send_mail_with():
    from services.notifications.domain import invoice_preferences
    from services.notifications.domain.events import OrganizationDeleted

    work = uow()
    anna = _billing_org(work)
    invoice_preferences.set_preferences(work, anna, {"contacts": ["billing"]})
    smtp_servers.set_server(work, anna, {"sender": "info@example.test", "host": "mail.example.test", "password": "pw"}, str)
    people.on_organization_deleted(OrganizationDeleted(org_id=ORG), work)
    assert work.memberships.of_org(ORG) == [] and work.contacts.of_org(ORG) == []
    assert work.invoice_preferences.get(ORG) is None and work.smtp_servers.get(ORG) is None
    assert work.people.get(ANNA) is not None  # the accounts stay


def test_BI_16_dunning_mails_go_to_whom_the_preferences_name_whatever_kinds_were_chosen():
    from services.notifications.domain import invoice_preferences
    from services.notifications.domain.events import DirectDebitReturned, InvoiceOverdue, ServiceSuspended

    work, templates = uow(), Templates("https://p.test")
    anna = _billing_org(work)
    invoice_preferences.set_preferences(work, anna, {"kinds": ["issued"], "contacts": ["billing"], "language": "it"})
    handlers = mailing.handlers(templates)
    handlers["InvoiceOverdue"](InvoiceOverdue(
        invoice_id=ANNA, org_id=ORG, number="CHF-2026-000042", level=1, total={"amount_minor": 123450, "currency": "CHF"},
        outstanding={"amount_minor": 23450, "currency": "CHF"}, due_on="2026-04-01", reminded_at="2026-04-04T02:00:00Z",
        suspend_on="2026-05-01", payment_reference="RF18539007547034"), work)
    reminders = {e.recipient: e for e in work.emails.rows}
    assert sorted(reminders) == ["anna@example.test", "buha@example.test"]
    german, italian = reminders["anna@example.test"], reminders["buha@example.test"]
    assert german.kind == "invoice-overdue" and "Zahlungserinnerung: Rechnung CHF-2026-000042" in german.subject
    assert "234.50" in german.text and "RF18539007547034" in german.text and "1. Mai 2026" in german.text
    assert "1. April 2026" in german.text and "Vielleicht" in german.text  # polite at the first level
    assert "Promemoria" in italian.subject and "1 maggio 2026" in italian.text
    work.emails.rows.clear()
    handlers["InvoiceOverdue"](InvoiceOverdue(
        invoice_id=ANNA, org_id=ORG, number="CHF-2026-000042", level=2, total={"amount_minor": 123450, "currency": "CHF"},
        outstanding={"amount_minor": 23450, "currency": "CHF"}, due_on="2026-04-01", reminded_at="2026-04-15T02:00:00Z",
        suspend_on=None, payment_reference=None), work)
    second = next(e for e in work.emails.rows if e.recipient == "anna@example.test")
    assert "2. Mahnung" in second.subject and "gesperrt" not in second.text
    work.emails.rows.clear()
    handlers["ServiceSuspended"](ServiceSuspended(org_id=ORG, product_type="hosting", product_id="sub-1",
                                                  invoice_id=ANNA, reason="unpaid_invoice",
                                                  suspended_at="2026-05-01T02:00:00Z"), work)
    handlers["DirectDebitReturned"](DirectDebitReturned(invoice_id=ANNA, org_id=ORG, number="CHF-2026-000043",
                                                        amount={"amount_minor": 990, "currency": "CHF"},
                                                        reason_code="AC04", returned_on="2026-05-02"), work)
    kinds = sorted((e.kind, e.recipient) for e in work.emails.rows)
    assert kinds == [("direct-debit-returned", "anna@example.test"), ("direct-debit-returned", "buha@example.test"),
                     ("service-suspended", "anna@example.test"), ("service-suspended", "buha@example.test")]
    returned = next(e for e in work.emails.rows if e.kind == "direct-debit-returned" and e.language == "de")
    assert "AC04" in returned.text and "CHF-2026-000043" in returned.subject


def test_DO_04_a_domain_reminder_goes_to_the_owners_each_in_their_language():
    from services.notifications.domain.events import DomainExpiring

    work, templates = uow(), Templates("https://p.test")
    _billing_org(work)
    handlers = mailing.handlers(templates)
    handlers["DomainExpiring"](DomainExpiring(org_id=ORG, domain_id="d-1", domain="example.ch", expires_on="2026-03-31",
                                              notice="before_30", auto_renew=False, renewal_warranty=False,
                                              renew_by="2026-03-30", restore_by="2026-05-04"), work)
    mails = {e.recipient: e for e in work.emails.rows}
    assert sorted(mails) == ["anna@example.test", "bob@example.test"]   # the legal representative and the administrator
    german, french = mails["anna@example.test"], mails["bob@example.test"]
    assert german.subject == "Ihre Domain example.ch läuft am 31. März 2026 ab" and german.topic == "before_30"
    assert "ausgeschaltet" in german.text and "4. Mai 2026" in german.text
    assert "expire le 31 mars 2026" in french.subject
    work.emails.rows.clear()
    handlers["DomainExpiring"](DomainExpiring(org_id=ORG, domain_id="d-1", domain="example.ch", expires_on="2026-03-31",
                                              notice="after_expiry", auto_renew=True, renewal_warranty=True,
                                              renew_by="2026-03-30", restore_by=None), work)
    after = next(e for e in work.emails.rows if e.recipient == "anna@example.test")
    assert "abgelaufen" in after.subject and "Verlängerungsgarantie" in after.text
# --- domains (DO-01) -----------------------------------------------------------------------------------

def test_DO_01_the_auth_code_goes_to_the_registrant_masked_in_the_history():
    from services.notifications.domain.events import DomainAuthCodeIssued

    work, templates = uow(), Templates("https://portal.example.test")
    issued = DomainAuthCodeIssued(org_id=ORG, domain_id="d-1", domain="example.ch", registrant_name="Nora New",
                                  registrant_email="nora@example.test", language="fr", auth_code="Ab3$Xy9!Qw7#Er5%Ty2^",
                                  valid_until="2026-03-16T09:00:00Z")
    mailing.handlers(templates)["DomainAuthCodeIssued"](issued, work)
    [email] = work.emails.rows
    assert (email.recipient, email.language, email.kind) == ("nora@example.test", "fr", "domain-auth-code")
    assert "Ab3$Xy9!Qw7#Er5%Ty2^" not in email.text + email.html + email.subject + repr(issued)
    assert mailing.MASK in email.text and email.secrets == {"auth_code": "Ab3$Xy9!Qw7#Er5%Ty2^"}
    assert "example.ch" in email.subject


def test_DO_01_without_a_registrant_address_the_auth_code_goes_to_the_administrators():
    from services.notifications.domain.events import DomainAuthCodeIssued

    work, templates = uow(), Templates("https://portal.example.test")
    BOB = "33333333-3333-3333-3333-333333333333"
    _organization(work, (ANNA, "anna@example.test", "de", "legal_representative"),
                  (BOB, "bob@example.test", "fr", "collaborator"))
    issued = DomainAuthCodeIssued(org_id=ORG, domain_id="d-1", domain="example.ch", registrant_name="Muster AG",
                                  registrant_email=None, language=None, auth_code="Ab3$Xy9!Qw7#Er5%Ty2^", valid_until=None)
    mailing.handlers(templates)["DomainAuthCodeIssued"](issued, work)
    assert [(e.recipient, e.language) for e in work.emails.rows] == [("anna@example.test", "de")]
    assert work.emails.rows[0].secrets == {"auth_code": "Ab3$Xy9!Qw7#Er5%Ty2^"}


def test_DO_01_the_owner_change_link_goes_to_the_new_registrant_only():
    from services.notifications.domain.events import DomainOwnerChanged, DomainOwnerChangeRequested

    work, templates = uow(), Templates("https://portal.example.test")
    _organization(work, (ANNA, "anna@example.test", "de", "legal_representative"))
    handle = mailing.handlers(templates)
    handle["DomainOwnerChangeRequested"](DomainOwnerChangeRequested(
        org_id=ORG, domain_id="d-1", domain="example.ch", change_id="c-1", registrant_name="Nora New",
        registrant_email="nora@example.test", language="it", token="the-owner-change-secret-1234",
        expires_at="2026-03-09T09:00:00Z"), work)
    [email] = work.emails.rows
    assert (email.recipient, email.language) == ("nora@example.test", "it")
    assert "the-owner-change-secret-1234" not in email.text + email.html and email.secrets == {"token": "the-owner-change-secret-1234"}
    handle["DomainOwnerChanged"](DomainOwnerChanged(
        org_id=ORG, domain_id="d-1", domain="example.ch", change_id="c-1", registrant_name="Nora New",
        registrant_email="nora@example.test", language="it", changed_at="2026-03-02T09:00:00Z",
        transfer_locked_until="2026-05-01T09:00:00Z"), work)
    assert {e.recipient for e in work.emails.rows[1:]} == {"nora@example.test", "anna@example.test"}
