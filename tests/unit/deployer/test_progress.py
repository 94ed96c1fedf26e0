"""The deployer's live progress: resources done of total, read from the CLI's log, printed while the call runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scripts.deployer.progress import Count, ProgressWatch, resources_done

APPLY_LOG = """Terraform will perform the following actions:
Plan: 3 to add, 0 to change, 0 to destroy.
aws_kms_key.key: Creating...
aws_kms_key.key: Creation complete after 1s [id=k-1]
aws_vpc.vpc: Creation complete after 2s [id=vpc-1]
"""
DESTROY_LOG = """Plan: 0 to add, 0 to change, 2 to destroy.
aws_vpc.vpc: Destruction complete after 1s
"""
CDK_LOG = """IotPlatform |  3/65 | 12:00:01 | CREATE_COMPLETE | AWS::KMS::Key | Key
IotPlatform | 21/65 | 12:00:04 | CREATE_COMPLETE | AWS::EC2::VPC | Vpc
"""


def test_a_terraform_apply_counts_creations_against_its_plan() -> None:
    assert resources_done(APPLY_LOG) == Count(2, 3)


def test_a_terraform_destroy_counts_destructions_against_its_plan() -> None:
    assert resources_done(DESTROY_LOG) == Count(1, 2)


def test_a_cdk_deploy_reads_the_latest_event_count() -> None:
    assert resources_done(CDK_LOG) == Count(21, 65)


def test_a_log_without_a_plan_has_no_total_yet() -> None:
    assert resources_done("Initializing the backend...") == Count(0, None)
    assert str(Count(0, None)) == "0/? resources"


def test_the_report_says_when_a_stack_stopped_making_progress(tmp_path: Path) -> None:
    watch = ProgressWatch("streamflix-apply", tmp_path / "log", stalled_after=60)
    assert watch.report(Count(5, 62), 30, 10) == "[deployer] streamflix-apply: 5/62 resources, 30 s"
    assert watch.report(Count(5, 62), 200, 90).endswith("(no progress for 90 s)")
    assert watch.report(Count(0, None), 20, 20) == "[deployer] streamflix-apply: 20 s"  # a synth counts nothing


def test_the_watch_prints_progress_while_the_call_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    log = tmp_path / "pci-platform-apply.log"
    log.write_text(APPLY_LOG)
    with ProgressWatch("pci-platform-apply", log, interval=0.05):
        time.sleep(0.3)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 2
    assert all(line.startswith("[deployer] pci-platform-apply: 2/3 resources, ") for line in lines)
