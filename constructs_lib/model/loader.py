"""Find every stack in synthesized output folders (``cdk.out``, ``cdktf.out``) or loose files, and read them.

A cloud assembly's ``manifest.json`` names each template with its environment (``aws://<account>/<region>``,
``unknown-...`` when deploy-time); cdktf's names each ``stacks/<name>/cdk.tf.json``. Files no manifest names
(nested-stack templates, hand-written fixtures) are found by name: ``*.template.json`` and ``*.tf.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_lib.model.cloudformation import read_template
from constructs_lib.model.stack import CLOUDFORMATION, TERRAFORM, SourceFormat, Stack
from constructs_lib.model.terraform import read_configuration

#: Folders that hold build by-products, never stacks.
_SKIPPED_DIRS = (".terraform", "node_modules", "__pycache__")
_UNKNOWN = ("unknown-account", "unknown-region")


class StackFileError(ValueError):
    """A path given to the loader is neither a folder nor a file it can read as a stack."""


@dataclass(frozen=True)
class StackFile:
    """A file holding one stack, with what its manifest says about it."""

    path: Path
    source_format: SourceFormat
    name: str | None = None
    region: str | None = None
    account: str | None = None


def find_stack_files(paths: Iterable[str | Path]) -> list[StackFile]:
    """Every stack file under ``paths`` (folders searched, files taken as given), each once, in a stable order."""
    found: dict[Path, StackFile] = {}
    for given in map(Path, paths):
        if given.is_dir():
            candidates = _from_manifest(given) + _by_name(given)
        elif given.is_file():
            # A template named directly still gets the region and account its assembly's manifest gives it.
            listed = [f for f in _from_manifest(given.parent) if f.path.resolve() == given.resolve()]
            candidates = listed or [StackFile(given, _format_of_file(given))]
        else:
            raise StackFileError(f"{given}: no such file or folder")
        for candidate in candidates:
            found.setdefault(candidate.path.resolve(), candidate)
    return list(found.values())


def load_stack(stack_file: StackFile) -> Stack:
    """Read one stack file into the model."""
    if stack_file.source_format == CLOUDFORMATION:
        return read_template(
            stack_file.path, name=stack_file.name, region=stack_file.region, account=stack_file.account
        )
    return read_configuration(stack_file.path, name=stack_file.name)


def load_stacks(paths: Iterable[str | Path]) -> list[Stack]:
    """Every stack under ``paths``, read."""
    return [load_stack(f) for f in find_stack_files(paths)]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _from_manifest(folder: Path) -> list[StackFile]:
    manifest = _read_json(folder / "manifest.json")
    if not isinstance(manifest, dict):
        return []
    files: list[StackFile] = []
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        properties = artifact.get("properties") or {}
        if artifact.get("type") == "aws:cloudformation:stack" and properties.get("templateFile"):
            account, region = _environment(artifact.get("environment"))
            name = properties.get("stackName") or artifact.get("displayName") or artifact_id
            files.append(StackFile(folder / properties["templateFile"], CLOUDFORMATION, name, region, account))
        elif artifact.get("type") == "cdk:cloud-assembly" and properties.get("directoryName"):
            files.extend(_from_manifest(folder / properties["directoryName"]))
    for stack_name, stack in (manifest.get("stacks") or {}).items():
        if isinstance(stack, dict) and stack.get("synthesizedStackPath"):
            files.append(StackFile(folder / stack["synthesizedStackPath"], TERRAFORM, stack.get("name") or stack_name))
    return [f for f in files if f.path.is_file()]


def _environment(value: Any) -> tuple[str | None, str | None]:
    """``aws://<account>/<region>`` split, with CDK's ``unknown-*`` placeholders as ``None``."""
    if not isinstance(value, str) or not value.startswith("aws://"):
        return None, None
    account, _, region = value.removeprefix("aws://").partition("/")
    return (None if account in _UNKNOWN else account or None), (None if region in _UNKNOWN else region or None)


def _by_name(folder: Path) -> list[StackFile]:
    files: list[StackFile] = []
    for path in sorted(folder.rglob("*.json")):
        relative = path.relative_to(folder).parts
        if any(part in _SKIPPED_DIRS or part.startswith("asset.") for part in relative[:-1]):
            continue
        if path.name.endswith(".template.json"):
            files.append(StackFile(path, CLOUDFORMATION))
        elif path.name.endswith(".tf.json"):
            files.append(StackFile(path, TERRAFORM))
    return files


def _format_of_file(path: Path) -> SourceFormat:
    if path.name.endswith(".template.json"):
        return CLOUDFORMATION
    if path.name.endswith(".tf.json"):
        return TERRAFORM
    content = _read_json(path)
    if isinstance(content, dict) and ("Resources" in content or "AWSTemplateFormatVersion" in content):
        return CLOUDFORMATION
    if isinstance(content, dict) and ({"resource", "provider", "terraform", "data"} & set(content)):
        return TERRAFORM
    raise StackFileError(f"{path}: neither a CloudFormation template nor a Terraform JSON configuration")
