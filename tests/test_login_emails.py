"""ID-01: login emails are normalized and checked by one rule — sign-up, staff accounts, a new
login email, the recovery email — and a dubious address signs in to nothing (never a 500)."""
from __future__ import annotations

import uuid

from sqlalchemy import create_engine, update

from portico_kernel import config
from tests.helpers import PASSWORD, bearer, problem, unique_email
from tests.test_principals import create_staff


def dubious_emails() -> list[tuple[str, str]]:
    tag = uuid.uuid4().hex[:8]
    return [
        ("Cyrillic a among Latin letters", f"p\u0430ypal-{tag}@example.test"),
        ("Greek omicron in the domain", f"user-{tag}@ex\u03bfmple.test"),
        ("fullwidth letters", f"\uff55ser-{tag}@example.test"),
        ("NUL", f"us\x00er-{tag}@example.test"),
        ("zero-width space", f"us\u200ber-{tag}@example.test"),
        ("right-to-left override", f"us\u202eer-{tag}@example.test"),
        ("lone surrogate", f"\ud800user-{tag}@example.test"),
        ("two @", f"user-{tag}@evil.test@example.test"),
        ("CR/LF", f"user-{tag}@example.test\r\nBcc: victim@example.test"),
    ]


def test_ID_01_dubious_login_emails_are_refused_at_sign_up_naming_the_field(api):
    for what, email in dubious_emails():
        refused = api.post("/v1/auth/signup", {"email": email, "password": PASSWORD, "first_name": "Erika",
                                                "last_name": "Mustermann"})
        body = problem(refused, 400)
        assert [p["name"] for p in body["invalid_params"]] == ["email"], (what, body)
        assert "\u0430" not in refused.text and len(refused.text) < 2_000  # short reasons, no echo
        # Nothing was written, and signing in with it answers like an unknown email (or, for a
        # character no request may carry at all, 400 naming the field: docs/SECURITY.md "Hostile input").
        signed_in = api.post("/v1/auth/login", {"email": email, "password": PASSWORD})
        if "\x00" in email or "\ud800" in email:
            assert [p["name"] for p in problem(signed_in, 400)["invalid_params"]] == ["email"], what
        else:
            assert problem(signed_in, 401)["type"].endswith("/sign-in-failed"), what


def test_ID_01_dubious_emails_are_refused_as_new_login_recovery_and_staff_emails(api):
    person = api.customer_with_org()
    token = person["token"]
    for what, email in dubious_emails():
        changed = api.post("/v1/me/email-change", {"new_email": email, "password": PASSWORD}, token)
        assert [p["name"] for p in problem(changed, 400)["invalid_params"]] == ["new_email"], what
        recovery = api.http.put(api.url("/v1/me/recovery-contacts"), json={"password": PASSWORD, "recovery_email": email},
                                headers=bearer(token), timeout=30)
        assert [p["name"] for p in problem(recovery, 400)["invalid_params"]] == ["recovery_email"], what
    assert api.get("/v1/me/recovery-contacts", token).json()["recovery_email"] is None
    staff = create_staff(f"\uff41dmin-{uuid.uuid4().hex[:8]}@example.test", "platform:admin")
    assert staff.returncode == 1 and "email" in staff.stderr


def test_ID_01_login_emails_are_normalized_and_international_ones_accepted(api):
    tag = uuid.uuid4().hex[:8]
    person = api.signup(email=f"  Erika.M-{tag}@EXAMPLE.Test ")
    assert person["email"] == f"Erika.M-{tag}@example.test"
    assert api.post("/v1/auth/login", {"email": f"erika.m-{tag}@example.test", "password": PASSWORD}).status_code == 200
    # Decomposed "é" (e + combining accent) is stored composed (NFC), and found either way.
    composed = api.signup(email=f"ren\u00e9-{tag}@b\u00fccher.test")
    assert composed["email"] == f"ren\u00e9-{tag}@b\u00fccher.test"
    assert api.post("/v1/auth/login", {"email": f"rene\u0301-{tag}@bu\u0308cher.test", "password": PASSWORD}).status_code == 200
    taken = api.post("/v1/auth/signup", {"email": f"RENE\u0301-{tag}@b\u00fccher.test", "password": PASSWORD,
                                         "first_name": "René", "last_name": "Dupont"})
    assert problem(taken, 409)["type"].endswith("/email-taken")


def test_ID_01_an_account_made_before_the_rule_still_signs_in(api):
    from services.identity.adapters.orm import users

    person = api.signup(email=unique_email("legacy"))
    legacy = f"le\u200bgacy-{uuid.uuid4().hex[:8]}@example.test"  # as an earlier release let it in
    engine = create_engine(config.load("identity").database_url)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == person["id"]).values(email=legacy, email_key=legacy))
    engine.dispose()
    assert api.post("/v1/auth/login", {"email": legacy, "password": PASSWORD}).status_code == 200
