"""ID-13 (GW-01, OR-19): Portico as an OAuth 2.0 / OpenID Connect provider.

A standard client library (Authlib's OAuth2Session over requests) completes the authorization-code
flow against the running suite; the "browser" is a plain requests session that fills in the
consent page's forms. Every attack of the issue is a test here.
"""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client.errors import OAuthError

from tests.helpers import PASSWORD, bearer, claims_of, eventually

REDIRECT = "http://127.0.0.1:8765/callback"
PROBLEMS = "https://portico.dev/problems/"


def register(api, owner: dict, *, public: bool = False, scopes=("orgs:read", "openid", "profile", "email"),
             redirect_uris=(REDIRECT,), **fields) -> dict:
    response = api.post("/v1/oauth/clients", {"name": "Accounting tool", "redirect_uris": list(redirect_uris),
                                              "public": public, "scopes": list(scopes), **fields}, owner["token"])
    assert response.status_code == 201, response.text
    return response.json()


def session(client: dict, scope: str = "orgs:read openid", redirect_uri: str = REDIRECT) -> OAuth2Session:
    return OAuth2Session(client["client_id"], client.get("client_secret"), scope=scope, redirect_uri=redirect_uri,
                         code_challenge_method="S256",
                         token_endpoint_auth_method="none" if client["public"] else "client_secret_basic")


def consent(api, person: dict, url: str, decision: str = "allow") -> requests.Response:
    """The person in a browser: opens the page, signs in, allows (or denies); the final answer."""
    browser = requests.Session()
    page = browser.get(url, timeout=30, allow_redirects=False)
    if page.status_code != 200:
        return page
    signed_in = browser.post(url, data={"step": "sign-in", "email": person["email"], "password": PASSWORD},
                             timeout=30, allow_redirects=False)
    assert signed_in.status_code == 200, signed_in.text
    token = re.search(r'name="consent" value="([^"]+)"', signed_in.text)
    assert token, signed_in.text
    return browser.post(url, data={"step": "consent", "consent": token.group(1), "decision": decision},
                        timeout=30, allow_redirects=False)


def verifier_and_challenge() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorized(api, person, client, scope="orgs:read openid", nonce=None) -> tuple[OAuth2Session, str, str]:
    """(session, the redirect with the code, the code verifier)."""
    oauth = session(client, scope)
    verifier = secrets.token_urlsafe(48)
    url, _ = oauth.create_authorization_url(api.url("/oauth/authorize"), code_verifier=verifier,
                                            **({"nonce": nonce} if nonce else {}))
    answer = consent(api, person, url)
    assert answer.status_code == 302, answer.text
    return oauth, answer.headers["Location"], verifier


def tokens_for(api, person, client, scope="orgs:read openid", nonce=None) -> tuple[OAuth2Session, dict]:
    oauth, location, verifier = authorized(api, person, client, scope, nonce)
    return oauth, oauth.fetch_token(api.url("/oauth/token"), authorization_response=location, code_verifier=verifier)


def raw_token(api, form: dict, client: dict | None = None) -> requests.Response:
    auth = (client["client_id"], client["client_secret"]) if client and client.get("client_secret") else None
    return requests.post(api.url("/oauth/token"), data=form, auth=auth, timeout=30)


def oauth_error(response) -> str:
    assert response.status_code in (400, 401), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == PROBLEMS + "oauth-error"
    return body["error"]


@pytest.fixture(scope="module")
def owner(api):
    return api.customer_with_org()


@pytest.fixture(scope="module")
def client(api, owner):
    return register(api, owner)


# --- 6. a standard client library completes the flow -------------------------------------------

