"""The notifications service end to end: every email from one place, in the person's language,
kept in a history the person reads (ID-14), through the organization's own SMTP server with
STARTTLS (ID-15), and forgotten with the account (ID-11). Mails are read from real SMTP servers on
loopback (aiosmtpd)."""
from __future__ import annotations

import datetime
import ipaddress
import os
import re
import threading
import uuid
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.helpers import PASSWORD, bearer, device, eventually, problem
from tests.test_mail_deliveries import support_agent_token


def emails(api, token: str, path: str = "/v1/notifications/emails", **query) -> list[dict]:
    answer = api.get(path, token, params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()


def wrong_password(stack, person) -> None:
    assert device(stack, user_agent="Stranger/<b>1.0</b>").login(person["email"], "a wrong guess").status_code == 401


# Subjects of the wrong-password alert, and a word of its text, in each language.
WRONG_PASSWORD = {"de": ("Anmeldeversuch mit falschem Passwort", "Guten Tag"),
                  "en": ("Sign-in attempt with a wrong password", "Hello"),
                  "fr": ("Tentative de connexion avec un mot de passe erroné", "Bonjour"),
                  "it": ("Tentativo di accesso con una password errata", "Buongiorno")}


def test_ID_03_the_alert_arrives_in_each_of_the_four_languages_with_time_in_the_persons_zone(api, stack, smtp):
    people = {language: api.signup(email=f"lang-{language}-{uuid.uuid4().hex[:6]}@example.test", language=language)
              for language in WRONG_PASSWORD}
    token = api.login(people["fr"]["email"])["access_token"]
    zone = api.http.patch(api.url("/v1/me"), json={"time_zone": "Asia/Tokyo"}, headers=bearer(token), timeout=30)
    assert zone.status_code == 200, zone.text
    for person in people.values():
        wrong_password(stack, person)
    for language, (subject, greeting) in WRONG_PASSWORD.items():
        mail = smtp.wait_for(people[language]["email"], subject, timeout=60)
        assert mail["body"].startswith(f"{greeting} Erika") and "Stranger/<b>1.0</b>" in mail["body"]
    # Times are written in the person's time zone: Tokyo names its offset (+0900).
    assert "+0900" in smtp.to(people["fr"]["email"], WRONG_PASSWORD["fr"][0])[0]["body"]


def test_ID_14_a_person_lists_and_reads_their_emails_by_period_and_kind(api, stack, smtp):
    person = api.customer_with_org()
    token = person["token"]
    wrong_password(stack, person)
    new_email = f"moved-{uuid.uuid4().hex[:8]}@example.test"
    assert api.post("/v1/me/email-change", {"new_email": new_email, "password": PASSWORD}, token).status_code == 202
    link = smtp.wait_for(new_email, "sign-in email", timeout=60)
    secret = re.search(r"token=([A-Za-z0-9_-]+)", link["body"]).group(1)
    smtp.wait_for(person["email"], "wrong password", timeout=60)
    listed = eventually(lambda: [e for e in emails(api, token) if e["status"] == "sent"] if len(
        [e for e in emails(api, token) if e["status"] == "sent"]) == 2 else None, what="both emails sent in the history")
    assert {e["kind"] for e in listed} == {"security-alert", "email-change"}
    assert {e["recipient"] for e in listed} == {person["email"], new_email}
    alert = next(e for e in listed if e["kind"] == "security-alert")
    assert alert["alert"] == "wrong-password" and alert["via"] == "provider" and alert["attempts"] == 1

    # Filtered by kind and by period; paged by cursor.
    assert [e["kind"] for e in emails(api, token, kind="email-change")] == ["email-change"]
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).isoformat()
    earlier = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).isoformat()
    assert emails(api, token, since=later) == []
    assert len(emails(api, token, since=earlier, until=later)) == 2
    first = api.get("/v1/notifications/emails", token, params={"limit": 1})
    assert len(first.json()) == 1 and 'rel="next"' in first.headers["Link"]
    problem(api.get("/v1/notifications/emails", token, params={"since": later, "until": earlier}), 400)
    problem(api.get("/v1/notifications/emails", token, params={"kind": "invoice-of-someone"}), 400)
    problem(api.get("/v1/notifications/emails", token, params={"since": "yesterday"}), 400)

    # Reading one: the text and HTML as sent, the link's secret masked.
    change = next(e for e in listed if e["kind"] == "email-change")
    read = api.get(f"/v1/notifications/emails/{change['id']}", token)
    assert read.status_code == 200 and "/account/email-change/confirm?token=" in read.json()["text"]
    assert secret not in read.text and "<html" in read.json()["html"]

    # Nobody else reads it; support does.
    stranger = api.customer_with_org()
    problem(api.get(f"/v1/notifications/emails/{change['id']}", stranger["token"]), 404)
    assert emails(api, stranger["token"]) == []
    support = support_agent_token(api)
    assert api.get(f"/v1/notifications/emails/{change['id']}", support).status_code == 200
    problem(api.get("/v1/notifications/emails/not-an-id", token), 400)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, made here (cryptography), as a small mail server might have."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.example.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "mail.pem", directory / "mail.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class OrgMailServer:
    """The organization's own mail server: STARTTLS required, then a user and password."""

    def __init__(self, port: int, cert: Path, key: Path, user: str, password: str):
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages, self.logins, self._lock = [], [], threading.Lock()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            self.logins.append(ok)
            return AuthResult(success=ok, handled=False)  # a refusal is answered 535

        self.controller = Controller(self, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                                     authenticator=authenticate, auth_required=True)

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append({"to": [a.lower() for a in envelope.rcpt_tos], "from": str(mail["From"]),
                                  "subject": str(mail["Subject"]), "tls": session.ssl is not None,
                                  "body": mail.get_body(preferencelist=("plain",)).get_content(),
                                  "html": mail.get_body(preferencelist=("html",)).get_content()})
        return "250 OK"


