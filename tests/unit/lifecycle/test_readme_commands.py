"""The README-commands check: which blocks it runs, in what environment, and what counts as passing."""

from __future__ import annotations

import pytest

from scripts import ROOT
from scripts.emulator.server import Emulator
from scripts.lifecycle.readme_commands import (
    CHECK,
    Block,
    blocks,
    checkout_copy,
    failure_lines,
    fresh_environment,
    run_block,
)


def test_the_readme_shows_a_deploy_and_a_destroy_for_each_tool() -> None:
    found = blocks((ROOT / "README.md").read_text())
    assert [(block.section, block.tool) for block in found] == [
        ("Using the CDK stacks", "cdk"),
        ("Using the CDK for Terraform stacks", "cdktf"),
    ]
    assert all(block.deploys_and_destroys() for block in found)
    assert all(block.script.startswith("./scripts/setup.sh && . scripts/env.sh\n") for block in found)


def test_a_missing_section_is_named() -> None:
    with pytest.raises(ValueError, match="'## Using the CDK for Terraform stacks'"):
        blocks("## Using the CDK stacks\n\n```bash\ncdk deploy A\ncdk destroy A\n```\n")


def test_the_shell_is_fresh_and_pointed_at_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/.venv")
    environment = fresh_environment(Emulator(5123))
    assert "VIRTUAL_ENV" not in environment
    assert ".venv" not in environment["PATH"] and "node_modules" not in environment["PATH"]
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5123"


def test_a_block_passes_only_when_every_command_succeeds() -> None:
    environment = {"PATH": "/usr/bin:/bin"}
    passing = Block("S", "cdk", 'cdk() { echo "$@"; }\ncdk deploy A\ncdk destroy A\n')
    failing = Block("S", "cdk", 'cdk() { [ "$1" = destroy ] && return 4; echo ok; }\ncdk deploy A\ncdk destroy A\n')
    assert run_block(passing, environment).ok
    outcome = run_block(failing, environment)
    assert (outcome.check, outcome.ok) == (CHECK, False) and outcome.detail.startswith("exited 4")


def test_a_block_that_does_not_deploy_and_destroy_fails_without_running() -> None:
    outcome = run_block(Block("S", "cdktf", "cdktf list\n"), {"PATH": "/usr/bin:/bin"})
    assert not outcome.ok and "does not deploy and destroy" in outcome.detail


def test_the_commands_run_in_a_copy_of_the_tracked_files_with_the_installed_tools() -> None:
    with checkout_copy() as copy:
        assert (copy / "README.md").read_text() == (ROOT / "README.md").read_text()
        assert (copy / "scripts" / "setup.sh").stat().st_mode & 0o111
        assert (copy / ".venv").resolve() == (ROOT / ".venv").resolve()
        assert not (copy / "cfn-outputs").exists()
    assert not copy.exists()


def test_a_failure_is_told_by_its_error_lines_without_colour_codes() -> None:
    output = "\x1b[2K\x1b[1Aprogress\n\x1b[31m│ Error: creating KMS Key: AccessDenied\x1b[0m\nmore\n"
    assert failure_lines(output) == ["│ Error: creating KMS Key: AccessDenied"]
    assert failure_lines("one\ntwo\n") == ["one", "two"]