def test_ID_13_a_standard_oauth_client_completes_the_authorization_code_flow_and_calls_the_api(api, owner, client):
    nonce = secrets.token_urlsafe(12)
    oauth, token = tokens_for(api, owner, client, "orgs:read openid email", nonce=nonce)
    claims = claims_of(token["access_token"])
    assert claims["aud"] == "portico" and claims["client_id"] == client["client_id"]
    assert claims["org"] == owner["org_id"] and claims["sub"] == owner["user_id"]
    assert claims["scope"] == "orgs:read openid email"
    assert oauth.get(api.url(f"/v1/orgs/{owner['org_id']}")).status_code == 200
    # the ID token is signed with the keys of the JWKS, for this client, with the nonce
    metadata = requests.get(api.url("/.well-known/openid-configuration"), timeout=30).json()
    keys = jwt.PyJWKClient(metadata["jwks_uri"])
    id_token = token["id_token"]
    id_claims = jwt.decode(id_token, keys.get_signing_key_from_jwt(id_token).key, algorithms=["EdDSA"],
                           audience=client["client_id"], issuer=metadata["issuer"])
    assert id_claims["sub"] == owner["user_id"] and id_claims["nonce"] == nonce
    assert id_claims["email"] == owner["email"]
    # an ID token is no access token
    assert api.get(f"/v1/orgs/{owner['org_id']}", id_token).status_code == 401


def test_ID_13_discovery_documents_name_the_endpoints_and_the_keys(api):
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        document = requests.get(api.url(path), timeout=30).json()
        assert document["token_endpoint"].endswith("/oauth/token")
        assert document["authorization_endpoint"].endswith("/oauth/authorize")
        assert document["code_challenge_methods_supported"] == ["S256"]
        assert "billing:read" in document["scopes_supported"] and "identity:write" not in document["scopes_supported"]
        assert {"public", "pairwise"} <= set(document["subject_types_supported"])


# --- 1. clients ---------------------------------------------------------------------------------

def test_ID_13_the_secret_is_shown_once_and_can_be_rotated(api, owner):
    confidential = register(api, owner, scopes=["orgs:read"])
    assert confidential["client_secret"].startswith("pcs_")
    listed = api.get("/v1/oauth/clients", owner["token"]).json()
    mine = next(c for c in listed if c["client_id"] == confidential["client_id"])
    assert "client_secret" not in mine
    form = {"grant_type": "client_credentials", "scope": "orgs:read"}
    assert raw_token(api, form, confidential).status_code == 200
    rotated = api.post(f"/v1/oauth/clients/{confidential['client_id']}/secret", None, owner["token"])
    assert rotated.status_code == 200, rotated.text
    assert oauth_error(raw_token(api, form, confidential)) == "invalid_client"
    assert raw_token(api, form, {**confidential, "client_secret": rotated.json()["client_secret"]}).status_code == 200


def test_ID_13_redirect_uris_are_https_or_loopback_and_scopes_never_identitys(api, owner):
    for uris, scopes in ((["http://example.com/cb"], ["orgs:read"]), (["https://example.com/cb#x"], ["orgs:read"]),
                         (["https://example.com/cb"], ["identity:write"])):
        response = api.post("/v1/oauth/clients", {"name": "x", "redirect_uris": uris, "public": False,
                                                  "scopes": scopes}, owner["token"])
        assert response.status_code == 400, response.text


def test_ID_13_only_administrators_register_applications(api, owner):
    other = api.customer_with_org()
    # a managing role of the token's organization: the owner manages theirs, not another's
    listed = api.get("/v1/oauth/clients", other["token"]).json()
    assert all(c["org_id"] == other["org_id"] for c in listed)
    staffless = api.post("/v1/oauth/clients", {"name": "x", "redirect_uris": [REDIRECT], "public": True,
                                               "scopes": ["orgs:read"]}, None)
    assert staffless.status_code == 401


def test_ID_13_client_credentials_act_for_the_clients_own_organization(api, owner):
    confidential = register(api, owner, scopes=["orgs:read"])
    response = raw_token(api, {"grant_type": "client_credentials"}, confidential)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    claims = claims_of(token)
    assert claims["kind"] == "api_key" and claims["org"] == owner["org_id"] and claims["client_id"] == confidential["client_id"]
    assert api.get(f"/v1/orgs/{owner['org_id']}", token).status_code == 200
    assert "refresh_token" not in response.json()
    public = register(api, owner, public=True, scopes=["orgs:read"])
    assert oauth_error(requests.post(api.url("/oauth/token"), data={"grant_type": "client_credentials",
                                                                    "client_id": public["client_id"]}, timeout=30)) \
        in ("unauthorized_client", "invalid_client")


# --- 5. attacks refused -------------------------------------------------------------------------

