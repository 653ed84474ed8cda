"""`/v1/orgs`: the organizations the caller belongs to, their members, 2FA policy and resellers."""
from __future__ import annotations

from portico_kernel.clock import iso_utc as _iso
from portico_kernel.web import page_asked, paged, principal

from ..bootstrap import bootstrap
from ..domain import members, organizations, resellers, two_factor


def _org_view(org, member) -> dict:
    return {"id": org.id, "name": org.name, "type": org.type, "country": org.country,
            "created_at": _iso(org.created_at), "my_role": member.role if member else None,
            "two_factor_required": org.two_factor_required}


def _member_view(m) -> dict:
    return {"user_id": m.user_id, "role": m.role, "email": m.email, "first_name": m.first_name,
            "last_name": m.last_name, "joined_at": _iso(m.joined_at)}


def list_organizations(limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        page = organizations.organizations_of(uow, principal(), page_asked(limit, cursor))
        return paged(page, lambda row: _org_view(*row))


def get_organization(org_id: str):
    with bootstrap().uow(reading=True) as uow:
        return _org_view(*organizations.visible_to(uow, principal(), org_id)), 200


def list_members(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        organizations.visible_to(uow, principal(), org_id)
        return paged(uow.members.of_organization(org_id, page_asked(limit, cursor)), _member_view)


def add_member(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        return _member_view(members.add_member(uow, principal(), org_id, body["user_id"], body["role"])), 201


def leave_organization(org_id: str):
    with bootstrap().uow() as uow:
        members.leave(uow, principal(), org_id)
    return None, 204


def set_two_factor_policy(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        org = two_factor.set_policy(uow, principal(), org_id, body["required"])
        return {"required": org.two_factor_required}, 200


def _link_view(link) -> dict:
    return {"reseller_org_id": link.reseller_org_id, "customer_org_id": link.customer_org_id,
            "linked_at": _iso(link.linked_at)}


def list_resellers(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(resellers.resellers_of(uow, principal(), org_id, page_asked(limit, cursor)), _link_view)


def link_reseller(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        return _link_view(resellers.link(uow, principal(), org_id, body["reseller_org_id"])), 201


def unlink_reseller(org_id: str, reseller_org_id: str):
    with bootstrap().uow() as uow:
        resellers.unlink(uow, principal(), org_id, reseller_org_id)
    return None, 204
