"""DO-01: what the domains scheduler keeps true at the registry over time: an expired auth code is
replaced by one nobody knows, once; an ended transfer lock is lifted; a registry out of reach leaves
both for the next round. In-memory fakes."""
from __future__ import annotations

from datetime import timedelta

from portico_kernel.clock import FakeClock
from services.domains.domain import upkeep
from services.domains.domain.manage import AuthCodeRecord, TransferLock
from services.domains.domain.registry import RegistryRefused, RegistryUnavailable
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.test_domains_manage import CATALOG, NOW, FakeRegistry, FakeSettings, world


class UpkeepSettings(FakeSettings):
    def __init__(self):
        super().__init__()
        self.retired = {}

    def claim_expired_auth_codes(self, now, limit):
        due = [r for r in self.codes.values() if r.valid_until and r.valid_until <= now and r.domain_id not in self.retired]
        return sorted(due, key=lambda r: r.valid_until)[:limit]

    def retire_auth_code(self, domain_id, at):
        self.retired.setdefault(domain_id, at)

    def claim_ended_transfer_locks(self, now, limit):
        return sorted((l for l in self.locks.values() if l.locked_until <= now), key=lambda l: l.locked_until)[:limit]

    def end_transfer_lock(self, domain_id):
        self.locks.pop(domain_id, None)


def _upkeep_world(registry=None):
    uow, _, registry = world(registry=registry)
    settings = UpkeepSettings()
    uow = FakeUnitOfWork(FakeClock(NOW), domains=uow.domains, settings=settings, catalog=CATALOG)
    return uow, settings, registry


def test_DO_01_an_expired_auth_code_is_replaced_once_by_a_fresh_random_code():
    uow, settings, registry = _upkeep_world()
    settings.set_auth_code(AuthCodeRecord("d-1", "h", NOW - timedelta(days=15), NOW - timedelta(days=1)))
    assert upkeep.retire_expired_auth_codes(uow, lambda _: registry) == (1, 1)
    (name, domain, change), = registry.calls
    assert (name, domain) == ("update_domain", "example.com") and change.auth_info and not change.remove_statuses
    assert CATALOG.for_domain("example.com").auth_code.problem(change.auth_info) is None
    assert upkeep.retire_expired_auth_codes(uow, lambda _: registry) == (0, 0)   # once per code
    assert len(registry.calls) == 1


def test_DO_01_a_code_still_valid_or_without_an_end_is_left_alone():
    uow, settings, registry = _upkeep_world()
    settings.set_auth_code(AuthCodeRecord("d-1", "h", NOW, NOW + timedelta(days=1)))
    assert upkeep.retire_expired_auth_codes(uow, lambda _: registry) == (0, 0)
    settings.set_auth_code(AuthCodeRecord("d-1", "h", NOW, None))
    assert upkeep.retire_expired_auth_codes(uow, lambda _: registry) == (0, 0)
    assert registry.calls == []


def test_DO_01_an_unreachable_registry_leaves_the_code_for_the_next_round():
    registry = FakeRegistry(refuse={"update_domain": RegistryUnavailable("down")})
    uow, settings, _ = _upkeep_world(registry)
    settings.set_auth_code(AuthCodeRecord("d-1", "h", NOW - timedelta(days=15), NOW - timedelta(days=1)))
    assert upkeep.retire_expired_auth_codes(uow, lambda _: registry) == (1, 0)
    assert "d-1" not in settings.retired


def test_DO_01_an_ended_transfer_lock_is_lifted_at_the_registry():
    uow, settings, registry = _upkeep_world()
    settings.set_transfer_lock(TransferLock("d-1", NOW - timedelta(minutes=1), "owner_change"))
    assert upkeep.end_transfer_locks(uow, lambda _: registry) == (1, 1)
    (_, _, change), = registry.calls
    assert change.remove_statuses == ("clientTransferProhibited",)
    assert settings.locks == {}


def test_DO_01_a_running_lock_stays_and_a_refusal_with_the_status_still_set_is_tried_again():
    uow, settings, registry = _upkeep_world()
    settings.set_transfer_lock(TransferLock("d-1", NOW + timedelta(days=1), "owner_change"))
    assert upkeep.end_transfer_locks(uow, lambda _: registry) == (0, 0)

    class Locked(FakeRegistry):
        def domain_info(self, name):
            return super().domain_info(name).__class__(name=name, registry_id="D1", sponsor="portico",
                                                       statuses=("clientTransferProhibited",))
    locked = Locked(refuse={"update_domain": RegistryRefused(2306, "Parameter value policy error")})
    uow, settings, _ = _upkeep_world(locked)
    settings.set_transfer_lock(TransferLock("d-1", NOW - timedelta(days=1), "owner_change"))
    assert upkeep.end_transfer_locks(uow, lambda _: locked) == (1, 0)
    assert "d-1" in settings.locks
    # the status gone already (an earlier round's commit lost): the lock is forgotten
    gone = FakeRegistry(refuse={"update_domain": RegistryRefused(2306, "Parameter value policy error")})
    uow, settings, _ = _upkeep_world(gone)
    settings.set_transfer_lock(TransferLock("d-1", NOW - timedelta(days=1), "owner_change"))
    assert upkeep.end_transfer_locks(uow, lambda _: gone) == (1, 1)