def test_ID_13_an_unregistered_or_prefix_matching_redirect_uri_gets_no_redirect(api, owner, client):
    for uri in ("http://127.0.0.1:8765/callback/../evil", "http://127.0.0.1:8765/callbackx",
                "http://127.0.0.1:8765/callback?x=1", "https://evil.example/callback"):
        oauth = session(client, redirect_uri=uri)
        url, _ = oauth.create_authorization_url(api.url("/oauth/authorize"), code_verifier=secrets.token_urlsafe(48))
        page = requests.get(url, timeout=30, allow_redirects=False)
        assert page.status_code == 400 and "Location" not in page.headers, (uri, page.status_code)
        assert oauth_error(page) == "invalid_request"


def test_ID_13_a_public_client_must_use_pkce_s256(api, owner):
    public = register(api, owner, public=True, scopes=["orgs:read"])
    base = {"response_type": "code", "client_id": public["client_id"], "redirect_uri": REDIRECT, "state": "s1",
            "scope": "orgs:read"}
    for extra in ({}, {"code_challenge": "a" * 43, "code_challenge_method": "plain"}):
        page = requests.get(api.url("/oauth/authorize"), params={**base, **extra}, timeout=30, allow_redirects=False)
        assert page.status_code == 302, page.text
        query = parse_qs(urlsplit(page.headers["Location"]).query)
        assert query["error"] == ["invalid_request"] and query["state"] == ["s1"]


def test_ID_13_a_missing_or_wrong_pkce_verifier_is_refused(api, owner, client):
    oauth, location, verifier = authorized(api, owner, client)
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert oauth_error(raw_token(api, form, client)) == "invalid_request"
    assert oauth_error(raw_token(api, {**form, "code_verifier": secrets.token_urlsafe(48)}, client)) == "invalid_grant"


def test_ID_13_a_reused_code_is_refused_and_revokes_the_tokens_issued_from_it(api, owner, client):
    oauth, location, verifier = authorized(api, owner, client)
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    first = raw_token(api, form, client)
    assert first.status_code == 200, first.text
    access = first.json()["access_token"]
    assert api.get(f"/v1/orgs/{owner['org_id']}", access).status_code == 200
    assert oauth_error(raw_token(api, form, client)) == "invalid_grant"
    assert api.get(f"/v1/orgs/{owner['org_id']}", access).status_code == 401  # at once
    refresh = {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]}
    assert oauth_error(raw_token(api, refresh, client)) == "invalid_grant"


def test_ID_13_a_code_for_another_client_is_refused(api, owner, client):
    other = register(api, owner)
    oauth, location, verifier = authorized(api, owner, client)
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    assert oauth_error(raw_token(api, form, other)) == "invalid_grant"


def test_ID_13_state_comes_back_unchanged(api, owner, client):
    oauth = session(client)
    state = "a b&c=d/é?" + secrets.token_urlsafe(8)
    url, _ = oauth.create_authorization_url(api.url("/oauth/authorize"), state=state,
                                            code_verifier=secrets.token_urlsafe(48))
    answer = consent(api, owner, url)
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["state"] == [state]
    denied = consent(api, owner, url, decision="deny")
    query = parse_qs(urlsplit(denied.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == [state]


def test_ID_13_refresh_tokens_rotate_and_a_reused_one_revokes_its_family(api, owner, client):
    oauth, token = tokens_for(api, owner, client)
    first_refresh = token["refresh_token"]
    rotated = raw_token(api, {"grant_type": "refresh_token", "refresh_token": first_refresh}, client)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["refresh_token"] != first_refresh
    assert api.get(f"/v1/orgs/{owner['org_id']}", new["access_token"]).status_code == 200
    assert oauth_error(raw_token(api, {"grant_type": "refresh_token", "refresh_token": first_refresh}, client)) == "invalid_grant"
    assert api.get(f"/v1/orgs/{owner['org_id']}", new["access_token"]).status_code == 401
    assert oauth_error(raw_token(api, {"grant_type": "refresh_token", "refresh_token": new["refresh_token"]}, client)) \
        == "invalid_grant"


def test_ID_13_a_token_of_one_client_is_refused_to_another(api, owner, client):
    other = register(api, owner)
    oauth, token = tokens_for(api, owner, client)
    assert oauth_error(raw_token(api, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}, other)) \
        == "invalid_grant"
    # nor can another client revoke it, or learn of it
    requests.post(api.url("/oauth/revoke"), data={"token": token["access_token"]},
                  auth=(other["client_id"], other["client_secret"]), timeout=30)
    assert api.get(f"/v1/orgs/{owner['org_id']}", token["access_token"]).status_code == 200
    seen = requests.post(api.url("/oauth/introspect"), data={"token": token["access_token"]},
                         auth=(other["client_id"], other["client_secret"]), timeout=30).json()
    assert seen == {"active": False}


def test_ID_13_no_scope_escalation_at_authorization_or_on_refresh(api, owner, client):
    oauth, token = tokens_for(api, owner, client, "orgs:read")
    wider = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "scope": "orgs:read openid"}
    assert oauth_error(raw_token(api, wider, client)) == "invalid_scope"
    oauth = session(client, "orgs:read billing:write")
    url, _ = oauth.create_authorization_url(api.url("/oauth/authorize"), code_verifier=secrets.token_urlsafe(48))
    page = requests.get(url, timeout=30, allow_redirects=False)
    assert parse_qs(urlsplit(page.headers["Location"]).query)["error"] == ["invalid_scope"]


