"""The `jobtop` command line: parse arguments, load settings once, dispatch.

Heavy imports (Textual, httpx, the simulator) happen inside the commands that need them,
so `jobtop --version` and `--help` stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from tui import __version__
from tui.arguments import (
    JOB_FIELDS,
    PROVIDERS,
    SHOW_FIELDS,
    STATES,
    fields_arg,
    jq_arg,
    limit_arg,
    since_arg,
    sort_arg,
)
from tui.errors import ConfigError, JobtopError
from tui.exit_codes import (
    EXIT_BROKEN_PIPE,
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_NO_POLLER,
    EXIT_OK,
    EXIT_USAGE,
    exit_code_for,
)
from tui.image_protocol import ImageProtocol, parse_image_protocol

if TYPE_CHECKING:
    from tui.config import Settings

CONFIG_HELP = """\
configuration:
  The config file is the first of: --config PATH, $JOBTOP_CONFIG, then
  <user config dir>/jobtop/config.toml. Precedence for every setting:
  command line > environment (JOBTOP_REFRESH, JOBTOP_BELL, JOBTOP_LOW_BANDWIDTH,
  JOBTOP_IMAGE_PROTOCOL, JOBTOP_THEME, JOBTOP_LOG) > config file > defaults. Tokens come
  from the variable named by each account's token_env (a literal `token =` only in a file
  readable by its owner alone).
  The job store (tracked ids, last snapshots, transitions) lives in $JOBTOP_STATE_DIR, by
  default the user state dir; `jobtop config path` prints both places.
  With no config file at all, the dashboard starts the demo and says so; `--demo` runs
  list, show, watch and track on the built-in simulator too.
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
    parser.add_argument(
        "--demo", action="store_true", help="run on the built-in simulator (no account needed)"
    )
    parser.add_argument(
        "--bell",
        action="store_true",
        default=None,
        help="ring the terminal bell on failures and finishes",
    )
    parser.add_argument(
        "--low-bandwidth",
        action="store_true",
        default=None,
        help="fewer frames, no animations, slower age updates (for slow SSH)",
    )
    parser.add_argument(
        "--image-protocol",
        choices=("auto", "kitty", "sixel", "halfblock"),
        default=None,
        help="how snapshot images are drawn (default auto: Kitty or Sixel where the terminal "
        "is known to support them, half blocks elsewhere)",
    )
    parser.add_argument(
        "--theme",
        choices=("dark", "light"),
        default=None,
        help="colours for a dark or a light terminal (default dark)",
    )
    parser.add_argument("--demo-jobs", type=int, default=300, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("--demo-seed", type=int, default=7, metavar="S", help=argparse.SUPPRESS)
    parser.add_argument(
        "--demo-fault", action="append", default=[], metavar="SPEC", help=argparse.SUPPRESS
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    list_parser = commands.add_parser(
        "list",
        help="one refresh, printed as a table (terminal), TSV (pipe) or JSON",
        description="One refresh of the configured sources. On a terminal: an aligned table. "
        "Piped: tab-separated lines (times ISO 8601 UTC, duration in seconds, empty fields "
        "for missing values), a header line only with --header. --json prints a JSON array.",
    )
    _add_common(list_parser)
    _add_demo(list_parser)
    _accounts(
        list_parser.add_argument(
            "--account", action="append", default=[], help="only this account (repeatable)"
        )
    )
    list_parser.add_argument(
        "--provider",
        action="append",
        default=[],
        choices=PROVIDERS,
        help="only this provider (repeatable)",
    )
    list_parser.add_argument(
        "--state",
        action="append",
        default=[],
        choices=STATES,
        help="only this normalized state (repeatable)",
    )
    list_parser.add_argument("--status", help="only this raw provider status")
    list_parser.add_argument(
        "--since",
        type=since_arg,
        metavar="SPAN",
        help="only jobs that changed (finished, else updated, else created) within SPAN: "
        "30m, 1h, 2d",
    )
    list_parser.add_argument(
        "--error", metavar="TEXT", help="only jobs whose error contains TEXT (any case)"
    )
    list_parser.add_argument(
        "--sort",
        type=sort_arg,
        default=sort_arg("created_at:desc"),
        metavar="KEY[:asc|:desc]",
        help="sort key: state, account, id, name, status, age, duration, progress (the "
        "dashboard's columns) or a JSON key (default created_at:desc)",
    )
    list_parser.add_argument("--limit", type=limit_arg, metavar="N", help="print at most N jobs")
    _add_json(list_parser, JOB_FIELDS, fields_arg, jq_arg, "a JSON array of normalized jobs")
    list_parser.add_argument(
        "--header", action="store_true", help="piped output: start with a header line"
    )

    show_parser = commands.add_parser(
        "show",
        help="one job's detail",
        description="One job's detail. Without ACCOUNT the job is looked for on every "
        "configured account (if several have it, they are listed and the exit code is 64).",
    )
    _add_common(show_parser)
    _add_demo(show_parser)
    _accounts(
        show_parser.add_argument(
            "account", nargs="?", metavar="ACCOUNT", help="the account (default: find it)"
        )
    )
    show_parser.add_argument("id", metavar="ID")
    _add_json(show_parser, SHOW_FIELDS, fields_arg, jq_arg, "the normalized job plus a `raw` key")

    watch_parser = commands.add_parser(
        "watch",
        help="print each change until the job ends",
        description="Print a line whenever the job's state, status, progress or phase "
        "changes, then its final state and how long it ran.",
    )
    _add_common(watch_parser)
    _add_demo(watch_parser)
    _accounts(
        watch_parser.add_argument(
            "account", nargs="?", metavar="ACCOUNT", help="the account (default: find it)"
        )
    )
    watch_parser.add_argument("id", metavar="ID")
    watch_parser.add_argument(
        "--exit-status", action="store_true", help="exit 0 on success, 1 on failure, 2 on cancel"
    )

    track_parser = commands.add_parser("track", help="manage tracked ids")
    _add_common(track_parser)
    _add_demo(track_parser)
    track_commands = track_parser.add_subparsers(
        dest="track_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    track_add = track_commands.add_parser("add", help="track ids (checked with the provider)")
    _accounts(track_add.add_argument("account", metavar="ACCOUNT"))
    track_add.add_argument("ids", nargs="+", metavar="ID")
    track_add.add_argument(
        "--no-check", action="store_true", help="do not ask the provider whether the ids exist"
    )
    track_remove = track_commands.add_parser("remove", help="stop tracking ids")
    _accounts(track_remove.add_argument("account", metavar="ACCOUNT"))
    track_remove.add_argument("ids", nargs="+", metavar="ID")
    track_list = track_commands.add_parser("list", help="list tracked ids")
    _accounts(track_list.add_argument("account", nargs="?", metavar="ACCOUNT"))
    for track_action in (track_add, track_remove, track_list):
        _add_common(track_action)
        _add_demo(track_action)

    config_parser = commands.add_parser(
        "config", help="where the config and the store are; check the config"
    )
    _add_common(config_parser)
    config_commands = config_parser.add_subparsers(
        dest="config_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    config_commands.add_parser("path", help="print where the config file and the job store are")
    config_commands.add_parser("check", help="validate the config file (exit 78 if it is wrong)")
    config_commands.add_parser(
        "accounts", help="print the configured account names, one a line (for completion)"
    )
    for config_action in config_commands.choices.values():
        _add_common(config_action)

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for bash, zsh or fish (see the README for "
        "where to put it). Completes commands, flags, states, providers and account names.",
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"))

    serve_parser = commands.add_parser(
        "serve",
        help="one headless poller for a team: the store, /metrics and /healthz",
        description="Poll every configured source, write the job store for viewers started "
        "with --attach, and serve Prometheus metrics (/metrics) and a health check (/healthz).",
    )
    _add_common(serve_parser)
    serve_parser.add_argument(
        "--listen",
        default="127.0.0.1:9464",
        metavar="HOST:PORT",
        type=_listen_arg,
        help="where /metrics and /healthz are served (default 127.0.0.1:9464, loopback only)",
    )
    for attachable in (parser, list_parser, show_parser, watch_parser):
        attachable.add_argument(
            "--attach",
            action="store_true",
            default=argparse.SUPPRESS,
            help="read the store a `jobtop serve` writes; make no provider request",
        )

    commands.add_parser("sim", help="run the simulator as a standalone server", add_help=False)
    return parser


def _listen_arg(text: str) -> str:
    """`--listen`: HOST:PORT, checked here so a malformed one is a usage error."""
    from tui.serve import parse_listen  # start-up speed: the poller loads the sync engine

    try:
        parse_listen(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--listen ")) from None
    return text


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="config file (also $JOBTOP_CONFIG)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        metavar="SECONDS",
        default=argparse.SUPPRESS,
        help="seconds between refreshes",
    )
    parser.add_argument(
        "--log-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="append a log to PATH (created 0600; tokens never written)",
    )
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning"),
        default=argparse.SUPPRESS,
        help="log from this level (also $JOBTOP_LOG); alone, logs to jobtop.log "
        "in the state directory",
    )


def _add_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--demo", action="store_true", default=argparse.SUPPRESS, help="use the built-in simulator"
    )


def _add_json(
    parser: argparse.ArgumentParser, fields: Sequence[str], fields_arg: Any, jq_arg: Any, what: str
) -> None:
    parser.add_argument(
        "--json",
        nargs="?",
        const=(),
        type=fields_arg(fields),
        metavar="FIELD,…",
        help=f"print {what}; only the given fields if any ({', '.join(fields)})",
    )
    parser.add_argument(
        "--jq",
        type=jq_arg,
        metavar="EXPR",
        help="filter the JSON with a jq expression (implies --json)",
    )


ACCOUNT_COMPLETER = "jobtop config accounts 2>/dev/null"
"""The shell command completion runs to list account names."""


def _accounts(action: argparse.Action) -> None:
    """Mark this argument as an account name (completed by `completion_script`)."""
    action.completes_accounts = True  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the `jobtop` console script."""
    sys.exit(run(list(sys.argv[1:] if argv is None else argv)))


def run(argv: list[str]) -> int:
    """Run one jobtop command and return its exit code (errors as one sentence on stderr)."""
    if argv and argv[0] == "sim":
        from tui.sim.cli import main as sim_main  # start-up speed: only `jobtop sim` needs it

        return sim_main(argv[1:])
    try:
        return _run(argv)
    except KeyboardInterrupt:  # also while starting up, before a command runs
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`jobtop list | head`): stop quietly, as other tools do. Any
        # output still buffered goes nowhere, so the interpreter's final flush cannot fail.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_BROKEN_PIPE


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from tui.commands import UsageError  # start-up speed: not loaded for --version, --help

    try:
        code = _dispatch(args)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except UsageError as error:
        print(f"jobtop: {error}", file=sys.stderr)
        return EXIT_USAGE
    except JobtopError as error:
        print(f"jobtop: {error.sentence}", file=sys.stderr)
        return exit_code_for(error)
    except Exception as error:
        # Start-up speed: both modules load httpx and the sync engine; only an error needs them.
        from tui.attach import NoPollerError
        from tui.serve import ServeError

        if isinstance(error, ServeError):
            print(f"jobtop: {error}.", file=sys.stderr)
            return error.code
        if isinstance(error, NoPollerError):
            print(f"jobtop: {error}.", file=sys.stderr)
            return EXIT_NO_POLLER
        raise


def _image_protocol(value: str | None) -> ImageProtocol | None:
    return None if value is None else parse_image_protocol(value)


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value).expanduser()


def _dispatch(args: argparse.Namespace) -> int:
    # Here and below, each command's modules are imported where it runs, for start-up
    # speed: --version and --help load none of them (a unit test checks).
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
    attach = getattr(args, "attach", False)
    if args.command is None:
        from tui.dashboard import run_dashboard

        if args.demo and not attach:
            return run_dashboard(
                None,
                overrides,
                demo_jobs=args.demo_jobs,
                demo_seed=args.demo_seed,
                demo_faults=args.demo_fault,
            )
        settings = load_settings(getattr(args, "config", None), cli=overrides)
        if not settings.accounts and not attach:
            print(
                "jobtop: no accounts configured; starting the demo on the built-in simulator.",
                file=sys.stderr,
            )
            return run_dashboard(
                None,
                overrides,
                demo_jobs=args.demo_jobs,
                demo_seed=args.demo_seed,
                demo_faults=args.demo_fault,
            )
        return run_dashboard(settings, overrides, attach=attach)
    if args.command == "completion":
        sys.stdout.write(completion_script(args.shell))
        return EXIT_OK
    from tui import commands

    if args.command == "config":
        return commands.config_command(getattr(args, "config", None), args.config_command)
    if args.command == "serve":
        from tui.serve import run_serve

        return run_serve(load_settings(getattr(args, "config", None), cli=overrides), args.listen)
    if attach:
        from tui import attach_cli

        settings = load_settings(getattr(args, "config", None), cli=overrides)
        return attach_cli.dispatch(settings, args)
    if args.demo:
        from tui.dashboard import demo_simulator

        simulator = demo_simulator(jobs=args.demo_jobs, seed=args.demo_seed, faults=args.demo_fault)
        with simulator as server:
            return _command(args, _demo_settings(server, overrides))
    return _command(args, load_settings(getattr(args, "config", None), cli=overrides))


def _demo_settings(server: Any, overrides: Any) -> Any:
    """The demo's accounts on a running simulator, with the command line's overrides."""
    # Start-up speed, as in `_dispatch`.
    from tui.config import apply_overrides, demo_settings, env_log_level
    from tui.dashboard import DEMO_REFRESH

    tracked = {name: tuple(ids) for name, ids in server.tracked_ids().items()}
    settings = demo_settings(server.url, refresh=DEMO_REFRESH, track=tracked)
    settings = replace(settings, log_level=env_log_level(os.environ))
    return apply_overrides(settings, overrides)


def _command(args: argparse.Namespace, settings: Settings) -> int:
    from tui.logfile import logging_to  # start-up speed, as in `_dispatch`

    with logging_to(settings):
        return _run_command(args, settings)


def _run_command(args: argparse.Namespace, settings: Settings) -> int:
    from tui import commands  # start-up speed, as in `_dispatch`

    if args.command == "list":
        return commands.list_command(settings, args)
    if args.command == "show":
        return commands.show_command(
            settings, args.account, args.id, fields=args.json, program=args.jq
        )
    if args.command == "watch":
        return commands.watch_command(
            settings,
            args.account,
            args.id,
            exit_status=args.exit_status,
            interval=getattr(args, "interval", None),
        )
    if args.command == "track":
        return commands.track_command(settings, args)
    raise ConfigError(f"unknown command {args.command!r}")


def completion_script(shell: str) -> str:
    """The completion script for `shell`, generated from the parser by shtab; account
    arguments complete with the names `jobtop config accounts` prints."""
    import shtab  # start-up speed: only the completion command needs it

    parser = build_parser()
    accounts = shtab.cmd(ACCOUNT_COMPLETER)
    for action in _all_actions(parser):
        if getattr(action, "completes_accounts", False):
            action.complete = accounts  # type: ignore[attr-defined]
    return str(shtab.complete(parser, shell=shell))


def _all_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every argument of the parser and of its subcommands, at any depth."""
    found = []
    for action in parser._actions:
        found.append(action)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(_all_actions(sub))
    return found


if __name__ == "__main__":
    main()
