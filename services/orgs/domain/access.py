"""OR-06, OR-07, OR-08: who may use and manage which products of an organization.

Products are known from the services that provision them (`ProductProvisioned`, `ProductRemoved`).
Administrators and legal representatives grant rights — per product, for every current and future
product of a type, or for everything — to a member, a work group or everyone (external users are
left out of that); the rights each product type knows are data (contracts/product-types.yaml).
Whenever a member's access changes, orgs announces all of it (`MemberAccessChanged`); every service
keeps that copy and decides with the kernel's rule (portico_kernel/product_access.py).
"""
from __future__ import annotations

from portico_kernel import product_access
from portico_kernel.errors import Conflict, Invalid, NotFound
from portico_kernel.paging import ALL, Page, PageRequest
from portico_kernel.principal import Principal
from portico_kernel.roles import EXTERNAL, MANAGING_ROLES

from .events import MemberAccessChanged, ProductProvisioned, ProductRemoved, ProductStateChanged
from .model import EVERYONE, GROUP, MEMBER, Grant, Product, WorkGroup, WorkGroupMember, new_id
from .organizations import managing, visible_to


def on_product_provisioned(provisioned: ProductProvisioned, uow) -> None:
    if uow.products.get(provisioned.product_type, provisioned.product_id) is None:
        uow.products.add(Product(product_type=provisioned.product_type, product_id=provisioned.product_id,
                                 org_id=provisioned.org_id, provisioned_at=uow.received.occurred_at))


def on_product_removed(removed: ProductRemoved, uow) -> None:
    product = uow.products.get(removed.product_type, removed.product_id)
    if product is None:
        return
    affected = set()
    for grant in uow.grants.on_product(product.org_id, removed.product_type, removed.product_id):
        affected |= _holders(uow, grant)
        uow.grants.remove(grant)
    uow.products.remove(product)
    announce(uow, product.org_id, affected)


def effective_access(uow, org_id: str, user_id: str) -> list[dict]:
    """The member's access as every service will see it."""
    member = uow.members.get(org_id, user_id)
    if member is None or member.blocked:
        return []
    if member.role in MANAGING_ROLES:  # OR-07
        return [{"scope": product_access.ALL, "product_type": None, "product_id": None, "rights": [product_access.EVERY_RIGHT]}]
    groups = [g.group_id for g in uow.work_groups.memberships_of(org_id, user_id)]
    held = [g for g in uow.grants.of_organization(org_id)
            if (g.holder_kind == MEMBER and g.holder_id == user_id) or (g.holder_kind == GROUP and g.holder_id in groups)
            or (g.holder_kind == EVERYONE and member.role != EXTERNAL)]
    # OR-12: a locked product is managed by administrators and legal representatives only
    locks = [{"scope": product_access.PRODUCT, "product_type": p.product_type, "product_id": p.product_id,
              "rights": [], "denied": [product_access.MANAGE]} for p in uow.products.locked_in(org_id)]
    # OR-16: a team-member seat shares its plan
    now = uow.clock.now()
    seats = [{"scope": product_access.PRODUCT, "product_type": s.product_type, "product_id": s.product_id,
              "rights": ["use"]} for s in uow.seats.held_by(org_id, user_id) if s.valid(now)]
    return [g.entry() for g in held] + seats + locks


def announce(uow, org_id: str, user_ids) -> None:
    for user_id in sorted(set(user_ids)):
        uow.emit(MemberAccessChanged(org_id=org_id, user_id=user_id, grants=effective_access(uow, org_id, user_id)),
                 org_id=org_id)


def _holders(uow, grant: Grant) -> set[str]:
    if grant.holder_kind == MEMBER:
        return {grant.holder_id}
    if grant.holder_kind == GROUP:
        return {m.user_id for m in uow.work_groups.members_of(grant.holder_id)}
    return {m.user_id for m in uow.members.of_organization(grant.org_id)}


def _checked_rights(rights: list[str], known: tuple[str, ...]) -> list[str]:
    unknown = [r for r in rights if r not in known]
    if unknown or not rights:
        raise Invalid(f"Rights this grant cannot hold: {', '.join(unknown) or '(none given)'}; known: {', '.join(known)}.",
                      invalid_params=[{"name": "rights", "reason": "unknown for the product type" if unknown else "empty"}])
    return sorted(set(rights), key=rights.index)


