"""Terminal environment set-up, done before Textual is imported.

`textual.constants` reads `TEXTUAL_FPS` and `TEXTUAL_ANIMATIONS` once, at import
(docs/design.md §4), so `cli.py` calls `configure_environment` first and only
then imports `tui.app`. This module must not import Textual.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

LOW_BANDWIDTH_FPS = "10"


def configure_environment(
    low_bandwidth: bool, environ: MutableMapping[str, str] | None = None
) -> None:
    """Set the Textual environment for this terminal.

    Args:
        low_bandwidth: Cap frames at 10 per second and turn animations off, for thin
            SSH links. Values the user already set in the environment are kept.
        environ: The environment to change (default `os.environ`).
    """
    env = os.environ if environ is None else environ
    if low_bandwidth:
        env.setdefault("TEXTUAL_FPS", LOW_BANDWIDTH_FPS)
        env.setdefault("TEXTUAL_ANIMATIONS", "none")
    if "NO_COLOR" in env and not env.get("NO_COLOR"):
        # The convention is "present and not empty"; Textual treats empty as set too.
        del env["NO_COLOR"]


def guard_output_thread(writer: object) -> None:
    """Stop Textual's output thread from freezing the app once the terminal is gone.

    Textual writes through a thread fed by a 30-slot queue. When the terminal is hung up
    (SSH dropped), that thread dies on the first failed write, the queue fills, and the
    next `put` blocks the UI loop for ever — so neither the SIGHUP handler nor the
    watchdog can end the app. Here every `put` waits in short slices and gives up only
    once the thread is dead: nothing is dropped while the terminal lives.

    Args:
        writer: The driver's `WriterThread` (anything with `_queue` and `is_alive`).
    """
    import queue

    pending = getattr(writer, "_queue", None)
    is_alive = getattr(writer, "is_alive", None)
    join = getattr(writer, "join", None)
    if not isinstance(pending, queue.Queue) or is_alive is None or join is None:
        return

    def put(item: str | None) -> None:
        while is_alive():
            try:
                pending.put(item, timeout=0.25)
                return
            except queue.Full:
                if not is_alive():
                    return

    def write(text: str) -> None:
        put(text)

    def stop() -> None:
        put(None)
        join(timeout=2.0)

    writer.write = write  # type: ignore[attr-defined]
    writer.stop = stop  # type: ignore[attr-defined]
