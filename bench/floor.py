"""(d) The request floor: what one authenticated read costs in a service, and what the gateway adds.

On a running stack (one web worker per component), with concurrent lean clients on loopback:
  - the service: GET /v1/orgs straight at orgs (token check, one indexed query, JSON);
  - the reference: the same read by a bare ASGI app (bench/reference.py), one worker, same server;
  - the gateway alone: a second gateway worker whose orgs upstream is a trivial app;
  - routed: GET /v1/orgs through the stack's gateway to orgs.
Each round takes the four in alternating turns of a quarter of a second, so what a ratio compares
ran on the same machine: a virtual machine's speed drifts over seconds.
With BENCH_PROFILE=1, py-spy draws where the service's and the lone gateway's worker spend their
time while measured: var/bench-<service|gateway_alone>-<database>.svg.

Each server measured keeps a core of its own (`Placement`): the service, the reference and the
trivial upstream run on the first core; the gateways, the clients and the database's processes on
the others. A deployment gives each component its own cores; left to the scheduler, five busy
processes on two cores land where they may, and the same code measured a minute apart kept 68 % or
132 % of the direct rate. BENCH_PIN=0 leaves the placement to the scheduler.
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

from .load import Load, Rate, in_turns, run

ROOT = Path(__file__).resolve().parents[1]


class Measured(NamedTuple):
    rate: Rate
    cpu_us: float  # CPU time the serving processes spent per answered request, µs
    gateway_cpu_us: float | None = None  # the gateway's part of it, for a routed request
    idle: float | None = None  # the share of the time the server's own core sat idle (when placed)

    def __str__(self) -> str:
        gateway = f" (the gateway {self.gateway_cpu_us:,.0f})" if self.gateway_cpu_us is not None else ""
        idle = f", its core {100 * self.idle:.0f} % idle" if self.idle is not None else ""
        return f"{self.rate}, {self.cpu_us:,.0f} µs CPU each{gateway}{idle}"


TARGETS = ("service", "reference", "gateway_alone", "routed")


class Floor(NamedTuple):
    """Each round's measure of each target, taken in alternating turns within the round."""

    rounds: list[dict[str, Measured]]
    placement: str = ""

    def typical(self, target: str) -> Measured:
        """The round of median rate."""
        return sorted((r[target] for r in self.rounds), key=lambda m: m.rate.per_second)[len(self.rounds) // 2]

    def ratios(self, of: str, to: str) -> list[float]:
        """`of` / `to`, a rate ratio per round: both measured in alternating turns."""
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
PIN = os.environ.get("BENCH_PIN", "1") == "1"
TURN = 0.25  # seconds of one target's turn: the machine's speed drifts over seconds, not within this


class Placement:
    """The servers measured on one core; what feeds them (gateways, clients, the database) on the
    others. Applied again before each measure, as the database may have opened new backends."""

    def __init__(self, served: list, feeding: list, database_url: str):
        cores = sorted(os.sched_getaffinity(0))
        self.enabled = PIN and len(cores) >= 2
        self.own, self.rest = cores[:1], cores[1:]
        self.served = [process.pid for process in served]
        self.feeding = [process.pid for process in feeding] + [os.getpid()]  # the clients run here
        self.database_url = database_url
        self._before = cores
        self.unplaced: set[int] = set()  # processes it was not allowed to place

    def apply(self) -> None:
        if not self.enabled:
            return
        for pids, cores in ((self.served, self.own), (self.feeding + self._database(), self.rest)):
            for pid in pids:
                try:
                    os.sched_setaffinity(pid, cores)
                except ProcessLookupError:
                    pass  # ended since it was listed: nothing left to place
                except PermissionError:  # another user's (PostgreSQL's, without root): said in the output
                    self.unplaced.add(pid)

    def _database(self) -> list[int]:
        """The pids of PostgreSQL's backends serving the measured database (SQLite runs inside the server)."""
        if not self.database_url.startswith("postgresql"):
            return []
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                                              " AND pid <> pg_backend_pid()")))
        finally:
            engine.dispose()

    def own_idle(self) -> float:
        """Seconds the measured server's core has been idle since the machine started."""
        import psutil

        return psutil.cpu_times(percpu=True)[self.own[0]].idle

    def undo(self) -> None:
        if self.enabled:
            os.sched_setaffinity(0, self._before)

    def __str__(self) -> str:
        if not self.enabled:
            return "placed by the scheduler"
        unplaced = f"; {len(self.unplaced)} processes not ours to place, left to the scheduler" if self.unplaced else ""
        return f"the server measured on core {self.own[0]}, gateways, clients and database on {self.rest}{unplaced}"


