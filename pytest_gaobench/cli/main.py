"""gao-dev: a thin command line over the pytest plugin.

``gao-dev sandbox run CONFIG...`` builds a pytest argument list and calls
``pytest.main``; everything else is the plugin's work. Exit codes:

==  ==========================================================
0   every benchmark COMPLETED
1   at least one benchmark FAILED or hit its TIMEOUT
2   interrupted (Ctrl-C, SIGTERM)
3   internal error of the harness
4   usage error (bad option, unknown agent)
5   no benchmark found or selected
6   a benchmark file is invalid (failure_kind: config)
7   the API key is missing, unreadable or rejected (standalone)
8   results and report: no such run, no database, or an unreadable one
9   the API is down (unreachable, 5xx, rate limited) at the key check: retry later
==  ==========================================================
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import TYPE_CHECKING, NoReturn

from . import check, importing, maintenance
from . import report as report_cli
from . import results as results_cli

if TYPE_CHECKING:
    import pytest

EXIT_CONFIG_ERROR = 6
EXIT_USAGE = 4


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error, the code gao-dev keeps for "interrupted"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _version() -> str:
    try:
        return f"gao-dev (pytest-gaobench) {metadata.version('pytest-gaobench')}"
    except metadata.PackageNotFoundError:
        return "gao-dev (pytest-gaobench, not installed)"


class _ConfigFailures:
    """Counts benchmarks that failed validation, from the reports pytest produces."""

    def __init__(self) -> None:
        self.count = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and ("failure_kind", "config") in report.user_properties:
            self.count += 1


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gao-dev", description="Benchmark autonomous coding agents.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="run benchmarks in sandboxes")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    run = sandbox_commands.add_parser("run", help="run benchmark files (a pytest session)")
    add_run_arguments(run)
    standalone = sandbox_commands.add_parser(
        "run-standalone", help="run benchmark files with the Anthropic API agent "
                               "(the same as run --standalone)")
    add_run_arguments(standalone)
    results_cli.add_commands(commands)
    report_cli.add_command(commands)
    check.add_command(commands)
    maintenance.add_commands(commands)
    importing.add_command(commands)
    return parser


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("configs", nargs="+", metavar="CONFIG",
                     help="benchmark YAML files or folders of them")
    run.add_argument("--agent", action="append", help="agent driver (default: oracle); more "
                                                       "than once to compare agents")
    run.add_argument("--agent-command", metavar="TEMPLATE",
                     help="the command agent's command template (--agent command)")
    run.add_argument("--agent-env", action="append", metavar="NAME",
                     help="a variable the command agent receives (repeatable); a provider's "
                          "key variable gives it metered API access")
    run.add_argument("--agent-network", action="store_true",
                     help="give the command agent the host's network")
    run.add_argument("--standalone", action="store_true",
                     help="drive the agent through the Anthropic API (--agent anthropic)")
    run.add_argument("--api-key", help="Anthropic API key (a file or ANTHROPIC_API_KEY is "
                                       "safer: a command line can be seen by other users)")
    run.add_argument("--api-key-file", help="file holding the Anthropic API key")
    run.add_argument("--provider", choices=("anthropic", "bedrock", "vertex"))
    run.add_argument("--max-cost-usd", help="budget per run in USD")
    run.add_argument("--max-tokens", help="budget of tokens per run")
    run.add_argument("--max-turns", help="budget of model turns per run")
    run.add_argument("--max-wall-seconds", help="wall-time budget per run (ends as TIMEOUT)")
    run.add_argument("--record", metavar="DIR", help="record replay cassettes here")
    run.add_argument("--model", action="append",
                     help="model for API agents, overriding the benchmark's; more than once "
                          "to compare models")
    run.add_argument("--sandbox-root", help="where runs are kept (default: .gaobench)")
    run.add_argument("--keep", action="store_true", help="keep every sandbox workspace")
    run.add_argument("-k", dest="keyword", help="only benchmarks matching this expression")
    run.add_argument("-m", dest="markexpr", help="only benchmarks with these tags")
    run.add_argument("-n", dest="workers", help="parallel workers (pytest-xdist)")
    run.add_argument("--junitxml", help="write a JUnit XML report here")
    run.add_argument("--batch", help="batch id recorded on every run (default: "
                                     "$GAOBENCH_BATCH)")
    run.add_argument("-q", "--quiet", action="store_true", help="less output")
    run.add_argument("-v", "--verbose", action="count", default=0, help="more output")
    run.add_argument("-x", "--exitfirst", action="store_true",
                     help="stop at the first failed benchmark")
    run.add_argument("--html", metavar="PATH", help="write the HTML report here")
    run.add_argument("--container", choices=("podman", "docker"),
                     help="the container engine of container benchmarks (default: "
                          "whichever is installed)")
    run.add_argument("--repeat", metavar="N", help="run every benchmark N times")
    run.add_argument("--baseline", metavar="REF",
                     help="fail when a run regressed against REF ('latest' or a run id)")
    run.add_argument("--resume", nargs="?", const="latest", metavar="RUN_ID",
                     help="continue interrupted runs from their last completed phase")
    run.epilog = "Anything after -- is passed to pytest as it is."


def pytest_args(options: argparse.Namespace) -> list[str]:
    """The pytest command line equivalent to these gao-dev options."""
    args = [*options.configs, "-p", "no:cacheprovider", "-rN"]
    agents = ["anthropic"] if options.standalone else options.agent or []
    pairs = (*(("--gaobench-agent", agent) for agent in agents),
             *(("--gaobench-model", model) for model in options.model or []),
             ("--gaobench-agent-command", options.agent_command),
             *(("--gaobench-agent-env", name) for name in options.agent_env or []),
             ("--gaobench-api-key", options.api_key),
             ("--gaobench-api-key-file", options.api_key_file),
             ("--gaobench-provider", options.provider),
             ("--gaobench-max-cost-usd", options.max_cost_usd),
             ("--gaobench-max-tokens", options.max_tokens),
             ("--gaobench-max-turns", options.max_turns),
             ("--gaobench-max-wall-seconds", options.max_wall_seconds),
             ("--gaobench-record", options.record),
             ("--gaobench-dir", options.sandbox_root), ("-k", options.keyword),
             ("-m", options.markexpr), ("-n", options.workers),
             ("--junitxml", options.junitxml), ("--gaobench-batch", options.batch),
             ("--gaobench-html", options.html), ("--gaobench-repeat", options.repeat),
             ("--gaobench-baseline", options.baseline),
             ("--gaobench-resume", options.resume),
             ("--gaobench-container", options.container))
    for flag, value in pairs:
        if value:
            # One `--flag=value` word: pytest takes a separate word that names an existing
            # path (a key file, say) as a test path, and moves its rootdir accordingly.
            args.append(f"{flag}={value}" if flag.startswith("--") else f"{flag}{value}")
    if options.keep:
        args.append("--gaobench-keep")
    if options.agent_network:
        args.append("--gaobench-agent-network")
    if options.quiet:
        args.append("-q")
    args += ["-v"] * options.verbose
    if options.exitfirst:
        args.append("-x")
    return args + list(getattr(options, "pytest_extra", []))


def run_benchmarks(args: list[str]) -> int:
    failures = _ConfigFailures()
    import pytest  # only for the commands that run benchmarks: a quick `gao-dev results`

    code = int(pytest.main(args, plugins=[failures]))
    if failures.count and code == pytest.ExitCode.TESTS_FAILED:
        return EXIT_CONFIG_ERROR
    return code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `gao-dev results show X | head`: the reader has had enough
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes it
        return 1


def _main(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in words:  # `gao-dev sandbox run X -- <pytest args>`
        at = words.index("--")
        words, extra = words[:at], words[at + 1:]
    options = build_parser().parse_args(words)
    options.pytest_extra = extra
    if options.command in ("results", "schema"):
        return results_cli.run(options)
    if options.command == "check":
        return check.run(options)
    if options.command == "report":
        return report_cli.run(options)
    if options.command == "import":
        return importing.run(options)
    if options.command == "prune":
        return maintenance.run_prune(options)
    if options.command == "init":
        return maintenance.run_init(options)
    if options.command == "sandbox":
        if options.sandbox_command == "run-standalone":
            options.standalone = True
        return run_benchmarks(pytest_args(options))
    return 4  # pragma: no cover - argparse requires a known command
