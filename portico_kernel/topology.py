"""The bus topology, read from the AsyncAPI document: one definition for every process.

Each service that receives events has one durable queue bound to the routing keys
(`<producer>.<EventType>`) of the channels it receives; every publisher and consumer declares the
whole topology before it works, so no event is routed to nowhere because its consumer has not
started yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml
from kombu import Exchange, Queue, binding

from .config import contracts_dir


@dataclass(frozen=True)
class Subscription:
    service: str
    routing_keys: tuple[str, ...]


@lru_cache(maxsize=1)
def asyncapi() -> dict:
    return yaml.safe_load((contracts_dir() / "events" / "asyncapi.yaml").read_text())


def _channel_of(operation: dict) -> dict:
    ref = operation["channel"]["$ref"]
    return asyncapi()["channels"][ref.rsplit("/", 1)[1]]


def operations(action: str) -> list[tuple[str, str]]:
    """(service, routing key) for every operation of the given action (send / receive)."""
    return [
        (op["x-service"], _channel_of(op)["address"])
        for op in asyncapi()["operations"].values()
        if op["action"] == action
    ]


def subscriptions() -> dict[str, Subscription]:
    keys: dict[str, list[str]] = {}
    for service, key in operations("receive"):
        keys.setdefault(service, []).append(key)
    return {service: Subscription(service, tuple(sorted(k))) for service, k in keys.items()}


def producers() -> set[str]:
    return {service for service, _ in operations("send")}


class Topology:
    """Exchanges and queues of one bus namespace (PORTICO_BUS_PREFIX)."""

    def __init__(self, prefix: str, durable_queue_arguments: dict | None = None):
        self.prefix = prefix
        self.events = Exchange(f"{prefix}.events", type="topic", durable=True)
        self.dead_letters = Exchange(f"{prefix}.dead-letter", type="direct", durable=True)
        self._queue_arguments = durable_queue_arguments or {}

    def queue_name(self, service: str) -> str:
        return f"{self.prefix}.{service}"

    def queue(self, subscription: Subscription) -> Queue:
        return Queue(
            self.queue_name(subscription.service),
            exchange=self.events,
            bindings=[binding(self.events, routing_key=key) for key in subscription.routing_keys],
            durable=True,
            queue_arguments=dict(self._queue_arguments),
        )

    def dead_letter_queue(self, service: str) -> Queue:
        name = f"{self.queue_name(service)}.dead"
        return Queue(name, exchange=self.dead_letters, routing_key=name, durable=True,
                     queue_arguments=dict(self._queue_arguments))

    def all_queues(self) -> list[Queue]:
        queues: list[Queue] = []
        for subscription in subscriptions().values():
            queues.append(self.queue(subscription))
            queues.append(self.dead_letter_queue(subscription.service))
        return queues

    def delete(self, channel) -> None:
        """Removes the namespace's queues and exchanges (a test run's or a preview environment's)."""
        for queue in self.all_queues():
            queue.bind(channel).delete()
        self.events.bind(channel).delete()
        self.dead_letters.bind(channel).delete()

    def declare(self, channel) -> None:
        self.events.bind(channel).declare()
        self.dead_letters.bind(channel).declare()
        for queue in self.all_queues():
            queue.bind(channel).declare()
