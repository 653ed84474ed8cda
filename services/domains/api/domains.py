from __future__ import annotations

from datetime import date, datetime, time, timezone

from portico_kernel.access import active_org
from portico_kernel.clock import iso_utc
from portico_kernel.errors import invalid_field
from portico_kernel.web import page_asked, paged, principal

from ..bootstrap import bootstrap
from ..domain import domains as rules


def _view(d, lock=None) -> dict:
    return {"id": d.id, "name": d.name, "status": d.status, "auto_renew": d.auto_renew,
            "expires_at": iso_utc(d.expires_at), "created_at": iso_utc(d.created_at),
            "renewal_warranty": d.renewal_warranty,
            "transfer_locked_until": iso_utc(lock.locked_until) if lock is not None else None,
            "transfer_lock_reason": lock.reason if lock is not None else None}


def _locks(uow, domains) -> dict:
    """DO-01: the domains' transfer locks still running (after a change of owner, per TLD)."""
    now = uow.clock.now()
    return {domain_id: lock for domain_id, lock in uow.settings.transfer_locks_of([d.id for d in domains]).items()
            if lock.locked_until > now}


def _moment(name: str, text: str | None) -> datetime | None:
    """A moment or a day (taken at 00:00 UTC); a moment without an offset is UTC."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=timezone.utc)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_field(name, "a date (2027-01-31) or a moment (2027-01-31T12:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def list_domains(status=None, expires_before=None, expires_after=None, limit=None, cursor=None):
    org_id = active_org(principal())
    before, after = _moment("expires_before", expires_before), _moment("expires_after", expires_after)
    with bootstrap().uow(reading=True) as uow:
        page = uow.domains.of_org(org_id, page_asked(limit, cursor), status=status,
                                  expires_before=before, expires_after=after)
        locks = _locks(uow, page.items)
        return paged(page, lambda d: _view(d, locks.get(d.id)))


def get_domain(domain_id: str):
    with bootstrap().uow(reading=True) as uow:
        domain = rules.domain_of(uow, principal(), domain_id)
        return _view(domain, _locks(uow, [domain]).get(domain.id))


def change_domain(domain_id: str, body: dict):
    with bootstrap().uow() as uow:
        domain = rules.set_auto_renew(uow, principal(), domain_id, body["auto_renew"])
        view = _view(domain, _locks(uow, [domain]).get(domain.id))
        uow.commit()
        return view
