"""Precision on real templates nobody here wrote: public CloudFormation templates, public Terraform JSON and public CDK
apps synthesized with the pinned aws-cdk-lib (``corpus/``, each file's origin in ``corpus/SOURCES``). Preflight must
find exactly the reviewed findings of ``corpus/expected-findings.tsv``, and every error there was judged by hand to be
a real deploy or security failure."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from constructs_lib.model import CLOUDFORMATION, TERRAFORM, Stack, load_stacks
from constructs_lib.preflight import PACK, Finding, run_rules

CORPUS = Path(__file__).parent / "corpus"
Row = tuple[str, str, str, str]


@pytest.fixture(scope="module")
def stacks() -> list[Stack]:
    return load_stacks([CORPUS])


@pytest.fixture(scope="module")
def findings(stacks: list[Stack]) -> list[Finding]:
    return run_rules(stacks, PACK)


@pytest.fixture(scope="module")
def reviewed() -> list[dict[str, str]]:
    with (CORPUS / "expected-findings.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))


def _relative(stack_file: str) -> str:
    return Path(stack_file).relative_to(CORPUS).as_posix()


def test_the_corpus_holds_200_templates_20_terraform_files_and_20_cdk_apps(stacks: list[Stack]) -> None:
    by_source = Counter("cdk" if _relative(str(s.path)).startswith("cdk/") else s.source_format for s in stacks)
    cdk_apps = {_relative(str(s.path)).split("/")[1] for s in stacks if _relative(str(s.path)).startswith("cdk/")}
    assert by_source[CLOUDFORMATION] >= 200
    assert by_source[TERRAFORM] >= 20
    assert len(cdk_apps) >= 20


def test_every_corpus_file_has_its_source_repository_commit_and_licence(stacks: list[Stack]) -> None:
    lines = [
        line.split("\t")
        for line in (CORPUS / "SOURCES").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert all(len(fields) == 6 and len(fields[3]) == 40 and fields[4] in {"Apache-2.0", "MIT"} for fields in lines)
    assert sorted(fields[0] for fields in lines) == sorted(_relative(str(s.path)) for s in stacks)


def test_preflight_finds_exactly_the_reviewed_findings(findings: list[Finding], reviewed: list[dict[str, str]]) -> None:
    found = Counter((str(f.severity), f.rule_id, _relative(f.file), f.address) for f in findings)
    expected = Counter((r["severity"], r["rule"], r["file"], r["address"]) for r in reviewed)
    assert len(findings) == len(reviewed)
    assert found == expected


def test_every_error_was_judged_a_real_deploy_or_security_failure(reviewed: list[dict[str, str]]) -> None:
    errors = [r for r in reviewed if r["severity"] == "error"]
    assert len(errors) > 0
    assert [r for r in errors if r["verdict"] != "true" or len(r["reason"]) < 30] == []
