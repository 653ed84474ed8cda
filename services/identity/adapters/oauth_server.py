"""The OAuth 2.0 / OpenID Connect protocol (ID-13), Authlib's server components on identity's data.

Authlib validates the requests and shapes the answers (RFC 6749 authorization code, refresh token
and client credentials grants, RFC 7636 PKCE, RFC 7009 revocation, RFC 7662 introspection); the
rules (which scopes, whose grant, what a token may say) are the domain's (domain/oauth.py).

Identity cannot sign tokens: for every token it issues it answers the claims, and the gateway signs
them with its EdDSA key (`access_claims`, `id_token_claims`). Whatever a call revokes (a reused
code's or refresh token's family, a revoked token's family) is named in `revoked`, so the gateway
refuses those tokens at once.
"""
from __future__ import annotations

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from ..domain import oauth
from ..domain.oauth import digest

ISSUER_URI = "https://portico.invalid"  # Authlib wants an absolute https URI; only its path matters


class Client(ClientMixin):
    def __init__(self, client: oauth.OAuthClient):
        self.client = client

    def get_client_id(self):
        return self.client.id

    def get_default_redirect_uri(self):
        return self.client.redirect_uris[0] if len(self.client.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope):
        """Never more than the client was registered for: asking for more is `invalid_scope`."""
        if not scope:
            return " ".join(self.client.scopes)
        asked = scope.split()
        return " ".join(asked) if all(s in self.client.scopes for s in asked) else None

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.client.redirect_uris  # exact match, never a prefix

    def check_client_secret(self, client_secret):
        return self.client.secret_matches(client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        if self.client.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        if grant_type == "client_credentials":  # a confidential client acting for its own organization
            return not self.client.public and self.client.org_id is not None
        return grant_type in ("authorization_code", "refresh_token")


class PorticoRequest(OAuth2Request):
    def __init__(self, method: str, params: dict, headers: dict | None = None, path: str = "/oauth/token"):
        super().__init__(method, ISSUER_URI + path, headers=headers or {})
        self.params = {k: v for k, v in params.items() if isinstance(v, str)}
        self.payload = BasicOAuth2Payload(self.params)
        self.portico = {"revoked": [], "access_claims": None, "id_token_claims": None}

    @property
    def args(self):
        return self.params

    @property
    def form(self):
        return self.params


class Signed:
    """The person the consent page signed in, with what the code will remember of the sign-in."""

    def __init__(self, user, org_id, amr, auth_time):
        self.user, self.org_id, self.amr, self.auth_time = user, org_id, amr, auth_time
        self.grant: oauth.OAuthGrant | None = None

    def get_user_id(self):
        return self.user.id


class S256Challenge(CodeChallenge):
    """RFC 7636 with S256 only; a public client must send a challenge (and later its verifier)."""
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        client = grant.request.client
        if client is not None and client.client.public and not data.get("code_challenge"):
            raise InvalidRequestError("A public client sends a 'code_challenge' (S256).")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.code.code_challenge_method


class Code:
    def __init__(self, code: oauth.AuthorizationCode):
        self.code = code

    def get_redirect_uri(self):
        return self.code.redirect_uri

    def get_scope(self):
        return self.code.scope

    def get_nonce(self):
        return self.code.nonce

    def get_auth_time(self):
        return self.code.auth_time


class Refresh:
    def __init__(self, token: oauth.OAuthRefreshToken, family: oauth.TokenFamily):
        self.token, self.family = token, family

    def check_client(self, client):
        return client.client.id == self.family.client_id

    def get_scope(self):
        return self.family.scope

    def get_expires_in(self):
        return 0

    def is_expired(self):
        return False

    def is_revoked(self):
        return self.family.revoked_at is not None


class AccessToken:
    """An access token the gateway verified, by its claims."""

    def __init__(self, claims: dict, family: oauth.TokenFamily | None):
        self.claims, self.family = claims, family

    def check_client(self, client):
        return client.client.id == self.claims.get("client_id")

    def get_scope(self):
        return self.claims.get("scope", "")

    def is_revoked(self):
        return self.family is None or self.family.revoked_at is not None


def _revoke_family(uow, request, family: oauth.TokenFamily | None, reason: str) -> None:
    if family is not None:
        family.revoke(uow.clock.now(), reason)
        request.portico["revoked"].append(family.id)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    AUTHORIZATION_CODE_LENGTH = 48

    def save_authorization_code(self, code, request):
        uow, signed = self.server.uow, request.user
        client = request.client.client
        family = oauth.TokenFamily(id=oauth.new_id(), client_id=client.id, grant_id=signed.grant.id,
                                   user_id=signed.user.id, org_id=signed.org_id, scope=request.scope,
                                   amr=list(signed.amr), created_at=uow.clock.now())
        uow.oauth_families.add(family)
        data = request.payload.data
        uow.oauth_codes.add(oauth.AuthorizationCode(
            code_hash=digest(code), client_id=client.id, user_id=signed.user.id, org_id=signed.org_id,
            grant_id=signed.grant.id, family_id=family.id, redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope, amr=list(signed.amr), auth_time=signed.auth_time,
            expires_at=uow.clock.now() + oauth.CODE_TTL, nonce=(data.get("nonce") or None),
            code_challenge=data.get("code_challenge") or None,
            code_challenge_method=data.get("code_challenge_method") or None))

    def query_authorization_code(self, code, client):
        uow = self.server.uow
        found = uow.oauth_codes.get(digest(code))
        if found is None or found.client_id != client.client.id:
            return None
        if found.used_at is not None:  # replayed: what was issued from it is revoked (RFC 6749, 4.1.2)
            _revoke_family(uow, self.request, uow.oauth_families.get(found.family_id), "code reused")
            return None
        if found.expires_at <= uow.clock.now():
            return None
        return Code(found)

    def delete_authorization_code(self, authorization_code):
        """Spent in one statement: a second request with the same code at the same moment loses."""
        uow, code = self.server.uow, authorization_code.code
        if not uow.oauth_codes.claim(code.code_hash, uow.clock.now()):
            _revoke_family(uow, self.request, uow.oauth_families.get(code.family_id), "code reused")
            raise InvalidGrantError("Invalid 'code' in request.")

    def authenticate_user(self, authorization_code):
        return self.server.uow.users.get(authorization_code.code.user_id)


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # refresh tokens rotate

    def authenticate_refresh_token(self, refresh_token):
        uow = self.server.uow
        token = uow.oauth_refresh_tokens.get(digest(refresh_token))
        if token is None:
            return None
        family = uow.oauth_families.get(token.family_id)
        if token.spent_at is not None:  # a spent token again: it was stolen, or the client was
            _revoke_family(uow, self.request, family, "refresh token reused")
            return None
        if family.revoked_at is not None or token.expires_at <= uow.clock.now():
            return None
        self.request.portico["refresh"] = token
        return Refresh(token, family)

    def authenticate_user(self, refresh_token):
        return self.server.uow.users.get(refresh_token.family.user_id)

    def revoke_old_credential(self, refresh_token):
        """Spent in one statement: of two refreshes with the same token at once, the second is a reuse."""
        uow = self.server.uow
        if not uow.oauth_refresh_tokens.claim(refresh_token.token.token_hash, uow.clock.now()):
            _revoke_family(uow, self.request, refresh_token.family, "refresh token reused")
            raise InvalidGrantError()


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string, token_type_hint):
        return _query_token(self.server, self.server.current, token_string)

    def revoke_token(self, token, request):
        _revoke_family(self.server.uow, self.server.current, token.family, "revoked by client")


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return _query_token(self.server, self.server.current, token_string)

    def check_permission(self, token, client, request):
        return True  # a client learns only of its own tokens: check_client above

    def introspect_token(self, token):
        if isinstance(token, Refresh):
            family = token.family
            return {"active": True, "client_id": family.client_id, "scope": family.scope, "token_type": "refresh_token",
                    "sub": family.user_id or family.client_id, "org": family.org_id}
        claims = token.claims
        return {"active": True, "client_id": claims.get("client_id"), "scope": claims.get("scope"),
                "token_type": "Bearer", "sub": claims.get("sub"), "org": claims.get("org"), "exp": claims.get("exp"),
                "iat": claims.get("iat"), "iss": claims.get("iss"), "aud": claims.get("aud"), "jti": claims.get("jti")}

    def create_introspection_payload(self, token):
        if token is None or token.is_revoked():
            return {"active": False}
        return self.introspect_token(token)

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        return token if token is not None and token.check_client(client) else None


