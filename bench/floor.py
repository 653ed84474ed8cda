"""(d) The request floor: what one authenticated read costs in a service, and what the gateway adds.

On a running stack (one web worker per component), with concurrent lean clients on loopback:
  - the service: GET /v1/orgs straight at orgs (token check, one indexed query, JSON);
  - the reference: the same read by a bare ASGI app (bench/reference.py), one worker, same server;
  - the gateway alone: a second gateway worker whose orgs upstream is a trivial app;
  - routed: GET /v1/orgs through the stack's gateway to orgs.
With BENCH_PROFILE=1, py-spy draws where the service's and the lone gateway's worker spend their
time while measured: var/bench-<service|gateway_alone>-<database>.svg.
"""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from .load import Rate, rate

ROOT = Path(__file__).resolve().parents[1]


class Measured(NamedTuple):
    rate: Rate
    cpu_us: float  # CPU time the serving processes spent per answered request, µs
    gateway_cpu_us: float | None = None  # the gateway's part of it, for a routed request

    def __str__(self) -> str:
        gateway = f" (the gateway {self.gateway_cpu_us:,.0f})" if self.gateway_cpu_us is not None else ""
        return f"{self.rate}, {self.cpu_us:,.0f} µs CPU each{gateway}"


TARGETS = ("service", "reference", "gateway_alone", "routed")


class Floor(NamedTuple):
    """Each round's measure of each target, taken one after the other within the round."""

    rounds: list[dict[str, Measured]]

    def typical(self, target: str) -> Measured:
        """The round of median rate."""
        return sorted((r[target] for r in self.rounds), key=lambda m: m.rate.per_second)[len(self.rounds) // 2]

    def ratios(self, of: str, to: str) -> list[float]:
        """`of` / `to`, a rate ratio per round: both measured within the same minute."""
        return [r[of].rate.per_second / r[to].rate.per_second if r[to].rate.per_second else 0.0 for r in self.rounds]


def _processes(*markers: str) -> list:
    """The processes (gunicorn masters and workers) whose command line names one of `markers`."""
    import psutil

    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if "gunicorn" in command and any(marker in command for marker in markers):
            found.append(process)
    return found


def _cpu(processes: list) -> float:
    import psutil

    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


PROFILE = os.environ.get("BENCH_PROFILE") == "1"


def _profiled(processes: list, name: str, log: Path) -> subprocess.Popen | None:
    """With BENCH_PROFILE=1, py-spy samples the serving worker while it is measured and leaves a
    flame graph in var/ (the worker is the busiest of the processes)."""
    if not PROFILE or not processes:
        return None
    worker = max(processes, key=lambda p: p.cpu_times().user)
    out = ROOT / "var" / f"bench-{name}.svg"
    return subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking", "--rate", "250",
                             "--pid", str(worker.pid), "--output", str(out)], stdout=log.open("a"), stderr=subprocess.STDOUT)


def _measure(url: str, headers: dict, processes: list, clients: int, seconds: float, profile_as: str = "",
             gateway: list | None = None) -> Measured:
    """The rate, and the CPU it cost the serving processes: CPU per request stays meaningful when
    other work shares the machine, the rate does not. Both are taken after the warm-up, so what a
    process builds on its first requests is not counted."""
    profiler = _profiled(processes, profile_as, ROOT / "var" / "bench.log") if profile_as else None
    before: list[float] = []
    got = rate(url, headers, clients=clients, requests=None, seconds=seconds,
               warmed=lambda: before.extend((_cpu(processes), _cpu(gateway or []))))
    spent, gateway_spent = _cpu(processes) - before[0], _cpu(gateway or []) - before[1]
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its flame graph and exits
        profiler.wait(timeout=60)
    if got.answered <= 0:
        return Measured(got, float("inf"))
    return Measured(got, 1e6 * spent / got.answered, 1e6 * gateway_spent / got.answered if gateway else None)


def _serve(app: str, port: int, log: Path, env: dict[str, str]) -> subprocess.Popen:
    """One gunicorn worker with uvicorn, as the launcher serves every component."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--worker-class", "portico_kernel.web_worker.WebWorker", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--no-control-socket",
         "--forwarded-allow-ips", "", app],  # as the launcher serves the stack (no proxy in front)
        cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    sys.exit(f"{app} did not start on {port}; see {log}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def measure(port_base: int, token: str, log: Path, *, clients: int, seconds: float, rounds: int,
            database: str = "") -> Floor:
    from portico_kernel import config

    as_person = {"Authorization": f"Bearer {token}"}
    gateway, orgs = config.url_of("gateway"), config.url_of("orgs")
    trivial_port, reference_port, lone_gateway_port = port_base + 90, port_base + 91, port_base + 92
    env = dict(os.environ)
    helpers = [_serve("bench.reference:trivial", trivial_port, log, env),
               _serve("bench.reference:app", reference_port, log, env),
               _serve("gateway.entrypoints.web:app", lone_gateway_port, log,
                      {**env, "ORGS_URL": f"http://127.0.0.1:{trivial_port}"})]
    try:
        service = _processes(f"127.0.0.1:{config.port_of('orgs')} ")
        door = _processes(f"127.0.0.1:{config.port_of('gateway')} ")
        targets = (("service", f"{orgs}/v1/orgs", service, None),
                   ("reference", f"http://127.0.0.1:{reference_port}/v1/orgs", _processes("bench.reference:app"), None),
                   ("gateway_alone", f"http://127.0.0.1:{lone_gateway_port}/v1/orgs",
                    _processes(f"127.0.0.1:{lone_gateway_port} ", "bench.reference:trivial"), None),
                   ("routed", f"{gateway}/v1/orgs", service + door, door))
        # interleaved in rounds, each ratio taken within a round: a shared machine's speed drifts
        # within seconds, and what is compared should see the same machine
        measured: list[dict[str, Measured]] = []
        for round_ in range(rounds):
            measured.append({})
            for name, url, processes, gateway_processes in targets:
                profile_as = f"{name}-{database.lower()}" if round_ == 0 and name in ("service", "gateway_alone") else ""
                measured[-1][name] = _measure(url, as_person, processes, clients, seconds, profile_as, gateway_processes)
        return Floor(measured)
    finally:
        for process in helpers:
            _stop(process)


def rows(database: str, floor: Floor, clients: int) -> list[tuple[str, str]]:
    def ratio(of: str, to: str) -> str:
        ratios = sorted(floor.ratios(of, to))
        return f"{100 * statistics.median(ratios):.0f} % (rounds {100 * ratios[0]:.0f} to {100 * ratios[-1]:.0f} %)"

    rounds = len(floor.rounds)
    return [
        (f"(d) {database}: service, authenticated GET /v1/orgs, 1 worker ({clients} clients), target >= 1,500/s on PostgreSQL",
         str(floor.typical("service"))),
        (f"(d) {database}: bare ASGI reference, same read, 1 worker", str(floor.typical("reference"))),
        (f"(d) {database}: service / reference, median of {rounds} rounds (target >= 50 %)", ratio("service", "reference")),
        (f"(d) {database}: gateway alone in front of a trivial upstream, 1 worker", str(floor.typical("gateway_alone"))),
        (f"(d) {database}: routed GET /v1/orgs through the gateway", str(floor.typical("routed"))),
        (f"(d) {database}: routed / direct, median of {rounds} rounds (target >= 90 %)", ratio("routed", "service")),
    ]
