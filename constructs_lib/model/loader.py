"""Find every stack in synthesized output folders (``cdk.out``, ``cdktf.out``) or loose files, and read them.

A cloud assembly's ``manifest.json`` names each template with its environment (``aws://<account>/<region>``,
``unknown-...`` when deploy-time); cdktf's names each ``stacks/<name>/cdk.tf.json``. Every manifest under a given
folder is read, so a folder holding several apps' output (a monorepo) keeps each stack's name, region and account.
Files no manifest names (nested-stack templates, hand-written fixtures) are found by name: ``*.template.json`` and
``*.tf.json``.

A path that cannot be read as stacks raises ``StackFileError`` with a one-line message naming the path and the
problem: missing, not JSON, neither format, no resources, or a folder with no stack in it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from constructs_lib.model import tokens
from constructs_lib.model.cloudformation import stack_from_template
from constructs_lib.model.stack import CLOUDFORMATION, TERRAFORM, SourceFormat, Stack
from constructs_lib.model.terraform import stack_from_configuration

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
    #: The folder of the manifest that lists it: the stacks deployed together with it.
    assembly: Path | None = None


def find_stack_files(paths: Iterable[str | Path]) -> list[StackFile]:
    """Every stack file under ``paths`` (folders searched, files taken as given), each once, in a stable order."""
    found: dict[Path, StackFile] = {}
    for given in map(Path, paths):
        if given.is_dir():
            candidates = [f for manifest in _manifests(given) for f in _from_manifest(manifest.parent)]
            candidates += _by_name(given)
            if not candidates:
                raise StackFileError(
                    f"{given}: no stack in this folder (no cloud assembly or cdktf manifest, no *.template.json "
                    "or *.tf.json)"
                )
        elif given.is_file():
            # A template named directly still gets the region and account its assembly's manifest gives it.
            listed = [f for f in _from_manifest(given.parent) if _absolute(f.path) == _absolute(given)]
            candidates = listed or [StackFile(given, _format_of_file(given))]
        else:
            raise StackFileError(f"{given}: no such file or folder")
        for candidate in candidates:
            found.setdefault(_absolute(candidate.path), candidate)
    return list(found.values())


def load_stack(stack_file: StackFile) -> Stack:
    """Read one stack file into the model; ``StackFileError`` when it is not JSON or declares nothing."""
    content = _parse(stack_file.path)
    if stack_file.source_format == CLOUDFORMATION:
        resources = content.get("Resources")
        if not isinstance(resources, dict) or not resources:
            raise StackFileError(f"{stack_file.path}: a CloudFormation template with no Resources")
        # Fn::ForEach (the LanguageExtensions transform) writes a list that expands at deploy: not a resource body.
        plain = {k: v for k, v in resources.items() if not k.startswith("Fn::ForEach::")}
        _require_objects(stack_file.path, plain, "Resources", depth=1)
        name = stack_file.name or stack_file.path.name.removesuffix(".json").removesuffix(".template")
        return stack_from_template(
            content, name=name, path=stack_file.path, region=stack_file.region, account=stack_file.account
        )
    if not any(content.get(section) for section in ("resource", "data", "module")):
        raise StackFileError(f"{stack_file.path}: a Terraform configuration with no resource, data source or module")
    for section in ("resource", "data"):
        _require_objects(stack_file.path, content.get(section) or {}, section, depth=2)
    return stack_from_configuration(
        content, name=stack_file.name or _terraform_name(stack_file.path, content), path=stack_file.path
    )


def load_stacks(paths: Iterable[str | Path]) -> list[Stack]:
    """Every stack under ``paths``, read; nested-stack templates and sibling outputs are marked (see ``Stack``)."""
    files = find_stack_files(paths)
    stacks = [load_stack(f) for f in files]
    nested = _nested_templates(stacks)
    assemblies = {f.assembly: _assembly_outputs(f.assembly) for f in files if f.assembly is not None}
    return [
        replace(
            stack,
            nested=_absolute(stack.path) in nested or stack.path.name.endswith(".nested.template.json"),
            sibling_outputs=tuple(
                f"{name}.{output}" for name, output in assemblies.get(stack_file.assembly, []) if name != stack.name
            ),
        )
        for stack_file, stack in zip(files, stacks, strict=True)
    ]


def _assembly_outputs(folder: Path) -> list[tuple[str, str]]:
    """(stack name, output name) of every stack the manifest in ``folder`` lists, read or not."""
    found: list[tuple[str, str]] = []
    for stack_file in _from_manifest(folder):
        content = _read_json(stack_file.path)
        section = "Outputs" if stack_file.source_format == CLOUDFORMATION else "output"
        outputs = content.get(section) if isinstance(content, dict) else None
        if isinstance(outputs, dict):
            found.extend((stack_file.name or stack_file.path.name, output) for output in outputs)
    return found


def _nested_templates(stacks: Iterable[Stack]) -> set[Path]:
    """Template files an ``AWS::CloudFormation::Stack`` of another loaded stack deploys.

    CDK names the file in the resource's ``aws:asset:path`` metadata; a hand-written parent names it at the end of
    its ``TemplateURL`` (matched on the name before its first dot, as a YAML source and its JSON twin differ after).
    """
    by_folder_and_stem: dict[tuple[Path, str], Path] = {}
    for stack in stacks:
        absolute = _absolute(stack.path)
        by_folder_and_stem[(absolute.parent, stack.path.name.split(".", 1)[0])] = absolute
    nested: set[Path] = set()
    for stack in stacks:
        absolute = _absolute(stack.path)
        for resource in stack:
            if resource.type != "AWS::CloudFormation::Stack":
                continue
            asset = (resource.attributes.get("Metadata") or {}).get("aws:asset:path")
            url = tokens.render(resource.properties.get("TemplateURL")) or ""
            for named in (asset, url.rsplit("/", 1)[-1]):
                if isinstance(named, str) and named:
                    target = by_folder_and_stem.get((absolute.parent, named.split(".", 1)[0]))
                    if target is not None and target != absolute:
                        nested.add(target)
    return nested


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StackFileError(f"{path}: cannot be read ({error.__class__.__name__}: {error})") from error
    try:
        content = json.loads(text)
    except ValueError as error:
        message = getattr(error, "msg", str(error))
        where = f" at line {error.lineno} column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
        raise StackFileError(f"{path}: not JSON ({message}{where})") from error
    if not isinstance(content, dict):
        raise StackFileError(f"{path}: not a JSON object, so neither a template nor a Terraform configuration")
    return content


def _require_objects(path: Path, value: Any, where: str, depth: int) -> None:
    """``value`` is a JSON object whose members are objects ``depth`` levels down (resource bodies)."""
    if not isinstance(value, dict):
        raise StackFileError(f"{path}: {where} is not a JSON object")
    if depth:
        for key, child in value.items():
            _require_objects(path, child, f"{where}.{key}", depth - 1)


def _terraform_name(path: Path, configuration: dict[str, Any]) -> str:
    """cdktf's ``stackName`` metadata, else the folder name for ``cdk.tf.json``, else the file name."""
    metadata_name = ((configuration.get("//") or {}).get("metadata") or {}).get("stackName")
    default_name = path.parent.name if path.name == "cdk.tf.json" else path.name.removesuffix(".tf.json")
    return metadata_name or default_name.removesuffix(".cdk")


