"""pytest, under coverage where the environment has it, in a benchmark's own environment.

The harness starts it as ``python run_tests.py WHERE PROJECT EXTRA TOOL ARGS...`` with the
environment's interpreter. Nothing of the harness is imported here, and the code stays
within what Python 3.6 reads: the environment's own pytest (4.6 on) and coverage run,
whatever their versions. The project joins ``sys.path`` before pytest is imported, so the
repository's own modules win (the pytest repository's own ``_pytest``); ``WHERE`` is
``first`` (the project's own tests, as ``python -m pytest`` runs them) or ``last``
(hidden tests). ``TOOL`` is ``pytest`` (ARGS are pytest's) or ``coverage`` (ARGS: the rc
file, data file, JSON report, source folder and omit patterns, then pytest's). Results go
to pytest's JUnit report and coverage's JSON report, which the harness reads from outside.
"""

import contextlib
import os
import site
import sys


def main():
    # type: () -> int
    del sys.path[0]  # this folder: the run's modules are the environment's and the project's
    where, project, extra, tool = [sys.argv.pop(1) for _ in range(4)]
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
