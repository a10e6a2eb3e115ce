"""The phase stepper: every phase by name and index, done/current/pending, 11 and 12 phases."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from tui.models import JobState
from tui.providers.zoo.vocabulary import ZOO_PHASES, ZOO_SEED_PHASES
from tui.widgets.phase_stepper import PhaseMark, PhaseStepper, phase_marks, stepper_content

D, C, F, X, P = (
    PhaseMark.DONE,
    PhaseMark.CURRENT,
    PhaseMark.FAILED,
    PhaseMark.CANCELED,
    PhaseMark.PENDING,
)


def test_running_marks_before_current_after() -> None:
    assert phase_marks(5, 2, JobState.RUNNING) == [D, D, C, P, P]


def test_failed_and_canceled_mark_the_phase_they_stopped_in() -> None:
    assert phase_marks(4, 1, JobState.FAILED) == [D, F, P, P]
    assert phase_marks(4, 3, JobState.CANCELED) == [D, D, D, X]


def test_success_marks_everything_done() -> None:
    assert phase_marks(12, 11, JobState.SUCCEEDED) == [D] * 12
    assert phase_marks(3, None, JobState.SUCCEEDED) == [D] * 3


@pytest.mark.parametrize("index", [None, -1, 12, 99])
def test_unknown_or_out_of_range_phase_leaves_everything_pending(index: int | None) -> None:
    assert phase_marks(12, index, JobState.RUNNING) == [P] * 12


@pytest.mark.parametrize("phases", [ZOO_PHASES, ZOO_SEED_PHASES], ids=["12", "11"])
def test_every_phase_is_shown_by_index_and_name(phases: tuple[str, ...]) -> None:
    lines = stepper_content(phases, 4, JobState.RUNNING).plain.split("\n")
    assert len(lines) == len(phases)
    for index, (line, name) in enumerate(zip(lines, phases, strict=True)):
        assert f"{index:>2}  {name}" in line
    assert lines[3].startswith("✓")
    assert lines[4].startswith("▶") and lines[4].endswith("← current")
    assert lines[5].startswith("·")


def test_seed_list_and_current_list_differ_at_index_four() -> None:
    seed = stepper_content(ZOO_SEED_PHASES, 4, JobState.RUNNING).plain.split("\n")
    current = stepper_content(ZOO_PHASES, 4, JobState.RUNNING).plain.split("\n")
    assert "convert_raw_kcl" in seed[4]
    assert "manual_kcl_override" in current[4]
    assert "10  completed" in seed[-1] and "11  completed" in current[-1]


def test_unknown_phase_name_is_shown_literally() -> None:
    content = stepper_content(ZOO_PHASES, None, JobState.RUNNING, "[@click=app.quit]x")
    assert content.plain.endswith("phase not in this list: [@click=app.quit]x")


def test_unknown_phase_name_stays_on_its_line() -> None:
    content = stepper_content(ZOO_PHASES, None, JobState.RUNNING, "new\nphase\x1b[31m")
    assert content.plain.split("\n")[-1] == "? phase not in this list: new ⏎ phase"


class StepperApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PhaseStepper(ZOO_SEED_PHASES, 2, JobState.FAILED)


async def test_stepper_renders_mounted_and_updates() -> None:
    app = StepperApp()
    async with app.run_test() as pilot:
        stepper = app.query_one(PhaseStepper)
        assert stepper.size.height == 11
        assert stepper.marks[:3] == [D, D, F]
        stepper.show(ZOO_PHASES, 11, JobState.SUCCEEDED)
        await pilot.pause()
        assert stepper.size.height == 12
        assert stepper.marks == [D] * 12
        stepper.show(ZOO_PHASES, None, JobState.RUNNING, "brand_new_phase")
        await pilot.pause()
        assert stepper.size.height == 13
