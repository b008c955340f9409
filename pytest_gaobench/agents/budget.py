"""An agent's budget checks: turns before each turn, tokens and cost after each response,
a price before a cost budget is taken on. Each raises what a spent budget means to an
agent (``BudgetExceeded``); the accounting itself is the metering's."""

from __future__ import annotations

from ..metering.budget import usage_over_budget
from ..metering.pricing import Price, PriceTable
from ..model.spec import Budget
from .base import BudgetExceeded, PhaseContext, SetupError


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
