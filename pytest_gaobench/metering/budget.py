"""Budget accounting: the stricter of two budgets, and whether what an account spent is
past one. The account is anything with the phase's usage and the run's before it (an
agent's ``PhaseContext``); metering knows no agent."""

from __future__ import annotations

from typing import Protocol

from ..model.metrics import Usage
from ..model.spec import Budget


class Spending(Protocol):
    """What a budget is checked against: this phase's usage over the run's before it."""

    @property
    def usage(self) -> Usage: ...
    @property
    def run_usage(self) -> Usage: ...


def stricter(first: Budget, second: Budget) -> Budget:
    def least(a: float | None, b: float | None) -> float | None:
        return b if a is None else a if b is None else min(a, b)

    return Budget(max_cost_usd=least(first.max_cost_usd, second.max_cost_usd),
                  max_tokens=_int(least(first.max_tokens, second.max_tokens)),
                  max_turns=_int(least(first.max_turns, second.max_turns)))


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def usage_over_budget(spending: Spending, budget: Budget, *, spent_up: bool = False
                      ) -> str | None:
    """Why the run's tokens or cost are past the budget, or None. ``spent_up``: also when
    they reached it exactly (the metering proxy then refuses the next call)."""
    def past(used: float, limit: float) -> bool:
        return used >= limit if spent_up else used > limit

    run, phase = spending.run_usage, spending.usage
    tokens = (run.tokens_total or 0) + (phase.tokens_total or 0)
    if budget.max_tokens is not None and past(tokens, budget.max_tokens):
        return f"max_tokens: {tokens} tokens used, the budget is {budget.max_tokens}"
    if budget.max_cost_usd is not None:
        if run.cost_unknown or phase.cost_unknown:
            return (f"max_cost_usd: a call could not be priced, so the budget of "
                    f"${budget.max_cost_usd:g} cannot be kept")
        spent = (run.cost_usd or 0.0) + (phase.cost_usd or 0.0)
        if past(spent, budget.max_cost_usd):
            return f"max_cost_usd: ${spent:.4f} spent, the budget is ${budget.max_cost_usd:g}"
    return None
