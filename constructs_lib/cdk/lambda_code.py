"""Lambda code for a Python handler directory plus pinned pure-Python dependencies, bundled without Docker.

The dependencies are copied from the distributions installed in the synthesizing interpreter (the versions
``pyproject.toml`` pins), so synth is offline, repeatable and needs no container runtime.
"""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_


def _requirement_names(distribution: metadata.Distribution) -> list[str]:
    names = []
    for requirement in distribution.requires or []:
        if ";" in requirement and "extra ==" in requirement:
            continue
        name = requirement.split(";")[0].strip()
        for separator in "<>=!~[( ":
            name = name.split(separator)[0]
        names.append(name)
    return names


def dependency_closure(names: list[str]) -> list[metadata.Distribution]:
    """The installed distributions ``names`` need, transitively (extras excluded)."""
    seen: dict[str, metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        distribution = metadata.distribution(name)
        seen[key] = distribution
        pending.extend(_requirement_names(distribution))
    return list(seen.values())


@jsii.implements(ILocalBundling)
class VendoredDependencies:
    """Local bundling: the handler directory plus the installed files of each dependency."""

    def __init__(self, source_dir: Path, dependencies: list[str]) -> None:
        self.source_dir = source_dir
        self.dependencies = dependencies

    def try_bundle(self, output_dir: str, *_args: Any, **_kwargs: Any) -> bool:
        out = Path(output_dir)
        shutil.copytree(self.source_dir, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        for distribution in dependency_closure(self.dependencies):
            for file in distribution.files or []:
                relative = Path(str(file))
                if relative.parts[0] == ".." or "__pycache__" in relative.parts or relative.suffix == ".pyc":
                    continue
                target = out / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(str(distribution.locate_file(file))), target)
        return True


def python_handler_code(source_dir: str | Path, dependencies: list[str]) -> lambda_.Code:
    """Code asset for ``source_dir`` with ``dependencies`` (distribution names) vendored next to it."""
    source = Path(source_dir).resolve()
    return lambda_.Code.from_asset(
        str(source),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("local-bundling-only"),
            local=VendoredDependencies(source, dependencies),
        ),
    )
