"""What the tests do over and over: call the gateway as a person would, and wait for events."""
from __future__ import annotations

import random
import time
import uuid
from typing import Callable

import requests
from requests.adapters import HTTPAdapter

PASSWORD = "correct horse battery staple"


def unique_email(tag: str = "person") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.test"


def eventually(probe: Callable[[], object], timeout: float = 30.0, interval: float = 0.25, what: str = "condition"):
    """Poll until `probe()` returns something truthy (events take a moment to travel)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout}s (last: {last!r})")


def problem(response, status: int) -> dict:
    """The answer is a refusal of this status, as RFC 9457 problem details; returns them."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    return response.json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class Api:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, token: str | None = None, **kw):
        return self.http.get(self.url(path), headers=bearer(token) if token else {}, timeout=30, **kw)

    def post(self, path: str, json=None, token: str | None = None, **kw):
        return self.http.post(self.url(path), json=json, headers=bearer(token) if token else {}, timeout=30, **kw)

    def signup(self, email: str | None = None, country: str = "DE", password: str = PASSWORD, **fields) -> dict:
        body = {"email": email or unique_email(), "password": password, "first_name": "Erika",
                "last_name": "Mustermann", "country": country, **fields}
        response = self.post("/v1/auth/signup", body)
        assert response.status_code == 201, response.text
        return {**response.json(), "password": password}

    def login(self, email: str, password: str = PASSWORD) -> dict:
        response = self.post("/v1/auth/login", {"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response.json()

    def put(self, path: str, json=None, token: str | None = None, **kw):
        return self.http.put(self.url(path), json=json, headers=bearer(token) if token else {}, timeout=30, **kw)

    def delete(self, path: str, token: str | None = None, **kw):
        return self.http.delete(self.url(path), headers=bearer(token) if token else {}, timeout=30, **kw)

    def customer_with_org(self, country: str = "DE", **fields) -> dict:
        """A person who signed up, signed in to act in their organization, once orgs has created it."""
        user = self.signup(country=country, **fields)
        tokens = self.login(user["email"])  # acts for the personal organization at once (OR-01)
        org_id = _org_claim(tokens["access_token"])
        assert org_id, claims_of(tokens["access_token"])
        eventually(lambda: self.get(f"/v1/orgs/{org_id}", tokens["access_token"]).status_code == 200,
                   what="the new account's organization in orgs")
        return {**user, "user_id": user["id"], "tokens": tokens, "token": tokens["access_token"], "org_id": org_id}


def claims_of(token: str) -> dict:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})


def _org_claim(token: str) -> str | None:
    return claims_of(token).get("org")


class _FromAddress(HTTPAdapter):
    """Connects from a chosen source address: all of 127.0.0.0/8 is loopback on Linux, so a test
    can be a caller on another network without any header the gateway would have to trust."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Device:
    """A browser on some network: calls the gateway from `address` with its own user agent."""

    def __init__(self, gateway: str, address: str, user_agent: str):
        self.gateway, self.address, self.user_agent = gateway, address, user_agent
        self.http = requests.Session()
        self.http.mount("http://", _FromAddress(address))
        self.http.headers["User-Agent"] = user_agent

    def post(self, path: str, body: dict, token: str | None = None) -> requests.Response:
        return self.http.post(self.gateway + path, json=body, headers=bearer(token) if token else {}, timeout=60)

    def login(self, email: str, password: str = PASSWORD) -> requests.Response:
        return self.post("/v1/auth/login", {"email": email, "password": password})


def new_network() -> str:
    """The first three parts of a loopback /24 (127.a.b) that no other test is likely to use."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 254)}"


def device(stack, network: str | None = None, host: int = 10, user_agent: str | None = None) -> Device:
    network = network or new_network()
    return Device(stack.gateway, f"{network}.{host}", user_agent or f"TestBrowser/{random.randint(1, 10 ** 6)}")
