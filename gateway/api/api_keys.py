"""`/v1/api-keys`: an organization's API keys for partners and resellers (OR-19, GW-03).

The keys live in the gateway's database; this worker re-reads them at once after a change, the
other workers within seconds (gateway/adapters/security.py).
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Forbidden, NotFound
from portico_kernel.web import page_asked, paged, principal

from ..adapters.keystore import now
from ..bootstrap import bootstrap
from ..domain import two_factor
from ..domain.api_keys import ApiKey, ensure_may_manage


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment else None


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _view(key: ApiKey) -> dict:
    return {"id": key.id, "org_id": key.org_id, "name": key.name, "prefix": key.prefix, "scopes": list(key.scopes),
            "rate_limit_per_minute": key.rate_limit, "created_at": _iso(key.created_at),
            "expires_at": _iso(key.expires_at), "revoked_at": _iso(key.revoked_at)}


def _manager_org() -> str:
    caller = principal()
    org_id = ensure_may_manage(caller)
    known = bootstrap().security.current
    if two_factor.blocks(caller.claims, "POST", "/v1/api-keys", orgs_requiring=known.orgs_requiring_two_factor,
                         people_with_two_factor=known.people_with_two_factor):
        raise Forbidden("Your organization requires two-factor authentication: set it up first.",
                        problem="two-factor-required")
    return org_id


async def create_api_key(body: dict):
    org_id = _manager_org()
    key, secret = ApiKey.issue(org_id=org_id, name=body["name"], scopes=body["scopes"],
                               rate_limit=body.get("rate_limit_per_minute"), expires_at=_moment(body.get("expires_at")),
                               created_by=principal().user_id, now=now())
    gateway = bootstrap()
    await asyncio.to_thread(gateway.security_store.add_key, key)
    await gateway.security.refresh()
    return {**_view(key), "secret": secret}, 201


async def list_api_keys(limit=None, cursor=None):
    org_id = _manager_org()
    return paged(await asyncio.to_thread(bootstrap().security_store.keys_of, org_id, page_asked(limit, cursor)), _view)


async def revoke_api_key(key_id: str):
    org_id = _manager_org()
    gateway = bootstrap()
    if not await asyncio.to_thread(gateway.security_store.revoke_key, org_id, key_id, now()):
        raise NotFound("No such API key.")
    await gateway.security.refresh()
    return None, 204
