"""The kernel's shared rules: 2FA required by an organization (OR-10 / GW-02), API-key scopes
(OR-19 / GW-03), ISO-8601 instants and the clock tests move."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portico_kernel import scopes, two_factor
from portico_kernel.clock import FakeClock, SystemClock, iso_utc
from portico_kernel.principal import Principal

PERSON = {"sub": "u-1", "kind": "customer", "amr": ["pwd"]}


def never(user_id: str) -> bool:
    return False


def always(user_id: str) -> bool:
    return True


def test_OR_10_a_person_without_2fa_is_blocked_where_it_is_required():
    assert two_factor.blocks(PERSON, required=True, has_two_factor=never)
    with pytest.raises(two_factor.TwoFactorRequired) as refused:
        two_factor.ensure_met(PERSON, required=True, has_two_factor=never)
    assert refused.value.problem == "two-factor-required"


@pytest.mark.parametrize("claims, required, has_two_factor", [
    (PERSON, False, never),  # the organization does not require it
    (PERSON, True, always),  # set up since signing in
    ({**PERSON, "amr": ["pwd", "otp", "mfa"]}, True, never),  # signed in with a second factor
    ({**PERSON, "amr": ["app"]}, True, never),  # app passwords keep working
    ({**PERSON, "kind": "staff"}, True, never),
    ({**PERSON, "kind": "api_key"}, True, never),
    ({**PERSON, "kind": "service"}, True, never),
])
def test_OR_10_who_is_not_bound_by_required_2fa(claims, required, has_two_factor):
    assert not two_factor.blocks(claims, required=required, has_two_factor=has_two_factor)


def test_OR_10_whether_a_person_has_2fa_is_asked_only_when_it_matters():
    def unexpected(user_id):
        raise AssertionError("asked")

    assert not two_factor.blocks({**PERSON, "kind": "staff"}, required=True, has_two_factor=unexpected)
    assert not two_factor.blocks(PERSON, required=False, has_two_factor=unexpected)


@pytest.mark.parametrize("method, path, roles, exempt", [
    ("GET", "/v1/me/two-factor", (), True),
    ("POST", "/v1/me/two-factor/totp", (), True),
    ("GET", "/v1/me", (), True),
    ("PATCH", "/v1/me", (), False),
    ("DELETE", "/v1/orgs/o-1/members/me", ("external",), True),
    ("DELETE", "/v1/orgs/o-1/members/me", ("administrator",), False),
    ("GET", "/v1/me/two-factor/../../orgs", (), False),  # resolved upstream into a path not exempt
    ("GET", "/v1/orgs", (), False),
])
def test_GW_02_the_calls_left_open_to_a_person_bound_by_2fa(method, path, roles, exempt):
    assert two_factor.exempt(method, path, roles) is exempt


@pytest.mark.parametrize("held, needed, granted", [
    (("orgs:read",), "orgs:read", True),
    (("orgs:write",), "orgs:read", True),
    (("orgs:read",), "orgs:write", False),
    (("billing:write",), "orgs:read", False),
    ((), "orgs:read", False),
])
def test_OR_19_write_scopes_include_read(held, needed, granted):
    assert scopes.grants(held, needed) is granted


@pytest.mark.parametrize("method, scope", [("GET", "orgs:read"), ("head", "orgs:read"), ("OPTIONS", "orgs:read"),
                                           ("POST", "orgs:write"), ("PATCH", "orgs:write"), ("DELETE", "orgs:write")])
def test_GW_03_the_method_decides_the_scope_at_the_gateway(method, scope):
    assert scopes.required_scope("orgs", method) == scope


def test_OR_19_a_service_checks_an_api_key_token_against_its_operations_scope():
    key = {"sub": "k-1", "kind": "api_key", "scope": "orgs:read"}
    scopes.ensure_granted(key, "orgs:read")
    with pytest.raises(scopes.InsufficientScope):
        scopes.ensure_granted(key, "orgs:write")
    with pytest.raises(scopes.InsufficientScope, match="cannot call"):
        scopes.ensure_granted(key, None)  # an operation that declares no scope is closed to keys
    scopes.ensure_granted({"sub": "u-1", "kind": "customer"}, None)  # persons: their roles decide


def test_a_principal_is_read_from_a_tokens_claims():
    caller = Principal.from_claims({"sub": "k-1", "kind": "api_key", "org": "o-1", "scope": "orgs:read billing:write"})
    assert caller.is_api_key and not caller.is_staff and caller.scopes == ("orgs:read", "billing:write")
    assert Principal.from_claims({"sub": "u-1"}).kind == "customer"


def test_instants_are_written_in_utc_with_a_z():
    assert iso_utc(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)) == "2026-03-02T09:00:00Z"
    assert iso_utc(datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))) == "2026-03-02T09:00:00Z"
    assert iso_utc(datetime(2026, 3, 2, 9, 0, 0, 5)) == "2026-03-02T09:00:00.000005Z"  # naive: taken as UTC


def test_a_fake_clock_moves_only_when_told():
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert clock.now() == clock.now()
    clock.advance(minutes=15)
    assert clock.now() == datetime(2026, 1, 1, 0, 15, tzinfo=timezone.utc)
    assert SystemClock().now().tzinfo is not None


def test_a_period_filter_ends_after_it_starts():
    from portico_kernel import paging
    from portico_kernel.errors import Invalid

    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert paging.period(start, start + timedelta(days=1)) == paging.Period(start, start + timedelta(days=1))
    assert paging.period(None, start).since is None and paging.EVER == paging.Period()
    with pytest.raises(Invalid) as refused:
        paging.period(start, start - timedelta(seconds=1))
    assert refused.value.extra["invalid_params"][0]["name"] == "until"


def test_a_shifted_clock_runs_ahead_by_its_file_and_follows_each_change(tmp_path):
    from datetime import timedelta

    from portico_kernel.clock import ShiftedClock, utcnow
    shift = tmp_path / "billing.shift"
    clock = ShiftedClock(shift)
    assert abs(clock.now() - utcnow()) < timedelta(seconds=5)  # no file: the real time
    shift.write_text(str(timedelta(days=40).total_seconds()))
    assert timedelta(days=40) - timedelta(seconds=5) < clock.now() - utcnow() < timedelta(days=40, seconds=5)
    shift.write_text("garbage")
    import os
    os.utime(shift, ns=(1, 1))  # a change the clock sees even within one timestamp tick
    assert abs(clock.now() - utcnow()) < timedelta(seconds=5)
