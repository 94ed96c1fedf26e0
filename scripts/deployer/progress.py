"""Live progress of a CLI call the deployer runs: resources done out of the total, read from the call's log.

:func:`resources_done` reads a ``terraform apply``/``destroy`` log or a ``cdk deploy --progress=events`` log;
:class:`ProgressWatch` prints a line every ``interval`` seconds while the call runs, and says so when the count has
not moved for ``stalled_after`` seconds::

    with ProgressWatch("IotPlatform deploy", log_file):
        subprocess.run(...)
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

#: Terraform's plan line: what the apply or destroy is about to do.
TERRAFORM_PLAN = re.compile(r"Plan: (\d+) to add, \d+ to change, (\d+) to destroy")
#: One resource finished by Terraform.
TERRAFORM_DONE = re.compile(r": (?:Creation|Destruction) complete after ")
#: The CDK CLI's event lines carry ``| done/total |``.
CDK_EVENT = re.compile(r"\|\s*(\d+)/(\d+)\s*\|")


@dataclass(frozen=True)
class Count:
    """Resources done so far and the total (``None`` while the tool has not said)."""

    done: int
    total: int | None

    def __str__(self) -> str:
        return f"{self.done}/{self.total if self.total is not None else '?'} resources"


def resources_done(log_text: str) -> Count:
    """How far a CDK or Terraform deploy/destroy has got, from its log so far."""
    events = CDK_EVENT.findall(log_text)
    if events:
        done, total = events[-1]
        return Count(int(done), int(total))
    plan = TERRAFORM_PLAN.search(log_text)
    total = int(plan[1]) + int(plan[2]) if plan else None
    return Count(len(TERRAFORM_DONE.findall(log_text)), total)


class ProgressWatch:
    """A background thread that prints ``[deployer] <label>: <count>, <seconds> s`` while a CLI call runs."""

    def __init__(self, label: str, log_file: Path, interval: float = 20.0, stalled_after: float = 120.0) -> None:
        self.label = label
        self.log_file = log_file
        self.interval = interval
        self.stalled_after = stalled_after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ProgressWatch:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, count: Count, elapsed: float, still_for: float) -> str:
        """The line printed for one look at the log."""
        counted = count.total is not None or count.done > 0
        line = (
            f"[deployer] {self.label}: {count}, {elapsed:.0f} s"
            if counted
            else f"[deployer] {self.label}: {elapsed:.0f} s"
        )
        if still_for >= self.stalled_after:
            line += f" (no progress for {still_for:.0f} s)"
        return line

    def _watch(self) -> None:
        started = moved = time.monotonic()
        last = None
        while not self._stop.wait(self.interval):
            text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            count = resources_done(text)
            now = time.monotonic()
            if count != last:
                last, moved = count, now
            print(self.report(count, now - started, now - moved), flush=True)
