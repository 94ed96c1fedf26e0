"""Lambda code bundling without Docker: the handler and its pinned dependencies end up in the asset."""

from __future__ import annotations

from pathlib import Path

from constructs_lib.cdk.lambda_code import VendoredDependencies, dependency_closure

HANDLER_DIR = Path(__file__).resolve().parents[3] / "stacks" / "stream_processor" / "handler"


def test_dependency_closure_follows_requirements_transitively() -> None:
    names = {distribution.metadata["Name"].lower() for distribution in dependency_closure(["pg8000"])}
    assert {"pg8000", "scramp", "asn1crypto", "python-dateutil", "six"} <= names


def test_bundle_holds_handler_and_importable_dependencies(tmp_path: Path) -> None:
    assert VendoredDependencies(HANDLER_DIR, ["pg8000"]).try_bundle(str(tmp_path))
    assert (tmp_path / "processor.py").is_file()
    assert (tmp_path / "pg8000" / "native.py").is_file()
    assert (tmp_path / "scramp").is_dir()
    assert not list(tmp_path.rglob("*.pyc"))
