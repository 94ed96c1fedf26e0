"""Terraform itself accepts both stacks in both profiles, offline, with providers from the machine's mirror."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from tfjson import PROFILES, STACKS, TIMINGS

from scripts import terraform_cli_config, terraform_validate


@pytest.fixture(scope="module")
def cli_config():
    return terraform_cli_config


@pytest.fixture(scope="module")
def validate():
    return terraform_validate


@pytest.fixture(scope="module")
def validations(synthesized, validate, tmp_path_factory):
    """init + validate for every stack and profile, two at a time (the machine has two cores)."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: it is part of this repository's toolchain")
    env = validate.terraform_env(validate.write_cli_config(tmp_path_factory.mktemp("tf") / "terraformrc"))
    jobs = {(p, s): synthesized[p].outdir / "stacks" / s for p in PROFILES for s in STACKS}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {job: pool.submit(validate.validate_stack, path, env) for job, path in jobs.items()}
        results = {job: future.result() for job, future in futures.items()}
    TIMINGS["terraform init+validate, 4 stacks (2 parallel)"] = time.monotonic() - started
    for (profile, stack), result in results.items():
        TIMINGS[f"  {stack} ({profile})"] = result.seconds
    return results


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("stack", STACKS)
def test_terraform_validate_passes_offline(validations, profile, stack):
    result = validations[(profile, stack)]
    assert result.ok, result.output
    assert "Success! The configuration is valid." in result.output


def test_a_failing_terraform_step_is_reported_as_failure(validate, tmp_path):
    result = validate.validate_stack(tmp_path, validate.terraform_env(tmp_path / "rc"), terraform="false")
    assert not result.ok and result.stack == tmp_path.name


def test_validate_cli_without_synthesized_stacks_exits_2(validate, tmp_path):
    assert validate.main(["--out", str(tmp_path)]) == 2
    assert validate.stack_dirs(tmp_path) == []


def test_cli_config_uses_the_mirror_for_hashicorp_and_the_registry_for_the_rest(cli_config, tmp_path):
    text = cli_config.render_config(tmp_path / "mirror")
    assert f'path    = "{tmp_path / "mirror"}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/*"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/*"]' in text
    assert "filesystem_mirror" not in cli_config.render_config(None)


def test_mirror_is_found_by_searching_not_by_a_fixed_path(cli_config, tmp_path):
    plugin = tmp_path / "img" / "tf" / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / cli_config.os_arch()
    plugin.mkdir(parents=True)
    (plugin / "terraform-provider-aws_v5.100.0_x5").write_text("")
    assert cli_config.find_mirror((str(tmp_path / "nowhere"), str(tmp_path)), environ={}) == tmp_path / "img" / "tf"
    assert cli_config.find_mirror((str(tmp_path / "img"),), environ={"TF_PROVIDER_MIRROR": str(tmp_path)}) is None
    assert cli_config.find_mirror((), environ={"TF_PROVIDER_MIRROR": str(tmp_path / "img" / "tf")}) is not None
    written = cli_config.write_cli_config(tmp_path / "out" / "rc", mirror=None, search=False)
    assert "direct {}" in written.read_text()