def _profiled(processes: list, name: str, log: Path) -> subprocess.Popen | None:
    """With BENCH_PROFILE=1, py-spy samples the serving worker while it is measured and leaves a
    flame graph in var/ (the worker is the busiest of the processes)."""
    if not PROFILE or not processes:
        return None
    worker = max(processes, key=lambda p: p.cpu_times().user)
    out = ROOT / "var" / f"bench-{name}.svg"
    return subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking", "--rate", "250",
                             "--pid", str(worker.pid), "--output", str(out)], stdout=log.open("a"), stderr=subprocess.STDOUT)


class Target(NamedTuple):
    url: str
    processes: list  # what serves it, whose CPU is counted
    gateway: list | None = None  # the gateway's part of them, for a routed read


def _round(targets: dict[str, Target], headers: dict, clients: int, seconds: float, placement: Placement,
           profile: dict[str, str]) -> dict[str, Measured]:
    """One round: each target in turns of TURN seconds, `seconds` in all; the rates, and the CPU
    they cost the serving processes (CPU per request stays meaningful when other work shares the
    machine, the rate does not), both counted after the warm-up."""
    turns = max(1, round(seconds / TURN))
    profilers = [_profiled(targets[name].processes, as_, ROOT / "var" / "bench.log") for name, as_ in profile.items()]
    loads = {name: Load(target.url, headers, clients) for name, target in targets.items()}
    spent = lambda name: (_cpu(targets[name].processes), _cpu(targets[name].gateway or []), placement.own_idle())
    measured = run(in_turns(loads, turns, seconds / turns, spent, warmed=placement.apply))
    for profiler in profilers:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its flame graph and exits
            profiler.wait(timeout=60)
    answers = {}
    for name, (got, (cpu, gateway_cpu, idle)) in measured.items():
        if got.answered <= 0:
            answers[name] = Measured(got, float("inf"))
        else:
            idle_share = idle * got.per_second / got.answered if placement.enabled else None  # of the time measured
            answers[name] = Measured(got, 1e6 * cpu / got.answered,
                                     1e6 * gateway_cpu / got.answered if targets[name].gateway else None, idle_share)
    return answers


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


def _rest_of(stack: int, served: list) -> list:
    """The stack's processes (its launcher and all it started) but those measured."""
    import psutil

    launcher = psutil.Process(stack)
    measured = {process.pid for process in served}
    return [process for process in [launcher, *launcher.children(recursive=True)] if process.pid not in measured]


def measure(port_base: int, token: str, log: Path, stack: int, *, clients: int, seconds: float, rounds: int,
            database: str = "") -> Floor:
    """(d) on the running stack whose launcher is the process `stack`."""
    from portico_kernel import config

    as_person = {"Authorization": f"Bearer {token}"}
    gateway, orgs = config.url_of("gateway"), config.url_of("orgs")
    trivial_port, reference_port, lone_gateway_port = port_base + 90, port_base + 91, port_base + 92
    env = dict(os.environ)
    helpers = [_serve("bench.reference:trivial", trivial_port, log, env),
               _serve("bench.reference:app", reference_port, log, env),
               _serve("gateway.entrypoints.web:app", lone_gateway_port, log,
                      {**env, "ORGS_URL": f"http://127.0.0.1:{trivial_port}"})]
    placement = None
    try:
        service = _processes(f"127.0.0.1:{config.port_of('orgs')} ")
        door = _processes(f"127.0.0.1:{config.port_of('gateway')} ")
        reference, trivial = _processes("bench.reference:app"), _processes("bench.reference:trivial")
        lone_gateway = _processes(f"127.0.0.1:{lone_gateway_port} ")
        served = service + reference + trivial
        placement = Placement(served=served, feeding=_rest_of(stack, served) + lone_gateway,
                              database_url=config.load("orgs").database_url)
        targets = {"service": Target(f"{orgs}/v1/orgs", service),
                   "reference": Target(f"http://127.0.0.1:{reference_port}/v1/orgs", reference),
                   "gateway_alone": Target(f"http://127.0.0.1:{lone_gateway_port}/v1/orgs", lone_gateway + trivial),
                   "routed": Target(f"{gateway}/v1/orgs", service + door, door)}
        profile = {name: f"{name}-{database.lower()}" for name in ("service", "gateway_alone")}
        measured = [_round(targets, as_person, clients, seconds, placement, profile if round_ == 0 else {})
                    for round_ in range(rounds)]
        return Floor(measured, str(placement))
    finally:
        if placement is not None:
            placement.undo()
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
        (f"(d) {database}: where the processes ran (BENCH_PIN)", floor.placement),
    ]
