"""The suite runs against the whole Portico stack, started once per test session by the same
`portico up` the README names: real processes, real databases, a real broker in real mode.

PORTICO_TEST_MODE=embedded (SQLite + the filesystem bus) or real (PostgreSQL + RabbitMQ).
The environment is set here, before any Portico module is imported, so that a test that opens a
service's database or the bus directly sees the same ones as the running stack.
"""
from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
MODE = os.environ.get("PORTICO_TEST_MODE", "embedded")
RUN_ID = uuid.uuid4().hex[:8]
COMPONENTS = ("gateway", "identity", "orgs", "billing", "domains", "tickets", "notifications")
# Several test runs may share a machine (PORTICO_TEST_PORT_BASE keeps their ports and databases apart).
PORT_BASE = int(os.environ.get("PORTICO_TEST_PORT_BASE", "18000"))
PORTS = {component: PORT_BASE + 80 + index for index, component in enumerate(COMPONENTS)}
SANDBOX_REGISTRY_PORT = PORT_BASE + 77

DATA_DIR = Path(tempfile.mkdtemp(prefix=f"portico-test-{MODE}-"))
os.environ.update({
    "PORTICO_DATA_DIR": str(DATA_DIR),
    "PORTICO_BUS_PREFIX": f"portico-test-{RUN_ID}",
    "PORTICO_VALIDATE_RESPONSES": "true",
    "PORTICO_CORS_ORIGINS": "https://app.example.test",
    "PORTICO_LOG_LEVEL": "INFO",
    "PORTICO_WEB_WORKERS": "1",
    # The notifications service's mails go to the `smtp` fixture's server (so `portico up` starts no mail sink).
    "PORTICO_SMTP_HOST": "127.0.0.1",
    "PORTICO_SMTP_PORT": str(PORT_BASE + 25),
    # The tickets service's inbound SMTP server (customers' email answers, TI-01).
    # (PORT_BASE + 26 is an organization's own mail server in tests/test_notifications.py)
    "TICKETS_MAIL_PORT": str(PORT_BASE + 27),
    "TICKETS_REPLY_DOMAIN": "support.example.test",
    # Organizations' own mail servers in the tests listen on loopback and present certificates made
    # by the tests (ID-15).
    "PORTICO_SMTP_ALLOW_PRIVATE_HOSTS": "true",
    # Encrypts organizations' SMTP passwords; real mode needs it set (ID-15).
    "PORTICO_SECRET_KEYS": Fernet.generate_key().decode(),
    # Seals tickets' sensitive data and support codes (TI-02, TI-05); real mode needs it set.
    "PORTICO_ENVELOPE_KEYS": "test-1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "PORTICO_SMTP_CA_FILE": str(Path(tempfile.gettempdir()) / f"portico-test-smtp-ca-{PORT_BASE}.pem"),
    # Where the `clock` fixture moves a component's time forward.
    "PORTICO_CLOCK_DIR": str(DATA_DIR / "clock"),
    # The sandbox registry runs in both modes (tests/test_sandbox_registry.py).
    "PORTICO_SANDBOX_REGISTRY": "on",
    "SANDBOX_REGISTRY_PORT": str(SANDBOX_REGISTRY_PORT),
    "SANDBOX_REGISTRY_CLIENTS": "portico:portico-sandbox,other:other-sandbox",
})
for name in ("SANDBOX_REGISTRY_DATABASE_URL", "SANDBOX_REGISTRY_TLS_DIR", "SANDBOX_REGISTRY_TRANSFER_DAYS"):
    os.environ.pop(name, None)
for component, port in PORTS.items():
    os.environ[f"{component.upper()}_PORT"] = str(port)
    os.environ.pop(f"{component.upper()}_URL", None)
    os.environ.pop(f"{component.upper()}_DATABASE_URL", None)
os.environ.pop("PORTICO_JWKS_URL", None)

if MODE == "real":
    from tests.run import BROKER, POSTGRES

    os.environ["PORTICO_BROKER_URL"] = BROKER
    for component in COMPONENTS:
        os.environ[f"{component.upper()}_DATABASE_URL"] = f"{POSTGRES}/portico_test_{PORT_BASE}_{component}"
    os.environ["SANDBOX_REGISTRY_DATABASE_URL"] = f"{POSTGRES}/portico_test_{PORT_BASE}_sandbox_registry"
