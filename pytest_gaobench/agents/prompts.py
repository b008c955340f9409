"""Role prompts: the phase's `agent:` names a role, and the role sets the system prompt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..model.spec import role_key

if TYPE_CHECKING:
    from .base import PhaseContext

COMMON = """\
You are an autonomous software engineer working alone in a project folder, through the
tools you are given. Nobody will answer questions: decide, state your assumptions, and
keep going. Run the project's tests yourself before you stop. When the phase's work is
done, reply with a short summary and no tool call."""

ROLES = {
    "product_manager": "You are the product manager: turn the request into clear user "
                       "stories with acceptance criteria, written into the project.",
    "analyst": "You are the analyst: clarify the requirements and write them down.",
    "architect": "You are the architect: design the modules, interfaces and data, and write "
                 "the design into the project before any code.",
    "developer": "You are the developer: implement the work with tests, in small steps, and "
                 "keep the test suite passing.",
    "tester": "You are the tester: write tests that pin down the behaviour, run them, and fix "
              "what they find.",
    "reviewer": "You are the reviewer: read the code, fix defects and unclear code, and keep "
                "the tests passing.",
}


def role_prompt(role: str, declared: Mapping[str, str] | None = None) -> str:
    """The system prompt for a role: the benchmark's own (``roles:``) first, then ours;
    an unknown role (a spec made in code, unvalidated) gets the common prompt and its name."""
    key = role_key(role)
    own = {role_key(name): text for name, text in (declared or {}).items()}
    specific = own.get(key) or ROLES.get(key, f"You are the {role}.")
    return f"{specific}\n\n{COMMON}"


def phase_prompt(ctx: PhaseContext) -> str:
    """The task of a phase: the benchmark's prompt, the phase and its role, its own prompt
    and the files it must leave (the same text for every agent)."""
    phase = ctx.phase
    parts = [ctx.config.initial_prompt.strip(),
             f"Current phase: {phase.phase_name} (your role: {phase.agent}).",
             phase.prompt.strip()]
    if phase.expected_artifacts:
        parts.append("This phase must leave these files: " + ", ".join(phase.expected_artifacts))
    return "\n\n".join(part for part in parts if part)
