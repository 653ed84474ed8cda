"""`/v1/orgs`: the organizations the caller belongs to."""
from __future__ import annotations

from portico_kernel.web import principal

from ..bootstrap import bootstrap
from ..domain import organizations


def _iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def _org_view(org, member) -> dict:
    return {"id": org.id, "name": org.name, "type": org.type, "country": org.country,
            "created_at": _iso(org.created_at), "my_role": member.role}


def list_organizations():
    with bootstrap().uow() as uow:
        return [_org_view(org, member) for org, member in organizations.organizations_of(uow, principal().user_id)], 200


def get_organization(org_id: str):
    with bootstrap().uow() as uow:
        org, member = organizations.membership_in(uow, org_id, principal().user_id)
        return _org_view(org, member), 200


def list_members(org_id: str):
    with bootstrap().uow() as uow:
        organizations.membership_in(uow, org_id, principal().user_id)
        return [{"user_id": m.user_id, "role": m.role, "email": m.email, "first_name": m.first_name,
                 "last_name": m.last_name, "joined_at": _iso(m.joined_at)}
                for m in uow.members.of_organization(org_id)], 200
