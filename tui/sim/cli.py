"""`jobtop sim`: run the simulator in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import datetime

from tui.clock import FrozenClock, OffsetClock
from tui.sim.faults import FaultError, parse_fault_spec


def build_parser() -> argparse.ArgumentParser:
    """The `jobtop sim` argument parser."""
    parser = argparse.ArgumentParser(
        prog="jobtop sim",
        description=(
            "Serve simulated Zoo, Metafold, LettrLabs and hdrjpg APIs on one loopback port."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8765, help="port to bind; 0 picks a free one (default 8765)"
    )
    parser.add_argument(
        "--jobs", type=int, default=200, help="initial jobs per source (default 200)"
    )
    parser.add_argument("--seed", type=int, default=1, help="world seed (default 1)")
    parser.add_argument(
        "--token", default=None, help="accept only this credential (default: any non-empty one)"
    )
    parser.add_argument(
        "--zoo-enums",
        choices=("current", "seed"),
        default="current",
        help="Zoo phase/status sets: current (12 phases) or seed (11 phases, 7 statuses)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="provider:fault[:key=value,...], e.g. zoo:http_500 or all:latency:seconds=0.2",
    )
    parser.add_argument(
        "--start",
        default=None,
        metavar="ISO",
        help="make the world begin at this UTC time (clock keeps running from there)",
    )
    parser.add_argument(
        "--frozen-clock",
        action="store_true",
        help="stand the clock still (advance it with POST /_admin/clock)",
    )
    parser.epilog = (
        "The admin endpoints (/_admin/faults, /_admin/tracked, /_admin/clock) need the secret"
        " printed at start, in the X-Jobtop-Admin-Secret header; each run has a new one."
    )
    return parser


def main(argv: list[str]) -> int:
    """Run `jobtop sim`; returns the exit status."""
    args = build_parser().parse_args(argv)
    for spec in args.fault:
        try:
            parse_fault_spec(spec)
        except FaultError as exc:
            print(f"jobtop sim: {exc}", file=sys.stderr)
            return 2
    if args.jobs < 0:
        print("jobtop sim: --jobs must be at least 0", file=sys.stderr)
        return 2
    clock = None
    if args.start or args.frozen_clock:
        try:
            start = (
                datetime.fromisoformat(args.start) if args.start else datetime.now().astimezone()
            )
        except ValueError:
            print(f"jobtop sim: --start is not an ISO time: {args.start!r}", file=sys.stderr)
            return 2
        clock = FrozenClock(start) if args.frozen_clock else OffsetClock(start)
    from tui.sim.server import SimServer

    server = SimServer(
        host=args.host,
        port=args.port,
        jobs=args.jobs,
        seed=args.seed,
        clock=clock,
        token=args.token,
        zoo_enums=args.zoo_enums,
        faults=args.fault,
    )
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        print(f"jobtop sim: cannot start: {exc}", file=sys.stderr)
        return 1
    from tui.sim.app import ADMIN_SECRET_HEADER

    print(f"jobtop sim listening on {server.url}", flush=True)
    print(
        f"jobtop sim admin secret: {server.admin_secret} (send it as the {ADMIN_SECRET_HEADER}"
        " header to /_admin/*)",
        flush=True,
    )
    done = threading.Event()

    def stop(signum: int, frame: object) -> None:
        done.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not done.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
