"""The detail screen of one job: its provider's particulars, refreshed while it runs.

It paints at once from the row's job (the normalized fields), then the first fetch brings
the provider's view. If that fetch fails, the job as the store last saw it is shown,
marked stale, until a fetch succeeds.

One async worker fetches `provider.get_job` in a loop (never overlapping itself, never
faster than the provider's minimum poll interval) and posts `DetailLoaded` or
`DetailFailed`; the handlers own the state and update the per-provider view. The loop
stops when the job ends. For a running job whose provider gives no ETA, a line under the
status estimates the time left from its kind's typical run time (or says it is stuck),
labelled as an estimate. `y` shows the raw JSON of the last response, `/` searches it,
`c` copies the job id over OSC 52, Escape goes back.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from tui.clock import Clock, utc_now
from tui.errors import NotFoundError, ProviderError
from tui.formatting import fmt_duration, fmt_interval, fmt_timestamp
from tui.image_protocol import ImageProtocol
from tui.models import Job, JobDetail
from tui.providers.base import JobProvider
from tui.providers.registry import find_spec
from tui.sanitize import one_line
from tui.sync.policy import RefreshPolicy
from tui.sync.typical import RunNote, TypicalDurations
from tui.widgets.detail_common import JobFieldsView
from tui.widgets.detail_metafold import MetafoldDetailView
from tui.widgets.detail_views import view_for
from tui.widgets.detail_zoo import ZooConversionDetailView
from tui.widgets.footer import KeysFooter
from tui.widgets.json_view import JsonView, json_lines
from tui.widgets.search_input import JsonSearchInput

DEFAULT_REFRESH = 5.0
"""Seconds between fetches of an active job."""
RELATIVE_TIME_REFRESH = 30.0
"""Seconds between re-renders of relative times when nothing else changes."""
TIMER_TICK = 1.0
"""How often the screen's timer checks whether relative times are due. A timer's pending
sleep outlives the closed screen until it was due and holds the screen's context (so the
screen itself): a short tick lets a closed screen go within a second, not 30."""


T = TypeVar("T")

SLEEP_SLICE = 0.5
"""Longest single sleep of the poll loop (see `sleep_in_slices`)."""


async def sleep_in_slices(seconds: float) -> None:
    """`asyncio.sleep`, in slices of at most `SLEEP_SLICE`.

    A cancelled sleep leaves its timer in the event loop's heap until the time it was due,
    and that timer holds the worker's context, so a closed detail screen would stay in
    memory for the whole wait (minutes, after a backoff). Short slices free it within
    half a second of closing.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + max(0.0, seconds)
    while (left := end - loop.time()) > 0:
        await asyncio.sleep(min(SLEEP_SLICE, left))


async def in_empty_context(call: Coroutine[Any, Any, T]) -> T:
    """Await `call` in a task of its own, with an empty `contextvars` context.

    The HTTP client's timeouts are timers; once cancelled they stay in the event loop's
    heap until they were due (the poll deadline is 30 s) along with the context they
    were made in. Made in the worker's context, they would keep the worker and this
    screen alive that long after it closed. Cancelling the worker still cancels `call`.
    """
    return await asyncio.create_task(call, context=contextvars.Context())


