"""The aider agent: Aider (``aider-chat``), headless, one ``aider --message-file`` per phase.

Aider reaches its model through LiteLLM, so it can be metered on any provider the proxy
speaks: the model decides (``openai/gpt-5.5``, ``claude-sonnet-5-5``,
``gemini/gemini-3-pro``), and Aider gets that provider's proxy URL and a run token in
the variables LiteLLM reads. The phase prompt is the message; the role prompt is a
read-only file in the chat (``--read``, how Aider takes conventions). Its home is the
run's; its chat history lives there, so a benchmark that continues one session restores
it (``--restore-chat-history``). Aider runs without git (``--no-git``: it neither
creates a repository in the workspace nor commits; the harness reads the workspace), and
no update check, analytics or model-price download is tried.

Measured: usage and cost (the proxy), turns (model calls, as the proxy counted them;
Aider's own reflections on a failed edit are turns too). Not measured: tool calls
(Aider edits files from its replies' text, it calls no tools): null. Aider exits 0 even
when the API failed it, so a phase whose last call failed on the API's side is an infra
failure, not finished work.
"""

from __future__ import annotations

import json

from ...metering.pricing import DEFAULT_MODEL
from ...sandbox.output import last_lines, read_bounded
from ...sandbox.process import CommandResult
from ..base import PhaseContext
from ..prompts import phase_prompt, role_prompt
from .base import CliAgent, Launch, PhaseSetup, write_home_file
from .outcome import conclude_exit

FIXED_ARGS = ("--yes-always", "--no-check-update", "--no-show-release-notes",
              "--analytics-disable", "--no-git", "--no-pretty", "--no-fancy-input",
              "--no-show-model-warnings", "--no-detect-urls")
FIXED_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no price download at start
             "PYTHONUNBUFFERED": "1",  # its log is whole even when it is stopped
             "AIDER_CHECK_UPDATE": "false"}


class AiderAgent(CliAgent):
    name = "aider"
    program = "aider"
    label = "Aider"
    install_hint = "pipx install aider-chat"
    default_model = DEFAULT_MODEL
    provider_name = None  # the model's provider
    output_suffix = "log"

    def launch(self, ctx: PhaseContext, setup: PhaseSetup) -> Launch:
        message, conventions = setup.folder / "message.md", setup.folder / "role.md"
        message.write_text(phase_prompt(ctx), encoding="utf-8")
        conventions.write_text(role_prompt(ctx.phase.agent, ctx.config.roles),
                               encoding="utf-8")
        model = self.litellm_model(setup.model)
        write_model_metadata(setup, model)
        argv = [*setup.argv, "--model", model,
                "--message-file", str(message), "--read", str(conventions), *FIXED_ARGS,
                "--chat-history-file", str(setup.home / "aider.chat.history.md"),
                "--input-history-file", str(setup.home / "aider.input.history")]
        if ctx.config.continue_session and ctx.phase_index > 0:
            argv.append("--restore-chat-history")
        return Launch(argv, {**FIXED_ENV, **setup.api.env},
                      f"aider --model {model} --message-file <phase "
                      f"{ctx.phase.phase_name} prompt>")

    def finish(self, ctx: PhaseContext, setup: PhaseSetup, done: CommandResult) -> None:
        state = setup.api.state
        conclude_exit(ctx, "aider", done, state, provider=self.provider_for(setup.model).label,
                      failed=not done.ok or state.infra is not None,
                      said=last_lines(read_bounded(setup.output, 64 * 1024), 15, 2000)
                      + ("\n" + done.tail() if done.tail() else ""))


def write_model_metadata(setup: PhaseSetup, model: str) -> None:
    """Aider's model-metadata cache, fresh and naming the run's model: with it Aider
    downloads no price list (it fetches one whenever its cache is missing, a day old or
    empty). The numbers are generous bounds; the harness prices calls itself."""
    provider, _, bare = model.partition("/")
    entry = {"max_input_tokens": 1_000_000, "max_output_tokens": 128_000,
             "max_tokens": 128_000, "input_cost_per_token": 0.0,
             "output_cost_per_token": 0.0, "litellm_provider": provider, "mode": "chat"}
    write_home_file(setup, ".aider/caches/model_prices_and_context_window.json",
                    json.dumps({model: entry, bare: entry}))
