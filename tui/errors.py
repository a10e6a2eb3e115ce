"""The error tree every provider failure is translated into.

    ProviderError                 anything that went wrong talking to a source
    ├── AuthError                 401/403: the token is missing, wrong or lacks permission
    ├── NotFoundError             404: the job, dataset or project does not exist
    ├── RateLimitedError          429: slow down; carries `retry_after` seconds
    ├── UnavailableError          5xx, timeouts, refused or reset connections
    ├── BadResponseError          a body that is not JSON, too large, or the wrong shape
    └── ConfigError               a config file or account that cannot be used

    StoreError                    the local job store cannot be opened, read or written
                                  (not a source's fault: a separate root, so no handler of
                                  provider errors mistakes it for a failing source)

Each class has a human `title`; `str(error)` is one sentence a person understands and
never contains a token (messages are built from status codes and cleaned server text).
Any of them may carry `retry_after`, the seconds a `Retry-After` header asked to wait.
"""

from __future__ import annotations

from typing import ClassVar, Literal


class ProviderError(Exception):
    """Base of every error jobtop reports about a source or its configuration."""

    title: ClassVar[str] = "Provider error"

    def __init__(
        self,
        message: str,
        *,
        account: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        """One sentence saying what went wrong."""
        self.account = account
        """The source (account name) it happened on, when known."""
        self.status_code = status_code
        """The HTTP status, when there was one."""
        self.retry_after = retry_after
        """Seconds the answer's `Retry-After` asked to wait (any status), capped; else None."""

    def __str__(self) -> str:
        return self.message

    @property
    def sentence(self) -> str:
        """The title and message as one line for status bars and stderr."""
        where = f"{self.account}: " if self.account else ""
        return f"{where}{self.title.lower()}: {self.message}"


class AuthError(ProviderError):
    """The credential was refused (401) or lacks permission (403)."""

    title = "Authentication failed"


class NotFoundError(ProviderError):
    """The requested resource does not exist (404)."""

    title = "Not found"


class RateLimitedError(ProviderError):
    """The provider asked us to slow down (429)."""

    title = "Rate limited"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        account: str | None = None,
        status_code: int | None = 429,
    ) -> None:
        super().__init__(
            message, account=account, status_code=status_code, retry_after=retry_after
        )


class UnavailableError(ProviderError):
    """The provider could not be reached or failed on its side (5xx, timeout, reset)."""

    title = "Provider unavailable"


class BadResponseError(ProviderError):
    """The provider answered with something we cannot use (not JSON, wrong shape, too big)."""

    title = "Bad response"


class ConfigError(ProviderError):
    """A config file, account or command-line value that cannot be used."""

    title = "Configuration error"


StoreProblem = Literal["corrupt", "locked", "full", "unwritable", "unsafe"]
"""What is wrong with the store: `corrupt` (not a database, or damaged), `locked` (another
program held the write lock too long), `full` (no space, or the file size limit),
`unwritable` (read-only, missing permission, cannot be created) or `unsafe` (a symlink,
or a directory others may write to)."""


class StoreError(Exception):
    """The local job store cannot be used; `str(error)` is one sentence."""

    title: ClassVar[str] = "Job store error"

    def __init__(self, message: str, *, problem: StoreProblem, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        """One sentence saying what went wrong and what to do."""
        self.problem: StoreProblem = problem
        self.path = path
        """The database file, when the store is a file."""

    def __str__(self) -> str:
        return self.message

    @property
    def corrupt(self) -> bool:
        """True when moving the file aside and starting afresh is the way out."""
        return self.problem == "corrupt"

    @property
    def sentence(self) -> str:
        """The title and message as one line for status bars and stderr."""
        return f"{self.title.lower()}: {self.message}"
