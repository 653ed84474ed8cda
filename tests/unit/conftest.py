"""The unit tier: domain rules against in-memory fakes and a clock that tests move.

No HTTP, no database, no stack: `python -m tests.run unit` loads this conftest only, never the
end-to-end one (tests/conftest.py), and finishes in seconds.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from portico_kernel.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
