"""Delegated access (ID-13): the calls only the gateway makes. The gateway is the one door: it
serves /oauth/..., the consent page and /v1/oauth/...; here Authlib runs on identity's data and
answers what the gateway signs and what it must refuse from now on (`revoked`)."""
from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Gone, NotFound
from portico_kernel.paging import request as page_request

from ..adapters import oauth_server
from ..bootstrap import bootstrap
from ..domain import oauth
from .internal import _gateway_only


def _server(uow) -> oauth_server.Server:
    return oauth_server.Server(uow, bootstrap().settings.access_token_ttl)


def _headers(body: dict) -> dict:
    return {"Authorization": body["authorization"]} if body.get("authorization") else {}


def _client_view(client: oauth.OAuthClient, secret: str | None = None) -> dict:
    view = {"client_id": client.id, "org_id": client.org_id, "name": client.name,
            "redirect_uris": list(client.redirect_uris), "public": client.public, "scopes": list(client.scopes),
            "subject_type": client.subject_type, "created_at": iso_utc(client.created_at),
            "secret_rotated_at": iso_utc(client.secret_rotated_at) if client.secret_rotated_at else None}
    if secret:
        view["client_secret"] = secret
    return view


def _grant_view(uow, grant: oauth.OAuthGrant) -> dict:
    client = uow.oauth_clients.get(grant.client_id)
    return {"id": grant.id, "client_id": grant.client_id, "client_name": client.name if client else "",
            "user_id": grant.user_id, "org_id": grant.org_id, "scopes": list(grant.scopes),
            "created_at": iso_utc(grant.created_at),
            "last_used_at": iso_utc(grant.last_used_at) if grant.last_used_at else None}


def _who(body: dict) -> oauth.Registrar:
    caller = body["caller"]
    return oauth.Registrar(user_id=caller["user_id"], kind=caller["kind"], org_id=caller.get("org_id"),
                           roles=tuple(caller.get("roles") or ()))


def _viewer(body: dict) -> oauth.Viewer:
    caller = body["caller"]
    return oauth.Viewer(user_id=caller["user_id"], kind=caller["kind"], org_id=caller.get("org_id"),
                        roles=tuple(caller.get("roles") or ()))


def _page(body: dict):
    return page_request(body.get("limit"), body.get("cursor"))


# --- clients ---