@pytest.fixture
def org_mail_server(tmp_path):
    cert, key = _self_signed(tmp_path)
    # The stack checks mail servers' certificates against PORTICO_SMTP_CA_FILE (tests/conftest.py).
    Path(os.environ["PORTICO_SMTP_CA_FILE"]).write_bytes(cert.read_bytes())
    password = f"pw-{uuid.uuid4().hex}"
    server = OrgMailServer(int(os.environ["PORTICO_SMTP_PORT"]) + 1, cert, key, "acme-mailer", password)
    server.controller.start()
    yield server, password
    server.controller.stop()
    Path(os.environ["PORTICO_SMTP_CA_FILE"]).unlink(missing_ok=True)


def test_ID_15_the_organizations_own_server_with_starttls_sends_its_mails_never_security_mails(api, stack, smtp, org_mail_server):
    server, password = org_mail_server
    owner = api.customer_with_org()
    token = owner["token"]
    settings = {"sender": "info@acme.example.test", "host": "127.0.0.1", "port": server.controller.port,
                "starttls": True, "username": "acme-mailer", "password": password}
    # The legal representative sets it once notifications knows the organization's members (events).
    saved = eventually(lambda: (lambda r: r if r.status_code == 200 else None)(
        api.http.put(api.url("/v1/notifications/smtp-server"), json=settings, headers=bearer(token), timeout=30)),
        what="the SMTP server saved")
    assert saved.json()["has_password"] is True and password not in saved.text
    shown = api.get("/v1/notifications/smtp-server", token)
    assert shown.status_code == 200 and password not in shown.text and shown.json()["port"] == server.controller.port
    assert shown.json()["starttls"] is True and shown.json()["username"] == "acme-mailer"
    assert "password" not in shown.json()

    # "Send a test email": through the organization's server, after STARTTLS and a login.
    queued = api.post("/v1/notifications/smtp-server/test", None, token)
    assert queued.status_code == 202, queued.text
    mail = eventually(lambda: next((m for m in server.messages if owner["email"].lower() in m["to"]), None),
                      timeout=60, what="the test email at the organization's server")
    assert mail["tls"] and "info@acme.example.test" in mail["from"] and "127.0.0.1" in mail["body"]
    assert True in server.logins and smtp.to(owner["email"], "test email") == []
    sent = eventually(lambda: [e for e in emails(api, token, "/v1/notifications/org-emails") if e["status"] == "sent"],
                      what="the test email in the organization's history")
    assert sent[0]["via"] == "organization" and sent[0]["kind"] == "smtp-test"

    # A security alert to the same person still comes from the provider's server.
    wrong_password(stack, owner)
    smtp.wait_for(owner["email"], "wrong password", timeout=60)
    assert not [m for m in server.messages if "wrong password" in m["subject"].lower()]

    # A wrong password at the organization's server: the test email fails and says why.
    api.http.put(api.url("/v1/notifications/smtp-server"), json={**settings, "password": "not it"},
                 headers=bearer(token), timeout=30)
    failing = api.post("/v1/notifications/smtp-server/test", None, token).json()
    failed = eventually(lambda: (lambda e: e if e["status"] == "failed" else None)(
        api.get(f"/v1/notifications/emails/{failing['id']}", token).json()), timeout=20, what="the test email failed")
    assert failed["last_error"].startswith("535") and "not it" not in str(failed)

    # Others: another organization's administrator sees none of it; hostile input is refused by name.
    other = api.customer_with_org()
    eventually(lambda: api.get("/v1/notifications/org-emails", other["token"]).status_code == 200,
               what="the other organization's administrator known")
    assert emails(api, other["token"], "/v1/notifications/org-emails") == []
    problem(api.get("/v1/notifications/smtp-server", other["token"]), 404)
    problem(api.get(f"/v1/notifications/emails/{failing['id']}", other["token"]), 404)
    for field, value in (("host", "mail.example.test\r\nRCPT TO:<victim@example.test>"), ("host", "a b"),
                         ("sender", "not an address"), ("port", 70000)):
        refused = api.http.put(api.url("/v1/notifications/smtp-server"), json={**settings, field: value},
                               headers=bearer(token), timeout=30)
        assert [p["name"] for p in problem(refused, 400)["invalid_params"]] == [field], (field, refused.text)

    # Back to the provider's server.
    assert api.http.delete(api.url("/v1/notifications/smtp-server"), headers=bearer(token), timeout=30).status_code == 204
    problem(api.get("/v1/notifications/smtp-server", token), 404)


