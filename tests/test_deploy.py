"""The deployment files agree with the code: docker-compose.yml, deploy/k8s/ and the Dockerfile.

No container engine is needed. The compose file is read with PyYAML (anchors and merge keys
resolved, `${VAR:-default}` interpolated with the defaults), the Kubernetes manifests are
validated against the API schemas shipped with kubernetes-validate, and every container's command
is compared with the one `portico_kernel.launcher` builds, its Python modules looked up, and its
environment variable names checked against `portico_kernel.config`.
"""
from __future__ import annotations

import asyncio
import base64
import importlib
import importlib.util
import ipaddress
import os
import re
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from portico_kernel import config, launcher, topology

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"
POSTGRES_INIT = ROOT / "deploy" / "postgres" / "init-databases.sql"

COMPONENTS = launcher.COMPONENTS
ROLES = ("web", "migrate", "consumer", "relay", "scheduler", "inbound-mail")
WEB_PORT = 8000
GATEWAY_HOST_PORT = 8080
NAMESPACE = "portico"
IMAGE = "portico"
# A Kubernetes version whose schemas kubernetes-validate ships (it ships 1.25 and newer).
K8S_VERSION = "1.30"


# --------------------------------------------------------------------------------------------
# What the deployment must run
# --------------------------------------------------------------------------------------------

def expected_processes() -> set[tuple[str, str]]:
    """(component, role) of every process the suite needs, from the AsyncAPI topology."""
    receiving, sending = set(topology.subscriptions()), set(topology.producers())
    processes = set()
    for component in COMPONENTS:
        processes |= {(component, "web"), (component, "migrate")}
        if component in receiving:
            processes.add((component, "consumer"))
        if component in sending:
            processes.add((component, "relay"))
        if launcher.has_scheduler(component):
            processes.add((component, "scheduler"))
        if launcher.has_inbound_mail(component):
            processes.add((component, "inbound-mail"))
    return processes


@contextmanager
def process_environment(values: dict[str, str]):
    """os.environ as a container with these variables would see it (for the launcher)."""
    with mock.patch.dict(os.environ):
        for name in list(os.environ):
            if config.known_variable(name) and name not in ("PORTICO_CONTRACTS_DIR", "PORTICO_DATA_DIR"):
                del os.environ[name]
        os.environ.update(values)
        yield


def expected_command(component: str, role: str, env: dict[str, str]) -> list[str]:
    """The launcher's command for a process, as run in a container: `python`, listening on
    0.0.0.0:8000, with the container's environment."""
    if role == "migrate":
        return ["python", "-m", "portico_kernel.migrate", component]
    overrides = {"PORTICO_BIND_HOST": "0.0.0.0", f"{component.upper()}_PORT": str(WEB_PORT)}
    with process_environment({**env, **overrides}):
        table = dict(launcher.processes())
    name = f"{component}.{role}"
    assert name in table, f"the launcher runs no {name} process"
    argv = table[name]
    assert argv[0] == sys.executable
    return ["python", *argv[1:]]


def module_spec(name: str):
    try:
        return importlib.util.find_spec(name)
    except ModuleNotFoundError:  # a parent package is missing
        return None


def option(argv: list[str], flag: str) -> str:
    assert flag in argv, f"{flag} missing from {argv}"
    return argv[argv.index(flag) + 1]


def check_command_modules(argv: list[str]) -> None:
    """The command is `python -m <module> …` and every module it names exists."""
    assert argv[:2] == ["python", "-m"], f"not a `python -m` command: {argv}"
    module = argv[2]
    assert module_spec(module) is not None, f"module {module} not found"
    if module == "gunicorn":
        worker_module, _, worker_class = option(argv, "--worker-class").rpartition(".")
        assert module_spec(worker_module) is not None, f"worker module {worker_module} not found"
        assert hasattr(importlib.import_module(worker_module), worker_class), f"{worker_module}.{worker_class} missing"
        app_module, sep, attr = argv[-1].partition(":")
        assert sep and attr, f"the last argument of gunicorn must be module:attribute, not {argv[-1]}"
        # Only locate the application's module: importing it would build the app.
        assert module_spec(app_module) is not None, f"application module {app_module} not found"


def launcher_worker_class(component: str) -> str:
    return option(launcher.web_command(component), "--worker-class")


def role_of(name: str) -> tuple[str, str]:
    """Compose services and Kubernetes workloads are named <component>[-migrate|-consumer|-relay|-scheduler|-inbound-mail]."""
    for role in ("migrate", "consumer", "relay", "scheduler", "inbound-mail"):
        if name.endswith(f"-{role}"):
            return name[: -len(role) - 1], role
    return name, "web"


def check_database_url(component: str, url: str, host: str, port: int) -> None:
    parsed = urlsplit(url)
    assert parsed.scheme == "postgresql+psycopg", url
    assert (parsed.hostname, parsed.port) == (host, port), url
    assert parsed.path == f"/portico_{component}", f"{component} must use its own database portico_{component}: {url}"


def created_databases() -> set[str]:
    return set(re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)\"?", POSTGRES_INIT.read_text(), re.IGNORECASE))


def conf_settings(text: str) -> dict[str, str]:
    settings = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            key, value = line.split("=", 1)
            settings[key.strip()] = value.strip()
    return settings


