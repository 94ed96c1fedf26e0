"""The shared cdktf synthesis: made once per variant, copied per run with that run's emulator URL."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from scripts.deployer import protocol, shared_synthesis
from scripts.deployer.shared_synthesis import PLACEHOLDER_ENDPOINT


def fake_synthesis(calls: list[str]):
    """A synthesis that writes a manifest and one stack whose provider and backend name the endpoint."""

    def synthesize(outdir: Path, endpoint: str) -> None:
        calls.append(endpoint)
        stack = outdir / "stacks" / "streamflix"
        stack.mkdir(parents=True)
        (outdir / "manifest.json").write_text(json.dumps({"stacks": {"streamflix": {}}}))
        configuration = {"provider": {"aws": [{"endpoints": [{"s3": endpoint, "sqs": endpoint}]}]}}
        (stack / "cdk.tf.json").write_text(json.dumps(configuration, indent=2))
        (outdir / "assets").mkdir()
        (outdir / "assets" / "handler.zip").write_bytes(b"PK-not-an-endpoint")

    return synthesize


def test_the_variant_key_is_the_context_and_the_environment_a_synthesis_reads() -> None:
    dev = shared_synthesis.variant_key({"profile": "dev"}, {"AWS_REGION": "us-east-1", "PATH": "/bin"})
    assert dev == shared_synthesis.variant_key({"profile": "dev"}, {"AWS_REGION": "us-east-1", "PATH": "/usr/bin"})
    assert dev != shared_synthesis.variant_key({"profile": "prod"}, {"AWS_REGION": "us-east-1"})
    assert dev != shared_synthesis.variant_key({"profile": "dev"}, {"AWS_REGION": "eu-west-2"})
    assert dev != shared_synthesis.variant_key({"profile": "dev"}, {"AWS_REGION": "us-east-1", "TF_STATE_BUCKET": "b"})


def test_a_variant_is_synthesized_once_with_the_placeholder_however_many_runs_ask(tmp_path: Path) -> None:
    calls: list[str] = []
    runs = [
        threading.Thread(target=shared_synthesis.shared_output, args=(tmp_path, "k", fake_synthesis(calls)))
        for _ in range(4)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert calls == [PLACEHOLDER_ENDPOINT]
    assert (tmp_path / "k" / "manifest.json").exists()


def test_a_failed_synthesis_leaves_nothing_to_copy_and_the_next_run_synthesizes_again(tmp_path: Path) -> None:
    def failing(outdir: Path, endpoint: str) -> None:
        outdir.mkdir()
        raise protocol.DeployError("synth exited 1")

    with pytest.raises(protocol.DeployError):
        shared_synthesis.shared_output(tmp_path, "k", failing)
    assert not (tmp_path / "k").exists()
    calls: list[str] = []
    shared_synthesis.shared_output(tmp_path, "k", fake_synthesis(calls))
    assert calls == [PLACEHOLDER_ENDPOINT]


def test_the_copy_names_the_runs_own_endpoint_everywhere_the_placeholder_was(tmp_path: Path) -> None:
    source = shared_synthesis.shared_output(tmp_path / "shared", "k", fake_synthesis([]))
    outdir = tmp_path / "run"
    shared_synthesis.copy_for_endpoint(source, outdir, "http://127.0.0.1:5103")
    configuration = json.loads((outdir / "stacks" / "streamflix" / "cdk.tf.json").read_text())
    assert configuration["provider"]["aws"][0]["endpoints"] == [
        {"s3": "http://127.0.0.1:5103", "sqs": "http://127.0.0.1:5103"}
    ]
    assert PLACEHOLDER_ENDPOINT in (source / "stacks" / "streamflix" / "cdk.tf.json").read_text()


def test_the_copy_keeps_the_terraform_state_a_run_left_in_its_output(tmp_path: Path) -> None:
    source = shared_synthesis.shared_output(tmp_path / "shared", "k", fake_synthesis([]))
    state = tmp_path / "run" / "stacks" / "streamflix" / "terraform.streamflix.tfstate"
    state.parent.mkdir(parents=True)
    state.write_text('{"resources": ["kept"]}')
    shared_synthesis.copy_for_endpoint(source, tmp_path / "run", "http://127.0.0.1:5103")
    assert state.read_text() == '{"resources": ["kept"]}'


def test_an_output_not_synthesized_for_an_emulator_is_refused(tmp_path: Path) -> None:
    source = shared_synthesis.shared_output(
        tmp_path / "shared", "k", lambda outdir, _endpoint: fake_synthesis([])(outdir, "https://s3.amazonaws.com")
    )
    with pytest.raises(protocol.DeployError, match="no configuration names the emulator's URL"):
        shared_synthesis.copy_for_endpoint(source, tmp_path / "run", "http://127.0.0.1:5103")


def test_the_placeholder_left_outside_a_configuration_is_refused(tmp_path: Path) -> None:
    source = shared_synthesis.shared_output(tmp_path / "shared", "k", fake_synthesis([]))
    (source / "assets" / "settings.txt").write_text(f"endpoint={PLACEHOLDER_ENDPOINT}")
    with pytest.raises(protocol.DeployError, match=r"settings\.txt: holds the placeholder URL"):
        shared_synthesis.copy_for_endpoint(source, tmp_path / "run", "http://127.0.0.1:5103")


def test_no_shared_directory_unless_the_variable_names_one(tmp_path: Path) -> None:
    assert shared_synthesis.directory_from({}) is None
    assert shared_synthesis.directory_from({shared_synthesis.ENV_DIRECTORY: str(tmp_path)}) == tmp_path
