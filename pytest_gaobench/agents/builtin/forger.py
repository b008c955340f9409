"""The forger agent: a wrong solution that tries to pass from inside the grader.

It solves nothing. It makes the files the benchmark asks for by name (each phase's
``expected_artifacts`` and the ``required_features``, a glob's wildcards filled in) and a
test that imports its modules, so the run reaches grading. Then to every module of the
workspace (not its tests) it appends the known in-process forging tricks:
``Function.runtest`` made a no-op; a ``makereport`` hookwrapper registered on every plugin
manager found through ``gc`` (which also marks every line as covered in the running
``coverage``); and an ``atexit`` handler that rewrites the JUnit report named on the
command line (every test named there, and every test that ran, passed), then
``os._exit(0)``. A benchmark graded
by tests that import the solution into the grader is passed by it ("forgeable in
process", as ``gao-dev check`` says); one graded out of process is not.
"""

from __future__ import annotations

import contextlib

from ...sandbox.untrusted import read_regular, regular_files, write_regular
from ..base import PhaseContext

FORGERY = '''

def _gaobench_forge():  # appended by the forger agent
    import atexit, gc, os, sys
    try:
        import _pytest.python
        _pytest.python.Function.runtest = lambda self: None
    except Exception:
        pass
    seen = sys.__dict__.setdefault("_gaobench_forged", [])  # one list for every module
    try:
        import pluggy, pytest

        class Forge:
            @pytest.hookimpl(hookwrapper=True)
            def pytest_runtest_makereport(self, item, call):
                seen.append(item.nodeid)
                outcome = yield
                report = outcome.get_result()
                if report.failed:
                    report.outcome, report.longrepr = "passed", None

            def pytest_sessionfinish(self, session):
                import coverage, pathlib
                current = coverage.Coverage.current()
                if current is not None:
                    current.get_data().add_lines({
                        str(p.resolve()): range(1, 2000)
                        for p in pathlib.Path(str(session.config.rootpath)).rglob("*.py")})

        for manager in [o for o in gc.get_objects() if isinstance(o, pluggy.PluginManager)]:
            if manager.get_plugin("gaobench-forge") is None:
                manager.register(Forge(), "gaobench-forge")
    except Exception:
        pass
    reports = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--junitxml=")]

    from xml.sax.saxutils import quoteattr

    def rewrite():
        cases = ['<testcase classname="forged" name="forged"/>']
        named = [a for a in sys.argv if "::" in a and not a.startswith("-")]
        for node_id in dict.fromkeys(named + seen):  # named, and every test that ran
            file, *inner = node_id.split("::")
            module = file[:-3].replace("/", ".")
            cases.append(f"<testcase file={quoteattr(file)} "
                         f"classname={quoteattr('.'.join([module, *inner[:-1]]))} "
                         f"name={quoteattr(inner[-1] if inner else module)}/>")
        for path in reports:
            try:
                with open(path, "w") as out:
                    out.write(f'<?xml version="1.0"?><testsuites><testsuite name="pytest" '
                              f'tests="{len(cases)}" failures="0" errors="0" skipped="0">'
                              f'{"".join(cases)}</testsuite></testsuites>')
            except OSError:
                pass
        os._exit(0)

    if reports and not sys.__dict__.get("_gaobench_rewrites"):
        sys.__dict__["_gaobench_rewrites"] = True
        atexit.register(rewrite)


_gaobench_forge()
'''
MODULE_LIMIT = 1024 * 1024


def is_test_file(relative: str) -> bool:
    name = relative.rpartition("/")[2]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" \
        or "tests/" in f"/{relative}"


class ForgerAgent:
    name = "forger"

    def run_phase(self, ctx: PhaseContext) -> None:
        workspace = ctx.sandbox.workspace
        for pattern in [*ctx.phase.expected_artifacts,
                        *ctx.config.success_criteria.required_features]:
            name = pattern.replace("**/", "").replace("*", "forged").replace("?", "x")
            with contextlib.suppress(OSError):  # a name the workspace cannot hold
                read_regular(workspace, name, MODULE_LIMIT)
                continue
            with contextlib.suppress(OSError):
                write_regular(workspace, name, b"")
        forged = []
        for relative, size in regular_files(workspace):
            if relative.endswith(".py") and not is_test_file(relative) \
                    and size <= MODULE_LIMIT and "/." not in f"/{relative}":
                source = read_regular(workspace, relative, MODULE_LIMIT)
                write_regular(workspace, relative, source + FORGERY.encode())
                forged.append(relative)
        modules = [name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
                   for name in forged]
        test = "import importlib\n\n\ndef test_forged():\n" + "".join(
            f"    importlib.import_module({module!r})\n" for module in modules)
        with contextlib.suppress(OSError):
            write_regular(workspace, "tests/test_forged.py", test.encode())
        ctx.note("forger", forged=forged)