def _absolute(path: Path) -> Path:
    """``path`` made absolute and normalised, without the file-system calls of ``resolve()``."""
    return Path(os.path.normpath(os.path.abspath(path)))


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
            files.append(StackFile(folder / properties["templateFile"], CLOUDFORMATION, name, region, account, folder))
        elif artifact.get("type") == "cdk:cloud-assembly" and properties.get("directoryName"):
            files.extend(_from_manifest(folder / properties["directoryName"]))
    for stack_name, stack in (manifest.get("stacks") or {}).items():
        if isinstance(stack, dict) and stack.get("synthesizedStackPath"):
            name = stack.get("name") or stack_name
            files.append(StackFile(folder / stack["synthesizedStackPath"], TERRAFORM, name, assembly=folder))
    return [f for f in files if f.path.is_file()]


def _environment(value: Any) -> tuple[str | None, str | None]:
    """``aws://<account>/<region>`` split, with CDK's ``unknown-*`` placeholders as ``None``."""
    if not isinstance(value, str) or not value.startswith("aws://"):
        return None, None
    account, _, region = value.removeprefix("aws://").partition("/")
    return (None if account in _UNKNOWN else account or None), (None if region in _UNKNOWN else region or None)


def _walk(folder: Path) -> Iterator[Path]:
    """Every ``*.json`` file under ``folder`` in a stable order, not descending into build by-products or assets."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("asset."))
        for name in sorted(files):
            if name.endswith(".json"):
                yield Path(root) / name


def _manifests(folder: Path) -> list[Path]:
    """Every cloud assembly or cdktf ``manifest.json`` under ``folder``, outermost first."""
    return [path for path in _walk(folder) if path.name == "manifest.json"]


def _by_name(folder: Path) -> list[StackFile]:
    files: list[StackFile] = []
    for path in _walk(folder):
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
