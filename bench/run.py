"""`make bench`: what the gateway's security costs, measured in one run on this machine.

Starts the whole stack the way the tests do (`portico up`, embedded mode unless the database and
broker URLs are set, on ports of its own), then measures with a bounded number of requests on
loopback and prints ratios. No timing is asserted: the numbers depend on the machine.

  (a) sign-ins per second through the gateway vs. argon2id hashes per second with identity's parameters
  (b) token verification and API-key lookup at the gateway, as a share of one routed request
  (c) routed, authenticated requests per second through the gateway (concurrent clients)

    PORTICO_BENCH_PORT_BASE (default 19000)  BENCH_REQUESTS (default 2000)  BENCH_CLIENTS (default 8)
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ("gateway", "identity", "orgs", "billing", "domains", "tickets")
PORT_BASE = int(os.environ.get("PORTICO_BENCH_PORT_BASE", "19000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SIGN_INS = 20
PASSWORD = "correct horse battery staple"


def configure() -> Path:
    """The environment of the stack and of this process (set before any Portico import)."""
    data_dir = Path(tempfile.mkdtemp(prefix="portico-bench-"))
    os.environ.update({"PORTICO_DATA_DIR": str(data_dir), "PORTICO_BUS_PREFIX": f"portico-bench-{uuid.uuid4().hex[:8]}",
                       "PORTICO_LOG_LEVEL": "WARNING", "PORTICO_VALIDATE_RESPONSES": "false",
                       # mails (security alerts of the sign-ins) go nowhere: nothing listens there
                       "PORTICO_SMTP_HOST": "127.0.0.1", "PORTICO_SMTP_PORT": str(PORT_BASE + 25)})
    for index, component in enumerate(COMPONENTS):
        os.environ[f"{component.upper()}_PORT"] = str(PORT_BASE + 80 + index)
        os.environ.pop(f"{component.upper()}_URL", None)
    os.environ.pop("PORTICO_JWKS_URL", None)
    return data_dir


def start_stack(log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    process = subprocess.Popen([sys.executable, "-m", "portico_kernel.launcher", "up"], cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while "Portico is up" not in log_path.read_text(errors="replace"):
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


def in_parallel(action, workers: int) -> float:
    """Runs `action` SIGN_INS times on `workers` threads; answers the rate per second."""
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda _: action(), range(SIGN_INS * workers)))
    return per_second(SIGN_INS * workers, time.perf_counter() - started)


def measure_sign_ins(gateway: str, email: str, clients: int) -> float:
    import threading

    import requests

    local = threading.local()

    def sign_in():
        if not hasattr(local, "http"):
            local.http = requests.Session()  # one keep-alive connection per client
        local.http.post(f"{gateway}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30).raise_for_status()

    return in_parallel(sign_in, clients)


def measure_hashes(threads: int) -> float:
    """argon2-cffi releases the GIL while hashing, so threads hash side by side as gunicorn's would."""
    from services.identity.adapters.hashing import Argon2Hasher

    hasher = Argon2Hasher()
    stored = hasher.hash(PASSWORD)
    return in_parallel(lambda: hasher.verify(stored, PASSWORD), threads)


def mean_seconds(action, repeat: int) -> float:
    action()
    started = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - started) / repeat


def sequential_request_seconds(http, url: str, headers: dict, repeat: int = 300) -> float:
    return mean_seconds(lambda: http.get(url, headers=headers, timeout=30).raise_for_status(), repeat)


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