# --------------------------------------------------------------------------------------------
# docker-compose.yml
# --------------------------------------------------------------------------------------------

_INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value):
    """Compose interpolation with no variable set: `${X:-default}` gives the default."""
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.group(1) or match.group(4), match.group(2), match.group(3)
        if operator in ("-", ":-"):
            return argument
        if operator in ("?", ":?"):
            raise AssertionError(f"docker-compose.yml requires ${name} to be set: {argument}")
        return ""

    return _INTERPOLATION.sub(replace, value)


def load_compose() -> dict:
    return interpolate(yaml.safe_load(COMPOSE_FILE.read_text()))


def is_portico_service(service: dict) -> bool:
    image = service.get("image", "")
    return "build" in service or image.rsplit("/", 1)[-1].split(":")[0] == IMAGE


def compose_environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def compose_command(service: dict) -> list[str]:
    command = service.get("command")
    assert isinstance(command, list), "give commands in list form (no shell)"
    return [str(part) for part in command]


COMPOSE = load_compose()
SERVICES = COMPOSE["services"]
# Optional components (a compose profile, e.g. the sandbox registry) are checked on their own below.
PORTICO_SERVICES = sorted(name for name, service in SERVICES.items()
                          if is_portico_service(service) and not service.get("profiles"))


def test_compose_runs_every_process_of_the_topology():
    found = [role_of(name) for name in PORTICO_SERVICES]
    assert len(found) == len(set(found))
    for component, role in found:
        assert component in COMPONENTS, f"unknown component {component}"
        assert role in ROLES
    assert set(found) == expected_processes()


@pytest.mark.parametrize("name", PORTICO_SERVICES)
def test_compose_command_is_the_launchers(name):
    component, role = role_of(name)
    service = SERVICES[name]
    assert compose_command(service) == expected_command(component, role, compose_environment(service))


@pytest.mark.parametrize("name", PORTICO_SERVICES)
def test_compose_command_modules_exist(name):
    check_command_modules(compose_command(SERVICES[name]))


@pytest.mark.parametrize("component", COMPONENTS)
def test_compose_web_worker_class_is_the_launchers(component):
    argv = compose_command(SERVICES[component])
    assert option(argv, "--worker-class") == launcher_worker_class(component)
    assert option(argv, "--bind") == f"0.0.0.0:{WEB_PORT}"
    assert argv[-1] == f"{launcher.package_of(component)}.entrypoints.web:app"


@pytest.mark.parametrize("name", PORTICO_SERVICES)
def test_compose_environment_names_are_known(name):
    env = compose_environment(SERVICES[name])
    unknown = sorted(key for key in env if not config.known_variable(key))
    assert not unknown, f"{name} sets variables portico_kernel.config does not know: {unknown}"


@pytest.mark.parametrize("name", PORTICO_SERVICES)
def test_compose_environment_reaches_postgres_and_rabbitmq(name):
    component, _ = role_of(name)
    env = compose_environment(SERVICES[name])
    postgres = compose_environment(SERVICES["postgres"])
    rabbitmq = compose_environment(SERVICES["rabbitmq"])
    url = env.get(f"{component.upper()}_DATABASE_URL")
    assert url, f"{name} has no {component.upper()}_DATABASE_URL"
    check_database_url(component, url, "postgres", 5432)
    db = urlsplit(url)
    assert (db.username, db.password) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"])
    broker = urlsplit(env.get("PORTICO_BROKER_URL", ""))
    assert broker.scheme == "amqp" and (broker.hostname, broker.port) == ("rabbitmq", 5672)
    assert (broker.username, broker.password) == (rabbitmq["RABBITMQ_DEFAULT_USER"], rabbitmq["RABBITMQ_DEFAULT_PASS"])
    assert broker.path == f"/{rabbitmq['RABBITMQ_DEFAULT_VHOST']}"


# A registry is reached over EPP, not HTTP: outside the suite (a registry's address and credentials
# are an operator's settings, in Kubernetes from the Secret), or the sandbox registry in compose.
REGISTRY_SETTINGS = "DOMAINS_REGISTRY_"


@pytest.mark.parametrize("name", [n for n in PORTICO_SERVICES if role_of(n)[0] == "domains" and role_of(n)[1] != "migrate"])
def test_compose_domains_reach_the_sandbox_registry_unless_told_otherwise(name):
    url = urlsplit(compose_environment(SERVICES[name])["DOMAINS_REGISTRY_URL"].split(":-", 1)[-1].rstrip("}"))
    assert (url.scheme, url.hostname) == ("epps", "sandbox-registry")
    assert str(url.port) == compose_environment(SERVICES["sandbox-registry"])["SANDBOX_REGISTRY_PORT"]


