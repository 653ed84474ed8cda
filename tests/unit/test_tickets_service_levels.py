"""Service levels of tickets as they live (TI-04, BI-18), emergencies (TI-03, BI-17) and support codes
(TI-05): domain rules with in-memory fakes. Times are Zurich wall-clock times (`zh`)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from portico_kernel.errors import Conflict, Forbidden, Invalid
from portico_kernel.principal import Principal
from services.billing.domain.events import FalseEmergencyReported as BilledFalseEmergency
from services.billing.domain.tickets import line_of
from services.tickets.adapters.office_hours_file import load
from services.tickets.adapters.sealing import CodeDigests
from services.tickets.domain import emergencies, sla_tracking, support_codes
from services.tickets.domain.events import (EmergencyConfirmed, EmergencyReported, FalseEmergencyReported,
                                            ServiceLevelBreached, ServiceLevelWarning)
from services.tickets.domain.sla_tracking import Rules

UTC = timezone.utc
ZURICH = ZoneInfo("Europe/Zurich")
HOURS, LEVELS = load()
RULES = Rules(HOURS, LEVELS)


def zh(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZURICH).astimezone(UTC)


def ticket_levels(opened_at, priority="normal", premium=False):
    return sla_tracking.start(RULES, ticket_id="t1", org_id="00000000-0000-0000-0000-00000000000a",
                              ticket_number="T-000001", priority=priority, premium=premium, opened_at=opened_at)


def kinds(events):
    return [(type(e).__name__, e.target) for _, e in events]


# --- TI-04: deadlines in office time -----------------------------------------------------------------

def test_TI_04_a_normal_ticket_opened_friday_evening_is_due_after_the_weekend():
    record = ticket_levels(zh(2026, 11, 27, 18))  # Friday after closing
    # normal: first response 9h office time = all of Monday; ends at Monday's closing -> Tuesday's opening
    assert record.first_response_due == zh(2026, 12, 1, 8)
    # resolution 27h = three working days: Mon, Tue, Wed -> Thursday 08:00
    assert record.resolution_due == zh(2026, 12, 3, 8)


def test_TI_04_a_deadline_at_closing_time_moves_to_the_next_opening():
    record = ticket_levels(zh(2026, 11, 23, 13), priority="high")  # Monday 13:00, high: 4h
    assert record.first_response_due == zh(2026, 11, 24, 8)  # 17:00 is closing -> Tuesday 08:00


def test_TI_04_holidays_do_not_count():
    record = ticket_levels(zh(2026, 12, 24, 16), priority="high")  # Thursday before Christmas, 16:00
    # 1h on the 24th, 25th/26th holidays, weekend, 3h on Monday 28th
    assert record.first_response_due == zh(2026, 12, 28, 11)


def test_TI_04_easter_and_ascension_are_skipped():
    record = ticket_levels(zh(2027, 3, 25, 16), priority="high")  # Thursday before Good Friday 2027
    assert record.first_response_due == zh(2027, 3, 30, 11)  # Good Friday, weekend, Easter Monday skipped


def test_TI_04_across_the_change_to_summer_time_a_working_day_keeps_its_nine_hours():
    record = ticket_levels(zh(2026, 3, 27, 16), priority="normal")  # Friday before the clocks change
    assert record.first_response_due == zh(2026, 3, 30, 16)  # 1h Friday + 8h Monday, local 16:00
    autumn = ticket_levels(zh(2026, 10, 23, 16), priority="normal")
    assert autumn.first_response_due == zh(2026, 10, 26, 16)


def test_TI_04_critical_tickets_count_around_the_clock_at_night_and_on_holidays():
    record = ticket_levels(zh(2026, 12, 25, 23, 30), priority="critical")  # Christmas night
    assert record.first_response_due == zh(2026, 12, 26, 0, 30)
    assert record.resolution_due == zh(2026, 12, 26, 7, 30)


def test_BI_18_premium_support_has_its_own_shorter_targets():
    standard = ticket_levels(zh(2026, 11, 23, 9), priority="normal")
    premium = ticket_levels(zh(2026, 11, 23, 9), priority="normal", premium=True)
    assert premium.plan == "premium" and standard.plan == "standard"
    assert premium.first_response_due == zh(2026, 11, 23, 13) < standard.first_response_due == zh(2026, 11, 24, 9)
    critical = ticket_levels(zh(2026, 11, 28, 3), priority="critical", premium=True)  # Saturday night
    assert critical.first_response_due == zh(2026, 11, 28, 3, 15)


def test_TI_04_waiting_for_the_customer_does_not_count():
    record = ticket_levels(zh(2026, 11, 23, 9), priority="high")  # due 13:00
    sla_tracking.pause(RULES, record, zh(2026, 11, 23, 10))
    assert record.first_response_due is None and record.next_check_at is None  # the clock stands
    sla_tracking.resume(RULES, record, zh(2026, 11, 24, 10))  # answered the next day at 10:00
    # 1h counted before, 3h more from Tuesday 10:00
    assert record.first_response_due == zh(2026, 11, 24, 13)


def test_TI_04_a_pause_over_the_evening_counts_only_office_time_outside_it():
    record = ticket_levels(zh(2026, 11, 23, 15), priority="high")
    sla_tracking.pause(RULES, record, zh(2026, 11, 23, 16))
    sla_tracking.resume(RULES, record, zh(2026, 11, 24, 7))  # answered before opening: nothing lost
    assert record.first_response_due == zh(2026, 11, 24, 11)  # 1h Monday + 3h from 08:00 Tuesday


def test_TI_04_a_reopened_ticket_does_not_count_the_time_it_was_closed():
    record = ticket_levels(zh(2026, 11, 23, 9), priority="normal")
    sla_tracking.responded(RULES, record, zh(2026, 11, 23, 10))
    sla_tracking.resolved(RULES, record, zh(2026, 11, 23, 11))
    assert record.resolution_due is None and record.next_check_at is None
    sla_tracking.reopened(RULES, record, zh(2026, 11, 25, 11))
    # 2h counted; 25h more from Wednesday 11:00: Wed 6h, Thu 9h, Fri 9h = 24h, 1h Monday -> Mon 09:00
    assert record.resolution_due == zh(2026, 11, 30, 9)


def test_TI_04_a_raised_priority_counts_the_new_targets_from_the_opening():
    record = ticket_levels(zh(2026, 11, 23, 9), priority="low")
    sla_tracking.reprioritized(RULES, record, "high")
    assert record.first_response_due == zh(2026, 11, 23, 13)


# --- TI-04: warnings and breaches, each once ---------------------------------------------------------

def test_TI_04_a_warning_comes_before_the_breach_and_each_only_once():
    record = ticket_levels(zh(2026, 11, 23, 9), priority="high")  # first response due 13:00, warns at 80 %
    assert record.next_check_at == zh(2026, 11, 23, 12, 12)
    assert sla_tracking.alerts_due(RULES, record, zh(2026, 11, 23, 12)) == []
    warned = sla_tracking.alerts_due(RULES, record, zh(2026, 11, 23, 12, 12))
    assert kinds(warned) == [("ServiceLevelWarning", "first_response")]
    assert warned[0][1].due_at.startswith("2026-11-23T12:00")  # 13:00 in Zurich
    assert sla_tracking.alerts_due(RULES, record, zh(2026, 11, 23, 12, 30)) == []
    breached = sla_tracking.alerts_due(RULES, record, zh(2026, 11, 23, 13))
    assert kinds(breached) == [("ServiceLevelBreached", "first_response")]
    assert sla_tracking.alerts_due(RULES, record, zh(2026, 11, 23, 14)) == []
    assert record.next_check_at is not None  # the resolution is still ahead


def test_TI_04_a_scheduler_that_was_away_emits_the_warning_before_the_breach():
    record = ticket_levels(zh(2026, 11, 23, 9), priority="high")
    late = sla_tracking.alerts_due(RULES, record, zh(2026, 11, 30, 9))
    assert kinds(late) == [("ServiceLevelWarning", "first_response"), ("ServiceLevelBreached", "first_response"),
                           ("ServiceLevelWarning", "resolution"), ("ServiceLevelBreached", "resolution")]
    assert record.next_check_at is None


def test_TI_04_an_answered_ticket_is_not_warned_about_its_first_response():
    record = ticket_levels(zh(2026, 11, 23, 9), priority="high")
    sla_tracking.responded(RULES, record, zh(2026, 11, 23, 10))
    assert kinds(sla_tracking.alerts_due(RULES, record, zh(2026, 11, 23, 13))) == []


class FakeLevels:
    def __init__(self, records):
        self.records, self.claims = records, set()

    def due(self, now, batch):
        return [r for r in self.records if r.next_check_at is not None and r.next_check_at <= now][:batch]

    def claim(self, ticket_id, key, now):
        if (ticket_id, key) in self.claims:
            return False
        self.claims.add((ticket_id, key))
        return True


class FakeUow:
    def __init__(self, levels):
        self.service_levels, self.emitted = levels, []

    def emit(self, record, org_id=None):
        self.emitted.append(record)


def test_TI_04_two_schedulers_emit_each_warning_and_breach_once():
    shared = FakeLevels([])
    one, two = FakeUow(shared), FakeUow(shared)
    # each scheduler reads its own copy of the row, as two processes do
    shared.records = [ticket_levels(zh(2026, 11, 23, 9), priority="high")]
    copy = [ticket_levels(zh(2026, 11, 23, 9), priority="high")]
    sla_tracking.check_due(one, RULES, zh(2026, 11, 23, 13, 30))
    shared.records = copy
    sla_tracking.check_due(two, RULES, zh(2026, 11, 23, 13, 30))
    emitted = one.emitted + two.emitted
    assert sorted(type(e).__name__ for e in emitted) == ["ServiceLevelBreached", "ServiceLevelWarning"]
    assert all(isinstance(e, (ServiceLevelWarning, ServiceLevelBreached)) for e in emitted)


# --- TI-03, BI-17: emergencies -------------------------------------------------------------------------

def test_TI_03_critical_needs_one_of_the_three_emergency_kinds_naming_the_field():
    for kind in ("server_outage", "system_service_down", "website_offline"):
        assert emergencies.checked_kind("critical", kind) == kind
    for kind in (None, "printer_jam"):
        with pytest.raises(Invalid) as refused:
            emergencies.checked_kind("critical", kind)
        assert refused.value.extra["invalid_params"][0]["name"] == "emergency"
    with pytest.raises(Invalid):
        emergencies.checked_kind("normal", "server_outage")
    assert emergencies.checked_kind("high", None) is None


def emergency_ticket(priority="critical"):
    return SimpleNamespace(id="t1", org_id="00000000-0000-0000-0000-00000000000a", number="T-000001",
                           department="technical", subject="Shop down", priority=priority,
                           emergency="website_offline" if priority == "critical" else None)


class FakeEmergencies:
    def __init__(self):
        self.rows = {}

    def get(self, ticket_id):
        return self.rows.get(ticket_id)

    def add(self, emergency):
        self.rows[emergency.ticket_id] = emergency


class EmitOnly:
    def __init__(self):
        self.emitted, self.emergencies = [], FakeEmergencies()

    def emit(self, record, org_id=None):
        self.emitted.append(record)


STAFF = Principal(user_id="s1", kind="staff", org_id=None, roles=("platform:support-agent:technical",))


def test_TI_03_a_critical_ticket_is_escalated_at_once_even_at_night_and_once():
    uow, ticket = EmitOnly(), emergency_ticket()
    emergencies.report(uow, ticket, zh(2026, 11, 29, 3))  # Sunday 03:00
    emergencies.report(uow, ticket, zh(2026, 11, 29, 3, 5))
    assert [type(e) for e in uow.emitted] == [EmergencyReported] and uow.emergencies.get("t1").state == "reported"
    quiet = EmitOnly()
    emergencies.report(quiet, emergency_ticket("high"), zh(2026, 11, 29, 3))
    assert quiet.emitted == []


def test_BI_17_a_rejected_emergency_emits_one_false_emergency_with_the_reason():
    uow, ticket = EmitOnly(), emergency_ticket()
    found = emergencies.report(uow, ticket, zh(2026, 11, 23, 9))
    with pytest.raises(Invalid):
        emergencies.decide(uow, ticket, found, STAFF, "reject", "  ", zh(2026, 11, 23, 10))
    emergencies.decide(uow, ticket, found, STAFF, "reject", "Only a  typo on a page", zh(2026, 11, 23, 10))
    [_, false] = uow.emitted
    assert isinstance(false, FalseEmergencyReported) and false.reason == "Only a typo on a page"
    with pytest.raises(Conflict):  # once per ticket
        emergencies.decide(uow, ticket, found, STAFF, "confirm", None, zh(2026, 11, 23, 11))
    assert len(uow.emitted) == 2


def test_TI_03_staff_confirm_an_emergency_and_customers_do_not_decide():
    uow, ticket = EmitOnly(), emergency_ticket()
    found = emergencies.report(uow, ticket, zh(2026, 11, 23, 9))
    member = Principal(user_id="u1", kind="customer", org_id=ticket.org_id, roles=("administrator",))
    with pytest.raises(Forbidden):
        emergencies.decide(uow, ticket, found, member, "confirm", None, zh(2026, 11, 23, 10))
    emergencies.decide(uow, ticket, found, STAFF, "confirm", None, zh(2026, 11, 23, 10))
    assert isinstance(uow.emitted[-1], EmergencyConfirmed) and found.state == "confirmed"
    with pytest.raises(Conflict):
        emergencies.decide(uow, emergency_ticket("high"), None, STAFF, "reject", "x", zh(2026, 11, 23, 10))


def test_BI_17_the_invoice_line_shows_the_reason_and_stays_within_its_length():
    reported = BilledFalseEmergency(org_id="o", ticket_id="t1", reported_at="2026-11-23T09:00:00Z",
                                    reason="Only\na typo", ticket_number="T-000001")
    assert line_of("False emergency", reported) == "False emergency: ticket T-000001, reported 2026-11-23; reason: Only a typo"
    old = BilledFalseEmergency(org_id="o", ticket_id="t1", reported_at="2026-11-23T09:00:00Z")
    assert line_of("False emergency", old) == "False emergency: ticket t1, reported 2026-11-23"
    assert len(line_of("F", BilledFalseEmergency("o", "t1", "2026-11-23", reason="x" * 500))) == 300


# --- TI-05: support codes ------------------------------------------------------------------------------

def test_TI_05_codes_are_easy_to_read_out_and_typed_in_loosely():
    codes = {support_codes.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 14 and code.count("-") == 2
        assert not set(code) & set("01OIL")
    code = next(iter(codes))
    assert support_codes.normalized(code.lower().replace("-", " ")) == code
    assert support_codes.normalized("0000-0000-0000") is None and support_codes.normalized("ABC") is None
    assert support_codes.normalized(None) is None and support_codes.normalized("A" * 100) is None


def test_TI_05_digests_are_keyed_and_older_keys_still_find_codes():
    old = CodeDigests([("k1", b"\x01" * 32)])
    rotated = CodeDigests([("k2", b"\x02" * 32), ("k1", b"\x01" * 32)])
    assert old.digests("7KQM-4XRT-PZ9C")[0] in rotated.digests("7KQM-4XRT-PZ9C")
    assert rotated.digests("7KQM-4XRT-PZ9C")[0] != old.digests("7KQM-4XRT-PZ9C")[0]
    assert CodeDigests([("k1", b"\x03" * 32)]).digests("7KQM-4XRT-PZ9C") != old.digests("7KQM-4XRT-PZ9C")


def test_TI_05_the_wait_after_wrong_codes_ends_when_the_oldest_leaves_the_window():
    now = zh(2026, 11, 23, 10)
    wrong = [now - timedelta(minutes=m) for m in (14, 10, 5, 2, 1)]
    assert support_codes.wait_needed(wrong[:4], now) == 0
    assert support_codes.wait_needed(wrong, now) == 60
    assert support_codes.wait_needed(wrong, now + timedelta(minutes=1)) == 0


# --- TI-02: sensitive data ------------------------------------------------------------------------------

from services.tickets.domain import sensitive_data, ticket_course  # noqa: E402


class FakeStore:
    def __init__(self):
        self.rows, self.readings = {}, []

    def get(self, ticket_id):
        return self.rows.get(ticket_id)

    def add(self, data):
        self.rows[data.ticket_id] = data

    save = add

    def add_reading(self, reading):
        self.readings.append(reading)


def customer(user_id="u1"):
    return Principal(user_id=user_id, kind="customer", org_id="o1", roles=("administrator",))


def a_ticket(state="open"):
    return SimpleNamespace(id="t1", org_id="o1", opened_by="u1", state=state)


def test_TI_02_the_value_never_shows_itself_in_a_repr_a_log_line_or_a_traceback():
    hidden = sensitive_data.Hidden("hunter2")
    assert "hunter2" not in repr(hidden) and "hunter2" not in str(hidden) and "hunter2" not in f"{hidden!r} {hidden}"
    data = sensitive_data.SensitiveData("t1", "o1", "u1", zh(2026, 11, 23, 9), hidden)
    assert "hunter2" not in repr(data)
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(hidden)


def test_TI_02_only_the_writer_and_the_departments_staff_read_and_each_reading_is_recorded():
    uow = SimpleNamespace(sensitive_data=FakeStore())
    ticket, now = a_ticket(), zh(2026, 11, 23, 9)
    sensitive_data.write(uow, ticket, customer(), "hunter2", now)
    with pytest.raises(Forbidden):
        sensitive_data.write(uow, ticket, customer("u2"), "mine", now)  # a colleague does not write it
    with pytest.raises(Forbidden):
        sensitive_data.read(uow, ticket, customer("u2"), now, staff_of_department=False)
    with pytest.raises(Forbidden):
        sensitive_data.read(uow, ticket, STAFF, now, staff_of_department=False)
    assert sensitive_data.read(uow, ticket, STAFF, now, staff_of_department=True).value.reveal() == "hunter2"
    assert sensitive_data.read(uow, ticket, customer(), now, staff_of_department=False).value.reveal() == "hunter2"
    assert [r.reader_kind for r in uow.sensitive_data.readings] == ["staff", "customer"]
    with pytest.raises(Invalid):
        sensitive_data.write(uow, ticket, customer(), "x" * 4001, now)


def test_TI_02_closing_the_ticket_erases_the_credentials():
    uow = SimpleNamespace(sensitive_data=FakeStore(), service_levels=SimpleNamespace(get=lambda *a, **k: None))
    ticket = a_ticket()
    sensitive_data.write(uow, ticket, customer(), "hunter2", zh(2026, 11, 23, 9))
    ticket.state, ticket.closed_at, ticket.updated_at = "closed", zh(2026, 11, 23, 10), zh(2026, 11, 23, 10)
    ticket_course.closed(uow, ticket, RULES)
    assert uow.sensitive_data.get("t1").value is None
    with pytest.raises(Conflict):
        sensitive_data.write(uow, ticket, customer(), "again", zh(2026, 11, 23, 11))
