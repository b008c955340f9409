"""The verifier of a container benchmark (Harbor's ``tests/``), run as Harbor runs it:
after the agent stopped (whatever it left running is ended first; the run's container
stays, for the custom metrics that come after), its folder is copied
to ``/tests`` of a fresh container of the same image, with the workspace mounted, and
``test.sh`` runs there. The reward comes from ``/logs/verifier/reward.txt`` (or
``reward.json``), copied out and read as hostile data (``copy_out``: bounded, files and
folders only; logs over the bound fail the verifier, since they could hide a reward of 0);
without one, the script's exit code decides.

The verifier's container keeps the engine's default capabilities (``chown``, ``setuid``
and the like, which ``apt-get`` in a ``test.sh`` needs), where the agent's has none: they
are the user namespace's, its root an unprivileged host uid, with no new privileges and
no network unless the benchmark allows it."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ..model.result import CriterionResult
from ..sandbox.untrusted import read_regular_text
from .container import RunContainer
from .copy_out import CopyTooLarge, copy_out
from .engine import said_tail
from .host import ContainerHost

REWARD_LIMIT = 64 * 1024
LOGS = "/logs/verifier"


def run_verifier(tests: Path, host: ContainerHost, grading_dir: Path, run_id: str,
                 timeout: float) -> CriterionResult:
    host.container.end_processes()
    engine = host.container.engine
    fresh = RunContainer.start(engine, host.image, host.workspace, f"{run_id}-verifier",
                               host.container.workdir, network=host.grader_network,
                               capabilities=True)
    try:
        copied = engine.run("cp", str(tests), f"{fresh.name}:/tests")
        if copied.returncode != 0:
            return CriterionResult(name="verifier", passed=False, detail=(
                "the tests could not be copied into the verifier's container: "
                + said_tail(copied)))
        with tempfile.TemporaryDirectory(prefix="gaobench-logs-") as empty:
            # Copied by the engine: an image's / may not be writable to a root without
            # capabilities, and test.sh writes its reward there.
            (Path(empty) / "verifier").mkdir()
            engine.run("cp", empty + "/.", f"{fresh.name}:/logs")
        outcome = fresh.exec(["bash", "/tests/test.sh"], timeout=timeout)
        logs = grading_dir / "verifier"
        try:
            copy_out(engine, fresh.name, LOGS, logs)
        except CopyTooLarge as exc:  # else a flood would hide a reward of 0
            return CriterionResult(name="verifier", passed=False, detail=(
                f"the verifier's logs were not read: {exc}"))
    finally:
        fresh.remove()
    reward = read_reward(logs)
    said = f"test.sh exited with {outcome.exit_code}" if not outcome.timed_out \
        else f"test.sh timed out after {timeout:g}s"
    if reward is not None:
        passed = reward >= 1.0 and not outcome.timed_out
        detail = f"reward {reward:g} ({said})"
    else:
        passed = outcome.ok
        detail = f"{said}, no reward written"
    if not passed and outcome.tail(3):
        detail += f": {outcome.tail(3)}"
    return CriterionResult(name="verifier", passed=passed, detail=detail)


def read_reward(logs: Path) -> float | None:
    """reward.txt (a number) or reward.json (``{"reward": n}``, or one number in it)."""
    for name in ("reward.txt", "reward.json"):
        try:
            text = read_regular_text(logs, name, REWARD_LIMIT).strip()
        except OSError:
            continue
        try:
            value = json.loads(text) if name.endswith(".json") else float(text)
        except ValueError:
            return None
        if isinstance(value, dict):
            numbers = [v for v in value.values() if isinstance(v, int | float)]
            value = value.get("reward", numbers[0] if len(numbers) == 1 else None)
        return float(value) if isinstance(value, int | float) else None
    return None
