"""Every simulator fault × every demo source, against the real dashboard over loopback.

The case logic lives in `scripts/fault_matrix.py` (shared with the script that writes the
README's table); see its docstring for what each case checks and what "recovers within
one interval" means. Each case writes its outcome for the table printed at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import load_fault_matrix
from tui.sim.server import SimServer
from tui.sync import policy

matrix = load_fault_matrix()

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def short_auth_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused credential waits its six intervals here, not the one-minute floor: the
    cases check that the source fails, says so and recovers within the wait it announced,
    whatever that wait is (the floor itself is a unit test of the policy)."""
    monkeypatch.setattr(policy, "AUTH_MIN_WAIT", 0.0)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=60, seed=5) as server:
        yield server


@pytest.mark.parametrize("source", matrix.SOURCES)
@pytest.mark.parametrize("fault", matrix.FAULTS, ids=[f.name for f in matrix.FAULTS])
async def test_fault(sim: SimServer, fault: object, source: str) -> None:
    outcome = await matrix.run_case(sim, fault, source)
    results = matrix.results_dir()
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{outcome.fault}-{source}.json").write_text(outcome.to_json())
    assert outcome.passed, "; ".join(outcome.problems)


def test_every_simulator_fault_is_in_the_matrix() -> None:
    from tui.sim.faults import FAULTS

    covered = {fault.name for fault in matrix.FAULTS} | {"hostile_strings"}
    assert covered == set(FAULTS)


def test_readme_section_replaced_between_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# jobtop\n\nintro\n\n{matrix.BEGIN}\nOLD-TABLE\n{matrix.END}\n\n## After\n")
    outcome = matrix.Outcome("http_500", "zoo", True, health="failing", recovery=1.2, bound=5.0)
    assert matrix.write_readme(matrix.markdown_table([outcome]), readme)
    text = readme.read_text()
    assert text.startswith("# jobtop\n\nintro\n\n") and text.endswith("\n\n## After\n")
    assert "OLD-TABLE" not in text and "## Fault matrix" in text and "back in 1.2 s" in text
    assert not matrix.write_readme(matrix.markdown_table([outcome]), readme)  # idempotent
