"""Terminal environment set-up, done before Textual is imported.

`textual.constants` reads `TEXTUAL_FPS` and `TEXTUAL_ANIMATIONS` once, at import
(reliability.md section 4.4), so `cli.py` calls `configure_environment` first and only
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