else:
    os.environ["PORTICO_BROKER_URL"] = "filesystem://"


def pytest_collection_modifyitems(config, items):
    skip_real = pytest.mark.skip(reason="needs PostgreSQL and RabbitMQ (real mode)")
    for item in items:
        if "real" in item.keywords and MODE != "real":
            item.add_marker(skip_real)


def _drop_test_databases() -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for component in (*COMPONENTS, "sandbox_registry"):
            conn.execute(text(f'DROP DATABASE IF EXISTS "portico_test_{PORT_BASE}_{component}" WITH (FORCE)'))
    admin.dispose()


class Stack:
    """The running suite: where each component listens, and its log."""

    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process = process
        self.log_path = log_path
        self.gateway = f"http://127.0.0.1:{PORTS['gateway']}"
        self.urls = {c: f"http://127.0.0.1:{p}" for c, p in PORTS.items()}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class MailBox:
    """Every mail the suite's SMTP server received (aiosmtpd on loopback, the `smtp` fixture)."""

    def __init__(self):
        self.messages: list = []
        self._lock = threading.Lock()
        self._refusals: list[dict] = []

    def refuse(self, marker: str, reply: str, times: int | None = None) -> None:
        """Answer `reply` (e.g. "550 5.1.1 no such mailbox", or "451 …" for a temporary failure) to
        recipients whose address contains `marker`: `times` times, or always."""
        with self._lock:
            self._refusals.append({"marker": marker.lower(), "reply": reply, "left": times})

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            for refusal in self._refusals:
                if refusal["marker"] in address.lower() and refusal["left"] != 0:
                    if refusal["left"] is not None:
                        refusal["left"] -= 1
                    return refusal["reply"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        mail = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append({"to": [a.lower() for a in envelope.rcpt_tos], "subject": str(mail["Subject"]),
                                  "body": mail.get_body(preferencelist=("plain",)).get_content(),
                                  "attachments": {part.get_filename(): part.get_content() for part in mail.iter_attachments()}})
        return "250 Message accepted for delivery"

    def to(self, address: str, subject_contains: str = "") -> list[dict]:
        with self._lock:
            return [m for m in self.messages
                    if address.lower() in m["to"] and subject_contains.lower() in m["subject"].lower()]

    def wait_for(self, to: str, subject_contains: str = "", timeout: float = 30.0) -> dict:
        from tests.helpers import eventually

        return eventually(lambda: (self.to(to, subject_contains) or [None])[-1], timeout,
                          what=f"a mail to {to} about {subject_contains!r}")


@pytest.fixture(scope="session")
def smtp():
    from aiosmtpd.controller import Controller

    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=int(os.environ["PORTICO_SMTP_PORT"]))
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="session")
def stack(smtp):
    if MODE == "real":
        _drop_test_databases()
    log_path = ROOT / "var" / "test-logs" / f"{MODE}-{PORT_BASE}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    process = subprocess.Popen([sys.executable, "-m", "portico_kernel.launcher", "up"], cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while "Portico is up" not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.exit(f"the stack did not start; see {log_path}:\n{log_path.read_text(errors='replace')[-4000:]}", 3)
        time.sleep(0.3)
    yield Stack(process, log_path)
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    log.close()
    if MODE == "real":
        from portico_kernel import bus, config

        bus.drop_namespace(config.load("gateway"))
    shutil.rmtree(DATA_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def api(stack):
    from tests.helpers import Api

    return Api(stack.gateway)


class ComponentClocks:
    """Moves a component's time forward in all its processes (portico_kernel/clock.py ShiftedClock):
    renewals, reminders and expiries happen as they would days later. Each move adds to the last;
    the test's end puts every clock back."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.shifts: dict[str, float] = {}

    def ahead(self, component: str, **delta: float) -> None:
        from datetime import timedelta
        self.shifts[component] = self.shifts.get(component, 0.0) + timedelta(**delta).total_seconds()
        path = self.folder / f"{component}.shift"
        path.with_suffix(".tmp").write_text(str(self.shifts[component]))
        path.with_suffix(".tmp").replace(path)

    def reset(self) -> None:
        for component in self.shifts:
            (self.folder / f"{component}.shift").unlink(missing_ok=True)
        self.shifts.clear()


@pytest.fixture
def clock(stack):
    clocks = ComponentClocks(Path(os.environ["PORTICO_CLOCK_DIR"]))
    yield clocks
    clocks.reset()
