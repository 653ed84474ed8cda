"""The sandbox registry's decisions (sandbox_registry/rules.py) with the shipped TLD rules: names,
periods, expiry and auto-renewal, deletion phases and restore, renewals, transfers and their locks."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from sandbox_registry import rules
from sandbox_registry.rules import Domain, Refused
from services.domains.adapters.tld_file import tld_catalog

CATALOG = tld_catalog()
UTC = timezone.utc
T0 = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)


def domain(tld: str = "com", created: datetime = T0, years: int = 1, sponsor: str = "a") -> Domain:
    return Domain(name=f"example.{tld}", roid="D1-SBX", sponsor=sponsor, registrant="holder",
                  auth_info="Auth-code-1!", created_at=created, created_by=sponsor,
                  expires_at=rules.add_years(created, years), nameservers=["ns1.example.net"])


def refused(call, *args) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args)
    return caught.value


# --- names and periods ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, problem", [
    ("example.com", None), ("xn--bcher-kva.ch", None), ("a-b.li", None),
    ("-a.com", "labels"), ("a-.com", "labels"), ("Example.com", "labels"), ("com", "labels"),
    ("ab--cd.com", "IDNA"), ("a" * 64 + ".com", "labels"),
])
def test_host_names(name, problem):
    found = rules.host_name_problem(name)
    assert (found is None) if problem is None else (problem in found)


def test_domain_names_are_directly_below_a_tld_of_the_registry():
    assert rules.domain_rules(CATALOG, "example.ch").tld == "ch"
    assert refused(rules.domain_rules, CATALOG, "www.example.ch").code == 2306
    assert refused(rules.domain_rules, CATALOG, "example.invalid").code == 2306
    assert refused(rules.domain_rules, CATALOG, "ex_ample.ch").code == 2005


def test_hosts_inside_the_registry_zones_have_a_superordinate_domain():
    assert rules.superordinate("ns1.example.ch", CATALOG) == "example.ch"
    assert rules.superordinate("a.b.example.com", CATALOG) == "example.com"
    assert rules.superordinate("ns1.example.net", CATALOG) is None


@pytest.mark.parametrize("value, unit, years", [("2", "y", 2), ("24", "m", 2), (None, None, None)])
def test_periods(value, unit, years):
    assert rules.period_years(value, unit) == years


def test_periods_refused():
    assert refused(rules.period_years, "13", "m").code == 2306
    assert refused(rules.period_years, "0", "y").code == 2004


def test_registration_periods_follow_the_tld():
    assert rules.create_refusal(CATALOG["com"], None) == 1
    assert rules.create_refusal(CATALOG["com"], 10) == 10
    assert refused(rules.create_refusal, CATALOG["ch"], 2).code == 2306


def test_auth_codes_follow_the_tld():
    rules.check_auth_code(CATALOG["com"], "Abc-1234")
    assert refused(rules.check_auth_code, CATALOG["com"], "abcdefgh").code == 2306
    assert refused(rules.check_auth_code, CATALOG["de"], "Abc-0000").code == 2306   # DENIC: no 0


@pytest.mark.parametrize("address, version, ok", [
    ("192.0.2.1", "v4", True), ("2001:db8::1", "v6", True), ("2001:db8::1", "v4", False),
    ("127.0.0.1", "v4", False), ("300.1.1.1", "v4", False),
])
def test_host_addresses(address, version, ok):
    assert (rules.address_problem(address, version) is None) == ok


# --- time ---------------------------------------------------------------------------------------

def test_the_registry_renews_at_expiry_into_the_auto_renew_grace_of_com():
    d = domain("com")
    assert d.expires_at == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)   # leap day: 28 February
    rules.settle(d, CATALOG["com"], datetime(2025, 2, 28, 12, 0, tzinfo=UTC))
    assert d.expires_at == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert rules.grace_statuses(d, CATALOG["com"], datetime(2025, 3, 1, tzinfo=UTC)) == ["autoRenewPeriod"]
    assert rules.grace_statuses(d, CATALOG["com"], datetime(2025, 4, 14, 11, 59, tzinfo=UTC)) == ["autoRenewPeriod"]
    assert rules.grace_statuses(d, CATALOG["com"], datetime(2025, 4, 14, 12, 0, tzinfo=UTC)) == []   # 45 days


def test_a_tld_without_auto_renew_grace_renews_without_one():
    d = domain("ch")
    rules.settle(d, CATALOG["ch"], datetime(2025, 3, 1, tzinfo=UTC))
    assert d.expires_at.year == 2026
    assert rules.grace_statuses(d, CATALOG["ch"], datetime(2025, 3, 1, tzinfo=UTC)) == []


def test_years_of_missed_expiries_are_each_renewed():
    d = domain("it")
    rules.settle(d, CATALOG["it"], datetime(2028, 3, 1, tzinfo=UTC))
    assert d.expires_at == datetime(2029, 2, 28, 12, 0, tzinfo=UTC)


def test_add_grace_delete_is_immediate():
    d = domain("com")
    assert "addPeriod" in rules.grace_statuses(d, CATALOG["com"], T0 + timedelta(days=4))
    assert rules.delete(d, CATALOG["com"], T0 + timedelta(days=4)) is True


def test_delete_in_auto_renew_grace_takes_the_renewal_back():
    d = domain("com")
    later = datetime(2025, 3, 10, tzinfo=UTC)
    rules.settle(d, CATALOG["com"], later)
    assert rules.delete(d, CATALOG["com"], later) is False
    assert d.expires_at == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)


def test_deletion_phases_of_it_redemption_then_pending_delete_then_free():
    d, tld = domain("it"), CATALOG["it"]
    deleted = T0 + timedelta(days=10)
    rules.delete(d, tld, deleted)
    assert rules.deletion_phase(d, tld, deleted + timedelta(days=29)) == "redemptionPeriod"
    assert rules.deletion_phase(d, tld, deleted + timedelta(days=30)) == "pendingDelete"
    assert rules.deletion_phase(d, tld, deleted + timedelta(days=34)) == "pendingDelete"
    assert rules.deletion_phase(d, tld, deleted + timedelta(days=35)) == "purged"
    assert "pendingDelete" in rules.statuses(d, tld, deleted)


def test_restore_request_then_report():
    d, tld = domain("com"), CATALOG["com"]
    deleted = T0 + timedelta(days=10)
    rules.delete(d, tld, deleted)
    assert refused(rules.report_restore, d, tld, deleted).code == 2304
    rules.request_restore(d, tld, deleted + timedelta(days=1))
    assert rules.grace_statuses(d, tld, deleted + timedelta(days=2)) == ["pendingRestore"]
    # no report within 7 days: back to redemption
    assert rules.deletion_phase(d, tld, deleted + timedelta(days=8, hours=1)) == "redemptionPeriod"
    rules.request_restore(d, tld, deleted + timedelta(days=9))
    rules.report_restore(d, tld, deleted + timedelta(days=9))
    assert d.deleted_at is None and rules.grace_statuses(d, tld, deleted + timedelta(days=9)) == []


def test_no_restore_outside_the_redemption_period():
    d, tld = domain("com"), CATALOG["com"]
    assert refused(rules.request_restore, d, tld, T0).code == 2304
    rules.delete(d, tld, T0 + timedelta(days=10))
    assert refused(rules.request_restore, d, tld, T0 + timedelta(days=41)).code == 2304


# --- renewals -----------------------------------------------------------------------------------

def test_renew_checks_the_current_expiry_then_the_periods_and_years_ahead():
    d, tld = domain("com"), CATALOG["com"]
    now = T0 + timedelta(days=30)
    assert refused(rules.renew, d, tld, date(2025, 3, 1), 1, now).code == 2304
    assert refused(rules.renew, d, tld, date(2025, 2, 28), 10, now).code == 2306   # eleven years ahead
    rules.renew(d, tld, date(2025, 2, 28), 9, now)
    assert d.expires_at.date() == date(2034, 2, 28)


def test_renew_is_refused_while_deleted_or_prohibited():
    d, tld = domain("com"), CATALOG["com"]
    d.statuses.add("clientRenewProhibited")
    assert refused(rules.renew, d, tld, date(2025, 2, 28), 1, T0).code == 2304
    d.statuses.clear()
    rules.delete(d, tld, T0 + timedelta(days=10))
    assert refused(rules.renew, d, tld, date(2025, 2, 28), 1, T0 + timedelta(days=10)).code == 2304


def test_clients_set_only_client_statuses():
    assert rules.change_statuses({"clientHold"}, ["clientDeleteProhibited"], ["clientHold"],
                                 rules.CLIENT_STATUSES) == {"clientDeleteProhibited"}
    assert refused(rules.change_statuses, set(), ["serverHold"], [], rules.CLIENT_STATUSES).code == 2306


# --- transfers ----------------------------------------------------------------------------------

def test_transfer_needs_the_auth_code_and_waits_for_the_losing_registrar():
    d, tld = domain("ch"), CATALOG["ch"]
    now = T0 + timedelta(days=1)
    assert refused(rules.request_transfer, d, tld, "b", "wrong", None, now, 5).code == 2202
    assert refused(rules.request_transfer, d, tld, "a", d.auth_info, None, now, 5).code == 2106
    notices = rules.request_transfer(d, tld, "b", d.auth_info, None, now, 5)
    assert [n.client for n in notices] == ["a"] and d.transfer.act_until == now + timedelta(days=5)
    assert refused(rules.request_transfer, d, tld, "b", d.auth_info, None, now, 5).code == 2300
    assert refused(rules.answer_transfer, d, tld, "b", "approve", now).code == 2201
    assert refused(rules.answer_transfer, d, tld, "a", "cancel", now).code == 2201
    rules.answer_transfer(d, tld, "a", "approve", now)
    assert d.sponsor == "b" and d.expires_at == rules.add_years(T0, 1)   # .ch keeps the expiry


def test_an_unanswered_transfer_is_approved_by_the_registry_after_the_days_given():
    d, tld = domain("com", sponsor="a", created=T0 - timedelta(days=100)), CATALOG["com"]
    expires = d.expires_at
    rules.request_transfer(d, tld, "b", d.auth_info, None, T0, 5)
    assert rules.settle(d, tld, T0 + timedelta(days=4)) == []
    notices = rules.settle(d, tld, T0 + timedelta(days=5))
    assert {n.client for n in notices} == {"a", "b"}
    assert d.sponsor == "b" and d.transfer.status == "serverApproved"
    assert d.expires_at == rules.add_years(expires, 1)   # a gTLD transfer adds a year


def test_it_transfer_sets_the_expiry_one_year_after_it():
    d, tld = domain("it"), CATALOG["it"]
    now = T0 + timedelta(days=100)
    rules.request_transfer(d, tld, "b", d.auth_info, None, now, 5)
    rules.answer_transfer(d, tld, "a", "approve", now)
    assert d.expires_at == rules.add_years(now, 1)


@pytest.mark.parametrize("event", ["registration", "transfer", "owner_change"])
def test_com_locks_transfers_for_60_days(event):
    d, tld = domain("com", created=T0 - timedelta(days=400)), CATALOG["com"]
    at = T0
    if event == "registration":
        d.created_at = at
    elif event == "transfer":
        d.transferred_at = at
    else:
        d.owner_changed_at = at
    assert refused(rules.request_transfer, d, tld, "b", d.auth_info, None, at + timedelta(days=59), 5).code == 2304
    rules.request_transfer(d, tld, "b", d.auth_info, None, at + timedelta(days=60), 5)


def test_transfer_prohibited_statuses_and_deletion_block_a_transfer():
    d, tld = domain("ch"), CATALOG["ch"]
    d.statuses.add("clientTransferProhibited")
    assert refused(rules.request_transfer, d, tld, "b", d.auth_info, None, T0, 5).code == 2304
    d.statuses.clear()
    rules.delete(d, tld, T0)
    assert refused(rules.request_transfer, d, tld, "b", d.auth_info, None, T0, 5).code == 2304


def test_only_the_registrars_concerned_see_a_transfer():
    d, tld = domain("ch"), CATALOG["ch"]
    assert refused(rules.may_see_transfer, d, "b", None).code == 2301
    rules.request_transfer(d, tld, "b", d.auth_info, None, T0, 5)
    rules.may_see_transfer(d, "a", None)
    rules.may_see_transfer(d, "b", None)
    rules.may_see_transfer(d, "c", d.auth_info)
    assert refused(rules.may_see_transfer, d, "c", None).code == 2201


@pytest.mark.parametrize("name, code", [("refuse-2104-x.com", 2104), ("refuse-2400.ch", 2400),
                                        ("refuse-2308-a-b.fr", 2308)])
def test_rehearsal_names_are_refused_with_their_code(name, code):
    assert refused(rules.rehearsed_refusal, name).code == code


@pytest.mark.parametrize("name", ["refuse-1000-x.com", "refuse-x.com", "refused-2104.com", "example.com"])
def test_other_names_are_not_rehearsals(name):
    rules.rehearsed_refusal(name)


def test_a_tld_that_cannot_restore_goes_straight_to_pending_delete():
    import dataclasses

    tld = dataclasses.replace(CATALOG["com"], restorable=False, redemption_period=0, pending_delete=5)
    d = domain("com")
    deleted = T0 + timedelta(days=10)
    assert rules.delete(d, tld, deleted) is False
    assert rules.deletion_phase(d, tld, deleted) == "pendingDelete"
    assert refused(rules.request_restore, d, tld, deleted).code == 2304
    assert rules.deletion_phase(d, tld, deleted + timedelta(days=5)) == "purged"
