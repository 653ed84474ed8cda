"""ID-08 through the gateway: the signed-in devices of a person, ending one, and changing the
password (the current one is required; every other session ends)."""
from __future__ import annotations

import uuid

from tests.bus_tap import Tap
from tests.helpers import PASSWORD, bearer, claims_of, problem

NEW_PASSWORD = "a new and longer passphrase"


def sign_in(api, email: str, device: str, password: str = PASSWORD) -> dict:
    response = api.http.post(api.url("/v1/auth/login"), json={"email": email, "password": password},
                             headers={"User-Agent": device}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(api, tokens: dict):
    return api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})


def delete(api, path: str, token: str):
    return api.http.delete(api.url(path), headers=bearer(token), timeout=30)


def test_ID_08_sessions_show_device_place_and_which_is_current(api):
    person = api.signup()
    laptop = sign_in(api, person["email"], "Firefox on the laptop")
    phone = sign_in(api, person["email"], "Portico app on the phone")

    sessions = api.get("/v1/me/sessions", laptop["access_token"]).json()

    by_id = {s["id"]: s for s in sessions}
    laptop_sid, phone_sid = claims_of(laptop["access_token"])["sid"], claims_of(phone["access_token"])["sid"]
    assert {laptop_sid, phone_sid} <= set(by_id)
    assert by_id[laptop_sid]["device"] == "Firefox on the laptop" and by_id[laptop_sid]["current"] is True
    assert by_id[phone_sid]["device"] == "Portico app on the phone" and by_id[phone_sid]["current"] is False
    assert by_id[phone_sid]["place"] == "127.0.0.1"
    assert by_id[phone_sid]["created_at"] and by_id[phone_sid]["last_used_at"]
    assert [s["current"] for s in sessions].count(True) == 1


def test_ID_08_ending_a_session_stops_its_refresh_token(api):
    person = api.signup()
    laptop = sign_in(api, person["email"], "laptop")
    phone = sign_in(api, person["email"], "phone")
    phone_sid = claims_of(phone["access_token"])["sid"]

    assert delete(api, f"/v1/me/sessions/{phone_sid}", laptop["access_token"]).status_code == 204

    problem(refresh(api, phone), 401)
    assert refresh(api, laptop).status_code == 200
    assert phone_sid not in {s["id"] for s in api.get("/v1/me/sessions", laptop["access_token"]).json()}
    problem(delete(api, f"/v1/me/sessions/{phone_sid}", laptop["access_token"]), 404)


def test_ID_08_nobody_ends_another_persons_session(api):
    alice, bob = api.signup(), api.signup()
    alice_tokens, bob_tokens = sign_in(api, alice["email"], "a"), sign_in(api, bob["email"], "b")
    bob_sid = claims_of(bob_tokens["access_token"])["sid"]

    problem(delete(api, f"/v1/me/sessions/{bob_sid}", alice_tokens["access_token"]), 404)

    assert refresh(api, bob_tokens).status_code == 200


def test_ID_08_changing_the_password_needs_the_current_one(api):
    person = api.signup()
    tokens = sign_in(api, person["email"], "laptop")

    wrong = problem(api.post("/v1/me/password", {"current_password": "not my password", "new_password": NEW_PASSWORD},
                             tokens["access_token"]), 403)
    too_short = problem(api.post("/v1/me/password", {"current_password": PASSWORD, "new_password": "short"},
                                 tokens["access_token"]), 400)

    common = problem(api.post("/v1/me/password", {"current_password": PASSWORD, "new_password": "password123"},
                              tokens["access_token"]), 400)

    assert wrong["type"].endswith("/wrong-password")
    assert [p["name"] for p in too_short["invalid_params"]] == ["new_password"]
    assert [p["name"] for p in common["invalid_params"]] == ["new_password"]
    sign_in(api, person["email"], "still the old password")


def test_ID_08_changing_the_password_ends_every_other_session(api):
    person = api.signup()
    laptop = sign_in(api, person["email"], "laptop")
    phone = sign_in(api, person["email"], "phone")
    tablet = sign_in(api, person["email"], "tablet")
    tap = Tap(f"password-{uuid.uuid4().hex[:6]}")

    response = api.post("/v1/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                        laptop["access_token"])

    assert response.status_code == 200, response.text
    assert response.json() == {"other_sessions_ended": 2}
    problem(refresh(api, phone), 401)
    problem(refresh(api, tablet), 401)
    laptop = refresh(api, laptop).json()  # the session that changed the password goes on
    assert [s["id"] for s in api.get("/v1/me/sessions", laptop["access_token"]).json()] == [
        claims_of(laptop["access_token"])["sid"]]
    problem(api.post("/v1/auth/login", {"email": person["email"], "password": PASSWORD}), 401)
    sign_in(api, person["email"], "laptop", password=NEW_PASSWORD)
    try:
        alert = tap.wait_for(lambda b: b["type"] == "SecurityAlertRaised" and b["payload"]["user_id"] == person["id"]
                             and b["payload"]["alert"] == "password-changed")
    finally:
        tap.close()
    assert alert["body"]["payload"]["email"] == person["email"]
