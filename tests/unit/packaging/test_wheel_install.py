"""The built wheel, installed in parts into fresh virtual environments, as a user outside this repository would.

Bare, ``[cdk]`` and ``[cdktf]`` each get their own venv; an app of a few lines, run from a folder outside the
repository, synthesizes a key and a bucket with the installed constructs. Deselected from the default unit run
(a minute, and about 1 GB of venvs): ``pytest -m packaging tests/unit/packaging``, which the main job runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scripts import ROOT

pytestmark = pytest.mark.packaging

#: What the wheel is built from; the copy keeps setuptools' build folders out of the work tree.
SOURCES = ("pyproject.toml", "README.md", "constructs_lib", "stacks")
CDK_MODULES = ("aws_cdk", "cdk_nag")
CDKTF_MODULES = ("cdktf", "cdktf_cdktf_provider_aws")
#: Seconds one ``pip install`` may take (a cold cache downloads the bindings, ~200 MB).
INSTALL_TIMEOUT = 900

CDK_APP = """\
import aws_cdk as cdk

from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.secure_bucket import SecureBucket

app = cdk.App(outdir="out")
stack = cdk.Stack(app, "Standalone")
SecureBucket(stack, "Data", encryption_key=EncryptionKey(stack, "Key"))
app.synth()
"""

CDKTF_APP = """\
from cdktf import App, TerraformStack

from constructs_lib.cdktf.secure_bucket import SecureBucket
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.provider import aws_provider

app = App(outdir="out")
stack = TerraformStack(app, "standalone")
aws_provider(stack, "us-east-1", {})
SecureBucket(stack, "data", encryption_key=EncryptionKey(stack, "key"))
app.synth()
"""


def clean_environment() -> dict[str, str]:
    """This process's environment (PATH with the pinned Node, the pip config) without this repo's Python."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "COVERAGE_PROCESS_START"}
    }


@dataclass(frozen=True)
class Venv:
    """A fresh virtual environment with the wheel installed, with or without an extra."""

    path: Path

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def run(self, args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=cwd, env=clean_environment(), capture_output=True, text=True, timeout=timeout, check=False
        )

    def has_module(self, name: str) -> bool:
        probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({name!r}) is None)"
        return self.run([self.python, "-c", probe], cwd=self.path).returncode == 0

    def synthesize(self, app: str, folder: Path) -> None:
        folder.mkdir()
        (folder / "app.py").write_text(app)
        result = self.run([self.python, "app.py"], cwd=folder)
        assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), str(source)]
    result = subprocess.run(command, cwd=work, env=clean_environment(), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = (work / "dist").glob("hardened_iac_stacks-*.whl")
    return built


def install(wheel: Path, folder: Path, extra: str) -> Venv:
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, env=clean_environment())
    venv = Venv(folder)
    requirement = f"{wheel}[{extra}]" if extra else str(wheel)
    result = venv.run(
        [venv.python, "-m", "pip", "install", "--quiet", "--no-compile", requirement], folder, INSTALL_TIMEOUT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return venv


@pytest.fixture(scope="module")
def venvs(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Venv]]:
    """``""`` (bare), ``"cdk"`` and ``"cdktf"``, installed side by side; removed afterwards (about 550 MB)."""
    root = tmp_path_factory.mktemp("venvs")
    extras = ("", "cdk", "cdktf")
    with ThreadPoolExecutor(max_workers=len(extras)) as pool:
        futures = {extra: pool.submit(install, wheel, root / (extra or "bare"), extra) for extra in extras}
        installed = {extra: future.result() for extra, future in futures.items()}
    yield installed
    shutil.rmtree(root)


def test_a_bare_install_brings_no_binding_and_runs_preflight(venvs: dict[str, Venv], tmp_path: Path) -> None:
    bare = venvs[""]
    assert [name for name in (*CDK_MODULES, *CDKTF_MODULES, "constructs") if bare.has_module(name)] == []
    result = bare.run([str(bare.path / "bin" / "preflight"), "--help"], cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("usage: preflight")


def test_the_cdk_extra_brings_the_aws_cdk_and_no_terraform_binding(venvs: dict[str, Venv]) -> None:
    cdk = venvs["cdk"]
    assert [cdk.has_module(name) for name in (*CDK_MODULES, "constructs")] == [True, True, True]
    assert [name for name in CDKTF_MODULES if cdk.has_module(name)] == []


def test_the_cdktf_extra_brings_cdktf_and_no_aws_cdk(venvs: dict[str, Venv]) -> None:
    cdktf = venvs["cdktf"]
    assert [cdktf.has_module(name) for name in (*CDKTF_MODULES, "constructs")] == [True, True, True]
    assert [name for name in CDK_MODULES if cdktf.has_module(name)] == []


def test_a_standalone_cdk_app_synthesizes_a_bucket_encrypted_with_its_key(
    venvs: dict[str, Venv], tmp_path: Path
) -> None:
    venvs["cdk"].synthesize(CDK_APP, tmp_path / "app")
    resources: dict[str, Any] = json.loads((tmp_path / "app" / "out" / "Standalone.template.json").read_text())[
        "Resources"
    ]
    (key,) = [name for name, body in resources.items() if body["Type"] == "AWS::KMS::Key"]
    encryptions = [
        body["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        for body in resources.values()
        if body["Type"] == "AWS::S3::Bucket"
    ]
    assert {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": [key, "Arn"]}} in encryptions


def test_a_standalone_cdktf_app_synthesizes_a_bucket_encrypted_with_its_key_without_the_cli(
    venvs: dict[str, Venv], tmp_path: Path
) -> None:
    venvs["cdktf"].synthesize(CDKTF_APP, tmp_path / "app")
    stack = json.loads((tmp_path / "app" / "out" / "stacks" / "standalone" / "cdk.tf.json").read_text())
    (key,) = stack["resource"]["aws_kms_key"]
    rules = [
        rule["apply_server_side_encryption_by_default"]
        for body in stack["resource"]["aws_s3_bucket_server_side_encryption_configuration"].values()
        for rule in body["rule"]
    ]
    assert {"sse_algorithm": "aws:kms", "kms_master_key_id": f"${{aws_kms_key.{key}.arn}}"} in rules
