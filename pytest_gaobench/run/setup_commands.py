"""A benchmark's ``setup`` commands: run in the sandbox after the boilerplate is in place
and before the agent starts, each with the network only when it says so, each one's
output in ``setup/<name>.log``. A command that fails ends the run as infra: the workspace
is not what the task needs, which is no fault of the agent's."""

from __future__ import annotations

from ..logs.log import RunLog
from ..model.spec import BenchmarkConfig
from ..sandbox.logged_step import run_logged_step, step_failure
from ..sandbox.sandbox import Sandbox


class SetupCommandFailed(RuntimeError):
    """A benchmark's setup command failed: the workspace is not what the task needs."""


def run_setup_commands(config: BenchmarkConfig, sandbox: Sandbox, log: RunLog
                       ) -> SetupCommandFailed | None:
    """Run every setup command in order; the first failure, or None."""
    logs = sandbox.run_dir / "setup"
    logs.mkdir(exist_ok=True)
    for command in config.setup:
        log_file = logs / f"{command.name}.log"
        done = run_logged_step(sandbox, command.run, log_file,
                               timeout=command.timeout_seconds, network=command.network)
        log.events.info("setup_command", name=command.name, exit_code=done.exit_code,
                        timed_out=done.timed_out, seconds=round(done.duration_seconds, 3))
        if not done.ok:
            why = step_failure(done, log_file, f"timed out after {command.timeout_seconds:g}s")
            return SetupCommandFailed(f"setup command {command.name!r} {why}")
    return None
