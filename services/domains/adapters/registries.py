"""Which registry serves a TLD, and with which credentials: settings (DOMAINS_REGISTRY_URL, _LOGIN,
_PASSWORD, _CA_FILE for every TLD; DOMAINS_REGISTRY_<REGISTRY>_URL etc. for one registry, REGISTRY
being tlds.yaml's `registry` in upper case with other characters as _). Without settings, the
sandbox registry `portico up` starts on this machine. One EPP session per registry and process."""
from __future__ import annotations

import os
import re
import threading
from urllib.parse import urlsplit

from ..domain.registry import Registry
from .epp.client import EppClient, EppSettings
from .tld_file import tld_catalog

_clients: dict[str, EppClient] = {}
_lock = threading.Lock()


def _setting(registry: str, name: str, default: str | None = None) -> str | None:
    key = re.sub(r"[^A-Z0-9]", "_", registry.upper())
    return os.environ.get(f"DOMAINS_REGISTRY_{key}_{name}") or os.environ.get(f"DOMAINS_REGISTRY_{name}") or default


def settings_for(registry: str) -> EppSettings:
    sandbox = f"epps://127.0.0.1:{os.environ.get('SANDBOX_REGISTRY_PORT', '7700')}"
    url = urlsplit(_setting(registry, "URL", sandbox))
    local = url.hostname in ("127.0.0.1", "localhost", "::1")
    ca_file = _setting(registry, "CA_FILE")
    return EppSettings(host=url.hostname or "127.0.0.1", port=url.port or 700,
                       client_id=_setting(registry, "LOGIN", "portico"),
                       password=_setting(registry, "PASSWORD", "portico-sandbox"),
                       ca_file=ca_file, verify=bool(ca_file) or not local, timeout=20.0)


def registry_for(tld: str) -> Registry:
    registry = tld_catalog().for_tld(tld).registry
    with _lock:
        if registry not in _clients:
            _clients[registry] = EppClient(settings_for(registry))
        return _clients[registry]
