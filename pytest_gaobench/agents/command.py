"""The command agent: any command-line agent, from a command template.

The program it starts is shown in the sandbox with its installation (``installation``);
one that cannot be found is a configuration error before any work.

The template (``agent_command:`` in the benchmark, ``--gaobench-agent-command``, or the
ini key ``gaobench_agent_command``) is run by ``/bin/sh`` in the workspace, once per
phase, in the sandbox. Placeholders ``{prompt}``, ``{prompt_file}``, ``{model}``,
``{phase}``, ``{role}`` and ``{workspace}`` are replaced shell-quoted; the same values
are in ``GAOBENCH_PROMPT_FILE``, ``GAOBENCH_MODEL``, ``GAOBENCH_PHASE``, ``GAOBENCH_ROLE``
and ``GAOBENCH_WORKSPACE``. Exit code 0 means the phase's work is done.

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
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from ..model.spec import BenchmarkConfig, Budget
from ..sandbox.output import KEPT_HEAD, KEPT_TAIL, keep_output
from ..sandbox.sandbox import Sandbox
from ..sandbox.untrusted import read_regular
from .base import PhaseContext, SetupError
from .budget import check_priced, stricter
from .claude_stream import read_claude_stream
from .cli_outcome import conclude, record_stream
from .credentials import ApiKey
from .installation import (
    find_program,
    installation_of,
    package_root,
    protected_paths,
    refuse_protected,
    unique_outside_system,
)
from .metering import MeteredApi, new_run_token
from .pricing import DEFAULT_MODEL, PriceTable
from .prompts import phase_prompt
from .providers import KEY_VARIABLES, PROVIDERS

SHELL_WORDS = frozenset({"exec", "env", "cd", "set", "export", "if", "for", "while", "(",
                         "{", "!", "time", "command", "eval", "."})
"""First words that are the shell's own: the program comes later (the shell reports it)."""
USAGE_FILE = "usage.json"
USAGE_FILE_LIMIT = 64 * 1024
PLACEHOLDERS = ("prompt", "prompt_file", "model", "phase", "role", "workspace")
USAGE_KEYS = {"input_tokens": "tokens_input", "output_tokens": "tokens_output",
              "cache_read_input_tokens": "tokens_cache_read",
              "cache_creation_input_tokens": "tokens_cache_write", "cost_usd": "cost_usd",
              "turns": "turns", "api_calls": "api_calls", "tool_calls": "tool_calls"}
METERED_KEYS = ("tokens_input", "tokens_output", "tokens_cache_read", "tokens_cache_write",
                "cost_usd", "api_calls")
"""What the proxy measures: a usage file's own numbers for these are not taken."""


