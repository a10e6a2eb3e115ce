"""The provider-status filter: each status word is listed with its provider and matches
exactly that word of that provider (Zoo's `failed` is not LettrLabs' `Failed`, and
LettrLabs' `Failed` is not hdrjpg's)."""

from __future__ import annotations

from textual.widgets import OptionList

from tests.ui.fakes import FakeProvider, make_job
from tests.ui.test_jobs_screen import loaded, make_app, status_line
from tui.clock import FrozenClock
from tui.job_index.filters import StatusChoice
from tui.job_index.index import JobIndex
from tui.models import JobState, ProviderName
from tui.store import JobStore

SIZE = (120, 32)


def _sources() -> list[FakeProvider]:
    zoo = [make_job("zoo-prod", n, JobState.FAILED, status="failed") for n in range(3)]
    lettr = [
        make_job("mail", 10 + n, JobState.FAILED, status="Failed", provider=ProviderName.LETTRLABS)
        for n in range(2)
    ]
    hdr = [
        make_job("hdr", 20 + n, JobState.FAILED, status="Failed", provider=ProviderName.HDRJPG)
        for n in range(4)
    ]
    return [FakeProvider("zoo-prod", zoo), FakeProvider("mail", lettr), FakeProvider("hdr", hdr)]


def test_status_values_are_listed_per_provider() -> None:
    index = JobIndex()
    for source in _sources():
        index.upsert(source.jobs)
    assert index.status_values() == [
        StatusChoice(ProviderName.HDRJPG, "Failed"),
        StatusChoice(ProviderName.LETTRLABS, "Failed"),
        StatusChoice(ProviderName.ZOO, "failed"),
    ]
    assert index.status_values(["mail"]) == [StatusChoice(ProviderName.LETTRLABS, "Failed")]


async def test_picking_one_providers_status_shows_only_its_jobs(
    store: JobStore, clock: FrozenClock
) -> None:
    sources = _sources()
    app = make_app(sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, sources)
        await pilot.press("m", "tab")
        options = screen.query_one("#filter-status", OptionList)
        assert options.has_focus
        labels = [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]
        assert labels[0] == "(any status)"
        assert [label.split() for label in labels[1:]] == [
            ["Failed", "hdrjpg"],
            ["Failed", "lettrlabs"],
            ["failed", "zoo"],
        ]
        options.highlighted = 2  # LettrLabs' Failed
        await pilot.press("enter")
        assert {job.account for job in screen.jobs_in_view()} == {"mail"}
        assert screen.index.row_count() == 2
        assert "status: Failed (lettrlabs)" in status_line(app)
        await pilot.press("m", "tab")
        options.highlighted = 3  # Zoo's failed: not the others' Failed
        await pilot.press("enter")
        assert {job.account for job in screen.jobs_in_view()} == {"zoo-prod"}
        assert screen.index.row_count() == 3
