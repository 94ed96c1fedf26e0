"""The loop a long-running processor runs until SIGTERM: retry with back-off, reconnect, exit after repeated failure.

ECS stops a task with SIGTERM (then SIGKILL 30 s later): :func:`stop_on_signals` turns it into an event the loops
check between batches, so a batch in flight commits or rolls back before the process exits. After
``MAX_CONSECUTIVE_FAILURES`` failed steps in a row the process exits non-zero and ECS starts a fresh task (which also
picks up a rotated database secret injected at start).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Protocol

from stacks.processing.logs import log_event

MAX_CONSECUTIVE_FAILURES = 10
MAX_BACKOFF_SECONDS = 30.0


class Step(Protocol):
    """One unit of work (a poll, a receive): returns how many items it handled; ``close`` releases connections."""

    def __call__(self) -> int: ...

    def close(self) -> None: ...


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (main thread only)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def run_until_stopped(name: str, build: Callable[[], Step], stop: threading.Event, idle_seconds: float) -> None:
    """Call a step built by ``build`` until ``stop``; wait ``idle_seconds`` after a step that handled nothing.

    A failed step is logged and the step rebuilt (new connections) after an exponential back-off; the error is
    re-raised after ``MAX_CONSECUTIVE_FAILURES`` failures in a row.
    """
    step: Step | None = None
    failures = 0
    while not stop.is_set():
        try:
            step = step or build()
            handled = step()
        except Exception as error:
            failures += 1
            log_event(f"{name}_failed", logging.WARNING, error=type(error).__name__, detail=str(error)[:500])
            if step is not None:
                step.close()
                step = None
            if failures >= MAX_CONSECUTIVE_FAILURES:
                raise
            stop.wait(min(MAX_BACKOFF_SECONDS, 0.5 * 2**failures))
            continue
        failures = 0
        if not handled:
            stop.wait(idle_seconds)
    if step is not None:
        step.close()
