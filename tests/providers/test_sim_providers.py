"""Each provider against the simulator over real loopback HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.providers.conftest import RecordingTransport
from tui.clock import FrozenClock, utc_now
from tui.models import JobKind, JobState, ProviderName
from tui.providers.base import JobProvider, ListQuery
from tui.providers.hdrjpg import parse_conversion
from tui.providers.hdrjpg.details import HdrjpgDetail
from tui.providers.lettrlabs import parse_status_envelope
from tui.providers.lettrlabs.details import LettrLabsDetail
from tui.providers.listing import list_all
from tui.providers.metafold import parse_detail
from tui.providers.metafold.details import MetafoldDetail
from tui.providers.zoo import parse_async_detail
from tui.providers.zoo.details import ZooAsyncDetail, ZooConversionDetail
from tui.providers.zoo.vocabulary import ZOO_PHASES
from tui.sim.server import SimServer

FIXTURES = Path(__file__).parent / "fixtures"
HDRJPG_SEED = "88667411-3fb9-4c92-8488-8e277aed3021"
ZOO_SEED = "0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d"
pytestmark = pytest.mark.timeout(60)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


async def test_providers_satisfy_the_contract(make: Any) -> None:
    for provider in ProviderName:
        assert isinstance(make(provider), JobProvider)


async def test_seed_examples_served_by_the_sim_parse_like_the_seeds(make: Any) -> None:
    hdrjpg = make(ProviderName.HDRJPG)
    detail = await hdrjpg.get_job(HDRJPG_SEED)
    assert isinstance(detail, HdrjpgDetail)
    expected = parse_conversion(fixture("hdrjpg_conversion.json"), "test-hdrjpg")
    assert expected is not None
    assert detail.job == expected.job
    assert detail.variants == expected.variants
    assert (detail.blur_hash, detail.average_color) == (expected.blur_hash, expected.average_color)

    zoo = make(ProviderName.ZOO)
    async_detail = await zoo.get_job(ZOO_SEED)
    assert isinstance(async_detail, ZooAsyncDetail)
    expected_async = parse_async_detail(
        fixture("zoo_async_operations_page.json")["items"][0], "test-zoo"
    )
    assert expected_async is not None and async_detail.job == expected_async.job
    assert async_detail.worker == "WPVfuf6GvdhG6a7oMb"

    metafold = make(ProviderName.METAFOLD)
    job_detail = await metafold.get_job("123", "123")
    assert isinstance(job_detail, MetafoldDetail)
    expected_job = parse_detail(fixture("metafold_job.json"), "test-metafold")
    assert expected_job is not None
    assert job_detail.job == expected_job.job
    assert job_detail.inputs == expected_job.inputs and job_detail.outputs == expected_job.outputs
    assert job_detail.needs == ("1", "2")
    assert sorted(j.id for j in job_detail.upstream) == ["1", "2"]
    assert all(j.parent_id == "123" and j.kind is JobKind.JOB for j in job_detail.upstream)

    lettr = make(ProviderName.LETTRLABS)
    status = await lettr.get_job("0")
    assert isinstance(status, LettrLabsDetail)
    expected_status = parse_status_envelope(fixture("lettrlabs_status.json"), "test-lettrlabs")
    assert expected_status is not None
    assert status.job.id == "0"
    assert (status.file_name, status.data_source_type) == (
        expected_status.file_name,
        expected_status.data_source_type,
    )
    assert status.profile is not None


async def test_metafold_finds_a_job_without_its_project(make: Any) -> None:
    metafold = make(ProviderName.METAFOLD)
    detail = await metafold.get_job("123")
    assert isinstance(detail, MetafoldDetail) and detail.project_id == "123"


async def test_each_provider_lists_from_the_sim(sim: SimServer, make: Any) -> None:
    tracked = sim.tracked_ids()
    for provider in ProviderName:
        source = make(provider)
        result = await source.list_jobs(ListQuery(tracked_ids=tracked.get(provider.value, [])))
        assert result.jobs, provider
        assert not result.tracked_errors, provider
        assert all(
            j.provider is provider and j.account == f"test-{provider.value}" for j in result.jobs
        )
        assert len({j.id for j in result.jobs}) == len(result.jobs)
        assert result.requests >= 1
        if provider is ProviderName.HDRJPG:
            assert {j.id for j in result.jobs} == set(tracked["hdrjpg"])


async def test_zoo_pages_to_the_end_of_each_dataset(make: Any) -> None:
    transport = RecordingTransport()
    zoo = make(ProviderName.ZOO, async_operations="tracked", transport=transport)
    result = await list_all(zoo, ListQuery())
    assert result.complete
    conversions = [j for j in result.jobs if j.kind is JobKind.DATASET_CONVERSION]
    datasets = {j.parent_id for j in conversions}
    assert len(datasets) >= 2
    for dataset_id in datasets:
        detail = await zoo.get_job(
            next(j.id for j in conversions if j.parent_id == dataset_id), dataset_id
        )
        assert isinstance(detail, ZooConversionDetail) and detail.stats is not None
        listed = sum(1 for j in conversions if j.parent_id == dataset_id)
        assert listed == detail.stats.total
    pages = transport.params("/conversions")
    assert len(pages) > len(datasets)  # at least one dataset needed several pages
    assert any("page_token" in p for p in pages)
    assert all(p.get("limit") == "100" for p in pages)


async def test_zoo_server_side_filters_and_sorts(make: Any) -> None:
    transport = RecordingTransport()
    zoo = make(ProviderName.ZOO, transport=transport)
    result = await zoo.list_jobs(
        ListQuery(states=frozenset({JobState.SUCCEEDED}), sort_key="created_at", descending=False)
    )
    conversions = transport.params("/conversions")
    assert conversions and all(p["filter"] == "status:success" for p in conversions)
    assert all(p["sort_by"] == "created_at_ascending" for p in conversions)
    operations = transport.params("/async/operations")
    assert operations and all(p["status"] == "completed" for p in operations)
    assert all(p["sort_by"] == "created_at_ascending" for p in operations)
    assert result.jobs and all(j.state is JobState.SUCCEEDED for j in result.jobs)
    assert result.applied == frozenset({"states", "sort"})

    transport.requests.clear()
    result = await zoo.list_jobs(ListQuery(text="fixture", sort_key="status", descending=True))
    conversions = transport.params("/conversions")
    assert all(p["q"] == "fixture" and p["sort_by"] == "status_descending" for p in conversions)
    assert all("fixture" in j.name for j in result.jobs if j.kind is JobKind.DATASET_CONVERSION)


async def test_metafold_server_side_filters_and_sorts(make: Any) -> None:
    transport = RecordingTransport()
    metafold = make(ProviderName.METAFOLD, transport=transport)
    result = await metafold.list_jobs(
        ListQuery(
            states=frozenset({JobState.SUCCEEDED}),
            sort_key="created_at",
            descending=True,
            text="mesh",
        )
    )
    listed = transport.params("/jobs")
    assert listed
    assert all(p == {"sort": "created:-1", "q": "state:success AND name:*mesh*"} for p in listed)
    assert result.applied == frozenset({"states", "sort", "text"})
    assert result.jobs
    assert all(j.state is JobState.SUCCEEDED and "mesh" in j.name for j in result.jobs)
    created = [j.created_at for j in result.jobs if j.parent_id == result.jobs[0].parent_id]
    assert created == sorted(created, reverse=True)


async def test_zoo_incremental_refresh_reads_only_the_pages_it_needs(
    sim: SimServer, make: Any
) -> None:
    transport = RecordingTransport()
    zoo = make(ProviderName.ZOO, async_operations="tracked", transport=transport)
    full = await list_all(zoo, ListQuery())
    full_requests = full.requests
    since = utc_now() - timedelta(seconds=1)
    transport.requests.clear()
    delta = await list_all(zoo, ListQuery(updated_since=since))
    assert delta.incremental and not full.incremental and delta.complete
    assert delta.requests < full_requests
    assert all(p["sort_by"] == "updated_at_descending" for p in transport.params("/conversions"))
    # every conversion the full listing saw updated since then is in the delta
    fresh = {j.id for j in full.jobs if j.updated_at is not None and j.updated_at >= since}
    assert fresh <= {j.id for j in delta.jobs}
    assert len(delta.jobs) < len(full.jobs)


async def test_zoo_seed_enums_parse(make: Any) -> None:
    with SimServer(jobs=120, seed=3, zoo_enums="seed") as seed_sim:
        from tests.providers.conftest import TEST_POLICY, account_for
        from tui.providers import build_provider

        zoo = build_provider(
            account_for(seed_sim, ProviderName.ZOO, async_operations="tracked"), policy=TEST_POLICY
        )
        try:
            result = await zoo.list_jobs(ListQuery())
            conversions = [j for j in result.jobs if j.kind is JobKind.DATASET_CONVERSION]
            assert conversions and all(j.state is not JobState.UNKNOWN for j in conversions)
            running = next(
                (j for j in conversions if j.state is not JobState.QUEUED), conversions[0]
            )
            detail = await zoo.get_job(running.id, running.parent_id)
            assert isinstance(detail, ZooConversionDetail)
            assert len(detail.phases) == 11 and "manual_kcl_override" not in detail.phases
            if detail.phase_index is not None:
                assert detail.job.progress == pytest.approx(detail.phase_index / 10)
        finally:
            await zoo.aclose()


async def test_zoo_current_enums_detail(make: Any) -> None:
    zoo = make(ProviderName.ZOO, async_operations="tracked")
    result = await zoo.list_jobs(ListQuery(states=frozenset({JobState.SUCCEEDED})))
    job = next(j for j in result.jobs if j.kind is JobKind.DATASET_CONVERSION)
    detail = await zoo.get_job(job.id, job.parent_id)
    assert isinstance(detail, ZooConversionDetail)
    assert (
        detail.phases == ZOO_PHASES and detail.phase == "completed" and detail.job.progress == 1.0
    )
    assert detail.status_meaning == "Conversion finished successfully."
    for images in (detail.original_images, detail.raw_kcl_images, detail.salon_kcl_images):
        assert (
            images and images[0].mime_type == "image/png" and images[0].data.startswith(b"\x89PNG")
        )
    assert detail.raw_kcl_output and detail.stats is not None and detail.stats.total


async def test_hdrjpg_never_polls_one_conversion_faster_than_every_2_s(
    sim: SimServer, make: Any
) -> None:
    clock = FrozenClock(utc_now())
    transport = RecordingTransport()
    hdrjpg = make(ProviderName.HDRJPG, clock=clock, transport=transport)
    ids = sim.tracked_ids()["hdrjpg"][:3]
    first = await hdrjpg.list_jobs(ListQuery(tracked_ids=ids))
    assert first.requests == 3
    clock.advance(1.9)
    again = await hdrjpg.list_jobs(ListQuery(tracked_ids=ids))
    detail = await hdrjpg.get_job(ids[0])
    assert again.requests == 0 and len(transport.requests) == 3
    assert [j.id for j in again.jobs] == [j.id for j in first.jobs] and detail.job == first.jobs[0]
    clock.advance(0.1)
    later = await hdrjpg.list_jobs(ListQuery(tracked_ids=ids, skip_ids=frozenset(ids[2:])))
    assert later.requests == 2 and len(transport.requests) == 5


async def test_tracked_ids_skipped_and_missing(sim: SimServer, make: Any) -> None:
    zoo = make(ProviderName.ZOO, async_operations="tracked", datasets=())
    tracked = sim.tracked_ids()["zoo"][:4]
    missing = "00000000-0000-4000-8000-000000000000"
    result = await zoo.list_jobs(
        ListQuery(tracked_ids=[*tracked, missing], skip_ids=frozenset(tracked[:1]))
    )
    assert {j.id for j in result.jobs} == set(tracked[1:])
    assert set(result.tracked_errors) == {missing}
    assert "Zoo has no such resource (HTTP 404 Not Found)" in str(result.tracked_errors[missing])


async def test_lettrlabs_failures_listed_carry_the_reason_their_status_gives(make: Any) -> None:
    """The list's items carry no errors (they are status payloads): a failed conversion
    first met in a full listing has its status asked once for the reason, newest first,
    at most `MAX_REASONS` per refresh; the next refresh asks for the next ones, never
    twice for the same one."""
    from tui.providers.lettrlabs import MAX_REASONS

    transport = RecordingTransport()
    lettr = make(ProviderName.LETTRLABS, transport=transport)
    first = await lettr.list_jobs(ListQuery())
    failed = sorted(
        (job for job in first.jobs if job.state is JobState.FAILED), key=lambda j: -int(j.id)
    )
    assert len(failed) > MAX_REASONS  # the sim's world has enough failures to page through
    assert all(job.error is None for job in failed[MAX_REASONS:])
    asked = [r for r in transport.requests if r.url.path.endswith("/status")]
    assert len(asked) == MAX_REASONS
    for job in failed[:MAX_REASONS]:
        detail = await lettr.get_job(job.id)
        assert job.error and job.error == detail.job.error, job.id

    transport.requests.clear()
    second = await lettr.list_jobs(ListQuery())  # a steady refresh, between full listings
    assert second.incremental
    asked_ids = {r.url.path.split("/")[-2] for r in transport.requests}
    reasons = {job.id: job.error for job in second.jobs if job.state is JobState.FAILED}
    following = failed[MAX_REASONS : 2 * MAX_REASONS]
    assert set(reasons) >= {job.id for job in following}
    assert all(reasons[job.id] for job in following)
    assert not asked_ids & {job.id for job in failed[:MAX_REASONS]}  # never asked twice
