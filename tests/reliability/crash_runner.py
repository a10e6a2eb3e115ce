"""The real dashboard with a provider parse step that raises, for the pty secrets test.

    python -m tests.reliability.crash_runner

Starts the simulator, builds four accounts whose tokens come from the environment
(`ZOO_TOKEN`, `METAFOLD_TOKEN`, `LETTR_TOKEN`, `HDR_TOKEN`), replaces Metafold's job
parser and hdrjpg's conversion parser with functions that raise `TypeError` while a
token sits in their locals (what Textual's crash traceback would print), and runs the
app in the terminal until it exits. Exits with the app's return code.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from tui.terminal import configure_environment

TOKEN_ENVS = {
    "zoo": "ZOO_TOKEN",
    "metafold": "METAFOLD_TOKEN",
    "lettrlabs": "LETTR_TOKEN",
    "hdrjpg": "HDR_TOKEN",
}


def _broken(provider: str) -> Any:
    def parse(*args: Any, **kwargs: Any) -> Any:
        token = os.environ[TOKEN_ENVS[provider]]  # noqa: F841 - a local a traceback would show
        headers = {"Authorization": f"Bearer {token}"}  # noqa: F841
        raise TypeError(f"forced parse failure in {provider}")

    return parse


def main() -> int:
    configure_environment(False)
    from tui.app import run_app
    from tui.clock import utc_now
    from tui.config import AccountConfig, Settings
    from tui.models import ProviderName
    from tui.providers import build_provider
    from tui.providers.hdrjpg import client as hdrjpg
    from tui.providers.metafold import client as metafold
    from tui.secret import Secret
    from tui.sim.server import SimServer
    from tui.store import JobStore

    metafold.parse_job = _broken("metafold")
    hdrjpg.parse_conversion = _broken("hdrjpg")
    with SimServer(jobs=30, seed=2) as sim:
        tracked = sim.tracked_ids()
        accounts = tuple(
            AccountConfig(
                name=f"acct-{provider}",
                provider=ProviderName(provider),
                base_url=sim.base_url(provider),
                token=Secret(os.environ[env]),
                token_env=env,
                track=tuple(tracked.get(provider, [])[:4]),
            )
            for provider, env in TOKEN_ENVS.items()
        )
        settings = Settings(accounts=accounts, refresh=1.0)
        store = JobStore(":memory:")
        try:
            return run_app(settings, [build_provider(a) for a in accounts], store, utc_now)
        finally:
            store.close()


if __name__ == "__main__":
    sys.exit(main())
