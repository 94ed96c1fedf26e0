"""The preflight rules inside ``cdk synth``: a cdk-nag 3 pack whose errors fail the synth with the construct path,
message and fix, whose warnings are reported without failing it, and whose findings are acknowledged the cdk-nag
way (``Validations.of(construct).acknowledge``) on the construct or any construct above it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_s3 as s3

from constructs_lib.preflight import PACK
from constructs_lib.preflight.cdk_nag import PreflightChecks, rule_name

NAME_RULE = rule_name("s3-bucket-name-unique")


def _synth(outdir: Path, acknowledge: bool) -> tuple[Exception | None, dict[str, Any]]:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Demo", env=cdk.Environment(region="us-east-1"))
    data = s3.Bucket(stack, "Data", bucket_name="shared-data")
    logs = s3.Bucket(stack, "Logs", bucket_name="shared-logs")
    Validations.of(app).add_plugins(PreflightChecks(app))
    if acknowledge:
        Validations.of(data).acknowledge(Acknowledgment(id=NAME_RULE, reason="the name is registered to us"))
        Validations.of(stack).acknowledge(
            Acknowledgment(id=f"Preflight::{NAME_RULE}", reason="every bucket name here is registered to us")
        )
    assert logs.node.path == "Demo/Logs"
    try:
        app.synth()
        failure = None
    except Exception as error:  # jsii raises the CDK ValidationFailed as a plain error
        failure = error
    (report,) = json.loads((outdir / "validation-report.json").read_text())["pluginReports"]
    return failure, report


@pytest.fixture(scope="module")
def unacknowledged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Exception | None, dict[str, Any]]:
    return _synth(tmp_path_factory.mktemp("preflight-pack"), acknowledge=False)


@pytest.fixture(scope="module")
def acknowledged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Exception | None, dict[str, Any]]:
    return _synth(tmp_path_factory.mktemp("preflight-pack-ack"), acknowledge=True)


def _by_rule(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for violation in report["violations"]:
        found.setdefault(violation["ruleName"], []).append(violation)
    return found


def test_an_unacknowledged_error_fails_the_synth_with_construct_path_message_and_fix(
    unacknowledged: tuple[Exception | None, dict[str, Any]],
) -> None:
    failure, report = unacknowledged
    assert failure is not None and str(failure).startswith("ValidationFailed") and "shared-data" in str(failure)
    assert report["pluginName"] == "Preflight" and report["conclusion"] == "failure"
    errors = _by_rule(report)[NAME_RULE]
    assert len(errors) == 2
    assert {e["violatingConstructs"][0]["constructPath"] for e in errors} == {
        "Demo/Data/Resource",
        "Demo/Logs/Resource",
    }
    assert all(e["severity"] == "error" and "no account-unique part" in e["description"] for e in errors)
    assert all("unique_bucket_name" in e["suggestedFix"] for e in errors)


def test_a_stack_level_finding_is_reported_on_the_stack_as_a_warning(
    unacknowledged: tuple[Exception | None, dict[str, Any]],
) -> None:
    (warning,) = _by_rule(unacknowledged[1])[rule_name("stack-has-outputs")]
    assert warning["severity"] == "warning"
    assert warning["violatingConstructs"][0]["constructPath"] == "Demo"


def test_acknowledged_on_the_construct_or_the_stack_the_synth_passes_with_warnings_only(
    acknowledged: tuple[Exception | None, dict[str, Any]],
) -> None:
    failure, report = acknowledged
    assert failure is None
    assert report["conclusion"] == "success"
    assert set(_by_rule(report)) == {rule_name("stack-has-outputs")}


def test_the_pack_runs_the_one_preflight_rule_set() -> None:
    assert PreflightChecks()._rules == PACK
    assert PreflightChecks().name == "Preflight"
