"""TrackScreen: add a job id to a source's tracked ids, checked with the provider first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Select, Static

from tui.sanitize import clean, one_line

Validator = Callable[[str, str], Awaitable[str | None]]
"""`await validate(account, job_id)`: None if the provider knows the id, else its answer."""


class TrackIdInput(Input):
    """The id box; Enter checks the id (listed here for the help screen)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "submit",
            "Check and track",
            show=False,
            id="track.submit",
            tooltip="Ask the provider about the id, then track it",
        ),
    ]


class TrackScreen(ModalScreen[tuple[str, str] | None]):
    """Asks for an id and the source it belongs to; dismisses with (account, id) once the
    provider has confirmed the id exists, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="track.cancel", tooltip="Close without tracking"),
        Binding(
            "tab",
            "app.focus_next",
            "Next field",
            show=False,
            id="track.next_field",
            tooltip="Move between the source and the id",
        ),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "Previous field",
            show=False,
            id="track.previous_field",
            tooltip="Move between the source and the id",
        ),
    ]

    def __init__(self, accounts: Sequence[str], default_account: str, validate: Validator) -> None:
        super().__init__()
        self.accounts = list(accounts)
        self.default_account = default_account
        self.validate = validate

    def compose(self) -> ComposeResult:
        with Vertical(id="track-body"):
            yield Static(Content.styled("Track a job id", "bold"), id="track-title")
            yield Select(
                [(Text(_label(name)), name) for name in self.accounts],
                value=self.default_account,
                allow_blank=False,
                id="track-account",
            )
            yield TrackIdInput(
                placeholder="job id, e.g. 88667411-3fb9-4c92-8488-8e277aed3021", id="track-id"
            )
            yield Static(
                Content("Enter checks the id with the provider; Esc cancels."), id="track-message"
            )

    def on_mount(self) -> None:
        self.query_one("#track-id", Input).focus()

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#track-message", Static)
        message.update(Content(text))
        message.set_class(error, "-error")

    @on(Input.Submitted, "#track-id")
    def _on_submitted(self, event: Input.Submitted) -> None:
        job_id = event.value.strip()
        if not job_id:
            self._say("Type the id of a job first.", error=True)
            return
        if len(job_id) > 200 or not job_id.isprintable():
            self._say("That does not look like a job id.", error=True)
            return
        account = self.query_one("#track-account", Select).value
        if not isinstance(account, str):
            return
        self._say(f"Checking {one_line(job_id)} with {_label(account)}…")
        self.check(account, job_id)

    @work(exclusive=True, group="track-check", exit_on_error=False)
    async def check(self, account: str, job_id: str) -> None:
        """Ask the provider; dismiss on success, show its answer otherwise."""
        problem = await self.validate(account, job_id)
        if problem is None:
            self.dismiss((account, job_id))
        else:
            self._say(problem, error=True)

    def action_cancel(self) -> None:
        """Close without tracking anything."""
        self.dismiss(None)


def _label(account: str) -> str:
    """A source's name as shown: plain, on one line, capped."""
    return one_line(clean(account, 64))