@pytest.mark.parametrize("name", PORTICO_SERVICES)
def test_compose_urls_name_the_web_services(name):
    env = compose_environment(SERVICES[name])
    urls = {key: env[key] for key in env if key.endswith("_URL") and not key.endswith(("_DATABASE_URL", "_BROKER_URL"))
            and not key.startswith(REGISTRY_SETTINGS)}
    if role_of(name)[0] == "gateway":
        missing = [s for s in config.SERVICES if f"{s.upper()}_URL" not in urls]
        assert not missing, f"the gateway cannot reach {missing}"
    for key, url in urls.items():
        parsed = urlsplit(url)
        assert parsed.hostname in COMPONENTS and parsed.hostname in SERVICES, f"{key}={url}"
        assert parsed.port == WEB_PORT, f"{key}={url}: the web processes listen on {WEB_PORT}"
        if key == "PORTICO_JWKS_URL":
            assert parsed.hostname == "gateway" and parsed.path == "/.well-known/jwks.json"
        else:
            assert parsed.hostname == key[: -len("_URL")].lower(), f"{key}={url}"


@pytest.mark.parametrize("name", PORTICO_SERVICES)
def test_compose_startup_order(name):
    component, role = role_of(name)
    service = SERVICES[name]
    depends = service.get("depends_on") or {}
    assert isinstance(depends, dict), f"{name}: give depends_on conditions"
    conditions = {dep: (spec or {}).get("condition") for dep, spec in depends.items()}
    assert conditions.get("postgres") == "service_healthy"
    if role == "migrate":
        assert service.get("restart", "no") in ("no", "on-failure"), "a migration runs once"
        return
    assert conditions.get(f"{component}-migrate") == "service_completed_successfully"
    assert conditions.get("rabbitmq") == "service_healthy"


def test_compose_infrastructure():
    postgres, rabbitmq = SERVICES["postgres"], SERVICES["rabbitmq"]
    assert postgres["image"].split(":")[0] == "postgres" and postgres["image"].split(":")[1].startswith("16")
    assert rabbitmq["image"] == "rabbitmq:3.13-management"
    assert postgres.get("healthcheck", {}).get("test") and rabbitmq.get("healthcheck", {}).get("test")
    mounts = [str(volume) for volume in postgres.get("volumes", [])]
    assert any(m.startswith("./deploy/postgres/init-databases.sql:/docker-entrypoint-initdb.d/") for m in mounts), mounts
    assert created_databases() >= {f"portico_{c}" for c in COMPONENTS}
    conf_mounts = [str(v).split(":") for v in rabbitmq.get("volumes", []) if str(v).startswith("./")]
    conf_files = [ROOT / source for source, target, *_ in conf_mounts if target.startswith("/etc/rabbitmq/")]
    assert conf_files, "mount a rabbitmq.conf that makes quorum the default queue type"
    assert any(conf_settings(f.read_text()).get("default_queue_type") == "quorum" for f in conf_files)


@pytest.mark.parametrize("component", COMPONENTS)
def test_compose_web_healthcheck_and_ports(component):
    service = SERVICES[component]
    check = " ".join(service.get("healthcheck", {}).get("test", []))
    assert f":{WEB_PORT}/readyz" in check, f"{component}: the healthcheck must ask /readyz: {check}"
    ports = [str(port) for port in service.get("ports", [])]
    if component == "gateway":
        assert ports == [f"{GATEWAY_HOST_PORT}:{WEB_PORT}"]
    else:
        assert not ports, f"only the gateway is published, not {component}"


def test_compose_publishes_only_the_gateway():
    published = sorted(name for name in PORTICO_SERVICES if SERVICES[name].get("ports"))
    assert published == ["gateway"]


def test_GW_01_compose_publishes_nothing_else_beyond_this_machine():
    """Only the gateway is a door: anything else published (mail catcher, RabbitMQ's UI) listens on
    this machine's loopback only."""
    for name, service in SERVICES.items():
        for port in map(str, service.get("ports", [])):
            assert name == "gateway" or port.startswith("127.0.0.1:"), f"{name} publishes {port} to every network"


def test_ID_03_compose_gateway_trusts_no_proxy_by_default():
    env = compose_environment(SERVICES["gateway"])
    assert env.get("FORWARDED_ALLOW_IPS") == "", "the gateway's container must say which proxies it trusts: none"
    assert option(compose_command(SERVICES["gateway"]), "--forwarded-allow-ips") == ""


def launcher_sandbox_registry_command() -> list[str]:
    with process_environment({"PORTICO_SANDBOX_REGISTRY": "on"}):
        table = dict(launcher.processes())
    assert "sandbox-registry" in table, "the launcher starts no sandbox registry"
    return ["python", *table["sandbox-registry"][1:]]


def test_launcher_starts_the_sandbox_registry_unless_told_not_to():
    with process_environment({"PORTICO_SANDBOX_REGISTRY": "off"}):
        assert "sandbox-registry" not in dict(launcher.processes())
    with process_environment({}):   # embedded defaults: on
        assert "sandbox-registry" in dict(launcher.processes())
    with process_environment({"PORTICO_BROKER_URL": "amqp://u:p@rabbitmq:5672/portico"}):   # real mode: off
        assert "sandbox-registry" not in dict(launcher.processes())


