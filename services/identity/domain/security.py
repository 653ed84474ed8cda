"""Sign-in security: throttling of failed sign-ins, known networks and devices, security alerts
(ID-02, ID-03), recent activity and the choice of alerts (ID-04)."""
from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portico_kernel.errors import TooManyRequests
from portico_kernel.clock import iso_utc, utcnow

from .events import AlertChoicesChanged, SecurityAlertRaised
from .model import User, new_id

# Throttling (ID-03 context): failures are counted over a window, per login email (known or not,
# so an unknown email is answered like a known one) and per source address. Past the free
# failures each further one doubles the wait, up to the window's length.
WINDOW = timedelta(minutes=15)
FREE_FAILURES_PER_ACCOUNT = 5
FREE_FAILURES_PER_ADDRESS = 50  # offices and mobile carriers share addresses
FIRST_WAIT = timedelta(seconds=30)
MAX_DOUBLINGS = math.ceil(math.log2(WINDOW / FIRST_WAIT))  # 30 s doubled 5 times passes the window
# From a network where the account signed in before, its failures there have a budget of their
# own: a guesser elsewhere cannot lock the owner out, one on the owner's network is bounded alike.
FREE_FAILURES_PER_KNOWN_NETWORK = 5
# ID-03: the owner hears of wrong passwords, but at most once an hour.
WRONG_PASSWORD_ALERT_INTERVAL = timedelta(hours=1)
NETWORK, DEVICE = "network", "device"


@dataclass(eq=False)
class FailedSignIn:
    id: str
    email_key: str
    ip_address: str | None
    occurred_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class KnownLocation:
    """A network (IPv4 /24, IPv6 /64) or a device (user agent) this account signed in from."""

    user_id: str
    kind: str
    value: str
    first_seen_at: datetime = field(default_factory=utcnow)
    last_seen_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class ActivityEntry:
    """ID-04: one line of the account's recent activity."""

    id: str
    user_id: str
    kind: str  # sign-in, wrong-password, two-factor-changed, app-password-created, …
    ip_address: str | None = None
    device: str | None = None
    details: dict = field(default_factory=dict)
    occurred_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class AlertSettings:
    """ID-04: the optional alerts the person chose, as they set and read them here (the
    notifications service keeps a copy and decides whether to email each alert), and when the last
    wrong-password alert was raised."""

    user_id: str
    new_sign_in_location: bool = True
    wrong_password: bool = True
    wrong_password_alerted_at: datetime | None = None

    def wants(self, alert: str) -> bool:
        """Only the optional alerts can be switched off; the others are always emailed."""
        return {"new-sign-in-location": self.new_sign_in_location,
                "wrong-password": self.wrong_password}.get(alert, True)


def network_of(ip_address: str | None) -> str | None:
    """The network an address belongs to: people move within it without being somewhere new."""
    if not ip_address:
        return None
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def wait_needed(failures: list[datetime], free: int, now: datetime) -> int:
    """Seconds until the next attempt is allowed (0: now), from the failures within the window.
    The doubling saturates: past MAX_DOUBLINGS the wait is the window, however many failures."""
    recent = sorted(moment for moment in failures if moment > now - WINDOW)
    if len(recent) < free:
        return 0
    wait = min(FIRST_WAIT * 2 ** min(len(recent) - free, MAX_DOUBLINGS), WINDOW)
    return min(max(0, math.ceil((recent[-1] + wait - now).total_seconds())), int(WINDOW.total_seconds()))


def count_attempt(uow, email_key: str, ip_address: str | None) -> FailedSignIn:
    """ID-03: an attempt counts as a failure before its credential is checked, and is committed at
    once, so that attempts running side by side see each other (the k-th to commit sees at least
    k-1 others). A right credential withdraws it."""
    attempt = FailedSignIn(id=new_id(), email_key=email_key, ip_address=ip_address, occurred_at=uow.clock.now())
    uow.failed_sign_ins.add(attempt)
    uow.commit()
    return attempt


def forget_old_failures(uow) -> None:
    """Failures older than the window no longer count (identity's scheduler forgets them, off the
    sign-in path, so that parallel sign-ins never contend for the same old rows)."""
    uow.failed_sign_ins.forget_before(uow.clock.now() - WINDOW)
    uow.commit()


def withdraw(uow, attempt: FailedSignIn) -> None:
    uow.failed_sign_ins.remove(attempt.id)


@dataclass(frozen=True)
class Throttle:
    """What the other attempts visible now say about this one: `wait` from the account's and the
    address's failures; `known_network_wait` (only from a network the account signed in from
    before) from this account's failures from that network."""

    wait: int
    known_network_wait: int | None

    @property
    def refused(self) -> int:
        """Seconds to wait when the credential is not even checked (0: it is)."""
        if not self.wait or self.known_network_wait == 0:
            return 0
        return max(self.wait, self.known_network_wait or 0)