def test_ID_11_closing_the_account_erases_the_persons_emails(api, stack, smtp):
    person = api.customer_with_org()
    wrong_password(stack, person)
    smtp.wait_for(person["email"], "wrong password", timeout=60)
    support = support_agent_token(api)
    assert eventually(lambda: api.get(f"/v1/notifications/people/{person['user_id']}/emails", support).json(),
                      what="the alert in the history")
    assert api.post("/v1/me/closure", {"password": PASSWORD}, person["token"]).status_code == 202
    eventually(lambda: api.get(f"/v1/notifications/people/{person['user_id']}/emails", support).status_code == 404,
               timeout=60, what="the person's emails erased")


def test_ID_07_the_verification_link_opens_a_page_whose_button_confirms(api, stack, smtp):
    person = api.customer_with_org()
    new_email = f"linked-{uuid.uuid4().hex[:8]}@example.test"
    assert api.post("/v1/me/email-change", {"new_email": new_email, "password": PASSWORD}, person["token"]).status_code == 202
    mail = smtp.wait_for(new_email, "sign-in email", timeout=60)
    link = re.search(r"(/account/email-change/confirm\?token=([A-Za-z0-9_-]+))", mail["body"])
    page = api.http.get(stack.gateway + link.group(1), timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"] and link.group(2) not in page.text
    german = api.http.get(stack.gateway + link.group(1), headers={"Accept-Language": "de-CH,de;q=0.9,en;q=0.5"}, timeout=30)
    assert german.headers["Content-Language"] == "de" and "Anmelde-E-Mail-Adresse" in german.text
    # Opening the page changed nothing; its button's POST does, once.
    assert api.login(person["email"])["access_token"]
    confirmed = api.http.post(stack.gateway + "/account/email-change/confirm", json={"token": link.group(2)}, timeout=30)
    assert confirmed.status_code == 200 and confirmed.json() == {"email": new_email}
    problem(api.http.post(stack.gateway + "/account/email-change/confirm", json={"token": link.group(2)}, timeout=30), 400)
    problem(api.http.post(stack.gateway + "/account/email-change/confirm", json={"token": "guessed-" + "x" * 40}, timeout=30), 400)
    assert api.login(new_email)["access_token"]


def test_ID_03_a_redelivered_alert_event_is_sent_once_and_matches_its_schema(api, stack, smtp):
    from tests.bus_tap import Tap

    tap = Tap(f"alerts-{uuid.uuid4().hex[:6]}")
    try:
        person = api.signup(email=f"twice-{uuid.uuid4().hex[:8]}@example.test")
        wrong_password(stack, person)
        original = tap.wait_for(lambda b: b["type"] == "SecurityAlertRaised" and b["payload"]["user_id"] == person["id"])["body"]
        smtp.wait_for(person["email"], "wrong password", timeout=60)
        tap.publish(original, "identity.SecurityAlertRaised")
        tap.publish(original, "identity.SecurityAlertRaised")
        # A later alert queues behind the copies: once it is sent, the copies were handled too.
        marker = api.signup(email=f"marker-{uuid.uuid4().hex[:8]}@example.test")
        wrong_password(stack, marker)
        smtp.wait_for(marker["email"], "wrong password", timeout=60)
        import time
        time.sleep(2)  # a copy, had one been queued, would be sent by now
        assert len(smtp.to(person["email"], "wrong password")) == 1
    finally:
        tap.close()


def test_ID_15_stored_passwords_are_reencrypted_when_the_key_rotates(api, stack):
    """An operator puts a new key first in PORTICO_SECRET_KEYS and runs rotate-secrets."""
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    owner = api.customer_with_org()
    settings = {"sender": "info@rotate.example.test", "host": "mail.rotate.example.test", "password": "rotate-me"}
    eventually(lambda: api.http.put(api.url("/v1/notifications/smtp-server"), json=settings,
                                    headers=bearer(owner["token"]), timeout=30).status_code == 200, what="saved")
    old, new = os.environ["PORTICO_SECRET_KEYS"], Fernet.generate_key().decode()
    for keys in (f"{new},{old}", f"{old},{new}"):  # to the new key, and back for the running stack
        done = subprocess.run([sys.executable, "-m", "services.notifications.entrypoints.admin", "rotate-secrets"],
                              env={**os.environ, "PORTICO_SECRET_KEYS": keys}, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "re-encrypted" in done.stdout, done.stderr
        assert "rotate-me" not in done.stdout + done.stderr
    # The stack still reads it: the password is kept and never shown.
    shown = api.get("/v1/notifications/smtp-server", owner["token"])
    assert shown.json()["has_password"] is True and "rotate-me" not in shown.text
