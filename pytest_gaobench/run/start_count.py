"""How many tests the boilerplate has, counted while the agent works.

``tests_written`` is what pytest collects at the end less what it collected at the start,
and a collection is a whole pytest start-up in the sandbox. A local boilerplate is still
there, unchanged, beside the benchmark; so it is collected from there (shown read-only) in
a thread beside the agent's first phase, instead of from the workspace before it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from ..grading.test_run import COLLECT_SECONDS, collected_tests
from ..grading.workspace import count_test_functions
from ..model.spec import BenchmarkConfig
from ..sandbox.sandbox import Sandbox

Collect = Callable[[threading.Event], "int | None"]
"""Counts the tests; stops early (returning None) when the event is set."""


class StartCount:
    """One collection running in a thread of its own; its count is waited for only where
    it is needed (a checkpoint, grading), and it is cancelled if the run ends first."""

    def __init__(self, collect: Collect) -> None:
        self._cancel = threading.Event()
        self._count: int | None = None
        self._thread = threading.Thread(target=self._collect, args=(collect,), daemon=True,
                                        name="gaobench-tests-at-start")
        self._thread.start()

    def _collect(self, collect: Collect) -> None:
        try:
            self._count = collect(self._cancel)
        except Exception:  # an unmeasured number, as a failed collection is
            self._count = None

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def count(self) -> int | None:
        """The count, waiting for the collection to end."""
        self._thread.join()
        return self._count

    def cancel(self) -> None:
        self._cancel.set()
        self._thread.join()


def count_now(config: BenchmarkConfig, sandbox: Sandbox, when: str) -> int | None:
    """Tests pytest collects from the workspace now (none without a test file, so a
    project that is not Python's costs no pytest run; not counted in a container, which
    has no pytest of the harness's)."""
    if config.container is not None:
        return None
    if count_test_functions(sandbox.workspace) == 0:
        return 0
    return collected_tests(sandbox, sandbox.run_dir / "collect" / when, COLLECT_SECONDS,
                           config.success_criteria.python_path)


def start_counting(config: BenchmarkConfig, sandbox: Sandbox, kind: str
                   ) -> int | StartCount | None:
    """What the workspace holds now: nothing to collect without a test file; from a
    local boilerplate nothing changed (no setup ran), so it is counted beside the agent's
    first phase (a ``StartCount``); else counted here, before it."""
    source = config.boilerplate_dir
    collect = functools.partial(collected_tests, sandbox,
                                sandbox.run_dir / "collect" / "start", COLLECT_SECONDS,
                                config.success_criteria.python_path)
    if config.container is not None:
        return None
    if count_test_functions(sandbox.workspace) == 0:
        return 0
    if kind == "local" and not config.setup and source is not None:
        tree = source.resolve()
        return StartCount(lambda cancel: collect(tree=tree, cancel=cancel))
    return collect()
