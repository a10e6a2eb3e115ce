"""The `jobtop` command line: parse arguments, load settings once, dispatch.

Heavy imports (Textual, httpx, the simulator) happen inside the commands that need them,
so `jobtop --version` and `--help` stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from tui import __version__
from tui.errors import (
    AuthError,
    BadResponseError,
    ConfigError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.image_protocol import ImageProtocol

EXIT_OK = 0
EXIT_JOB_FAILED = 1
EXIT_JOB_CANCELED = 2
EXIT_USAGE = 64
EXIT_NOT_FOUND = 66
EXIT_UNAVAILABLE = 69
EXIT_RATE_LIMITED = 75
EXIT_BAD_RESPONSE = 76
EXIT_AUTH = 77
EXIT_CONFIG = 78
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """\
exit codes:
  0   success
  1   watch --exit-status: the job failed
  2   watch --exit-status: the job was canceled
  64  the command line is wrong
  66  no such job (the provider answered 404)
  69  the provider is unavailable (5xx, timeout, connection refused or reset)
  75  the provider is rate limiting us (429)
  76  the provider sent a response jobtop cannot use
  77  the provider refused the token (401/403)
  78  the configuration is wrong (bad file, unknown account, missing token)
  130 interrupted (Ctrl-C)
"""

CONFIG_HELP = """\
configuration:
  The config file is the first of: --config PATH, $JOBTOP_CONFIG, then
  <user config dir>/jobtop/config.toml. Precedence for every setting:
  command line > environment (JOBTOP_REFRESH, JOBTOP_BELL, JOBTOP_LOW_BANDWIDTH,
  JOBTOP_IMAGE_PROTOCOL, JOBTOP_THEME, JOBTOP_LOG) > config file > defaults. Tokens come from the variable named by each account's
  token_env (a literal `token =` only in a file readable by its owner alone).
  With no config file at all, jobtop starts the demo and says so.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"jobtop: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every jobtop command."""
    parser = _Parser(
        prog="jobtop",
        description="A terminal dashboard for asynchronous conversion jobs on Zoo, "
        "Metafold, LettrLabs and hdrjpg.",
        epilog=CONFIG_HELP + "\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"jobtop {__version__}")
    _add_common(parser)
    parser.add_argument("--demo", action="store_true", help="run on the built-in simulator (no account needed)")
    parser.add_argument("--bell", action="store_true", default=None, help="ring the terminal bell on failures and finishes")
    parser.add_argument("--low-bandwidth", action="store_true", default=None, help="fewer frames, no animations, slower age updates (for slow SSH)")
    parser.add_argument(
        "--image-protocol", choices=("auto", "kitty", "sixel", "halfblock"), default=None,
        help="how snapshot images are drawn (default auto: Kitty or Sixel where the terminal "
        "is known to support them, half blocks elsewhere)",
    )
    parser.add_argument("--theme", choices=("dark", "light"), default=None,
                        help="colours for a dark or a light terminal (default dark)")
    parser.add_argument("--demo-jobs", type=int, default=300, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("--demo-seed", type=int, default=7, metavar="S", help=argparse.SUPPRESS)
    parser.add_argument("--demo-fault", action="append", default=[], metavar="SPEC", help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    list_parser = commands.add_parser("list", help="one refresh, printed as a table or JSON")
    _add_common(list_parser)
    list_parser.add_argument("--account", action="append", default=[], help="only this account (repeatable)")
    list_parser.add_argument("--provider", action="append", default=[], help="only this provider (repeatable)")
    list_parser.add_argument("--state", action="append", default=[], help="only this normalized state (repeatable)")
    list_parser.add_argument("--status", help="only this raw provider status")
    list_parser.add_argument("--sort", default="created_at:desc", metavar="KEY[:asc|:desc]", help="sort key (default created_at:desc)")
    list_parser.add_argument("--limit", type=int, help="print at most N jobs")
    list_parser.add_argument("--json", action="store_true", help="print a JSON array of normalized jobs")

    show_parser = commands.add_parser("show", help="one job's detail")
    _add_common(show_parser)
    show_parser.add_argument("account")
    show_parser.add_argument("id")
    show_parser.add_argument("--json", action="store_true", help="the normalized job plus a `raw` key")

    watch_parser = commands.add_parser("watch", help="print each transition until the job ends")
    _add_common(watch_parser)
    watch_parser.add_argument("account")
    watch_parser.add_argument("id")
    watch_parser.add_argument("--exit-status", action="store_true", help="exit 0 on success, 1 on failure, 2 on cancel")

    track_parser = commands.add_parser("track", help="manage tracked ids")
    _add_common(track_parser)
    track_commands = track_parser.add_subparsers(dest="track_command", metavar="ACTION", required=True, parser_class=_Parser)
    track_add = track_commands.add_parser("add", help="track ids (checked with the provider)")
    track_add.add_argument("account")
    track_add.add_argument("ids", nargs="+", metavar="ID")
    track_add.add_argument("--no-check", action="store_true", help="do not ask the provider whether the ids exist")
    track_remove = track_commands.add_parser("remove", help="stop tracking ids")
    track_remove.add_argument("account")
    track_remove.add_argument("ids", nargs="+", metavar="ID")
    track_list = track_commands.add_parser("list", help="list tracked ids")
    track_list.add_argument("account", nargs="?")
    for track_action in (track_add, track_remove, track_list):
        _add_common(track_action)

    commands.add_parser("sim", help="run the simulator as a standalone server", add_help=False)
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file (also $JOBTOP_CONFIG)")
    parser.add_argument("--interval", type=float, metavar="SECONDS", default=argparse.SUPPRESS, help="seconds between refreshes")
    parser.add_argument("--log-file", metavar="PATH", default=argparse.SUPPRESS,
                        help="append a log to PATH (created 0600; tokens never written)")
    parser.add_argument("--log-level", choices=("debug", "info", "warning"), default=argparse.SUPPRESS,
                        help="log from this level (also $JOBTOP_LOG); alone, logs to jobtop.log "
                        "in the state directory")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the `jobtop` console script."""
    sys.exit(run(list(sys.argv[1:] if argv is None else argv)))


def run(argv: list[str]) -> int:
    """Run one jobtop command and return its exit code (errors as one sentence on stderr)."""
    if argv and argv[0] == "sim":
        from tui.sim.cli import main as sim_main

        return sim_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except ProviderError as error:
        print(f"jobtop: {error.sentence}", file=sys.stderr)
        return exit_code_for(error)


def exit_code_for(error: ProviderError) -> int:
    """The documented exit code for an error."""
    for error_type, code in (
        (ConfigError, EXIT_CONFIG),
        (AuthError, EXIT_AUTH),
        (NotFoundError, EXIT_NOT_FOUND),
        (RateLimitedError, EXIT_RATE_LIMITED),
        (UnavailableError, EXIT_UNAVAILABLE),
        (BadResponseError, EXIT_BAD_RESPONSE),
    ):
        if isinstance(error, error_type):
            return code
    return EXIT_UNAVAILABLE


def _image_protocol(value: str | None) -> ImageProtocol | None:
    from tui.image_protocol import parse_image_protocol

    return None if value is None else parse_image_protocol(value)


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value).expanduser()


def _dispatch(args: argparse.Namespace) -> int:
    from tui.config import Overrides, load_settings

    overrides = Overrides(
        refresh=getattr(args, "interval", None),
        bell=getattr(args, "bell", None),
        low_bandwidth=getattr(args, "low_bandwidth", None),
        image_protocol=_image_protocol(getattr(args, "image_protocol", None)),
        theme=getattr(args, "theme", None),
        log_file=_path(getattr(args, "log_file", None)),
        log_level=getattr(args, "log_level", None),
    )
    if args.command is None:
        from tui.dashboard import run_dashboard

        if args.demo:
            return run_dashboard(
                None, overrides, demo_jobs=args.demo_jobs, demo_seed=args.demo_seed,
                demo_faults=args.demo_fault,
            )
        settings = load_settings(getattr(args, "config", None), cli=overrides)
        if not settings.accounts:
            print("jobtop: no accounts configured; starting the demo on the built-in simulator.", file=sys.stderr)
            return run_dashboard(
                None, overrides, demo_jobs=args.demo_jobs, demo_seed=args.demo_seed,
                demo_faults=args.demo_fault,
            )
        return run_dashboard(settings, overrides)
    settings = load_settings(getattr(args, "config", None), cli=overrides)
    from tui.logfile import logging_to

    with logging_to(settings):
        return _run_command(settings, args)


def _run_command(settings: Settings, args: argparse.Namespace) -> int:
    from tui import commands

    if args.command == "list":
        return commands.list_command(settings, args)
    if args.command == "show":
        return commands.show_command(settings, args.account, args.id, as_json=args.json)
    if args.command == "watch":
        return commands.watch_command(
            settings, args.account, args.id, exit_status=args.exit_status, interval=getattr(args, "interval", None)
        )
    if args.command == "track":
        return commands.track_command(settings, args)
    raise ConfigError(f"unknown command {args.command!r}")


if __name__ == "__main__":
    main()
