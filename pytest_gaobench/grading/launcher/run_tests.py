"""The grader's launcher: pytest, under coverage where asked and available, with the
project put on the path as the run needs it.

The harness starts it as ``python run_tests.py FINDER WHERE PROJECT EXTRA TOOL ARGS...``.

- In the harness's own interpreter (``python -I``, ``FINDER`` the interpreter-first
  finder's file): no pytest plugin is loaded from entry points (a fake ``*.dist-info`` in
  the workspace would register one), pytest and coverage are imported from the
  interpreter's own packages first, then the finder makes every module name the
  interpreter provides come from the interpreter, and only then does the project join the
  path.
- In a benchmark's own environment (``FINDER`` empty): nothing of the harness is
  imported, and the code stays within what Python 3.6 reads; the project joins the path
  before pytest is imported, so the repository's own modules win (the pytest repository's
  own ``_pytest``), as in its CI.

``WHERE`` is ``first`` (the project's own tests, as ``python -m pytest`` runs them),
``last`` (hidden tests) or ``none``; ``EXTRA`` folders of the workspace join with their
.pth files. ``TOOL`` is ``pytest`` (ARGS are pytest's) or ``coverage`` (ARGS: the rc file,
data file, JSON report, source folder and omit patterns, then pytest's). Results go to
pytest's JUnit report and coverage's JSON report, which the harness reads from outside.
"""

import contextlib
import os
import runpy
import site
import sys


def main():
    # type: () -> int
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        del sys.path[0]  # this folder: the run's modules are the interpreter's and project's
    finder, where, project, extra, tool = [sys.argv.pop(1) for _ in range(5)]
    if finder:
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        if tool == "coverage":
            import coverage  # noqa: F401  (the interpreter's, before the project's)
        import pytest
        runpy.run_path(finder, run_name="gaobench_interpreter_first")
    if where == "first":
        sys.path.insert(0, project)
    elif where == "last":
        sys.path.append(project)
    for folder in filter(None, extra.split(os.pathsep)):
        site.addsitedir(folder)
    if tool == "coverage":
        settings = [sys.argv.pop(1) for _ in range(5)]
        return under_coverage(settings, sys.argv[1:])
    import pytest
    return int(pytest.main(sys.argv[1:]))


def under_coverage(settings, pytest_args):
    # type: (list[str], list[str]) -> int
    rcfile, data_file, report, source, omit = settings
    try:
        import coverage
    except ImportError:  # not in the environment: the tests run, coverage is not measured
        import pytest
        return int(pytest.main(pytest_args))
    measured = coverage.Coverage(data_file=data_file, config_file=rcfile, source=[source],
                                 omit=omit.split(","))
    measured.start()
    try:
        import pytest
        code = int(pytest.main(pytest_args))
    finally:
        measured.stop()
        measured.save()
    # Nothing measured, or a coverage older than 5.0 (no JSON report): not measured.
    with contextlib.suppress(Exception):
        measured.json_report(outfile=report)
    return code


if __name__ == "__main__":
    sys.exit(main())
