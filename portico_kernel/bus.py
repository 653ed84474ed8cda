"""The message bus: connections, publishing with confirms, and consumers with an inbox.

RabbitMQ in real mode (`amqp://…`, quorum queues, publisher confirms). The embedded default is
kombu's filesystem transport in PORTICO_DATA_DIR/bus: it works across processes without a server.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Callable

import kombu.exceptions
from kombu import Connection
from kombu.mixins import ConsumerMixin

from . import fsbus
from .config import Settings
from .inbox import PoisonMessage
from .topology import Topology

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT = 10  # seconds: a missing confirm must never hang the relay


def topology_for(settings: Settings) -> Topology:
    arguments = {} if settings.embedded_broker else {"x-queue-type": "quorum", "x-delivery-limit": 20}
    return Topology(settings.bus_prefix, durable_queue_arguments=arguments)


def connect(settings: Settings) -> Connection:
    if settings.embedded_broker:
        folder = settings.bus_folder
        (folder / "control").mkdir(parents=True, exist_ok=True)
        (folder / "processed").mkdir(parents=True, exist_ok=True)
        options = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
            "polling_interval": 0.2,
        }
        return Connection("filesystem://localhost/", transport=fsbus.Transport, transport_options=options)
    return Connection(
        settings.broker_url,
        heartbeat=30,
        connect_timeout=5,
        transport_options={"confirm_publish": True, "max_retries": 1},
    )


class Publisher:
    """Publishes envelopes to the events exchange and waits for the broker's confirm."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.topology = topology_for(settings)
        self._connection: Connection | None = None
        self._producer = None

    def _ensure(self):
        if self._producer is None:
            self._connection = connect(self.settings)
            self._connection.ensure_connection(max_retries=1)
            channel = self._connection.channel()
            self.topology.declare(channel)
            self._producer = self._connection.Producer(channel=channel)
        return self._producer

    def publish(self, envelope: dict, routing_key: str, exchange=None) -> None:
        producer = self._ensure()
        producer.publish(
            envelope,
            exchange=exchange or self.topology.events,
            routing_key=routing_key,
            serializer="json",
            delivery_mode=2,
            message_id=envelope.get("id"),
            timeout=CONFIRM_TIMEOUT,
            confirm_timeout=CONFIRM_TIMEOUT,
            retry=False,
        )

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # the connection may already be gone with the broker
                pass
        self._connection = None
        self._producer = None


Handler = Callable[[dict], None]


class EventConsumer(ConsumerMixin):
    """Consumes one service's queue. `process(envelope)` commits the effect and the inbox row in one
    transaction; only then is the message acknowledged. A failure is retried with back-off, then the
    message goes to the service's dead-letter queue."""

    RETRY_DELAYS = (0.5, 2.0, 5.0)

    def __init__(self, settings: Settings, service: str, queue, process: Callable[[dict], None]):
        self.settings = settings
        self.service = service
        self.topology = topology_for(settings)
        self.queue = queue
        self.process = process
        self.connection = connect(settings)

    def get_consumers(self, Consumer, channel):
        self.topology.declare(channel)
        consumer = Consumer(queues=[self.queue], callbacks=[self.on_message], accept=["json"])
        consumer.qos(prefetch_count=10)
        return [consumer]

    def on_connection_error(self, exc, interval):
        log.warning("%s consumer: broker unreachable (%s), retrying in %ss", self.service, exc, interval)

    def on_message(self, body, message):
        envelope = body if isinstance(body, dict) else {}
        for attempt, delay in enumerate((*self.RETRY_DELAYS, None), start=1):
            try:
                self.process(envelope)
                message.ack()
                return
            except PoisonMessage as exc:
                log.error("%s: event %s %s", self.service, envelope.get("id"), exc)
                self._dead_letter(body, message, exc)
                return
            except Exception as exc:  # the handler's failure, whatever it is, must not kill the consumer
                if delay is None:
                    log.exception("%s: giving up on event %s after %d attempts", self.service, envelope.get("id"), attempt)
                    self._dead_letter(body, message, exc)
                    return
                log.warning("%s: event %s failed (%s), retry %d in %ss", self.service, envelope.get("id"), exc, attempt, delay)
                time.sleep(delay)

    def _dead_letter(self, body, message, exc) -> None:
        dead = self.topology.dead_letter_queue(self.service)
        with self.connection.clone() as connection:
            producer = connection.Producer()
            dead.bind(producer.channel).declare()
            producer.publish(
                body, exchange=self.topology.dead_letters, routing_key=dead.name, serializer="json",
                headers={"x-error": str(exc)[:500], "x-original-routing-key": message.delivery_info.get("routing_key")},
                delivery_mode=2, timeout=CONFIRM_TIMEOUT, confirm_timeout=CONFIRM_TIMEOUT,
            )
        message.ack()


def drop_namespace(settings: Settings) -> None:
    """Deletes every queue and exchange of `settings.bus_prefix`: what a finished test run leaves behind.
    Quorum queues are not free for the broker; thousands of forgotten ones slow it to a halt."""
    with connect(settings) as connection:
        topology_for(settings).delete(connection.channel())


def broker_reachable(settings: Settings, timeout: float = 2.0) -> bool:
    if settings.embedded_broker:
        return os.access(settings.bus_folder, os.W_OK)
    try:
        with connect(settings) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except (OSError, ConnectionError, kombu.exceptions.OperationalError):
        return False
