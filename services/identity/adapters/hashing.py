"""argon2id password hashes (ID-01). The parameters are stored in each hash, so raising them later
re-hashes a password at its owner's next sign-in."""
from __future__ import annotations

import math
import os
import threading
from pathlib import Path

import argon2

# argon2-cffi's default profile: RFC 9106's recommendation where memory is limited (64 MiB,
# 3 passes, 4 lanes), well above OWASP's minimum (19 MiB, 2 passes, 1 lane). A sign-in takes
# about a tenth of a second longer; a guess costs an attacker three times the memory.
PARAMETERS = argon2.profiles.RFC_9106_LOW_MEMORY


def cores(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """The cores this process may use: those it may run on, or fewer under a container's CPU
    limit (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`), which the affinity does not show."""
    available = len(os.sched_getaffinity(0))
    for quota_file, period_file in (("cpu.max", None), ("cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us")):
        try:
            fields = (cgroup / quota_file).read_text().split()
            quota, period = fields[0], fields[1] if period_file is None else (cgroup / period_file).read_text().strip()
        except (OSError, IndexError):
            continue
        if quota not in ("max", "-1"):
            return max(1, min(available, math.ceil(int(quota) / int(period))))
    return available


class Argon2Hasher:
    def __init__(self, parameters: argon2.Parameters = PARAMETERS):
        self._hasher = argon2.PasswordHasher.from_parameters(parameters)
        self._dummy = self._hasher.hash("not a password of anyone")
        # Each hash runs its lanes on threads of its own. Hashes beyond what the cores can run at
        # once would not finish sooner, only evict each other's memory from the cache and hold
        # 64 MiB each while they wait.
        self._running = threading.BoundedSemaphore(max(1, cores() // parameters.parallelism))

    def hash(self, password: str) -> str:
        with self._running:
            return self._hasher.hash(_utf8(password))

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            with self._running:
                return self._hasher.verify(password_hash, _utf8(password))
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def burn(self, password: str) -> None:
        self.verify(self._dummy, password)


def _utf8(password: str) -> bytes:
    """UTF-8 as argon2-cffi encodes text; a lone surrogate (which no password can hold, see the
    rules) is encoded as it is, so that a guess with one is merely wrong."""
    return password.encode("utf-8", "surrogatepass")
