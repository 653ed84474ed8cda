"""The card sandbox: a payment provider that moves no real money, for development and tests.

It takes tokens only (as a real provider's browser form would hand them to Portico), and each
test token behaves one way:

| token | the charge |
| --- | --- |
| `tok_sandbox_ok` | succeeds at once |
| `tok_sandbox_declined` | is declined (the card's bank said no) |
| `tok_sandbox_unavailable` | fails temporarily (the provider is away: try again later) |
| `tok_sandbox_late` | is pending, and succeeds `PORTICO_SANDBOX_LATE_SECONDS` (2 s) later |
| `tok_sandbox_late_declined` | is pending, and is declined as late |
| any other token | is declined as unknown |

Stateless, so that the web process that charges and the scheduler that asks again need share
nothing: the charge's reference carries its outcome and when it was made.
"""
from __future__ import annotations

import os
import time

from ..domain.payments import DECLINED, FAILED, PENDING, SUCCEEDED, Charge

NOW_OUTCOMES = {"tok_sandbox_ok": SUCCEEDED, "tok_sandbox_declined": DECLINED, "tok_sandbox_unavailable": FAILED}
LATE_OUTCOMES = {"tok_sandbox_late": SUCCEEDED, "tok_sandbox_late_declined": DECLINED}
CODES = {SUCCEEDED: "s", DECLINED: "d", FAILED: "f"}
REASONS = {DECLINED: "The card was declined.", FAILED: "The card provider is unavailable; try again later."}


def late_seconds() -> float:
    return float(os.environ.get("PORTICO_SANDBOX_LATE_SECONDS", "2"))


class CardSandbox:
    def __init__(self, now=time.time):
        self.now = now

    def charge(self, token: str, amount_minor: int, currency: str, payment_id: str) -> Charge:
        if amount_minor <= 0:
            raise ValueError("a charge is a positive amount")
        if token in NOW_OUTCOMES:
            outcome = NOW_OUTCOMES[token]
            return Charge(f"sbx_{CODES[outcome]}_0_{payment_id}", outcome, REASONS.get(outcome, ""))
        if token in LATE_OUTCOMES:
            code = CODES[LATE_OUTCOMES[token]]
            return Charge(f"sbx_l{code}_{int(self.now() * 1000)}_{payment_id}", PENDING)
        return Charge(f"sbx_d_0_{payment_id}", DECLINED, "The card token is unknown.")

    def status(self, reference: str) -> Charge:
        try:
            _, code, made_ms, _ = reference.split("_", 3)
            made = int(made_ms) / 1000
        except ValueError:
            return Charge(reference, DECLINED, "The charge is unknown.")
        outcomes = {v: k for k, v in CODES.items()}
        if code.startswith("l"):
            if self.now() - made < late_seconds():
                return Charge(reference, PENDING)
            code = code[1:]
        outcome = outcomes.get(code, DECLINED)
        return Charge(reference, outcome, REASONS.get(outcome, ""))
