"""argon2id password hashes. The parameters are stored in each hash, so raising them later
re-hashes a password at its owner's next sign-in."""
from __future__ import annotations

import os
import threading

import argon2

# OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
TIME_COST, MEMORY_COST_KIB, PARALLELISM = 2, 19 * 1024, 1


class Argon2Hasher:
    def __init__(self, time_cost: int = TIME_COST, memory_cost: int = MEMORY_COST_KIB, parallelism: int = PARALLELISM):
        self._hasher = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                                             parallelism=parallelism, type=argon2.Type.ID)
        self._dummy = self._hasher.hash("not a password of anyone")
        # One hash per core at a time: more would not finish sooner, only evict each other's memory
        # from the cache and hold MEMORY_COST each while they wait.
        self._cores = threading.BoundedSemaphore(len(os.sched_getaffinity(0)))

    def hash(self, password: str) -> str:
        with self._cores:
            return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            with self._cores:
                return self._hasher.verify(password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def burn(self, password: str) -> None:
        self.verify(self._dummy, password)