def _query_token(server, request, token_string):
    uow = server.uow
    claims = request.portico.get("presented_claims")
    if claims and claims.get("fid"):
        return AccessToken(claims, uow.oauth_families.get(claims["fid"]))
    token = uow.oauth_refresh_tokens.get(digest(token_string or ""))
    if token is None or token.spent_at is not None:
        return None
    return Refresh(token, uow.oauth_families.get(token.family_id))


class Server(AuthorizationServer):
    """One per request: Authlib's server over this request's unit of work."""

    def __init__(self, uow, access_token_ttl: int):
        super().__init__(scopes_supported=list(oauth.DELEGABLE_SCOPES))
        self.uow = uow
        self.access_token_ttl = access_token_ttl
        self.current: PorticoRequest | None = None
        self.register_grant(CodeGrant, [S256Challenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)
        self.register_token_generator("default", self._token)

    def query_client(self, client_id):
        client = self.uow.oauth_clients.get(client_id) if _uuid_like(client_id) else None
        return Client(client) if client else None

    def create_oauth2_request(self, request):
        self.current = request
        return request

    def create_json_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, dict(headers)

    def send_signal(self, name, *args, **kwargs):
        pass

    def _token(self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
        token = {"token_type": "Bearer", "access_token": "", "expires_in": self.access_token_ttl}
        if grant_type == "client_credentials":  # no scope asked: what the client was registered for
            scope = client.get_allowed_scope(scope)
        if scope:
            token["scope"] = scope
        if include_refresh_token and grant_type != "client_credentials":
            token["refresh_token"] = oauth.new_secret("prt_")[0]
        return token

    def save_token(self, token, request):
        """Keeps the refresh token (hashed) and decides the claims the gateway signs."""
        uow, now = self.uow, self.uow.clock.now()
        client = request.client.client
        grant_type = request.payload.grant_type
        if grant_type == "client_credentials":
            family = oauth.TokenFamily(id=oauth.new_id(), client_id=client.id, grant_id=None, user_id=None,
                                       org_id=client.org_id, scope=token.get("scope", ""), amr=[], created_at=now)
            uow.oauth_families.add(family)
            request.portico["access_claims"] = {
                "sub": client.id, "kind": "api_key", "org": client.org_id, "roles": [], "amr": [],
                "scope": family.scope, "client_id": client.id, "fid": family.id}
            return
        if grant_type == "authorization_code":
            code = request.authorization_code.code
            family = uow.oauth_families.get(code.family_id)
        else:
            family = request.refresh_token.family
        grant = uow.oauth_grants.get(family.grant_id)
        user = uow.users.get(family.user_id)
        person = oauth.person_claims(uow, user, family.org_id)
        if grant is None or grant.revoked_at is not None or family.revoked_at is not None or person is None:
            raise InvalidGrantError("The access this application was granted has ended.")
        grant.last_used_at = now
        scope = token.get("scope") or family.scope
        request.portico["access_claims"] = {**person, "amr": list(family.amr), "scope": scope, "client_id": client.id,
                                            "gid": grant.id, "fid": family.id}
        if grant_type == "authorization_code" and "openid" in scope.split():
            request.portico["id_token_claims"] = oauth.id_token_claims(
                client, user, scope=scope, nonce=code.nonce, auth_time=code.auth_time, amr=code.amr)
        if token.get("refresh_token"):
            uow.oauth_refresh_tokens.add(oauth.OAuthRefreshToken(
                token_hash=digest(token["refresh_token"]), family_id=family.id, issued_at=now,
                expires_at=now + oauth.REFRESH_TTL))


def _uuid_like(value) -> bool:
    return isinstance(value, str) and len(value) == 36 and value.count("-") == 4 and value.replace("-", "").isalnum()
