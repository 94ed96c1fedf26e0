"""Lambda code for a Python handler directory plus pinned pure-Python dependencies, bundled without Docker.

A handler that imports packages of this repository (``stacks.processing``) names them in ``packages``: each is copied
at its import path, with the ``__init__.py`` of every package above it, beside the handler.

The dependencies are copied from the distributions installed in the synthesizing interpreter (the versions
``pyproject.toml`` pins), so synth is offline, repeatable and needs no container runtime.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
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


def import_root(package_dir: Path) -> Path:
    """The first folder above ``package_dir`` that is not a package: where ``import`` finds it from."""
    root = package_dir.resolve()
    while (root / "__init__.py").is_file():
        root = root.parent
    return root


@jsii.implements(ILocalBundling)
class VendoredDependencies:
    """Local bundling: the handler directory, the repository ``packages`` it imports at their import paths, and
    the installed files of each dependency."""

    def __init__(self, source_dir: Path, dependencies: list[str], packages: Sequence[Path] = ()) -> None:
        self.source_dir = source_dir
        self.dependencies = dependencies
        self.packages = [Path(package).resolve() for package in packages]

    def try_bundle(self, output_dir: str, *_args: Any, **_kwargs: Any) -> bool:
        out = Path(output_dir)
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(self.source_dir, out, dirs_exist_ok=True, ignore=ignore)
        for package in self.packages:
            root = import_root(package)
            if root == package:
                raise ValueError(f"{package} is not a package: it has no __init__.py")
            relative = package.relative_to(root)
            shutil.copytree(package, out / relative, dirs_exist_ok=True, ignore=ignore)
            for parent in relative.parents[:-1]:  # the packages above it, without their other modules
                shutil.copy2(root / parent / "__init__.py", out / parent / "__init__.py")
        for distribution in dependency_closure(self.dependencies):
            for file in distribution.files or []:
                relative = Path(str(file))
                if relative.parts[0] == ".." or "__pycache__" in relative.parts or relative.suffix == ".pyc":
                    continue
                target = out / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(str(distribution.locate_file(file))), target)
        return True


def python_handler_code(
    source_dir: str | Path, dependencies: list[str], packages: Sequence[str | Path] = ()
) -> lambda_.Code:
    """Code asset for ``source_dir`` with ``dependencies`` (distribution names) vendored next to it and the
    repository ``packages`` (folders) at their import paths."""
    source = Path(source_dir).resolve()
    return lambda_.Code.from_asset(
        str(source),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("local-bundling-only"),
            local=VendoredDependencies(source, dependencies, [Path(package) for package in packages]),
        ),
    )
