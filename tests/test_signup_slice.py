"""ID-01 through the gateway: sign-up → UserRegistered → personal organization (legal
representative) → billing account (CHF for a Swiss address, EUR otherwise)."""
from __future__ import annotations

import pytest

from tests import helpers
from tests.helpers import PASSWORD, eventually, unique_email


def problem(response, status: int) -> dict:
    body = helpers.problem(response, status)
    assert body["status"] == status and body["title"] and body["type"]
    return body


@pytest.mark.parametrize("country, currency", [("CH", "CHF"), ("DE", "EUR"), ("FR", "EUR")])
def test_ID_01_signup_creates_personal_organization_and_billing_account(api, country, currency):
    person = api.signup(country=country, first_name="Anna", last_name="Muster")
    tokens = api.login(person["email"])
    orgs = eventually(lambda: api.get("/v1/orgs", tokens["access_token"]).json(), what="personal organization")
    me = eventually(lambda: (m := api.get("/v1/me", tokens["access_token"]).json())["organizations"] and m,
                    what="membership known to identity")
    assert len(orgs) == 1
    org = orgs[0]
    assert org["name"] == "Anna Muster" and org["my_role"] == "legal_representative" and org["country"] == country
    assert me["organizations"] == [{"org_id": org["id"], "role": "legal_representative"}]
    assert me["email"] == person["email"] and me["kind"] == "customer"

    token = api.login(person["email"])["access_token"]  # now with the org claim
    account = eventually(lambda: (r := api.get(f"/v1/billing/accounts/{org['id']}", token)).status_code == 200 and r.json(),
                         what="billing account")
    assert account["currency"] == currency
    assert account["balance"] == {"amount_minor": 0, "currency": currency}


def test_ID_01_same_email_in_any_letter_case_is_409(api):
    email = unique_email("Case")
    api.signup(email=email)
    body = problem(api.post("/v1/auth/signup", {"email": email.upper(), "password": PASSWORD,
                                                 "first_name": "A", "last_name": "B"}), 409)
    assert body["type"].endswith("/email-taken")


def _nothing_written(api, email):
    assert api.post("/v1/auth/login", {"email": email, "password": PASSWORD}).status_code == 401
    api.signup(email=email)  # the address is still free


def test_malformed_json_is_400_and_writes_nothing(api):
    email = unique_email()
    response = api.http.post(api.url("/v1/auth/signup"), data='{"email": "' + email + '", "password": ',
                             headers={"Content-Type": "application/json"}, timeout=10)
    body = problem(response, 400)
    assert "JSON" in body["detail"]
    _nothing_written(api, email)


def test_missing_field_is_400_naming_it(api):
    email = unique_email()
    body = problem(api.post("/v1/auth/signup", {"email": email, "password": PASSWORD, "first_name": "A"}), 400)
    assert {"name": "last_name", "reason": "'last_name' is a required property"} in body["invalid_params"]
    _nothing_written(api, email)


def test_too_short_password_is_400_naming_the_field(api):
    email = unique_email()
    body = problem(api.post("/v1/auth/signup", {"email": email, "password": "short", "first_name": "A", "last_name": "B"}), 400)
    assert [p["name"] for p in body["invalid_params"]] == ["password"]
    _nothing_written(api, email)


def test_unknown_fields_and_bad_country_are_named(api):
    body = problem(api.post("/v1/auth/signup", {"email": unique_email(), "password": PASSWORD, "first_name": "A",
                                                "last_name": "B", "country": "Switzerland", "admin": True}), 400)
    assert {p["name"] for p in body["invalid_params"]} == {"country", "admin"}


def test_OR_01_no_one_reaches_another_organizations_data(api):
    alice, bob = api.customer_with_org(), api.customer_with_org()
    for path in (f"/v1/orgs/{bob['org_id']}", f"/v1/orgs/{bob['org_id']}/members", f"/v1/billing/accounts/{bob['org_id']}"):
        problem(api.get(path, alice["token"]), 404)
    assert [o["id"] for o in api.get("/v1/orgs", alice["token"]).json()] == [alice["org_id"]]
    assert api.get(f"/v1/orgs/{alice['org_id']}/members", alice["token"]).json()[0]["user_id"] == alice["user_id"]
