"""Fixtures for the dashboard's UI tests: frozen clock, in-memory store, fake sources."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.fakes import NOW, FakeProvider, sample_jobs
from tui.clock import FrozenClock
from tui.config import AccountConfig, Settings
from tui.models import ProviderName
from tui.store import JobStore


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def store(clock: FrozenClock) -> Iterator[JobStore]:
    job_store = JobStore(":memory:", clock=clock)
    yield job_store
    job_store.close()


def settings_for(*accounts: str, refresh: float = 60.0) -> Settings:
    """Settings with one account per name (refresh long so tests drive it with `r`)."""
    return Settings(
        accounts=tuple(
            AccountConfig(name=name, provider=ProviderName.ZOO, base_url="http://127.0.0.1:1/zoo")
            for name in accounts
        ),
        refresh=refresh,
    )


@pytest.fixture
def two_sources() -> list[FakeProvider]:
    return [
        FakeProvider("zoo-prod", sample_jobs("zoo-prod", 12)),
        FakeProvider("meta-lab", sample_jobs("meta-lab", 8, offset=3)),
    ]
