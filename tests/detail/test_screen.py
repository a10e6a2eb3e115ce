"""Pilot tests of JobDetailScreen: polling, errors, navigation, raw JSON search, copy id."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from textual.widgets import DataTable, OptionList, Static

from tests.detail.conftest import (
    DetailApp,
    ScriptedProvider,
    hdrjpg_seed_detail,
    metafold_seed_detail,
    metafold_upstream_detail,
    variants_with_notes,
    wait_for_detail,
    zoo_conversion_detail,
)
from tui.errors import AuthError, NotFoundError, ProviderError, UnavailableError
from tui.formatting import fmt_duration
from tui.models import Job, JobState
from tui.providers.hdrjpg import MIN_POLL_INTERVAL as HDRJPG_MIN_POLL
from tui.providers.hdrjpg.details import HdrjpgDetail
from tui.providers.metafold.details import MetafoldDetail
from tui.screens.job_detail import JobDetailScreen
from tui.sync.policy import AUTH_MIN_WAIT
from tui.sync.typical import TypicalDurations
from tui.widgets.detail_common import Fields
from tui.widgets.detail_hdrjpg import HdrjpgDetailView
from tui.widgets.detail_zoo import ZooConversionDetailView
from tui.widgets.image_view import ImageView
from tui.widgets.json_view import JsonView


def ended(detail: HdrjpgDetail, status: str = "Ready") -> HdrjpgDetail:
    job = dataclasses.replace(detail.job, status=status, state=JobState.SUCCEEDED)
    return dataclasses.replace(detail, job=job)


async def test_refreshes_while_active_and_stops_when_ended() -> None:
    running = hdrjpg_seed_detail()
    assert isinstance(running, HdrjpgDetail) and running.job.state.is_active
    provider = ScriptedProvider(
        {running.job.id: [running, running, ended(running)]}, min_poll_interval=HDRJPG_MIN_POLL
    )
    app = DetailApp(running.job, provider, refresh_interval=0.0)
    async with app.run_test(notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        assert screen.poll_interval == HDRJPG_MIN_POLL  # hdrjpg never faster than 2 s
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(provider.calls) == 3
        assert screen.job.state is JobState.SUCCEEDED
        assert not screen.is_polling
        status = str(screen.query_one("#detail-status").render())
        assert "job ended" in status and "not refreshing" in status


async def test_ended_job_is_fetched_once() -> None:
    detail = metafold_seed_detail()
    provider = ScriptedProvider({detail.job.id: [detail]})
    app = DetailApp(detail.job, provider, refresh_interval=0.0)
    async with app.run_test(notifications=True, tooltips=True) as pilot:
        await wait_for_detail(pilot)
        await app.workers.wait_for_complete()
        assert provider.calls == [("123", "123")]


async def test_error_is_one_sentence_then_recovers() -> None:
    detail = metafold_seed_detail()
    failure = UnavailableError("the server answered 503", account="metafold")
    provider = ScriptedProvider({detail.job.id: [failure, detail]})
    app = DetailApp(detail.job, provider, refresh_interval=0.0)
    messages: list[object] = []
    async with app.run_test(
        notifications=True, tooltips=True, message_hook=messages.append
    ) as pilot:
        screen = await wait_for_detail(pilot)
        await app.workers.wait_for_complete()
        failed = list(
            {id(m): m for m in messages if isinstance(m, JobDetailScreen.DetailFailed)}.values()
        )
        assert [m.sentence for m in failed] == [
            "metafold: provider unavailable: the server answered 503"
        ]
        assert failed[0].retry_in == 0.0
        await pilot.pause()
        assert screen.error is None and screen.detail is detail
        assert screen.query_one("#detail-view")


@pytest.mark.parametrize(
    ("error", "wait"),
    [
        (
            AuthError("the token was refused (HTTP 401)", account="metafold", status_code=401),
            AUTH_MIN_WAIT,
        ),
        (UnavailableError("the server answered 503", account="metafold", status_code=503), 7.0),
    ],
    ids=["401 backs off", "503 Retry-After"],
)
async def test_the_poll_backs_off_by_the_one_policy(error: ProviderError, wait: float) -> None:
    if error.status_code == 503:
        error.retry_after = wait  # as the HTTP layer sets it
    detail = metafold_seed_detail()
    provider = ScriptedProvider({detail.job.id: [error, detail]})
    app = DetailApp(detail.job, provider, refresh_interval=1.0)
    messages: list[object] = []
    async with app.run_test(
        notifications=True, tooltips=True, message_hook=messages.append
    ) as pilot:
        screen = await wait_for_detail(pilot)
        failed = [m for m in messages if isinstance(m, JobDetailScreen.DetailFailed)]
        assert failed[0].retry_in == pytest.approx(wait)  # not the 1 s interval
        assert len(provider.calls) == 1
        assert f"retrying in {fmt_duration(wait)}" in str(
            screen.query_one("#detail-status").render()
        )


async def test_a_503_retry_after_holds_the_next_poll() -> None:
    detail = metafold_seed_detail()
    failure = UnavailableError("the server answered 503", account="metafold", retry_after=0.3)
    provider = ScriptedProvider({detail.job.id: [failure, detail]})
    app = DetailApp(detail.job, provider, refresh_interval=0.0)
    messages: list[object] = []
    async with app.run_test(
        notifications=True, tooltips=True, message_hook=messages.append
    ) as pilot:
        await wait_for_detail(pilot)
        await app.workers.wait_for_complete()
        failed = [m for m in messages if isinstance(m, JobDetailScreen.DetailFailed)]
        assert failed and failed[0].retry_in == 0.3


async def test_not_found_stops_and_says_so() -> None:
    detail = metafold_seed_detail()
    provider = ScriptedProvider({}, account="metafold")
    app = DetailApp(detail.job, provider)
    async with app.run_test(notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        await app.workers.wait_for_complete()
        assert not screen.is_polling
        assert screen.error is not None and "does not exist" in screen.error
        assert "stopped" in str(screen.query_one("#detail-status").render())
        assert app.is_running


async def test_unexpected_exception_is_shown_not_crashing() -> None:
    detail = metafold_seed_detail()

    class Broken(ScriptedProvider):
        async def get_job(self, job_id: str, parent_id: str | None = None) -> MetafoldDetail:
            raise KeyError("boom")

    app = DetailApp(detail.job, Broken({}))
    async with app.run_test(notifications=True, tooltips=True) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobDetailScreen)
        assert screen.error == "Could not show this job: an unexpected KeyError occurred."
        assert app.is_running


async def test_loading_indicator_is_static_text() -> None:
    detail = metafold_seed_detail()

    class Slow(ScriptedProvider):
        async def get_job(self, job_id: str, parent_id: str | None = None) -> MetafoldDetail:
            import asyncio

            await asyncio.Event().wait()
            raise AssertionError

    app = DetailApp(detail.job, Slow({}))
    async with app.run_test(notifications=True, tooltips=True) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "loading" in str(screen.query_one("#detail-loading").render())
        assert not screen.query("LoadingIndicator")


async def test_needs_open_upstream_and_escape_comes_back() -> None:
    detail = metafold_seed_detail()
    assert isinstance(detail, MetafoldDetail)
    upstream = {job.id: [metafold_upstream_detail(job)] for job in detail.upstream}
    provider = ScriptedProvider({detail.job.id: [detail], **upstream})
    app = DetailApp(detail.job, provider)
    async with app.run_test(notifications=True, tooltips=True) as pilot:
        first = await wait_for_detail(pilot)
        needs = first.query_one("#metafold-needs", OptionList)
        assert needs.option_count == 2
        needs.focus()
        await pilot.press("down", "enter")
        second = await wait_for_detail(pilot)
        assert second is not first
        assert second.job.id == "2"
        assert ("2", "123") in provider.calls
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is first
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, JobDetailScreen)


async def test_selecting_a_variant_shows_all_its_fields() -> None:
    detail = hdrjpg_seed_detail()
    assert isinstance(detail, HdrjpgDetail)
    second = dataclasses.replace(
        detail.variants[0],
        uuid="second-variant",
        format="avif",
        output_file_name="test_small.avif",
        warning_descriptions=("source was not HDR",),
    )
    detail = dataclasses.replace(detail, variants=(detail.variants[0], second))
    provider = ScriptedProvider({detail.job.id: [detail]})
    app = DetailApp(detail.job, provider)
    async with app.run_test(size=(120, 60), notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        view = screen.query_one(HdrjpgDetailView)
        panel = screen.query_one("#hdrjpg-variant", Fields)
        assert "test_1200q80.jpg" in panel.plain and "1600" in panel.plain
        table = screen.query_one("#hdrjpg-variants", DataTable)
        table.focus()
        await pilot.press("down")
        await pilot.pause()
        assert view.selected_variant is second
        assert "test_small.avif" in panel.plain
        assert "• source was not HDR" in panel.plain
        for label in ("uuid", "compression ratio", "onSdr", "gainmapQuality", "megapixels"):
            assert label in panel.plain


async def test_variant_warnings_show_before_the_wide_columns_at_100_columns() -> None:
    detail = hdrjpg_seed_detail()
    assert isinstance(detail, HdrjpgDetail)
    detail = variants_with_notes(detail)
    app = DetailApp(detail.job, ScriptedProvider({detail.job.id: [detail]}))
    async with app.run_test(size=(100, 60)) as pilot:
        screen = await wait_for_detail(pilot)
        table = screen.query_one("#hdrjpg-variants", DataTable)
        await pilot.pause()
        lines = [table.render_line(y).text for y in range(table.size.height)]
        header = lines[0]
        assert header.index("warnings / failures") < header.index("status") + 20
        assert any("⚠ Gain map downscaled to fit the output size" in line for line in lines)
        # A long failure is cut in the table (the selected-variant panel has it all).
        failed_line = next(line for line in lines if "✖ Source is not HDR" in line)
        assert "…" in failed_line
        assert "portrait_with" in failed_line


async def test_image_list_draws_the_highlighted_snapshot() -> None:
    detail = zoo_conversion_detail()
    provider = ScriptedProvider({detail.job.id: [detail]})
    app = DetailApp(detail.job, provider)
    async with app.run_test(size=(120, 60), notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        view = screen.query_one(ZooConversionDetailView)
        assert view.image_ids == ["original-0", "original-1", "raw_kcl-0"]
        assert view.shown_image == "original-0"
        picture = screen.query_one("#zoo-image", ImageView)
        first_size = picture.picture_size
        assert first_size.width > 0 and first_size.height > 0
        images = screen.query_one("#zoo-images", OptionList)
        images.focus()
        await pilot.press("down", "down")
        await wait_for_detail(pilot)
        assert view.shown_image == "raw_kcl-0"
        caption = str(screen.query_one("#zoo-image-caption").render())
        assert caption.startswith("raw_kcl #1 · image/png ·")
        counts = screen.query_one("#zoo-image-counts", Fields).plain
        assert "original  2 images" in counts and "salon_kcl  0 images" in counts


async def test_raw_json_toggle_search_next_previous() -> None:
    detail = metafold_seed_detail()
    provider = ScriptedProvider({detail.job.id: [detail]})
    app = DetailApp(detail.job, provider)
    async with app.run_test(size=(100, 30), notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        raw = screen.query_one(JsonView)
        assert not raw.display
        await pilot.press("y")
        assert raw.display and not screen.query_one("#detail-body").display
        assert raw.lines[0] == "{" and '  "id": "123",' in raw.lines
        await pilot.press("slash")
        await pilot.press(*"sha256")
        await pilot.press("enter")
        await pilot.pause()
        assert len(raw.matches) == 2
        assert raw.match_summary == '1/2 for "sha256"'
        assert app.focused is raw
        first = raw.current_match
        await pilot.press("n")
        assert raw.current_match != first and raw.match_summary == '2/2 for "sha256"'
        await pilot.press("N")
        assert raw.current_match == first
        await pilot.press("y")
        assert not raw.display and screen.query_one("#detail-body").display


async def test_search_escape_closes_the_box_first() -> None:
    detail = metafold_seed_detail()
    app = DetailApp(detail.job, ScriptedProvider({detail.job.id: [detail]}))
    async with app.run_test(notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        await pilot.press("slash")
        assert screen.query_one("#detail-search").display
        await pilot.press("escape")
        assert not screen.query_one("#detail-search").display
        assert app.screen is screen


async def test_copy_id_uses_the_clipboard() -> None:
    detail = hdrjpg_seed_detail()
    app = DetailApp(detail.job, ScriptedProvider({detail.job.id: [detail]}))
    async with app.run_test(notifications=True, tooltips=True) as pilot:
        await wait_for_detail(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == "88667411-3fb9-4c92-8488-8e277aed3021"
        assert any("Copied job id" in n.message for n in app._notifications)


async def test_not_found_before_any_detail_leaves_a_message() -> None:
    detail = hdrjpg_seed_detail()
    provider = ScriptedProvider({detail.job.id: [NotFoundError("no such conversion")]})
    app = DetailApp(detail.job, provider)
    async with app.run_test(notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        await app.workers.wait_for_complete()
        # the list's data stays, marked as not coming from the provider
        mark = str(screen.query_one("#detail-loading").render())
        assert mark.startswith("◔ stale") and "the list's data" in mark
        assert detail.job.name in screen.query_one("#job-summary", Fields).plain


async def test_result_landing_after_escape_is_dropped_quietly() -> None:
    import asyncio

    detail = metafold_seed_detail()
    gate = asyncio.Event()

    class Gated(ScriptedProvider):
        async def get_job(self, job_id: str, parent_id: str | None = None) -> MetafoldDetail:
            await gate.wait()
            return detail  # type: ignore[return-value]

    app = DetailApp(detail.job, Gated({}))
    async with app.run_test(notifications=True, tooltips=True) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobDetailScreen)
        await pilot.press("escape")
        gate.set()
        for _ in range(5):
            await pilot.pause()
        assert app.is_running
        assert not isinstance(app.screen, JobDetailScreen)


async def test_a_sub_second_refresh_interval_reads_in_tenths() -> None:
    running = zoo_conversion_detail()
    assert running.job.state.is_active
    app = DetailApp(
        running.job, ScriptedProvider({running.job.id: [running]}), refresh_interval=0.5
    )
    async with app.run_test() as pilot:
        screen = await wait_for_detail(pilot)
        status = str(screen.query_one("#detail-status").render())
        assert "refreshing every 0.5s" in status, status


def hdrjpg_running(eta_seconds: float | None) -> HdrjpgDetail:
    """The seed conversion running (for 100 min at the tests' now), with or without an ETA."""
    detail = hdrjpg_seed_detail()
    assert isinstance(detail, HdrjpgDetail)
    job = dataclasses.replace(detail.job, state=JobState.RUNNING, status="Converting")
    return dataclasses.replace(detail, job=job, progress=0.4, eta_seconds=eta_seconds)


def hdrjpg_history(job: Job) -> TypicalDurations:
    """40 conversions of the same kind that ran 3 h 00 m to 3 h 13 m (median 3 h 06 m 20 s)."""
    assert job.started_at is not None
    start = job.started_at - timedelta(days=1)
    runs = [
        dataclasses.replace(
            job,
            id=f"done-{n}",
            state=JobState.SUCCEEDED,
            started_at=start,
            finished_at=start + timedelta(seconds=10_800 + 20 * n),
        )
        for n in range(40)
    ]
    return TypicalDurations.from_jobs(runs)


@pytest.mark.parametrize("eta", [120.0, None])
async def test_the_estimate_stands_aside_for_the_providers_eta(eta: float | None) -> None:
    detail = hdrjpg_running(eta)
    typical = hdrjpg_history(detail.job)
    app = DetailApp(detail.job, ScriptedProvider({detail.job.id: [detail]}), typical=typical)
    async with app.run_test() as pilot:
        screen = await wait_for_detail(pilot)
        line = screen.query_one("#detail-estimate", Static)
        if eta is not None:  # hdrjpg says 2m: that is what shows, alone
            assert not line.display and screen.run_note is None
            summary = screen.query_one("#hdrjpg-summary", Fields).plain
            assert "ETA 2m 00s" in summary
        else:  # no ETA from hdrjpg: 3 h 06 m typical, 1 h 40 m run
            assert line.display
            assert str(line.content) == "est. 1h left (median of 40 hdrjpg conversions)"