# --- 4. scopes: never more than the grant, never identity itself -------------------------------

def test_ID_13_a_delegated_token_does_no_more_than_its_scopes_and_never_manages_identity(api, owner, client):
    oauth, token = tokens_for(api, owner, client, "orgs:read")
    access = token["access_token"]
    refused = api.http.patch(api.url(f"/v1/orgs/{owner['org_id']}"), json={}, headers=bearer(access), timeout=30)
    assert refused.status_code == 403 and refused.json()["required_scope"] == "orgs:write"
    for method, path in (("GET", "/v1/me"), ("GET", "/v1/me/sessions"), ("GET", "/v1/oauth/grants"),
                         ("POST", "/v1/auth/logout"), ("GET", "/v1/api-keys")):
        answer = api.http.request(method, api.url(path), headers=bearer(access), timeout=30)
        assert answer.status_code == 403, (path, answer.status_code, answer.text)


# --- 3. the person's control, and the organization's --------------------------------------------

def test_ID_13_a_person_lists_and_revokes_grants_and_the_tokens_end_at_once(api, owner):
    app = register(api, owner)
    oauth, token = tokens_for(api, owner, app)
    assert api.get(f"/v1/orgs/{owner['org_id']}", token["access_token"]).status_code == 200
    grants = api.get("/v1/oauth/grants", owner["token"]).json()
    grant = next(g for g in grants if g["client_id"] == app["client_id"])
    assert grant["scopes"] == ["orgs:read", "openid"] and grant["last_used_at"] and grant["client_name"]
    assert api.delete(f"/v1/oauth/grants/{grant['id']}", owner["token"]).status_code == 204
    assert api.get(f"/v1/orgs/{owner['org_id']}", token["access_token"]).status_code == 401
    assert oauth_error(raw_token(api, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}, app)) \
        == "invalid_grant"
    assert all(g["id"] != grant["id"] for g in api.get("/v1/oauth/grants", owner["token"]).json())


def test_ID_13_another_person_or_organization_cannot_see_or_revoke_a_grant(api, owner):
    app = register(api, owner)
    tokens_for(api, owner, app)
    grant = next(g for g in api.get("/v1/oauth/grants", owner["token"]).json() if g["client_id"] == app["client_id"])
    stranger = api.customer_with_org()
    assert api.delete(f"/v1/oauth/grants/{grant['id']}", stranger["token"]).status_code == 404
    assert all(g["id"] != grant["id"] for g in api.get("/v1/oauth/organization-grants", stranger["token"]).json())
    # the organization's administrator (here the owner) sees it among the organization's grants
    assert any(g["id"] == grant["id"] for g in api.get("/v1/oauth/organization-grants", owner["token"]).json())


