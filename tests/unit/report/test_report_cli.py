"""``python -m constructs_lib.report``: table and JSON output, exit status, diagrams, and ``--live`` without
credentials; on small stack files written per test."""

from __future__ import annotations

import io
import json
import runpy
import sys
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.report.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main


def tags(profile: str, system: str) -> list[dict[str, str]]:
    return [{"Key": "Profile", "Value": profile}, {"Key": "System", "Value": system}]


def write_template(folder: Path, name: str, resources: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.template.json"
    path.write_text(json.dumps({"Resources": resources}))
    return path


def nat_stack(profile: str, system: str = "stream-processor", count: int = 1) -> dict[str, Any]:
    resources: dict[str, Any] = {
        f"Nat{i}": {"Type": "AWS::EC2::NatGateway", "Properties": {"Tags": tags(profile, system)}} for i in range(count)
    }
    resources["Stream"] = {
        "Type": "AWS::Kinesis::Stream",
        "Properties": {"ShardCount": 1, "Tags": tags(profile, system)},
    }
    return resources


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), out=out)
    return status, out.getvalue()


def test_table_shows_each_line_the_total_against_the_budget_and_the_teardown_verdict(tmp_path: Path) -> None:
    write_template(tmp_path / "cdk.out", "Small", nat_stack("dev"))
    status, text = run(str(tmp_path / "cdk.out"))
    assert status == EXIT_OK
    assert "Nat0" in text and "NAT gateway" in text and "1 x 730 h" in text and "$32.85" in text
    assert "total $43.80" in text and "dev budget < $62.00" in text and "within budget" in text
    assert "teardown (dev: destroy must leave nothing): pass" in text
    assert "deleted with the stack (buffers, not data stores): Stream" in text
    assert text.splitlines()[-1].split() == ["Small", "dev", "$43.80", "<", "$62.00", "0", "pass"]


def test_a_dev_stack_over_its_budget_fails_the_report(tmp_path: Path) -> None:
    write_template(tmp_path, "Big", nat_stack("dev", count=2))  # $65.70 + $10.95 > $62
    status, text = run(str(tmp_path), "--format", "json")
    assert status == EXIT_FAILED
    data = json.loads(text)
    assert data["summary"]["failed"] == ["Big (dev)"]
    (stack,) = data["stacks"]
    assert stack["cost"]["total"] == 76.65 and stack["cost"]["over_budget"] is True
    assert stack["cost"]["budget"] == {"usd": 62, "reason": stack["cost"]["budget"]["reason"]}


def test_a_prod_stack_is_not_held_to_the_dev_budget(tmp_path: Path) -> None:
    write_template(tmp_path, "Big", nat_stack("prod", count=2))
    status, text = run(str(tmp_path))
    assert status == EXIT_OK and "budget is for dev" in text
    assert text.splitlines()[-1].split()[3] == "-"


def test_a_teardown_error_fails_the_report_and_prints_the_fix(tmp_path: Path) -> None:
    resources = {
        "Logs": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "Properties": {"Tags": tags("dev", "iot-platform")},
        }
    }
    write_template(tmp_path, "Kept", resources)
    status, text = run(str(tmp_path))
    assert status == EXIT_FAILED
    assert "left behind: Logs: retained" in text and "error: Logs: dev must leave nothing" in text
    assert "fix: RemovalPolicy.DESTROY" in text


def test_json_lists_not_priced_usage_only_teardown_and_the_diagram(tmp_path: Path) -> None:
    resources = {
        "Box": {"Type": "AWS::EC2::Instance", "Properties": {"Tags": tags("dev", "x")}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Tags": tags("dev", "x")}},
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"Tags": tags("dev", "x")}},
    }
    write_template(tmp_path, "Mixed", resources)
    status, text = run(str(tmp_path), "--format", "json")
    stack = json.loads(text)["stacks"][0]
    assert status == EXIT_OK and stack["system"] == "x" and stack["cost"]["budget"] is None
    assert stack["cost"]["not_priced"][0]["reason"] == "no idle price for AWS::EC2::Instance in the table"
    assert stack["cost"]["usage_only"] == [
        {"resource": "Fn", "type": "AWS::Lambda::Function", "bills": "requests and GB-seconds"}
    ]
    assert stack["teardown"]["verdict"] == "pass" and stack["diagram"]["png"] is None
    assert {n["node_id"] for n in stack["diagram"]["nodes"]} == {"Fn", "Nat"}


def test_table_lists_notes_not_priced_and_waived_lines(tmp_path: Path) -> None:
    resources = {
        "Box": {"Type": "AWS::EC2::Instance", "Properties": {"Tags": tags("prod", "x")}},
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"Tags": tags("prod", "x")}},
        "Fw": {"Type": "AWS::NetworkFirewall::Firewall", "Properties": {"SubnetMappings": [{"SubnetId": "a"}]}},
        "Rec": {"Type": "AWS::Config::ConfigurationRecorder"},
    }
    write_template(tmp_path, "Firewalled", resources)
    _, text = run(str(tmp_path))
    assert "-$32.85" in text and "note (Rec): billed per configuration item" in text
    assert "not priced: Box (AWS::EC2::Instance)" in text


def test_diagrams_option_draws_each_stack_to_its_system_name(tmp_path: Path) -> None:
    write_template(tmp_path / "in", "Small", nat_stack("dev"))
    status, text = run(str(tmp_path / "in"), "--diagrams", str(tmp_path / "pictures"))
    assert status == EXIT_OK and (tmp_path / "pictures" / "stream-processor.png").is_file()
    assert f"drawn to {tmp_path / 'pictures' / 'stream-processor.png'}" in text


def test_a_prod_stack_is_drawn_beside_the_dev_one_not_over_it(tmp_path: Path) -> None:
    write_template(tmp_path / "dev", "Small", nat_stack("dev"))
    write_template(tmp_path / "prod", "Small", nat_stack("prod"))
    assert run(str(tmp_path / "dev"), str(tmp_path / "prod"), "--diagrams", str(tmp_path / "pictures"))[0] == EXIT_OK
    assert sorted(p.name for p in (tmp_path / "pictures").iterdir()) == [
        "stream-processor-prod.png",
        "stream-processor.png",
    ]


def test_live_without_credentials_stops_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    class NoCredentials:
        def get_credentials(self) -> None:
            return None

    write_template(tmp_path, "Small", nat_stack("dev"))
    assert main([str(tmp_path), "--live"], out=io.StringIO(), session=NoCredentials()) == EXIT_USAGE
    assert "needs AWS credentials" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give at least one cdk.out / cdktf.out folder"),
        (["missing-folder"], "missing-folder: no such file or folder"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    assert main(argv, out=io.StringIO()) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_a_folder_without_stacks_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([str(tmp_path)], out=io.StringIO()) == EXIT_USAGE
    assert "no stack in this folder" in capsys.readouterr().err


def test_module_entry_point_runs_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    write_template(tmp_path, "Small", nat_stack("dev"))
    monkeypatch.setattr(sys, "argv", ["report", str(tmp_path)])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("constructs_lib.report", run_name="__main__")
    assert exited.value.code == EXIT_OK and "total $43.80" in capsys.readouterr().out
