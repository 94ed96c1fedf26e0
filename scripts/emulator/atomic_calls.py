"""One API call at a time: the emulator applies each call whole, as AWS does.

moto's backends are plain dictionaries and the server answers each request on a thread of its own, so two calls at
once can fail half-way (``dictionary changed size during iteration``, answered with a 500). The SDKs retry a 500, and
a create that had already happened is sent again: a duplicate, or a conflict AWS would never answer. Every request
runs inside :func:`held`; code that waits, inside a call, for something that may call the emulator back (a Lambda
function's process, a stack's creation thread, a task's shutdown) or for another call (SQS long polling waits for a
SendMessage) waits inside :func:`released`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from scripts.emulator.registry import addition

_lock = threading.Lock()
_depth = threading.local()


@contextmanager
def held() -> Iterator[None]:
    """Run the block as one call: no other call runs meanwhile (re-entrant on the same thread)."""
    depth = getattr(_depth, "value", 0)
    if depth == 0:
        _lock.acquire()
    _depth.value = depth + 1
    try:
        yield
    finally:
        _depth.value = depth
        if depth == 0:
            _lock.release()


@contextmanager
def released() -> Iterator[None]:
    """Let other calls run while the block waits; the call this thread is in resumes holding the lock again."""
    depth = getattr(_depth, "value", 0)
    if depth:
        _depth.value = 0
        _lock.release()
    try:
        yield
    finally:
        if depth:
            _lock.acquire()
            _depth.value = depth


@addition(
    "one API call at a time",
    "fix",
    "AWS applies each call whole; moto's backends fail a call that runs while another changes them (a 500 the SDKs "
    "retry, so a create that had already happened is sent twice and answered with a conflict)",
)
def _patch_calls() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.sqs.models import Queue

    dispatch = DomainDispatcherApplication.__call__
    wait_for_messages = Queue.wait_for_messages

    def call(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with held():  # moto builds each answer whole, so nothing of the call runs after the lock is let go
            return dispatch(self, environ, start_response)

    def long_poll(self: Queue, timeout: int) -> None:
        with released():  # a ReceiveMessage waiting up to 20 s lets the SendMessage it waits for through
            wait_for_messages(self, timeout)

    DomainDispatcherApplication.__call__ = call
    Queue.wait_for_messages = long_poll
