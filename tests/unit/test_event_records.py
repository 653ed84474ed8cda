"""Consumers receive typed records (portico_kernel/records.py), built from a payload by the
receiving service's own declaration in its domain/events.py."""
from __future__ import annotations

from datetime import datetime, timezone

from portico_kernel.events import Envelope
from portico_kernel.records import Received, record_from, records_in
from services.orgs.domain import events as orgs_events


def test_a_service_declares_a_record_per_event_type_it_publishes_or_handles():
    records = records_in(orgs_events)
    assert {"OrganizationCreated", "UserRegistered", "AccountClosureRequested"} <= set(records)
    assert all(name == record.__name__ for name, record in records.items())


def test_a_record_takes_the_fields_its_receiver_declares_and_ignores_the_others():
    payload = {"user_id": "u-1", "email": "ann@example.test", "first_name": "Ann", "last_name": "Lee",
               "language": "en", "country": "CH", "self_signup": True}
    person = record_from(orgs_events.UserRegistered, payload)
    assert person == orgs_events.UserRegistered(user_id="u-1", email="ann@example.test", first_name="Ann",
                                                last_name="Lee", country="CH", self_signup=True)


def test_the_envelopes_metadata_stays_available_to_handlers():
    envelope = Envelope(type="MemberJoined", producer="orgs", payload={}, org_id="o-1", correlation_id="c-1",
                        occurred_at="2026-03-02T09:00:00.5Z")
    received = Received.of(envelope)
    assert received.occurred_at == datetime(2026, 3, 2, 9, 0, 0, 500000, tzinfo=timezone.utc)
    assert (received.id, received.producer, received.org_id, received.correlation_id) == (
        envelope.id, "orgs", "o-1", "c-1")
