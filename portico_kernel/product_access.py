"""OR-06, OR-07: may this caller do this to this product of this organization?

One answer for every service, from the caller's token and a read model of members' access that orgs
publishes (`MemberAccessChanged`: the member's complete access in one organization, so the latest
event replaces what a service kept). No call to orgs on a request. Framework-free, so domains use it;
the read model's table and handler are in portico_kernel/access_model.py.

- Administrators and legal representatives may do everything (OR-07), by the role in their token.
- An API key acting for the organization may do what its scopes let it (checked by the kernel).
- Collaborators and external users may do what their grants say (OR-06, OR-08): a grant covers one
  product, every current and future product of a type, or everything, with chosen rights; nobody
  but them manages a locked product (OR-12: an entry that denies `manage`).
- Another organization's product does not exist for the caller.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import yaml

from .errors import Forbidden, NotFound
from .principal import Principal
from .roles import MANAGING_ROLES

EVERY_RIGHT = "*"
MANAGE = "manage"
# BI-15: an organization's billing is a product type of its own; who holds `accounting` on it sees
# the invoices (billing) and may be sent them (notifications).
BILLING, ACCOUNTING = "billing", "accounting"
PRODUCT, TYPE, ALL = "product", "type", "all"
SCOPES = (PRODUCT, TYPE, ALL)


@lru_cache(maxsize=1)
def _product_types() -> dict:
    return yaml.safe_load((Path(__file__).parent.parent / "contracts" / "product-types.yaml").read_text())


def product_types() -> tuple[str, ...]:
    return tuple(_product_types()["types"])


def rights_of(product_type: str) -> tuple[str, ...]:
    """The rights a product of this type knows (`use`, `manage` and its own); () for an unknown type."""
    data = _product_types()
    if product_type not in data["types"]:
        return ()
    return tuple(data["common"]) + tuple(data["types"][product_type] or ())


def every_right() -> tuple[str, ...]:
    data = _product_types()
    seen = list(data["common"])
    for extra in data["types"].values():
        seen += [r for r in extra or () if r not in seen]
    return tuple(seen)


def covers(entry: dict, product_type: str, product_id: str) -> bool:
    scope = entry.get("scope")
    return (scope == ALL or (scope == TYPE and entry.get("product_type") == product_type)
            or (scope == PRODUCT and entry.get("product_type") == product_type and entry.get("product_id") == product_id))


def allows(entries: Iterable[dict], product_type: str, product_id: str, right: str) -> bool:
    """Whether access entries (as orgs publishes them) grant `right` on the product; an entry
    that denies it (a locked product's management, OR-12) wins over any grant."""
    entries = [e for e in entries if covers(e, product_type, product_id)]
    if any(right in e.get("denied", ()) for e in entries):
        return False
    return any(right in e.get("rights", ()) or EVERY_RIGHT in e.get("rights", ()) for e in entries)


def ensure_may(caller: Principal, org_id: str, product_type: str, product_id: str, right: str,
               access_of: Callable[[str, str], list[dict] | None]) -> None:
    """Raises unless the caller may exercise `right` on the product of `org_id`; `access_of(org_id,
    user_id)` reads the service's copy of the member's access (None when it knows of none)."""
    if caller.org_id != org_id:
        raise NotFound("No such product.")
    if caller.is_api_key or caller.has_role(*MANAGING_ROLES):
        return
    if caller.kind != "customer" or not allows(access_of(org_id, caller.user_id) or (), product_type, product_id, right):
        raise Forbidden(f"You have no '{right}' right on this product; an administrator of the organization can grant it.",
                        problem="no-product-access")