def test_compose_sandbox_registry_is_optional_and_runs_the_launchers_command():
    """The sandbox registry runs with `docker compose --profile sandbox up`, in its own database."""
    optional = sorted(name for name, service in SERVICES.items() if is_portico_service(service) and service.get("profiles"))
    assert optional == ["sandbox-registry"]
    service = SERVICES["sandbox-registry"]
    assert service["profiles"] == ["sandbox"]
    command = compose_command(service)
    assert command == launcher_sandbox_registry_command()
    check_command_modules(command)
    env = compose_environment(service)
    assert all(config.known_variable(key) for key in env), sorted(env)
    url = urlsplit(env["SANDBOX_REGISTRY_DATABASE_URL"])
    assert (url.hostname, url.port, url.path) == ("postgres", 5432, "/portico_sandbox_registry")
    assert "portico_sandbox_registry" in created_databases()
    assert (service.get("depends_on") or {}).get("postgres", {}).get("condition") == "service_healthy"
    assert [str(p) for p in service.get("ports", [])] == ["127.0.0.1:7700:7700"]


# --------------------------------------------------------------------------------------------
# The launcher's web command (what compose and the manifests must repeat)
# --------------------------------------------------------------------------------------------

def gunicorn_settings(argv: list[str]):
    """The settings gunicorn takes from a `python -m gunicorn …` command, read as gunicorn does."""
    from gunicorn.config import Config

    settings = Config()
    for name, value in vars(settings.parser().parse_args(argv[3:])).items():
        if value is not None and name != "args":
            settings.set(name.lower(), value)
    return settings


def address_seen(trusted: list[str], peer: str, forwarded_for: str) -> str:
    """The caller's address uvicorn gives the application for this peer and X-Forwarded-For."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    seen = {}

    async def app(scope, receive, send):
        seen["client"] = scope["client"][0]

    scope = {"type": "http", "client": (peer, 50000), "headers": [(b"x-forwarded-for", forwarded_for.encode())]}
    asyncio.run(ProxyHeadersMiddleware(app, trusted_hosts=trusted)(scope, None, None))
    return seen["client"]


@pytest.mark.parametrize("component", COMPONENTS)
def test_ID_03_web_commands_believe_no_x_forwarded_for_by_default(component):
    """gunicorn and uvicorn would believe 127.0.0.1's X-Forwarded-For: anyone on the machine could
    choose the address sign-in throttling and new-network alerts see."""
    with process_environment({}):
        settings = gunicorn_settings(launcher.web_command(component))
    assert settings.forwarded_allow_ips == []
    assert address_seen(settings.forwarded_allow_ips, "127.0.0.1", "203.0.113.9") == "127.0.0.1"


def test_ID_03_only_the_gateway_believes_the_proxies_it_is_given():
    with process_environment({"FORWARDED_ALLOW_IPS": "192.0.2.0/28"}):
        commands = {component: launcher.web_command(component) for component in COMPONENTS}
    gateway = gunicorn_settings(commands["gateway"]).forwarded_allow_ips
    assert gateway == ["192.0.2.0/28"]
    assert address_seen(gateway, "192.0.2.5", "203.0.113.9") == "203.0.113.9"
    assert address_seen(gateway, "192.0.2.17", "203.0.113.9") == "192.0.2.17"
    for service in config.SERVICES:  # identity gets the caller's address in the gateway's sign-in body
        assert gunicorn_settings(commands[service]).forwarded_allow_ips == [], service


@pytest.mark.parametrize("component", COMPONENTS)
def test_web_commands_open_no_control_socket(component):
    """gunicorn's default control socket is one path per user, taken over by each instance started."""
    with process_environment({}):
        argv = launcher.web_command(component)
    assert "--no-control-socket" in argv
    assert gunicorn_settings(argv).control_socket_disable is True


# --------------------------------------------------------------------------------------------
# deploy/k8s
# --------------------------------------------------------------------------------------------

KUSTOMIZATION = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
K8S_FILES = [K8S_DIR / name for name in KUSTOMIZATION.get("resources", [])]
K8S_DOCS = [
    (path.name, doc)
    for path in K8S_FILES if path.is_file()
    for doc in yaml.safe_load_all(path.read_text()) if doc
]


def doc_id(item) -> str:
    filename, doc = item
    return f"{filename}:{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def docs_of(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in K8S_DOCS if doc.get("kind") == kind}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def image_name(image: str) -> str:
    return image.rsplit("/", 1)[-1].split("@")[0].split(":")[0]


def portico_workloads() -> dict[str, dict]:
    return {
        doc["metadata"]["name"]: doc
        for _, doc in K8S_DOCS
        if doc.get("kind") in ("Deployment", "Job", "StatefulSet", "DaemonSet")
        and any(image_name(c["image"]) == IMAGE for c in pod_spec(doc)["containers"])
    }


def the_container(workload: dict) -> dict:
    containers = pod_spec(workload)["containers"]
    assert len(containers) == 1, f"{workload['metadata']['name']}: one container per process"
    return containers[0]


def secret_data(secret: dict) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    return data


