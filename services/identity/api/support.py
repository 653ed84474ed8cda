"""`/v1/users/{user_id}/...`: what the provider's support sees of a person (staff only)."""
from __future__ import annotations

from portico_kernel.web import page_asked, paged, principal

from ..bootstrap import bootstrap
from ..domain import mail
from ._views import iso

def _delivery_view(delivery: mail.MailDelivery) -> dict:
    view = {"id": delivery.id, "kind": delivery.kind, "recipient": delivery.recipient, "status": delivery.status,
            "attempts": delivery.attempts, "last_error": delivery.last_error,
            "next_attempt_at": iso(delivery.next_attempt_at), "created_at": iso(delivery.created_at),
            "finished_at": iso(delivery.finished_at)}
    if delivery.kind == mail.SECURITY_ALERT:
        view["alert"] = delivery.details.get("alert")
    return view


def list_mail_deliveries(user_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(mail.deliveries_of(uow, principal(), user_id, page_asked(limit, cursor)), _delivery_view)
