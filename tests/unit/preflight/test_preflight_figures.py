"""The figures command: what preflight read and found on a set of stacks, by rule, and its median time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from constructs_lib.preflight.figures import main, measure


def test_figures_count_stacks_resources_and_findings_by_rule(fixtures_dir: Path) -> None:
    examples = fixtures_dir / "examples"
    figures = measure([examples], repeat=2)
    assert (figures.templates, figures.terraform, figures.resources, figures.runs) == (1, 1, 7, 2)
    assert figures.errors_by_rule == {
        "aurora-cluster-has-instance": 1,
        "db-secret-not-literal": 1,
        "engine-version-offered": 1,
        "kms-key-allows-logs": 1,
    }
    assert figures.errors == 4 and figures.warnings == 3
    assert figures.seconds > 0 and figures.stacks_per_second == 2 / figures.seconds


def test_the_command_prints_text_or_json(fixtures_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(fixtures_dir / "examples"), "--repeat", "1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["errors"] == 4
    assert main([str(fixtures_dir / "examples"), "--repeat", "1"]) == 0
    text = capsys.readouterr().out
    assert "1 CloudFormation templates, 1 Terraform JSON files, 7 resources: 4 error(s), 3 warning(s)" in text
    assert "stacks/s" in text


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.startswith("preflight: ")
