"""`/v1/orgs`: the organizations the caller belongs to, their members, 2FA policy and resellers."""
from __future__ import annotations

from portico_kernel.clock import iso_utc as _iso
from portico_kernel.errors import Forbidden
from portico_kernel.web import short_read, page_asked, paged, principal

from ..adapters.documents import pdf_of
from ..bootstrap import bootstrap
from ..domain import access, agreement, contacts, logos, seats, deletion, details, invitations, members, organizations, resellers, two_factor


def _org_view(org, my_role: str | None) -> dict:
    return {"id": org.id, "name": org.name, "type": org.type, "country": org.country,
            "created_at": _iso(org.created_at), "my_role": my_role,
            "two_factor_required": org.two_factor_required, "link_days": org.link_days, "reseller": org.is_reseller,
            "address": {"street": org.street, "house_number": org.house_number, "postcode": org.postcode,
                        "town": org.town, "country": org.country},
            "phone": org.phone, "vat_id": org.vat_id, "commercial_register": org.commercial_register}


def _member_view(m, uow=None) -> dict:
    view = {"user_id": m.user_id, "role": m.role, "email": m.email, "first_name": m.first_name,
            "last_name": m.last_name, "joined_at": _iso(m.joined_at), "blocked": m.blocked}
    if uow is not None:
        view["two_factor"] = uow.two_factor.enabled(m.user_id)
    return view


def _invitation_view(i, now) -> dict:
    return {"id": i.id, "org_id": i.org_id, "email": i.email, "role": i.role, "invited_by": i.invited_by,
            "status": i.state(now), "created_at": _iso(i.created_at), "expires_at": _iso(i.expires_at),
            "sent_count": i.sent_count, "product_access": list(i.product_access or [])}


