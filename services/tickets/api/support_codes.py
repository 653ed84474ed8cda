"""TI-05: the organization's support code, and support's lookups by it."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from portico_kernel.clock import iso_utc
from portico_kernel.errors import NotFound
from portico_kernel.web import page_asked, paged, principal, problem_response
from portico_kernel.problems import from_domain_error

from ..adapters.sealing import code_digests
from ..bootstrap import bootstrap
from ..domain import support_codes


def _code_view(code) -> dict:
    return {"code": code.code, "created_at": iso_utc(code.created_at)}


def _lookup_view(lookup) -> dict:
    return {"id": lookup.id, "staff_id": lookup.staff_id, "looked_up_at": iso_utc(lookup.looked_up_at),
            "result": lookup.result, "org_id": lookup.org_id}


def get_support_code():
    caller = principal()
    for attempt in range(2):  # two first looks at once: one makes the code, the other reads it
        try:
            with bootstrap().uow() as uow:
                code = support_codes.code_of(uow, code_digests(), caller, uow.clock.now())
                uow.commit()
                return _code_view(code)
        except IntegrityError:
            if attempt:
                raise


def regenerate_support_code():
    caller = principal()
    for attempt in range(2):
        try:
            with bootstrap().uow() as uow:
                code = support_codes.regenerate(uow, code_digests(), caller, uow.clock.now())
                uow.commit()
                return _code_view(code)
        except IntegrityError:
            if attempt:
                raise


def look_up_support_code(body: dict):
    caller = principal()
    with bootstrap().uow() as uow:
        outcome = support_codes.look_up(uow, code_digests(), caller, body["code"], uow.clock.now())
        answer = _lookup_view(outcome.lookup)
        uow.commit()  # the lookup is recorded whatever its answer
    if outcome.result == support_codes.THROTTLED:
        status, problem = from_domain_error(support_codes.refused(outcome))
        return problem_response(status, problem, {"Retry-After": str(outcome.retry_after)})
    if outcome.result == support_codes.WRONG:
        raise NotFound("No organization has this support code.", invalid_params=[{"name": "code", "reason": "matches no organization"}])
    return answer


def list_support_code_lookups(limit=None, cursor=None, staff_id=None, org_id=None):
    caller = principal()
    with bootstrap().uow(reading=True) as uow:
        return paged(support_codes.lookups_of(uow, caller, page_asked(limit, cursor), staff_id=staff_id, org_id=org_id),
                     _lookup_view)
