"""The command agent: any command-line agent, from a command template.

The program it starts is shown in the sandbox with its installation (``installation``);
one that cannot be found is a configuration error before any work.

The template (``agent_command:`` in the benchmark, ``--gaobench-agent-command``, or the
ini key ``gaobench_agent_command``) is run by ``/bin/sh`` in the workspace, once per
phase, in the sandbox. Placeholders ``{prompt}``, ``{prompt_file}``, ``{model}``,
``{phase}``, ``{role}``, ``{workspace}`` and ``{benchmark_dir}`` (the benchmark file's
folder) are replaced shell-quoted; the same values are in ``GAOBENCH_PROMPT_FILE``,
``GAOBENCH_MODEL``, ``GAOBENCH_PHASE``, ``GAOBENCH_ROLE``, ``GAOBENCH_WORKSPACE`` and
``GAOBENCH_BENCHMARK_DIR``. The agent's script (``python my_agent.py``) is read from the
benchmark file's folder when the template is the benchmark's ``agent_command``, else from
the folder pytest runs in (one the boilerplate holds runs from the workspace); one that is
nowhere is a configuration error. Exit code 0 means the phase's work is done.

Usage: measured by the metering proxy when the agent was given API access (a provider's
key variable in its environment allow-list, ``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY`` or
``GEMINI_API_KEY``, gets it a run token and that provider's proxy, never the key);
otherwise what the command writes to ``GAOBENCH_USAGE_FILE`` as a
JSON object, or what it prints in Claude's stream-json format. What it does not report
stays unmeasured (null), never 0.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ...metering.api_usage import USAGE_NAMES
from ...metering.credentials import ApiKey
from ...metering.pricing import PriceTable
from ...metering.providers import KEY_VARIABLES, PROVIDERS
from ...model.spec import BenchmarkConfig, Budget
from ...sandbox.process import CommandResult
from ...sandbox.untrusted import read_regular
from ..base import PhaseContext, SetupError
from ..prompts import phase_prompt
from .base import CliAgent, Launch, PhaseSetup
from .claude_stream import read_claude_stream
from .installation import (
    Installation,
    find_program,
    installation_of,
    package_root,
    unique_outside_system,
)
from .outcome import conclude, record_stream

SHELL_WORDS = frozenset({"exec", "env", "cd", "set", "export", "if", "for", "while", "(",
                         "{", "!", "time", "command", "eval", "."})
"""First words that are the shell's own: the program comes later (the shell reports it)."""
USAGE_FILE = "usage.json"
USAGE_FILE_LIMIT = 64 * 1024
PLACEHOLDERS = ("prompt", "prompt_file", "model", "phase", "role", "workspace",
                "benchmark_dir")
INTERPRETERS = frozenset({"python", "python3", "node", "bash", "sh", "ruby", "perl", "deno",
                          "bun", "uv", "php"})
"""Programs whose first argument is the agent's script."""
SCRIPT_SUFFIXES = (".py", ".sh", ".js", ".mjs", ".ts", ".rb", ".pl", ".php")
USAGE_KEYS = {**USAGE_NAMES, "cost_usd": "cost_usd", "turns": "turns",
              "api_calls": "api_calls", "tool_calls": "tool_calls"}
METERED_KEYS = ("tokens_input", "tokens_output", "tokens_cache_read", "tokens_cache_write",
                "cost_usd", "api_calls")
"""What the proxy measures: a usage file's own numbers for these are not taken."""


