"""ID-01 / ID-08: the login email rule and the password rules (services/identity/domain)."""
from __future__ import annotations

import pytest

from portico_kernel.errors import Invalid
from services.identity.domain.emails import checked_email, sign_in_keys
from services.identity.domain.passwords import MAX_LENGTH, check_password_rules


@pytest.mark.parametrize("given, normalized", [
    ("ann@Example.TEST", "ann@example.test"),
    ("  ann@example.test ", "ann@example.test"),  # spaces around a pasted address
    ("jürg@bücher.test", "jürg@bücher.test"),
])
def test_ID_01_a_login_email_is_normalized(given, normalized):
    assert checked_email(given) == normalized


@pytest.mark.parametrize("given, reason", [
    ("ann@@example.test", "exactly one @"),
    ("ann@example.test\r\n", "control"),
    ("an\u200bn@example.test", "invisible"),
    ("ａｎｎ@example.test", "fullwidth"),
    ("p\u0430ypal@example.test", "mixes Latin"),  # a Cyrillic a among Latin letters
    ("a" * 330 + "@example.test", "longer than 320"),
    ("ann@", "")
])
def test_ID_01_a_deceiving_or_broken_login_email_is_refused(given, reason):
    with pytest.raises(Invalid) as refused:
        checked_email(given, field="email")
    assert reason in refused.value.detail
    assert refused.value.extra["invalid_params"][0]["name"] == "email"


def test_ID_01_a_refusal_never_echoes_the_address():
    with pytest.raises(Invalid) as refused:
        checked_email("secret-local-part\u200b@example.test")
    assert "secret-local-part" not in refused.value.detail


def test_ID_03_a_sign_in_with_any_email_has_a_key_to_count_failures_by():
    assert sign_in_keys("Ann@Example.test")[0] == "ann@example.test"
    for garbage in ("\ud800@x", "no at sign", "\x00", ""):
        keys = sign_in_keys(garbage)
        assert keys and all(isinstance(key, str) and "\x00" not in key for key in keys)


@pytest.mark.parametrize("password, problem, reason", [
    ("short", None, "shorter than 8"),
    ("x" * (MAX_LENGTH + 1), None, "longer than 256"),
    ("correct horse\x00battery", None, "control character"),
    ("Password1", "common-password", "most common"),
])
def test_ID_01_a_weak_or_unreadable_password_is_refused(password, problem, reason):
    with pytest.raises(Invalid) as refused:
        check_password_rules(password, field="new_password")
    assert refused.value.problem == problem
    assert refused.value.extra["invalid_params"] == [{"name": "new_password", "reason": refused.value.extra["invalid_params"][0]["reason"]}]
    assert reason in refused.value.extra["invalid_params"][0]["reason"]


def test_ID_01_a_long_uncommon_password_is_taken():
    check_password_rules("correct horse battery staple")


def test_ID_04_identity_wants_the_optional_alerts_as_chosen_and_the_others_always():
    from services.identity.domain.security import AlertSettings

    quiet = AlertSettings(user_id="u-1", new_sign_in_location=False, wrong_password=False)
    assert not quiet.wants("wrong-password") and not quiet.wants("new-sign-in-location")
    assert quiet.wants("password-changed") and quiet.wants("two-factor-changed")