def main() -> int:
    data_dir = configure()
    import requests

    from tests.helpers import eventually

    log_path = ROOT / "var" / "bench.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"starting the stack (log: {log_path}) …", flush=True)
    process = start_stack(log_path)
    try:
        gateway = f"http://127.0.0.1:{PORT_BASE + 80}"
        http = requests.Session()
        email = f"bench-{uuid.uuid4().hex[:8]}@example.test"
        http.post(f"{gateway}/v1/auth/signup", json={"email": email, "password": PASSWORD, "first_name": "Bea",
                                                      "last_name": "Bench", "country": "DE"}, timeout=30).raise_for_status()
        login = lambda: http.post(f"{gateway}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30).json()
        tokens = eventually(lambda: (t := login()) and t["access_token"] and _has_org(t["access_token"]) and t,
                            timeout=60, what="the bench account's organization")
        token = tokens["access_token"]
        as_person = {"Authorization": f"Bearer {token}"}
        created = http.post(f"{gateway}/v1/api-keys", headers=as_person, timeout=30,
                            json={"name": "bench", "scopes": ["orgs:read"], "rate_limit_per_minute": 100000})
        created.raise_for_status()
        secret = created.json()["secret"]
        as_key = {"Authorization": f"Bearer {secret}"}

        print("measuring …", flush=True)
        cores = os.cpu_count() or 1
        sign_ins, hashes = measure_sign_ins(gateway, email, 1), measure_hashes(1)
        sign_ins_all, hashes_all = measure_sign_ins(gateway, email, 2 * cores), measure_hashes(cores)

        from gateway.api.proxy import GatewayApp
        from gateway.bootstrap import bootstrap

        gw = bootstrap()  # this process reads the stack's gateway database, as a gateway worker would
        app = GatewayApp(gw, own_app=None)
        verify = mean_seconds(lambda: gw.verifier.verify_known(token), 2000)
        key_scope = {"method": "GET", "path": "/v1/orgs"}
        lookup = mean_seconds(lambda: app._with_api_key("orgs", key_scope, {}, secret), 2000)
        routed = sequential_request_seconds(http, f"{gateway}/v1/orgs", as_person)
        routed_key = sequential_request_seconds(http, f"{gateway}/v1/orgs", as_key)
        rate, failures = asyncio.run(concurrent_rate(f"{gateway}/v1/orgs", as_person))
        rate_key, failures_key = asyncio.run(concurrent_rate(f"{gateway}/v1/orgs", as_key))
    finally:
        stop_stack(process)
        shutil.rmtree(data_dir, ignore_errors=True)

    rows = [
        ("(a) sign-ins/s through the gateway (1 client)", f"{sign_ins:,.1f}"),
        ("(a) argon2id verifications/s (identity's parameters, 1 thread)", f"{hashes:,.1f}"),
        ("(a) ratio, one at a time", f"{sign_ins / hashes:.2f}"),
        (f"(a) sign-ins/s through the gateway ({2 * cores} clients)", f"{sign_ins_all:,.1f}"),
        (f"(a) argon2id verifications/s ({cores} threads, every core)", f"{hashes_all:,.1f}"),
        ("(a) ratio, machine saturated", f"{sign_ins_all / hashes_all:.2f}"),
        ("(b) token verification (EdDSA), µs", f"{verify * 1e6:,.1f}"),
        ("(b) API-key lookup (prefix, SHA-256, limit, token), µs", f"{lookup * 1e6:,.1f}"),
        ("(b) one routed GET /v1/orgs with a token, µs", f"{routed * 1e6:,.0f}"),
        ("(b) one routed GET /v1/orgs with an API key, µs", f"{routed_key * 1e6:,.0f}"),
        ("(b) verification share of a routed request (target < 5 %)", f"{100 * verify / routed:.2f} %"),
        ("(b) API-key lookup share of a routed request (target < 5 %)", f"{100 * lookup / routed_key:.2f} %"),
        (f"(c) routed requests/s with a token ({CLIENTS} clients, {REQUESTS} requests)", f"{rate:,.0f} ({failures} failed)"),
        (f"(c) routed requests/s with an API key ({CLIENTS} clients)", f"{rate_key:,.0f} ({failures_key} failed)"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"\n{'measure':<{width}}  value\n{'-' * width}  {'-' * 20}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


def _has_org(token: str) -> bool:
    import jwt

    return bool(jwt.decode(token, options={"verify_signature": False}).get("org"))


if __name__ == "__main__":
    sys.exit(main())
