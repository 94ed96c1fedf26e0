"""Deploy lifecycle checks against the local emulator: bad configuration creates nothing, interrupted deploys
recover, untracked resources are adopted, the state lock holds, no drift, dev leaves nothing, prod keeps its data.

Each check is a module with one entry point that returns :class:`CheckOutcome` records and fills
:class:`StackFigures`; ``python -m scripts.lifecycle`` runs them all, in order, and prints one table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from scripts.deployer import protocol


@dataclass
class CheckOutcome:
    """One check on one stack: passed or not, and what was seen (the message a reader acts on)."""

    check: str
    stack: str
    ok: bool
    detail: str
    seconds: float = 0.0


@dataclass
class StackFigures:
    """What each stack's checks timed and counted; None until the check that measures it has run."""

    stack: str
    tool: str
    deploy_seconds: float | None = None
    redeploy_after_interrupt_seconds: float | None = None
    kept_by_prod_destroy: int | None = None
    left_by_dev_destroy: int | None = None


def table(outcomes: list[CheckOutcome], figures: dict[str, StackFigures]) -> str:
    """One line per outcome, then (when any were measured) one line of figures per stack: what every entry point
    prints, the orchestrator and each check module run alone."""
    lines = [f"{'check':<28} {'stack':<20} {'result':<6} {'s':>6}  detail"]
    for outcome in outcomes:
        detail = outcome.detail.splitlines()[0][:110] if outcome.detail else ""
        lines.append(
            f"{outcome.check:<28} {outcome.stack:<20} {'ok' if outcome.ok else 'FAIL':<6} {outcome.seconds:>6.0f}"
            f"  {detail}"
        )
    if not figures:
        return "\n".join(lines)
    lines.append("")
    lines.append(
        f"{'stack':<20} {'tool':<6} {'prod deploy s':>14} {'redeploy s':>11} {'kept by prod':>13} {'left by dev':>12}"
    )
    for item in figures.values():
        lines.append(
            f"{item.stack:<20} {item.tool:<6} {_number(item.deploy_seconds):>14} "
            f"{_number(item.redeploy_after_interrupt_seconds):>11} {_number(item.kept_by_prod_destroy):>13} "
            f"{_number(item.left_by_dev_destroy):>12}"
        )
    return "\n".join(lines)


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def report(run: Callable[[], tuple[list[CheckOutcome], dict[str, StackFigures]]]) -> int:
    """A check module's exit code when run alone: the table of what ``run`` returns, 0 only when it checked
    something and all of it passed; a deploy that failed outright is logged and exits 1."""
    try:
        outcomes, figures = run()
    except protocol.DeployError as error:
        protocol.log(f"FAILED: {error}")
        return 1
    print(table(outcomes, figures))
    return 0 if outcomes and all(outcome.ok for outcome in outcomes) else 1


def chosen_stacks(tools: Sequence[protocol.Tool], names: list[str] | None) -> dict[str, list[protocol.Stack]] | None:
    """The stacks named ``names`` per tool name (each tool synthesized first if need be); None (every stack) when
    no name is given: what a check module's ``--stack`` arguments select."""
    if not names:
        return None
    chosen = {}
    for tool in tools:
        if not tool.synthesized():
            tool.synthesize()
        chosen[tool.name] = [stack for stack in tool.stacks() if stack.construct_id in names]
    return chosen


def stacks_of(tool: protocol.Tool, stacks: Mapping[str, Sequence[protocol.Stack]] | None) -> list[protocol.Stack]:
    """The stacks of ``tool`` a check covers: all of them when ``stacks`` is None, else those mapped to its name
    (none when the selection names none of them)."""
    return tool.stacks() if stacks is None else list(stacks.get(tool.name, ()))
