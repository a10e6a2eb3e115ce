"""JobsApp: the thin Textual app. Theme, global keys, the command palette, clean exit.

Everything about jobs lives in `tui.screens.jobs.JobsScreen`. Call
`tui.terminal.configure_environment` before importing this module.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path, PurePath
from typing import Any, ClassVar

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content
from textual.dom import DOMNode
from textual.driver import Driver
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.system_commands import SystemCommandsProvider
from textual.widget import Widget
from textual.widgets import Input

from tui.clock import Clock
from tui.config import Settings
from tui.errors import StoreError
from tui.exit_codes import EXIT_HANGUP, EXIT_OK, EXIT_TERMINATED
from tui.paths import STYLES_DIR
from tui.providers.base import JobProvider
from tui.sanitize import LONG_LIMIT, clean, one_line
from tui.screens.event_log import EventLogScreen
from tui.screens.help import HelpScreen, own_bindings
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.screens.store_problem import (
    MoveStoreAsideScreen,
    clear_store_problem,
    show_store_problem,
)
from tui.screens.track import TrackIdInput, TrackScreen
from tui.store import JobStore, move_aside
from tui.terminal import guard_output_thread
from tui.theme import THEMES, theme_for
from tui.widgets.detail_hdrjpg import VariantTable
from tui.widgets.detail_metafold import UpstreamList
from tui.widgets.detail_zoo import ImageList
from tui.widgets.filter_panel import FilterPanel, StateList, StatusList
from tui.widgets.job_table import JobTable
from tui.widgets.search_input import JsonSearchInput, SearchInput

WATCHDOG_SECONDS = 5.0
"""How often the app checks that its terminal and parent are still there."""


def _css_paths() -> list[str | PurePath]:
    names = ["app.tcss", "jobs.tcss", "job_detail.tcss"]
    return [str(STYLES_DIR / name) for name in names if (STYLES_DIR / name).is_file()]


class PlainSystemCommands(SystemCommandsProvider):
    """The palette's commands (`App.get_system_commands`), titles and help as plain text.

    Textual's own provider parses both as content markup, so a source named `[/x]`
    (its command "View: [/x]") raised `MarkupError` and closed the app.
    """

    async def discover(self) -> Hits:
        """Every command, by title, for the empty palette."""
        commands = sorted(self.app.get_system_commands(self.screen), key=lambda c: c.title)
        for title, help_text, callback, discover in commands:
            if discover:
                yield DiscoveryHit(Content(title), callback, text=title, help=_plain(help_text))

    async def search(self, query: str) -> Hits:
        """The commands whose title matches `query`, the matched letters highlighted."""
        matcher = self.matcher(query)
        for title, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            if (score := matcher.match(title)) > 0:
                yield Hit(
                    score,
                    _highlight(matcher, title),
                    callback,
                    text=title,
                    help=_plain(help_text),
                )


def _plain(text: str) -> str:
    """`text` for a palette hit's help, which Textual reads as markup: as `Content`, which
    it takes as it is (`Content.from_markup` returns a `Content` unchanged)."""
    return Content(text)  # type: ignore[return-value]


def _highlight(matcher: Matcher, title: str) -> Content:
    """`Matcher.highlight` on plain text (Textual's parses the title as markup)."""
    content = Content(title)
    _, offsets = matcher.fuzzy_search.match(matcher.query, title)
    for offset in offsets:
        if not title[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class JobsApp(App[int]):
    """jobtop: watch conversion jobs on every configured source."""

    TITLE = "jobtop"
    CSS_PATH = _css_paths()
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {PlainSystemCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit jobtop"),
        Binding(
            "ctrl+c",
            "quit",
            "Quit",
            show=False,
            priority=True,
            id="app.interrupt",
            tooltip="Quit jobtop (as in htop and k9s)",
        ),
        Binding("question_mark", "help", "Keys", id="app.help", tooltip="Show every key"),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            show=False,
            id="app.palette",
            tooltip="Search every action",
        ),
    ]

    def __init__(
        self,
        settings: Settings,
        providers: Sequence[JobProvider],
        store: JobStore,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        store_problem: StoreError | None = None,
    ) -> None:
        super().__init__()
        self.rng = rng
        """Jitter source for refresh backoff (tests pass a seeded one)."""
        self.settings = settings
        self.providers = list(providers)
        self.store = store
        self.store_problem = store_problem
        """Why the store could not be opened at start (`store` is then in memory)."""
        self._offered_move = False
        self.clock = clock
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = theme_for(settings.theme)
        # Only jobtop's themes can be picked in the palette: the others lack its colours
        # ($state-failed, ...), and choosing one stopped the app on a CSS error.
        for name in set(self.available_themes) - {theme.name for theme in THEMES}:
            self.unregister_theme(name)
        self._installed_signals: list[int] = []

    def get_driver_class(self) -> type[Driver]:
        """Textual's Linux driver, with its output thread guarded from the first frame."""
        driver_class = super().get_driver_class()
        if os.name != "posix":
            return driver_class
        from textual.drivers.linux_driver import LinuxDriver

        if driver_class is not LinuxDriver:
            return driver_class

        class GuardedLinuxDriver(LinuxDriver):
            """`LinuxDriver` whose output can never freeze the app (see `guard_output_thread`)."""

            def start_application_mode(self) -> None:
                super().start_application_mode()  # type: ignore[no-untyped-call]  # unannotated in Textual
                guard_output_thread(self._writer_thread)

        return GuardedLinuxDriver

    def get_default_screen(self) -> Screen[None]:
        return JobsScreen(self.settings, self.providers, self.store, self.clock, rng=self.rng)

    def on_mount(self) -> None:
        """Exit cleanly on SIGHUP/SIGTERM and when the terminal goes away."""
        if self.store_problem is not None:
            self.call_after_refresh(self.report_store_problem, self.store_problem)
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for signum, code in ((signal.SIGHUP, EXIT_HANGUP), (signal.SIGTERM, EXIT_TERMINATED)):
            try:
                loop.add_signal_handler(signum, self._exit_on_signal, code)
                self._installed_signals.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):
                continue
        self.set_interval(WATCHDOG_SECONDS, self._watchdog)

    def _exit_on_signal(self, code: int) -> None:
        self.exit(return_code=code)

    def _watchdog(self) -> None:
        if _terminal_gone() or os.getppid() == 1:
            self.exit(return_code=EXIT_HANGUP)

    async def on_unmount(self) -> None:
        """Remove signal handlers and close every provider's HTTP client."""
        loop = asyncio.get_running_loop()
        for signum in self._installed_signals:
            loop.remove_signal_handler(signum)
        for provider in self.providers:
            try:
                await provider.aclose()
            except Exception as exc:  # noqa: BLE001 - closing must not stop the exit
                self.log.warning(f"closing {provider.account}: {type(exc).__name__}")

    # --- a store that cannot be used -----------------------------------------------------

    def _jobs_screen(self) -> JobsScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, JobsScreen)), None)

    def report_store_problem(self, error: StoreError) -> None:
        """Say on the job list, in a line that stays, that the store cannot be used; for a
        corrupt one, offer (once) to move it aside."""
        screen = self._jobs_screen()
        if screen is not None:
            show_store_problem(screen, f"The local job store cannot be used: {error.message}")
        if error.corrupt and error.path and not self._offered_move:
            self._offered_move = True
            path = error.path

            def answered(move: bool | None) -> None:
                if move:
                    self.move_store_aside(path)

            self.push_screen(MoveStoreAsideScreen(error.message, path), answered)

    @work(group="store-aside", exclusive=True, exit_on_error=False)
    async def move_store_aside(self, path: str) -> None:
        """Rename the corrupt store, open a fresh one there and use it from now on."""
        try:
            fresh, moved = await asyncio.to_thread(self._replace_store, self.store, Path(path))
        except StoreError as error:
            screen = self._jobs_screen()
            if screen is not None:
                show_store_problem(screen, f"The store could not be moved aside: {error.message}")
            return
        self.store = fresh
        self.store_problem = None
        screen = self._jobs_screen()
        if screen is not None:
            screen.store = fresh
            clear_store_problem(screen)
        self.notify(
            f"The corrupt store was moved to {moved.name}; a fresh one is in use.",
            title="Store",
            markup=False,
        )

    def _replace_store(self, old: JobStore, path: Path) -> tuple[JobStore, Path]:
        """(In a thread.) Move the file aside and open a fresh store in its place, with what
        this run kept in memory meanwhile (jobs and tracked ids)."""
        in_memory = old.path == ":memory:"
        jobs = old.load_jobs() if in_memory else []
        tracked = old.all_tracked() if in_memory else {}
        if not in_memory:
            old.close()
        moved = move_aside(path, self.clock())
        fresh = JobStore(path)
        for account in {job.account for job in jobs}:
            fresh.save_jobs(account, [job for job in jobs if job.account == account])
        for account, ids in tracked.items():
            fresh.add_tracked(account, ids)
        return fresh, moved

    def on_key(self, event: events.Key) -> None:
        """Deliver a character typed ahead of a text box's focus to that box.

        Keys sent in one burst (`/` then a word, over SSH or pasted) are all handed to the
        widget focused when they arrive; `/` moves the focus to the search box only once
        it is handled, so the characters after it reach the app's bindings instead (`2`
        would switch the view). A text box keeps the characters it handles itself, so a
        printable key reaching the app while one has focus was typed ahead for it.

        A search box also lets every other key it did not handle up to the bindings, and
        tells which (`SearchInput.passed_up`): any other key was typed ahead for it, Enter
        and Escape included, and goes to it in order (so the keys after Enter follow the
        focus, see `SearchInput`).
        """
        focused = self.focused
        if isinstance(focused, SearchInput):
            if focused.passed_up(event):
                return
        elif not (isinstance(focused, Input) and event.is_printable):
            return
        event.prevent_default()
        event.stop()
        redirected = events.Key(event.key, event.character)
        redirected._set_forwarded()  # input the app took already: not taken again on bubbling
        focused.post_message(redirected)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast, its text cleaned whatever the caller passed: no escape sequence or
        control character reaches the terminal, and the title stays on one line.

        Line breaks in the message are kept (a summary has several lines); each caller
        flattens the server strings it puts in a sentence.
        """
        super().notify(
            clean(message, LONG_LIMIT),
            title=one_line(clean(title)),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )
        screen = self.screen if self.screen_stack else None
        if isinstance(screen, JobsScreen):
            # Off the row under the cursor, once the new toast is in the rack.
            screen.place_toasts()
            self.call_after_refresh(screen.place_toasts)

    def action_help(self) -> None:
        """Show every key."""
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.key_sections()))

    def key_sections(self) -> list[tuple[str, list[Binding]]]:
        """Every key, grouped by where it applies: each context's classes' own `BINDINGS`,
        and in the job list the view keys of the sources configured (`view_bindings`)."""
        contexts: list[tuple[str, tuple[type[DOMNode], ...]]] = [
            ("Everywhere", (JobsApp,)),
            *KEY_CONTEXTS,
        ]
        screen = self._jobs_screen()
        views = screen.view_bindings() if screen is not None else []
        return [
            (
                title,
                [binding for node in classes for binding in own_bindings(node)]
                + (views if JobsScreen in classes else []),
            )
            for title, classes in contexts
        ]

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette: every action of this screen by its key's name, then Textual's.

        Each binding of the screen, of the widgets it offers (`palette_bindings`) and of
        the app becomes a command titled with the binding's description, except those in
        `PALETTE_EXCLUDED`. Textual's commands follow, minus Screenshot (it could save
        what is on screen, tokens included) and minus those whose title one of ours took
        (its Keys is a panel of the focused widget's keys; ours is the full help).
        """
        titles: set[str] = set()
        for target, binding in self.palette_bindings(screen):
            if binding.description in titles:
                continue
            titles.add(binding.description)
            yield SystemCommand(
                binding.description,
                binding.tooltip or binding.description,
                _runner(target, binding.action),
            )
        if isinstance(screen, JobsScreen):
            for number, name in enumerate(screen.view_names()):
                label = one_line(clean(name, 64))
                yield SystemCommand(
                    f"View: {label}", f"Show {label}", _runner(screen, f"view({number})")
                )
            for key, name in screen.sort_columns():
                yield SystemCommand(
                    f"Sort by {name}",
                    f"Sort the list by {name}",
                    _runner(screen, f"sort_by('{key}')"),
                )
        for command in super().get_system_commands(screen):
            if command.title.lower().startswith("screenshot") or command.title in titles:
                continue
            yield command

    def palette_bindings(self, screen: Screen[Any]) -> list[tuple[Widget | App[Any], Binding]]:
        """The bindings the palette offers on `screen`, each with the node that runs it."""
        targets: list[tuple[Widget | App[Any], type[DOMNode]]] = [(screen, type(screen))]
        if isinstance(screen, JobsScreen):
            targets.append((screen.table, JobTable))
        targets.append((self, JobsApp))
        return [
            (target, binding)
            for target, node_class in targets
            for binding in own_bindings(node_class)
            if binding.id not in PALETTE_EXCLUDED
        ]

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Disabled: a screenshot could save what is on screen to disk."""
        self.notify("Screenshots are disabled in jobtop.", markup=False)


KEY_CONTEXTS: tuple[tuple[str, tuple[type[DOMNode], ...]], ...] = (
    ("Job list", (JobsScreen,)),
    ("Moving in the table", (JobTable,)),
    ("Search box (/ in the job list)", (SearchInput,)),
    ("Filter panel (m)", (FilterPanel, StateList, StatusList)),
    ("Tracking an id (t)", (TrackScreen, TrackIdInput)),
    ("Job detail", (JobDetailScreen,)),
    ("Event log (e in the job list)", (EventLogScreen,)),
    ("Searching the raw JSON (/ in a detail)", (JsonSearchInput,)),
    ("Lists in a detail (Tab reaches them)", (UpstreamList, VariantTable, ImageList)),
    ("This help", (HelpScreen,)),
)
"""The help screen's sections after "Everywhere": a title and the classes whose own
`BINDINGS` it lists (tests/ui/test_help_palette.py fails when a class with bindings is
missing here)."""

PALETTE_EXCLUDED: dict[str, str] = {
    "app.palette": "it opens the palette, which is already open",
    "table.up": "one row up: the palette hides the table, and ↑ or k does it at once",
    "table.down": "one row down: the palette hides the table, and ↓ or j does it at once",
    "detail.next_part": "moves the focus, which the palette holds until it closes",
    "detail.previous_part": "moves the focus, which the palette holds until it closes",
    "track.next_field": "moves the focus, which the palette holds until it closes",
    "track.previous_field": "moves the focus, which the palette holds until it closes",
}
"""Binding ids the palette leaves out, each with the reason. The keys of lists and
search boxes inside a screen are not offered either: they act on what has the focus."""


def _runner(target: Widget | App[Any], action: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await target.run_action(action)

    return run


def _terminal_gone() -> bool:
    """True when neither stdin nor stdout is a live terminal.

    A terminal that was hung up (SSH dropped while SIGHUP is ignored, as under nohup)
    still passes `isatty`, but every ioctl on it fails with EIO: `tcgetattr` tells.
    """
    import termios

    for fd in (0, 1):
        try:
            if os.isatty(fd):
                termios.tcgetattr(fd)
                return False
        except (OSError, termios.error):
            continue
    return True


def run_app(
    settings: Settings,
    providers: Sequence[JobProvider],
    store: JobStore,
    clock: Clock,
    *,
    store_problem: StoreError | None = None,
) -> int:
    """Run the dashboard until it exits; returns the exit code (129 on SIGHUP).

    `store_problem`: the store could not be opened and `store` is in memory (see
    `tui.screens.store_problem`). A fresh store opened in place of a corrupt one is
    closed here; the caller closes `store`.
    """
    app = JobsApp(settings, providers, store, clock, store_problem=store_problem)
    app.run()
    if app.store is not store:
        app.store.close()
    return app.return_code or EXIT_OK