def test_ID_13_revocation_and_introspection_endpoints(api, owner, client):
    oauth, token = tokens_for(api, owner, client)
    auth = (client["client_id"], client["client_secret"])
    seen = requests.post(api.url("/oauth/introspect"), data={"token": token["access_token"]}, auth=auth, timeout=30).json()
    assert seen["active"] is True and seen["client_id"] == client["client_id"] and seen["scope"] == "orgs:read openid"
    assert requests.post(api.url("/oauth/revoke"), data={"token": token["access_token"]}, auth=auth,
                         timeout=30).status_code == 200
    assert api.get(f"/v1/orgs/{owner['org_id']}", token["access_token"]).status_code == 401
    seen = requests.post(api.url("/oauth/introspect"), data={"token": token["access_token"]}, auth=auth, timeout=30).json()
    assert seen == {"active": False}
    unauthenticated = requests.post(api.url("/oauth/introspect"), data={"token": token["access_token"]}, timeout=30)
    assert oauth_error(unauthenticated) == "invalid_client"


def test_ID_13_pairwise_subjects_differ_per_client(api, owner):
    one = register(api, owner, subject_type="pairwise")
    two = register(api, owner, subject_type="pairwise")
    subjects = []
    for app in (one, two):
        oauth, token = tokens_for(api, owner, app)
        subjects.append(claims_of(token["id_token"])["sub"])
    assert subjects[0] != subjects[1] and owner["user_id"] not in subjects


def test_ID_13_an_oauth_error_reaches_the_client_library_as_an_error(api, owner, client):
    oauth = session(client)
    with pytest.raises(OAuthError):
        oauth.fetch_token(api.url("/oauth/token"), grant_type="authorization_code", code="nope",
                          code_verifier=secrets.token_urlsafe(48))


# --- 3. the consent page signs in with the second factor, as the organization requires ----------

from tests.test_org_two_factor import add_member, platform_admin  # noqa: E402,F401
from tests.test_two_factor import enable_totp  # noqa: E402


def _sign_in_page(url: str, person: dict) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    assert browser.get(url, timeout=30).status_code == 200
    return browser, browser.post(url, data={"step": "sign-in", "email": person["email"], "password": PASSWORD},
                                 timeout=30, allow_redirects=False)


def test_ID_13_the_consent_page_asks_for_the_second_factor_and_the_token_says_so(api):
    person = api.customer_with_org()
    totp, _ = enable_totp(api, person["token"])
    app = register(api, person)
    oauth = session(app)
    verifier = secrets.token_urlsafe(48)
    url, _ = oauth.create_authorization_url(api.url("/oauth/authorize"), code_verifier=verifier)
    browser, asked = _sign_in_page(url, person)
    challenge = re.search(r'name="challenge" value="([^"]+)"', asked.text)
    assert asked.status_code == 200 and challenge and 'name="consent"' not in asked.text
    import time
    valid = {totp.at(time.time() + shift) for shift in (-60, -30, 0, 30, 60)}
    wrong = browser.post(url, data={"step": "second-factor", "challenge": challenge.group(1), "method": "totp",
                                    "code": next(c for c in ("000000", "111111", "222222") if c not in valid)},
                         timeout=30, allow_redirects=False)
    assert 'name="consent"' not in wrong.text
    browser, asked = _sign_in_page(url, person)
    challenge = re.search(r'name="challenge" value="([^"]+)"', asked.text).group(1)
    second = browser.post(url, data={"step": "second-factor", "challenge": challenge, "method": "totp",
                                     "code": totp.at(time.time() + 30)}, timeout=30, allow_redirects=False)
    token = re.search(r'name="consent" value="([^"]+)"', second.text)
    assert token, second.text
    assert person["org_id"] in second.text and "orgs:read" in second.text  # the organization and the scopes
    allowed = browser.post(url, data={"step": "consent", "consent": token.group(1), "decision": "allow"},
                           timeout=30, allow_redirects=False)
    tokens = oauth.fetch_token(api.url("/oauth/token"), authorization_response=allowed.headers["Location"],
                               code_verifier=verifier)
    assert "mfa" in claims_of(tokens["access_token"])["amr"]
    # a consent is good once
    again = browser.post(url, data={"step": "consent", "consent": token.group(1), "decision": "allow"},
                         timeout=30, allow_redirects=False)
    assert "Location" not in again.headers and 'name="consent"' not in again.text and "expired" in again.text


