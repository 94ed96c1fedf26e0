"""Lambda code bundling without Docker: the handler and its pinned dependencies end up in the asset."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from constructs_lib.cdk.lambda_code import VendoredDependencies, dependency_closure
from stacks.healthcare_pipeline.stack import CONSUMER_DIR, CONSUMER_HANDLER, CONSUMER_PACKAGES

STACKS_DIR = Path(__file__).resolve().parents[3] / "stacks"
HANDLER_DIR = STACKS_DIR / "stream_processor" / "handler"


def test_dependency_closure_follows_requirements_transitively() -> None:
    names = {distribution.metadata["Name"].lower() for distribution in dependency_closure(["pg8000"])}
    assert {"pg8000", "scramp", "asn1crypto", "python-dateutil", "six"} <= names


def test_bundle_holds_handler_and_importable_dependencies(tmp_path: Path) -> None:
    assert VendoredDependencies(HANDLER_DIR, ["pg8000"]).try_bundle(str(tmp_path))
    assert (tmp_path / "processor.py").is_file()
    assert (tmp_path / "pg8000" / "native.py").is_file()
    assert (tmp_path / "scramp").is_dir()
    assert not list(tmp_path.rglob("*.pyc"))


def test_bundle_holds_repository_packages_at_their_import_paths_with_the_packages_above(tmp_path: Path) -> None:
    assert VendoredDependencies(CONSUMER_DIR, ["pg8000"], CONSUMER_PACKAGES).try_bundle(str(tmp_path))
    assert (tmp_path / "patient_events.py").is_file()
    assert (tmp_path / "stacks" / "__init__.py").is_file()
    assert {path.name for path in (tmp_path / "stacks" / "processing").glob("*.py")} >= {"__init__.py", "database.py"}
    # Only the packages named, not their siblings; boto3 is the Lambda runtime's own, so it is not vendored.
    assert {path.name for path in (tmp_path / "stacks").iterdir()} == {"__init__.py", "processing"}
    assert not (tmp_path / "boto3").exists()
    assert not list(tmp_path.rglob("__pycache__"))


def test_consumer_handler_imports_from_its_bundle_alone(tmp_path: Path) -> None:
    """In a fresh interpreter without site-packages (the bundle and the standard library only), the handler the
    healthcare stack names imports, and everything it imports comes from the bundle."""
    assert VendoredDependencies(CONSUMER_DIR, ["pg8000"], CONSUMER_PACKAGES).try_bundle(str(tmp_path))
    module, function = CONSUMER_HANDLER.rsplit(".", 1)
    probe = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import importlib; "
        f"handler = getattr(importlib.import_module({module!r}), {function!r}); assert callable(handler); "
        "import pg8000, stacks.processing.database as db; print(db.__file__); print(pg8000.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    files = result.stdout.split()
    assert len(files) == 2 and all(Path(file).is_relative_to(tmp_path) for file in files)
