"""Where jobtop finds its styles and keeps its config and state."""

from __future__ import annotations

import os
from pathlib import Path

_CHECKOUT_STYLES = Path(__file__).resolve().parent.parent / "styles"
_WHEEL_STYLES = Path(__file__).resolve().parent / "_styles"
STYLES_DIR = _CHECKOUT_STYLES if _CHECKOUT_STYLES.is_dir() else _WHEEL_STYLES
"""The one place that knows where `styles/*.tcss` live (checkout or installed wheel)."""

APP_NAME = "jobtop"


def user_config_file() -> Path:
    """`<platformdirs user config dir>/jobtop/config.toml`."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def user_state_dir() -> Path:
    """The directory for the job store; `JOBTOP_STATE_DIR` overrides it."""
    override = os.environ.get("JOBTOP_STATE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))
