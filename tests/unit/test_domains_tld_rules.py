"""The TLD rules file (services/domains/data/tlds.yaml): read, checked, refused when it contradicts itself;
auth codes and the registrant data a TLD asks for (DO-02)."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from services.domains.adapters.tld_file import TLDS, read_tld_catalog, tld_catalog
from services.domains.domain.tld_rules import InvalidTldRules, Money, tld_catalog_from

CONFIGURED = ("ch", "li", "de", "com", "fr", "it")


@pytest.fixture(scope="module")
def catalog():
    return tld_catalog()


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(TLDS.read_text(encoding="utf-8"))


def refused(data: dict) -> str:
    with pytest.raises(InvalidTldRules) as refusal:
        tld_catalog_from(data)
    return str(refusal.value)


# --- The file as shipped --------------------------------------------------------------------------------

def test_do_05_the_file_configures_ch_li_de_com_fr_it(catalog):
    assert set(CONFIGURED) <= set(catalog.tlds)


@pytest.mark.parametrize("tld", CONFIGURED)
def test_every_group_of_rules_names_its_published_source(catalog, tld):
    sources = catalog[tld].sources
    assert set(sources) == {"periods", "grace", "deletion", "transfer", "auth_code", "registrant"}
    assert all(url.startswith(("https://", "http://")) for url in sources.values())


# The registries' published lengths (days), as data/tlds.yaml cites them.
PUBLISHED = {
    #       periods  ahead renewal     add arg  rp  pd  restore  transfer expiry            lock(reg, transfer, owner)
    "com": ((1, 10), 10, "explicit",  5,  45, 30, 5, True,  "add_year",               (60, 60, 60)),
    "ch":  ((1, 1),   2, "automatic", 0,  0,  35, 0, True,  "keep",                   (0, 0, 0)),
    "li":  ((1, 1),   2, "automatic", 0,  0,  35, 0, True,  "keep",                   (0, 0, 0)),
    "de":  ((1, 1),   2, "automatic", 0,  0,  30, 0, True,  "keep",                   (0, 0, 0)),
    "fr":  ((1, 10), 10, "explicit",  0,  0,  30, 0, True,  "keep",                   (0, 0, 0)),
    "it":  ((1, 1),   2, "automatic", 0,  15, 30, 5, True,  "one_year_from_transfer", (0, 0, 0)),
}


@pytest.mark.parametrize("tld", CONFIGURED)
def test_do_05_each_tld_carries_its_registrys_published_periods(catalog, tld):
    (shortest, longest), ahead, renewal, add, grace, redemption, pending, restorable, transfer_expiry, lock = PUBLISHED[tld]
    rules = catalog[tld]
    assert (rules.periods[0], rules.periods[-1], rules.max_years_ahead, rules.renewal) == (shortest, longest, ahead, renewal)
    assert (rules.add_grace, rules.auto_renew_grace, rules.redemption_period, rules.pending_delete) == (add, grace, redemption, pending)
    assert rules.restorable is restorable and rules.transfer_expiry == transfer_expiry
    t = rules.transfer_lock
    assert (t.after_registration, t.after_transfer, t.after_owner_change) == lock


def test_de_speaks_rri_the_others_epp(catalog):
    assert catalog["de"].protocol == "rri"
    assert {catalog[t].protocol for t in CONFIGURED if t != "de"} == {"epp"}


def test_only_com_is_under_icann_policies(catalog):
    assert [t for t in CONFIGURED if catalog[t].icann] == ["com"]


def test_a_domain_name_finds_its_tld_and_an_unsold_tld_is_named(catalog):
    assert catalog.for_domain("Example.CH").tld == "ch"
    assert catalog.for_tld(".de").registry == "DENIC"
    with pytest.raises(LookupError, match=r"\.xyz"):
        catalog.for_domain("example.xyz")


def test_do_07_prices_in_minor_units_per_currency(catalog):
    com = catalog["com"]
    assert com.renewal_price("CHF", 3) == Money(3 * com.price_per_year["CHF"], "CHF")
    assert com.restore_price("EUR") == Money(com.restore_fee["EUR"], "EUR")
    with pytest.raises(LookupError, match="USD"):
        com.renewal_price("USD")


# --- Refusing a file that contradicts itself -----------------------------------------------------------

def test_do_05_a_period_beyond_ten_years_is_refused(raw):
    raw["tlds"]["com"]["periods"]["years"] = list(range(1, 12))
    assert "tlds.com.periods.years" in refused(raw) and "10 years" in refused(raw)


def test_do_05_more_than_ten_years_ahead_is_refused(raw):
    raw["tlds"]["fr"]["periods"]["max_years_ahead"] = 11
    assert "tlds.fr.periods.max_years_ahead" in refused(raw)


def test_a_period_longer_than_the_years_ahead_is_refused(raw):
    raw["tlds"]["ch"]["periods"]["years"] = [1, 2, 3]
    assert "tlds.ch.periods.years" in refused(raw) and "max_years_ahead" in refused(raw)


def test_periods_are_listed_once_shortest_first(raw):
    raw["tlds"]["com"]["periods"]["years"] = [2, 1]
    assert "tlds.com.periods.years" in refused(raw)


def test_do_05_a_restorable_tld_without_redemption_period_is_refused(raw):
    raw["tlds"]["de"]["deletion"]["redemption_period"] = 0
    assert "tlds.de.deletion.redemption_period" in refused(raw)


def test_do_05_a_tld_that_cannot_restore_has_no_redemption_period(raw):
    raw["tlds"]["ch"]["deletion"]["restorable"] = False
    assert "tlds.ch.deletion.redemption_period" in refused(raw)
    raw["tlds"]["ch"]["deletion"].update(redemption_period=0, pending_delete=35)
    rules = tld_catalog_from(raw)["ch"]
    assert not rules.restorable and rules.pending_delete == 35


def test_a_gtld_keeps_icanns_thirty_days_of_redemption(raw):
    raw["tlds"]["com"]["deletion"]["redemption_period"] = 20
    assert "tlds.com.deletion.redemption_period" in refused(raw) and "ERRP" in refused(raw)


@pytest.mark.parametrize("before, after, named", [
    ([40, 7], [2], "days_before_expiry"),   # no notice about a month before
    ([30, 14], [2], "days_before_expiry"),  # none about a week before
    ([30, 7], [6], "days_after_expiry"),    # none within 5 days after
])
def test_do_04_gtld_reminders_outside_errps_windows_are_refused(raw, before, after, named):
    raw["defaults"]["reminders"].update(days_before_expiry=before, days_after_expiry=after)
    assert f"tlds.com.reminders.{named}" in refused(raw)


def test_do_04_a_cctld_may_set_its_own_reminders(raw):
    raw["tlds"]["ch"]["reminders"] = {"source": "https://www.nic.ch/de/terms/", "days_before_expiry": [60, 14],
                                      "days_after_expiry": [1]}
    catalog = tld_catalog_from(raw)
    assert catalog["ch"].reminders.days_before_expiry == (60, 14)
    assert catalog["de"].reminders.days_before_expiry == (30, 7)  # the defaults


def test_every_group_must_name_its_source(raw):
    del raw["tlds"]["it"]["deletion"]["source"]
    assert "tlds.it.deletion.source" in refused(raw)


@pytest.mark.parametrize("path, value, named", [
    (("grace", "auto_renew_grace"), -1, "tlds.com.grace.auto_renew_grace"),
    (("grace", "add_grace"), "5", "tlds.com.grace.add_grace"),
    (("transfer", "lock_days", "after_transfer"), 2.5, "tlds.com.transfer.lock_days.after_transfer"),
    (("transfer", "expiry"), "reset", "tlds.com.transfer.expiry"),
    (("periods", "renewal"), "manual", "tlds.com.periods.renewal"),
    (("prices", "per_year"), {"USD": 1000}, "tlds.com.prices.per_year.USD"),
    (("prices", "per_year"), {"CHF": 19.5}, "tlds.com.prices.per_year.CHF"),
    (("auth_code", "max_length"), 4, "tlds.com.auth_code.max_length"),
    (("auth_code", "must_contain"), ["emoji"], "tlds.com.auth_code.must_contain"),
    (("registrant", "eligible_countries"), [False], "tlds.com.registrant.eligible_countries"),  # YAML's bare NO
])
def test_a_wrong_value_is_refused_naming_its_tld_and_field(raw, path, value, named):
    node = raw["tlds"]["com"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert named in refused(raw)


def test_a_missing_group_or_restore_fee_is_named(raw):
    broken = copy.deepcopy(raw)
    del broken["tlds"]["fr"]["transfer"]
    assert "tlds.fr.transfer: is missing" in refused(broken)
    del raw["tlds"]["it"]["prices"]["restore_fee"]["EUR"]
    assert "tlds.it.prices.restore_fee.EUR" in refused(raw)


def test_a_tld_name_must_be_a_label(raw):
    raw["tlds"][".CH"] = raw["tlds"].pop("ch")
    assert "tlds..CH" in refused(raw)


def test_the_file_adapter_refuses_a_broken_file(tmp_path: Path, raw):
    raw["tlds"]["com"]["periods"]["years"] = [1, 12]
    broken = tmp_path / "tlds.yaml"
    broken.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(InvalidTldRules, match="tlds.com.periods.years"):
        read_tld_catalog(broken)


# --- Auth codes --------------------------------------------------------------------------------------------

def test_denic_authinfo_8_to_16_characters_without_look_alikes(catalog):
    rule = catalog["de"].auth_code
    assert rule.problem("Ab3+Xy7/") is None
    assert "8 to 16" in rule.problem("Ab3+Xy7")
    assert "8 to 16" in rule.problem("Ab3+Xy7/Ab3+Xy7/Q")
    assert "'0'" in rule.problem("Ab30+Xy7/")   # zero looks like O
    assert "'l'" in rule.problem("Abl3+Xy7/")   # small L looks like 1
    assert rule.valid_days == 30


def test_com_auth_code_needs_a_letter_a_digit_and_a_special_character(catalog):
    rule = catalog["com"].auth_code
    assert rule.problem("abc123!x") is None
    assert "special" in rule.problem("abc123xy")
    assert "digit" in rule.problem("abcdef!x")
    assert "printable" in rule.problem("abc 123!x")
    assert rule.valid_days == 14


# --- DO-02: what a registrant must give --------------------------------------------------------------------

def test_do_02_an_italian_person_gives_entity_type_nationality_and_codice_fiscale(catalog):
    it = catalog["it"]
    assert [d.field for d in it.required_for("person", "IT")] == ["entity_type", "nationality", "tax_code"]
    assert [d.field for d in it.required_for("person", "de")] == ["entity_type", "nationality"]
    assert [d.field for d in it.required_for("organization", "IT")] == ["entity_type", "vat_number"]
    assert it.missing_data("person", "IT", {"entity_type": "1", "nationality": "IT", "tax_code": " "}) == ("tax_code",)


def test_do_02_a_french_person_gives_a_birth_date_an_organisation_its_identifier(catalog):
    fr = catalog["fr"]
    assert fr.missing_data("person", "FR", {}) == ("birth_date",)
    assert fr.missing_data("organization", "BE", {"company_identifier": "BE0123456789"}) == ()


@pytest.mark.parametrize("tld", ["com", "ch", "li", "de"])
def test_do_02_tlds_without_extra_registrant_data(catalog, tld):
    assert catalog[tld].required_for("person", "US") == ()
    assert catalog[tld].may_register_from("US")


def test_do_02_fr_and_it_register_only_european_holders(catalog):
    assert catalog["fr"].may_register_from("ch") and catalog["fr"].may_register_from("NO")
    assert not catalog["fr"].may_register_from("US") and not catalog["fr"].may_register_from("SM")
    assert catalog["it"].may_register_from("SM") and catalog["it"].may_register_from("VA")
    assert not catalog["it"].may_register_from("GB")
