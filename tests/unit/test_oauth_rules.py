"""ID-13: the rules of delegated access, without a stack (services/identity/domain/oauth.py,
gateway/domain/tokens.py, portico_kernel/scopes.py)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gateway.domain import tokens
from portico_kernel import scopes
from portico_kernel.errors import DomainError, Forbidden, NotFound
from services.identity.domain import oauth
from tests.unit.fakes import FakeUnitOfWork


class Rows:
    def __init__(self, key="id"):
        self.rows, self.key = [], key

    def add(self, row):
        self.rows.append(row)

    def get(self, key):
        return next((r for r in self.rows if getattr(r, self.key) == key), None)

    def of_grant(self, grant_id):
        return [r for r in self.rows if r.grant_id == grant_id]

    def live(self, user_id, org_id, client_id):
        return next((r for r in self.rows if (r.user_id, r.org_id, r.client_id) == (user_id, org_id, client_id)
                     and r.revoked_at is None), None)


def uow():
    return FakeUnitOfWork(oauth_clients=Rows(), oauth_grants=Rows(), oauth_families=Rows())


ADMIN = oauth.Registrar(user_id="u1", kind="customer", org_id="o1", roles=("administrator",))


@pytest.mark.parametrize("uri", ["https://app.example/cb", "http://127.0.0.1:9000/cb", "http://localhost/cb",
                                 "http://[::1]:8000/cb"])
def test_ID_13_redirect_uris_are_https_or_loopback(uri):
    assert oauth.check_redirect_uri(uri) == uri


@pytest.mark.parametrize("uri", ["http://app.example/cb", "https://app.example/cb#frag", "ftp://x/cb", "/cb",
                                 "javascript:alert(1)", "http://127.0.0.1.evil.example/cb"])
def test_ID_13_other_redirect_uris_are_refused(uri):
    with pytest.raises(DomainError):
        oauth.check_redirect_uri(uri)


def test_ID_13_identity_itself_is_never_a_delegable_scope():
    assert not any(s.startswith("identity:") for s in scopes.DELEGABLE_SCOPES)
    with pytest.raises(DomainError):
        oauth.check_scopes(["identity:write"])
    assert oauth.check_scopes(["openid", "billing:read", "billing:read"]) == ["billing:read", "openid"]


def test_ID_13_only_managers_of_the_organization_or_platform_admins_register():
    assert oauth.org_of_registrar(ADMIN) == "o1"
    assert oauth.org_of_registrar(oauth.Registrar("s", "staff", None, ("platform:admin",))) is None
    for who in (oauth.Registrar("u", "customer", "o1", ("collaborator",)),
                oauth.Registrar("u", "customer", "o1", ("external",)),
                oauth.Registrar("s", "staff", None, ("platform:support-agent",))):
        with pytest.raises(Forbidden):
            oauth.org_of_registrar(who)


def test_ID_13_a_secret_is_answered_once_and_only_its_hash_is_kept():
    work = uow()
    client, secret = oauth.register_client(work, ADMIN, name="Shop", redirect_uris=["https://shop.example/cb"],
                                           public=False, scopes=["billing:read"])
    assert secret.startswith("pcs_") and secret not in (client.secret_hash or "")
    assert client.secret_matches(secret) and not client.secret_matches(secret + "x")
    rotated, new = oauth.rotate_secret(work, ADMIN, client.id)
    assert rotated.secret_matches(new) and not rotated.secret_matches(secret)
    public, none = oauth.register_client(work, ADMIN, name="SPA", redirect_uris=["https://spa.example/cb"],
                                         public=True, scopes=["billing:read"])
    assert none is None and public.secret_hash is None
    with pytest.raises(NotFound):  # another organization's application
        oauth.rotate_secret(work, oauth.Registrar("u2", "customer", "o2", ("administrator",)), client.id)


def test_ID_13_pairwise_subjects_differ_per_client_and_public_ones_do_not():
    work = uow()
    one, _ = oauth.register_client(work, ADMIN, name="A", redirect_uris=["https://a.example/cb"], public=True,
                                   scopes=["openid"], subject_type="pairwise")
    two, _ = oauth.register_client(work, ADMIN, name="B", redirect_uris=["https://b.example/cb"], public=True,
                                   scopes=["openid"], subject_type="pairwise")
    plain, _ = oauth.register_client(work, ADMIN, name="C", redirect_uris=["https://c.example/cb"], public=True,
                                     scopes=["openid"])
    assert one.subject_of("p") != two.subject_of("p") and one.subject_of("p") == one.subject_of("p")
    assert plain.subject_of("p") == "p"


def test_ID_13_revoking_a_grant_revokes_its_token_families_and_only_its_owner_or_org_managers_may():
    work = uow()
    grant = oauth.OAuthGrant(id="g1", user_id="u1", org_id="o1", client_id="c", scopes=["orgs:read"],
                             created_at=datetime.now(timezone.utc))
    work.oauth_grants.add(grant)
    family = oauth.TokenFamily(id="f1", client_id="c", grant_id="g1", user_id="u1", org_id="o1", scope="orgs:read",
                               amr=[], created_at=datetime.now(timezone.utc))
    work.oauth_families.add(family)
    with pytest.raises(NotFound):
        oauth.revoke_grant_by(work, oauth.Viewer("u9", "customer", "o1", ("collaborator",)), "g1")
    with pytest.raises(NotFound):
        oauth.revoke_grant_by(work, oauth.Viewer("u9", "customer", "o2", ("administrator",)), "g1")
    assert oauth.revoke_grant_by(work, oauth.Viewer("u8", "customer", "o1", ("administrator",)), "g1") == ["g1", "f1"]
    assert grant.revoked_at and family.revoked_at


def test_ID_13_the_gateway_refuses_tokens_of_revoked_grants_or_families():
    assert tokens.revoked({"gid": "g1", "fid": "f1"}, frozenset({"f1"}))
    assert tokens.revoked({"gid": "g1", "fid": "f1"}, frozenset({"g1"}))
    assert not tokens.revoked({"gid": "g1", "fid": "f1"}, frozenset({"x"}))
    assert not tokens.revoked({"sub": "person"}, frozenset({"x"}))


def test_ID_13_an_applications_token_is_bound_by_its_scopes_whoever_it_acts_for():
    delegated = {"kind": "customer", "client_id": "c", "scope": "orgs:read"}
    scopes.ensure_granted(delegated, "orgs:read")
    for needed in ("orgs:write", "identity:read", None):
        with pytest.raises(Forbidden):
            scopes.ensure_granted(delegated, needed)
    scopes.ensure_granted({"kind": "customer"}, None)  # a person's own token: their role decides


def test_ID_13_the_gateway_signs_the_delegation_claims_into_access_tokens():
    claims = tokens.claims_of_token({"sub": "u", "kind": "customer", "org": "o", "roles": [], "amr": [],
                                     "scope": "orgs:read", "client_id": "c", "gid": "g", "fid": "f", "other": "x"},
                                    issuer="portico", audience="portico", now=datetime.now(timezone.utc),
                                    ttl=__import__("datetime").timedelta(seconds=300))
    assert {claims[k] for k in ("scope", "client_id", "gid", "fid")} == {"orgs:read", "c", "g", "f"}
    assert "other" not in claims and claims["aud"] == "portico"


def test_ID_13_ending_the_ground_revokes_the_grants_to_that_organization_once():
    work = uow()
    work.oauth_grants.live_of_user = lambda user_id: [g for g in work.oauth_grants.rows
                                                      if g.user_id == user_id and g.revoked_at is None]
    now = datetime(2026, 11, 26, tzinfo=timezone.utc)
    there = oauth.OAuthGrant(id="g1", user_id="u1", org_id="o1", client_id="c1", scopes=["orgs:read"], created_at=now)
    elsewhere = oauth.OAuthGrant(id="g2", user_id="u1", org_id="o2", client_id="c1", scopes=["orgs:read"], created_at=now)
    work.oauth_grants.add(there), work.oauth_grants.add(elsewhere)
    family = oauth.TokenFamily(id="f1", client_id="c1", grant_id="g1", user_id="u1", org_id="o1", scope="orgs:read",
                               amr=[], created_at=now)
    work.oauth_families.add(family)
    assert oauth.end_grants_of(work, "u1", "o1", "left the organization") == ["g1", "f1"]
    assert there.revoked_at and family.revoked_at and elsewhere.revoked_at is None
    assert oauth.end_grants_of(work, "u1", "o1", "left the organization") == []  # a redelivered event
    assert oauth.end_grants_of(work, "u1", None, "account closed", every_org=True) == ["g2"]


def test_ID_13_the_organization_picked_on_the_consent_page_is_one_offered():
    consent = oauth.OAuthConsent(token_hash="h", user_id="u1", org_id="o1", amr=[], auth_time=0, params={},
                                 expires_at=datetime(2026, 11, 26, tzinfo=timezone.utc), org_choices=["o1", "o2"])
    assert oauth.chosen_organization(consent, None) == "o1"
    assert oauth.chosen_organization(consent, "o2") == "o2"
    with pytest.raises(DomainError):
        oauth.chosen_organization(consent, "o3")


def test_ID_13_the_gateway_refuses_an_applications_token_once_its_ground_ended():
    token = {"sub": "u1", "org": "o1", "kind": "customer", "client_id": "c1", "iat": 1000}
    assert not tokens.ground_ended(token, {})
    assert tokens.ground_ended(token, {("o1", "u1"): (True, 900.0)})  # out of the organization
    assert tokens.ground_ended(token, {("o1", "u1"): (False, 1000.0)})  # issued before the last ending
    assert not tokens.ground_ended(token, {("o1", "u1"): (False, 999.0)})  # granted anew after joining again
    assert not tokens.ground_ended(token, {("o2", "u1"): (True, 2000.0)})  # another organization
    assert tokens.ground_ended(token, {(tokens.EVERY_ORGANIZATION, "u1"): (True, 1500.0)})  # account closed
    assert not tokens.ground_ended({**token, "client_id": None}, {("o1", "u1"): (True, 2000.0)})  # not delegated
