"""One service's runtime, built once per process by the service's bootstrap.

The web app, the event consumer and the outbox relay are separate processes that share this
bootstrap, so each one scales and fails on its own.
"""
from __future__ import annotations

import logging
from types import ModuleType
from typing import Callable

from sqlalchemy import MetaData

from . import bus, config, db, logs, topology
from .clock import clock_of
from .inbox import EventHandler, Inbox
from .records import records_in
from .outbox import OutboxRelay
from .uow import UnitOfWork

log = logging.getLogger(__name__)


class Service:
    def __init__(self, component: str, metadata: MetaData, *, uow_class: type[UnitOfWork] = UnitOfWork,
                 handlers: dict[str, EventHandler] | None = None, events: ModuleType | None = None):
        """`handlers`: event type -> handler, wired here by the service's bootstrap.py (the one place);
        `events`: the service's domain/events.py, whose records the handlers receive."""
        self.component = component
        self.settings = config.load(component)
        self.metadata = metadata
        self.engine = db.make_engine(self.settings.database_url)
        self.session_factory = db.make_session_factory(self.engine)
        self.reading_session_factory = db.ReadingSessions(db.reading(self.engine))
        self.outbox = metadata.tables["outbox"]
        self.inbox = metadata.tables["inbox"]
        self.uow_class = uow_class
        self.handlers = handlers or {}
        self.records = records_in(events) if events is not None else {}
        self.clock = clock_of(component)

    def uow(self, *, reading: bool = False) -> UnitOfWork:
        """A unit of work; `reading=True` for one that only reads (a GET): it takes no write lock."""
        if reading:
            uow = self.uow_class(self.reading_session_factory, self.component, self.outbox, reading=True)
        else:
            uow = self.uow_class(self.session_factory, self.component, self.outbox)
        uow.clock = self.clock
        return uow

    def ready_checks(self) -> dict[str, Callable[[], None]]:
        def broker():
            if not bus.broker_reachable(self.settings):
                raise ConnectionError("broker unreachable")
        return {"database": lambda: db.ping(self.engine), "broker": broker}

    def web_app(self, verifier=None, token_kinds=None):
        from .web import create_app
        from .idempotency import NAME, Store
        return create_app(self.settings, self.ready_checks(), verifier=verifier, token_kinds=token_kinds,
                          idempotency=Store(self.engine, self.metadata.tables[NAME]), loop_waits=db.is_postgres(self.engine))

    def relay(self) -> OutboxRelay:
        return OutboxRelay(self.settings, self.engine, self.outbox)

    def consumer(self) -> bus.EventConsumer:
        subscription = topology.subscriptions()[self.component]
        inbox = Inbox(self.component, self.inbox, self.uow, self.handlers, self.records)
        queue = bus.topology_for(self.settings).queue(subscription)
        return bus.EventConsumer(self.settings, self.component, queue, inbox.process)


def configure_logging() -> None:
    logs.bound_and_redact()
    logging.basicConfig(
        level=config.env("PORTICO_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def run_relay(service: Service) -> None:
    configure_logging()
    service.relay().run_forever()


def run_consumer(service: Service) -> None:
    import signal

    configure_logging()
    consumer = service.consumer()

    def _stop(*_):
        consumer.should_stop = True

    signal.signal(signal.SIGTERM, _stop)
    log.info("%s consumer: listening on %s", service.component, consumer.queue.name)
    consumer.run()
