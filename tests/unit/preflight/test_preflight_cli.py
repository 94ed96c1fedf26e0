"""The command line: exit codes (0 clean or warnings only, 1 errors, 2 usage / nothing found), table and JSON
output, and that it stays a pure-JSON tool (no CDK or cdktf import)."""

from __future__ import annotations

import io
import json
import runpy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from constructs_lib.preflight import PACK
from constructs_lib.preflight.cli import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_errors_exit_1_and_the_table_shows_rule_resource_message_and_fix(fixtures_dir: Path) -> None:
    code, text = run(str(fixtures_dir / "engine-version-offered" / "bad.template.json"))
    assert code == EXIT_ERRORS
    lines = text.splitlines()
    assert lines[0].split() == ["SEVERITY", "RULE", "STACK", "RESOURCE"]
    assert lines[1].split()[:4] == ["error", "engine-version-offered", "bad", "Database"]
    assert "postgres 15.3 is deprecated" in lines[2] and lines[3].strip().startswith("fix: set the postgres")
    assert lines[4].split() == ["warning", "stack-has-outputs", "bad", "(stack)"]
    assert lines[-1].startswith("1 stack(s), 1 resources checked in ")
    assert lines[-1].endswith(": 1 error(s), 1 warning(s)")


def test_a_clean_stack_exits_0_with_only_the_summary(fixtures_dir: Path) -> None:
    code, text = run(
        str(fixtures_dir / "engine-version-offered" / "fixed.cdk.tf.json"), "--rule", "engine-version-offered"
    )
    assert code == EXIT_OK
    assert text.strip().endswith("0 error(s), 0 warning(s)") and "SEVERITY" not in text


def test_warnings_alone_exit_0(fixtures_dir: Path) -> None:
    code, text = run(
        str(fixtures_dir / "s3-config-not-split" / "warning-inline.cdk.tf.json"), "--rule", "s3-config-not-split"
    )
    assert code == EXIT_OK and "warning   s3-config-not-split" in text


def test_json_format_lists_stacks_findings_and_summary(fixtures_dir: Path) -> None:
    code, text = run(str(fixtures_dir / "redis-transit-auth" / "bad.cdk.tf.json"), "--format", "json")
    report = json.loads(text)
    assert code == EXIT_ERRORS
    assert report["stacks"][0] == {
        "name": "bad",
        "format": "terraform",
        "path": report["stacks"][0]["path"],
        "region": "eu-west-2",
        "profile": None,
        "resources": 1,
    }
    rules = {f["rule_id"] for f in report["findings"]}
    assert "redis-transit-auth" in rules
    assert set(report["findings"][0]) == {
        "rule_id",
        "severity",
        "stack",
        "source_format",
        "resource",
        "address",
        "message",
        "fix",
        "file",
    }
    assert report["summary"]["errors"] == sum(f["severity"] == "error" for f in report["findings"])


def test_rule_filter_runs_only_the_named_rules(fixtures_dir: Path) -> None:
    code, text = run(
        str(fixtures_dir / "redis-transit-auth" / "bad.cdk.tf.json"), "--format", "json", "--rule", "redis-transit-auth"
    )
    assert code == EXIT_ERRORS
    assert {f["rule_id"] for f in json.loads(text)["findings"]} == {"redis-transit-auth"}


def test_list_rules_names_every_rule_with_its_seeds() -> None:
    code, text = run("--list-rules")
    assert code == EXIT_OK
    assert [line.split()[0] for line in text.splitlines()] == [r.rule_id for r in PACK]
    assert "seeds 000,001,002" in text


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["does-not-exist"],
        ["--rule", "no-such-rule", "."],
    ],
    ids=["no path", "missing path", "unknown rule"],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(*argv)[0] == EXIT_USAGE
    assert capsys.readouterr().err


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda d: d / "missing", "no such file or folder"),
        (lambda d: _write(d / "broken.template.json", '{"Resources": '), "not JSON (Expecting value at line 1"),
        (lambda d: _write(d / "list.template.json", "[1, 2]"), "not a JSON object"),
        (
            lambda d: _write(d / "empty.template.json", '{"Resources": {}}'),
            "a CloudFormation template with no Resources",
        ),
        (lambda d: _write(d / "vars.tf.json", '{"variable": {"a": {}}}'), "a Terraform configuration with no resource"),
        (lambda d: _write(d / "odd.template.json", '{"Resources": {"A": 1}}'), "Resources.A is not a JSON object"),
        (lambda d: _write(d / "notes.json", '{"a": 1}'), "neither a CloudFormation template nor a Terraform"),
        (lambda d: _write(d / "folder" / "README.md", "no stacks here").parent, "no stack in this folder"),
        (lambda d: _write(d / "deep" / "x" / "broken.tf.json", "{"), "broken.tf.json: not JSON"),
    ],
    ids=[
        "missing",
        "not json",
        "json list",
        "no resources",
        "tf nothing",
        "bad resource",
        "other json",
        "empty dir",
        "in folder",
    ],
)
def test_bad_input_is_one_line_naming_the_path_and_the_problem_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], Path], problem: str
) -> None:
    path = make(tmp_path)
    given = path if path.name != "broken.tf.json" else tmp_path / "deep"
    assert run(str(given))[0] == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"preflight: {path}") and problem in err


def test_bad_input_from_the_console_command_has_no_traceback(tmp_path: Path) -> None:
    broken = _write(tmp_path / "broken.template.json", "{")
    result = subprocess.run(
        [sys.executable, "-m", "constructs_lib.preflight", str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode == EXIT_USAGE
    assert result.stderr.splitlines() == [
        f"preflight: {broken}: not JSON (Expecting property name enclosed in double quotes at line 1 column 2)"
    ]


def test_the_module_entry_point_checks_every_fixture_without_importing_cdk_or_cdktf(fixtures_dir: Path) -> None:
    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['preflight', {str(fixtures_dir)!r}, '--format', 'json']\n"
        "try:\n"
        "    runpy.run_module('constructs_lib.preflight', run_name='__main__')\n"
        "except SystemExit as done:\n"
        "    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'aws_cdk', 'cdktf', 'jsii', 'constructs'})\n"
        "    print('EXIT', done.code, heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert "EXIT 1 []" in result.stderr
    report = json.loads(result.stdout)
    assert len(report["stacks"]) > 100 and report["summary"]["errors"] > 0


def test_python_dash_m_exits_with_the_status_main_returns(
    fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["preflight", str(fixtures_dir / "stack-has-outputs" / "fixed.template.json")])
    with pytest.raises(SystemExit) as done:
        runpy.run_module("constructs_lib.preflight", run_name="__main__")
    assert done.value.code == EXIT_OK
    assert "0 error(s)" in capsys.readouterr().out