_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion in env values, command and args."""
    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))
    return _REFERENCE.sub(replace, value)


def container_environment(container: dict) -> dict[str, str]:
    """Every variable the container gets, resolved from the ConfigMaps and Secrets here."""
    configmaps, secrets = docs_of("ConfigMap"), docs_of("Secret")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert "prefix" not in source
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in configmaps, f"no ConfigMap {name}"
            env.update(configmaps[name].get("data") or {})
        if "secretRef" in source:
            name = source["secretRef"]["name"]
            assert name in secrets, f"no Secret {name}"
            env.update(secret_data(secrets[name]))
    for item in container.get("env", []):
        name = item["name"]
        if "value" in item:
            env[name] = expand(item["value"], env)
            continue
        source = item["valueFrom"]
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            assert ref["name"] in secrets, f"no Secret {ref['name']}"
            data = secret_data(secrets[ref["name"]])
            assert ref["key"] in data, f"Secret {ref['name']} has no key {ref['key']}"
            env[name] = data[ref["key"]]
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            assert ref["name"] in configmaps, f"no ConfigMap {ref['name']}"
            data = configmaps[ref["name"]].get("data") or {}
            assert ref["key"] in data, f"ConfigMap {ref['name']} has no key {ref['key']}"
            env[name] = data[ref["key"]]
        else:
            env[name] = f"<{next(iter(source))}>"
    return env


def container_command(container: dict) -> list[str]:
    env = container_environment(container)
    argv = [expand(str(part), env) for part in [*container.get("command", []), *container.get("args", [])]]
    unresolved = [part for part in argv if "$(" in part]
    assert not unresolved, f"{container['name']}: undefined variables in {unresolved}"
    return argv


def named_port(container: dict, port) -> int:
    if isinstance(port, int):
        return port
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    assert port in ports, f"{container['name']} has no port named {port}"
    return ports[port]


def run_as_non_root(workload: dict, container: dict) -> bool:
    pod = pod_spec(workload).get("securityContext") or {}
    own = container.get("securityContext") or {}
    return own.get("runAsNonRoot", pod.get("runAsNonRoot")) is True


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


PORTICO_WORKLOADS = sorted(portico_workloads())


def test_kustomization_lists_every_manifest():
    listed = KUSTOMIZATION.get("resources", [])
    assert len(listed) == len(set(listed))
    on_disk = {p.name for p in K8S_DIR.iterdir() if p.suffix in (".yaml", ".yml") and p.name != "kustomization.yaml"}
    assert set(listed) == on_disk
    assert all(path.is_file() for path in K8S_FILES)
    assert KUSTOMIZATION.get("namespace") == NAMESPACE
    assert any(image.get("name") == IMAGE for image in KUSTOMIZATION.get("images", [])), \
        "the kustomization must say which image `portico` stands for"


@pytest.mark.parametrize("item", K8S_DOCS, ids=doc_id)
def test_k8s_manifest_is_valid(item):
    _, doc = item
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        pytest.fail(f"{doc_id(item)}: {'.'.join(map(str, error.path))}: {error.message}")
    except kubernetes_validate.SchemaNotFoundError as error:
        pytest.fail(error.message)


@pytest.mark.parametrize("item", K8S_DOCS, ids=doc_id)
def test_k8s_everything_is_in_the_namespace(item):
    _, doc = item
    if doc["kind"] == "Namespace":
        assert doc["metadata"]["name"] == NAMESPACE
    else:
        assert doc["metadata"].get("namespace") == NAMESPACE


def test_k8s_runs_every_process_of_the_topology():
    found = {}
    for name, workload in portico_workloads().items():
        component, role = role_of(name)
        assert component in COMPONENTS, f"unknown component {component}"
        assert workload["kind"] == ("Job" if role == "migrate" else "Deployment"), name
        found[(component, role)] = name
    assert set(found) == expected_processes()


@pytest.mark.parametrize("component", COMPONENTS)
def test_k8s_migration_job_for_every_component(component):
    jobs = docs_of("Job")
    assert f"{component}-migrate" in jobs
    job = jobs[f"{component}-migrate"]
    assert container_command(the_container(job)) == ["python", "-m", "portico_kernel.migrate", component]
    assert pod_spec(job).get("restartPolicy") in ("Never", "OnFailure")


@pytest.mark.parametrize("name", PORTICO_WORKLOADS)
def test_k8s_command_is_the_launchers(name):
    component, role = role_of(name)
    container = the_container(portico_workloads()[name])
    env = container_environment(container)
    assert container_command(container) == expected_command(component, role, env)


@pytest.mark.parametrize("name", PORTICO_WORKLOADS)
def test_k8s_command_modules_exist(name):
    check_command_modules(container_command(the_container(portico_workloads()[name])))


@pytest.mark.parametrize("component", COMPONENTS)
def test_k8s_web_worker_class_is_the_launchers(component):
    argv = container_command(the_container(docs_of("Deployment")[component]))
    assert option(argv, "--worker-class") == launcher_worker_class(component)
    assert option(argv, "--bind") == f"0.0.0.0:{WEB_PORT}"


@pytest.mark.parametrize("name", PORTICO_WORKLOADS)
def test_k8s_environment_names_are_known(name):
    workload = portico_workloads()[name]
    for container in [*pod_spec(workload).get("initContainers", []), *pod_spec(workload)["containers"]]:
        env = container_environment(container)
        unknown = sorted(key for key in env if not config.known_variable(key))
        assert not unknown, f"{name}/{container['name']} gets variables portico_kernel.config does not know: {unknown}"


@pytest.mark.parametrize("name", PORTICO_WORKLOADS)
def test_k8s_environment_reaches_database_and_broker(name):
    component, _ = role_of(name)
    env = container_environment(the_container(portico_workloads()[name]))
    url = env.get(f"{component.upper()}_DATABASE_URL")
    assert url, f"{name} has no {component.upper()}_DATABASE_URL"
    check_database_url(component, url, urlsplit(url).hostname, 5432)
    broker = urlsplit(env.get("PORTICO_BROKER_URL", ""))
    assert broker.scheme == "amqp" and (broker.hostname, broker.port) == ("rabbitmq", 5672)
    rabbitmq_env = container_environment(the_container(docs_of("StatefulSet")["rabbitmq"]))
    assert broker.username == rabbitmq_env["RABBITMQ_DEFAULT_USER"]
    assert broker.path == f"/{rabbitmq_env['RABBITMQ_DEFAULT_VHOST']}"
    services = docs_of("Service")
    assert 5672 in [p["port"] for p in services["rabbitmq"]["spec"]["ports"]]


@pytest.mark.parametrize("name", PORTICO_WORKLOADS)
def test_k8s_urls_name_the_web_services(name):
    env = container_environment(the_container(portico_workloads()[name]))
    urls = {key: env[key] for key in env if key.endswith("_URL") and not key.endswith(("_DATABASE_URL", "_BROKER_URL"))
            and not key.startswith(REGISTRY_SETTINGS)}
    if role_of(name) == ("gateway", "web"):
        missing = [s for s in config.SERVICES if f"{s.upper()}_URL" not in urls]
        assert not missing, f"the gateway cannot reach {missing}"
    services = docs_of("Service")
    for key, url in urls.items():
        parsed = urlsplit(url)
        host = parsed.hostname.removesuffix(f".{NAMESPACE}.svc.cluster.local").removesuffix(f".{NAMESPACE}")
        assert host in services and host in COMPONENTS, f"{key}={url}: no such Service"
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        assert port in [p["port"] for p in services[host]["spec"]["ports"]], f"{key}={url}: Service {host} has no port {port}"
        if key == "PORTICO_JWKS_URL":
            assert host == "gateway" and parsed.path == "/.well-known/jwks.json"
        else:
            assert host == key[: -len("_URL")].lower(), f"{key}={url}"


@pytest.mark.parametrize("component", COMPONENTS)
def test_k8s_web_probes_resources_and_security(component):
    deployment = docs_of("Deployment")[component]
    container = the_container(deployment)
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        http = container.get(probe, {}).get("httpGet")
        assert http, f"{component}: no HTTP {probe}"
        assert http["path"] == path, f"{component}: {probe} must ask {path}"
        assert named_port(container, http["port"]) == WEB_PORT
    requests = container.get("resources", {}).get("requests", {})
    limits = container.get("resources", {}).get("limits", {})
    assert {"cpu", "memory"} <= set(requests), f"{component}: resource requests missing"
    assert {"cpu", "memory"} <= set(limits), f"{component}: resource limits missing"
    assert run_as_non_root(deployment, container)


@pytest.mark.parametrize("name", PORTICO_WORKLOADS)
def test_k8s_every_process_has_requests_and_runs_as_non_root(name):
    workload = portico_workloads()[name]
    container = the_container(workload)
    assert {"cpu", "memory"} <= set(container.get("resources", {}).get("requests", {})), f"{name}: no resource requests"
    assert run_as_non_root(workload, container), f"{name}: runAsNonRoot is not set"
    assert (container.get("securityContext") or {}).get("allowPrivilegeEscalation") is False


@pytest.mark.parametrize("component", COMPONENTS)
def test_k8s_service_for_every_web_deployment(component):
    services, workloads = docs_of("Service"), portico_workloads()
    assert component in services, f"no Service {component}"
    service, deployment = services[component], workloads[component]
    selector = service["spec"]["selector"]
    assert selects(selector, deployment["spec"]["template"]["metadata"]["labels"])
    assert selects(deployment["spec"]["selector"]["matchLabels"], deployment["spec"]["template"]["metadata"]["labels"])
    for name, other in workloads.items():
        if name != component:
            assert not selects(selector, other["spec"]["template"]["metadata"]["labels"]), \
                f"Service {component} would also send requests to {name}"
    [port] = service["spec"]["ports"]
    assert port["port"] == 80
    assert named_port(the_container(deployment), port.get("targetPort", port["port"])) == WEB_PORT


def test_k8s_gateway_autoscaler():
    autoscalers = [doc for _, doc in K8S_DOCS if doc["kind"] == "HorizontalPodAutoscaler"]
    targeting = [
        doc for doc in autoscalers
        if doc["apiVersion"] == "autoscaling/v2"
        and doc["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    ]
    assert len(targeting) == 1, "one autoscaling/v2 HorizontalPodAutoscaler must target Deployment gateway"
    [hpa] = targeting
    cpu = [
        m["resource"]["target"] for m in hpa["spec"]["metrics"]
        if m["type"] == "Resource" and m["resource"]["name"] == "cpu"
    ]
    assert cpu == [{"type": "Utilization", "averageUtilization": 70}]
    assert hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"]
    gateway = docs_of("Deployment")["gateway"]
    assert "cpu" in the_container(gateway)["resources"]["requests"], "CPU utilisation needs a CPU request"
    assert "replicas" not in gateway["spec"], "the autoscaler sets the gateway's replicas"


def test_k8s_configuration_objects():
    configmaps, secrets = docs_of("ConfigMap"), docs_of("Secret")
    assert "portico-config" in configmaps and "portico-secrets" in secrets
    secret = secret_data(secrets["portico-secrets"])
    for component in COMPONENTS:
        assert f"{component.upper()}_DATABASE_URL" in secret
    assert "PORTICO_BROKER_URL" in secret
    not_secret = configmaps["portico-config"]["data"]
    leaked = [key for key in not_secret if key.endswith(("_DATABASE_URL", "_BROKER_URL"))]
    assert not leaked, f"credentials belong in the Secret: {leaked}"
    for key in [*not_secret, *secret]:
        assert config.known_variable(key), key


def test_k8s_rabbitmq_uses_quorum_queues():
    statefulset = docs_of("StatefulSet").get("rabbitmq")
    assert statefulset, "no RabbitMQ StatefulSet"
    container = the_container(statefulset)
    assert container["image"].startswith("rabbitmq:3.13")
    configmaps = docs_of("ConfigMap")
    mounted = [v["configMap"]["name"] for v in pod_spec(statefulset).get("volumes", []) if "configMap" in v]
    confs = [configmaps[name]["data"]["rabbitmq.conf"] for name in mounted if "rabbitmq.conf" in configmaps[name].get("data", {})]
    assert confs, "the StatefulSet must mount a ConfigMap with rabbitmq.conf"
    assert all(conf_settings(conf).get("default_queue_type") == "quorum" for conf in confs)
    service = docs_of("Service")["rabbitmq"]
    assert selects(service["spec"]["selector"], statefulset["spec"]["template"]["metadata"]["labels"])
    assert statefulset["spec"]["serviceName"] in docs_of("Service")


def selector_matches(selector: dict, labels: dict) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against a pod's labels."""
    if not selects(selector.get("matchLabels") or {}, labels):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if not {"In": key in labels and labels[key] in values, "NotIn": labels.get(key) not in values,
                "Exists": key in labels, "DoesNotExist": key not in labels}[operator]:
            return False
    return True


