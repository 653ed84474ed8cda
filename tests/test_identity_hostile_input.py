"""Identity answers hostile text — lone surrogates, NUL and other control characters in names,
passwords and tokens — with a 4xx naming the field, never a 500 (ID-01, ID-05, GW-01)."""
from __future__ import annotations

from tests.helpers import PASSWORD, bearer, problem, unique_email

HOSTILE = ("\ud800", "Er\x00ika", "Er\x1bika")


def test_ID_01_hostile_names_and_passwords_at_sign_up_are_refused_naming_the_field(api):
    for text in HOSTILE:
        for field in ("first_name", "last_name"):
            body = {"email": unique_email(), "password": PASSWORD, "first_name": "Erika", "last_name": "Muster", field: text}
            assert [p["name"] for p in problem(api.post("/v1/auth/signup", body), 400)["invalid_params"]] == [field]
        body = {"email": unique_email(), "password": f"{text} and a long passphrase", "first_name": "E", "last_name": "M"}
        assert [p["name"] for p in problem(api.post("/v1/auth/signup", body), 400)["invalid_params"]] == ["password"]


def test_ID_05_hostile_names_in_the_profile_are_refused_naming_the_field(api):
    person = api.customer_with_org()
    for text in HOSTILE:
        answer = api.http.patch(api.url("/v1/me"), json={"first_name": text}, headers=bearer(person["token"]), timeout=30)
        assert [p["name"] for p in problem(answer, 400)["invalid_params"]] == ["first_name"]
    assert api.get("/v1/me", person["token"]).json()["first_name"] == "Erika"


def test_GW_01_a_lone_surrogate_in_a_password_or_token_is_refused_naming_the_field(api):
    """No request may carry an unpaired surrogate: refused at the door, naming the field, for any
    operation (docs/SECURITY.md "Hostile input")."""
    person = api.customer_with_org()
    for path, body, field, token in (
            ("/v1/auth/login", {"email": person["email"], "password": "\ud800" * 9}, "password", None),
            ("/v1/auth/refresh", {"refresh_token": "\ud800"}, "refresh_token", None),
            ("/v1/auth/login/second-factor", {"challenge": "\ud800", "method": "totp", "code": "123456"}, "challenge", None),
            ("/v1/me/email-change/confirm", {"token": "\ud800"}, "token", person["token"])):
        assert [p["name"] for p in problem(api.post(path, body, token), 400)["invalid_params"]] == [field], path
