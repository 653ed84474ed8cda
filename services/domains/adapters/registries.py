"""Which registry serves a TLD, and as which registrar: settings, not code.

Every TLD of `data/tlds.yaml` names its registry (`registry: SWITCH`). The registry is reached at

    DOMAINS_REGISTRY_<REGISTRY>_URL        epps://host:port (port 700 when left out)
    DOMAINS_REGISTRY_<REGISTRY>_LOGIN      our client id at that registry
    DOMAINS_REGISTRY_<REGISTRY>_PASSWORD
    DOMAINS_REGISTRY_<REGISTRY>_CA_FILE    the CA (or a sandbox's own certificate) to trust; empty: the system's
    DOMAINS_REGISTRY_<REGISTRY>_CERT_FILE, _KEY_FILE   a client certificate, where the registry asks for one

where <REGISTRY> is the registry's name upper-cased, anything not a letter or digit as `_`
(`Registro.it` -> `REGISTRO_IT`). A setting left out there comes from the defaults without the
registry's name (`DOMAINS_REGISTRY_URL`, …), which serve every TLD: `portico up` points them at
the sandbox registry it starts. A TLD whose registry has no URL configured has no registry: asking
it is `RegistryUnavailable`, and orders wait (they are tried again) until one is configured.

One EPP client (one session, commands serialized) per registry and process.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from portico_kernel import config

from ..domain.registry import Registry, RegistryUnavailable
from ..domain.tld_rules import TldCatalog
from .epp.client import EppClient, EppSettings
from .tld_file import tld_catalog

PREFIX = "DOMAINS_REGISTRY"
DEFAULT_EPP_PORT = 700  # RFC 5734 section 2


class RegistryMisconfigured(ValueError):
    """A registry's settings cannot be used (a URL that is not epps://host:port, a missing login)."""


def key_of(registry: str) -> str:
    """`Registro.it` -> `REGISTRO_IT`: the part of the settings' names that names the registry."""
    return re.sub(r"[^A-Z0-9]", "_", registry.upper())


@dataclass(frozen=True)
class RegistryConfig:
    registry: str
    host: str
    port: int
    login: str
    password: str = field(repr=False)
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def epp_settings(self) -> EppSettings:
        return EppSettings(host=self.host, port=self.port, client_id=self.login, password=self.password,
                           ca_file=self.ca_file, client_certificate=self.cert_file, client_key=self.key_file,
                           server_hostname=self.host, timeout=30.0)


def _setting(environ, registry: str, name: str) -> str | None:
    for key in (f"{PREFIX}_{key_of(registry)}_{name}", f"{PREFIX}_{name}"):
        value = environ(key)
        if value is not None and value.strip() != "":
            return value.strip()
    return None


def registry_config(registry: str, environ=None) -> RegistryConfig | None:
    """The settings of one registry (None: no URL configured for it)."""
    environ = environ or config.env
    url = _setting(environ, registry, "URL")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("epps", "epp") or not parts.hostname:
        raise RegistryMisconfigured(f"{PREFIX}_{key_of(registry)}_URL: an EPP registry's URL is epps://host:port")
    try:
        port = parts.port or DEFAULT_EPP_PORT
    except ValueError:
        raise RegistryMisconfigured(f"{PREFIX}_{key_of(registry)}_URL: the port is not a number") from None
    login, password = _setting(environ, registry, "LOGIN"), _setting(environ, registry, "PASSWORD")
    if not login or not password:
        raise RegistryMisconfigured(f"{PREFIX}_{key_of(registry)}_LOGIN and _PASSWORD: the registrar's login is missing")
    return RegistryConfig(registry=registry, host=parts.hostname, port=port, login=login, password=password,
                          ca_file=_setting(environ, registry, "CA_FILE"),
                          cert_file=_setting(environ, registry, "CERT_FILE"),
                          key_file=_setting(environ, registry, "KEY_FILE"))


class Registries:
    """The registry of each TLD, one client per registry, opened when first asked."""

    def __init__(self, catalog: TldCatalog, environ=None, client_factory=None):
        self.catalog = catalog
        self.environ = environ
        self.client_factory = client_factory or (lambda cfg: EppClient(cfg.epp_settings()))
        self._clients: dict[str, Registry] = {}
        self._lock = threading.Lock()

    def registry_for(self, tld: str) -> Registry:
        """The registry that serves `tld` (LookupError when we do not sell it; RegistryUnavailable
        when no registry is configured for it)."""
        rules = self.catalog.for_tld(tld)
        with self._lock:
            client = self._clients.get(rules.registry)
            if client is None:
                try:
                    settings = registry_config(rules.registry, self.environ)
                except RegistryMisconfigured as wrong:
                    raise RegistryUnavailable(str(wrong)) from None
                if settings is None:
                    raise RegistryUnavailable(f"no registry is configured for .{rules.tld} ({rules.registry})")
                client = self._clients[rules.registry] = self.client_factory(settings)
            return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            close = getattr(client, "close", None)
            if close:
                try:
                    close()
                except Exception:  # a session that is gone is closed
                    pass


_registries: list[Registries] = []


def registries() -> Registries:
    if not _registries:
        _registries.append(Registries(tld_catalog()))
    return _registries[0]