def web_pod_labels(component: str) -> dict:
    return docs_of("Deployment")[component]["spec"]["template"]["metadata"]["labels"]


def ingress_rules_for(component: str) -> list[dict]:
    """Every ingress rule of the NetworkPolicies that select the component's web pods."""
    policies = [doc for doc in docs_of("NetworkPolicy").values()
                if selector_matches(doc["spec"]["podSelector"], web_pod_labels(component))
                and "Ingress" in doc["spec"].get("policyTypes", ["Ingress"])]
    assert policies, f"no NetworkPolicy restricts who may connect to {component}'s web pods"
    return [rule for policy in policies for rule in policy["spec"].get("ingress", [])]


def check_web_port_only(component: str, rule: dict) -> None:
    ports = rule.get("ports")
    assert ports, f"{component}: a rule without ports opens every port"
    container = the_container(docs_of("Deployment")[component])
    assert all(named_port(container, p["port"]) == WEB_PORT for p in ports), f"{component}: {ports}"


@pytest.mark.parametrize("component", config.SERVICES)
def test_GW_01_k8s_services_accept_connections_only_from_the_gateway(component):
    """The services' web pods, /internal/* included, are reached through the gateway only."""
    gateway_pods = web_pod_labels("gateway")
    for rule in ingress_rules_for(component):
        peers = rule.get("from")
        assert peers, f"{component}: a rule without `from` admits everyone"
        for peer in peers:
            assert set(peer) == {"podSelector"}, f"{component}: only pods of this namespace, no {sorted(peer)}"
            assert selector_matches(peer["podSelector"], gateway_pods), f"{component}: {peer} is not the gateway"
            others = [name for name, workload in portico_workloads().items() if name != "gateway"
                      and selector_matches(peer["podSelector"], workload["spec"]["template"]["metadata"]["labels"])]
            assert not others, f"{component} would accept connections from {others}"
        check_web_port_only(component, rule)


