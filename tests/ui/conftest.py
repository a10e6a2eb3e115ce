"""Fixtures for the dashboard's UI tests: frozen clock, in-memory store, fake sources."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

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


def settings_for(
    *accounts: str, refresh: float = 60.0, providers: Mapping[str, ProviderName] | None = None
) -> Settings:
    """Settings with one account per name (refresh long so tests drive it with `r`), of the
    provider `providers` gives it (Zoo by default)."""
    kinds = providers or {}
    return Settings(
        accounts=tuple(
            AccountConfig(
                name=name,
                provider=kinds.get(name, ProviderName.ZOO),
                base_url=f"http://127.0.0.1:1/{kinds.get(name, ProviderName.ZOO).value}",
            )
            for name in accounts
        ),
        refresh=refresh,
    )


@pytest.fixture
def two_sources() -> list[FakeProvider]:
    return [
        FakeProvider("zoo-prod", sample_jobs("zoo-prod", 12)),
        FakeProvider(
            "meta-lab",
            sample_jobs("meta-lab", 8, offset=3, provider=ProviderName.METAFOLD),
            provider=ProviderName.METAFOLD,
        ),
    ]


@pytest.fixture(params=list(ProviderName), ids=lambda provider: str(provider))
def each_provider(request: pytest.FixtureRequest) -> ProviderName:
    """Each of the four providers in turn."""
    provider: ProviderName = request.param
    return provider


@pytest.fixture
def provider_sources(each_provider: ProviderName) -> list[FakeProvider]:
    """Two sources of one provider (each provider in turn), jobs in its own words: the
    shape of `two_sources`, 12 and 8 jobs."""
    p = each_provider
    return [
        FakeProvider(f"{p}-prod", sample_jobs(f"{p}-prod", 12, provider=p), provider=p),
        FakeProvider(f"{p}-lab", sample_jobs(f"{p}-lab", 8, offset=3, provider=p), provider=p),
    ]
