"""What the domains scheduler keeps true at the registry over time for managed domains (DO-01).

- An auth code's validity (tlds.yaml `auth_code.valid_days`) ends: the registry gets a fresh random
  code nobody knows (domain:update chg authInfo), so the expired code no longer moves the domain.
  The stored code is marked retired in the same transaction: each code is replaced once.
- A transfer lock ends (tlds.yaml `transfer.lock_days`, after a change of owner): the registry drops
  clientTransferProhibited, which was set for that lock, and the lock is forgotten here.

Both work in batches claimed through an index on their end (on PostgreSQL the rows are locked and
rows another scheduler holds skipped); the registry is asked before the commit, in ways safe to
repeat (another fresh code; a status removed already), so a crash repeats nothing that matters.
"""
from __future__ import annotations

import logging
from typing import Callable

from . import auth_codes
from .manage import TRANSFER_PROHIBITED
from .registry import DomainChange, Registry, RegistryRefused, RegistryUnavailable

log = logging.getLogger(__name__)

BATCH = 200
HELD = ("active", "expired")  # states in which the registry still has the domain as ours to change


def retire_expired_auth_codes(uow, registry_for: Callable[[str], Registry], size: int = BATCH) -> tuple[int, int]:
    """One batch: the codes whose validity ended, replaced at the registry by a fresh unknown code.
    Answers how many were claimed and how many retired (a registry out of reach: tried next round)."""
    now = uow.clock.now()
    claimed = uow.settings.claim_expired_auth_codes(now, size)
    retired = 0
    for record in claimed:
        domain = uow.domains.get(record.domain_id)
        if domain is not None and domain.status in HELD:
            try:
                rules = uow.catalog.for_domain(domain.name)
                fresh = auth_codes.new_auth_code(rules.auth_code)
                registry_for(domain.tld).update_domain(domain.name, DomainChange(auth_info=fresh))
            except RegistryUnavailable as away:
                log.warning("domain %s: the registry cannot be reached to retire its auth code (%s)", domain.name, away)
                continue
            except (RegistryRefused, LookupError) as refused:
                log.warning("domain %s: its expired auth code was not replaced at the registry (%s)", domain.name, refused)
        uow.settings.retire_auth_code(record.domain_id, now)
        retired += 1
    uow.commit()
    return len(claimed), retired


def end_transfer_locks(uow, registry_for: Callable[[str], Registry], size: int = BATCH) -> tuple[int, int]:
    """One batch: the transfer locks that ended, clientTransferProhibited removed at the registry.
    Answers how many were claimed and how many ended."""
    now = uow.clock.now()
    claimed = uow.settings.claim_ended_transfer_locks(now, size)
    ended = 0
    for lock in claimed:
        domain = uow.domains.get(lock.domain_id)
        if domain is not None and domain.status in HELD:
            try:
                registry = registry_for(domain.tld)
                registry.update_domain(domain.name, DomainChange(remove_statuses=(TRANSFER_PROHIBITED,)))
            except RegistryUnavailable as away:
                log.warning("domain %s: the registry cannot be reached to end its transfer lock (%s)", domain.name, away)
                continue
            except LookupError as unsold:
                log.warning("domain %s: its TLD is no longer served (%s); the lock is forgotten", domain.name, unsold)
            except RegistryRefused as refused:
                try:  # removed already (an earlier round whose commit was lost, a new auth code)?
                    still = TRANSFER_PROHIBITED in registry.domain_info(domain.name).statuses
                except (RegistryRefused, RegistryUnavailable):
                    still = True
                if still:
                    log.warning("domain %s: the registry kept its transfer lock (%s); tried next round",
                                domain.name, refused)
                    continue
        uow.settings.end_transfer_lock(lock.domain_id)
        ended += 1
    uow.commit()
    return len(claimed), ended


def run(unit_of_work, registry_for: Callable[[str], Registry], size: int = BATCH) -> int:
    """The scheduler's round: batch after batch of each, until a batch is not full."""
    total = 0
    for step in (retire_expired_auth_codes, end_transfer_locks):
        while True:
            with unit_of_work() as uow:
                claimed, done = step(uow, registry_for, size)
            total += done
            if claimed < size or done == 0:
                break
    return total
