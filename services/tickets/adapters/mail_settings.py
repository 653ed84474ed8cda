"""Where customers' email answers to tickets go (TI-01): the reply domain of the per-ticket
addresses (reply+<token>@TICKETS_REPLY_DOMAIN) and the port of the inbound SMTP server."""
from __future__ import annotations

from portico_kernel.config import env

DEFAULT_PORT = 8026


def reply_domain() -> str:
    return env("TICKETS_REPLY_DOMAIN", "support.portico.local").strip().lower()


def inbound_port() -> int:
    return int(env("TICKETS_MAIL_PORT", str(DEFAULT_PORT)))


def inbound_host() -> str:
    return env("PORTICO_BIND_HOST", "127.0.0.1")
