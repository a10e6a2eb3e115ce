"""The fake provider's jobs speak each provider's own words: `map_state` reads them back as
the state they were made for, so a dashboard test run for every provider sees real ones."""

from __future__ import annotations

import pytest

from tests.ui.fakes import KINDS, NATIVE_STATUS, make_job, sample_jobs
from tui.models import JobState, ProviderName
from tui.providers.registry import map_state


@pytest.mark.parametrize("provider", list(ProviderName))
def test_every_state_has_the_providers_word_for_it(provider: ProviderName) -> None:
    words = NATIVE_STATUS[provider]
    assert set(words) == set(JobState) - {JobState.UNKNOWN}
    for state, word in words.items():
        assert map_state(provider, KINDS[provider], word) == state, (provider, word)


@pytest.mark.parametrize("provider", list(ProviderName))
def test_made_jobs_belong_to_the_provider_and_map_back_to_their_state(
    provider: ProviderName,
) -> None:
    jobs = sample_jobs("a", 12, provider=provider)
    assert {job.provider for job in jobs} == {provider}
    for job in [*jobs, make_job("a", 99, JobState.CANCELED, provider=provider)]:
        assert map_state(job.provider, job.kind, job.status) == job.state
