"""scripts/lifecycle/s3_state.py: the state bucket it creates and deletes, and the S3 lock itself, with a real
``terraform apply`` (a builtin ``terraform_data``, no provider) on an S3 backend served by moto on a free port."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from constructs_lib.policy import cdktf_backend as backend_policy
from scripts.deployer.protocol import Stack
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import s3_state, state_lock

STACK = Stack("streamflix", "streamflix", "eu-west-1")
BUCKET = "tfstate-123456789012-s3state"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", region_name=s3_state.BUCKET_REGION, endpoint_url=endpoint)
    yield client
    if BUCKET in [bucket["Name"] for bucket in client.list_buckets()["Buckets"]]:
        s3_state.delete_state_bucket(client, BUCKET)


class S3Terraform(TerraformTool):
    """One stack in a temporary directory: a ``terraform_data`` that takes 4 s, on the S3 backend as the stacks
    render it for the emulator (bucket, key, encryption, lock file, the policy's emulator settings)."""

    def __init__(self, root: Path, endpoint: str) -> None:
        super().__init__("dev", s3_state.SUFFIX, root, state_bucket=BUCKET)
        backend = {
            "bucket": BUCKET,
            "key": s3_state.state_key(STACK),
            "region": STACK.region,
            "encrypt": backend_policy.S3_STATE_ENCRYPT,
            "use_lockfile": backend_policy.S3_STATE_USE_LOCKFILE,
            "endpoints": dict.fromkeys(backend_policy.EMULATOR_BACKEND_ENDPOINT_SERVICES, endpoint),
            **backend_policy.EMULATOR_BACKEND_SETTINGS,
        }
        config = {
            "terraform": {"backend": {"s3": backend}},
            "resource": {"terraform_data": {"slow": {"provisioner": [{"local-exec": {"command": "sleep 4"}}]}}},
        }
        self.directory(STACK).mkdir(parents=True)
        (self.directory(STACK) / "cdk.tf.json").write_text(json.dumps(config))

    def directory(self, stack: Stack) -> Path:
        return self.outdir / stack.construct_id

    def environment(self) -> dict[str, str]:
        keep = ("PATH", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED")
        return {
            **{name: os.environ[name] for name in keep},
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "HOME": str(self.outdir),
        }


def test_the_state_bucket_is_versioned_encrypted_and_private_and_goes_with_every_version(s3: Any) -> None:
    s3_state.create_state_bucket(s3, BUCKET)
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    for body in (b"1", b"2"):
        s3.put_object(Bucket=BUCKET, Key="a/terraform.tfstate", Body=body)
    s3.delete_object(Bucket=BUCKET, Key="a/terraform.tfstate")

    s3_state.delete_state_bucket(s3, BUCKET)

    assert BUCKET not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]


def test_a_second_apply_is_refused_by_the_s3_lock_file_and_the_state_lands_encrypted(
    s3: Any, endpoint: str, tmp_path: Path
) -> None:
    s3_state.create_state_bucket(s3, BUCKET)
    tool = S3Terraform(tmp_path, endpoint)
    key = s3_state.state_key(STACK)
    assert key == "streamflix/s3state/terraform.tfstate" and tool.remote_backend(STACK) == "s3"
    tool._terraform(STACK, "init", ["init", "-input=false", "-no-color"], 120)
    errors: list[BaseException] = []

    first = threading.Thread(
        target=state_lock.capture_errors(
            lambda stack: tool._terraform(stack, "apply", ["apply", "-auto-approve", "-no-color"], 120), STACK, errors
        )
    )
    first.start()
    seen = state_lock.probe_lock(tool, STACK, first, locked=lambda: s3_state.exists(s3, BUCKET, f"{key}.tflock"))
    first.join()

    assert not errors
    assert "Error acquiring the state lock" in seen
    assert not s3_state.exists(s3, BUCKET, f"{key}.tflock")
    assert s3.head_object(Bucket=BUCKET, Key=key)["ServerSideEncryption"] == "AES256"
    assert state_lock.state_list(tool, STACK) == ["terraform_data.slow"]
    assert [address for address, _, _ in tool.managed_resources(STACK)] == ["terraform_data.slow"]
    assert not (tool.directory(STACK) / "terraform.streamflix.tfstate").exists()


def test_a_stack_not_synthesized_for_s3_state_fails_the_check_naming_it(s3: Any, tmp_path: Path) -> None:
    tool = TerraformTool("dev", s3_state.SUFFIX, tmp_path)
    tool.directory(STACK).mkdir(parents=True)
    (tool.directory(STACK) / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": {"local": {}}}}))

    outcome = s3_state.check_stack(tool, STACK, s3, BUCKET)

    assert not outcome.ok and "was not synthesized with the S3 backend" in outcome.detail
