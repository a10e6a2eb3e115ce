"""The error tree and the exit code each error gives."""

from __future__ import annotations

import asyncio

import pytest

from tui import commands
from tui.config import AccountConfig
from tui.errors import (
    AuthError,
    BadResponseError,
    ConfigError,
    JobtopError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    StoreError,
    UnavailableError,
)
from tui.exit_codes import (
    EXIT_AUTH,
    EXIT_BAD_RESPONSE,
    EXIT_CONFIG,
    EXIT_NOT_FOUND,
    EXIT_RATE_LIMITED,
    EXIT_STORE,
    EXIT_UNAVAILABLE,
    exit_code_for,
)
from tui.models import ProviderName


def test_provider_config_and_store_errors_are_siblings_under_one_root() -> None:
    for kind in (ProviderError, ConfigError, StoreError):
        assert issubclass(kind, JobtopError)
    assert not issubclass(ConfigError, ProviderError)
    assert not issubclass(StoreError, ProviderError)
    assert not issubclass(StoreError, ConfigError)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("no account named 'x'"), EXIT_CONFIG),
        (StoreError("the store is corrupt", problem="corrupt"), EXIT_STORE),
        (AuthError("refused", status_code=401), EXIT_AUTH),
        (NotFoundError("no such job"), EXIT_NOT_FOUND),
        (RateLimitedError("slow down", retry_after=3.0), EXIT_RATE_LIMITED),
        (UnavailableError("down"), EXIT_UNAVAILABLE),
        (BadResponseError("not JSON"), EXIT_BAD_RESPONSE),
        (ProviderError("HTTP 400"), EXIT_UNAVAILABLE),
    ],
)
def test_every_error_has_its_documented_exit_code(error: JobtopError, code: int) -> None:
    assert exit_code_for(error) == code


def test_reworded_is_a_new_error_of_the_same_kind_and_leaves_the_caught_one_alone() -> None:
    caught = RateLimitedError("slow down", retry_after=7.0, account=None, status_code=429)
    new = caught.reworded("job 9 was not added: slow down", account="zoo")
    assert type(new) is RateLimitedError and new is not caught
    assert (new.message, new.account, new.retry_after, new.status_code) == (
        "job 9 was not added: slow down",
        "zoo",
        7.0,
        429,
    )
    assert (caught.message, caught.account) == ("slow down", None)
    named = AuthError("refused", account="mf").reworded(account="zoo")
    assert named.account == "mf"  # an account it already names stays
    store = StoreError("locked", problem="locked", path="/x/jobs.db").reworded("still locked")
    assert (store.problem, store.path, str(store)) == ("locked", "/x/jobs.db", "still locked")
    assert ConfigError("bad").reworded(account="zoo").sentence == "zoo: configuration error: bad"


def test_a_refused_track_id_is_raised_from_the_providers_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`track` adds the id to the provider's answer with a new error raised `from` it."""
    answer = NotFoundError("no such job", status_code=404)

    class Provider:
        async def get_job(self, job_id: str, parent_id: str | None) -> None:
            raise answer

        async def aclose(self) -> None:
            return None

    monkeypatch.setattr(commands, "_provider", lambda account: Provider())
    account = AccountConfig(name="zoo", provider=ProviderName.ZOO, base_url="http://127.0.0.1:9")
    with pytest.raises(NotFoundError) as raised:
        asyncio.run(commands._check_ids(account, ["j-1"]))
    assert raised.value is not answer and raised.value.__cause__ is answer
    assert raised.value.message == "j-1 was not added: no such job"
    assert answer.message == "no such job"
