"""The person's own account through the gateway: profile (ID-05, ID-12), default link expiry
(ID-16), recovery contacts (ID-06) and changing the login email (ID-07)."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import requests
from sqlalchemy import create_engine, update

from portico_kernel import config
from tests.bus_tap import Tap
from tests.helpers import PASSWORD, bearer, problem, unique_email


def patch(api, path: str, body: dict, token: str) -> requests.Response:
    return api.http.patch(api.url(path), json=body, headers=bearer(token), timeout=30)


def put(api, path: str, body: dict, token: str) -> requests.Response:
    return api.http.put(api.url(path), json=body, headers=bearer(token), timeout=30)


def signed_in(api) -> tuple[dict, str]:
    person = api.signup()
    return person, api.login(person["email"])["access_token"]


def test_ID_05_ID_12_profile_changes_show_on_the_account(api):
    person, token = signed_in(api)

    response = patch(api, "/v1/me", {"first_name": "Léa", "last_name": "Rochat", "language": "fr", "country": "CH",
                                     "time_zone": "Europe/Zurich"}, token)

    assert response.status_code == 200, response.text
    me = api.get("/v1/me", token).json()
    assert (me["first_name"], me["last_name"], me["language"], me["country"], me["time_zone"]) == (
        "Léa", "Rochat", "fr", "CH", "Europe/Zurich")
    assert me["email"] == person["email"]
    assert response.json()["first_name"] == "Léa"


def test_ID_05_each_language_is_accepted_and_others_are_not(api):
    _, token = signed_in(api)
    for language in ("de", "en", "fr", "it"):
        assert patch(api, "/v1/me", {"language": language}, token).json()["language"] == language

    body = problem(patch(api, "/v1/me", {"language": "es"}, token), 400)
    assert [p["name"] for p in body["invalid_params"]] == ["language"]


def test_ID_05_country_and_time_zone_must_exist(api):
    _, token = signed_in(api)

    country = problem(patch(api, "/v1/me", {"country": "XX"}, token), 400)
    zone = problem(patch(api, "/v1/me", {"time_zone": "Europe/Atlantis"}, token), 400)

    assert [p["name"] for p in country["invalid_params"]] == ["country"]
    assert [p["name"] for p in zone["invalid_params"]] == ["time_zone"]
    me = api.get("/v1/me", token).json()
    assert me["country"] == "DE" and me["time_zone"] is None
    assert patch(api, "/v1/me", {"country": "IT", "time_zone": "America/Argentina/Buenos_Aires"}, token).status_code == 200


def test_ID_05_blank_names_and_unknown_fields_are_refused(api):
    _, token = signed_in(api)

    blank = problem(patch(api, "/v1/me", {"first_name": "   "}, token), 400)
    unknown = problem(patch(api, "/v1/me", {"email": "someone@example.test"}, token), 400)

    assert [p["name"] for p in blank["invalid_params"]] == ["first_name"]
    assert [p["name"] for p in unknown["invalid_params"]] == ["email"]


def test_ID_16_links_expire_after_60_days_unless_the_account_says_otherwise(api):
    _, token = signed_in(api)
    assert api.get("/v1/me", token).json()["link_expiry_days"] == 60

    assert patch(api, "/v1/me", {"link_expiry_days": 14}, token).json()["link_expiry_days"] == 14

    assert api.get("/v1/me", token).json()["link_expiry_days"] == 14
    for days in (0, 366):
        body = problem(patch(api, "/v1/me", {"link_expiry_days": days}, token), 400)
        assert [p["name"] for p in body["invalid_params"]] == ["link_expiry_days"]


def test_ID_06_recovery_contacts_need_the_password(api):
    person, token = signed_in(api)
    contacts = {"recovery_phone": {"country_code": "+41", "number": "79 123 45 67"},
                "recovery_email": "backup@example.test"}

    wrong = problem(put(api, "/v1/me/recovery-contacts", {"password": "not my password", **contacts}, token), 403)
    assert wrong["type"].endswith("/wrong-password")
    assert api.get("/v1/me/recovery-contacts", token).json()["recovery_phone"] is None

    tap = Tap(f"recovery-{uuid.uuid4().hex[:6]}")
    try:
        response = put(api, "/v1/me/recovery-contacts", {"password": PASSWORD, **contacts}, token)

        assert response.status_code == 200, response.text
        tap.wait_for(lambda b: b["type"] == "SecurityAlertRaised" and b["payload"]["user_id"] == person["id"]
                     and b["payload"]["alert"] == "recovery-contacts-changed")
    finally:
        tap.close()
    shown = api.get("/v1/me/recovery-contacts", token).json()
    assert shown["recovery_phone"] == {"country_code": "+41", "number": "791234567", "e164": "+41791234567"}
    assert shown["recovery_email"] == "backup@example.test"


def test_ID_06_recovery_phone_must_be_a_real_number(api):
    _, token = signed_in(api)
    for phone in ({"country_code": "+41", "number": "1234"},  # too short for Switzerland
                  {"country_code": "+999", "number": "791234567"}):  # no such calling code
        body = problem(put(api, "/v1/me/recovery-contacts", {"password": PASSWORD, "recovery_phone": phone}, token), 400)
        assert [p["name"] for p in body["invalid_params"]] == ["recovery_phone"]


def test_ID_06_recovery_email_must_differ_from_the_login(api):
    person, token = signed_in(api)
    body = problem(put(api, "/v1/me/recovery-contacts",
                       {"password": PASSWORD, "recovery_email": person["email"].upper()}, token), 400)
    assert [p["name"] for p in body["invalid_params"]] == ["recovery_email"]


def test_ID_07_new_login_email_rules(api):
    person, token = signed_in(api)
    other = api.signup()
    assert put(api, "/v1/me/recovery-contacts", {"password": PASSWORD, "recovery_email": "Backup@example.test"},
               token).status_code == 200

    recovery = problem(api.post("/v1/me/email-change", {"new_email": "backup@EXAMPLE.test", "password": PASSWORD}, token), 400)
    taken = problem(api.post("/v1/me/email-change", {"new_email": other["email"].upper(), "password": PASSWORD}, token), 409)
    wrong = problem(api.post("/v1/me/email-change", {"new_email": unique_email(), "password": "not my password"}, token), 403)

    assert [p["name"] for p in recovery["invalid_params"]] == ["new_email"]
    assert taken["type"].endswith("/email-taken")
    assert wrong["type"].endswith("/wrong-password")
    assert api.get("/v1/me", token).json()["email"] == person["email"]


def test_ID_07_a_wrong_link_changes_nothing(api):
    person, token = signed_in(api)
    body = problem(api.post("/v1/me/email-change/confirm", {"token": "made-up"}, token), 400)
    assert body["type"].endswith("/invalid-link")
    assert api.get("/v1/me", token).json()["email"] == person["email"]


def link_token(mail: dict) -> str:
    return re.search(r"token=([A-Za-z0-9_-]+)", mail["body"]).group(1)


def test_ID_07_the_new_login_email_is_verified_by_a_link_sent_there(api, smtp):
    person = api.signup(language="de")
    token = api.login(person["email"])["access_token"]
    new_email = unique_email("Neu")
    tap = Tap(f"email-change-{uuid.uuid4().hex[:6]}")
    try:
        response = api.post("/v1/me/email-change", {"new_email": new_email, "password": PASSWORD}, token)

        assert response.status_code == 202, response.text
        expires = datetime.fromisoformat(response.json()["expires_at"])
        assert timedelta(days=59) < expires - datetime.now(timezone.utc) <= timedelta(days=60)  # ID-16 default
        assert api.get("/v1/me", token).json()["email"] == person["email"]  # nothing changes before the link is opened
        mail = smtp.wait_for(new_email, "Anmelde-E-Mail-Adresse")  # in the person's language
        assert smtp.to(person["email"], "Anmelde-E-Mail-Adresse") == []

        confirmed = api.post("/v1/me/email-change/confirm", {"token": link_token(mail)}, token)

        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["email"] == new_email
        changed = tap.wait_for(lambda b: b["type"] == "LoginEmailChanged" and b["payload"]["user_id"] == person["id"])
        alert = tap.wait_for(lambda b: b["type"] == "SecurityAlertRaised" and b["payload"]["user_id"] == person["id"]
                             and b["payload"]["alert"] == "login-email-changed")
    finally:
        tap.close()
    assert changed["body"]["payload"] == {"user_id": person["id"], "old_email": person["email"], "new_email": new_email}
    assert alert["body"]["payload"]["email"] == person["email"]  # the old address hears of it
    assert api.get("/v1/me", token).json()["email"] == new_email
    api.login(new_email)
    problem(api.post("/v1/auth/login", {"email": person["email"], "password": PASSWORD}), 401)
    again = problem(api.post("/v1/me/email-change/confirm", {"token": link_token(mail)}, token), 400)
    assert again["type"].endswith("/invalid-link")


def test_ID_07_a_link_works_only_for_the_account_that_asked(api, smtp):
    person, token = signed_in(api)
    _, intruder = signed_in(api)
    new_email = unique_email("mine")
    assert api.post("/v1/me/email-change", {"new_email": new_email, "password": PASSWORD}, token).status_code == 202
    mail = smtp.wait_for(new_email, "sign-in email")

    problem(api.post("/v1/me/email-change/confirm", {"token": link_token(mail)}, intruder), 400)

    assert api.post("/v1/me/email-change/confirm", {"token": link_token(mail)}, token).json()["email"] == new_email


def test_ID_07_ID_16_the_link_expires_with_the_accounts_link_expiry(api, smtp):
    person, token = signed_in(api)
    assert patch(api, "/v1/me", {"link_expiry_days": 1}, token).status_code == 200
    new_email = unique_email("late")

    response = api.post("/v1/me/email-change", {"new_email": new_email, "password": PASSWORD}, token)

    expires = datetime.fromisoformat(response.json()["expires_at"])
    assert timedelta(hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=1)
    mail = smtp.wait_for(new_email, "sign-in email")
    # A day passes (written into identity's database: the test cannot wait that long).
    from services.identity.adapters.orm import email_changes

    engine = create_engine(config.load("identity").database_url)
    with engine.begin() as conn:
        conn.execute(update(email_changes).where(email_changes.c.user_id == person["id"])
                     .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    engine.dispose()

    expired = problem(api.post("/v1/me/email-change/confirm", {"token": link_token(mail)}, token), 400)

    assert expired["type"].endswith("/link-expired")
    assert api.get("/v1/me", token).json()["email"] == person["email"]


def test_ID_07_a_newer_request_replaces_the_earlier_link(api, smtp):
    _, token = signed_in(api)
    first, second = unique_email("first"), unique_email("second")
    assert api.post("/v1/me/email-change", {"new_email": first, "password": PASSWORD}, token).status_code == 202
    first_mail = smtp.wait_for(first, "sign-in email")
    assert api.post("/v1/me/email-change", {"new_email": second, "password": PASSWORD}, token).status_code == 202
    second_mail = smtp.wait_for(second, "sign-in email")

    problem(api.post("/v1/me/email-change/confirm", {"token": link_token(first_mail)}, token), 400)

    assert api.post("/v1/me/email-change/confirm", {"token": link_token(second_mail)}, token).json()["email"] == second


def test_ID_07_the_member_lists_show_the_new_login_email(api, smtp):
    from tests.helpers import eventually

    person = api.customer_with_org()
    new_email = unique_email("moved")
    assert api.post("/v1/me/email-change", {"new_email": new_email, "password": PASSWORD}, person["token"]).status_code == 202
    link = link_token(smtp.wait_for(new_email, ""))
    assert api.post("/v1/me/email-change/confirm", {"token": link}, person["token"]).status_code == 200

    members = lambda: api.get(f"/v1/orgs/{person['org_id']}/members", person["token"]).json()
    eventually(lambda: [m["email"] for m in members()] == [new_email], what="the new email in the member list")


def test_ID_05_a_new_name_is_announced_and_shows_in_the_member_lists(api):
    from portico_kernel import events
    from tests.helpers import eventually

    person = api.customer_with_org()
    tap = Tap(f"renamed-{uuid.uuid4().hex[:6]}")
    try:
        assert patch(api, "/v1/me", {"first_name": "Zoë", "last_name": "Favre"}, person["token"]).status_code == 200
        renamed = tap.wait_for(lambda b: b["type"] == "PersonRenamed" and b["payload"]["user_id"] == person["id"])
        # Changing only the language renames nobody.
        assert patch(api, "/v1/me", {"language": "de"}, person["token"]).status_code == 200
        tap.drain(3)
        assert [m for m in tap.messages if m["body"]["type"] == "PersonRenamed"
                and m["body"]["payload"]["user_id"] == person["id"]] == [renamed]
    finally:
        tap.close()
    events.validate(renamed["body"])
    assert renamed["body"]["payload"] == {"user_id": person["id"], "first_name": "Zoë", "last_name": "Favre"}

    members = lambda: api.get(f"/v1/orgs/{person['org_id']}/members", person["token"]).json()
    eventually(lambda: [(m["first_name"], m["last_name"]) for m in members()] == [("Zoë", "Favre")],
               what="the new name in the member list")
