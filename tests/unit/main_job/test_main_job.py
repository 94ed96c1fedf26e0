"""The main job's orchestration: each step's outcome and figures reach the summary, live steps show progress."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import main_job


def test_a_step_is_recorded_with_its_outcome_and_output_on_failure(capsys: pytest.CaptureFixture) -> None:
    report = main_job.Report()
    main_job.run(report, "passes", [sys.executable, "-c", "print('fine')"])
    main_job.run(report, "fails", [sys.executable, "-c", "import sys; print('broken'); sys.exit(3)"])
    assert [(name, ok) for name, _, ok, _ in report.steps] == [("passes", True), ("fails", False)]
    assert report.steps[0][3] == "" and "broken" in report.steps[1][3]
    assert report.failed
    printed = capsys.readouterr().out
    assert "  ok   passes (" in printed and "  FAIL fails (" in printed


def test_a_live_step_prints_its_progress_lines_as_they_come(capsys: pytest.CaptureFixture) -> None:
    script = "print('[deployer] deploying A'); print('pytest noise'); print('[deployer] A: 3/9 resources, 20 s')"
    result = main_job.run(main_job.Report(), "deploy", [sys.executable, "-c", script], live="integration")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "  ...  deploy"
    progress = [line for line in printed if "[deployer]" in line]
    assert len(progress) == 2 and progress[0].endswith(" s  integration: [deployer] deploying A")
    assert not any("pytest noise" in line for line in printed)
    assert "pytest noise" in result.stdout


def test_a_silent_live_step_says_it_is_still_running(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(main_job, "HEARTBEAT_SECONDS", 0.1)
    main_job.run(main_job.Report(), "quiet", [sys.executable, "-c", "import time; time.sleep(0.5)"], live="lifecycle")
    assert "lifecycle: still running, no progress line for a minute" in capsys.readouterr().out


def _assembly(out: Path) -> None:
    out.mkdir(parents=True)
    (out / "Iot.template.json").write_text(json.dumps({"Resources": {"A": {}, "B": {}}}))
    artifact = {
        "type": "aws:cloudformation:stack",
        "properties": {"stackName": "IotPlatform-dev", "templateFile": "Iot.template.json"},
        "metadata": {"/Iot/A": [{"type": main_job.ACK_METADATA, "data": {"rule": "AwsSolutions-X", "reason": "why"}}]},
    }
    (out / "manifest.json").write_text(json.dumps({"artifacts": {"Iot": artifact}}))


def test_the_summary_carries_every_steps_figures(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """With each tool's output canned, one run fills resources, acknowledgements, lint, preflight, cost and the two
    local-AWS tables, and exits 0."""
    monkeypatch.setattr(main_job, "cdk_out", lambda profile: tmp_path / f"cdk.out.{profile}")
    monkeypatch.setattr(main_job, "cdktf_out", lambda profile: tmp_path / f"cdktf.out.{profile}")
    for profile in main_job.PROFILES:
        _assembly(tmp_path / f"cdk.out.{profile}")
        stack = tmp_path / f"cdktf.out.{profile}" / "stacks" / "flix"
        stack.mkdir(parents=True)
        (stack / "cdk.tf.json").write_text(json.dumps({"resource": {"aws_vpc": {"a": {}, "b": {}, "c": {}}}}))
    template = str((tmp_path / "cdk.out.dev" / "Iot.template.json").resolve())
    answers = {
        "cfn-lint": json.dumps([{"Filename": template}]),
        "checkov": "flix: 10 passed, 2 failed (1 acknowledged, 1 not)",
        "preflight": json.dumps(
            {
                "stacks": [{"name": "flix", "format": "terraform"}],
                "findings": [{"stack": "flix", "severity": "error"}, {"stack": "flix", "severity": "warning"}],
            }
        ),
        "stack report": json.dumps(
            {
                "stacks": [
                    {
                        "name": "flix",
                        "format": "terraform",
                        "cost": {"total": 12.5, "not_priced": ["x"]},
                        "teardown": {"verdict": "clean"},
                    }
                ]
            }
        ),
        "local AWS: deploy,": "[integration] deploying\nstack  tool\nflix   cdktf",
        "local AWS: deploy lifecycle": "noise\nstack  tool  prod deploy s\nflix   cdktf  80.0",
    }

    def fake_run(
        report: main_job.Report, name: str, command: list[str], env: dict | None = None, *, live: str = ""
    ) -> subprocess.CompletedProcess:
        stdout = next((text for prefix, text in answers.items() if name.startswith(prefix)), "")
        if name.startswith("cfn-lint") and "(prod)" in name:
            stdout = "[]"
        report.steps.append((name, 1.0, True, ""))
        return subprocess.CompletedProcess(command, 0, stdout, "")

    monkeypatch.setattr(main_job, "run", fake_run)
    assert main_job.main([]) == 0
    printed = capsys.readouterr().out
    dev_iot = next(line for line in printed.splitlines() if line.startswith("IotPlatform-dev") and " dev " in line)
    assert dev_iot.split()[3:6] == ["2", "1", "1"]  # resources, acknowledgements, cfn-lint findings
    flix = next(line for line in printed.splitlines() if line.startswith("flix") and " dev " in line)
    assert flix.split()[3:] == ["3", "1", "1", "1/1", "12.50+", "clean"]
    assert "  AwsSolutions-X: IotPlatform — why" in printed
    assert "stack  tool\nflix   cdktf" in printed and "flix   cdktf  80.0" in printed
    assert "main job passed:" in printed


def test_the_static_part_runs_every_check_but_the_emulator_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    names: list[str] = []

    def fake_run(
        report: main_job.Report, name: str, command: list[str], env: dict | None = None, *, live: str = ""
    ) -> subprocess.CompletedProcess:
        names.append(name)
        report.steps.append((name, 0.0, True, ""))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(main_job, "run", fake_run)
    assert main_job.main(["--no-local-aws"]) == 0
    assert "actionlint (.github/workflows)" in names and "ruff (lint)" in names
    assert "wheel installed in parts (bare, [cdk], [cdktf])" in names and "API reference (docs/api)" in names
    assert not any(name.startswith("local AWS") for name in names)


def test_the_serial_run_starts_the_emulator_steps_after_the_static_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, list[str]]] = []

    def fake_run(
        report: main_job.Report, name: str, command: list[str], env: dict | None = None, *, live: str = ""
    ) -> subprocess.CompletedProcess:
        calls.append((name, command))
        report.steps.append((name, 0.0, True, ""))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(main_job, "run", fake_run)
    assert main_job.main(["--serial"]) == 0
    names = [name for name, _ in calls]
    first_local = min(index for index, name in enumerate(names) if name.startswith("local AWS"))
    assert names.index("diagrams (docs/diagrams, dev)") < first_local
    lifecycle = next(command for name, command in calls if name == "local AWS: deploy lifecycle checks")
    assert lifecycle[-5:] == [f"--stack={stack}" for stack in main_job.ALL_STACKS]