class CommandAgent(CliAgent):
    name = "command"
    program = "command"
    label = "agent command"
    install_hint = "check --gaobench-agent-command / agent_command"
    default_model = ""  # unknown unless declared
    turns_from_stream = True  # its stream, or its usage file
    fixed_env: ClassVar[Mapping[str, str]] = {}
    own_home = False

    def __init__(self, *, command: str | None = None, default_command: str | None = None,
                 env_names: Sequence[str] = (), network: bool = False,
                 api_keys: Mapping[str, ApiKey] | None = None, model: str | None = None,
                 budget: Budget | None = None, prices: PriceTable | None = None) -> None:
        """``command`` (the command line's) wins over the benchmark's ``agent_command``,
        which wins over ``default_command`` (the ini file's). ``env_names``: the harness's
        variables the command receives; a provider's key variable among them means
        metered API access (the real key stays in the harness). ``network``: the host's
        network for the command (else only the proxy, unless the benchmark allows the
        network)."""
        super().__init__(api_keys=api_keys, model=model, budget=budget, prices=prices)
        self.command = command
        self.default_command = default_command
        self.env_names = tuple(env_names)
        self.network = True if network else None

    @property
    def providers(self) -> list[str]:
        """The providers whose key variable is in the allow-list: metered access."""
        return [KEY_VARIABLES[name] for name in self.env_names if name in KEY_VARIABLES]

    @property
    def metered(self) -> bool:
        return bool(self.providers)

    @property
    def provider_name(self) -> str | None:  # type: ignore[override]
        return self.providers[0] if self.providers else "anthropic"

    def model_for(self, config: BenchmarkConfig) -> str:
        """--gaobench-model, else the benchmark's ``model:``, else unknown (""): the
        command's model is what it says, never a default the harness would price it at."""
        return self.model or config.model or ""

    def installation(self, config: BenchmarkConfig) -> Installation | None:
        return None  # the shell runs the command; `shown` says what it needs

    def shown(self, config: BenchmarkConfig) -> list[Path]:
        return self.program_folders(self.template(config), config.container is not None)

    def key_for(self, config: BenchmarkConfig) -> ApiKey | None:
        if len(self.providers) > 1:
            raise SetupError(f"the command agent is metered on one provider at a time: "
                             f"--gaobench-agent-env names {', '.join(self.providers)}")
        if not self.metered:
            return None
        key = self.api_keys.get(self.providers[0])
        if key is None:
            variable = PROVIDERS[self.providers[0]].key_env
            raise SetupError(f"the command agent was given API access ({variable} in "
                             f"--gaobench-agent-env) but there is no API key to meter with")
        return key

    def program_folders(self, command: str, in_container: bool = False) -> list[Path]:
        """The folders the command's program needs shown in the sandbox; a program that
        cannot be found is a configuration error, named before any work. In a container
        the program is the image's (found on its PATH): only the scripts named by path
        are the harness's to show."""
        words = program_words(command)
        if words is None:
            return []
        scripts = [package_root(Path(word).resolve()) for word in words[1:]
                   if word.startswith(("/", "~")) and Path(word).expanduser().is_file()]
        if in_container:
            return scripts
        found = find_program(words[0])
        if found is None:
            raise SetupError(f"the agent command's program {words[0]!r} is not found (not "
                             f"on PATH, or not an executable file): check "
                             f"--gaobench-agent-command / agent_command")
        return unique_outside_system(installation_of(found).folders + scripts)

    def template(self, config: BenchmarkConfig) -> str:
        """The command template with ``{benchmark_dir}`` filled in and the agent's script
        (the program, or an interpreter's first argument) made absolute: relative to the
        benchmark file's folder when the template is the benchmark's own, else to the
        folder pytest runs in (never the workspace, where the command runs)."""
        own = self.command is None and bool(config.agent_command)
        template = self.command or config.agent_command or self.default_command
        if not template:
            raise SetupError("the command agent has no command: give `agent_command:` in "
                             "the benchmark, --gaobench-agent-command (gao-dev sandbox run: "
                             "--agent-command), or the ini key gaobench_agent_command")
        template = fill(template, {"benchmark_dir": str(config.base_dir)})
        template = resolved_script(template, config.base_dir if own else Path.cwd(),
                                   config.boilerplate_dir)
        return own_program(template) if config.python_environment is not None else template

    def output_for(self, ctx: PhaseContext, folder: Path) -> Path:
        return folder / "stdout.txt"

    def launch(self, ctx: PhaseContext, setup: PhaseSetup) -> Launch:
        # The phase's folder is the harness's: the prompt is shown read-only inside, the
        # output is written through descriptors the harness holds; only `out/` (for the
        # usage file) is writable inside, and it is read back as hostile data.
        out = setup.folder / "out"
        out.mkdir(exist_ok=False)
        prompt_file, usage_file = setup.folder / "prompt.md", out / USAGE_FILE
        prompt = phase_prompt(ctx)
        prompt_file.write_text(prompt, encoding="utf-8")
        values = {"prompt": prompt, "prompt_file": str(prompt_file), "model": setup.model,
                  "phase": ctx.phase.phase_name, "role": ctx.phase.agent,
                  "workspace": str(ctx.sandbox.workspace),
                  "benchmark_dir": str(ctx.config.base_dir)}
        command = fill(self.template(ctx.config), values)
        env = {f"GAOBENCH_{key.upper()}": value for key, value in values.items()
               if key != "prompt"}
        env["GAOBENCH_USAGE_FILE"] = str(usage_file)
        env.update({name: os.environ[name] for name in self.env_names
                    if name in os.environ and name not in KEY_VARIABLES})
        logged = {"command": command, "metered": self.metered, "env": sorted(env)}
        return Launch(["/bin/sh", "-c", command],
                      {**env, **(setup.metered.env if setup.metered else {})}, command,
                      logged, readable=[prompt_file, *self.program_folders(
                          command, ctx.config.container is not None)],
                      writable=[out])

    def finish(self, ctx: PhaseContext, setup: PhaseSetup, done: CommandResult) -> None:
        stream = read_claude_stream(setup.output)
        reported = read_usage_file(setup.folder / "out" / USAGE_FILE, ctx)
        if reported is None:
            record_stream(ctx, stream)
        else:
            said = reported.get("model")
            take_reported_usage(ctx, reported, metered=self.metered,
                                model=said if isinstance(said, str) and said else setup.model,
                                prices=self.prices)
        api = setup.metered
        conclude(ctx, "the agent command", done, api.state if api else None, stream)


