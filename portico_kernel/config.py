"""Configuration from environment variables, with embedded defaults.

Every variable is listed in README.md ("Configuration"). The embedded default needs no server:
SQLite files and a broker-less transport under PORTICO_DATA_DIR.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

SERVICES = ("identity", "orgs", "billing", "domains", "tickets", "notifications")
DEFAULT_PORTS = {"gateway": 8080, "identity": 8101, "orgs": 8102, "billing": 8103, "domains": 8104, "tickets": 8105, "notifications": 8106}


# Every variable a Portico process reads; README.md's configuration table lists the same names, and
# the deployment tests check that compose and the manifests set no variable missing here.
# `{SERVICE}` stands for a component's name in upper case (IDENTITY, ORGS, …, GATEWAY).
VARIABLES = {
    "PORTICO_DATA_DIR": "folder of the embedded SQLite files and bus (default ./var)",
    "PORTICO_BROKER_URL": "amqp://user:pass@host:5672/vhost for RabbitMQ; default filesystem:// (embedded)",
    "PORTICO_BUS_PREFIX": "prefix of exchange and queue names (default portico)",
    "PORTICO_JWKS_URL": "where services fetch the gateway's public keys (default {GATEWAY_URL}/.well-known/jwks.json)",
    "PORTICO_TOKEN_ISSUER": "iss of access tokens (default portico)",
    "PORTICO_TOKEN_AUDIENCE": "aud of access tokens (default portico)",
    "PORTICO_OAUTH_ISSUER": "the OAuth 2.0 / OpenID Connect issuer: the gateway's public URL, in discovery and in ID tokens (default {GATEWAY_URL})",
    "PORTICO_ACCESS_TOKEN_TTL": "access token lifetime in seconds (default 300); gateway and services refuse tokens meant to live longer, so give every component the same value",
    "PORTICO_LOG_LEVEL": "DEBUG, INFO, WARNING (default INFO)",
    "PORTICO_VALIDATE_RESPONSES": "true: check every response against the contract (the tests do)",
    "PORTICO_CONTRACTS_DIR": "folder of the OpenAPI and event contracts (default ./contracts)",
    "PORTICO_WEB_WORKERS": "gunicorn workers per web process (default 1 embedded, 2 otherwise)",
    "PORTICO_WEB_THREADS": "threads per web worker that run synchronous handlers (default 4)",
    "PORTICO_MAX_BODY_BYTES": "the largest request body the gateway and every service read; larger ones get 413 (default 1048576, 1 MiB)",
    "PORTICO_CORS_ORIGINS": "origins (scheme://host[:port], separated by commas or spaces) whose browser pages may call the gateway (CORS); default none",
    "PORTICO_BIND_HOST": "address the web processes listen on (default 127.0.0.1)",
    "PORTICO_ADMIN_PASSWORD": "password for `identity.entrypoints.admin create-staff` when no terminal asks",
    "PORTICO_PUBLIC_URL": "where people reach the customer center; links in emails point there (default http://127.0.0.1:8080)",
    "PORTICO_SMTP_HOST": "the provider's SMTP server, through which the notifications service sends every email (default 127.0.0.1; `portico up` runs a local sink when unset)",
    "PORTICO_SMTP_PORT": "its port (default 8025)",
    "PORTICO_SMTP_SENDER": "From: of the provider's emails (default Portico <no-reply@portico.local>)",
    "PORTICO_ONCALL_EMAIL": "where the notifications service mails emergencies (critical tickets, TI-03) at once, day and night (default oncall@portico.local)",
    "PORTICO_SMTP_STARTTLS": "true: STARTTLS before sending (default false)",
    "PORTICO_SMTP_USER": "SMTP user, when the server wants one (optional)",
    "PORTICO_SMTP_PASSWORD": "SMTP password (optional)",
    "PORTICO_SMTP_ALLOW_PRIVATE_HOSTS": "true: organizations' own SMTP servers may be on private or loopback addresses (test systems only; default false)",
    "PORTICO_SMTP_CA_FILE": "PEM file of the authorities that STARTTLS certificates of mail servers are checked against (default: the system's)",
    "PORTICO_SECRET_KEYS": "Fernet keys (comma-separated, newest first) that encrypt stored secrets (organizations' SMTP passwords, TOTP seeds); older keys still decrypt, so a key is rotated by putting a new one first (default: a key made once under PORTICO_DATA_DIR, embedded only)",
    "PORTICO_ENVELOPE_KEYS": "key-encryption keys for envelope encryption of values kept per record (tickets' sensitive data, TI-02): `id:base64key` pairs of 32-byte AES keys, comma-separated, newest first; the first wraps new data keys, the others still unwrap until every value is rewrapped (default: a key made once under PORTICO_DATA_DIR, embedded only)",
    "PORTICO_SMS_TRANSPORT": "how identity sends SMS codes: `file` (default; writes each message under {PORTICO_DATA_DIR}/sms/)",
    "PORTICO_CLOCK_DIR": "rehearsals and tests only: a folder where `<component>.shift` holds seconds by which that component's clock runs ahead (renewals, reminders, expiries happen sooner); never set in production",
    "PORTICO_WEBAUTHN_RP_ID": "WebAuthn relying party id, the site's domain (default localhost)",
    "PORTICO_WEBAUTHN_ORIGIN": "origin security keys are used from (default http://localhost:8080)",
    "FORWARDED_ALLOW_IPS": "proxies (addresses or networks) in front of the gateway whose X-Forwarded-For names the caller; read by the gateway's web command only (default none: the caller is the gateway's peer)",
    "TICKETS_MAIL_PORT": "port of the tickets service's inbound SMTP server, which takes customers' email answers to tickets (default 8026; TI-01)",
    "TICKETS_REPLY_DOMAIN": "mail domain of tickets' reply addresses reply+<token>@<domain>; the provider's mail exchanger relays it to the inbound SMTP server (default support.portico.local)",
    "PORTICO_SANDBOX_REGISTRY": "`on` or `off`: whether `portico up` starts the sandbox registry, an EPP server for development and tests (default on in embedded mode, off otherwise)",
    "SANDBOX_REGISTRY_PORT": "port of the sandbox registry's EPP server over TLS (default 7700)",
    "SANDBOX_REGISTRY_DATABASE_URL": "the sandbox registry's own database (default sqlite:///{PORTICO_DATA_DIR}/sandbox-registry.db)",
    "SANDBOX_REGISTRY_CLIENTS": "registrars that may log in to the sandbox registry, `id:password` pairs separated by commas (default portico:portico-sandbox,other:other-sandbox)",
    "DOMAINS_REGISTRY_URL": "the EPP registry serving every TLD without a registry of its own below, epps://host:port (`portico up` sets it to the sandbox registry it starts; unset: no registry, domain orders wait)",
    "DOMAINS_REGISTRY_LOGIN": "our registrar's client id at that registry",
    "DOMAINS_REGISTRY_PASSWORD": "its password",
    "DOMAINS_REGISTRY_CA_FILE": "PEM file of the CA (or a sandbox's own certificate) the registry's TLS certificate is checked against (default: the system's)",
    "DOMAINS_REGISTRY_CERT_FILE": "client certificate presented to the registry, where it asks for one (optional)",
    "DOMAINS_REGISTRY_KEY_FILE": "its private key (optional)",
    "DOMAINS_REGISTRY_{REGISTRY}_URL": "the same six settings per registry, {REGISTRY} being a TLD's `registry` in services/domains/data/tlds.yaml upper-cased, other characters as _ (SWITCH, VERISIGN, REGISTRO_IT …): _URL, _LOGIN, _PASSWORD, _CA_FILE, _CERT_FILE, _KEY_FILE",
    "SANDBOX_REGISTRY_TLS_DIR": "where the sandbox registry keeps the self-signed certificate.pem and key.pem it makes on first start (default {PORTICO_DATA_DIR}/sandbox-registry)",
    "SANDBOX_REGISTRY_TRANSFER_DAYS": "days after which the sandbox registry approves a transfer the losing registrar did not answer (default 5)",
    "{SERVICE}_DATABASE_URL": "the component's own database (default sqlite:///{PORTICO_DATA_DIR}/{service}.db)",
    "{SERVICE}_PORT": "port of the component's web process (gateway 8080, identity 8101 … tickets 8105, notifications 8106)",
    "{SERVICE}_URL": "where the gateway reaches the component (default http://127.0.0.1:{SERVICE}_PORT)",
}


_REGISTRY_VARIABLE = re.compile(r"^DOMAINS_REGISTRY_[A-Z0-9_]+_(URL|LOGIN|PASSWORD|CA_FILE|CERT_FILE|KEY_FILE)$")


def known_variable(name: str) -> bool:
    components = ("GATEWAY", *(s.upper() for s in SERVICES))
    if name in VARIABLES or _REGISTRY_VARIABLE.match(name):
        return True
    return any(name == pattern.replace("{SERVICE}", c) for pattern in VARIABLES for c in components)


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def data_dir() -> Path:
    return Path(env("PORTICO_DATA_DIR", str(REPO_ROOT / "var"))).resolve()


def contracts_dir() -> Path:
    return Path(env("PORTICO_CONTRACTS_DIR", str(REPO_ROOT / "contracts"))).resolve()


def port_of(component: str) -> int:
    return int(env(f"{component.upper()}_PORT", str(DEFAULT_PORTS[component])))


def url_of(component: str) -> str:
    """Where a component is reached on the internal network (the gateway's upstreams)."""
    return env(f"{component.upper()}_URL", f"http://127.0.0.1:{port_of(component)}").rstrip("/")


@dataclass(frozen=True)
class Settings:
    component: str
    database_url: str
    broker_url: str
    bus_prefix: str
    jwks_url: str
    issuer: str
    audience: str
    access_token_ttl: int

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem:")

    @property
    def bus_folder(self) -> Path:
        return data_dir() / "bus"


def load(component: str) -> Settings:
    default_db = f"sqlite:///{data_dir() / (component + '.db')}"
    return Settings(
        component=component,
        database_url=env(f"{component.upper()}_DATABASE_URL", default_db),
        broker_url=env("PORTICO_BROKER_URL", "filesystem://"),
        bus_prefix=env("PORTICO_BUS_PREFIX", "portico"),
        jwks_url=env("PORTICO_JWKS_URL", f"{url_of('gateway')}/.well-known/jwks.json"),
        issuer=env("PORTICO_TOKEN_ISSUER", "portico"),
        audience=env("PORTICO_TOKEN_AUDIENCE", "portico"),
        access_token_ttl=int(env("PORTICO_ACCESS_TOKEN_TTL", "300")),
    )