def test_ID_13_a_member_without_2fa_of_an_organization_that_requires_it_is_turned_away(api, platform_admin):
    from tests.test_org_two_factor import require_two_factor, switched_to, with_own_two_factor

    manager, colleague = with_own_two_factor(api, api.customer_with_org()), api.customer_with_org()
    org_id = manager["org_id"]
    app = register(api, manager)
    add_member(api, platform_admin, org_id, colleague, "administrator")
    member_token = switched_to(api, colleague, org_id)  # the colleague's next sign-in acts for it (OR-01)
    require_two_factor(api, manager["token"], org_id, member_token)
    url, _ = session(app).create_authorization_url(api.url("/oauth/authorize"), code_verifier=secrets.token_urlsafe(48))
    browser, answer = _sign_in_page(url, colleague)
    # the colleague's own organization is offered; the one whose 2FA requirement they miss is not
    assert answer.status_code == 200 and 'name="consent"' in answer.text, answer.text
    assert org_id not in answer.text
    token = re.search(r'name="consent" value="([^"]+)"', answer.text).group(1)
    picked = browser.post(url, data={"step": "consent", "consent": token, "decision": "allow", "org_id": org_id},
                          timeout=30, allow_redirects=False)
    assert "Location" not in picked.headers and 'name="consent"' not in picked.text


def test_ID_13_platform_staff_register_the_providers_own_applications(api, owner, platform_admin):
    response = api.post("/v1/oauth/clients", {"name": "Provider dashboard", "redirect_uris": [REDIRECT],
                                              "public": True, "scopes": ["orgs:read", "openid"]}, platform_admin)
    assert response.status_code == 201, response.text
    provider_app = response.json()
    assert provider_app["org_id"] is None and "client_secret" not in provider_app
    oauth, token = tokens_for(api, owner, provider_app)
    assert claims_of(token["access_token"])["org"] == owner["org_id"]
    assert oauth.get(api.url(f"/v1/orgs/{owner['org_id']}")).status_code == 200


def test_ID_13_a_collaborator_cannot_register_an_application_for_the_organization(api, owner, platform_admin):
    from tests.test_org_two_factor import switched_to

    colleague = api.customer_with_org()
    add_member(api, platform_admin, owner["org_id"], colleague, "collaborator")
    token = switched_to(api, colleague, owner["org_id"])
    refused = api.post("/v1/oauth/clients", {"name": "x", "redirect_uris": [REDIRECT], "public": True,
                                             "scopes": ["orgs:read"]}, token)
    assert refused.status_code == 403, refused.text
    assert api.get("/v1/oauth/organization-grants", token).status_code == 403


def test_ID_13_two_refreshes_with_one_token_at_once_issue_at_most_one_and_revoke_the_family(api, owner, client):
    from concurrent.futures import ThreadPoolExecutor

    oauth, token = tokens_for(api, owner, client)
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: raw_token(api, form, client), range(4)))
    issued = [a for a in answers if a.status_code == 200]
    assert len(issued) <= 1 and all(oauth_error(a) == "invalid_grant" for a in answers if a.status_code != 200)
    for answer in issued:  # the reuse revoked what the winner got
        eventually(lambda: api.get(f"/v1/orgs/{owner['org_id']}", answer.json()["access_token"]).status_code == 401,
                   timeout=5, what="the family revoked")



# --- the organization the application acts for -------------------------------------------------