def test_GW_01_k8s_gateway_accepts_the_ingress_controller_and_portico():
    rules = ingress_rules_for("gateway")
    from_ingress = False
    for rule in rules:
        peers = rule.get("from")
        assert peers, "a rule without `from` admits everyone"
        for peer in peers:
            assert "ipBlock" not in peer, f"name the ingress controller by its labels, not {peer}"
            if "namespaceSelector" in peer:
                assert peer["namespaceSelector"].get("matchLabels"), "an empty namespaceSelector admits every namespace"
                assert peer.get("podSelector", {}).get("matchLabels"), "name the ingress controller's pods"
                from_ingress = True
            else:
                assert selects(peer["podSelector"].get("matchLabels") or {}, {"app.kubernetes.io/part-of": "portico"}) \
                    and peer["podSelector"].get("matchLabels"), f"{peer}: only Portico's own pods besides the ingress"
        check_web_port_only("gateway", rule)
    assert from_ingress, "the ingress controller must reach the gateway"


def test_ID_03_k8s_gateway_believes_only_the_ingress_controllers_range():
    """X-Forwarded-For counts from the ingress controller's own small address range: every address
    in it can choose the caller's address (not a whole pod network such as 10.0.0.0/8)."""
    argv = container_command(the_container(docs_of("Deployment")["gateway"]))
    trusted = [item.strip() for item in option(argv, "--forwarded-allow-ips").split(",") if item.strip()]
    assert trusted, "name the ingress controller's address range"
    for item in trusted:
        assert item != "*"
        network = ipaddress.ip_network(item)
        assert network.num_addresses <= 256, f"{item} is not the ingress controller's own range"
    for service in config.SERVICES:
        command = container_command(the_container(docs_of("Deployment")[service]))
        assert option(command, "--forwarded-allow-ips") == "", f"{service} must believe no X-Forwarded-For"


