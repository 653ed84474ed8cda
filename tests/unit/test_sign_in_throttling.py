"""ID-03: failed sign-ins are throttled per login email and per source address, with a budget of
their own from a network the account signed in from before (services/identity/domain/security.py)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.identity.domain import security
from services.identity.domain.security import KnownLocation

from .fakes import FakeFailedSignIns, FakeKnownLocations, FakeUnitOfWork

EMAIL = "ann@example.test"
GUESSER = "198.51.100.7"
OWNER = "203.0.113.9"
WINDOW = int(security.WINDOW.total_seconds())


@pytest.fixture
def uow(clock):
    return FakeUnitOfWork(clock, failed_sign_ins=FakeFailedSignIns(), known_locations=FakeKnownLocations())


def attempt(uow, email: str = EMAIL, ip: str | None = GUESSER, known_network: str | None = None) -> security.Throttle:
    """One attempt that turns out wrong: counted first, never withdrawn."""
    counted = security.count_attempt(uow, email, ip)
    return security.throttle(uow, counted, known_network)


def test_ID_03_the_free_failures_of_an_account_are_not_throttled(uow):
    assert [attempt(uow).wait for _ in range(security.FREE_FAILURES_PER_ACCOUNT)] == [0] * 5


def test_ID_03_past_the_free_failures_each_one_doubles_the_wait(uow):
    for _ in range(security.FREE_FAILURES_PER_ACCOUNT):
        attempt(uow)
    assert [attempt(uow).wait for _ in range(3)] == [30, 60, 120]


def test_ID_03_the_wait_saturates_at_the_window(uow):
    waits = [attempt(uow).wait for _ in range(40)]
    assert max(waits) == WINDOW
    assert waits[-1] == WINDOW  # however many failures follow


def test_ID_03_a_right_credential_withdraws_its_attempt(uow):
    for _ in range(security.FREE_FAILURES_PER_ACCOUNT - 1):
        attempt(uow)
    counted = security.count_attempt(uow, EMAIL, GUESSER)
    security.withdraw(uow, counted)
    assert attempt(uow).wait == 0


def test_ID_03_failures_older_than_the_window_no_longer_count(uow, clock):
    for _ in range(10):
        attempt(uow)
    clock.advance(security.WINDOW + timedelta(seconds=1))
    assert attempt(uow).wait == 0


def test_ID_03_the_wait_runs_from_the_last_failure(uow, clock):
    for _ in range(security.FREE_FAILURES_PER_ACCOUNT):
        attempt(uow)
    clock.advance(seconds=10)
    assert attempt(uow).wait == 20  # 30 s from the fifth failure, 10 s ago
    clock.advance(seconds=20)
    assert attempt(uow).wait == 40  # 60 s from the sixth failure, 20 s ago


def test_ID_03_forgotten_failures_are_those_past_the_window(uow, clock):
    attempt(uow)
    clock.advance(security.WINDOW)
    attempt(uow)
    security.forget_old_failures(uow)
    assert len(uow.failed_sign_ins.rows) == 1


def test_ID_03_an_address_has_a_larger_budget_over_all_emails(uow):
    waits = [attempt(uow, email=f"person{n}@example.test").wait for n in range(security.FREE_FAILURES_PER_ADDRESS)]
    assert set(waits) == {0}
    assert attempt(uow, email="someone-else@example.test").wait == 30


def test_ID_03_the_owner_on_a_known_network_is_not_locked_out_by_a_guesser(uow):
    network = security.network_of(OWNER)
    for _ in range(20):
        attempt(uow, ip=GUESSER)
    throttle = attempt(uow, ip=OWNER, known_network=network)
    assert throttle.wait > 0 and throttle.known_network_wait == 0
    assert throttle.refused == 0  # the credential is checked: a right password signs in


def test_ID_03_a_known_network_has_a_bounded_budget_of_its_own(uow):
    network = security.network_of(OWNER)
    for _ in range(security.FREE_FAILURES_PER_KNOWN_NETWORK):
        assert attempt(uow, ip=OWNER, known_network=network).refused == 0
    throttle = attempt(uow, ip="203.0.113.77", known_network=network)  # same /24
    assert throttle.known_network_wait == 30 and throttle.refused == 30


def test_ID_03_a_network_is_known_once_the_account_signed_in_from_it(uow):
    class Person:
        id = "u-1"

    assert security.known_network(uow, Person(), OWNER) is None
    uow.known_locations.add(KnownLocation(user_id="u-1", kind=security.NETWORK, value="203.0.113.0/24"))
    assert security.known_network(uow, Person(), OWNER) == "203.0.113.0/24"
    assert security.known_network(uow, None, OWNER) is None


@pytest.mark.parametrize("address, network", [
    ("203.0.113.9", "203.0.113.0/24"), ("2001:db8:1:2:3::1", "2001:db8:1:2::/64"), ("not an address", None), (None, None),
])
def test_ID_02_a_network_is_an_ipv4_24_or_an_ipv6_64(address, network):
    assert security.network_of(address) == network


def test_ID_03_too_many_sign_ins_names_the_wait():
    refusal = security.too_many(42)
    assert refusal.problem == "too-many-sign-ins" and refusal.extra == {"retry_after": 42}


class _Rows:
    def __init__(self):
        self.rows = []

    def add(self, row):
        self.rows.append(row)

    def get(self, user_id):
        return next((row for row in self.rows if row.user_id == user_id), None)


def test_ID_04_identity_raises_every_alert_and_announces_the_choices_notifications_decides(clock):
    """Identity no longer filters alerts: the choice travels as AlertChoicesChanged and the
    notifications service applies it (a wrong password is still raised at most once an hour)."""
    from services.identity.domain.events import AlertChoicesChanged, SecurityAlertRaised
    from services.identity.domain.model import User

    work = FakeUnitOfWork(clock, activity=_Rows(), alert_settings=_Rows())
    user = User(id="11111111-1111-1111-1111-111111111111", email=EMAIL, email_key=EMAIL, password_hash="x",
                first_name="Ann", last_name="Example")
    security.set_alert_preferences(work, user.id, {"wrong_password": False})
    [(choices, _)] = work.emitted
    assert isinstance(choices, AlertChoicesChanged) and (choices.wrong_password, choices.new_sign_in_location) == (False, True)
    security.wrong_password(work, user, GUESSER, "Browser/1.0")
    security.wrong_password(work, user, GUESSER, "Browser/1.0")  # within the hour: recorded, not raised again
    raised = [record for record, _ in work.emitted if isinstance(record, SecurityAlertRaised)]
    assert [r.alert for r in raised] == ["wrong-password"] and len(work.activity.rows) == 2