def throttle(uow, attempt: FailedSignIn, known_network: str | None) -> Throttle:
    others = [row for row in uow.failed_sign_ins.since(attempt.occurred_at - WINDOW, attempt.email_key, attempt.ip_address)
              if row.id != attempt.id]
    now = uow.clock.now()
    of_account = [row for row in others if row.email_key == attempt.email_key]
    from_address = [row.occurred_at for row in others if attempt.ip_address and row.ip_address == attempt.ip_address]
    wait = max(wait_needed([row.occurred_at for row in of_account], FREE_FAILURES_PER_ACCOUNT, now),
               wait_needed(from_address, FREE_FAILURES_PER_ADDRESS, now))
    known_network_wait = None
    if known_network is not None:
        from_network = [row.occurred_at for row in of_account if network_of(row.ip_address) == known_network]
        known_network_wait = wait_needed(from_network, FREE_FAILURES_PER_KNOWN_NETWORK, now)
    return Throttle(wait=wait, known_network_wait=known_network_wait)


def too_many(wait: int) -> TooManyRequests:
    return TooManyRequests(f"Too many failed sign-ins; try again in {wait} seconds.", problem="too-many-sign-ins",
                           retry_after=wait)


def known_network(uow, user: User | None, ip_address: str | None) -> str | None:
    """The caller's network, if the account signed in from it before."""
    network = network_of(ip_address)
    if user is None or network is None or uow.known_locations.get(user.id, NETWORK, network) is None:
        return None
    return network


def alert_settings(uow, user_id: str) -> AlertSettings:
    settings = uow.alert_settings.get(user_id)
    if settings is None:
        settings = AlertSettings(user_id=user_id)
        uow.alert_settings.add(settings)
    return settings


def record(uow, user: User, kind: str, *, ip_address: str | None = None, device: str | None = None,
           details: dict | None = None, alert: str | None = None) -> None:
    """Writes the activity line (ID-04) and raises the alert (ID-02, ID-03); whether it is emailed
    is the notifications service's decision, from the person's alert choices."""
    entry = ActivityEntry(id=new_id(), user_id=user.id, kind=kind, ip_address=ip_address,
                          device=(device or "")[:300] or None, details=dict(details or {}))
    uow.activity.add(entry)
    if alert is not None:
        raise_alert(uow, user, alert, entry.occurred_at,
                    {**entry.details, "ip_address": ip_address, "device": entry.device})


def raise_alert(uow, user: User, alert: str, moment: datetime, details: dict) -> None:
    # The mail is the notifications service's: the event carries everything it says (ID-02, ID-03),
    # and whether the owner wants it (ID-04), so that a choice made a moment before holds.
    settings = uow.alert_settings.get(user.id)
    uow.emit(SecurityAlertRaised(user_id=user.id, email=user.email, language=user.language, alert=alert,
                                 occurred_at=iso_utc(moment), first_name=user.first_name,
                                 time_zone=user.time_zone,
                                 details={k: v for k, v in details.items() if v is not None},
                                 mail=settings is None or settings.wants(alert)))


def wrong_password(uow, user: User, ip_address: str | None, user_agent: str | None) -> None:
    """ID-03: a wrong password for an existing login email is recorded and, at most once an hour,
    raised (the notifications service emails it unless the owner switched it off, ID-04)."""
    settings = alert_settings(uow, user.id)
    now = utcnow()
    due = settings.wrong_password_alerted_at is None or now - settings.wrong_password_alerted_at >= WRONG_PASSWORD_ALERT_INTERVAL
    if due:
        settings.wrong_password_alerted_at = now
    record(uow, user, "wrong-password", ip_address=ip_address, device=user_agent,
           details={"network": network_of(ip_address)}, alert="wrong-password" if due else None)


def signed_in(uow, user: User, ip_address: str | None, user_agent: str | None, amr: list[str]) -> None:
    """ID-02: a sign-in from a network or a device the account has not used before is emailed to
    its owner (not the very first sign-in of an account: there is nothing to compare with yet)."""
    network, device = network_of(ip_address), (user_agent or "")[:300] or None
    places = [(kind, value) for kind, value in ((NETWORK, network), (DEVICE, device)) if value is not None]
    known = uow.known_locations.among(user.id, places)
    has_history = bool(known) or uow.known_locations.any_of(user.id)
    new = []
    for kind, value in places:
        if (kind, value) in known:
            known[kind, value].last_seen_at = utcnow()
        else:
            uow.known_locations.add(KnownLocation(user_id=user.id, kind=kind, value=value))
            new.append(kind)
    details = {"network": network, "methods": list(amr), "new_network": NETWORK in new, "new_device": DEVICE in new}
    record(uow, user, "sign-in", ip_address=ip_address, device=device, details=details,
           alert="new-sign-in-location" if new and has_history else None)


def set_alert_preferences(uow, user_id: str, choices: dict) -> AlertSettings:
    """ID-04: the person's choice of optional alerts, announced so the notifications service
    applies it to the alerts that follow."""
    settings = alert_settings(uow, user_id)
    if "new_sign_in_location" in choices:
        settings.new_sign_in_location = bool(choices["new_sign_in_location"])
    if "wrong_password" in choices:
        settings.wrong_password = bool(choices["wrong_password"])
    uow.emit(AlertChoicesChanged(user_id=user_id, new_sign_in_location=settings.new_sign_in_location,
                                 wrong_password=settings.wrong_password, changed_at=iso_utc(uow.clock.now())))
    uow.commit()
    return settings