# --------------------------------------------------------------------------------------------
# Dockerfile and .dockerignore
# --------------------------------------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_dockerfile():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    copies = [args for op, args in instructions if op == "COPY"]
    assert ". ." in copies, "the image holds the whole repository (contracts and migrations included)"
    runs = " ".join(args for op, args in instructions if op == "RUN")
    assert re.search(r"pip install (--\S+ )*\.(\s|$)", runs), "the image installs the project with pip"
    users = [args for op, args in instructions if op == "USER"]
    assert users, "the image must not run as root"
    user = users[-1].split(":")[0]
    # Numeric, so Kubernetes can check runAsNonRoot against the image.
    assert user.isdigit() and int(user) != 0
    assert not [op for op, _ in instructions if op in ("CMD", "ENTRYPOINT")], "each container gives its command"


def test_ID_03_dockerfile_gunicorn_believes_no_proxy_and_opens_no_control_socket():
    """Any gunicorn started in the image, whatever its command, starts from safe defaults."""
    env = {}
    for op, args in dockerfile_instructions():
        if op == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(args))
    assert env.get("FORWARDED_ALLOW_IPS") == ""
    assert "--no-control-socket" in shlex.split(env.get("GUNICORN_CMD_ARGS", ""))


def test_dockerignore():
    patterns = {line.strip().removeprefix("**/").rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", "var", ".git", "__pycache__"} <= patterns


# --------------------------------------------------------------------------------------------
# deploy/k8s-sandbox: Portico plus the optional sandbox registry
# --------------------------------------------------------------------------------------------

SANDBOX_DIR = ROOT / "deploy" / "k8s-sandbox"
SANDBOX_KUSTOMIZATION = yaml.safe_load((SANDBOX_DIR / "kustomization.yaml").read_text())
SANDBOX_DOCS = [
    (name, doc) for name in SANDBOX_KUSTOMIZATION["resources"] if (SANDBOX_DIR / name).is_file()
    for doc in yaml.safe_load_all((SANDBOX_DIR / name).read_text()) if doc
]


def sandbox_doc(kind: str, name: str) -> dict:
    [doc] = [d for _, d in SANDBOX_DOCS if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def test_k8s_sandbox_overlay_adds_the_sandbox_registry_to_portico():
    assert SANDBOX_KUSTOMIZATION["resources"] == ["../k8s", "sandbox-registry.yaml"]
    assert SANDBOX_KUSTOMIZATION.get("namespace") == NAMESPACE
    on_disk = {p.name for p in SANDBOX_DIR.iterdir() if p.suffix in (".yaml", ".yml") and p.name != "kustomization.yaml"}
    assert on_disk == {"sandbox-registry.yaml"}


@pytest.mark.parametrize("item", SANDBOX_DOCS, ids=doc_id)
def test_k8s_sandbox_manifest_is_valid(item):
    _, doc = item
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        pytest.fail(f"{doc_id(item)}: {'.'.join(map(str, error.path))}: {error.message}")
    assert doc["metadata"].get("namespace") == NAMESPACE


def test_k8s_sandbox_registry_runs_the_launchers_command_reachable_from_domains_only():
    deployment = sandbox_doc("Deployment", "sandbox-registry")
    container = the_container(deployment)
    assert [*container["command"], *container.get("args", [])] == launcher_sandbox_registry_command()
    check_command_modules(container["command"])
    secret = secret_data(sandbox_doc("Secret", "sandbox-registry-secrets"))
    names = [item["name"] for item in container.get("env", [])]
    assert all(config.known_variable(name) for name in [*names, *secret]), names
    for item in container["env"]:
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["name"] == "sandbox-registry-secrets" and ref["key"] in secret
    assert urlsplit(secret["SANDBOX_REGISTRY_DATABASE_URL"]).path == "/portico_sandbox_registry"
    assert run_as_non_root(deployment, container)
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = sandbox_doc("Service", "sandbox-registry")
    assert selects(service["spec"]["selector"], labels)
    assert named_port(container, service["spec"]["ports"][0]["targetPort"]) == 7700
    policy = sandbox_doc("NetworkPolicy", "sandbox-registry-from-domains")
    assert selector_matches(policy["spec"]["podSelector"], labels)
    [rule] = policy["spec"]["ingress"]
    [peer] = rule["from"]
    assert set(peer) == {"podSelector"} and peer["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "domains"}
    assert [p["port"] for p in rule["ports"]] == [7700]