class CommandAgent:
    name = "command"

    def __init__(self, *, command: str | None = None, default_command: str | None = None,
                 env_names: Sequence[str] = (), network: bool = False,
                 api_key: ApiKey | None = None,
                 model: str | None = None, budget: Budget | None = None,
                 prices: PriceTable | None = None) -> None:
        """``command`` (the command line's) wins over the benchmark's ``agent_command``,
        which wins over ``default_command`` (the ini file's). ``env_names``: the harness's
        variables the command receives; ``ANTHROPIC_API_KEY`` among them means metered
        API access (``api_key`` is then the real key, kept in the harness). ``network``: the
        host's network for the command (else only the proxy, unless the benchmark allows
        the network)."""
        self.command = command
        self.default_command = default_command
        self.env_names = tuple(env_names)
        self.network = network
        self.api_key = api_key
        self.model = model
        self.budget = budget or Budget()
        self.prices = prices or PriceTable.shipped()
        self.token = new_run_token()

    @property
    def providers(self) -> list[str]:
        """The providers whose key variable is in the allow-list: metered access."""
        return [KEY_VARIABLES[name] for name in self.env_names if name in KEY_VARIABLES]

    @property
    def metered(self) -> bool:
        return bool(self.providers)

    def model_for(self, config: BenchmarkConfig) -> str:
        return self.model or config.model or DEFAULT_MODEL

    def preflight(self, config: BenchmarkConfig, sandbox: Sandbox) -> None:
        shown = self.program(self.template(config.agent_command))
        refuse_protected([*shown, *sandbox.shown], protected_paths(config, sandbox.runs_root),
                         "the agent command")
        if len(self.providers) > 1:
            raise SetupError(f"the command agent is metered on one provider at a time: "
                             f"--gaobench-agent-env names {', '.join(self.providers)}")
        if self.metered and self.api_key is None:
            variable = PROVIDERS[self.providers[0]].key_env
            raise SetupError(f"the command agent was given API access ({variable} in "
                             f"--gaobench-agent-env) but there is no API key to meter with")

    def program(self, command: str) -> list[Path]:
        """The folders the command's program needs shown in the sandbox; a program that
        cannot be found is a configuration error, named before any work."""
        try:
            words = shlex.split(command)
        except ValueError as exc:
            raise SetupError(f"the agent command cannot be read as a shell command ({exc}): "
                             f"{command}") from None
        if not words or "{" in words[0] or "=" in words[0] or words[0] in SHELL_WORDS:
            return []  # the shell will tell (a builtin, a variable, a placeholder)
        found = find_program(words[0])
        if found is None:
            raise SetupError(f"the agent command's program {words[0]!r} is not found (not "
                             f"on PATH, or not an executable file): check "
                             f"--gaobench-agent-command / agent_command")
        scripts = [package_root(Path(word).resolve()) for word in words[1:]
                   if word.startswith(("/", "~")) and Path(word).expanduser().is_file()]
        return unique_outside_system(installation_of(found).folders + scripts)

    def template(self, from_benchmark: str | None) -> str:
        template = self.command or from_benchmark or self.default_command
        if not template:
            raise SetupError("the command agent has no command: give `agent_command:` in "
                             "the benchmark, --gaobench-agent-command, or the ini key "
                             "gaobench_agent_command")
        return template

    def run_phase(self, ctx: PhaseContext) -> None:
        template = self.template(ctx.config.agent_command)
        model = self.model_for(ctx.config)
        budget = stricter(ctx.config.budget, self.budget)
        # The phase's folder is the harness's: the prompt is shown read-only inside, the
        # output is written through descriptors the harness holds; only `out/` (for the
        # usage file) is writable inside, and it is read back as hostile data.
        folder = ctx.sandbox.run_dir / f"agent-{ctx.phase_index + 1:02d}-{ctx.phase.phase_name}"
        out = folder / "out"
        out.mkdir(parents=True, exist_ok=False)
        prompt_file, usage_file = folder / "prompt.md", out / USAGE_FILE
        prompt = phase_prompt(ctx)
        prompt_file.write_text(prompt, encoding="utf-8")
        values = {"prompt": prompt, "prompt_file": str(prompt_file), "model": model,
                  "phase": ctx.phase.phase_name, "role": ctx.phase.agent,
                  "workspace": str(ctx.sandbox.workspace)}
        command = fill(template, values)
        env = {f"GAOBENCH_{key.upper()}": value for key, value in values.items()
               if key != "prompt"}
        env["GAOBENCH_USAGE_FILE"] = str(usage_file)
        env.update({name: os.environ[name] for name in self.env_names
                    if name in os.environ and name not in KEY_VARIABLES})
        ctx.log.transcript("agent_process", phase=ctx.phase.phase_name, program="command",
                           command=command, model=model, metered=self.metered,
                           env=sorted(env))
        stdout_path = folder / "stdout.txt"
        shown = self.program(command)
        if self.metered:
            assert self.api_key is not None
            check_priced(ctx, self.prices, model, budget)
            metering: Any = MeteredApi(ctx, api_key=self.api_key, token=self.token,
                                       prices=self.prices, budget=budget, model=model,
                                       network=True if self.network else None,
                                       provider=PROVIDERS[self.providers[0]])
        else:
            metering = nullcontext(None)
        with metering as api:
            done = ctx.sandbox.run(
                ["/bin/sh", "-c", command], timeout=max(ctx.remaining(), 0.001),
                env={**env, **(api.env if api else {})},
                network=True if self.network else None, writable=[out],
                readable=[prompt_file, *shown, *ctx.sandbox.shown], stdout_path=stdout_path,
                cancel=api.state.stop_agent if api else None, on_wait=ctx.alive,
                display=command, service=api.service if api else None)
        written = keep_output(stdout_path, ctx.log.redactor.text)
        if written > KEPT_HEAD + KEPT_TAIL:
            ctx.warn(f"the agent printed {written} bytes: {stdout_path.name} keeps its first "
                     f"{KEPT_HEAD} and last {KEPT_TAIL} bytes")
        stream = read_claude_stream(stdout_path)
        reported = read_usage_file(usage_file, ctx)
        if reported is None:
            record_stream(ctx, stream)
        else:
            take_reported_usage(ctx, reported, metered=self.metered, model=model,
                                prices=self.prices)
        conclude(ctx, "the agent command", done, api.state if api else None, stream)


_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def fill(template: str, values: dict[str, str]) -> str:
    """Only the known placeholders are replaced: other braces (JSON, shell brace
    expansion) stay as they are, with nothing to escape."""
    return _PLACEHOLDER.sub(lambda match: shlex.quote(values[match.group(1)]), template)


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
