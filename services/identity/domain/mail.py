"""Identity's mails to people — security alerts (ID-02, ID-03, ID-04) and the link that verifies a
new login email (ID-07) — as deliveries that are kept, retried and shown to support.

The consumer only records a delivery; the scheduler process sends what is due. A mail that cannot
be sent is never the end of the event that asked for it (nothing reaches the dead-letter queue
because of an address): a temporary failure is retried with back-off, a permanent one (the server
refuses the address) or too many failures mark it undeliverable, and support sees it.
"""
from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from portico_kernel.errors import Forbidden, NotFound
from portico_kernel.clock import utcnow
from portico_kernel.paging import Page, PageRequest

from .events import EmailChangeRequested, SecurityAlertRaised
from .model import hash_token, new_id

SECURITY_ALERT, EMAIL_CHANGE = "security-alert", "email-change"
PENDING, SENT, UNDELIVERABLE, CANCELLED = "pending", "sent", "undeliverable", "cancelled"
# After the first attempt fails, the next ones follow these waits; then the mail is undeliverable.
RETRY_WAITS = (timedelta(seconds=5), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
               timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(RETRY_WAITS) + 1
# A claimed delivery is someone's for this long: a scheduler that dies while sending leaves it to
# the others afterwards (the mail may then go out twice, never not at all).
CLAIM = timedelta(minutes=2)
ERROR_LENGTH = 300
# Staff who may see a person's mails (support): administrators and support agents of any department.
SUPPORT_ROLES = ("platform:admin", "platform:support-agent")
IDLE_WAIT = 1.0  # seconds between looks at the table when nothing is due


@dataclass(eq=False)
class MailDelivery:
    id: str
    user_id: str
    kind: str  # security-alert, email-change
    recipient: str
    details: dict  # what the mail is made from: the alert's payload, or the email change's id
    status: str = PENDING
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = field(default_factory=utcnow)
    created_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None


class SendFailed(Exception):
    """The mail server did not take the mail; `permanent` when it refused it for good (5xx)."""

    def __init__(self, reason: str, permanent: bool):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


# Identity's consumer records the mails its events ask for; sending is the scheduler's.
def on_security_alert_raised(alert: SecurityAlertRaised, uow) -> None:
    uow.mail_deliveries.add(MailDelivery(id=new_id(), user_id=alert.user_id, kind=SECURITY_ALERT,
                                         recipient=alert.email, details=asdict(alert)))


def on_email_change_requested(change: EmailChangeRequested, uow) -> None:
    uow.mail_deliveries.add(MailDelivery(id=new_id(), user_id=change.user_id, kind=EMAIL_CHANGE,
                                         recipient=change.new_email,
                                         details={"email_change_id": change.email_change_id}))


def claim_due(uow, limit: int = 20) -> list[str]:
    """Atomically takes up to `limit` due deliveries (several schedulers may run); each claim counts
    as an attempt, so a mail that crashes its sender is still bounded."""
    now = utcnow()
    claimed = uow.mail_deliveries.claim_due(now, now + CLAIM, limit)
    uow.commit()
    return claimed


def compose(uow, delivery_id: str, render_alert, render_email_change) -> tuple[str, str, str] | None:
    """(recipient, subject, body) of a claimed delivery, or None when it is no longer wanted. The
    verification link's secret is made here, at each attempt, and only its hash is kept."""
    delivery = uow.mail_deliveries.get(delivery_id)
    if delivery is None or delivery.status != PENDING:
        return None
    if delivery.kind == SECURITY_ALERT:
        subject, body = render_alert(delivery.details)
    else:
        change = uow.email_changes.get(delivery.details["email_change_id"])
        user = uow.users.get(delivery.user_id)
        if change is None or user is None or change.status != "pending":
            delivery.status, delivery.finished_at, delivery.next_attempt_at = CANCELLED, utcnow(), None
            uow.commit()
            return None
        token = secrets.token_urlsafe(32)
        change.token_hash = hash_token(token)
        subject, body = render_email_change(user, change, token)
    uow.commit()
    return delivery.recipient, subject, body


def send_due(new_uow, mailer, render_alert, render_email_change) -> int:
    """One round of the scheduler: claims what is due and sends it, each mail on its own (no
    transaction is held while the mail server answers). Returns how many were claimed."""
    with new_uow() as uow:
        claimed = claim_due(uow)
    for delivery_id in claimed:
        failure = None
        try:
            with new_uow() as uow:
                message = compose(uow, delivery_id, render_alert, render_email_change)
            if message is None:
                continue
            mailer.send(*message)
        except SendFailed as error:
            failure = error
        except Exception as error:  # a fault of ours is retried like a busy server, and visible
            failure = SendFailed(f"{type(error).__name__}: {error}", permanent=False)
        with new_uow() as uow:
            record_outcome(uow, delivery_id, failure)
    return len(claimed)


def record_outcome(uow, delivery_id: str, failure: SendFailed | None) -> None:
    delivery = uow.mail_deliveries.get(delivery_id)
    if delivery is None:
        return
    now = utcnow()
    if failure is None:
        delivery.status, delivery.finished_at, delivery.next_attempt_at = SENT, now, None
        delivery.last_error = None
    else:
        delivery.last_error = failure.reason[:ERROR_LENGTH]
        if failure.permanent or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.finished_at, delivery.next_attempt_at = UNDELIVERABLE, now, None
        else:
            delivery.next_attempt_at = now + RETRY_WAITS[delivery.attempts - 1]
    uow.commit()


def deliveries_of(uow, caller, user_id: str, page: PageRequest) -> Page[MailDelivery]:
    """Support sees the mails sent (or not) to a person, newest first."""
    if not (caller.is_staff and any(role in SUPPORT_ROLES or role.startswith("platform:support-agent:")
                                    for role in caller.roles)):
        raise Forbidden("Only the provider's administrators and support agents see a person's mails.")
    if uow.users.get(user_id) is None:
        raise NotFound("No such person.")
    return uow.mail_deliveries.of_user(user_id, page)