def _signed_in_consent(url: str, person: dict) -> tuple[requests.Session, requests.Response, str]:
    browser, page = _sign_in_page(url, person)
    token = re.search(r'name="consent" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token, page.text
    return browser, page, token.group(1)


def test_ID_13_the_consent_page_names_the_organizations_and_the_person_picks_which_one(api, owner, platform_admin):
    colleague = api.customer_with_org()
    add_member(api, platform_admin, owner["org_id"], colleague, "administrator")
    name = f"Hafenbüro {secrets.token_hex(3)}"
    renamed = api.http.patch(api.url(f"/v1/orgs/{owner['org_id']}"), json={"name": name}, headers=bearer(owner["token"]),
                             timeout=30)
    assert renamed.status_code == 200, renamed.text
    app = register(api, owner)
    oauth = session(app)
    verifier = secrets.token_urlsafe(48)
    url, _ = oauth.create_authorization_url(api.url("/oauth/authorize"), code_verifier=verifier)
    # the organization's name (from orgs' events), both organizations offered, the active one chosen
    browser, page, token = eventually(lambda: (r := _signed_in_consent(url, colleague)) and name in r[1].content.decode() and r,
                                      timeout=15, what="identity knowing the organization's name and the membership")
    assert 'name="org_id"' in page.text and owner["org_id"] in page.text and colleague["org_id"] in page.text
    assert re.search(rf'value="{colleague["org_id"]}" selected', page.text)
    # an organization the person is not a member of cannot be picked
    stranger = browser.post(url, data={"step": "consent", "consent": token, "decision": "allow",
                                       "org_id": api.customer_with_org()["org_id"]}, timeout=30, allow_redirects=False)
    assert "Location" not in stranger.headers and 'name="consent"' not in stranger.text
    # the grant and the tokens carry the organization picked
    browser, page, token = _signed_in_consent(url, colleague)
    allowed = browser.post(url, data={"step": "consent", "consent": token, "decision": "allow",
                                      "org_id": owner["org_id"]}, timeout=30, allow_redirects=False)
    assert allowed.status_code == 302, allowed.text
    tokens = oauth.fetch_token(api.url("/oauth/token"), authorization_response=allowed.headers["Location"],
                               code_verifier=verifier)
    assert claims_of(tokens["access_token"])["org"] == owner["org_id"]
    assert oauth.get(api.url(f"/v1/orgs/{owner['org_id']}")).status_code == 200
    grants = api.get("/v1/oauth/organization-grants", owner["token"]).json()
    assert any(g["client_id"] == app["client_id"] and g["user_id"] == colleague["user_id"] for g in grants)
    refreshed = raw_token(api, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, app)
    assert claims_of(refreshed.json()["access_token"])["org"] == owner["org_id"]
    # without a pick: the active organization
    default = consent(api, colleague, oauth.create_authorization_url(api.url("/oauth/authorize"),
                                                                     code_verifier=verifier)[0])
    assert default.status_code == 302
    code = parse_qs(urlsplit(default.headers["Location"]).query)["code"][0]
    mine = raw_token(api, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                           "code_verifier": verifier}, app)
    assert claims_of(mine.json()["access_token"])["org"] == colleague["org_id"]


# --- OpenID Connect userinfo --------------------------------------------------------------------

def test_ID_13_userinfo_answers_the_id_tokens_subject_and_the_claims_of_the_scopes(api, owner):
    document = requests.get(api.url("/.well-known/openid-configuration"), timeout=30).json()
    assert document["userinfo_endpoint"].endswith("/oauth/userinfo")
    app = register(api, owner, subject_type="pairwise")
    oauth, token = tokens_for(api, owner, app, "orgs:read openid email profile")
    id_claims = claims_of(token["id_token"])
    info = oauth.get(document["userinfo_endpoint"])
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["sub"] == id_claims["sub"] != owner["user_id"]
    assert body["email"] == owner["email"] and "given_name" in body and body["email_verified"] is True
    assert oauth.post(document["userinfo_endpoint"]).json() == body
    # only the claims of the scopes
    _, narrow = tokens_for(api, owner, app, "orgs:read openid")
    assert set(requests.get(api.url("/oauth/userinfo"), headers=bearer(narrow["access_token"]),
                            timeout=30).json()) == {"sub"}
    # no openid: insufficient_scope; no token, a person's own token, an ID token: invalid_token
    _, plain = tokens_for(api, owner, app, "orgs:read")
    refused = requests.get(api.url("/oauth/userinfo"), headers=bearer(plain["access_token"]), timeout=30)
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    for headers in ({}, bearer(owner["token"]), bearer(token["id_token"]), {"Authorization": "Bearer x.y.z"}):
        refused = requests.get(api.url("/oauth/userinfo"), headers=headers, timeout=30)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_token", refused.text
    # the grant revoked: refused at once
    grant = next(g for g in api.get("/v1/oauth/grants", owner["token"]).json() if g["client_id"] == app["client_id"])
    assert api.delete(f"/v1/oauth/grants/{grant['id']}", owner["token"]).status_code == 204
    assert oauth.get(document["userinfo_endpoint"]).status_code == 401


# --- identity ends the ground of a grant ---------------------------------------------------------

