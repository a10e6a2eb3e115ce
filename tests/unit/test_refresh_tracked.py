"""A source that only tracks ids fails when none of them can be fetched, not before."""

from __future__ import annotations

import random

import pytest

from tui.errors import NotFoundError, RateLimitedError, UnavailableError
from tui.providers.base import ListQuery, ListResult
from tui.sync.policy import RefreshPolicy, retry_after_seconds
from tui.sync.source import raise_if_nothing_fetched


def test_every_tracked_id_failing_is_a_source_failure() -> None:
    query = ListQuery(tracked_ids=("a", "b", "c"), skip_ids=frozenset({"c"}))
    result = ListResult(
        jobs=[],
        tracked_errors={
            "a": NotFoundError("hdrjpg has no conversion a.", account="hdr", status_code=404),
            "b": NotFoundError("hdrjpg has no conversion b.", account="hdr", status_code=404),
        },
    )
    with pytest.raises(NotFoundError) as caught:
        raise_if_nothing_fetched(query, result)
    assert (
        str(caught.value)
        == "all 2 tracked ids failed; the first answer was: hdrjpg has no conversion a."
    )
    assert caught.value.account == "hdr"


def test_some_tracked_ids_failing_is_not() -> None:
    query = ListQuery(tracked_ids=("a", "b"))
    result = ListResult(jobs=[], tracked_errors={"a": NotFoundError("gone")})
    raise_if_nothing_fetched(query, result)


def test_nothing_tracked_and_nothing_listed_is_fine() -> None:
    raise_if_nothing_fetched(ListQuery(), ListResult(jobs=[]))


def test_rate_limit_keeps_its_retry_after() -> None:
    limited = RateLimitedError("slow down", retry_after=7)
    with pytest.raises(RateLimitedError) as caught:
        raise_if_nothing_fetched(
            ListQuery(tracked_ids=("a",)), ListResult(jobs=[], tracked_errors={"a": limited})
        )
    assert caught.value.retry_after == 7


def test_a_retry_after_on_any_status_holds_the_next_refresh() -> None:
    unavailable = UnavailableError("down", status_code=503, retry_after=120)
    assert retry_after_seconds(unavailable) == 120
    assert retry_after_seconds(UnavailableError("down")) is None
    policy = RefreshPolicy(interval=5, min_interval=2)
    assert policy.next_delay(1, unavailable, random.Random(1)) >= 120
    assert policy.shortest_delay(unavailable) == 120


def test_every_tracked_id_failing_keeps_the_retry_after() -> None:
    down = UnavailableError("hdrjpg failed.", account="hdr", status_code=503, retry_after=9)
    result = ListResult(jobs=[], tracked_errors={"a": down})
    with pytest.raises(UnavailableError) as caught:
        raise_if_nothing_fetched(ListQuery(tracked_ids=("a",)), result)
    assert caught.value.retry_after == 9
