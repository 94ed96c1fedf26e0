"""Deploy lifecycle checks against the local emulator: no drift, interrupted deploys recover, prod keeps its data,
dev leaves nothing, bad configuration creates nothing.

Each check is a module with one entry point that returns :class:`CheckOutcome` records and fills
:class:`StackFigures`; ``python -m scripts.deploy_checks`` runs them all, in order, and prints one table.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    """The figures the issue asks for, per stack; None until the check that measures it has run."""

    stack: str
    tool: str
    deploy_seconds: float | None = None
    redeploy_after_interrupt_seconds: float | None = None
    kept_by_prod_destroy: int | None = None
    left_by_dev_destroy: int | None = None
