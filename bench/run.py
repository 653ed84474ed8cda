"""`make bench`: what the gateway's security costs, measured in one run on this machine.

Starts the whole stack the way the tests do (`portico up`, embedded mode unless the database and
broker URLs are set, on ports of its own), then measures with a bounded number of requests on
loopback and prints ratios. No timing is asserted: the numbers depend on the machine.

  (a) sign-ins per second through the gateway vs. argon2id hashes per second with identity's
      parameters, one at a time and with every core busy, and where each sign-in's CPU time goes
  (b) token verification and API-key lookup, as a share of one routed request
  (c) routed, authenticated requests per second through the gateway (concurrent clients)
  (d) the request floor, on SQLite and again on PostgreSQL: an authenticated read served by a
      service and by a bare ASGI app doing the same query, the gateway alone in front of a
      trivial upstream, and the same read routed through the gateway (bench/floor.py)

A shared or virtual machine's speed drifts within seconds, so (a) alternates its measurements in
rounds and reports the median ratio of the rounds and their range.

    PORTICO_BENCH_PORT_BASE (default 19000)  BENCH_ROUNDS (default 5)  BENCH_REQUESTS (default 2000)
    BENCH_CLIENTS (default 8)  BENCH_FLOOR_CLIENTS (default 16)  BENCH_FLOOR_SECONDS (default 2, each target
    of d in each round)  BENCH_FLOOR_ROUNDS (default 5)
    BENCH_ONLY=floor (section d alone)  BENCH_PIN=0 (d without a core of its own for the server measured)
    BENCH_PROFILE=1 (py-spy flame graphs of (d)'s service and gateway workers, in var/)
    PostgreSQL for (d): PORTICO_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432)
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ("gateway", "identity", "orgs", "billing", "domains", "tickets", "notifications")
PORT_BASE = int(os.environ.get("PORTICO_BENCH_PORT_BASE", "19000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
FLOOR_SECONDS = float(os.environ.get("BENCH_FLOOR_SECONDS", "2"))
FLOOR_ROUNDS = int(os.environ.get("BENCH_FLOOR_ROUNDS", "5"))
# Each client waits for its answer before it asks again: with few of them, the service idles while
# their requests cross the gateway, and (d) measures the machine's wake-ups, not what a read costs.
FLOOR_CLIENTS = int(os.environ.get("BENCH_FLOOR_CLIENTS", "16"))
ONLY_FLOOR = os.environ.get("BENCH_ONLY") == "floor"
SIGN_INS = 40  # per client and round
PASSWORD = "correct horse battery staple"


def configure() -> Path:
    """The environment of the stack and of this process (set before any Portico import)."""
    data_dir = Path(tempfile.mkdtemp(prefix="portico-bench-"))
    os.environ.update({"PORTICO_DATA_DIR": str(data_dir), "PORTICO_BUS_PREFIX": f"portico-bench-{uuid.uuid4().hex[:8]}",
                       "PORTICO_LOG_LEVEL": "WARNING", "PORTICO_VALIDATE_RESPONSES": "false",
                       "PORTICO_WEB_WORKERS": "1", "PORTICO_BROKER_URL": "filesystem://",
                       # mails (security alerts of the sign-ins) go nowhere: nothing listens there
                       "PORTICO_SMTP_HOST": "127.0.0.1", "PORTICO_SMTP_PORT": str(PORT_BASE + 25)})
    for index, component in enumerate(COMPONENTS):
        os.environ[f"{component.upper()}_PORT"] = str(PORT_BASE + 80 + index)
        os.environ.pop(f"{component.upper()}_URL", None)
        os.environ.pop(f"{component.upper()}_DATABASE_URL", None)
    os.environ.pop("PORTICO_JWKS_URL", None)
    return data_dir


POSTGRES = os.environ.get("PORTICO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


def on_postgres(create: bool) -> None:
    """Each component's database on PostgreSQL (created empty), or dropped again."""
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for component in COMPONENTS:
            name = f"portico_bench_{PORT_BASE}_{component}"
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if create:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                os.environ[f"{component.upper()}_DATABASE_URL"] = f"{POSTGRES}/{name}"
            else:
                os.environ.pop(f"{component.upper()}_DATABASE_URL", None)
    admin.dispose()


