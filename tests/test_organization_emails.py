"""The organization's emails end to end, as its people get them: the invitation (OR-03, ID-16),
the security warning to a member without 2FA (OR-11), a product locked or in maintenance (OR-12)
and the changed details (OR-14). Each state is reached through the gateway; the mails are read
from the suite's SMTP server on loopback."""
from __future__ import annotations

import re
import time
import uuid

import pytest

from tests.bus_tap import Tap
from tests.helpers import claims_of, eventually, unique_email
from tests.test_notifications import emails
from tests.test_organizations import provisioned


@pytest.fixture(scope="module")
def tap(stack):
    tap = Tap(f"org-mails-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def code_in(mail: dict) -> str:
    """The invitation code, on a line of its own in the mail's text."""
    found = re.findall(r"^([A-Za-z0-9_-]{40,})\r?$", mail["body"], re.MULTILINE)
    assert len(found) == 1, mail["body"]
    return found[0]


def invite(api, owner: dict, email: str, role: str = "collaborator") -> dict:
    response = api.post(f"/v1/orgs/{owner['org_id']}/invitations", {"email": email, "role": role}, owner["token"])
    assert response.status_code == 201, response.text
    return response.json()


def member_by_mail(api, smtp, owner: dict, subject: str, role: str = "collaborator", **fields) -> dict:
    """A person with an account, invited into the owner's organization, who accepts with the code
    the invitation mail brought (subject: a part of its subject in the person's language)."""
    person = api.customer_with_org(**fields)
    invite(api, owner, person["email"], role)
    code = code_in(smtp.wait_for(person["email"], subject, timeout=60))
    deadline = time.monotonic() + 30
    while True:  # orgs hears of the account from identity's event: until then 403
        accepted = api.post("/v1/invitations/accept", {"token": code}, person["token"])
        if accepted.status_code != 403 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert accepted.status_code == 200, accepted.text
    return person


def test_OR_03_ID_16_the_invitation_reaches_an_address_without_account_in_the_inviters_language_and_its_code_signs_up(api, smtp):
    owner = api.customer_with_org(language="de")
    email = unique_email("newcomer")
    invitation = invite(api, owner, email, "administrator")
    mail = smtp.wait_for(email, "lädt Sie zu", timeout=60)
    assert mail["subject"].startswith("Erika Mustermann lädt Sie zu") and "auf Portico ein" in mail["subject"]
    assert "als Administrator/in" in mail["body"] and "gültig bis" in mail["body"]
    assert "/v1/auth/signup" in mail["body"] and "/v1/invitations/accept" in mail["body"]
    code = code_in(mail)

    # the link opens a page, in the browser's language, that joins through the invitation
    assert f"/invitations/accept?token={code}" in mail["body"]
    page = api.http.get(api.url(f"/invitations/accept?token={code}"), headers={"Accept-Language": "de-CH,de;q=0.9"},
                        timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), page.text
    assert "Konto anlegen und beitreten" in page.text and code not in page.text  # the page never echoes the link
    assert "script-src 'sha256-" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"

    # the code signs the newcomer up into the inviting organization, in the invited role
    api.signup(email=email, first_name="Nina", last_name="Neu", invitation=code)
    claims = claims_of(api.login(email)["access_token"])
    assert claims["org"] == owner["org_id"] and claims["roles"] == ["administrator"], claims

    # the organization's history shows the invitation, its code masked
    sent = eventually(lambda: [e for e in emails(api, owner["token"], "/v1/notifications/org-emails", kind="invitation")
                               if e["status"] == "sent"], what="the invitation in the organization's history")
    assert [e["recipient"] for e in sent] == [email]
    read = api.get(f"/v1/notifications/emails/{sent[0]['id']}", owner["token"])
    assert read.status_code == 200 and code not in read.text and "********" in read.json()["text"]
    eventually(lambda: [i["status"] for i in api.get(f"/v1/orgs/{owner['org_id']}/invitations", owner["token"]).json()
                        if i["id"] == invitation["id"]] == ["accepted"], what="the invitation accepted in orgs")


def test_OR_03_an_invitee_with_an_account_gets_it_in_their_language_and_in_their_own_history(api, smtp):
    owner = api.customer_with_org(language="en")
    person = api.customer_with_org(language="fr")
    invite(api, owner, person["email"].upper())
    mail = smtp.wait_for(person["email"], "vous invite à rejoindre", timeout=60)
    assert "avec le rôle : collaborateur" in mail["body"]
    mine = eventually(lambda: emails(api, person["token"], kind="invitation"), what="the invitation in the invitee's history")
    assert mine[0]["language"] == "fr"
    # another organization's people see nothing of it
    stranger = api.customer_with_org()
    eventually(lambda: api.get("/v1/notifications/org-emails", stranger["token"]).status_code == 200,
               what="notifications knowing the stranger's own organization")
    assert emails(api, stranger["token"], "/v1/notifications/org-emails", kind="invitation") == []


def test_OR_11_a_member_without_2fa_gets_the_security_warning_in_their_language(api, smtp):
    owner = api.customer_with_org(language="en")
    colleague = member_by_mail(api, smtp, owner, "Portico", language="it")
    path = f"/v1/orgs/{owner['org_id']}/members/{colleague['id']}/security-warning"
    warned = api.post(path, None, owner["token"])
    assert warned.status_code == 202, warned.text
    mail = smtp.wait_for(colleague["email"], "Avviso di sicurezza", timeout=60)
    assert mail["subject"] == "Avviso di sicurezza: configuri l'autenticazione a due fattori"
    assert mail["body"].startswith("Buongiorno") and "Erika Mustermann" in mail["body"]
    assert "autenticazione a due fattori" in mail["body"]
    # only the warned member gets it
    assert smtp.to(owner["email"], "security warning") == []


def test_OR_12_members_are_mailed_when_a_product_is_locked_unlocked_or_in_maintenance(api, smtp, tap):
    owner = api.customer_with_org(language="en")
    colleague = member_by_mail(api, smtp, owner, "Portico", language="fr")
    org = owner["org_id"]
    hosting, mailbox = f"h-{uuid.uuid4().hex[:8]}", f"m-{uuid.uuid4().hex[:8]}"
    provisioned(tap, org, "hosting", hosting)
    provisioned(tap, org, "mailbox", mailbox)
    eventually(lambda: len(api.get(f"/v1/orgs/{org}/products", owner["token"]).json()) == 2, what="the products in orgs")

    lock = f"/v1/orgs/{org}/products/hosting/{hosting}/lock"
    assert api.put(lock, None, owner["token"]).status_code == 200
    mail = smtp.wait_for(colleague["email"], f"La gestion de hosting {hosting} est verrouillée", timeout=60)
    assert "seuls les administrateurs et les représentants légaux" in mail["body"]
    smtp.wait_for(owner["email"], f"The management of hosting {hosting} is locked", timeout=60)

    assert api.delete(lock, owner["token"]).status_code == 200
    smtp.wait_for(colleague["email"], f"La gestion de hosting {hosting} est déverrouillée", timeout=60)

    assert api.put(f"/v1/orgs/{org}/products/mailbox/{mailbox}/maintenance", None, owner["token"]).status_code == 200
    mail = smtp.wait_for(owner["email"], f"Mail product {mailbox} is in maintenance", timeout=60)
    assert "Mail still arrives, but nobody can read it" in mail["body"]
    smtp.wait_for(colleague["email"], f"Le produit de messagerie {mailbox} est en maintenance", timeout=60)
    kinds = eventually(lambda: (e := emails(api, owner["token"], "/v1/notifications/org-emails", kind="product-state"))
                       and len(e) >= 6 and e, what="the product mails in the organization's history")
    assert {e["recipient"] for e in kinds} == {owner["email"], colleague["email"]}


def test_OR_14_the_legal_representatives_get_a_summary_of_the_changed_details(api, smtp):
    owner = api.customer_with_org(country="DE", language="de")
    administrator = member_by_mail(api, smtp, owner, "invites you", "administrator", language="en")
    change = {"name": f"Muster Hosting {uuid.uuid4().hex[:4]} GmbH", "phone": "+41 44 668 18 00",
              "address": {"street": "Bahnhofstrasse", "house_number": "1", "postcode": "8001", "town": "Zürich",
                          "country": "CH"}}
    changed = api.http.patch(api.url(f"/v1/orgs/{owner['org_id']}"), json=change,
                             headers={"Authorization": f"Bearer {owner['token']}"}, timeout=30)
    assert changed.status_code == 200, changed.text
    mail = smtp.wait_for(owner["email"], f"Die Angaben von {change['name']} wurden geändert", timeout=60)
    listed = re.findall(r"^- (.+?)\r?$", mail["body"], re.MULTILINE)
    assert {"Name", "Telefon", "Land", "Ort", "Strasse"} <= set(listed), mail["body"]
    assert "Handelsregisternummer" not in listed  # unchanged fields are not named
    time.sleep(2)  # the administrator is not a legal representative: no summary for them
    assert smtp.to(administrator["email"], "were changed") == []
