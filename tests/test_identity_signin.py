"""Signing in safely: common passwords refused, throttling with Retry-After that spares the owner's
known network, security emails on a wrong password (ID-03) and on a new location (ID-02), recent
activity and the choice of alerts (ID-04).

Every test signs in from addresses of its own on the loopback network (127.a.b.c): the gateway
sees them as the caller's real address, so networks differ as they would on the internet."""
from __future__ import annotations

import time

import argon2
from sqlalchemy import create_engine, select, update

from portico_kernel import config
from tests.helpers import PASSWORD, bearer, claims_of, device, new_network, unique_email


def signed_up(api) -> dict:
    return api.signup(email=unique_email("signin"))


def test_ID_01_common_password_refused_at_signup(api):
    response = api.post("/v1/auth/signup", {"email": unique_email(), "password": "iloveyou",
                                            "first_name": "Erika", "last_name": "Mustermann"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/common-password")
    assert [p["name"] for p in response.json()["invalid_params"]] == ["password"]
    # A long passphrase that is not on the list is fine (NIST: no composition rules).
    api.signup(password="purple tractors sing at dawn")


def _stored_password_hash(user_id: str, replace_with: str | None = None) -> str:
    """Identity's stored hash of a person's password (read in its database: nobody else may)."""
    from services.identity.adapters.orm import users

    engine = create_engine(config.load("identity").database_url)
    with engine.begin() as conn:
        if replace_with is not None:
            conn.execute(update(users).where(users.c.id == user_id).values(password_hash=replace_with))
        stored = conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar_one()
    engine.dispose()
    return stored


def _argon2_parameters(stored: str) -> dict:
    variant, _version, parameters = stored.split("$")[1:4]
    return {"variant": variant, **{name: int(value) for name, value in (p.split("=") for p in parameters.split(","))}}


def test_ID_01_passwords_are_stored_as_argon2id_at_least_at_owasp_strength(api):
    person = signed_up(api)

    stored = _argon2_parameters(_stored_password_hash(person["id"]))

    assert stored["variant"] == "argon2id"
    assert stored["m"] >= 19 * 1024 and stored["t"] >= 2 and stored["p"] >= 1


def test_ID_01_a_password_hashed_with_older_parameters_is_rehashed_at_the_next_sign_in(api, stack):
    person = signed_up(api)
    current = _argon2_parameters(_stored_password_hash(person["id"]))
    # As an earlier release stored it: OWASP's minimum parameters.
    older = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(PASSWORD)
    _stored_password_hash(person["id"], replace_with=older)

    assert device(stack).login(person["email"]).status_code == 200

    upgraded = _stored_password_hash(person["id"])
    assert upgraded != older and _argon2_parameters(upgraded) == current
    assert device(stack).login(person["email"]).status_code == 200  # the new hash is of the same password


def test_ID_03_unknown_email_and_wrong_password_answer_alike(api, stack):
    person = signed_up(api)
    laptop = device(stack)
    unknown = laptop.login(unique_email("nobody"), "some password or other")
    wrong = laptop.login(person["email"], "some password or other")
    assert unknown.status_code == wrong.status_code == 401
    assert {**unknown.json(), "instance": None} == {**wrong.json(), "instance": None}  # each names its own request


def test_ID_03_wrong_password_emails_the_owner_at_most_once_an_hour(api, stack, smtp):
    person = signed_up(api)
    stranger = device(stack, user_agent="Stranger/1.0")
    assert stranger.login(person["email"], "guessing one").status_code == 401
    mail = smtp.wait_for(to=person["email"], subject_contains="wrong password")
    assert stranger.address in mail["body"] and "Stranger/1.0" in mail["body"]

    assert stranger.login(person["email"], "guessing two").status_code == 401
    assert stranger.login(person["email"], "guessing three").status_code == 401
    time.sleep(4)  # the relay and the consumer poll about every second: any second mail would be here
    assert len(smtp.to(person["email"], "wrong password")) == 1
    # Every attempt is in the recent activity all the same.
    tokens = device(stack).login(person["email"]).json()
    activity = api.get("/v1/me/activity", tokens["access_token"]).json()
    assert [a["kind"] for a in activity].count("wrong-password") == 3


def test_ID_03_too_many_failures_answer_429_with_retry_after(api, stack):
    person = signed_up(api)
    attacker = device(stack)
    for attempt in range(5):
        assert attacker.login(person["email"], f"guess {attempt}").status_code == 401
    refused = attacker.login(person["email"], "guess 5")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/too-many-sign-ins")
    assert int(refused.headers["Retry-After"]) > 0
    # Even the right password does not get through from a network the account never used.
    assert attacker.login(person["email"], PASSWORD).status_code == 429
    # An unknown email is throttled alike (no hint that an account exists).
    nobody = unique_email("nobody")
    answers = [attacker.login(nobody, f"guess {n}").status_code for n in range(6)]
    assert answers == [401] * 5 + [429]


def test_ID_03_owner_still_signs_in_from_a_known_network_while_throttled(api, stack):
    person = signed_up(api)
    home = new_network()
    assert device(stack, home, host=20).login(person["email"]).status_code == 200
    attacker = device(stack)
    for attempt in range(6):
        attacker.login(person["email"], f"guess {attempt}")
    assert attacker.login(person["email"], PASSWORD).status_code == 429
    # Another device on the owner's home network (same /24) with the right password gets in …
    assert device(stack, home, host=21).login(person["email"]).status_code == 200
    # … but not with a wrong one.
    assert device(stack, home, host=22).login(person["email"], "wrong again").status_code == 429


def test_ID_02_sign_in_from_a_new_location_emails_network_and_device(api, stack, smtp):
    person = signed_up(api)
    office = device(stack, user_agent="OfficeBrowser/1.0")
    assert office.login(person["email"]).status_code == 200  # the first sign-in: nothing to compare with
    assert office.login(person["email"]).status_code == 200  # same network, same device: nothing new

    travel_network = new_network()
    travel = device(stack, travel_network, user_agent="HotelLaptop/2.0 (X11; Linux)")
    assert travel.login(person["email"]).status_code == 200
    mail = smtp.wait_for(to=person["email"], subject_contains="new sign-in")
    assert f"{travel_network}.0/24" in mail["body"]
    assert "HotelLaptop/2.0 (X11; Linux)" in mail["body"]
    assert travel.address in mail["body"]

    # A new device on a known network is a new location too.
    assert device(stack, travel_network, host=99, user_agent="Phone/3.0").login(person["email"]).status_code == 200
    assert any("Phone/3.0" in m["body"] for m in eventually_mails(smtp, person["email"], "new sign-in", 2))
    time.sleep(3)
    assert len(smtp.to(person["email"], "new sign-in")) == 2


def eventually_mails(smtp, address: str, subject: str, count: int) -> list[dict]:
    from tests.helpers import eventually

    return eventually(lambda: len(smtp.to(address, subject)) >= count and smtp.to(address, subject),
                      what=f"{count} mails about {subject}")


def test_ID_04_recent_activity_lists_sign_ins_and_security_changes_newest_first(api, stack):
    person = signed_up(api)
    first = device(stack, user_agent="First/1.0")
    assert first.login(person["email"]).status_code == 200
    assert first.login(person["email"], "not it").status_code == 401
    tokens = device(stack, user_agent="Second/1.0").login(person["email"]).json()
    activity = api.get("/v1/me/activity", tokens["access_token"])
    assert activity.status_code == 200
    kinds = [(a["kind"], a["device"]) for a in activity.json()]
    assert kinds == [("sign-in", "Second/1.0"), ("wrong-password", "First/1.0"), ("sign-in", "First/1.0")]
    latest = activity.json()[0]
    assert latest["ip_address"].startswith("127.") and latest["network"].endswith(".0/24")
    assert latest["details"]["new_network"] is True and latest["details"]["methods"] == ["pwd"]
    moments = [a["occurred_at"] for a in activity.json()]
    assert moments == sorted(moments, reverse=True)


def test_ID_04_new_location_and_wrong_password_alerts_can_be_switched_off(api, stack, smtp):
    person = signed_up(api)
    tokens = device(stack).login(person["email"]).json()
    assert api.get("/v1/me/alert-preferences", tokens["access_token"]).json() == {
        "new_sign_in_location": True, "wrong_password": True}
    changed = api.http.put(api.url("/v1/me/alert-preferences"), json={"new_sign_in_location": False, "wrong_password": False},
                           headers=bearer(tokens["access_token"]), timeout=30)
    assert changed.status_code == 200
    assert changed.json() == {"new_sign_in_location": False, "wrong_password": False}

    elsewhere = device(stack)
    assert elsewhere.login(person["email"], "wrong").status_code == 401
    assert elsewhere.login(person["email"]).status_code == 200
    time.sleep(4)
    assert smtp.to(person["email"]) == []
    # The activity still shows both.
    kinds = [a["kind"] for a in api.get("/v1/me/activity", tokens["access_token"]).json()]
    assert kinds[:2] == ["sign-in", "wrong-password"]


def test_ID_02_tokens_of_a_password_sign_in_say_pwd(api, stack):
    person = signed_up(api)
    tokens = device(stack).login(person["email"]).json()
    assert claims_of(tokens["access_token"])["amr"] == ["pwd"]


def _in_parallel(calls, workers: int = 32) -> list:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_ID_03_parallel_wrong_passwords_check_the_hash_at_most_five_times(api, stack):
    """The attempt is counted before the hash runs: 100 guesses sent at once get the documented
    five checks, not dozens (and no 500 however many fail); the owner's home network still works."""
    person = signed_up(api)
    home = new_network()
    assert device(stack, home).login(person["email"]).status_code == 200
    attacker = device(stack)

    answers = _in_parallel([lambda n=n: attacker.login(person["email"], f"parallel guess {n}") for n in range(100)])

    statuses = [answer.status_code for answer in answers]
    checked = [answer for answer in answers if answer.status_code == 401]
    assert 1 <= len(checked) <= 5, statuses
    assert all(answer.json()["type"].endswith("/sign-in-failed") for answer in checked)
    refused = [answer for answer in answers if answer.status_code == 429]
    assert len(checked) + len(refused) == 100, statuses
    assert all(answer.json()["type"].endswith("/too-many-sign-ins") for answer in refused)
    assert all(0 < int(answer.headers["Retry-After"]) <= 15 * 60 for answer in refused)
    # Past the point where the wait used to overflow, the attacker still gets 429 …
    late = attacker.login(person["email"], "one more guess")
    assert late.status_code == 429 and 0 < int(late.headers["Retry-After"]) <= 15 * 60
    # … and the owner, from the network they signed in from before, gets in.
    assert device(stack, home, host=11).login(person["email"]).status_code == 200


def test_ID_03_an_address_wide_throttle_blocks_only_that_address(api, stack):
    """More than 90 failures from one address (50 are free there) throttle that address for every
    account, with 429 rather than a 500, and no other address."""
    person, bystander = signed_up(api), signed_up(api)
    assert device(stack).login(bystander["email"]).status_code == 200  # a network bystander knows
    hammer = device(stack)

    answers = _in_parallel([lambda n=n: hammer.login(unique_email("nobody"), "a guess") for n in range(95)], workers=16)

    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= 50, statuses
    for email, password in ((unique_email("nobody"), "a guess"), (person["email"], PASSWORD),
                            (bystander["email"], PASSWORD)):
        refused = hammer.login(email, password)
        assert refused.status_code == 429, refused.text
        assert refused.json()["type"].endswith("/too-many-sign-ins") and int(refused.headers["Retry-After"]) > 0
    # Anyone elsewhere signs in to any account.
    assert device(stack).login(person["email"]).status_code == 200
    assert device(stack).login(bystander["email"]).status_code == 200


def test_ID_03_a_guesser_on_the_owners_network_is_throttled_too(api, stack):
    """The known-network exception has a budget of its own: five wrong passwords per account and
    network, then a wait for that network as well (the hash is no longer checked there)."""
    person = signed_up(api)
    home = new_network()
    assert device(stack, home).login(person["email"]).status_code == 200
    stranger = device(stack)
    for n in range(6):
        stranger.login(person["email"], f"guess {n}")
    neighbour = device(stack, home, host=66)
    answers = [neighbour.login(person["email"], f"neighbour guess {n}").status_code for n in range(5)]
    assert answers == [429] * 5  # wrong passwords from the known network are refused during the wait
    # Its budget is spent: now even the right password from that network waits.
    refused = device(stack, home, host=67).login(person["email"])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
