"""SMS codes as a second factor, to numbers in CH, FR, BE and DE only (ID-09)."""
from __future__ import annotations

import secrets

import phonenumbers

from portico_kernel.errors import Conflict, Invalid, NotFound
from portico_kernel.clock import utcnow

from ..model import new_id
from ..profile import account_of
from .methods import _code_hash, _confirm
from .model import MAX_CODE_ATTEMPTS, SMS, SMS_CODE_LIFETIME, SMS_COUNTRIES, SecondFactor


def sms_number(phone: str) -> str:
    """ID-09: SMS codes go only to numbers in Switzerland, France, Belgium and Germany."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Invalid("The phone number is not valid; give it with its country code, e.g. +41 79 123 45 67.",
                      invalid_params=[{"name": "phone", "reason": "not a valid international number"}])
    if phonenumbers.region_code_for_number(number) not in SMS_COUNTRIES:
        raise Invalid("SMS codes can only be sent to numbers in Switzerland, France, Belgium or Germany.",
                      problem="sms-country-not-supported",
                      invalid_params=[{"name": "phone", "reason": f"only numbers in {', '.join(SMS_COUNTRIES)}"}])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

def _send_code(factor: SecondFactor, sms_sender) -> None:
    code = f"{secrets.randbelow(10 ** 6):06d}"
    factor.code_hash = _code_hash(factor.user_id, code)
    factor.code_expires_at = utcnow() + SMS_CODE_LIFETIME
    factor.code_attempts = 0
    sms_sender.send(factor.phone, f"Your Portico code is {code}. It expires in 5 minutes.")

def _sms_code_matches(factor: SecondFactor, code: str) -> bool:
    if factor.code_hash is None or factor.code_expires_at is None or utcnow() >= factor.code_expires_at:
        return False
    factor.code_attempts += 1
    if factor.code_attempts > MAX_CODE_ATTEMPTS:
        factor.code_hash = None
        return False
    if secrets.compare_digest(factor.code_hash, _code_hash(factor.user_id, code.strip())):
        factor.code_hash = None  # good once
        return True
    return False

def start_sms(uow, sms_sender, user_id: str, phone: str) -> str:
    account_of(uow, user_id)
    e164 = sms_number(phone)
    if any(f.method == SMS and f.confirmed for f in uow.second_factors.of_user(user_id)):
        raise Conflict("SMS codes are set up already; remove them first.", problem="two-factor-method-exists")
    uow.second_factors.remove_unconfirmed(user_id, SMS)
    factor = SecondFactor(id=new_id(), user_id=user_id, method=SMS, phone=e164)
    uow.second_factors.add(factor)
    _send_code(factor, sms_sender)
    uow.commit()
    return e164

def confirm_sms(uow, user_id: str, code: str) -> tuple[list[str], list[str] | None]:
    user = account_of(uow, user_id)
    pending = [f for f in uow.second_factors.of_user(user_id) if f.method == SMS and not f.confirmed]
    if not pending:
        raise NotFound("No phone number is waiting to be confirmed.")
    try:
        return _confirm(uow, user, pending[0], lambda: _sms_code_matches(pending[0], code))
    except Invalid:
        uow.commit()  # the attempt counts
        raise