def register_client(body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        client, secret = oauth.register_client(
            uow, _who(body), name=body["name"], redirect_uris=body["redirect_uris"], public=body["public"],
            scopes=body["scopes"], subject_type=body.get("subject_type", oauth.PUBLIC))
        return _client_view(client, secret), 201


def list_clients(body: dict):
    _gateway_only()
    with bootstrap().uow(reading=True) as uow:
        page = oauth.clients_of(uow, _who(body), _page(body))
        return {"items": [_client_view(c) for c in page.items], "next_cursor": page.next_cursor}, 200


def rotate_client_secret(client_id: str, body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        client, secret = oauth.rotate_secret(uow, _who(body), client_id)
        return _client_view(client, secret), 200


# --- grants ---

def list_grants(body: dict):
    _gateway_only()
    with bootstrap().uow(reading=True) as uow:
        viewer = _viewer(body)
        page = (oauth.grants_of_organization(uow, viewer, _page(body)) if body.get("organization")
                else oauth.grants_of_person(uow, viewer, _page(body)))
        return {"items": [_grant_view(uow, g) for g in page.items], "next_cursor": page.next_cursor}, 200


def revoke_grant(grant_id: str, body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        return {"revoked": oauth.revoke_grant_by(uow, _viewer(body), grant_id)}, 200


# --- the authorization request and the consent page ---

def _error(error, state) -> dict:
    error.state = state
    body = dict(error.get_body())
    redirect = error.redirect_uri
    if redirect:
        _, _, headers = error(None)
        redirect = dict(headers).get("Location")
    return {"valid": False, "error": body.get("error"), "error_description": body.get("error_description"),
            "redirect": redirect}


def _consent_view(uow, request) -> dict:
    client = request.client.client
    return {"valid": True, "client_id": client.id, "client_name": client.name, "client_org_id": client.org_id,
            "scopes": request.scope.split()}


def check_authorization(body: dict):
    """Is this authorization request one the consent page may show? (client, redirect URI, scopes, PKCE)"""
    _gateway_only()
    from authlib.oauth2 import OAuth2Error
    with bootstrap().uow(reading=True) as uow:
        request = oauth_server.PorticoRequest("GET", body["params"], path="/oauth/authorize")
        try:
            _server(uow).get_consent_grant(request)
        except OAuth2Error as error:
            return _error(error, request.payload.state), 200
        return _consent_view(uow, request), 200


def create_consent(body: dict):
    """The person signed in on the consent page: what they are asked, kept for a few minutes, with
    the organizations they may let the application act for. `preview` only names their organizations
    (the gateway then leaves out those the person may not act for now: blocked, 2FA required)."""
    _gateway_only()
    from authlib.oauth2 import OAuth2Error
    with bootstrap().uow() as uow:
        request = oauth_server.PorticoRequest("GET", body["params"], path="/oauth/authorize")
        try:
            _server(uow).get_consent_grant(request)
        except OAuth2Error as error:
            return _error(error, request.payload.state), 200
        person = body["person"]
        user = uow.users.get(person["sub"])
        if user is None or user.status != "active":
            raise NotFound("No such person.")
        organizations = oauth.organization_choices(uow, user)
        if body.get("preview"):
            return {"valid": True, "organizations": organizations}, 200
        if user.is_staff:
            choices, org_id = [], None
        else:
            offered = set(body.get("org_choices") or [])
            organizations = [o for o in organizations if o["org_id"] in offered]
            choices = [o["org_id"] for o in organizations]
            org_id = person.get("org") if person.get("org") in choices else (choices[0] if choices else None)
            if org_id is None:
                raise NotFound("You belong to no organization this application could act for.")
        token, token_hash = oauth.new_secret()
        uow.oauth_consents.add(oauth.OAuthConsent(
            token_hash=token_hash, user_id=user.id, org_id=org_id, amr=list(person.get("amr") or []),
            auth_time=int(uow.clock.now().timestamp()), params=request.params,
            expires_at=uow.clock.now() + oauth.CONSENT_TTL, org_choices=choices))
        view = _consent_view(uow, request)
        uow.commit()
        return {**view, "consent": token, "org_id": org_id, "organizations": organizations}, 200


def decide_consent(body: dict):
    """Allowed: the grant is recorded, for the organization the person picked, and the code goes to
    the redirect URI; denied: access_denied."""
    _gateway_only()
    from authlib.oauth2 import OAuth2Error
    with bootstrap().uow() as uow:
        consent = uow.oauth_consents.get(oauth.digest(body["consent"]))
        if consent is None or consent.used_at is not None or consent.expires_at <= uow.clock.now():
            raise Gone("This consent page has expired: start again from the application.")
        org_id = oauth.chosen_organization(consent, body.get("org_id"))
        consent.used_at = uow.clock.now()
        server = _server(uow)
        request = oauth_server.PorticoRequest("GET", consent.params, path="/oauth/authorize")
        try:
            grant = server.get_consent_grant(request)
        except OAuth2Error as error:
            uow.commit()
            return _error(error, request.payload.state), 200
        signed = None
        if body["approve"]:
            user = uow.users.get(consent.user_id)
            if oauth.person_claims(uow, user, org_id) is None:
                raise NotFound("You are no longer a member of that organization.")
            signed = oauth_server.Signed(user, org_id, consent.amr, consent.auth_time)
            signed.grant = oauth.record_grant(uow, user_id=user.id, org_id=org_id, client=request.client.client,
                                              scopes=request.scope.split())
        status, _, headers = server.create_authorization_response(request, grant_user=signed, grant=grant)
        uow.commit()
        return {"valid": True, "redirect": headers.get("Location")}, 200


def userinfo(body: dict):
    """OpenID Connect userinfo for an access token the gateway verified (`claims`)."""
    _gateway_only()
    with bootstrap().uow(reading=True) as uow:
        answer = oauth.userinfo(uow, body["claims"])
        if answer is None:
            raise NotFound("The access this token was issued under has ended.")
        return answer, 200


# --- the token, revocation and introspection endpoints ---

def _answer(request, status, answer_body, headers) -> dict:
    return {"status": status, "body": answer_body, "revoked": request.portico["revoked"],
            "access_claims": request.portico["access_claims"] if status == 200 else None,
            "id_token_claims": request.portico["id_token_claims"] if status == 200 else None}


def token(body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        request = oauth_server.PorticoRequest("POST", body["form"], _headers(body))
        answer = _answer(request, *_server(uow).create_token_response(request))
        uow.commit()  # a refused replay still revokes what was issued from it
        return answer, 200


def revoke(body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        request = oauth_server.PorticoRequest("POST", body["form"], _headers(body), path="/oauth/revoke")
        request.portico["presented_claims"] = body.get("presented_claims")
        answer = _answer(request, *_server(uow).create_endpoint_response("revocation", request))
        uow.commit()
        return answer, 200


def introspect(body: dict):
    _gateway_only()
    with bootstrap().uow(reading=True) as uow:
        request = oauth_server.PorticoRequest("POST", body["form"], _headers(body), path="/oauth/introspect")
        request.portico["presented_claims"] = body.get("presented_claims")
        return _answer(request, *_server(uow).create_endpoint_response("introspection", request)), 200
