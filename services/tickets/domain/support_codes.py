"""TI-05: support authenticates a caller with the organization's support code.

Every organization has one code; its members see it and can replace it by a new one. A member of
the provider's support asks a caller for the code and looks the organization up by it. Each lookup is
recorded (who, when, what came of it); after too many wrong codes in a short time a staff member is
held off for a while, so nobody can try codes until one fits.

A code is 12 characters of an alphabet without look-alikes (no 0/O, 1/I/L), in three groups
(`7KQM-4XRT-PZ9C`): about 59 bits of chance, easy to read out on the phone. Spaces, hyphens and the
letter case do not matter when it is typed in. The code is kept sealed (to show it to the members)
and as keyed digests (to find it); the adapter does both (`CodeKeys`).
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, Sequence

from portico_kernel.errors import Forbidden, TooManyRequests

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS, GROUP_LENGTH = 3, 4
LENGTH = GROUPS * GROUP_LENGTH

# A staff member may get this many codes wrong within WINDOW; the next lookup waits until the
# oldest of them leaves the window.
FREE_WRONG_CODES = 5
WINDOW = timedelta(minutes=15)

FOUND, WRONG, THROTTLED = "found", "wrong", "throttled"

# Who looks organizations up by their code: the provider's administrators and support agents.
SUPPORT_ROLES = ("platform:admin", "platform:support-agent")


class CodeKeys(Protocol):
    def digests(self, code: str) -> Sequence[str]:
        """The code's keyed digests, the one under the newest key first (older keys still find codes
        stored before a rotation)."""


@dataclass(eq=False)
class SupportCode:
    org_id: str
    code: str  # formatted, e.g. 7KQM-4XRT-PZ9C; sealed at rest by the adapter
    digest: str
    created_at: datetime
    created_by: str | None = None


@dataclass(eq=False)
class SupportCodeLookup:
    id: str
    staff_id: str
    looked_up_at: datetime
    result: str
    org_id: str | None = None


@dataclass(frozen=True)
class LookupOutcome:
    lookup: SupportCodeLookup
    retry_after: int | None = None

    @property
    def result(self) -> str:
        return self.lookup.result


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i:i + GROUP_LENGTH] for i in range(0, LENGTH, GROUP_LENGTH))


def normalized(typed: str) -> str | None:
    """The code as stored (grouped, upper case), or None when `typed` cannot be a code."""
    if not isinstance(typed, str) or len(typed) > 64:
        return None
    raw = "".join(ch for ch in typed.upper() if ch not in " -\t")
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return "-".join(raw[i:i + GROUP_LENGTH] for i in range(0, LENGTH, GROUP_LENGTH))


def is_support(caller) -> bool:
    return caller.is_staff and any(role in SUPPORT_ROLES or role.startswith("platform:support-agent:")
                                   for role in caller.roles)


def _member_org(caller) -> str:
    if caller.is_staff or caller.is_service or caller.is_api_key:
        raise Forbidden("Only the organization's members see and replace its support code.")
    if caller.org_id is None:  # as portico_kernel.access.active_org, which the pure domain does not import
        raise Forbidden("This token acts for no organization; sign in again once your organization exists.",
                        problem="no-organization")
    return caller.org_id


def _issue(uow, keys: CodeKeys, org_id: str, now: datetime, by: str | None) -> SupportCode:
    code = new_code()
    found = SupportCode(org_id=org_id, code=code, digest=keys.digests(code)[0], created_at=now, created_by=by)
    uow.support_codes.add(found)
    return found


def code_of(uow, keys: CodeKeys, caller, now: datetime) -> SupportCode:
    """The organization's code; the first look makes it."""
    org_id = _member_org(caller)
    found = uow.support_codes.get(org_id)
    if found is None:
        found = _issue(uow, keys, org_id, now, caller.user_id)
    return found


def regenerate(uow, keys: CodeKeys, caller, now: datetime) -> SupportCode:
    """A new code; the old one no longer finds the organization."""
    org_id = _member_org(caller)
    found = uow.support_codes.get(org_id, for_update=True)
    code = new_code()
    if found is None:
        return _issue(uow, keys, org_id, now, caller.user_id)
    found.code, found.digest = code, keys.digests(code)[0]
    found.created_at, found.created_by = now, caller.user_id
    uow.support_codes.save(found)
    return found


def wait_needed(wrong_at: Sequence[datetime], now: datetime) -> int:
    """Seconds until the staff member may look up again (0: now)."""
    recent = sorted(moment for moment in wrong_at if moment > now - WINDOW)
    if len(recent) < FREE_WRONG_CODES:
        return 0
    frees_at = recent[-FREE_WRONG_CODES] + WINDOW
    return max(1, int((frees_at - now).total_seconds() + 0.999))


def look_up(uow, keys: CodeKeys, caller, typed: str, now: datetime) -> LookupOutcome:
    """Records the lookup and answers what came of it; the caller commits before answering."""
    if not is_support(caller):
        raise Forbidden("Only the provider's administrators and support agents look organizations up by support code.")
    wait = wait_needed(uow.support_code_lookups.wrong_since(caller.user_id, now - WINDOW), now)
    org_id = None
    if wait:
        result = THROTTLED
    else:
        code = normalized(typed)
        found = uow.support_codes.by_digests(keys.digests(code)) if code is not None else None
        if found is not None and found.code == code:
            result, org_id = FOUND, found.org_id
        else:
            result = WRONG
    lookup = SupportCodeLookup(id=str(uuid.uuid4()), staff_id=caller.user_id, looked_up_at=now, result=result,
                               org_id=org_id)
    uow.support_code_lookups.add(lookup)
    return LookupOutcome(lookup, wait or None)


def refused(outcome: LookupOutcome) -> TooManyRequests:
    return TooManyRequests(f"Too many wrong support codes; try again in {outcome.retry_after} seconds.",
                           retry_after=outcome.retry_after)


def lookups_of(uow, caller, page, *, staff_id: str | None = None, org_id: str | None = None):
    """The record of lookups, for the provider's administrators and support agents."""
    if not is_support(caller):
        raise Forbidden("Only the provider's administrators and support agents see the support code lookups.")
    return uow.support_code_lookups.find(page, staff_id=staff_id, org_id=org_id)
