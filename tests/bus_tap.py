"""A tap on the event bus: a queue of the test's own, bound to every routing key, so a test sees
each message exactly as the services published it."""
from __future__ import annotations

import time

from kombu import Queue, binding

from portico_kernel import bus, config


class Tap:
    def __init__(self, name: str = "tap"):
        self.settings = config.load("gateway")
        self.topology = bus.topology_for(self.settings)
        self.queue = Queue(f"{self.settings.bus_prefix}.test-{name}", exchange=self.topology.events,
                           bindings=[binding(self.topology.events, routing_key="#")], durable=True,
                           queue_arguments=dict(self.topology._queue_arguments))
        self.connection = bus.connect(self.settings)
        channel = self.connection.channel()
        self.topology.declare(channel)
        self.queue.bind(channel).declare()
        self.messages: list[dict] = []

    def drain(self, seconds: float = 0.5) -> list[dict]:
        """Collect what arrived (waiting up to `seconds` for more)."""
        received: list[dict] = []

        def on_message(body, message):
            received.append({"body": body, "routing_key": message.delivery_info.get("routing_key")})
            message.ack()

        with self.connection.Consumer(self.queue, callbacks=[on_message], accept=["json"]):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                try:
                    self.connection.drain_events(timeout=0.2)
                except (TimeoutError, OSError):
                    pass
                except Exception as exc:  # socket.timeout on amqp, Empty on the filesystem transport
                    if type(exc).__name__ not in ("timeout", "Empty"):
                        raise
        self.messages.extend(received)
        return received

    def wait_for(self, predicate, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for message in self.messages:
            if predicate(message["body"]):
                return message
        while time.monotonic() < deadline:
            for message in self.drain(0.5):
                if predicate(message["body"]):
                    return message
        raise AssertionError(f"no matching event within {timeout}s; saw {[m['body'].get('type') for m in self.messages]}")

    def publish(self, envelope: dict, routing_key: str) -> None:
        publisher = bus.Publisher(self.settings)
        try:
            publisher.publish(envelope, routing_key)
        finally:
            publisher.close()

    def close(self) -> None:
        self.queue.bind(self.connection.channel()).delete()
        self.connection.release()


def dead_letters(service: str, seconds: float = 2.0) -> list[dict]:
    """Empties `service`'s dead-letter queue: the messages parked there (body and headers)."""
    settings = config.load(service)
    queue = bus.topology_for(settings).dead_letter_queue(service)
    parked: list[dict] = []

    def on_message(body, message):
        parked.append({"body": body, "headers": message.headers})
        message.ack()

    with bus.connect(settings) as connection:
        queue.bind(connection.channel()).declare()
        with connection.Consumer(queue, callbacks=[on_message], accept=["json"]):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                try:
                    connection.drain_events(timeout=0.2)
                except (TimeoutError, OSError):
                    pass
                except Exception as exc:  # socket.timeout on amqp, Empty on the filesystem transport
                    if type(exc).__name__ not in ("timeout", "Empty"):
                        raise
    return parked