_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def fill(template: str, values: dict[str, str]) -> str:
    """The known placeholders named in ``values`` are replaced: other braces (JSON, shell
    brace expansion, a placeholder filled later) stay as they are, with nothing to
    escape."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return shlex.quote(values[name]) if name in values else match.group(0)

    return _PLACEHOLDER.sub(value, template)


def program_words(command: str) -> list[str] | None:
    """The command's words, when its first is a program of its own (not one the shell
    resolves itself: a builtin, a variable, a placeholder); one that cannot be read as a
    shell command is a configuration error."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise SetupError(f"the agent command cannot be read as a shell command ({exc}): "
                         f"{command}") from None
    if not words or "{" in words[0] or "=" in words[0] or words[0] in SHELL_WORDS:
        return None
    return words


def own_program(template: str) -> str:
    """``template`` with a program named bare (``python``) made the one on the harness's
    PATH: in a benchmark with its own environment the agent runs with the interpreter it
    was installed for, while the commands it runs find the environment's ``python``
    first."""
    words = program_words(template)
    if words is None or "/" in words[0] or not template.lstrip().startswith(words[0]):
        return template
    found = find_program(words[0])
    if found is None:
        return template
    stripped = template.lstrip()
    return shlex.quote(str(found)) + stripped[len(words[0]):]


def resolved_script(template: str, base: Path, boilerplate: Path | None = None) -> str:
    """``template`` with its script (the program when it is a path, else an interpreter's
    first argument that looks like a script) made absolute against ``base``. One the
    (local) boilerplate holds is left relative: it runs from the workspace. A script that
    is in neither is a configuration error naming where it was looked for."""
    words = program_words(template)
    if words is None:
        return template
    interpreter = re.sub(r"[\d.]+$", "", Path(words[0]).name) in INTERPRETERS
    script = words[0] if "/" in words[0] and not interpreter else None
    if interpreter and len(words) > 1:
        given = words[1]
        if not given.startswith("-") and "{" not in given and (
                "/" in given or given.endswith(SCRIPT_SUFFIXES)):
            script = given
    if script is None:
        return template
    path = Path(script).expanduser()
    where = path if path.is_absolute() else base / path
    if not where.is_file():
        if not path.is_absolute() and (boilerplate is None or (boilerplate / path).is_file()):
            return template  # the workspace's own (a git boilerplate's: unknown here)
        raise SetupError(f"the agent command's script {script!r} is not found (looked for "
                         f"{where}; a relative path is read from {base}, or from the "
                         f"workspace when the boilerplate has it)")
    if path.is_absolute():
        return template
    return template.replace(script, shlex.quote(str(where.resolve())), 1)


def read_usage_file(path: Path, ctx: PhaseContext) -> dict[str, Any] | None:
    """The agent's usage file: written inside the sandbox, so read as hostile data (a
    regular file, no link on the way, at most USAGE_FILE_LIMIT bytes)."""
    try:
        data = json.loads(read_regular(path.parent, path.name, USAGE_FILE_LIMIT))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        ctx.warn(f"phase {ctx.phase.phase_name!r}: the usage file could not be read ({exc})")
        return None
    if not isinstance(data, dict):
        ctx.warn(f"phase {ctx.phase.phase_name!r}: the usage file is not a JSON object")
        return None
    return data


def take_reported_usage(ctx: PhaseContext, reported: dict[str, Any], *, metered: bool,
                        model: str, prices: PriceTable) -> None:
    """The usage file's numbers, where the proxy did not measure them itself."""
    for key, field in USAGE_KEYS.items():
        value = reported.get(key)
        if value is None or (metered and field in METERED_KEYS):
            continue
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            ctx.warn(f"phase {ctx.phase.phase_name!r}: usage file {key}={value!r} ignored "
                     f"(not a non-negative number)")
            continue
        setattr(ctx.usage, field, value if field == "cost_usd" else int(value))
    usage = ctx.usage
    if not metered and usage.cost_usd is None and usage.tokens_total is not None:
        price = prices.lookup(model)
        if price is not None:
            usage.cost_usd = price.cost(tokens_input=usage.tokens_input or 0,
                                        tokens_output=usage.tokens_output or 0,
                                        tokens_cache_read=usage.tokens_cache_read or 0,
                                        tokens_cache_write=usage.tokens_cache_write or 0)
