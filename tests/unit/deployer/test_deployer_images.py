"""The deployer builds and pushes a Terraform stack's own images after its deploy, as README's command does."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import ROOT
from scripts.deployer import images, protocol
from scripts.deployer.protocol import Stack

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/streamflix-worker-dev:6e0f231734e9f31a"


def test_an_image_is_built_when_the_outputs_name_its_uri_and_its_dockerfile() -> None:
    outputs = {
        "worker_image_uri": URI,
        "worker_image_dockerfile": "stacks/streamflix/worker/Dockerfile",
        "other_image_uri": "registry.example.com/prebuilt:1",  # no Dockerfile: prebuilt, nothing to build
        "job_queue_url": "https://sqs",
    }
    assert images.built_images(outputs) == [(URI, "stacks/streamflix/worker/Dockerfile")]


def test_publish_builds_with_the_stacks_context_then_pushes_with_the_local_client(
    monkeypatch: pytest.MonkeyPatch, outputs_dir: Path
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(protocol, "run_cli", lambda command, **kw: calls.append(command))
    stack = Stack("streamflix", "streamflix", "us-east-1")
    outputs = {"worker_image_uri": URI, "worker_image_dockerfile": "stacks/streamflix/worker/Dockerfile"}
    assert images.publish(stack, outputs) == [URI]
    build, push = calls
    assert build == [str(ROOT / "scripts" / "local-docker"), "build", "--file",
                     "stacks/streamflix/worker/Dockerfile", "--tag", URI, "stacks"]  # fmt: skip
    assert push == [str(ROOT / "scripts" / "local-docker"), "push", URI]


def test_a_stack_without_images_publishes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "run_cli", lambda command, **kw: pytest.fail(f"ran {command}"))
    assert images.publish(Stack("IotPlatform", "IotPlatform-dev", "us-east-1"), {"EcsClusterName": "x"}) == []
