"""App passwords (ID-10): only with 2FA on, named, shown once, listed with their last use,
revocable; they sign in at /v1/auth/app-login only, with amr ["app"]."""
from __future__ import annotations

from tests.helpers import PASSWORD, bearer, claims_of, device, unique_email
from tests.test_two_factor import enable_totp


def signed_in(api, stack) -> tuple[dict, str]:
    person = api.signup(email=unique_email("apppw"))
    return person, device(stack).login(person["email"]).json()["access_token"]


def test_ID_10_app_passwords_need_two_factor_authentication(api, stack):
    _, token = signed_in(api, stack)
    refused = api.post("/v1/me/app-passwords", {"name": "Thunderbird"}, token)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/two-factor-not-enabled")


def test_ID_10_an_app_password_is_refused_at_login_and_accepted_at_app_login(api, stack, smtp):
    person, token = signed_in(api, stack)
    enable_totp(api, token)
    created = api.post("/v1/me/app-passwords", {"name": "Thunderbird on the laptop"}, token)
    assert created.status_code == 201, created.text
    secret = created.json()["password"]
    assert created.json()["name"] == "Thunderbird on the laptop" and created.json()["last_used_at"] is None
    # Shown once: the list has no secret.
    listed = api.get("/v1/me/app-passwords", token).json()
    assert [(a["id"], a["name"]) for a in listed] == [(created.json()["id"], "Thunderbird on the laptop")]
    assert "password" not in listed[0]
    smtp.wait_for(to=person["email"], subject_contains="app password")

    mail_client = device(stack, user_agent="Thunderbird/128.0")
    at_login = mail_client.login(person["email"], secret)
    assert at_login.status_code == 401
    wrong = mail_client.post("/v1/auth/app-login", {"email": person["email"], "app_password": PASSWORD})
    assert wrong.status_code == 401
    signed = mail_client.post("/v1/auth/app-login", {"email": person["email"], "app_password": secret})
    assert signed.status_code == 200, signed.text
    assert claims_of(signed.json()["access_token"])["amr"] == ["app"]
    assert api.get("/v1/me/app-passwords", token).json()[0]["last_used_at"] is not None

    revoked = api.http.delete(api.url(f"/v1/me/app-passwords/{created.json()['id']}"), headers=bearer(token), timeout=30)
    assert revoked.status_code == 204
    again = mail_client.post("/v1/auth/app-login", {"email": person["email"], "app_password": secret})
    assert again.status_code == 401
    assert api.get("/v1/me/app-passwords", token).json() == []


def test_ID_10_app_passwords_stop_working_when_two_factor_is_turned_off(api, stack):
    person, token = signed_in(api, stack)
    enable_totp(api, token)
    secret = api.post("/v1/me/app-passwords", {"name": "Calendar sync"}, token).json()["password"]
    tool = device(stack, user_agent="CalendarSync/1.0")
    assert tool.post("/v1/auth/app-login", {"email": person["email"], "app_password": secret}).status_code == 200
    assert api.post("/v1/me/two-factor/totp/removal", {"password": PASSWORD}, token).status_code == 200
    assert tool.post("/v1/auth/app-login", {"email": person["email"], "app_password": secret}).status_code == 401
