"""The S3 state-lock check: on the S3 backend the cdktf stacks render for shared state (``stateBucket``,
``use_lockfile``), a second apply is refused while a deploy holds the state; afterwards the lock object is gone and
the state object is encrypted and lists every resource. Each stack is then destroyed and the state bucket deleted.

    eval "$(python -m scripts.emulator.server env)"
    python -m scripts.lifecycle.s3_state [--stack streamflix]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from scripts import WORK_DIR
from scripts.deployer import commands, protocol
from scripts.deployer.protocol import DeployError, Stack
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import CheckOutcome, report
from scripts.lifecycle.state_lock import deploy_holding_lock, state_list

CHECK = "S3 state lock holds"
#: Suffix of the stacks this check deploys (their own names, never another check's).
SUFFIX = "s3state"
OUTDIR = WORK_DIR / "cdktf.out.s3state"
#: Region of the state bucket (the emulator serves every bucket to every region, as S3's global namespace does).
BUCKET_REGION = "us-east-1"


def bucket_name() -> str:
    """One state bucket per account for this check, named like a team's (account id keeps it unique on AWS)."""
    account = protocol.client("sts", BUCKET_REGION).get_caller_identity()["Account"]
    return f"tfstate-{account}-{SUFFIX}"


def create_state_bucket(s3: Any, bucket: str) -> None:
    """A state bucket as one should be: versioned (a bad write can be undone), encrypted, never public."""
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def delete_state_bucket(s3: Any, bucket: str) -> None:
    """Every version and delete marker, then the bucket."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=bucket)


def state_key(stack: Stack) -> str:
    from constructs_lib.policy.cdktf_backend import S3_STATE_KEY

    return S3_STATE_KEY.format(stack=stack.construct_id, suffix=SUFFIX)


def exists(s3: Any, bucket: str, key: str) -> bool:
    return bool(s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount"))


def check_stack(tool: TerraformTool, stack: Stack, s3: Any, bucket: str) -> CheckOutcome:
    """Deploy on S3 state with a second apply refused by the lock; state intact and encrypted; destroy."""
    started = time.monotonic()
    key = state_key(stack)
    lock_key = f"{key}.tflock"
    try:
        if tool.remote_backend(stack) != "s3":
            raise DeployError(f"{stack.construct_id} was not synthesized with the S3 backend")
        lock_detail = deploy_holding_lock(tool, stack, locked=lambda: exists(s3, bucket, lock_key))
        if exists(s3, bucket, lock_key):
            raise DeployError(f"the lock object s3://{bucket}/{lock_key} is left after the apply")
        encryption = s3.head_object(Bucket=bucket, Key=key).get("ServerSideEncryption")
        listed = state_list(tool, stack)
        full = tool.resource_count(stack)
        tool.destroy(stack)
        gone = tool.state(stack).gone
        ok = not lock_detail.startswith("FAILED") and bool(encryption) and 0 < full == len(listed) and gone
        detail = (
            f"{lock_detail}; after the apply no lock object, state s3://{bucket}/{key} "
            f"({encryption or 'NOT ENCRYPTED'}) lists {len(listed)}/{full}, plan empty; "
            f"destroyed: {'empty' if gone else 'NOT EMPTY'}"
        )
        return CheckOutcome(CHECK, stack.construct_id, ok, detail, round(time.monotonic() - started, 1))
    except (DeployError, OSError) as error:
        return CheckOutcome(CHECK, stack.construct_id, False, str(error), round(time.monotonic() - started, 1))


def check_s3_state_lock(selected: Sequence[str] | None = None) -> list[CheckOutcome]:
    """The check on every cdktf stack (or those ``selected``), side by side, around one state bucket."""
    commands.require_emulator()
    s3 = protocol.client("s3", BUCKET_REGION)
    bucket = bucket_name()
    create_state_bucket(s3, bucket)
    try:
        tool = TerraformTool("dev", SUFFIX, OUTDIR, state_bucket=bucket)
        shutil.rmtree(OUTDIR, ignore_errors=True)  # its own directory: nothing initialized for another backend
        tool.synthesize()
        stacks = commands.selected_stacks(tool, list(selected) if selected else None)
        tool.prepare(stacks)
        with ThreadPoolExecutor(max_workers=max(1, len(stacks))) as pool:
            futures = [pool.submit(check_stack, tool, stack, s3, bucket) for stack in stacks]
        outcomes = [future.result() for future in futures]
    finally:
        delete_state_bucket(s3, bucket)
    for outcome in outcomes:
        protocol.log(f"{outcome.check} {outcome.stack}: {'ok' if outcome.ok else 'FAILED'}: {outcome.detail}")
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    args = parser.parse_args(argv)
    return report(lambda: (check_s3_state_lock(args.stacks), {}))


if __name__ == "__main__":
    sys.exit(main())
