"""OR-14: an organization's details — name, type, structured postal address, phone, VAT ID and
chamber of commerce number — changed by its legal representatives only. The country decides the
invoice currency (billing hears `OrganizationDetailsChanged`); the event also carries what the
summary mail to the legal representatives needs.

The VAT ID is checked for the organization's country with python-stdnum (the Swiss UID with its
MWST/TVA/IVA suffix for Switzerland and Liechtenstein, which share the Swiss VAT area); the phone
number with phonenumbers, in international form.
"""
from __future__ import annotations

import phonenumbers
from stdnum.util import get_cc_module

from portico_kernel.errors import Forbidden, Invalid
from portico_kernel.principal import Principal

from .events import OrganizationDetailsChanged
from .model import LEGAL_REPRESENTATIVE, ORGANIZATION_TYPES, Organization
from .organizations import acting_in

ADDRESS = ("street", "house_number", "postcode", "town", "country")
FIELDS = ("name", "type", *ADDRESS, "phone", "vat_id", "commercial_register")


def _invalid(name: str, reason: str) -> Invalid:
    return Invalid(f"{name}: {reason}.", invalid_params=[{"name": name, "reason": reason}])


def checked_vat_id(vat_id: str, country: str | None) -> str:
    if not country:
        raise _invalid("vat_id", "give the postal address's country first")
    module = get_cc_module("ch" if country in ("CH", "LI") else country.lower(), "vat")
    if module is None:
        raise _invalid("vat_id", f"VAT IDs of {country} cannot be checked")
    try:
        valid = module.validate(vat_id)
        # not every country's module can format (Germany's cannot): then the number with its prefix
        prefix = "" if country in ("CH", "LI") else ("EL" if country == "GR" else country)
        return module.format(valid) if hasattr(module, "format") else (valid if valid.startswith(prefix) else prefix + valid)
    except Exception:  # stdnum's ValidationError and its kinds
        raise _invalid("vat_id", f"not a valid VAT ID of {country}") from None


def checked_phone(phone: str) -> str:
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        raise _invalid("phone", "not a phone number in international form (+41 …)") from None
    if not phonenumbers.is_valid_number(number):
        raise _invalid("phone", "not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def change(uow, caller: Principal, org_id: str, changes: dict) -> Organization:
    org, member = acting_in(uow, caller, org_id)
    if member is None or member.role != LEGAL_REPRESENTATIVE:
        raise Forbidden("Only a legal representative changes the organization's details.",
                        problem="legal-representative-only")
    wanted = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items() if k in FIELDS}
    address = changes.get("address") or {}
    wanted.update({k: (v.strip() if isinstance(v, str) else v) for k, v in address.items() if k in ADDRESS})
    if "name" in wanted and not wanted["name"]:
        raise _invalid("name", "empty")
    if "type" in wanted and wanted["type"] not in ORGANIZATION_TYPES:
        raise _invalid("type", "unknown organization type")
    if "country" in wanted and wanted["country"]:
        wanted["country"] = wanted["country"].upper()
    country = wanted.get("country", org.country)
    if wanted.get("phone"):
        wanted["phone"] = checked_phone(wanted["phone"])
    vat_id = wanted.get("vat_id", org.vat_id)
    if vat_id and ("vat_id" in wanted or "country" in wanted):
        wanted["vat_id"] = checked_vat_id(vat_id, country)
    changed = [name for name in FIELDS if name in wanted and getattr(org, name) != (wanted[name] or None)]
    for name in changed:
        setattr(org, name, wanted[name] or None)
    if changed:
        uow.emit(OrganizationDetailsChanged(
            org_id=org.id, name=org.name, type=org.type, country=org.country, changed_fields=changed,
            changed_by=caller.user_id, address={k: getattr(org, k) for k in ADDRESS if k != "country"},
            vat_id=org.vat_id), org_id=org.id)
        uow.commit()
    return org
