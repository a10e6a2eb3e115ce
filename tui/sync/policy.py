"""The one poll policy: how long a source (or one polled job) waits before its next fetch.

Every front end polls through it: the dashboard's refresh loops (`tui.sync.engine`), the
detail screen's poll, and the CLI's `watch`. The next run is scheduled only after the last
one ended, so runs never overlap. After errors the wait grows with jitter up to the
policy's `max_backoff`; `RefreshPolicy.for_source` caps it at the interval, so a failing
source is retried every interval plus up to 20 % jitter and recovers within about one
interval once the fault clears. A refused credential (401/403) waits several intervals
instead, and says so. A server's `Retry-After` is honoured whatever the status, and
`shortest_delay` holds even a refresh asked for by hand. Provider floors come from
`Capabilities.min_poll_interval` only. No Textual here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tui.errors import AuthError, ProviderError
from tui.formatting import fmt_duration
from tui.providers.base import Capabilities

INTERVAL_STEPS: tuple[float, ...] = (0.5, 1, 2, 3, 5, 10, 15, 30, 60, 120, 300, 600)
"""The intervals `+` and `-` step through."""

MAX_BACKOFF = 300.0
"""The default cap on the wait after errors (5 minutes); the dashboard caps at its interval."""

MAX_RETRY_AFTER = 900.0
"""The longest `Retry-After` obeyed; a server asking for more gets this."""

AUTH_BACKOFF_INTERVALS = 6
"""A refused credential waits this many intervals before the next try..."""
AUTH_MIN_WAIT = 60.0
"""...and never less than this: a wrong token is not fixed in a second or two."""


@dataclass(frozen=True, slots=True)
class RefreshPolicy:
    """How often one source is refreshed.

    Args:
        interval: Seconds between successful refreshes.
        min_interval: The provider's floor (hdrjpg: 2 s); never polled faster.
        jitter: Fraction of random spread added to error backoff (0.2 = up to +20 %).
        max_backoff: The cap on the wait after errors. `for_source` passes the interval,
            so error waits do not grow past one interval (a refused credential excepted).
    """

    interval: float
    min_interval: float = 0.0
    jitter: float = 0.2
    max_backoff: float = MAX_BACKOFF

    @classmethod
    def for_source(cls, interval: float, capabilities: Capabilities | None = None) -> RefreshPolicy:
        """The policy every front end uses for one source polled every `interval` seconds.

        Its floor is the provider's `Capabilities.min_poll_interval`. A failing source is
        retried at its interval, not after a growing backoff, so it recovers within one
        interval once the fault clears; a failing poll stops at its first failed request,
        so this never asks more of a server than refreshing does.
        """
        floor = float(capabilities.min_poll_interval) if capabilities is not None else 0.0
        return cls(interval=interval, min_interval=floor, max_backoff=max(interval, floor))

    @property
    def effective_interval(self) -> float:
        """The interval with the provider's floor applied."""
        return max(self.interval, self.min_interval)

    def next_delay(
        self,
        failures: int = 0,
        error: ProviderError | None = None,
        rng: random.Random | None = None,
    ) -> float:
        """Seconds to wait before the next refresh.

        Args:
            failures: Consecutive failed refreshes so far (0 after a success).
            error: The last error, if the last refresh failed.
            rng: Source of jitter (tests pass a seeded one).

        Returns:
            The interval after a success. After failures, the interval doubled per
            failure plus up to `jitter` of it, held under `max_backoff` (plus its jitter);
            with `for_source`'s cap of one interval that is the interval plus jitter,
            never a growing wait. A refused credential (or an unusable account) waits
            `auth_wait` instead. Never less than a server's `Retry-After`.
        """
        base = self.effective_interval
        if failures <= 0:
            return base
        delay = backoff(failures, base, self.max_backoff, self.jitter, rng)
        if refused(error):
            delay = max(delay, self.auth_wait)
        retry_after = retry_after_seconds(error)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    def shortest_delay(self, error: ProviderError | None = None) -> float:
        """The least wait after a refresh before the next, even one asked for (`r`).

        Args:
            error: The last refresh's error, if it failed.

        Returns:
            The provider's floor, or a rate limit's `Retry-After` if that is longer.
        """
        return max(self.min_interval, retry_after_seconds(error) or 0.0)

    @property
    def auth_wait(self) -> float:
        """The wait after a refused credential: several intervals, at least a minute, and
        at most `MAX_BACKOFF` (or one interval if that is longer)."""
        wanted = max(AUTH_BACKOFF_INTERVALS * self.effective_interval, AUTH_MIN_WAIT)
        return min(wanted, max(MAX_BACKOFF, self.effective_interval))


def refused(error: ProviderError | None) -> bool:
    """True for a credential refused (401/403) or missing."""
    return isinstance(error, AuthError)


def wait_note(error: ProviderError | None, delay: float) -> str | None:
    """Why the next try waits longer than the interval, as a phrase, or None.

    Args:
        error: The last failure.
        delay: Seconds until the next try.
    """
    if refused(error):
        return f"as the credential was refused, the next try is in {fmt_duration(delay)}"
    if retry_after_seconds(error) is not None:
        return f"as the server asked to wait, the next try is in {fmt_duration(delay)}"
    return None


def failure_sentence(error: ProviderError, note: str | None = None) -> str:
    """The error's title and message as one sentence, with `wait_note`'s phrase if any."""
    message = str(error).rstrip()
    if not note:
        return f"{error.title}: {message}"
    return f"{error.title}: {message.rstrip('.')}; {note}."


def backoff(
    failures: int,
    base: float,
    cap: float = MAX_BACKOFF,
    jitter: float = 0.2,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with jitter: `base * 2**(failures-1)`, capped, plus up to `jitter`."""
    exponent = min(max(failures - 1, 0), 20)
    delay = min(cap, base * 2.0**exponent)
    spread = (rng or random).random() * jitter * delay
    return min(cap * (1 + jitter), delay + spread)


def retry_after_seconds(error: ProviderError | None) -> float | None:
    """The wait a server asked for (`Retry-After`, on any status), at most `MAX_RETRY_AFTER`.

    None when the error carries none.
    """
    retry_after = getattr(error, "retry_after", None)
    if error is None or retry_after is None:
        return None
    try:
        value = float(retry_after)
    except (TypeError, ValueError):
        return None
    if value != value or value < 0:
        return None
    return min(value, MAX_RETRY_AFTER)


def faster(interval: float) -> float:
    """The next shorter interval step (`-` key... `+` speeds up: shorter wait)."""
    shorter = [step for step in INTERVAL_STEPS if step < interval - 1e-9]
    return shorter[-1] if shorter else INTERVAL_STEPS[0]


def slower(interval: float) -> float:
    """The next longer interval step."""
    longer = [step for step in INTERVAL_STEPS if step > interval + 1e-9]
    return longer[0] if longer else INTERVAL_STEPS[-1]


def age_tick(low_bandwidth: bool) -> float:
    """Seconds between repaints of relative ages (slower over a thin link)."""
    return 30.0 if low_bandwidth else 10.0
