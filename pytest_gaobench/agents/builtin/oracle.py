"""The oracle agent: applies the benchmark's reference solution, offline.

It proves that a benchmark is solvable and that the harness grades it correctly.
Per phase, ``oracle/<phase>/`` is copied over the workspace and then
``oracle/<phase>.sh`` runs there; a single-phase benchmark may use ``oracle/files/``
and ``oracle/solve.sh`` instead. In a container the oracle folder is copied to
``/solution`` first and the script runs from there, as Harbor runs ``solution/solve.sh``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..base import AgentError, PhaseContext, PhaseTimeout

SOLUTION = "/solution"
"""Where a container benchmark's oracle folder is, inside."""


class OracleAgent:
    name = "oracle"

    def run_phase(self, ctx: PhaseContext) -> None:
        oracle = ctx.config.oracle_dir
        if oracle is None:
            raise AgentError(f"benchmark {ctx.config.name!r} has no `oracle:` folder, "
                             "so the oracle agent cannot solve it")
        files, script = self._sources(oracle, ctx)
        if files is None and script is None:
            ctx.log.events.info("oracle_phase_empty", phase=ctx.phase.phase_name)
            return
        if files is not None:
            shutil.copytree(files, ctx.sandbox.workspace, dirs_exist_ok=True)
            ctx.note("oracle_files", files=sorted(str(p.relative_to(files))
                                            for p in files.rglob("*") if p.is_file()))
        if script is not None:
            ctx.check_deadline()
            argv = ["/bin/sh", str(script)]
            if ctx.sandbox.host is not None:  # a container: the solution at /solution, as
                ctx.sandbox.host.place(oracle, SOLUTION)  # Harbor runs its oracle
                argv = ["/bin/sh", f"{SOLUTION}/{script.relative_to(oracle).as_posix()}"]
            result = ctx.sandbox.run(argv, timeout=ctx.remaining(), readable=[script])
            ctx.note("oracle_script", script=script.name,
                               exit_code=result.exit_code, timed_out=result.timed_out,
                               output=result.tail(50))
            if result.timed_out:
                raise PhaseTimeout(f"oracle script {script.name} was still running at the "
                                   f"phase deadline")
            if not result.ok:
                raise AgentError(f"oracle script {script.name} exited with {result.exit_code}:"
                                 f" {result.tail(5)}")

    @staticmethod
    def _sources(oracle: Path, ctx: PhaseContext) -> tuple[Path | None, Path | None]:
        name = ctx.phase.phase_name
        files, script = oracle / name, oracle / f"{name}.sh"
        if len(ctx.config.workflow_phases) == 1 and not files.is_dir() and not script.is_file():
            files, script = oracle / "files", oracle / "solve.sh"
        return (files if files.is_dir() else None), (script if script.is_file() else None)
