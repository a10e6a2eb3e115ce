"""Build hook: refuse, in one plain sentence, to build jobtop on a Python older than 3.11.

pip resolves the dependencies before it compares `requires-python`, so on Python 3.10
`pip install .` would end in "no matching distribution found for humanize>=4.17". This
hook runs when pip prepares the metadata, before any dependency is looked at.
"""

from __future__ import annotations

import sys

from hatchling.metadata.plugin.interface import MetadataHookInterface

MINIMUM = (3, 11)


class PythonVersionHook(MetadataHookInterface):
    """Stops the build on an unsupported Python; changes no metadata."""

    PLUGIN_NAME = "custom"

    def update(self, metadata: dict[str, object]) -> None:
        if sys.version_info < MINIMUM:
            raise SystemExit(
                f"jobtop needs Python {MINIMUM[0]}.{MINIMUM[1]} or newer; "
                f"this is {sys.version.split()[0]}"
            )
