"""The jobs screen's status line from the facts it states (no app needed)."""

from __future__ import annotations

from textual.content import Content

from tui.job_index.filters import StatusChoice
from tui.models import JobState, ProviderName
from tui.screens.status_line import StatusFacts, status_line

PLAIN = StatusFacts(
    shown=1234, in_view=5000, sort_name="Age", descending=True, progress=(0, 0, 0), interval=5
)


def styled(content: Content, part: str) -> list[str]:
    """The styles of the spans that cover `part` of the line exactly."""
    start = content.plain.index(part)
    return [
        str(span.style)
        for span in content.spans
        if span.start == start and span.end == start + len(part)
    ]


def test_the_count_the_sort_and_the_interval_with_no_filter() -> None:
    line = status_line(PLAIN)
    assert line.plain == "1,234 of 5,000 jobs · sort Age ▼ · every 5s"
    assert styled(line, "1,234 of 5,000 jobs") == ["bold"]
    rising = StatusFacts(
        shown=None, in_view=7, sort_name="Name", descending=False, progress=(0, 0, 0), interval=60
    )
    assert status_line(rising).plain == "… of 7 jobs · sort Name ▲ · every 1m 00s"


def test_every_filter_in_force_is_said_in_order() -> None:
    facts = StatusFacts(
        shown=3,
        in_view=90,
        sort_name="Duration",
        descending=True,
        progress=(3, 40, 90),
        interval=5,
        states=frozenset({JobState.RUNNING, JobState.FAILED}),
        status=StatusChoice(ProviderName.ZOO, "in_progress"),
        search="  render  ",
        window="1 h",
        stuck_only=True,
        paused=True,
    )
    line = status_line(facts)
    assert line.plain == (
        "3 of 90 jobs · sort Duration ▼ · states: failed,running · status: in_progress (zoo)"
        ' · search "render": 3 matches so far (searched 40 of 90) · changed in the last 1 h'
        " · ⧗ stuck only · every 5s · PAUSED (p resumes)"
    )
    assert styled(line, " · states: failed,running") == ["$warning"]
    assert styled(line, ": 3 matches so far (searched 40 of 90)") == ["$accent"]
    assert styled(line, " · PAUSED (p resumes)") == ["bold $warning"]


def test_server_and_typed_strings_stay_plain_and_on_one_line() -> None:
    facts = StatusFacts(
        shown=0,
        in_view=1,
        sort_name="Age",
        descending=True,
        progress=(0, 1, 1),
        interval=5,
        status=StatusChoice(ProviderName.METAFOLD, "[bold red]x[/]\nnext"),
        search="[link=x]y\n[/link]",
    )
    line = status_line(facts)
    assert "status: [bold red]x[/] ⏎ next (metafold)" in line.plain
    assert 'search "[link=x]y ⏎ [/link]": 0 matches' in line.plain
    assert styled(line, "[bold red]x[/] ⏎ next") == []


def test_a_search_that_does_not_parse_says_why() -> None:
    facts = StatusFacts(
        shown=0,
        in_view=1,
        sort_name="Age",
        descending=True,
        progress=(0, 1, 1),
        interval=5,
        search="re:(",
    )
    line = status_line(facts)
    error = line.plain.rsplit(" · ", 2)[1]
    assert error and error != "every 5s" and styled(line, f" · {error}") == ["$error"]
