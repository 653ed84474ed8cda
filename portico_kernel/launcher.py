"""`portico up`: migrate every database, start every process of the suite, tag their logs, and
stop them all cleanly on Ctrl-C.

The same commands run under docker-compose and Kubernetes (see deploy/): one web process
(gunicorn with uvicorn workers), one event consumer and one outbox relay per service, as the
AsyncAPI document says the service receives and sends events, and a scheduler where a service
has one (identity's sends and retries mails).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from . import config, migrate, topology

COMPONENTS = ("gateway", *config.SERVICES)
COLORS = ("36", "32", "33", "35", "34", "31")


def package_of(component: str) -> str:
    return "gateway" if component == "gateway" else f"services.{component}"


# An idle keep-alive connection is closed by its client first (the gateway's upstream pool after
# 30 s, an ingress after 60 s): a server closing it first races with a request being sent on it,
# and that request fails with a reset connection.
KEEP_ALIVE_SECONDS = "75"


def trusted_proxies(component: str) -> str:
    """Who may name the caller in X-Forwarded-For: the proxies in front of the gateway, listed
    explicitly (gunicorn and uvicorn would trust 127.0.0.1 by default, so anyone on the machine
    could choose their address). The services trust no one: identity gets the caller's address from
    the gateway in the sign-in body, never from a header."""
    return config.env("FORWARDED_ALLOW_IPS", "") if component == "gateway" else ""


def web_worker(component: str) -> str:
    """The kernel's web worker, or the component's own where it has one (`entrypoints/web_worker.py`:
    the gateway's answers routed reads at the connection)."""
    own = package_of(component).replace(".", "/") + "/entrypoints/web_worker.py"
    if (config.REPO_ROOT / own).exists():
        return f"{package_of(component)}.entrypoints.web_worker.{component.capitalize()}Worker"
    return "portico_kernel.web_worker.WebWorker"


def web_command(component: str) -> list[str]:
    workers = config.env("PORTICO_WEB_WORKERS", "1" if config.env("PORTICO_BROKER_URL", "filesystem://").startswith("filesystem") else "2")
    host = config.env("PORTICO_BIND_HOST", "127.0.0.1")
    return [
        sys.executable, "-m", "gunicorn", "--worker-class", web_worker(component),
        "--workers", workers, "--bind", f"{host}:{config.port_of(component)}",
        "--graceful-timeout", "5", "--timeout", "60", "--keep-alive", KEEP_ALIVE_SECONDS, "--log-level", "warning",
        "--forwarded-allow-ips", trusted_proxies(component),
        # gunicorn's control socket has one default path per user: every instance on a machine
        # would take it over from the one before. Nothing here uses it.
        "--no-control-socket",
        f"{package_of(component)}.entrypoints.web:app",
    ]


def has_scheduler(component: str) -> bool:
    """A component whose package has `entrypoints/scheduler.py` runs it as a process of its own."""
    return (config.REPO_ROOT / package_of(component).replace(".", "/") / "entrypoints" / "scheduler.py").exists()


def has_inbound_mail(component: str) -> bool:
    """A component whose package has `entrypoints/inbound_mail.py` (tickets: customers' email answers,
    TI-01) runs that SMTP server as a process of its own."""
    return (config.REPO_ROOT / package_of(component).replace(".", "/") / "entrypoints" / "inbound_mail.py").exists()


def sandbox_registry_enabled() -> bool:
    """The sandbox registry (an EPP server for development and tests, `sandbox_registry/`) runs
    unless PORTICO_SANDBOX_REGISTRY is `off`; without the setting it runs in embedded mode only."""
    embedded = config.env("PORTICO_BROKER_URL", "filesystem://").startswith("filesystem")
    return config.env("PORTICO_SANDBOX_REGISTRY", "on" if embedded else "off").lower() not in ("off", "false", "0", "no")


SANDBOX_REGISTRY_COMMAND = ["-m", "sandbox_registry"]


def sandbox_registry_settings() -> dict[str, str]:
    """Where domains finds the sandbox registry `portico up` starts, as its default registry
    (DOMAINS_REGISTRY_*, services/domains/adapters/registries.py): the sandbox's first registrar
    login, its self-signed certificate as the CA. Nothing when a registry is configured already."""
    if not sandbox_registry_enabled() or config.env("DOMAINS_REGISTRY_URL"):
        return {}
    host = config.env("PORTICO_BIND_HOST", "127.0.0.1")
    port = config.env("SANDBOX_REGISTRY_PORT", "7700")
    first = config.env("SANDBOX_REGISTRY_CLIENTS", "portico:portico-sandbox,other:other-sandbox").split(",")[0]
    login, _, password = first.strip().partition(":")
    tls_dir = Path(config.env("SANDBOX_REGISTRY_TLS_DIR", str(config.data_dir() / "sandbox-registry")))
    return {"DOMAINS_REGISTRY_URL": f"epps://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}",
            "DOMAINS_REGISTRY_LOGIN": login, "DOMAINS_REGISTRY_PASSWORD": password,
            "DOMAINS_REGISTRY_CA_FILE": str(tls_dir.resolve() / "certificate.pem")}


def processes() -> list[tuple[str, list[str]]]:
    receiving, sending = set(topology.subscriptions()), topology.producers()
    table: list[tuple[str, list[str]]] = []
    if config.env("PORTICO_SMTP_HOST") is None:  # no mail server configured: print mails instead
        table.append(("mail.sink", [sys.executable, "-m", "portico_kernel.smtp_sink"]))
    if sandbox_registry_enabled():
        table.append(("sandbox-registry", [sys.executable, *SANDBOX_REGISTRY_COMMAND]))
    for component in COMPONENTS:
        table.append((f"{component}.web", web_command(component)))
        if component in receiving:
            table.append((f"{component}.consumer", [sys.executable, "-m", f"{package_of(component)}.entrypoints.consumer"]))
        if component in sending:
            table.append((f"{component}.relay", [sys.executable, "-m", f"{package_of(component)}.entrypoints.relay"]))
        if has_scheduler(component):
            table.append((f"{component}.scheduler", [sys.executable, "-m", f"{package_of(component)}.entrypoints.scheduler"]))
        if has_inbound_mail(component):
            table.append((f"{component}.inbound-mail", [sys.executable, "-m", f"{package_of(component)}.entrypoints.inbound_mail"]))
    return table


class Supervisor:
    def __init__(self):
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.colors: dict[str, str] = {}
        self.stopping = False
        self.width = max(len(name) for name, _ in processes())
        self._print_lock = threading.Lock()

    def say(self, name: str, line: str, color: str = "0") -> None:
        tag = f"\033[{color}m{name:<{self.width}}\033[0m" if sys.stdout.isatty() else f"{name:<{self.width}}"
        with self._print_lock:
            print(f"{tag} | {line}", flush=True)

    def start(self, name: str, argv: list[str], color: str) -> None:
        # Each child leads its own process group (Ctrl-C reaches only us; we stop them in order)
        # and is told to die with us should we be killed outright.
        child = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            cwd=str(config.REPO_ROOT), start_new_session=True, preexec_fn=_die_with_parent,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.children.append((name, child))
        self.colors[name] = color
        threading.Thread(target=self._pump, args=(name, child, color), daemon=True).start()

    def _pump(self, name: str, child: subprocess.Popen, color: str) -> None:
        for line in child.stdout:
            self.say(name, line.rstrip(), color)

    def stop(self) -> None:
        self.stopping = True
        for _, child in self.children:
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, child in self.children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(child, signal.SIGKILL)  # whatever of its group is left (e.g. gunicorn workers)

    MAX_RESTARTS = 5  # per process and minute; more means it cannot run at all

    def watch(self) -> int:
        """Restart a process that died, as an orchestrator would; give up if it keeps dying."""
        restarts: dict[str, list[float]] = {}
        while not self.stopping:
            for index, (name, child) in enumerate(self.children):
                if child.poll() is None:
                    continue
                recent = [t for t in restarts.get(name, []) if t > time.monotonic() - 60] + [time.monotonic()]
                restarts[name] = recent
                if len(recent) > self.MAX_RESTARTS:
                    self.say("portico", f"{name} keeps exiting (last code {child.returncode}); stopping everything")
                    return 1
                self.say("portico", f"{name} exited with {child.returncode}; restarting it")
                self.children.pop(index)
                self.start(name, child.args, self.colors[name])
                break
            time.sleep(0.5)
        return 0


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        # Not Linux: Ctrl-C still stops everything; only a kill -9 of the launcher leaves orphans.
        return


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(child.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def wait_until_ready(url: str, supervisor: "Supervisor", timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not supervisor.stopping:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def wait_until_listening(host: str, port: int, supervisor: "Supervisor", timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not supervisor.stopping:
        try:
            with socket.create_connection((host, port), timeout=2):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def up() -> int:
    config.data_dir().mkdir(parents=True, exist_ok=True)
    print(f"portico: migrating databases ({'embedded' if config.env('PORTICO_BROKER_URL', 'filesystem://').startswith('filesystem') else 'real mode'})", flush=True)
    migrate.main([])
    os.environ.update(sandbox_registry_settings())  # the children (domains) use the sandbox as their registry
    supervisor = Supervisor()
    stop_requested = threading.Event()

    def _on_signal(*_):
        stop_requested.set()
        supervisor.stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    for index, (name, argv) in enumerate(processes()):
        supervisor.start(name, argv, COLORS[index % len(COLORS)])
    gateway = f"http://{config.env('PORTICO_BIND_HOST', '127.0.0.1')}:{config.port_of('gateway')}"
    urls = [f"{config.url_of(c)}/readyz" for c in COMPONENTS]
    ready = all(wait_until_ready(u, supervisor) for u in urls)
    if ready and sandbox_registry_enabled():
        host = config.env("PORTICO_BIND_HOST", "127.0.0.1")
        port = int(config.env("SANDBOX_REGISTRY_PORT", "7700"))
        ready = wait_until_listening("127.0.0.1" if host == "0.0.0.0" else host, port, supervisor)
    if ready and any(has_inbound_mail(c) for c in COMPONENTS):
        host = config.env("PORTICO_BIND_HOST", "127.0.0.1")
        port = int(config.env("TICKETS_MAIL_PORT", "8026"))
        ready = wait_until_listening("127.0.0.1" if host == "0.0.0.0" else host, port, supervisor)
    if ready and not supervisor.stopping:
        supervisor.say("portico", f"Portico is up: the gateway listens on {gateway} (Ctrl-C stops everything)")
    code = supervisor.watch()
    supervisor.say("portico", "stopping …")
    supervisor.stop()
    supervisor.say("portico", "stopped")
    return 0 if stop_requested.is_set() else code


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="portico", description="Run the Portico suite on this machine.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="migrate and start every service and the gateway")
    sub.add_parser("migrate", help="bring every database to the newest revision")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate.main([])
        return
    sys.exit(up())


if __name__ == "__main__":
    main()
