"""One API call at a time: the server never runs two requests at once, and a call that waits on something which
calls the emulator back lets that call through."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from scripts.emulator.atomic_calls import held, released
from tests.unit.local_aws import Account


class Overlap:
    """A WSGI application that records how many requests it is answering at the same moment."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(0.02)
        with self.lock:
            self.inside -= 1
        return [b"ok"]


def answer_at_once(call: Callable[[], object], requests: int = 8) -> None:
    threads = [threading.Thread(target=call) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)


def test_the_server_answers_concurrent_requests_one_at_a_time(monkeypatch: Any) -> None:
    backend = Overlap()
    dispatcher = DomainDispatcherApplication(lambda _service: backend)
    monkeypatch.setattr(dispatcher, "get_application", lambda _environ: backend)

    answer_at_once(lambda: dispatcher({"PATH_INFO": "/"}, lambda *_: None))

    assert backend.most == 1


def test_a_call_waiting_in_released_lets_another_call_run() -> None:
    called_back = threading.Event()

    def invoke() -> None:  # a Lambda invocation whose handler calls the emulator back
        with held(), released():
            called_back.wait(5)

    def call_back() -> None:
        with held():
            called_back.set()

    caller = threading.Thread(target=invoke)
    caller.start()
    time.sleep(0.05)
    answer_at_once(call_back, requests=1)
    caller.join(5)

    assert called_back.is_set() and not caller.is_alive()


def test_a_call_holds_the_lock_again_after_its_wait() -> None:
    order: list[str] = []

    def invoke() -> None:
        with held():
            with released():
                time.sleep(0.02)
            order.append("invoke resumes")
            time.sleep(0.05)
            order.append("invoke answers")

    def other() -> None:
        time.sleep(0.04)
        with held():
            order.append("other call")

    threads = [threading.Thread(target=invoke), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)

    assert order == ["invoke resumes", "invoke answers", "other call"]


def test_a_long_poll_waits_without_holding_up_the_send_it_waits_for(aws: Account) -> None:
    """ReceiveMessage with WaitTimeSeconds inside a call; the SendMessage call that ends its wait gets through."""
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName="long-poll")["QueueUrl"]
    received: list[dict] = []

    def receive() -> None:
        with held():
            received.extend(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10).get("Messages", []))

    def send() -> None:
        time.sleep(0.2)
        with held():
            sqs.send_message(QueueUrl=queue, MessageBody="hello")

    started = time.monotonic()
    threads = [threading.Thread(target=receive), threading.Thread(target=send)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    assert [message["Body"] for message in received] == ["hello"]
    assert time.monotonic() - started < 5