def checked_scope(uow, org_id: str, scope: str, product_type: str | None, product_id: str | None,
                  rights: list[str]) -> tuple[str, str | None, str | None, list[str]]:
    """What a grant covers and which rights, as the product type allows (OR-06)."""
    if scope == product_access.PRODUCT:
        product = uow.products.get(product_type, product_id) if product_type and product_id else None
        if product is None or product.org_id != org_id:
            raise NotFound("The organization has no such product.", problem="unknown-product")
        rights = _checked_rights(rights, product_access.rights_of(product_type))
    elif scope == product_access.TYPE:
        if product_type not in product_access.product_types():
            raise Invalid(f"Unknown product type: {product_type}.",
                          invalid_params=[{"name": "product_type", "reason": "unknown product type"}])
        rights, product_id = _checked_rights(rights, product_access.rights_of(product_type)), None
    else:
        rights, product_type, product_id = _checked_rights(rights, product_access.every_right()), None, None
    return scope, product_type, product_id, rights


def grant(uow, caller: Principal, org_id: str, *, holder_kind: str, holder_id: str | None, scope: str,
          product_type: str | None, product_id: str | None, rights: list[str]) -> Grant:
    managing(uow, caller, org_id)
    if holder_kind == MEMBER:
        if not holder_id or uow.members.get(org_id, holder_id) is None:
            raise NotFound("This person is not a member of the organization.", problem="unknown-member")
    elif holder_kind == GROUP:
        group = uow.work_groups.get(holder_id) if holder_id else None
        if group is None or group.org_id != org_id:
            raise NotFound("No such work group.", problem="unknown-work-group")
    else:
        holder_id = None
    scope, product_type, product_id, rights = checked_scope(uow, org_id, scope, product_type, product_id, rights)
    created = Grant(id=new_id(), org_id=org_id, holder_kind=holder_kind, holder_id=holder_id, scope=scope,
                    product_type=product_type, product_id=product_id, rights=rights, granted_by=caller.user_id,
                    granted_at=uow.clock.now())
    uow.grants.add(created)
    announce(uow, org_id, _holders(uow, created))
    uow.commit()
    return created


def revoke(uow, caller: Principal, org_id: str, grant_id: str) -> None:
    managing(uow, caller, org_id)
    existing = uow.grants.get(grant_id)
    if existing is None or existing.org_id != org_id:
        raise NotFound("No such grant.")
    affected = _holders(uow, existing)
    uow.grants.remove(existing)
    uow.flush()
    announce(uow, org_id, affected)
    uow.commit()


def grants_of(uow, caller: Principal, org_id: str, page: PageRequest = ALL) -> Page[Grant]:
    managing(uow, caller, org_id)
    return uow.grants.of_organization(org_id, page)


def products_of(uow, caller: Principal, org_id: str, page: PageRequest = ALL) -> Page[Product]:
    visible_to(uow, caller, org_id)
    return uow.products.of_organization(org_id, page)


def access_of(uow, caller: Principal, org_id: str, user_id: str) -> list[dict]:
    """A member sees their own access; administrators and legal representatives everyone's."""
    if caller.is_api_key or caller.user_id != user_id:
        managing(uow, caller, org_id)
    else:
        visible_to(uow, caller, org_id)
    if uow.members.get(org_id, user_id) is None:
        raise NotFound("This person is not a member of the organization.", problem="unknown-member")
    return effective_access(uow, org_id, user_id)


def create_group(uow, caller: Principal, org_id: str, name: str) -> WorkGroup:
    managing(uow, caller, org_id)
    name = name.strip()
    if not name:
        raise Invalid("A work group needs a name.", invalid_params=[{"name": "name", "reason": "empty"}])
    group = WorkGroup(id=new_id(), org_id=org_id, name=name, created_at=uow.clock.now())
    uow.work_groups.add(group)
    uow.commit()
    return group


def groups_of(uow, caller: Principal, org_id: str, page: PageRequest = ALL) -> Page[WorkGroup]:
    visible_to(uow, caller, org_id)
    return uow.work_groups.of_organization(org_id, page)


def _group(uow, org_id: str, group_id: str) -> WorkGroup:
    group = uow.work_groups.get(group_id)
    if group is None or group.org_id != org_id:
        raise NotFound("No such work group.", problem="unknown-work-group")
    return group


