"""Unit tests of the pure job index: keys, sorting, filtering, search syntax, diff/apply."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ui.fakes import NOW, make_job, sample_jobs
from tests.ui.fakes import created as created_at
from tui.job_index.filters import JobFilter, StatusChoice
from tui.job_index.index import _SORT_KEYS, Column, JobIndex
from tui.job_index.search import parse_search
from tui.models import Job, JobState, ProviderName


def index_with(*accounts: tuple[str, int]) -> JobIndex:
    index = JobIndex(now=lambda: NOW)
    for account, count in accounts:
        index.upsert(sample_jobs(account, count))
    return index


def progress_or(progress: float | None, missing: float = -1) -> float:
    return missing if progress is None else progress


def visible(index: JobIndex) -> list[str]:
    return [index[row].id for row in range(index.row_count())]


def test_upsert_reports_added_changed_and_ignores_equal() -> None:
    index = index_with(("a", 5))
    jobs = sample_jobs("a", 6)
    changes = index.upsert([jobs[0], replace(jobs[1], status="x"), jobs[5]])
    assert changes.added == {jobs[5].key}
    assert changes.changed == {jobs[1].key}
    assert len(index) == 6
    assert not index.upsert(jobs[:2] and [jobs[0]])


def test_sort_by_every_column_both_ways() -> None:
    index = index_with(("a", 12), ("b", 7))
    for column in Column:
        index.set_sort(column, False)
        ascending = visible(index)
        index.set_sort(column, True)
        assert visible(index) == ascending[::-1]
        assert sorted(ascending) == sorted(job.id for job in index.jobs())
    index.set_sort(Column.NAME, False)
    names = [index[row].name for row in range(index.row_count())]
    assert names == sorted(names, key=str.casefold)
    index.set_sort(Column.STATE, False)
    assert index[0].state == JobState.FAILED
    index.set_sort(Column.AGE, False)
    created = [created_at(index[row]) for row in range(index.row_count())]
    assert created == sorted(created, reverse=True)  # youngest first


def test_numeric_ids_sort_as_numbers() -> None:
    index = JobIndex(now=lambda: NOW)
    index.upsert([replace(make_job("m", n), id=str(n)) for n in (10, 9, 123, 1)])
    index.set_sort(Column.ID, False)
    assert visible(index) == ["1", "9", "10", "123"]


def test_resort_after_changes_keeps_order_correct() -> None:
    index = index_with(("a", 30))
    index.set_sort(Column.PROGRESS, False)
    visible(index)
    jobs = list(index.jobs())
    index.upsert([replace(jobs[3], progress=0.99), replace(jobs[10], progress=0.01)])
    index.upsert([make_job("a", 100, JobState.RUNNING, progress=0.5)])
    values = [progress_or(index[r].progress) for r in range(index.row_count())]
    assert values == sorted(values)


def test_filters_by_account_state_status_and_search() -> None:
    index = index_with(("a", 12), ("b", 12))
    index.set_filter(JobFilter(accounts=frozenset({"b"})))
    assert {index[r].account for r in range(index.row_count())} == {"b"}
    index.set_filter(JobFilter(states=frozenset({JobState.FAILED, JobState.QUEUED})))
    assert {index[r].state for r in range(index.row_count())} == {JobState.FAILED, JobState.QUEUED}
    index.set_filter(JobFilter(status=StatusChoice(ProviderName.ZOO, "error_user")))
    assert {index[r].status for r in range(index.row_count())} == {"error_user"}
    index.set_filter(JobFilter(status=StatusChoice(ProviderName.ZOO, "ERROR_USER")))
    assert index.row_count() == 0  # exact: another word
    index.set_filter(JobFilter(search=parse_search("PART-01")))
    assert sorted({index[r].name for r in range(index.row_count())}) == [
        "part-010.step",
        "part-011.step",
    ]
    index.set_filter(JobFilter(search=parse_search("!part-00")))
    assert {index[r].name for r in range(index.row_count())} == {"part-010.step", "part-011.step"}
    index.set_filter(JobFilter(search=parse_search("re:^0001-")))
    assert index.row_count() == 2
    index.set_filter(JobFilter(search=parse_search("!/^0001-/")))
    assert index.row_count() == 22
    index.set_filter(JobFilter(search=parse_search("geometry")))  # errors are searched too
    assert index.row_count() == index.counts()[JobState.FAILED]


def test_narrowing_search_gives_same_result_as_fresh() -> None:
    index = index_with(("a", 40))
    for text in ("p", "pa", "part-0", "part-03", "part-0", "part-03"):
        index.set_filter(JobFilter(search=parse_search(text)))
        narrowed = visible(index)
        fresh = index_with(("a", 40))
        fresh.set_filter(JobFilter(search=parse_search(text)))
        assert narrowed == visible(fresh), text


def test_parse_search_syntax() -> None:
    (term,) = parse_search("Foo").terms
    assert term.needle == "foo" and not term.negate and term.field is None
    assert parse_search("!foo").terms[0].negate
    assert parse_search("re:a+b").terms[0].pattern is not None
    assert parse_search("/a+b/").terms[0].pattern is not None
    (term,) = parse_search("!/a/").terms
    assert term.negate and term.pattern is not None
    bad = parse_search("re:([")
    assert bad.error and bad.terms[0].pattern is None and bad.terms[0].needle == "(["
    assert parse_search("foo").server_text == "foo"
    assert parse_search("!foo").server_text is None
    assert parse_search("re:foo").server_text is None
    assert parse_search("state:failed").server_text is None
    assert parse_search("foo bar").server_text is None
    assert parse_search("").is_empty and parse_search("re:").is_empty
    assert parse_search("state:").is_empty and parse_search("!").is_empty
    # Qualifiers, negation before or after them, quotes, globs; unknown words stay words.
    state, source = parse_search("state:failed !source:zoo").terms
    assert (state.field, state.needle, state.negate) == ("state", "failed", False)
    assert (source.field, source.needle, source.negate) == ("source", "zoo", True)
    assert parse_search("name:!x").terms[0].negate
    (phrase,) = parse_search('name:"line one"').terms
    assert (phrase.field, phrase.needle) == ("name", "line one")
    (glob,) = parse_search("status:error_*").terms
    assert glob.pattern is not None and glob.pattern.search("error_user")
    assert not glob.pattern.search("user_error_x")
    assert parse_search("State:Failed").terms[0].field == "state"
    (word,) = parse_search("http://host").terms
    assert word.field is None and word.needle == "http://host"


def test_search_fields_qualifiers_and_anchors_per_field() -> None:
    """The state is searchable, words may name their field, a regex anchors each field
    (not one line of every field joined), and several words must all match."""
    jobs = [
        *sample_jobs("zoo-prod", 12),
        *sample_jobs("metafold", 12),
        replace(
            make_job("zoo-prod", 40, JobState.FAILED),
            name="enclosures/box.obj",
            error="mesh is not watertight",
        ),
        replace(make_job("metafold", 41), name="enclosures/lid.obj.bak"),
    ]
    index = JobIndex(now=lambda: NOW)
    index.upsert(jobs)

    def shown(text: str) -> set[str]:
        index.set_filter(JobFilter(search=parse_search(text)))
        return {index[row].id for row in range(index.row_count())}

    def ids(keep: Callable[[Job], bool]) -> set[str]:
        return {job.id for job in jobs if keep(job)}

    assert shown("!succeeded") == ids(lambda j: j.state != JobState.SUCCEEDED)
    assert shown("state:failed") == ids(lambda j: j.state == JobState.FAILED)
    assert shown("!state:succeeded") == ids(lambda j: j.state != JobState.SUCCEEDED)
    assert shown("source:zoo") == ids(lambda j: j.account == "zoo-prod")
    assert shown("state:failed source:zoo") == ids(
        lambda j: j.state == JobState.FAILED and j.account == "zoo-prod"
    )
    assert shown("status:error_*") == ids(lambda j: j.status.startswith("error_"))
    assert shown(r"re:^enclosures/.*\.obj$") == {jobs[-2].id}
    assert shown("name:re:^enclosures") == {jobs[-2].id, jobs[-1].id}
    assert shown("re:watertight$ state:failed") == {jobs[-2].id}
    assert shown("error:watertight") == {jobs[-2].id}
    assert shown("name:watertight") == set()
    assert shown("id:part") == set()  # names hold "part", ids do not
    assert shown("re:^failed$") == ids(lambda j: j.state == JobState.FAILED)
    # A pattern that could span two fields of a row is tested on each field alone.
    assert shown(r"re:obj\smesh") == set()
    assert shown(r"re:obj\s") == set()


def test_position_and_key_at() -> None:
    index = index_with(("a", 10))
    key = index.key_at(4)
    assert index.position(key) == 4
    index.set_filter(JobFilter(states=frozenset({JobState.FAILED})))
    assert index.position(("a", "nope")) is None


def test_diff_then_apply_removes_missing_but_keeps_skipped() -> None:
    index = index_with(("a", 10), ("b", 3))
    jobs = sample_jobs("a", 10)
    listing = [replace(jobs[0], status="new")] + jobs[1:7]
    update = index.diff(listing, account="a", keep_ids=[jobs[9].id])
    assert [job.key for job in update.upserts] == [jobs[0].key]
    assert set(update.removals) == {jobs[7].key, jobs[8].key}
    changes = index.apply(update)
    assert changes.changed == {jobs[0].key}
    assert changes.removed == {jobs[7].key, jobs[8].key}
    assert len(index) == 11 and index.get(jobs[9].key) is not None
    assert len(list(index.jobs("b"))) == 3
    assert index.counts("a").total() == 8
    assert not index.diff(listing).upserts  # partial listing: nothing removed, nothing new


def test_missing_jobs_found_even_when_a_listing_repeats_one() -> None:
    """The shortcut "every known job was listed" must not be fooled by a repeated job."""
    index = index_with(("a", 5), ("b", 2))
    jobs = sample_jobs("a", 5)
    repeated = [*jobs[:4], jobs[0]]  # jobs[4] is gone; jobs[0] came twice
    assert index.diff(repeated, account="a").removals == [jobs[4].key]
    assert index.diff(jobs, account="a").removals == []
    new_and_old = [*jobs[:4], make_job("a", 99)]  # as many jobs as before, one of them new
    assert index.diff(new_and_old, account="a").removals == [jobs[4].key]


def test_counts_follow_changes_and_removals() -> None:
    index = index_with(("a", 6))
    before = index.counts("a")
    job = next(j for j in index.jobs() if j.state == JobState.RUNNING)
    index.upsert([replace(job, state=JobState.FAILED)])
    after = index.counts("a")
    assert after[JobState.RUNNING] == before[JobState.RUNNING] - 1
    assert after[JobState.FAILED] == before[JobState.FAILED] + 1
    index.remove([job.key])
    assert index.counts("a").total() == 5


def test_compaction_after_many_removals_keeps_everything_consistent() -> None:
    index = index_with(("a", 3000))
    index.set_sort(Column.NAME, False)
    visible(index)
    gone = [job.key for job in list(index.jobs())[:2500]]
    index.remove(gone)
    assert len(index) == 500 and index.row_count() == 500
    names = [index[r].name for r in range(index.row_count())]
    assert names == sorted(names, key=str.casefold)
    index.upsert([make_job("a", 9999)])
    assert len(index) == 501 and index.get(make_job("a", 9999).key) is not None


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.integers(0, 40), st.sampled_from(list(JobState)), st.booleans()),
        max_size=60,
    ),
    column=st.sampled_from(list(Column)),
    descending=st.booleans(),
    needle=st.sampled_from(["", "part-1", "!part-0", "re:[13]\\.step"]),
)
def test_index_matches_a_naive_model(
    ops: list[tuple[int, JobState, bool]], column: Column, descending: bool, needle: str
) -> None:
    index = JobIndex(now=lambda: NOW)
    index.set_sort(column, descending)
    model: dict[tuple[str, str], Job] = {}
    for number, state, remove in ops:
        job = make_job("a", number, state)
        if remove:
            index.remove([job.key])
            model.pop(job.key, None)
        else:
            index.upsert([job])
            model[job.key] = job
        index.row_count()  # keep the order cached, so updates go through the in-place paths
    keys = [_SORT_KEYS[column](index[r], NOW) for r in range(index.row_count())]
    assert keys == sorted(keys, reverse=descending)
    search = parse_search(needle)
    index.set_filter(JobFilter(search=search))
    shown = [index[r] for r in range(index.row_count())]
    expected = {key for key, job in model.items() if search.is_empty or search.matches(job)}
    assert {job.key for job in shown} == expected
    assert index.counts().total() == len(model)


BLOCK_NEEDLES = [
    "part-1",
    "!part-1",
    "part-12",
    "!part-12",
    "zzz",
    "!zzz",
    "\t",
    "step\tsucc",
    "re:^0[0-4]",
    "!re:^0[0-4]",
    "re:step$",
    "re:ed$",
    "re:\\Apart",
    "re:\\A0012",
    "re:(?<=\\t)part-2",
    "re:(?<!\\t)part-2",
    "!re:(?<!\\S)part",
    "re:part(?=-1)",
    "re:failed\\Z",
    "re:0\\d\\b",
    "re:[^x]+$",
    "!re:.",
    "re:(?m)^part",
    # Per-field anchors, qualifiers, globs, several words, patterns that could span fields.
    "re:^part-1.*\\.step$",
    "re:step\\sa$",
    "re:p\\Wa",
    "re:(?s)step.a",
    "!re:^a$",
    "name:part-1",
    "!name:part-1",
    "name:re:^part",
    "id:re:-a-",
    "source:re:^a$",
    "state:failed",
    "!state:succeeded",
    "state:fail part-1",
    "part-1 !state:running",
    "status:error_*",
    "status:*ess",
    "status:?ueued",
    "error:geometry",
    "!error:geometry",
    "re:two$",
    'name:"line one"',
    "line two",
    "id:re:\\A0012",
    "name:re:(?<=-)1",
    "id:0012",
    "!source:a",
    "State:FAILED",
    "name:*step",
    "!error:*",
    "status:?rror_user",
]


@given(
    count=st.integers(1, 400),
    needle=st.sampled_from(BLOCK_NEEDLES),
    column=st.sampled_from(list(Column)),
    descending=st.booleans(),
)
@settings(max_examples=80, deadline=None)
def test_block_search_matches_a_row_by_row_search(
    count: int, needle: str, column: Column, descending: bool
) -> None:
    """Searching joined blocks of rows finds exactly the rows a one-by-one test finds,
    anchors and lookarounds included (they see neighbouring rows inside a block)."""
    jobs = sample_jobs("a", count)
    jobs[count // 2] = replace(jobs[count // 2], name="line one\nline two\tpart-12")
    index = JobIndex(now=lambda: NOW)
    index.upsert(jobs)
    index.set_sort(column, descending)
    order = visible(index)
    search = parse_search(needle)
    index.set_filter(JobFilter(search=search))
    expected = [
        job_id
        for job_id in order
        if search.matches(index.get(("a", job_id)))  # type: ignore[arg-type]
    ]
    assert visible(index) == expected


def test_recent_views_are_reused_until_the_data_changes() -> None:
    index = index_with(("a", 300), ("b", 300))
    failed = JobFilter(states=frozenset({JobState.FAILED}))
    index.set_filter(failed)
    first = visible(index)
    index.set_filter(JobFilter())
    index.set_filter(failed)
    assert visible(index) == first
    # A job that turns failed must show up: the kept lists belong to the old data.
    newly_failed = next(job for job in index.jobs() if job.state != JobState.FAILED)
    index.upsert([replace(newly_failed, state=JobState.FAILED, status="failed")])
    assert newly_failed.id in visible(index)
    assert len(visible(index)) == len(first) + 1


@given(
    count=st.integers(1, 300),
    word=st.sampled_from(
        [
            "part-12",
            "step",
            "0012-a",
            "succeeded",
            "re:part-1[0-4]",
            "!part-1",
            "state:failed part-1",
            "name:part !state:succ",
            "status:error_* part",
        ]
    ),
    descending=st.booleans(),
    prepared=st.booleans(),
)
@settings(max_examples=40, deadline=None)
def test_typing_and_erasing_a_search_matches_a_fresh_index(
    count: int, word: str, descending: bool, prepared: bool
) -> None:
    """Narrowing from the previous keystroke (by place in the listing) and the kept row
    lists give what a fresh index gives, keystroke by keystroke, both ways."""
    jobs = sample_jobs("a", count)
    index = JobIndex(now=lambda: NOW)
    index.upsert(jobs)
    index.set_sort(Column.NAME, descending)
    if prepared:  # typing on narrows on the listing's search texts, else on per-slot ones
        index.install(index.prepare())
        assert index.install_search(index.prepare_search())
    typed = [word[:end] for end in range(1, len(word) + 1)]
    for text in [*typed, *reversed(typed[:-1])]:
        index.set_filter(JobFilter(search=parse_search(text)))
        fresh = JobIndex(now=lambda: NOW)
        fresh.upsert(jobs)
        fresh.set_sort(Column.NAME, descending)
        fresh.set_filter(JobFilter(search=parse_search(text)))
        assert visible(index) == visible(fresh), text


def test_search_texts_prepared_in_a_thread_give_the_same_results() -> None:
    """`prepare_search` (run off the UI loop) is adopted only while still current."""
    index = index_with(("a", 300), ("b", 200))
    index.install(index.prepare())
    index.set_sort(Column.NAME, True)
    index.row_count()
    prepared = index.prepare_search()
    assert prepared is not None and index.install_search(prepared) and index.search_ready()
    for text in ("part-1", "part-12", "!part-1", "re:-0[0-4]"):
        index.set_filter(JobFilter(search=parse_search(text)))
        fresh = index_with(("a", 300), ("b", 200))
        fresh.set_sort(Column.NAME, True)
        fresh.set_filter(JobFilter(search=parse_search(text)))
        assert visible(index) == visible(fresh), text
    stale = index.prepare_search()
    index.upsert([make_job("a", 999)])
    assert not index.install_search(stale)  # the data changed meanwhile: not adopted
    assert not index.search_ready()


def _held(index: JobIndex, key: tuple[str, str]) -> Job:
    job = index.get(key)
    assert job is not None
    return job


def _passes(job: Job, job_filter: JobFilter) -> bool:
    """The filter, written out plainly, as the oracle for the index's listings."""
    search = job_filter.search
    return (
        (not job_filter.accounts or job.account in job_filter.accounts)
        and (not job_filter.states or job.state in job_filter.states)
        and (
            job_filter.status is None
            or (job.status, job.provider) == (job_filter.status.status, job_filter.status.provider)
        )
        and (search is None or search.is_empty or search.matches(job))
    )


