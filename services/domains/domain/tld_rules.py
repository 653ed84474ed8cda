"""The rules of a top-level domain as data (DO-02, DO-04 … DO-07): prices, periods, the phases after
expiry, transfer locks, auth codes and what a registrant must give.

The rules live in `services/domains/data/tlds.yaml` (each value beside the registry's published source);
`adapters/tld_file.py` reads the file and hands the plain data to `tld_catalog_from`, which refuses a
file that contradicts itself, naming the TLD and the field. A new TLD is a change of that file only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

MAX_YEARS = 10  # no registry sells or renews beyond ten years ahead (Verisign, Afnic …)
CURRENCIES = ("CHF", "EUR")
PROTOCOLS = ("epp", "rri")  # RRI: DENIC's own protocol for .de
RENEWALS = ("explicit", "automatic")  # EPP domain:renew, or the registry renews itself at expiry
CHARACTER_CLASSES = ("letter", "digit", "special")
WHO = ("person", "organization", "any")
# What a transfer to another registrar does to the expiry: gTLDs add a year, SWITCH, DENIC and Afnic keep
# it, Registro.it sets it to one year after the transfer.
TRANSFER_EXPIRIES = ("keep", "add_year", "one_year_from_transfer")

# ICANN's Expired Registration Recovery Policy, 2.1: one notice about a month before expiry (26–35 days),
# one about a week before (4–10 days), and one within 5 days after expiry if the name was not renewed.
ERRP_MONTH_BEFORE = range(26, 36)
ERRP_WEEK_BEFORE = range(4, 11)
ERRP_AFTER = range(1, 6)


class InvalidTldRules(ValueError):
    """The TLD rules contradict themselves; the message names the TLD and the field."""


@dataclass(frozen=True)
class Money:
    amount_minor: int
    currency: str

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def times(self, n: int) -> Money:
        return Money(self.amount_minor * n, self.currency)


@dataclass(frozen=True)
class Reminders:
    """When the owners hear about an expiry (DO-04): days before it, and days after it if not renewed."""
    days_before_expiry: tuple[int, ...] = (30, 7)
    days_after_expiry: tuple[int, ...] = (2,)


@dataclass(frozen=True)
class TransferLock:
    """Days a domain cannot move to another registrar after each of these (0: no lock)."""
    after_registration: int = 0
    after_transfer: int = 0
    after_owner_change: int = 0


@dataclass(frozen=True)
class AuthCodeRule:
    """What the registry accepts as a transfer auth code (EPP authInfo, DENIC AuthInfo)."""
    min_length: int
    max_length: int
    alphabet: str | None = None  # the only characters allowed; None: any printable ASCII but space
    must_contain: tuple[str, ...] = ()  # of CHARACTER_CLASSES
    valid_days: int | None = None  # None: valid until changed

    def problem(self, code: str) -> str | None:
        """Why the registry would refuse this code, or None if it would take it."""
        if not self.min_length <= len(code) <= self.max_length:
            return f"must be {self.min_length} to {self.max_length} characters long"
        if self.alphabet is not None:
            stray = sorted({c for c in code if c not in self.alphabet})
            if stray:
                return f"may not contain {''.join(stray)!r}"
        elif any(not (33 <= ord(c) <= 126) for c in code):
            return "may contain only printable ASCII characters without spaces"
        present = {"letter": any(c.isalpha() for c in code), "digit": any(c.isdigit() for c in code),
                   "special": any(not c.isalnum() for c in code)}
        for needed in self.must_contain:
            if not present[needed]:
                return f"must contain at least one {needed}"
        return None


@dataclass(frozen=True)
class RequiredDatum:
    """A piece of registrant data or a document a TLD asks for (DO-02)."""
    field: str
    who: str  # person, organization or any
    countries: tuple[str, ...] = ()  # only holders from these countries; empty: every holder
    note: str = ""

    def applies_to(self, kind: str, country: str) -> bool:
        return self.who in ("any", kind) and (not self.countries or country.upper() in self.countries)


@dataclass(frozen=True)
class TldRules:
    tld: str
    registry: str
    protocol: str
    icann: bool  # a gTLD: ICANN's ERRP and transfer policy apply
    price_per_year: Mapping[str, int]
    restore_fee: Mapping[str, int]
    periods: tuple[int, ...]
    max_years_ahead: int
    renewal: str
    add_grace: int
    auto_renew_grace: int
    redemption_period: int
    restorable: bool
    pending_delete: int
    transfer_expiry: str  # one of TRANSFER_EXPIRIES
    transfer_lock: TransferLock
    auth_code: AuthCodeRule
    eligible_countries: frozenset[str] | None  # None: anyone may register
    required_data: tuple[RequiredDatum, ...]
    reminders: Reminders = field(default_factory=Reminders)
    sources: Mapping[str, str] = field(default_factory=dict)  # value group -> the published rule's URL
    # DO-06: what the renewal warranty costs per year on top of the renewal; empty: not offered for the TLD
    renewal_warranty_fee: Mapping[str, int] = field(default_factory=dict)

    def renewal_price(self, currency: str, years: int = 1) -> Money:
        return Money(self._priced(self.price_per_year, currency), currency).times(years)

    def restore_price(self, currency: str) -> Money:
        return Money(self._priced(self.restore_fee, currency), currency)

    @property
    def offers_renewal_warranty(self) -> bool:
        return bool(self.renewal_warranty_fee)

    def renewal_warranty_price(self, currency: str, years: int = 1) -> Money:
        """DO-06: the warranty's fee for `years` years, charged with each renewal while it is on."""
        return Money(self._priced(self.renewal_warranty_fee, currency), currency).times(years)

    def _priced(self, prices: Mapping[str, int], currency: str) -> int:
        if currency not in prices:
            raise LookupError(f".{self.tld} is not sold in {currency}")
        return prices[currency]

    def may_register_from(self, country: str) -> bool:
        return self.eligible_countries is None or country.upper() in self.eligible_countries

    def required_for(self, kind: str, country: str) -> tuple[RequiredDatum, ...]:
        """What a registrant of this kind (person or organization) from this country must give (DO-02)."""
        return tuple(d for d in self.required_data if d.applies_to(kind, country))

    def missing_data(self, kind: str, country: str, given: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(d.field for d in self.required_for(kind, country) if not str(given.get(d.field) or "").strip())


DEFAULT_RENEWAL_LEAD_DAYS = 14


@dataclass(frozen=True)
class TldCatalog:
    rules: Mapping[str, TldRules]
    # DO-07: days before expiry a domain with automatic renewal is invoiced (tlds.yaml defaults.renewal_lead_days)
    renewal_lead_days: int = DEFAULT_RENEWAL_LEAD_DAYS

    def __getitem__(self, tld: str) -> TldRules:
        return self.for_tld(tld)

    def for_tld(self, tld: str) -> TldRules:
        key = tld.lower().lstrip(".")
        if key not in self.rules:
            raise LookupError(f"we do not sell .{key} domains")
        return self.rules[key]

    def for_domain(self, domain: str) -> TldRules:
        return self.for_tld(domain.rstrip(".").rsplit(".", 1)[-1])

    @property
    def tlds(self) -> tuple[str, ...]:
        return tuple(sorted(self.rules))


# ---------------------------------------------------------------------------------------------------
# Reading and checking the plain data (what yaml.safe_load gives), independent of the file format.

_TLD_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$|^xn--[a-z0-9-]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class _Reader:
    def __init__(self, where: str, data: Any):
        if not isinstance(data, Mapping):
            raise InvalidTldRules(f"{where}: must be a mapping")
        self.where, self.data = where, data

    def fail(self, key: str, message: str) -> InvalidTldRules:
        return InvalidTldRules(f"{self.where}.{key}: {message}")

    def has(self, key: str) -> bool:
        return key in self.data

    def group(self, key: str, *, sourced: bool = True) -> _Reader:
        if key not in self.data:
            raise self.fail(key, "is missing")
        reader = _Reader(f"{self.where}.{key}", self.data[key])
        if sourced:
            reader.source()
        return reader

    def source(self) -> str:
        url = self.data.get("source")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise self.fail("source", "every group of rules names the published rule it comes from (a URL)")
        return url

    def days(self, key: str, *, default: int | None = None) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(key, f"must be a whole number, 0 or more (got {value!r})")
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false (got {value!r})")
        return value

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.data.get(key)
        if value not in options:
            raise self.fail(key, f"must be one of {', '.join(options)} (got {value!r})")
        return value

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty text")
        return value

    def days_list(self, key: str) -> tuple[int, ...]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value or any(
                isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value):
            raise self.fail(key, f"must be a list of whole numbers, each 1 or more (got {value!r})")
        return tuple(value)

    def prices(self, key: str) -> Mapping[str, int]:
        value = self.data.get(key)
        if not isinstance(value, Mapping) or not value:
            raise self.fail(key, "must map currencies to amounts in minor units")
        for currency, amount in value.items():
            if currency not in CURRENCIES:
                raise self.fail(f"{key}.{currency}", f"is not a currency we bill in ({', '.join(CURRENCIES)})")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                raise self.fail(f"{key}.{currency}", f"must be a whole amount in minor units, 0 or more (got {amount!r})")
        return MappingProxyType(dict(value))

    def countries(self, key: str) -> frozenset[str] | None:
        value = self.data.get(key)
        if value == "any":
            return None
        if not isinstance(value, list) or not value or any(not isinstance(c, str) or not _COUNTRY.match(c) for c in value):
            raise self.fail(key, "must be `any` or a list of ISO 3166 alpha-2 country codes")
        return frozenset(value)


def _reminders(reader: _Reader) -> Reminders:
    return Reminders(days_before_expiry=tuple(sorted(reader.days_list("days_before_expiry"), reverse=True)),
                     days_after_expiry=tuple(sorted(reader.days_list("days_after_expiry"))))


def _check_errp(where: str, reminders: Reminders) -> None:
    """ERRP 2.1: a gTLD's owners hear about a month and about a week before expiry, and within 5 days after."""
    before, after = reminders.days_before_expiry, reminders.days_after_expiry
    if not any(d in ERRP_MONTH_BEFORE for d in before):
        raise InvalidTldRules(f"{where}.reminders.days_before_expiry: ICANN's ERRP asks for a notice 26 to 35 days before expiry")
    if not any(d in ERRP_WEEK_BEFORE for d in before):
        raise InvalidTldRules(f"{where}.reminders.days_before_expiry: ICANN's ERRP asks for a notice 4 to 10 days before expiry")
    if not any(d in ERRP_AFTER for d in after):
        raise InvalidTldRules(f"{where}.reminders.days_after_expiry: ICANN's ERRP asks for a notice within 5 days after expiry")


def _tld_rules(tld: str, data: Any, default_reminders: Reminders | None) -> TldRules:
    where = f"tlds.{tld}"
    if not isinstance(tld, str) or not _TLD_NAME.match(tld):
        raise InvalidTldRules(f"{where}: is not a top-level domain name (lower case, without the dot)")
    top = _Reader(where, data)
    sources: dict[str, str] = {}

    prices = top.group("prices", sourced=False)
    price_per_year, restore_fee = prices.prices("per_year"), prices.prices("restore_fee")
    warranty_fee = prices.prices("renewal_warranty") if prices.has("renewal_warranty") else MappingProxyType({})
    for currency in warranty_fee:
        if currency not in price_per_year:
            raise prices.fail(f"renewal_warranty.{currency}", "the TLD is not sold in this currency")

    periods = top.group("periods")
    sources["periods"] = periods.source()
    years = periods.days_list("years")
    if list(years) != sorted(set(years)):
        raise periods.fail("years", "must be listed once each, shortest first")
    max_ahead = periods.days("max_years_ahead")
    if max(years) > MAX_YEARS:
        raise periods.fail("years", f"no registration or renewal goes beyond {MAX_YEARS} years (got {max(years)})")
    if not 1 <= max_ahead <= MAX_YEARS:
        raise periods.fail("max_years_ahead", f"must be 1 to {MAX_YEARS} years (got {max_ahead})")
    if max(years) > max_ahead:
        raise periods.fail("years", f"a period of {max(years)} years goes beyond max_years_ahead ({max_ahead})")
    renewal = periods.choice("renewal", RENEWALS)

    grace = top.group("grace")
    sources["grace"] = grace.source()
    deletion = top.group("deletion")
    sources["deletion"] = deletion.source()
    restorable = deletion.flag("restorable")
    redemption = deletion.days("redemption_period")
    if restorable and redemption == 0:
        raise deletion.fail("redemption_period", "a TLD that can restore needs a redemption period of 1 day or more")
    if not restorable and redemption:
        raise deletion.fail("redemption_period", "a TLD that cannot restore has no redemption period: count those days as pending_delete")
    for currency in price_per_year:
        if restorable and currency not in restore_fee:
            raise prices.fail(f"restore_fee.{currency}", "is missing: the TLD is sold in this currency and can be restored")

    transfer = top.group("transfer")
    sources["transfer"] = transfer.source()
    lock = transfer.group("lock_days", sourced=False)

    auth = top.group("auth_code")
    sources["auth_code"] = auth.source()
    min_len, max_len = auth.days("min_length"), auth.days("max_length")
    if not 1 <= min_len <= max_len:
        raise auth.fail("max_length", f"must be at least min_length ({min_len}), which is 1 or more")
    alphabet = auth.data.get("alphabet")
    if alphabet is not None and (not isinstance(alphabet, str) or not alphabet):
        raise auth.fail("alphabet", "must be the text of the allowed characters, or left out")
    must_contain = auth.data.get("must_contain") or []
    if not isinstance(must_contain, list) or any(c not in CHARACTER_CLASSES for c in must_contain):
        raise auth.fail("must_contain", f"must list some of {', '.join(CHARACTER_CLASSES)}")
    valid_days = auth.data.get("valid_days")
    if valid_days is not None:
        valid_days = auth.days("valid_days")

    registrant = top.group("registrant")
    sources["registrant"] = registrant.source()
    required = []
    for i, raw in enumerate(registrant.data.get("required") or []):
        item = _Reader(f"{registrant.where}.required[{i}]", raw)
        countries = item.data.get("countries") or []
        if not isinstance(countries, list) or any(not isinstance(c, str) or not _COUNTRY.match(c) for c in countries):
            raise item.fail("countries", "must be a list of ISO 3166 alpha-2 country codes")
        required.append(RequiredDatum(field=item.text("field"), who=item.choice("who", WHO),
                                      countries=tuple(countries), note=str(item.data.get("note") or "")))

    icann = top.flag("icann")
    if top.has("reminders"):
        reminders = _reminders(top.group("reminders"))
    elif default_reminders is not None:
        reminders = default_reminders
    else:
        raise top.fail("reminders", "is missing and there are no default reminders")
    if icann:
        _check_errp(where, reminders)
        if not restorable or redemption < 30:
            raise deletion.fail("redemption_period", "ICANN's ERRP 2.3 asks every gTLD registry for 30 days of redemption")

    return TldRules(
        tld=tld, registry=top.text("registry"), protocol=top.choice("protocol", PROTOCOLS), icann=icann,
        price_per_year=price_per_year, restore_fee=restore_fee,
        periods=years, max_years_ahead=max_ahead, renewal=renewal,
        add_grace=grace.days("add_grace"), auto_renew_grace=grace.days("auto_renew_grace"),
        redemption_period=redemption, restorable=restorable, pending_delete=deletion.days("pending_delete"),
        transfer_expiry=transfer.choice("expiry", TRANSFER_EXPIRIES),
        transfer_lock=TransferLock(after_registration=lock.days("after_registration"),
                                   after_transfer=lock.days("after_transfer"),
                                   after_owner_change=lock.days("after_owner_change")),
        auth_code=AuthCodeRule(min_length=min_len, max_length=max_len, alphabet=alphabet,
                               must_contain=tuple(must_contain), valid_days=valid_days),
        eligible_countries=registrant.countries("eligible_countries"),
        required_data=tuple(required), reminders=reminders, sources=MappingProxyType(sources),
        renewal_warranty_fee=warranty_fee)


def tld_catalog_from(data: Any) -> TldCatalog:
    """The TLD rules from plain data, refused with a message naming the TLD and field when they contradict."""
    top = _Reader("tlds.yaml", data)
    default_reminders = None
    if top.has("defaults"):
        defaults = top.group("defaults", sourced=False)
        if defaults.has("reminders"):
            default_reminders = _reminders(defaults.group("reminders"))
    lead_days = DEFAULT_RENEWAL_LEAD_DAYS
    if top.has("defaults"):
        defaults = top.group("defaults", sourced=False)
        if defaults.has("renewal_lead_days"):
            lead_days = defaults.days("renewal_lead_days")
            if not 1 <= lead_days <= 60:
                raise defaults.fail("renewal_lead_days", f"must be 1 to 60 days (got {lead_days})")
    tlds = top.data.get("tlds")
    if not isinstance(tlds, Mapping) or not tlds:
        raise InvalidTldRules("tlds.yaml.tlds: must list at least one TLD")
    return TldCatalog(rules=MappingProxyType({
        str(tld): _tld_rules(tld, raw, default_reminders) for tld, raw in tlds.items()}), renewal_lead_days=lead_days)
