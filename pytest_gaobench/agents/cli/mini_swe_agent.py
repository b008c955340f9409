"""The mini-swe-agent agent: mini-SWE-agent's ``mini``, headless, one run per phase.

Each phase runs ``mini -t PROMPT -m PROVIDER/MODEL --yolo --exit-immediately -c mini.yaml
-c PHASE.yaml -o TRAJECTORY`` in the workspace, in the sandbox. The phase's config file
(the harness's, read-only inside) sets the role prompt as the system prompt, the step
limit from the turn budget and no cost limit of its own (the proxy keeps the budget).
Like Aider it reaches its model through LiteLLM, so the model decides the provider it is
metered on; it gets that provider's proxy URL and a run token. Its home is the run's: no
global ``.env`` of the user's is read, and its first-run set-up is skipped.

Measured: usage and cost (the proxy), turns (model calls, as the proxy counted them), tool
calls (the ``bash`` calls in its trajectory, read as hostile data: a regular file of
bounded size, else tool calls stay unmeasured). Its trajectory's ``exit_status`` says how
it ended: ``Submitted`` is finished work, ``LimitsExceeded`` the turn budget. Each phase
starts afresh (mini keeps no sessions).
"""

from __future__ import annotations

import json
from typing import Any

from ...metering.pricing import DEFAULT_MODEL
from ...sandbox.output import last_lines, read_bounded
from ...sandbox.process import CommandResult
from ...sandbox.untrusted import read_regular
from ..base import BudgetExceeded, PhaseContext
from ..prompts import phase_prompt, role_prompt
from .base import CliAgent, Launch, PhaseSetup
from .outcome import conclude_exit

TRAJECTORY_LIMIT = 64 * 1024 * 1024
FIXED_ENV = {"MSWEA_CONFIGURED": "true",  # no first-run set-up questions
             "MSWEA_SILENT_STARTUP": "1",
             "MSWEA_COST_TRACKING": "ignore_errors",  # a model LiteLLM cannot price
             "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no price download at start
             "PYTHONUNBUFFERED": "1"}


class MiniSweAgent(CliAgent):
    name = "mini-swe-agent"
    program = "mini"
    label = "mini-swe-agent"
    install_hint = "pipx install mini-swe-agent"
    default_model = DEFAULT_MODEL
    provider_name = None  # the model's provider
    output_suffix = "log"
    proxy_keeps_turns = False  # agent.step_limit

    def launch(self, ctx: PhaseContext, setup: PhaseSetup) -> Launch:
        config = setup.folder / "mini.yaml"
        agent = {"system_template": role_prompt(ctx.phase.agent, ctx.config.roles),
                 "step_limit": setup.turns or 0, "cost_limit": 0, "mode": "yolo"}
        config.write_text(json.dumps({"agent": agent}), encoding="utf-8")  # JSON is YAML
        model = self.litellm_model(setup.model)
        argv = [*setup.argv, "-t", phase_prompt(ctx), "-m", model, "--yolo",
                "--exit-immediately", "-c", "mini.yaml", "-c", str(config),
                "-o", str(setup.home / trajectory_name(ctx))]
        return Launch(argv, {**FIXED_ENV, **setup.api.env},
                      f"mini -m {model} -t <phase {ctx.phase.phase_name} prompt>")

    def finish(self, ctx: PhaseContext, setup: PhaseSetup, done: CommandResult) -> None:
        state = setup.api.state
        trajectory = read_trajectory(ctx, setup)
        info = trajectory.get("info") if isinstance(trajectory.get("info"), dict) else {}
        messages = trajectory.get("messages")
        if isinstance(messages, list):
            ctx.usage.tool_calls = (ctx.usage.tool_calls or 0) + sum(
                len(message.get("tool_calls") or []) for message in messages
                if isinstance(message, dict) and message.get("role") == "assistant")
        status = str(info.get("exit_status") or "") if isinstance(info, dict) else ""
        if status == "LimitsExceeded" and not state.budget_stop and not done.timed_out:
            raise BudgetExceeded(f"max_turns: mini-swe-agent used its {setup.turns} turns "
                                 f"without finishing")
        said = last_lines(read_bounded(setup.output, 64 * 1024), 15, 2000)
        conclude_exit(ctx, "mini", done, state, provider=self.provider_for(setup.model).label,
                      failed=not done.ok or (bool(trajectory) and status != "Submitted"),
                      said=f"exit status {status!r}\n{said}" if status else said)


def trajectory_name(ctx: PhaseContext) -> str:
    return f"mini-{ctx.stem}.traj.json"


def read_trajectory(ctx: PhaseContext, setup: PhaseSetup) -> dict[str, Any]:
    """The trajectory mini wrote in its (writable) home: hostile data, read only as a
    regular file under the size limit; {} when it is not there or not readable."""
    try:
        data = json.loads(read_regular(setup.home, trajectory_name(ctx), TRAJECTORY_LIMIT))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # a link, FIFO or folder; too big; not JSON
        ctx.note("agent_output_refused", reason=str(exc)[:500])
        return {}
    return data if isinstance(data, dict) else {}
