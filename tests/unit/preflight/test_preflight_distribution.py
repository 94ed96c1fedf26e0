"""How preflight reaches users: the ``preflight`` console script pyproject declares, which imports no CDK or
Terraform binding and needs no dependency, and the pre-commit hook other repositories use, whose entry is that
script."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
HEAVY = ("aws_cdk", "cdktf", "cdktf_cdktf_provider_aws", "jsii", "constructs", "cdk_nag")


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def hooks() -> list[dict[str, Any]]:
    return yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def test_the_console_script_is_the_cli_main(project: dict[str, Any]) -> None:
    module_name, _, function = project["scripts"]["preflight"].partition(":")
    assert getattr(importlib.import_module(module_name), function).__module__ == "constructs_lib.preflight.cli"


def test_a_bare_install_needs_no_dependency(project: dict[str, Any]) -> None:
    assert project["dependencies"] == []


def test_the_console_script_runs_without_importing_cdk_or_terraform_bindings(
    project: dict[str, Any], fixtures_dir: Path
) -> None:
    module_name, _, function = project["scripts"]["preflight"].partition(":")
    probe = (
        "import importlib, json, sys\n"
        f"sys.argv = ['preflight', {str(fixtures_dir)!r}, '--format', 'sarif']\n"
        f"code = getattr(importlib.import_module({module_name!r}), {function!r})()\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "print(json.dumps({'code': code, 'heavy': heavy}), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert json.loads(result.stderr.splitlines()[-1]) == {"code": 1, "heavy": []}
    assert len(json.loads(result.stdout)["runs"][0]["results"]) > 100


def test_the_pre_commit_hook_runs_the_declared_console_script(
    hooks: list[dict[str, Any]], project: dict[str, Any]
) -> None:
    (hook,) = hooks
    assert hook["id"] == "preflight" and hook["language"] == "python"
    assert hook["entry"] in project["scripts"]


def test_the_pre_commit_hook_passes_templates_and_terraform_json_together(hooks: list[dict[str, Any]]) -> None:
    (hook,) = hooks
    files = re.compile(hook["files"])
    assert hook["pass_filenames"] is True and hook["require_serial"] is True
    matched = ["cdk.out/App.template.json", "stacks/web/cdk.tf.json", "infra/main.tf.json"]
    assert [name for name in [*matched, "package.json", "tsconfig.json", "main.tf"] if files.search(name)] == matched


def test_the_readme_shows_the_hook_as_a_user_adds_it(hooks: list[dict[str, Any]]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(repos:\n.*?)```", readme, re.S)
    assert block is not None
    (repo,) = yaml.safe_load(block.group(1))["repos"]
    assert [hook["id"] for hook in repo["hooks"]] == [hooks[0]["id"]]
