"""GW-03 / OR-19: what the gateway checks of a call made with an API key (gateway/domain/api_keys.py `admit`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from portico_kernel.errors import Forbidden, Invalid, TooManyRequests, Unauthorized
from portico_kernel.scopes import InsufficientScope
from gateway.domain.api_keys import ApiKey, admit

RESELLER, CUSTOMER, STRANGER = "org-reseller", "org-customer", "org-stranger"


@dataclass
class Known:
    keys_by_prefix: dict = field(default_factory=dict)
    customers_of: dict = field(default_factory=dict)

    def manages(self, reseller_org_id: str, customer_org_id: str) -> bool:
        return customer_org_id in self.customers_of.get(reseller_org_id, ())


def go_ahead(key_id: str, per_minute: int) -> float:
    return 0.0


@pytest.fixture
def known():
    return Known(customers_of={RESELLER: {CUSTOMER}})


def issued(known, clock, scopes=("orgs:read",), **options) -> tuple[ApiKey, str]:
    key, secret = ApiKey.issue(org_id=RESELLER, name="partner", scopes=list(scopes), rate_limit=None,
                               expires_at=options.get("expires_at"), created_by="u-1", now=clock.now())
    known.keys_by_prefix[key.prefix] = key
    return key, secret


def check(known, clock, presented, *, service="orgs", method="GET", org_id=None, take=go_ahead):
    return admit(presented, known, service=service, method=method, org_id=org_id, now=clock.now(), take=take)


def test_GW_03_a_valid_key_acts_for_its_own_organization(known, clock):
    key, secret = issued(known, clock)
    assert check(known, clock, secret) == (key, RESELLER)


@pytest.mark.parametrize("presented", ["pk_nope_nope", "not-a-key", "pk_", "pk_abc"])
def test_GW_03_an_unknown_or_malformed_key_is_refused(known, clock, presented):
    issued(known, clock)
    with pytest.raises(Unauthorized) as refused:
        check(known, clock, presented)
    assert refused.value.problem == "invalid-api-key"


def test_GW_03_a_wrong_secret_is_refused(known, clock):
    key, secret = issued(known, clock)
    with pytest.raises(Unauthorized, match="unknown or revoked"):
        check(known, clock, secret[:-2] + "xx")


def test_GW_03_a_revoked_key_is_refused(known, clock):
    key, secret = issued(known, clock)
    key.revoke(clock.now())
    with pytest.raises(Unauthorized, match="expired"):
        check(known, clock, secret)


def test_GW_03_a_key_is_refused_once_it_expires(known, clock):
    key, secret = issued(known, clock, expires_at=clock.now() + timedelta(days=1))
    check(known, clock, secret)
    clock.advance(days=1)
    with pytest.raises(Unauthorized, match="expired") as refused:
        check(known, clock, secret)
    assert refused.value.problem == "invalid-api-key"


def test_GW_03_an_expiry_in_the_past_cannot_be_set(known, clock):
    with pytest.raises(Invalid):
        issued(known, clock, expires_at=clock.now())


def test_GW_03_a_key_past_its_rate_limit_waits(known, clock):
    key, secret = issued(known, clock)
    with pytest.raises(TooManyRequests) as refused:
        check(known, clock, secret, take=lambda key_id, per_minute: 2.2)
    assert refused.value.problem == "rate-limited" and refused.value.extra == {"retry_after": 3}


def test_OR_19_a_reseller_key_acts_for_the_organizations_it_manages(known, clock):
    key, secret = issued(known, clock)
    assert check(known, clock, secret, org_id=CUSTOMER) == (key, CUSTOMER)
    with pytest.raises(Forbidden) as refused:
        check(known, clock, secret, org_id=STRANGER)
    assert refused.value.problem == "not-a-managed-organization"


@pytest.mark.parametrize("scopes, service, method, allowed", [
    (("orgs:read",), "orgs", "GET", True),
    (("orgs:read",), "orgs", "HEAD", True),
    (("orgs:read",), "orgs", "POST", False),
    (("orgs:write",), "orgs", "GET", True),  # writing includes reading
    (("orgs:write",), "orgs", "DELETE", True),
    (("orgs:write",), "billing", "GET", False),
])
def test_OR_19_a_key_does_only_what_its_scopes_grant(known, clock, scopes, service, method, allowed):
    key, secret = issued(known, clock, scopes=scopes)
    if allowed:
        check(known, clock, secret, service=service, method=method)
        return
    with pytest.raises(InsufficientScope) as refused:
        check(known, clock, secret, service=service, method=method)
    assert refused.value.problem == "insufficient-scope"
    assert refused.value.extra["required_scope"] == f"{service}:{'read' if method == 'GET' else 'write'}"


def test_OR_19_unknown_scopes_are_refused(known, clock):
    with pytest.raises(Invalid) as refused:
        issued(known, clock, scopes=("orgs:admin",))
    assert refused.value.problem == "unknown-scope"
