"""`/v1/notifications/smtp-server`: the organization's own SMTP server (ID-15)."""
from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.web import principal

from ..bootstrap import bootstrap, keyring, templates
from ..domain import smtp_servers
from ..domain.model import SmtpServer
from .emails import summary


def _view(server: SmtpServer) -> dict:
    return {"sender": server.sender, "host": server.host, "port": server.port, "starttls": server.starttls,
            "username": server.username, "has_password": server.password_encrypted is not None,
            "updated_at": iso_utc(server.updated_at)}


def get_smtp_server():
    with bootstrap().uow(reading=True) as uow:
        return _view(smtp_servers.server_of(uow, principal()))


def put_smtp_server(body: dict):
    with bootstrap().uow() as uow:
        return _view(smtp_servers.set_server(uow, principal(), body, keyring().encrypt))


def delete_smtp_server():
    with bootstrap().uow() as uow:
        smtp_servers.remove_server(uow, principal())
    return None, 204


def send_test_email():
    with bootstrap().uow() as uow:
        return summary(smtp_servers.send_test(uow, principal(), templates())), 202