@short_read
def list_organizations(limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        page = organizations.organizations_of(uow, principal(), page_asked(limit, cursor))
        return paged(page, lambda row: _org_view(*row))


@short_read
def get_organization(org_id: str):
    with bootstrap().uow(reading=True) as uow:
        org, member = organizations.visible_to(uow, principal(), org_id)
        return _org_view(org, member.role if member else None), 200


def delete_organization(org_id: str):
    with bootstrap().uow() as uow:
        deletion.delete(uow, principal(), org_id)
    return None, 204


def change_details(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        org = details.change(uow, principal(), org_id, body)
        member = uow.members.get(org_id, principal().user_id)
        return _org_view(org, member.role if member else None), 200


def list_members(org_id: str, limit=None, cursor=None, two_factor=None):
    """OR-11: `two_factor=false` lists the members without 2FA."""
    with bootstrap().uow(reading=True) as uow:
        organizations.visible_to(uow, principal(), org_id)
        page = uow.members.of_organization(org_id, page_asked(limit, cursor), two_factor=two_factor)
        return paged(page, lambda m: _member_view(m, uow))


def add_member(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        return _member_view(members.add_member(uow, principal(), org_id, body["user_id"], body["role"]), uow), 201


def change_role(org_id: str, user_id: str, body: dict):
    with bootstrap().uow() as uow:
        return _member_view(members.change_role(uow, principal(), org_id, user_id, body["role"]), uow), 200


def warn_member(org_id: str, user_id: str):
    with bootstrap().uow() as uow:
        members.warn_about_two_factor(uow, principal(), org_id, user_id)
    return None, 202


def block_member(org_id: str, user_id: str):
    with bootstrap().uow() as uow:
        return _member_view(members.block(uow, principal(), org_id, user_id), uow), 200


def unblock_member(org_id: str, user_id: str):
    with bootstrap().uow() as uow:
        return _member_view(members.unblock(uow, principal(), org_id, user_id), uow), 200


def remove_member(org_id: str, user_id: str, body: dict):
    with bootstrap().uow() as uow:
        members.remove(uow, principal(), org_id, user_id, confirmed=body["confirm"], product_data=body["product_data"],
                       transfer_to=body.get("transfer_to"))
    return None, 204


def set_link_days(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        org = invitations.set_link_days(uow, principal(), org_id, body["link_days"])
        return {"link_days": org.link_days}, 200


def list_invitations(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        now = uow.clock.now()
        page = invitations.invitations_of(uow, principal(), org_id, page_asked(limit, cursor))
        return paged(page, lambda i: _invitation_view(i, now))


def invite(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        invitation = invitations.invite(uow, principal(), org_id, body["email"], body["role"], body.get("product_access"))
        return _invitation_view(invitation, uow.clock.now()), 201


def revoke_invitation(org_id: str, invitation_id: str):
    with bootstrap().uow() as uow:
        return _invitation_view(invitations.revoke(uow, principal(), org_id, invitation_id), uow.clock.now()), 200


def resend_invitation(org_id: str, invitation_id: str):
    with bootstrap().uow() as uow:
        return _invitation_view(invitations.resend(uow, principal(), org_id, invitation_id), uow.clock.now()), 200


def accept_invitation(body: dict):
    with bootstrap().uow() as uow:
        member = invitations.accept(uow, principal(), body["token"])
        return {"org_id": member.org_id, "role": member.role}, 200


def check_invitation(body: dict):
    """The gateway asks before a sign-up through an invitation link (OR-03)."""
    caller = principal()
    if not (caller.is_service and caller.user_id == "gateway"):
        raise Forbidden("Only the gateway may call this.")
    with bootstrap().uow() as uow:
        invitation = invitations.usable(uow, body["token"], body["email"], uow.clock.now())
        return {"invitation_id": invitation.id, "org_id": invitation.org_id, "role": invitation.role}, 200


def leave_organization(org_id: str):
    with bootstrap().uow() as uow:
        members.leave(uow, principal(), org_id)
    return None, 204


def set_two_factor_policy(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        org = two_factor.set_policy(uow, principal(), org_id, body["required"])
        return {"required": org.two_factor_required}, 200


def set_reseller(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        org = resellers.make_reseller(uow, principal(), org_id, body["reseller"])
        return {"reseller": org.is_reseller}, 200


def create_customer(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        customer = resellers.create_customer(uow, principal(), org_id, body["name"], body["type"], body.get("country"))
        return _org_view(customer, None), 201


def list_customers(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(resellers.customers_of(uow, principal(), org_id, page_asked(limit, cursor)), _link_view)


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


def _product_view(p) -> dict:
    return {"product_type": p.product_type, "product_id": p.product_id, "provisioned_at": _iso(p.provisioned_at),
            "locked": p.locked, "maintenance": p.maintenance}


def lock_product(org_id: str, product_type: str, product_id: str):
    with bootstrap().uow() as uow:
        return _product_view(access.set_lock(uow, principal(), org_id, product_type, product_id, True)), 200


def unlock_product(org_id: str, product_type: str, product_id: str):
    with bootstrap().uow() as uow:
        return _product_view(access.set_lock(uow, principal(), org_id, product_type, product_id, False)), 200


def start_maintenance(org_id: str, product_type: str, product_id: str):
    with bootstrap().uow() as uow:
        return _product_view(access.set_maintenance(uow, principal(), org_id, product_type, product_id, True)), 200


def end_maintenance(org_id: str, product_type: str, product_id: str):
    with bootstrap().uow() as uow:
        return _product_view(access.set_maintenance(uow, principal(), org_id, product_type, product_id, False)), 200


def _grant_view(g) -> dict:
    return {"id": g.id, "holder": {"kind": g.holder_kind, "id": g.holder_id}, "scope": g.scope,
            "product_type": g.product_type, "product_id": g.product_id, "rights": list(g.rights),
            "granted_by": g.granted_by, "granted_at": _iso(g.granted_at)}


def _group_view(g) -> dict:
    return {"id": g.id, "name": g.name, "created_at": _iso(g.created_at)}


def list_products(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(access.products_of(uow, principal(), org_id, page_asked(limit, cursor)), _product_view)


def list_grants(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(access.grants_of(uow, principal(), org_id, page_asked(limit, cursor)), _grant_view)


def create_grant(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        created = access.grant(uow, principal(), org_id, holder_kind=body["holder"]["kind"],
                               holder_id=body["holder"].get("id"), scope=body["scope"],
                               product_type=body.get("product_type"), product_id=body.get("product_id"),
                               rights=body["rights"])
        return _grant_view(created), 201


def revoke_grant(org_id: str, grant_id: str):
    with bootstrap().uow() as uow:
        access.revoke(uow, principal(), org_id, grant_id)
    return None, 204


def member_access(org_id: str, user_id: str):
    with bootstrap().uow(reading=True) as uow:
        return {"org_id": org_id, "user_id": user_id, "grants": access.access_of(uow, principal(), org_id, user_id)}, 200


def list_work_groups(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(access.groups_of(uow, principal(), org_id, page_asked(limit, cursor)), _group_view)


def create_work_group(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        return _group_view(access.create_group(uow, principal(), org_id, body["name"])), 201


def add_to_work_group(org_id: str, group_id: str, user_id: str):
    with bootstrap().uow() as uow:
        access.add_to_group(uow, principal(), org_id, group_id, user_id)
    return None, 204


def remove_from_work_group(org_id: str, group_id: str, user_id: str):
    with bootstrap().uow() as uow:
        access.remove_from_group(uow, principal(), org_id, group_id, user_id)
    return None, 204


def _contact_view(c) -> dict:
    return {"id": c.id, "purpose": c.purpose, "name": c.name, "email": c.email, "phone": c.phone,
            "created_at": _iso(c.created_at)}


def _billing_address_view(a) -> dict:
    return {"id": a.id, "recipient": a.recipient, "street": a.street, "house_number": a.house_number,
            "postcode": a.postcode, "town": a.town, "country": a.country, "created_at": _iso(a.created_at)}


def list_contacts(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(contacts.contacts_of(uow, principal(), org_id, page_asked(limit, cursor)), _contact_view)


def add_contact(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        return _contact_view(contacts.add_contact(uow, principal(), org_id, body["purpose"], body["name"], body["email"],
                                                  body.get("phone"))), 201


def remove_contact(org_id: str, contact_id: str):
    with bootstrap().uow() as uow:
        contacts.remove_contact(uow, principal(), org_id, contact_id)
    return None, 204


def list_billing_addresses(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(contacts.billing_addresses_of(uow, principal(), org_id, page_asked(limit, cursor)),
                     _billing_address_view)


def add_billing_address(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        return _billing_address_view(contacts.add_billing_address(uow, principal(), org_id, body)), 201


def remove_billing_address(org_id: str, address_id: str):
    with bootstrap().uow() as uow:
        contacts.remove_billing_address(uow, principal(), org_id, address_id)
    return None, 204


def data_processing_agreement(org_id: str):
    with bootstrap().uow(reading=True) as uow:
        title, lines = agreement.agreement_for(uow, principal(), org_id)
    return pdf_of(title, lines), 200, {"Content-Type": "application/pdf",
                                       "Content-Disposition": f'attachment; filename="data-processing-agreement-{org_id}.pdf"'}


def set_logo(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        logo = logos.set_logo(uow, principal(), org_id, body["content_type"], body["data"])
        return {"content_type": logo.content_type, "size": len(logo.data), "updated_at": _iso(logo.updated_at)}, 200


def get_logo(org_id: str):
    with bootstrap().uow(reading=True) as uow:
        logo = logos.logo_of(uow, principal(), org_id)
        return bytes(logo.data), 200, {"Content-Type": logo.content_type, "X-Content-Type-Options": "nosniff"}


def _seat_view(seat, now) -> dict:
    return {"id": seat.id, "product_type": seat.product_type, "product_id": seat.product_id,
            "holder_id": seat.holder_id, "valid_until": _iso(seat.valid_until), "valid": seat.valid(now)}


def list_seats(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        now = uow.clock.now()
        return paged(seats.seats_of(uow, principal(), org_id, page_asked(limit, cursor)), lambda s: _seat_view(s, now))


def assign_seat(org_id: str, seat_id: str, body: dict):
    with bootstrap().uow() as uow:
        return _seat_view(seats.assign(uow, principal(), org_id, seat_id, body["user_id"]), uow.clock.now()), 200


def release_seat(org_id: str, seat_id: str):
    with bootstrap().uow() as uow:
        return _seat_view(seats.release(uow, principal(), org_id, seat_id), uow.clock.now()), 200