def start_stack(log_path: Path) -> subprocess.Popen:
    started_at = log_path.stat().st_size if log_path.exists() else 0  # the log holds earlier stacks' lines
    log = log_path.open("a")
    process = subprocess.Popen([sys.executable, "-m", "portico_kernel.launcher", "up"], cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while "Portico is up" not in log_path.read_text(errors="replace")[started_at:]:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit(f"the stack did not start; see {log_path}")
        time.sleep(0.3)
    return process


def stop_stack(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    from portico_kernel import bus, config

    if not config.load("gateway").embedded_broker:
        bus.drop_namespace(config.load("gateway"))


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def in_parallel(action, workers: int, each: int) -> float:
    """Runs `action` `each` times on each of `workers` threads; answers the rate per second."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda _: action(), range(workers)))  # warm: connections, caches
        started = time.perf_counter()
        list(pool.map(lambda _: action(), range(workers * each)))
    return per_second(workers * each, time.perf_counter() - started)


def sign_in_client(gateway: str, email: str):
    """Each client thread keeps one connection and sends with the standard library's lean HTTP
    client: the clients share the machine with the stack, so their own cost is kept small."""
    import http.client
    import json
    import threading
    from urllib.parse import urlparse

    address = urlparse(gateway)
    body = json.dumps({"email": email, "password": PASSWORD})
    headers = {"Content-Type": "application/json"}
    local = threading.local()

    def sign_in():
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        local.connection.request("POST", "/v1/auth/login", body, headers)
        response = local.connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"sign-in answered {response.status}")

    return sign_in


class CpuMeter:
    """CPU seconds used by each process of the stack (by component) and by this bench process."""

    def __init__(self, stack: subprocess.Popen):
        import psutil

        self.stack = psutil.Process(stack.pid)
        self.me = psutil.Process()

    def _component(self, process) -> str:
        command = " ".join(process.cmdline())
        for component in COMPONENTS:
            if f"{component}.entrypoints.web" in command:
                return f"{component} web"
        return "other processes (consumers, relays, mail)"

    def read(self) -> dict[str, float]:
        import psutil

        used: dict[str, float] = {}
        for process in self.stack.children(recursive=True):
            try:
                times = process.cpu_times()
                name = self._component(process)
            except psutil.Error:
                continue
            used[name] = used.get(name, 0.0) + times.user + times.system
        times = self.me.cpu_times()
        used["bench clients"] = times.user + times.system
        return used

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {name: after[name] - before.get(name, 0.0) for name in after}


class Round(NamedTuple):
    sign_ins_one: float  # per second, one client
    hashes_one: float  # per second, one caller
    sign_ins_all: float  # per second, two clients per core
    hashes_all: float  # per second, one caller per core

    @property
    def ratio_one(self) -> float:
        return self.sign_ins_one / self.hashes_one

    @property
    def ratio_all(self) -> float:
        return self.sign_ins_all / self.hashes_all


def measure_sign_ins(gateway: str, email: str, cores: int, meter: CpuMeter) -> dict:
    """(a) in rounds: hashes and sign-ins alternate, one at a time and with every core busy."""
    from services.identity.adapters.hashing import Argon2Hasher

    hasher = Argon2Hasher()  # identity's parameters and limit; argon2-cffi releases the GIL while hashing
    stored = hasher.hash(PASSWORD)
    verify = lambda: hasher.verify(stored, PASSWORD)
    sign_in = sign_in_client(gateway, email)
    rounds, cpu, hash_cpu = [], {}, 0.0
    for _ in range(ROUNDS):
        hashes_one = in_parallel(verify, 1, SIGN_INS)
        started = time.process_time()
        hashes_all = in_parallel(verify, cores, SIGN_INS)
        hash_cpu += time.process_time() - started
        sign_ins_one = in_parallel(sign_in, 1, SIGN_INS)
        before = meter.read()
        sign_ins_all = in_parallel(sign_in, 2 * cores, SIGN_INS // 2)
        for name, seconds in meter.spent(before, meter.read()).items():
            cpu[name] = cpu.get(name, 0.0) + seconds
        rounds.append(Round(sign_ins_one, hashes_one, sign_ins_all, hashes_all))
    hashes, busy_sign_ins = ROUNDS * cores * (1 + SIGN_INS), ROUNDS * 2 * cores * (1 + SIGN_INS // 2)
    return {"rounds": rounds, "hash_cpu_ms": 1000 * hash_cpu / hashes,
            "cpu_ms_per_sign_in": {name: 1000 * seconds / busy_sign_ins for name, seconds in cpu.items()}}


def mean_seconds(action, repeat: int) -> float:
    action()
    started = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - started) / repeat


def sequential_request_seconds(url: str, headers: dict, repeat: int = 500) -> float:
    """One client, one kept connection, the standard library's lean HTTP client."""
    import http.client
    from urllib.parse import urlparse

    address = urlparse(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)

    def get():
        connection.request("GET", address.path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")

    return mean_seconds(get, repeat)


async def concurrent_rate(url: str, headers: dict) -> tuple[float, int]:
    import aiohttp

    failures = 0

    async def client(session, count):
        nonlocal failures
        for _ in range(count):
            async with session.get(url, headers=headers) as response:
                await response.read()
                failures += response.status != 200

    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers=headers) as response:  # warm the pool
            await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(client(session, REQUESTS // CLIENTS) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
    return per_second(CLIENTS * (REQUESTS // CLIENTS), elapsed), failures


class Account(NamedTuple):
    gateway: str
    email: str
    token: str
    secret: str  # of an API key with orgs:read


def open_account() -> Account:
    """A person signs up and in through the gateway, as anyone would, and makes an API key."""
    import requests

    from tests.helpers import eventually

    gateway = f"http://127.0.0.1:{PORT_BASE + 80}"
    http = requests.Session()
    email = f"bench-{uuid.uuid4().hex[:8]}@example.test"
    http.post(f"{gateway}/v1/auth/signup", json={"email": email, "password": PASSWORD, "first_name": "Bea",
                                                  "last_name": "Bench", "country": "DE"}, timeout=30).raise_for_status()
    login = lambda: http.post(f"{gateway}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30).json()
    tokens = eventually(lambda: (t := login()) and t["access_token"] and _has_org(t["access_token"]) and t,
                        timeout=60, what="the bench account's organization")
    token = tokens["access_token"]
    created = http.post(f"{gateway}/v1/api-keys", headers={"Authorization": f"Bearer {token}"}, timeout=30,
                        json={"name": "bench", "scopes": ["orgs:read"], "rate_limit_per_minute": 100000})
    created.raise_for_status()
    return Account(gateway, email, token, created.json()["secret"])


def measure_security(account: Account, process: subprocess.Popen) -> list[tuple[str, str]]:
    """(a), (b) and (c) on a running stack."""
    import jwt

    gateway, token, secret = account.gateway, account.token, account.secret
    as_person = {"Authorization": f"Bearer {token}"}
    as_key = {"Authorization": f"Bearer {secret}"}
    cores = len(os.sched_getaffinity(0))
    signing_in = measure_sign_ins(gateway, account.email, cores, CpuMeter(process))

    from gateway.api.proxy import GatewayApp
    from gateway.bootstrap import bootstrap

    gw = bootstrap()  # this process reads the stack's gateway database, as a gateway worker would
    app = GatewayApp(gw, own_app=None)
    key = gw.keys.get(jwt.get_unverified_header(token)["kid"])
    signature_check = mean_seconds(lambda: gw.verifier.verify_with_key(token, key), 2000)
    verify = mean_seconds(lambda: gw.verifier.verify_known(token), 2000)
    lookup = mean_seconds(lambda: app._with_api_key("orgs", "GET", {}, secret), 2000)
    routed = sequential_request_seconds(f"{gateway}/v1/orgs", as_person)
    routed_key = sequential_request_seconds(f"{gateway}/v1/orgs", as_key)
    rate, failures = asyncio.run(concurrent_rate(f"{gateway}/v1/orgs", as_person))
    rate_key, failures_key = asyncio.run(concurrent_rate(f"{gateway}/v1/orgs", as_key))

    rounds = signing_in["rounds"]
    median = lambda measure: statistics.median(getattr(r, measure) for r in rounds)
    spread = lambda measure: (f"{median(measure):.2f} (rounds {min(getattr(r, measure) for r in rounds):.2f}"
                              f" to {max(getattr(r, measure) for r in rounds):.2f})")
    cpu = signing_in["cpu_ms_per_sign_in"]
    hash_ms = signing_in["hash_cpu_ms"]
    total_ms = sum(cpu.values())
    return [
        (f"(a) sign-ins/s through the gateway, 1 client (median of {ROUNDS} rounds)", f"{median('sign_ins_one'):,.1f}"),
        ("(a) argon2id verifications/s, identity's parameters, 1 caller", f"{median('hashes_one'):,.1f}"),
        ("(a) ratio, one at a time", spread("ratio_one")),
        (f"(a) sign-ins/s through the gateway, {2 * cores} clients", f"{median('sign_ins_all'):,.1f}"),
        (f"(a) argon2id verifications/s, {cores} callers (every core)", f"{median('hashes_all'):,.1f}"),
        ("(a) ratio, every core busy", spread("ratio_all")),
        ("(a) CPU per sign-in, every core busy: the password hash, ms", f"{hash_ms:.2f}"),
        *((f"(a)   {name}{' (with the hash)' if name == 'identity web' else ''}, ms", f"{ms:.2f}")
          for name, ms in sorted(cpu.items(), key=lambda item: -item[1]) if ms >= 0.01),
        ("(a)   the hash's share of all CPU a sign-in costs", f"{100 * hash_ms / total_ms:.0f} %"),
        ("(b) token signature check (EdDSA, claims), µs", f"{signature_check * 1e6:,.1f}"),
        ("(b) token verification, a token seen before (kept), µs", f"{verify * 1e6:,.1f}"),
        ("(b) API-key lookup (prefix, SHA-256, limit, token), µs", f"{lookup * 1e6:,.1f}"),
        ("(b) one routed GET /v1/orgs with a token, µs", f"{routed * 1e6:,.0f}"),
        ("(b) one routed GET /v1/orgs with an API key, µs", f"{routed_key * 1e6:,.0f}"),
        # the signature is checked once per token; every request after it pays the kept token's check
        ("(b) signature check's share of a routed request, once per token", f"{100 * signature_check / routed:.2f} %"),
        ("(b) kept token's share of a routed request, every request (target < 5 %)", f"{100 * verify / routed:.2f} %"),
        ("(b) API-key lookup share of a routed request (target < 5 %)", f"{100 * lookup / routed_key:.2f} %"),
        (f"(c) routed requests/s with a token ({CLIENTS} clients, {REQUESTS} requests)", f"{rate:,.0f} ({failures} failed)"),
        (f"(c) routed requests/s with an API key ({CLIENTS} clients)", f"{rate_key:,.0f} ({failures_key} failed)"),
    ]


def main() -> int:
    from bench import floor
    from tests.run import reachable

    log_path = ROOT / "var" / "bench.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text("")
    rows: list[tuple[str, str]] = []
    databases = ["SQLite"] + (["PostgreSQL"] if reachable(POSTGRES) else [])
    if len(databases) == 1:
        print(f"PostgreSQL is not reachable at {POSTGRES}: (d) runs on SQLite only", flush=True)
    for database in databases:
        data_dir = configure()
        if database == "PostgreSQL":
            on_postgres(create=True)
        print(f"starting the stack on {database} (log: {log_path}) …", flush=True)
        process = start_stack(log_path)
        try:
            account = open_account()
            print("measuring …", flush=True)
            if database == "SQLite" and not ONLY_FLOOR:
                rows += measure_security(account, process)
            rows += floor.rows(database, floor.measure(PORT_BASE, account.token, log_path, process.pid,
                                                       clients=FLOOR_CLIENTS, seconds=FLOOR_SECONDS,
                                                       rounds=FLOOR_ROUNDS, database=database),
                              FLOOR_CLIENTS)
        finally:
            stop_stack(process)
            if database == "PostgreSQL":
                on_postgres(create=False)
            shutil.rmtree(data_dir, ignore_errors=True)

    rows.append(("machine: CPU seconds a pure Python loop of 10 million additions takes (the day's speed)",
                 f"{machine_speed():.2f} s"))
    width = max(len(name) for name, _ in rows)
    print(f"\n{'measure':<{width}}  value\n{'-' * width}  {'-' * 20}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


def machine_speed() -> float:
    """A shared virtual machine's speed drifts from day to day, and with it every rate above: the
    same loop's CPU time says how fast the machine ran, so runs of different days can be compared."""
    started, total = time.process_time(), 0
    for number in range(10_000_000):
        total += number
    return time.process_time() - started


def _has_org(token: str) -> bool:
    import jwt

    return bool(jwt.decode(token, options={"verify_signature": False}).get("org"))


if __name__ == "__main__":
    sys.exit(main())