def _granted_for(api, person: dict, org_id: str, app: dict) -> dict:
    """The person lets the application act for `org_id` (one of their organizations)."""
    oauth = session(app, "orgs:read openid")
    verifier = secrets.token_urlsafe(48)
    url, _ = oauth.create_authorization_url(api.url("/oauth/authorize"), code_verifier=verifier)
    browser, page, token = eventually(lambda: (r := _signed_in_consent(url, person)) and org_id in r[1].text and r,
                                      timeout=15, what="identity knowing the membership")
    allowed = browser.post(url, data={"step": "consent", "consent": token, "decision": "allow", "org_id": org_id},
                           timeout=30, allow_redirects=False)
    assert allowed.status_code == 302, allowed.text
    tokens = oauth.fetch_token(api.url("/oauth/token"), authorization_response=allowed.headers["Location"],
                               code_verifier=verifier)
    assert claims_of(tokens["access_token"])["org"] == org_id
    # (after joining again, once the gateway knows it: it refuses while the person is out of the organization)
    eventually(lambda: api.get(f"/v1/orgs/{org_id}", tokens["access_token"]).status_code == 200, timeout=15,
               what="the gateway letting the application in")
    return tokens


def _ended(api, org_id: str, tokens: dict, app: dict, person: dict) -> None:
    """The access token is refused within seconds (not after its 300 s), the refresh token is spent
    for nothing, the grant is gone from the person's list."""
    eventually(lambda: api.get(f"/v1/orgs/{org_id}", tokens["access_token"]).status_code == 401, timeout=15,
               what="the gateway refusing the application's token")
    assert requests.get(api.url("/oauth/userinfo"), headers=bearer(tokens["access_token"]), timeout=30).status_code == 401
    eventually(lambda: raw_token(api, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                                 app).status_code == 400, timeout=15, what="identity revoking the grant")
    assert not [g for g in api.get("/v1/oauth/grants", person["token"]).json()
                if g["client_id"] == app["client_id"] and g["org_id"] == org_id]


def test_ID_13_leaving_or_being_removed_from_the_organization_ends_the_applications_access_at_once(
        api, owner, platform_admin):
    from tests.test_org_two_factor import switched_to

    app = register(api, owner)
    leaver = api.customer_with_org()
    add_member(api, platform_admin, owner["org_id"], leaver, "administrator")
    tokens = _granted_for(api, leaver, owner["org_id"], app)
    own = _granted_for(api, leaver, leaver["org_id"], app)  # the same application in their own organization
    acting = switched_to(api, leaver, owner["org_id"])
    left = api.delete(f"/v1/orgs/{owner['org_id']}/members/me", acting)
    assert left.status_code in (200, 204), left.text
    _ended(api, owner["org_id"], tokens, app, {**leaver, "token": leaver["token"]})
    # the grant to their own organization is untouched
    assert api.get(f"/v1/orgs/{leaver['org_id']}", own["access_token"]).status_code == 200
    # back in the organization: the old token stays refused, a new grant works
    add_member(api, platform_admin, owner["org_id"], leaver, "administrator")
    again = _granted_for(api, leaver, owner["org_id"], app)
    assert api.get(f"/v1/orgs/{owner['org_id']}", tokens["access_token"]).status_code == 401
    assert api.get(f"/v1/orgs/{owner['org_id']}", again["access_token"]).status_code == 200


def test_ID_13_a_blocked_member_applications_lose_access_and_unblocking_does_not_revive_them(api, platform_admin):
    from tests.test_org_two_factor import switched_to

    owner = api.customer_with_org()
    app = register(api, owner)
    member = api.customer_with_org()
    add_member(api, platform_admin, owner["org_id"], member, "administrator")
    tokens = _granted_for(api, member, owner["org_id"], app)
    path = f"/v1/orgs/{owner['org_id']}/members/{member['user_id']}/block"
    assert api.put(path, None, owner["token"]).status_code == 200
    _ended(api, owner["org_id"], tokens, app, member)
    assert api.delete(path, owner["token"]).status_code == 200
    acting = switched_to(api, member, owner["org_id"])
    eventually(lambda: api.get(f"/v1/orgs/{owner['org_id']}", acting).status_code == 200, timeout=15,
               what="the gateway knowing the unblock")
    assert api.get(f"/v1/orgs/{owner['org_id']}", tokens["access_token"]).status_code == 401
    introspected = requests.post(api.url("/oauth/introspect"), data={"token": tokens["access_token"]},
                                 auth=(app["client_id"], app["client_secret"]), timeout=30)
    assert introspected.json() == {"active": False}
