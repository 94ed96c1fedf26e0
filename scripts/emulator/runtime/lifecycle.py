"""What the runtime started (poller threads, database and cache servers, invocations in flight) and stopping it:
on a moto reset (``/moto-api/reset``, and every ``mock_aws`` start and stop) and at interpreter exit (moto's server
turns ``server stop``'s SIGTERM into a normal exit)."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scripts.emulator.registry import addition

LOG = logging.getLogger("local-aws.runtime")

#: Asynchronous invocations (InvocationType Event, S3 notifications) run on this many threads.
ASYNC_WORKERS = 2

_lock = threading.Lock()
_stoppers: dict[str, Callable[[], None]] = {}
_executor: ThreadPoolExecutor | None = None


def work_dir(*parts: str) -> Path:
    """A directory of this process's runtime (code caches, server data), removed when the process ends."""
    directory = Path(tempfile.gettempdir(), f"local-aws-runtime-{os.getpid()}", *parts)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def keep(name: str, stop: Callable[[], None]) -> None:
    """Remember how to stop something the runtime started (replacing an earlier one of the same name)."""
    with _lock:
        _stoppers[name] = stop


def release(name: str) -> Callable[[], None] | None:
    """Forget ``name`` and hand back its stop function, without calling it."""
    with _lock:
        return _stoppers.pop(name, None)


def stop(name: str) -> None:
    stopper = release(name)
    if stopper is not None:
        _quietly(name, stopper)


def running() -> list[str]:
    with _lock:
        return sorted(_stoppers)


def submit(function: Callable[..., Any], *args: Any) -> Future:
    """Run ``function(*args)`` on the asynchronous-invocation threads; its failure is logged, never raised."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=ASYNC_WORKERS, thread_name_prefix="local-aws-async")
        executor = _executor

    def guarded() -> Any:
        try:
            return function(*args)
        except Exception:
            LOG.exception("asynchronous invocation failed")
            return None

    return executor.submit(guarded)


def stop_all() -> None:
    """Stop everything started so far (pollers first, then servers: they were kept in that order)."""
    global _executor
    with _lock:
        stoppers = list(_stoppers.items())
        _stoppers.clear()
        executor, _executor = _executor, None
    for name, stopper in stoppers:
        _quietly(name, stopper)
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)


def _quietly(name: str, stopper: Callable[[], None]) -> None:
    try:
        stopper()
    except Exception:
        LOG.exception("stopping %s failed", name)


@addition(
    "the runtime stops with a reset and with its server",
    "engine",
    "pollers, database and cache servers started for deployed resources must not outlive them: a moto reset "
    "forgets every resource, so it stops them too, as the end of the emulator's process does",
)
def _stop_on_reset() -> None:
    from moto.core.base_backend import BackendDict

    original = BackendDict.reset.__func__

    def reset(cls: Any) -> None:
        stop_all()
        original(cls)

    BackendDict.reset = classmethod(reset)
    atexit.register(_at_exit)


def _at_exit() -> None:
    stop_all()
    shutil.rmtree(Path(tempfile.gettempdir(), f"local-aws-runtime-{os.getpid()}"), ignore_errors=True)
