"""The error tree: every failure jobtop reports is one of these, with one sentence.

    JobtopError                   the root: a `title` and a one-sentence message
    ├── ProviderError             anything that went wrong talking to a source
    │   ├── AuthError             401/403: the token is missing, wrong or lacks permission
    │   ├── NotFoundError         404: the job, dataset or project does not exist
    │   ├── RateLimitedError      429: slow down; carries `retry_after` seconds
    │   ├── UnavailableError      5xx, timeouts, refused or reset connections
    │   └── BadResponseError      a body that is not JSON, too large, or the wrong shape
    ├── ConfigError               a config file, account or command-line value that cannot
    │                             be used (not a source's fault)
    └── StoreError                the local job store cannot be opened, read or written

The three branches are siblings, so a handler of provider errors never mistakes a bad
config or a broken store for a failing source. `str(error)` is one sentence a person
understands and never contains a token (messages are built from status codes and cleaned
server text). A provider error may carry `retry_after`, the seconds a `Retry-After` header
asked to wait. Context is added by raising a new error `from` the old one (`reworded`),
never by changing a caught one.
"""

from __future__ import annotations

from typing import ClassVar, Literal, Self


class JobtopError(Exception):
    """Base of every error jobtop reports: a title and one sentence."""

    title: ClassVar[str] = "Error"

    def __init__(self, message: str, *, account: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        """One sentence saying what went wrong."""
        self.account = account
        """The source (account name) it concerns, when there is one."""

    def __str__(self) -> str:
        return self.message

    @property
    def sentence(self) -> str:
        """The title and message as one line for status bars and stderr."""
        where = f"{self.account}: " if self.account else ""
        return f"{where}{self.title.lower()}: {self.message}"

    def reworded(self, message: str | None = None, *, account: str | None = None) -> Self:
        """A new error of the same kind with another message and/or the account filled in
        (an account it already names stays); raise it `from` this one."""
        return type(self)(
            self.message if message is None else message, account=self.account or account
        )


class ProviderError(JobtopError):
    """Base of every error about a source: what it answered, or that it did not."""

    title: ClassVar[str] = "Provider error"

    def __init__(
        self,
        message: str,
        *,
        account: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, account=account)
        self.status_code = status_code
        """The HTTP status, when there was one."""
        self.retry_after = retry_after
        """Seconds the answer's `Retry-After` asked to wait (any status), capped; else None."""

    def reworded(self, message: str | None = None, *, account: str | None = None) -> Self:
        """See `JobtopError.reworded`; the status and `Retry-After` stay."""
        return type(self)(
            self.message if message is None else message,
            account=self.account or account,
            status_code=self.status_code,
            retry_after=self.retry_after,
        )


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
        super().__init__(message, account=account, status_code=status_code, retry_after=retry_after)


class UnavailableError(ProviderError):
    """The provider could not be reached or failed on its side (5xx, timeout, reset)."""

    title = "Provider unavailable"


class BadResponseError(ProviderError):
    """The provider answered with something we cannot use (not JSON, wrong shape, too big)."""

    title = "Bad response"


class ConfigError(JobtopError):
    """A config file, account or command-line value that cannot be used."""

    title = "Configuration error"


StoreProblem = Literal["corrupt", "locked", "full", "unwritable", "unsafe"]
"""What is wrong with the store: `corrupt` (not a database, or damaged), `locked` (another
program held the write lock too long), `full` (no space, or the file size limit),
`unwritable` (read-only, missing permission, cannot be created) or `unsafe` (a symlink,
or a directory others may write to)."""


class StoreError(JobtopError):
    """The local job store cannot be used; `str(error)` is one sentence saying what went
    wrong and what to do."""

    title: ClassVar[str] = "Job store error"

    def __init__(self, message: str, *, problem: StoreProblem, path: str | None = None) -> None:
        super().__init__(message)
        self.problem: StoreProblem = problem
        self.path = path
        """The database file, when the store is a file."""

    def reworded(self, message: str | None = None, *, account: str | None = None) -> Self:
        """See `JobtopError.reworded`; the problem and path stay (a store has no account)."""
        return type(self)(
            self.message if message is None else message, problem=self.problem, path=self.path
        )

    @property
    def corrupt(self) -> bool:
        """True when moving the file aside and starting afresh is the way out."""
        return self.problem == "corrupt"
