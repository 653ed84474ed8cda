"""DO-01: a domain's name servers, contacts, transfer auth code and change of owner."""
from __future__ import annotations

from portico_kernel.access import active_org
from portico_kernel.clock import iso_utc
from portico_kernel.web import principal

from ..bootstrap import bootstrap, manage_tools
from ..domain import manage


def _caller():
    caller = principal()
    active_org(caller)
    return caller


def _iso(view: dict) -> dict:
    return {k: (iso_utc(v) if hasattr(v, "tzinfo") and v is not None else _iso(v) if isinstance(v, dict) else v)
            for k, v in view.items()}


def get_nameservers(domain_id):
    with bootstrap().uow(reading=True) as uow:
        return manage.nameservers_of(uow, _caller(), domain_id)


def put_nameservers(domain_id, body):
    with bootstrap().uow() as uow:
        return manage.set_nameservers(uow, manage_tools(), _caller(), domain_id, body.get("nameservers"))


def get_contacts(domain_id):
    with bootstrap().uow(reading=True) as uow:
        return manage.contacts_of(uow, _caller(), domain_id)


def put_contacts(domain_id, body):
    with bootstrap().uow() as uow:
        return manage.set_contacts(uow, manage_tools(), _caller(), domain_id, body)


def get_transfer(domain_id):
    with bootstrap().uow(reading=True) as uow:
        return _iso(manage.auth_code_status(uow, _caller(), domain_id))


def issue_auth_code(domain_id):
    with bootstrap().uow() as uow:
        return _iso(manage.issue_auth_code(uow, manage_tools(), _caller(), domain_id)), 201, {"Cache-Control": "no-store"}


def request_owner_change(domain_id, body):
    with bootstrap().uow() as uow:
        return _iso(manage.request_owner_change(uow, manage_tools(), _caller(), domain_id, body)), 202


def confirm_owner_change(domain_id, body):
    with bootstrap().uow() as uow:
        return _iso(manage.confirm_owner_change(uow, manage_tools(), _caller(), domain_id, body.get("token")))