SCALE_FILTERS = {
    "every row matches": JobFilter(search=parse_search("step")),
    "all but one": JobFilter(search=parse_search("!7017-a")),
    "one in ten": JobFilter(search=parse_search("part-1")),
    "negated": JobFilter(search=parse_search("!part-1")),
    "regex": JobFilter(search=parse_search("re:-0[0-4]")),
    "no row matches": JobFilter(search=parse_search("zzz")),
    "state": JobFilter(states=frozenset({JobState.FAILED})),
    "source and search": JobFilter(accounts=frozenset({"b"}), search=parse_search("0-0000")),
    "status": JobFilter(status=StatusChoice(ProviderName.ZOO, "in_progress")),
}


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "unprepared"])
@pytest.mark.parametrize("name", list(SCALE_FILTERS))
def test_a_listing_found_in_slices_is_the_whole_listing(name: str, prepared: bool) -> None:
    """At 20,000 jobs a filter finds the rows on screen (and a job's place) from a part of
    the listing; finishing it in steps gives exactly the filtered sorted whole."""
    job_filter = SCALE_FILTERS[name]
    index = index_with(("a", 12_000), ("b", 8_000))
    index.set_sort(Column.NAME, True)
    if prepared:
        index.install(index.prepare())
        index.install_search(index.prepare_search())
    everything = [index[row] for row in range(index.row_count())]
    expected = [job for job in everything if _passes(job, job_filter)]
    index.set_filter(job_filter)
    assert index.rows_upto(40) == min(40, len(expected))
    assert [index[row] for row in range(min(40, len(expected)))] == expected[:40]
    if len(expected) > 15_000:
        assert index.pending  # the screenful came from a part of the listing
        assert 40 <= index.row_estimate() <= len(everything)  # a guess, for the scrollbar
    outside = next((job for job in everything if not _passes(job, job_filter)), None)
    if outside is not None:
        assert index.position(outside.key) is None
    if expected:
        deep = expected[len(expected) * 3 // 4]
        assert index.position(deep.key, hint=0) == len(expected) * 3 // 4
    steps = 0
    while index.finish_step():
        steps += 1
    assert not index.pending and steps < 10
    assert [index[row] for row in range(index.row_count())] == expected
    assert index.row_estimate() == len(expected)


@pytest.mark.parametrize("seed", range(4))
def test_unfinished_listings_survive_typing_refreshes_and_sorts(seed: int) -> None:
    """Random typing (with `!`), state filters, data changes and re-sorts, each followed by
    only a screenful and a step or two of the listing: the rows found so far, the places
    of jobs and the finished whole always agree with the plain filter of the sorted whole."""
    rng = random.Random(seed)
    index = index_with(("a", 6_000), ("b", 4_000))
    index.install(index.prepare())
    if seed % 2:
        index.install_search(index.prepare_search())
    word = "part-12"
    for _ in range(60):
        roll = rng.random()
        if roll < 0.5:
            text = word[: rng.randint(0, len(word))]
            if text and rng.random() < 0.2:
                text = "!" + text
            index.set_filter(replace(index.filter, search=parse_search(text) if text else None))
        elif roll < 0.6:
            states = rng.choice([frozenset(), frozenset({JobState.FAILED})])
            index.set_filter(replace(index.filter, states=states))
        elif roll < 0.75:
            picked = rng.sample(list(index.jobs()), 20)
            index.upsert([replace(j, name=j.name + "x", state=JobState.FAILED) for j in picked])
        else:
            index.set_sort(rng.choice([Column.NAME, Column.AGE, Column.ID]), rng.random() < 0.5)
        if rng.random() < 0.5:
            index.install_search(index.prepare_search())
        job_filter = index.filter
        index.set_filter(JobFilter())
        expected = [index.key_at(row) for row in range(index.row_count())]  # sorted whole
        index.set_filter(job_filter)
        expected = [key for key in expected if _passes(_held(index, key), job_filter)]
        shown = index.rows_upto(40)
        for _ in range(rng.randint(0, 2)):
            index.finish_step()
        assert [index.key_at(row) for row in range(shown)] == expected[:40]
        probes = rng.sample(expected, min(3, len(expected))) + rng.sample(sorted(index._slots), 3)
        for key in probes:
            hint = rng.choice([None, 0, 7])
            place = expected.index(key) if key in expected else None
            assert index.position(key, hint=hint) == place
        assert [index.key_at(row) for row in range(index.row_count())] == expected


def test_apply_in_steps_gives_what_apply_gives_a_slice_at_a_time() -> None:
    """A large update is taken in slices (the UI loop runs between them), same result."""
    jobs = [make_job("a", n, JobState.RUNNING) for n in range(1, 5_001)]
    changed = [replace(job, state=JobState.FAILED, status="error_user") for job in jobs[::2]]
    fresh = [make_job("a", n) for n in range(5_001, 5_101)]
    whole, sliced = JobIndex(now=lambda: NOW), JobIndex(now=lambda: NOW)
    for index in (whole, sliced):
        index.upsert(jobs)
        index.set_sort(Column.STATE, False)
        index.row_count()
    update = whole.diff(changed + fresh, account="a")
    expected = whole.apply(update)
    steps = sliced.apply_steps(update, 1_000)
    slices = 0
    while True:
        try:
            next(steps)
        except StopIteration as done:
            got = done.value
            break
        slices += 1
    assert slices == 3  # 2,600 jobs in slices of 1,000
    assert (got.added, got.changed, got.removed) == (
        expected.added,
        expected.changed,
        expected.removed,
    )
    assert [sliced[row] for row in range(sliced.row_count())] == [
        whole[row] for row in range(whole.row_count())
    ]
