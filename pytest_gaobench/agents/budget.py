"""Budgets of an API agent: the stricter of the benchmark's and the command line's, checked
before each turn (turns) and after each response (tokens, cost)."""

from __future__ import annotations

from ..model.spec import Budget
from .base import BudgetExceeded, PhaseContext, SetupError
from .pricing import Price, PriceTable


def stricter(first: Budget, second: Budget) -> Budget:
    def least(a: float | None, b: float | None) -> float | None:
        return b if a is None else a if b is None else min(a, b)

    return Budget(max_cost_usd=least(first.max_cost_usd, second.max_cost_usd),
                  max_tokens=_int(least(first.max_tokens, second.max_tokens)),
                  max_turns=_int(least(first.max_turns, second.max_turns)))


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def check_turn_budget(ctx: PhaseContext, budget: Budget) -> None:
    turns = (ctx.run_usage.turns or 0) + (ctx.usage.turns or 0)
    if budget.max_turns is not None and turns >= budget.max_turns:
        raise BudgetExceeded(f"max_turns: {turns} turns used, the budget is {budget.max_turns}")


def turns_left(ctx: PhaseContext, budget: Budget) -> int | None:
    """The turns a CLI agent may still take in this phase (None: no turn budget)."""
    if budget.max_turns is None:
        return None
    left = budget.max_turns - (ctx.run_usage.turns or 0)
    if left <= 0:
        raise BudgetExceeded(f"max_turns: the budget of {budget.max_turns} turns was "
                             f"used before phase {ctx.phase.phase_name!r}")
    return left


def check_usage_budget(ctx: PhaseContext, budget: Budget) -> None:
    reason = usage_over_budget(ctx, budget)
    if reason is not None:
        raise BudgetExceeded(reason)


def usage_over_budget(ctx: PhaseContext, budget: Budget, *, spent_up: bool = False
                      ) -> str | None:
    """Why the run's tokens or cost are past the budget, or None. ``spent_up``: also when
    they reached it exactly (the metering proxy then refuses the next call)."""
    def past(used: float, limit: float) -> bool:
        return used >= limit if spent_up else used > limit

    tokens = (ctx.run_usage.tokens_total or 0) + (ctx.usage.tokens_total or 0)
    if budget.max_tokens is not None and past(tokens, budget.max_tokens):
        return f"max_tokens: {tokens} tokens used, the budget is {budget.max_tokens}"
    if budget.max_cost_usd is not None:
        if ctx.run_usage.cost_unknown or ctx.usage.cost_unknown:
            return (f"max_cost_usd: a call could not be priced, so the budget of "
                    f"${budget.max_cost_usd:g} cannot be kept")
        costs = [ctx.run_usage.cost_usd, ctx.usage.cost_usd]
        spent = sum(c or 0.0 for c in costs)
        if past(spent, budget.max_cost_usd):
            return f"max_cost_usd: ${spent:.4f} spent, the budget is ${budget.max_cost_usd:g}"
    return None


def check_priced(ctx: PhaseContext, prices: PriceTable, model: str, budget: Budget
                 ) -> Price | None:
    """The model's price. A cost budget needs one; without a budget, an unknown price is
    a warning (the cost is then null, never 0)."""
    price = prices.lookup(model)
    if price is not None:
        return price
    if budget.max_cost_usd is not None:
        raise SetupError(f"a cost budget (max_cost_usd {budget.max_cost_usd:g}) cannot be "
                         f"kept for model {model!r}: its price is unknown; give its price "
                         f"with --gaobench-prices FILE")
    ctx.warn(f"no price known for model {model!r}: its cost is reported as null")
    return None
