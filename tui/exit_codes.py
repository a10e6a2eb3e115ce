"""Every exit code jobtop returns, what it means, and which error gives which.

The README's exit-code table and `jobtop --help` (`EXIT_CODES_HELP`) list exactly these
codes; a test compares the three.
"""

from __future__ import annotations

from tui.errors import (
    AuthError,
    BadResponseError,
    ConfigError,
    JobtopError,
    NotFoundError,
    RateLimitedError,
    StoreError,
    UnavailableError,
)

EXIT_OK = 0
EXIT_JOB_FAILED = 1
"""`watch --exit-status`: the job failed."""
EXIT_JOB_CANCELED = 2
"""`watch --exit-status`: the job was canceled."""
EXIT_INCOMPLETE = 3
"""`list`: a source's listing stopped at a cap (stderr says which and how much is left out)."""
EXIT_USAGE = 64
EXIT_NOT_FOUND = 66
EXIT_UNAVAILABLE = 69
EXIT_LISTEN = 71
EXIT_STORE_OWNED = 73
EXIT_STORE = 74
EXIT_RATE_LIMITED = 75
EXIT_BAD_RESPONSE = 76
EXIT_AUTH = 77
EXIT_CONFIG = 78
EXIT_NO_POLLER = 79
EXIT_HANGUP = 129
"""The dashboard's terminal went away (SIGHUP, or the terminal or parent is gone)."""
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143
"""The dashboard was asked to stop (SIGTERM)."""

EXIT_CODES_HELP = """\
exit codes:
  0   success
  1   watch --exit-status: the job failed
  2   watch --exit-status: the job was canceled
  3   list: a source's listing stopped at a cap (incomplete: first N of M … on
      stderr; the jobs printed are that first part)
  64  the command line is wrong
  66  no such job (the provider answered 404)
  69  the provider is unavailable (5xx, timeout, connection refused or reset)
  71  serve: the --listen address cannot be bound
  73  serve: another jobtop serve already writes the job store (its pid is said)
  74  the local job store cannot be used (corrupt, locked, disk full, unwritable);
      list, show and watch still print what they fetched (watch --exit-status
      still exits with the job's outcome)
  75  the provider is rate limiting us (429)
  76  the provider sent a response jobtop cannot use
  77  the provider refused the token (401/403)
  78  the configuration is wrong (bad file, unknown account, missing token)
  79  --attach: no jobtop serve writes the job store (how old its data is is said)
  129 the dashboard's terminal closed (SIGHUP)
  130 interrupted (Ctrl-C)
  141 the output pipe was closed early (`jobtop list | head`): output stops quietly
  143 the dashboard was asked to stop (SIGTERM)
"""

_BY_ERROR: tuple[tuple[type[JobtopError], int], ...] = (
    (ConfigError, EXIT_CONFIG),
    (StoreError, EXIT_STORE),
    (AuthError, EXIT_AUTH),
    (NotFoundError, EXIT_NOT_FOUND),
    (RateLimitedError, EXIT_RATE_LIMITED),
    (UnavailableError, EXIT_UNAVAILABLE),
    (BadResponseError, EXIT_BAD_RESPONSE),
)


def exit_code_for(error: JobtopError) -> int:
    """The documented exit code for an error (any other provider error: unavailable)."""
    for error_type, code in _BY_ERROR:
        if isinstance(error, error_type):
            return code
    return EXIT_UNAVAILABLE
