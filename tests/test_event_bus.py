"""The event bus never loses an event: what a transaction emits leaves if and only if it commits,
every message matches its schema, a redelivered event has one effect, a failing one is parked in
the dead-letter queue, and a broker outage only delays events (real mode)."""
from __future__ import annotations

import subprocess
import time
import uuid

import pytest
from sqlalchemy import select

from portico_kernel import events
from tests.bus_tap import Tap
from tests.helpers import eventually, unique_email


@pytest.fixture
def tap(stack):
    tap = Tap(f"tap-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def _about(email=None, user_id=None, org_id=None):
    def match(body):
        payload = body.get("payload", {})
        return ((email and payload.get("email") == email) or (user_id and payload.get("user_id") == user_id)
                or (org_id and payload.get("org_id") == org_id))
    return match


def test_every_produced_message_matches_its_schema_and_carries_the_correlation(api, tap):
    person = api.signup(email=unique_email("schema"), country="CH")
    registered = tap.wait_for(lambda b: b["type"] == "UserRegistered" and _about(user_id=person["id"])(b))
    created = tap.wait_for(lambda b: b["type"] == "OrganizationCreated" and b["payload"]["created_by"] == person["id"])
    org_id = created["body"]["org_id"]
    joined = tap.wait_for(lambda b: b["type"] == "MemberJoined" and b["org_id"] == org_id)
    opened = tap.wait_for(lambda b: b["type"] == "BillingAccountOpened" and b["org_id"] == org_id)
    for message in (registered, created, joined, opened):
        body = message["body"]
        events.validate(body)  # raises on any deviation from contracts/events
        assert message["routing_key"] == f"{body['producer']}.{body['type']}"
    # One request's effects share its correlation id, hop after hop.
    correlation = registered["body"]["correlation_id"]
    assert correlation and {m["body"]["correlation_id"] for m in (created, joined, opened)} == {correlation}
    assert opened["body"]["payload"]["currency"] == "CHF"


def test_a_schema_violation_never_reaches_the_outbox(stack):
    from services.identity.bootstrap import bootstrap
    from services.identity.domain.events import StaffAccountCreated

    with bootstrap().uow() as uow:
        with pytest.raises(events.SchemaViolation):
            uow.emit(StaffAccountCreated(user_id="not-a-uuid", email="x@example.test", platform_roles=[]))


def test_an_event_leaves_only_if_its_transaction_commits(stack, tap):
    from services.identity.bootstrap import bootstrap
    from services.identity.domain.events import StaffAccountCreated

    service = bootstrap()
    rolled_back = StaffAccountCreated(user_id=str(uuid.uuid4()), email="rolled-back@example.test", platform_roles=["platform:admin"])
    committed = StaffAccountCreated(user_id=str(uuid.uuid4()), email="committed@example.test", platform_roles=["platform:admin"])
    with pytest.raises(RuntimeError):
        with service.uow() as uow:
            lost = uow.emit(rolled_back)
            raise RuntimeError("the change fails before commit")
    with service.uow() as uow:
        kept = uow.emit(committed)
        uow.commit()

    tap.wait_for(lambda b: b["id"] == kept.id)
    time.sleep(2)
    tap.drain(1)
    assert not [m for m in tap.messages if m["body"]["id"] == lost.id]
    with service.engine.connect() as conn:
        outbox = service.outbox
        assert conn.execute(select(outbox.c.id).where(outbox.c.id == lost.id)).first() is None
        published = conn.execute(select(outbox.c.published_at).where(outbox.c.id == kept.id)).scalar_one()
        assert published is not None


def test_a_refused_signup_emits_nothing(api, tap):
    email = unique_email("once")
    api.signup(email=email)
    assert api.post("/v1/auth/signup", {"email": email.upper(), "password": "another long password",
                                        "first_name": "A", "last_name": "B"}).status_code == 409
    tap.wait_for(lambda b: b["type"] == "UserRegistered" and b["payload"]["email"] == email)
    time.sleep(2)
    tap.drain(1)
    registered = [m for m in tap.messages if m["body"]["type"] == "UserRegistered"
                  and m["body"]["payload"]["email"].lower() == email.lower()]
    assert len(registered) == 1


def test_a_redelivered_event_has_one_effect(api, tap):
    person = api.signup(email=unique_email("twice"))
    original = tap.wait_for(lambda b: b["type"] == "UserRegistered" and b["payload"]["user_id"] == person["id"])["body"]
    token = api.login(person["email"])["access_token"]
    eventually(lambda: api.get("/v1/orgs", token).json(), what="first organization")

    tap.publish(original, "identity.UserRegistered")
    tap.publish(original, "identity.UserRegistered")
    # A later signup's event queues behind the copies: once it has had its effect, so have they.
    marker = api.signup(email=unique_email("marker"))
    marker_token = api.login(marker["email"])["access_token"]
    eventually(lambda: api.get("/v1/orgs", marker_token).json(), what="marker organization")

    assert len(api.get("/v1/orgs", token).json()) == 1


def test_an_event_that_breaks_its_contract_goes_to_the_dead_letter_queue(stack, tap):
    from kombu import Consumer

    from portico_kernel import bus, config

    broken = events.Envelope(type="UserRegistered", producer="identity", payload={"user_id": str(uuid.uuid4())}).to_dict()
    tap.publish(broken, "identity.UserRegistered")

    settings = config.load("orgs")
    dead_queue = bus.topology_for(settings).dead_letter_queue("orgs")
    parked = []
    with bus.connect(settings) as connection:
        channel = connection.channel()
        dead_queue.bind(channel).declare()

        def on_message(body, message):
            if body.get("id") == broken["id"]:
                parked.append((body, message.headers))
            message.ack()

        with Consumer(channel, [dead_queue], callbacks=[on_message], accept=["json"]):
            deadline = time.monotonic() + 60
            while not parked and time.monotonic() < deadline:
                try:
                    connection.drain_events(timeout=0.5)
                except Exception as exc:  # a quiet queue: timeout (amqp) or Empty (filesystem)
                    if type(exc).__name__ not in ("timeout", "Empty", "TimeoutError"):
                        raise
    assert parked, "the failing event did not reach the dead-letter queue"
    body, headers = parked[0]
    assert "breaks its contract" in headers["x-error"] and "required" in headers["x-error"]
    assert headers["x-original-routing-key"] == "identity.UserRegistered"


@pytest.mark.real
def test_a_broker_outage_delays_events_and_loses_none(api):
    def rabbit(action):
        subprocess.run(["rabbitmqctl", action], check=True, capture_output=True, timeout=120)

    people = []
    rabbit("stop_app")
    try:
        for _ in range(5):  # people keep signing up while the broker is away
            people.append(api.signup(email=unique_email("outage"), country="CH"))
    finally:
        rabbit("start_app")
    for person in people:
        token = api.login(person["email"])["access_token"]  # acts for the personal organization at once
        # orgs creates it once UserRegistered, waiting in identity's outbox, has crossed the broker
        org_id = eventually(lambda: (orgs := api.get("/v1/orgs", token).json()) and orgs[0]["id"],
                            timeout=120, what=f"organization of {person['email']}")
        account = eventually(lambda: (r := api.get(f"/v1/billing/accounts/{org_id}", token)).status_code == 200 and r.json(),
                             timeout=60, what="billing account")
        assert account["currency"] == "CHF"