class JobDetailScreen(Screen[None]):
    """One job in full, kept fresh while it is active."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="detail.back", tooltip="Back to the job list"),
        Binding(
            "y",
            "toggle_raw",
            "Raw JSON",
            id="detail.raw",
            tooltip="Show or hide the raw JSON of the last response",
        ),
        Binding(
            "slash",
            "search",
            "Search",
            id="detail.search",
            tooltip="Search the raw JSON",
        ),
        Binding(
            "n",
            "next_match",
            "Next match",
            id="detail.next_match",
            show=False,
            tooltip="Next search match",
        ),
        Binding(
            "N",
            "previous_match",
            "Previous match",
            id="detail.previous_match",
            show=False,
            tooltip="Previous search match",
        ),
        Binding("c", "copy_id", "Copy id", id="detail.copy_id", tooltip="Copy the job id"),
        Binding("r", "refresh", "Refresh", id="detail.refresh", tooltip="Fetch again now"),
        Binding(
            "tab",
            "app.focus_next",
            "Next part",
            show=False,
            id="detail.next_part",
            tooltip="Move to the next list or table (upstream jobs, variants, images)",
        ),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "Previous part",
            show=False,
            id="detail.previous_part",
            tooltip="Move to the previous list or table",
        ),
    ]

    @dataclass
    class DetailLoaded(Message):
        """A fetch returned the job's detail."""

        detail: JobDetail
        raw_lines: list[str]
        fetched_at: datetime

    @dataclass
    class DetailFailed(Message):
        """A fetch failed; `retry_in` is None when the screen gave up."""

        sentence: str
        retry_in: float | None

    @dataclass
    class StoredLoaded(Message):
        """The store's snapshot of the job (None when it has none), read after a failure."""

        stored: tuple[Job, datetime | None] | None

    def __init__(
        self,
        job: Job,
        provider: JobProvider,
        clock: Clock = utc_now,
        *,
        refresh_interval: float = DEFAULT_REFRESH,
        image_protocol: ImageProtocol = ImageProtocol.HALFBLOCK,
        stored: Callable[[], tuple[Job, datetime | None] | None] | None = None,
        typical: TypicalDurations | None = None,
    ) -> None:
        """Args:
        job: The job as the list knows it: painted at once, before any fetch.
        stored: Reads the job's stored snapshot and when a refresh last saw it (a
            blocking call, run in a thread), shown marked stale if a fetch fails
            before any detail arrived.
        typical: The list's typical run times (only read here): where the provider
            gives no ETA, they give an estimate of the time left.
        """
        super().__init__()
        self.typical = typical
        self.image_protocol = image_protocol
        """How pictures are drawn (resolved before the app starts; never AUTO there)."""
        self._stored = stored
        self.stale = False
        """True while the job shown is the stored (or the list's) copy after a failed fetch."""
        self.job = job
        """The job as the list knew it; replaced by each fetched detail's job."""
        self.provider = provider
        self.clock = clock
        self.detail: JobDetail | None = None
        """The last detail fetched, None until the first one arrives."""
        self.error: str | None = None
        """The last fetch error as one sentence, None after a success."""
        self.fetches = 0
        """How many fetches have been started (for tests and the status line)."""
        self._refresh_interval = refresh_interval
        self._last_fetch: float | None = None
        self._polling = False
        self._view: Widget | None = None
        self._estimate_shown = ""

    @property
    def policy(self) -> RefreshPolicy:
        """The poll policy every front end uses, at this screen's interval; the provider's
        floor comes from its `Capabilities`."""
        return RefreshPolicy.for_source(self._refresh_interval, self.provider.capabilities)

    @property
    def poll_interval(self) -> float:
        """Seconds between fetches: the configured interval, never under the provider's minimum."""
        return self.policy.effective_interval

    @property
    def min_spacing(self) -> float:
        """The shortest allowed time between two fetches (also for `r`)."""
        return self.policy.min_interval

    @property
    def is_polling(self) -> bool:
        """True while the refresh loop runs (the job has not ended)."""
        return self._polling

    def compose(self) -> ComposeResult:
        yield Static(self._title(self.job), id="detail-title")
        yield Static(Content("⟳ loading…"), id="detail-status")
        yield Static(id="detail-estimate")
        with VerticalScroll(id="detail-body"):
            yield Static(
                Content("⟳ loading the job's detail… (meanwhile, the list's data)"),
                id="detail-loading",
            )
            # The row's job, painted with the screen: the fetch only adds to it.
            self._view = JobFieldsView(self.clock, id="detail-view")
            yield self._view
        yield JsonView(id="detail-raw")
        yield JsonSearchInput(placeholder="search the raw JSON", id="detail-search")
        yield KeysFooter()

    def on_mount(self) -> None:
        if isinstance(self._view, JobFieldsView):
            self._view.update_detail(JobDetail(job=self.job))
        self.query_one("#detail-raw").display = False
        self.query_one("#detail-search").display = False
        self._show_estimate()
        self._times_due = time.monotonic() + RELATIVE_TIME_REFRESH
        self.set_interval(TIMER_TICK, self._rerender_times_when_due)
        self._start_polling()

    # --- fetching -------------------------------------------------------------------

    def _start_polling(self) -> None:
        self._polling = True
        self._poll()

    @work(exclusive=True, group="job-detail", exit_on_error=False)
    async def _poll(self) -> None:
        failures = 0
        while True:
            if self._last_fetch is not None:
                wait = self._last_fetch + self.min_spacing - time.monotonic()
                if wait > 0:
                    await sleep_in_slices(wait)
            self._last_fetch = time.monotonic()
            self.fetches += 1
            try:
                fetch = self.provider.get_job(self.job.id, self.job.parent_id)
                detail = await in_empty_context(fetch)
            except NotFoundError as error:
                self.post_message(self.DetailFailed(error.sentence, None))
                return
            except ProviderError as error:
                # Jittered, capped; Retry-After on any status; a refused token waits longer.
                failures += 1
                delay = self.policy.next_delay(failures, error)
                self.post_message(self.DetailFailed(error.sentence, delay))
                await sleep_in_slices(delay)
                continue
            failures = 0
            lines = await asyncio.to_thread(json_lines, detail.raw)
            self.post_message(self.DetailLoaded(detail, lines, self.clock()))
            if detail.job.state.is_terminal:
                return
            await sleep_in_slices(self.poll_interval)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "job-detail":
            return
        if event.state in (WorkerState.SUCCESS, WorkerState.CANCELLED, WorkerState.ERROR):
            self._polling = False
        if event.state is WorkerState.ERROR:
            name = type(event.worker.error).__name__
            self._set_error(f"Could not show this job: an unexpected {name} occurred.", None)

    @property
    def _leaving(self) -> bool:
        """True once the screen is being removed: results that land now are dropped."""
        return self._pruning or not self.is_attached

    @on(DetailLoaded)
    async def _detail_loaded(self, message: DetailLoaded) -> None:
        if self._leaving:
            return
        detail = message.detail
        self.detail = detail
        self.job = detail.job
        self.error = None
        self.stale = False
        loading = self.query("#detail-loading")
        if loading:
            await loading.remove()
        view_type = view_for(type(detail))
        if self._view is not None:
            self._view.set_class(False, "-stale")
        if not isinstance(self._view, view_type):
            body = self.query_one("#detail-body", VerticalScroll)
            await body.remove_children()
            if view_type is ZooConversionDetailView:
                self._view = ZooConversionDetailView(
                    self.clock, image_protocol=self.image_protocol, id="detail-view"
                )
            else:
                self._view = view_type(self.clock, id="detail-view")
            await body.mount(self._view)
        if self._leaving:
            return
        self._update_view()
        self.query_one("#detail-title", Static).update(self._title(detail.job))
        self.query_one("#detail-raw", JsonView).set_lines(message.raw_lines)
        self._show_status(message.fetched_at)
        self._show_estimate()

    @on(DetailFailed)
    def _detail_failed(self, message: DetailFailed) -> None:
        self._set_error(message.sentence, message.retry_in)

    def _set_error(self, sentence: str, retry_in: float | None) -> None:
        self.error = sentence
        if self._leaving:
            return
        if self.detail is None and not self.stale:
            self.stale = True
            self._mark_stale(None, from_store=False)
            if self._stored is not None:
                self._read_stored()
        suffix = (
            f" · retrying in {fmt_duration(retry_in)}" if retry_in is not None else " · stopped"
        )
        self.query_one("#detail-status", Static).update(
            Content.assemble(("✖ ", "bold"), one_line(sentence), suffix)
        )
        self.query_one("#detail-status").set_class(True, "-error")

    @work(group="stored-job", exclusive=True, exit_on_error=False)
    async def _read_stored(self) -> None:
        """Read the job's stored snapshot off the UI loop (the store may be busy)."""
        assert self._stored is not None
        try:
            stored = await asyncio.to_thread(self._stored)
        except Exception:  # noqa: BLE001 - a broken store leaves the list's data shown
            stored = None
        self.post_message(self.StoredLoaded(stored))

    @on(StoredLoaded)
    def _stored_loaded(self, message: StoredLoaded) -> None:
        if self._leaving or self.detail is not None or message.stored is None:
            return
        job, seen_at = message.stored
        if job.key != self.job.key:
            return
        self.job = job
        if isinstance(self._view, JobFieldsView):
            self._view.update_detail(JobDetail(job=job))
        self.query_one("#detail-title", Static).update(self._title(job))
        self._mark_stale(seen_at, from_store=True)
        self._show_estimate()

    def _mark_stale(self, seen_at: datetime | None, *, from_store: bool) -> None:
        """Say, above the fields, that they are not from the provider now."""
        if from_store:
            when = f", last seen {fmt_timestamp(seen_at)}" if seen_at is not None else ""
            source = f"the job as stored{when}"
        else:
            source = "the list's data"
        loading = self.query("#detail-loading")
        if loading:
            line = loading.first(Static)
            line.update(Content(f"◔ stale: the detail could not be fetched; showing {source}"))
            line.set_class(True, "-stale")
        if self._view is not None:
            self._view.set_class(True, "-stale")

    def _show_status(self, fetched_at: datetime) -> None:
        when = f"updated {fmt_timestamp(fetched_at)}"
        if self.job.state.is_terminal:
            text = f"■ job ended · not refreshing · {when}"
        else:
            text = f"⟳ refreshing every {fmt_interval(self.poll_interval)} · {when}"
        # A viewer attached to `jobtop serve`'s store says what it cannot show.
        note = getattr(self.provider, "detail_note", None)
        if isinstance(note, str):
            text = f"{text} · {note}"
        status = self.query_one("#detail-status", Static)
        status.update(Content(text))
        status.set_class(False, "-error")

    @property
    def run_note(self) -> RunNote | None:
        """What the typical run times say of the job now: that it is stuck, or an estimate
        of the time left unless the provider gives its own ETA (or may: hdrjpg before its
        first fetch). None when the history says nothing."""
        if self.typical is None:
            return None
        note = self.typical.run_note(self.job, self.clock())
        if note is None or note.stuck:
            return note
        if self.detail is None:
            spec = find_spec(self.job.provider)
            gives_eta = spec is not None and spec.gives_eta and not self.stale
        else:
            gives_eta = bool(getattr(self.detail, "eta_seconds", None))
        return None if gives_eta else note

    def _show_estimate(self) -> None:
        """Show the run note under the status line, or hide the line."""
        if self._leaving:
            return
        note = self.run_note
        line = self.query_one("#detail-estimate", Static)
        line.display = note is not None
        line.set_class(note is not None and note.stuck, "-stuck")
        text = note.text if note is not None else ""
        if text != self._estimate_shown:
            self._estimate_shown = text
            line.update(Content(text))

    def _update_view(self) -> None:
        view = self._view
        if view is None or self.detail is None:
            return
        if self._pruning or not self.is_attached or view._pruning or not view.is_mounted:
            return  # closing (Escape as a fetch landed): the view's widgets are gone
        view.update_detail(self.detail)  # type: ignore[attr-defined]

    def _rerender_times_when_due(self) -> None:
        self._show_estimate()
        if time.monotonic() >= self._times_due:
            self._times_due = time.monotonic() + RELATIVE_TIME_REFRESH
            self._update_view()

    @staticmethod
    def _title(job: Job) -> Content:
        return Content.assemble(
            (f"{job.provider} · {job.kind} · ", "bold"),
            one_line(job.account),
            "  ",
            (one_line(job.id), "bold"),
            "  ",
            one_line(job.name),
        )

    @on(MetafoldDetailView.UpstreamSelected)
    def _open_upstream(self, message: MetafoldDetailView.UpstreamSelected) -> None:
        self.app.push_screen(
            JobDetailScreen(
                message.job,
                self.provider,
                self.clock,
                refresh_interval=self._refresh_interval,
                image_protocol=self.image_protocol,
                typical=self.typical,
            )
        )

    # --- actions --------------------------------------------------------------------

    def action_back(self) -> None:
        """Close the search if it is open, else go back to the previous screen."""
        search = self.query_one("#detail-search", Input)
        if search.display:
            search.display = False
            self.query_one("#detail-raw", JsonView).focus()
            return
        self.dismiss(None)

    def action_toggle_raw(self) -> None:
        """Show or hide the raw JSON view."""
        raw = self.query_one("#detail-raw", JsonView)
        raw.display = not raw.display
        self.query_one("#detail-body").display = not raw.display
        if raw.display:
            raw.focus()
        else:
            self.query_one("#detail-search", Input).display = False
            self.query_one("#detail-body").focus()

    def action_search(self) -> None:
        """Open the search box over the raw JSON (showing the raw view if needed)."""
        raw = self.query_one("#detail-raw", JsonView)
        if not raw.display:
            self.action_toggle_raw()
        search = self.query_one("#detail-search", Input)
        search.display = True
        # At once, not after the keys already queued: those are typed into the box
        # (see `JobsApp.on_key`).
        self.set_focus(search)

    def action_next_match(self) -> None:
        """Go to the next search match."""
        raw = self.query_one("#detail-raw", JsonView)
        raw.next_match()
        self._show_match(raw)

    def action_previous_match(self) -> None:
        """Go to the previous search match."""
        raw = self.query_one("#detail-raw", JsonView)
        raw.previous_match()
        self._show_match(raw)

    def action_copy_id(self) -> None:
        """Copy the job id to the clipboard (OSC 52, works over SSH).

        What is copied is the id as shown, on one line: a server's id may hold a line
        break or an escape sequence, which a paste into a shell would run.
        """
        job_id = one_line(self.job.id)
        self.app.copy_to_clipboard(job_id)
        self.notify(f"Copied job id {job_id}", title="Copied", markup=False)

    def action_refresh(self) -> None:
        """Fetch again now (still no faster than the provider allows)."""
        self._start_polling()

    @on(Input.Changed, "#detail-search")
    def _search_changed(self, event: Input.Changed) -> None:
        raw = self.query_one("#detail-raw", JsonView)
        raw.search(event.value)
        self._show_match(raw)

    @on(Input.Submitted, "#detail-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#detail-raw", JsonView).focus()

    def _show_match(self, raw: JsonView) -> None:
        search = self.query_one("#detail-search", Input)
        search.border_subtitle = Content(raw.match_summary)