def add_to_group(uow, caller: Principal, org_id: str, group_id: str, user_id: str) -> None:
    """OR-08: adding a person to a group grants them the group's rights."""
    managing(uow, caller, org_id)
    _group(uow, org_id, group_id)
    if uow.members.get(org_id, user_id) is None:
        raise NotFound("This person is not a member of the organization.", problem="unknown-member")
    if uow.work_groups.membership(group_id, user_id) is not None:
        raise Conflict("This member is in the work group already.", problem="already-in-work-group")
    uow.work_groups.add_member(WorkGroupMember(group_id=group_id, user_id=user_id, org_id=org_id, added_at=uow.clock.now()))
    uow.flush()
    announce(uow, org_id, {user_id})
    uow.commit()


def remove_from_group(uow, caller: Principal, org_id: str, group_id: str, user_id: str) -> None:
    managing(uow, caller, org_id)
    _group(uow, org_id, group_id)
    membership = uow.work_groups.membership(group_id, user_id)
    if membership is None:
        raise NotFound("This member is not in the work group.")
    uow.work_groups.remove_member(membership)
    uow.flush()
    announce(uow, org_id, {user_id})
    uow.commit()


def forget_member(uow, org_id: str, user_id: str) -> None:
    """A member who leaves or is removed keeps no grant and no work group here; services hear that
    they hold nothing any more."""
    for held in uow.grants.of_organization(org_id):
        if held.holder_kind == MEMBER and held.holder_id == user_id:
            uow.grants.remove(held)
    for membership in uow.work_groups.memberships_of(org_id, user_id):
        uow.work_groups.remove_member(membership)
    uow.emit(MemberAccessChanged(org_id=org_id, user_id=user_id, grants=[]), org_id=org_id)


MAIL = "mailbox"


def _product(uow, org_id: str, product_type: str, product_id: str) -> Product:
    product = uow.products.get(product_type, product_id)
    if product is None or product.org_id != org_id:
        raise NotFound("The organization has no such product.", problem="unknown-product")
    return product


def _announce_state(uow, org_id: str, product: Product, by: str) -> None:
    uow.emit(ProductStateChanged(org_id=org_id, product_type=product.product_type, product_id=product.product_id,
                                 locked=product.locked, maintenance=product.maintenance, changed_by=by), org_id=org_id)


def set_lock(uow, caller: Principal, org_id: str, product_type: str, product_id: str, locked: bool) -> Product:
    """OR-12: administrators and legal representatives lock and unlock a product's management;
    while locked nobody else manages it, and the members are told by mail (ProductStateChanged). A
    mail product is not locked: it has a maintenance mode instead."""
    managing(uow, caller, org_id)
    product = _product(uow, org_id, product_type, product_id)
    if product_type == MAIL and locked:
        raise Conflict("A mail product cannot be locked; put it into maintenance instead.", problem="mail-cannot-be-locked")
    if product.locked != locked:
        product.locked = locked
        uow.flush()
        _announce_state(uow, org_id, product, caller.user_id)
        announce(uow, org_id, {m.user_id for m in uow.members.of_organization(org_id)})
        uow.commit()
    return product


def set_maintenance(uow, caller: Principal, org_id: str, product_type: str, product_id: str, on: bool) -> Product:
    """OR-12: a mail product in maintenance still receives mail, and nobody can read it."""
    managing(uow, caller, org_id)
    product = _product(uow, org_id, product_type, product_id)
    if product_type != MAIL:
        raise Conflict("Only mail products have a maintenance mode; lock this one instead.", problem="maintenance-for-mail-only")
    if product.maintenance != on:
        product.maintenance = on
        _announce_state(uow, org_id, product, caller.user_id)
        uow.commit()
    return product


def grant_on_joining(uow, org_id: str, user_id: str, specs: list[dict], granted_by: str) -> None:
    """OR-03: the product access an invitation named becomes the new member's grants."""
    for spec in specs:
        uow.grants.add(Grant(id=new_id(), org_id=org_id, holder_kind=MEMBER, holder_id=user_id, scope=spec["scope"],
                             product_type=spec.get("product_type"), product_id=spec.get("product_id"),
                             rights=list(spec["rights"]), granted_by=granted_by, granted_at=uow.clock.now()))
