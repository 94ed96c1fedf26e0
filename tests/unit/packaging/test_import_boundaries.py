"""What each part of the package imports: the pure-Python parts load no binding, each binding loads only its own.

A bare ``pip install`` (no extra) must give a working ``policy``, ``model``, ``preflight`` and ``report``; ``[cdk]``
must not need CDK for Terraform and ``[cdktf]`` must not need the AWS CDK.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from scripts import ROOT

LIBRARY = ROOT / "constructs_lib"
#: Top-level modules that exist only with ``[cdk]`` or ``[cdktf]`` installed.
CDK_MODULES = ("aws_cdk", "cdk_nag")
CDKTF_MODULES = ("cdktf", "cdktf_cdktf_provider_aws")
BINDING_MODULES = (*CDK_MODULES, *CDKTF_MODULES, "constructs", "jsii")
#: The pure-Python packages a bare install provides.
PURE_PACKAGES = ("constructs_lib.policy", "constructs_lib.model", "constructs_lib.preflight", "constructs_lib.report")
#: Modules inside the pure packages that are, by design, part of a binding: preflight's cdk-nag pack.
BINDING_BOUND = {"constructs_lib.preflight.cdk_nag"}

#: Run in a fresh interpreter: a meta-path finder refuses every binding module, then each module of the pure
#: packages is imported (``__main__`` aside); prints the modules whose import reached for a binding, and what they
#: reached for.
_IMPORT_EVERY_PURE_MODULE = """
import importlib, json, pkgutil, sys

BLOCKED = set(sys.argv[1].split(","))
reached = []

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            reached.append(name)
            raise ImportError(f"blocked: {name}")
        return None

sys.meta_path.insert(0, Blocker())
import constructs_lib
failed, imported = {}, []
for package_name in sys.argv[2].split(","):
    package = importlib.import_module(package_name)
    modules = pkgutil.walk_packages(package.__path__, package_name + ".")
    names = [package_name] + [m.name for m in modules if not m.name.endswith(".__main__")]  # those run a CLI
    for name in names:
        reached.clear()
        try:
            importlib.import_module(name)
            imported.append(name)
        except ImportError:
            failed[name] = sorted(set(reached))
print(json.dumps({"failed": failed, "imported": imported}))
"""


def import_with_bindings_blocked() -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERY_PURE_MODULE, ",".join(BINDING_MODULES), ",".join(PURE_PACKAGES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_pure_packages_import_without_any_binding() -> None:
    outcome = import_with_bindings_blocked()
    assert len(outcome["imported"]) > 40  # every module of policy, model, preflight (with its rules) and report
    assert set(outcome["failed"]) == BINDING_BOUND
    assert outcome["failed"]["constructs_lib.preflight.cdk_nag"] == ["aws_cdk"]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (``from x import y`` gives ``x``; relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            names.add(".".join(part for part in (base, node.module or "") if part))
    return names


def offending_imports(files: list[Path], forbidden: tuple[str, ...]) -> dict[str, set[str]]:
    """Per file, the imports that are or lie under a ``forbidden`` module; files with none are left out."""
    assert files, "no files to check"
    found = {
        str(path.relative_to(ROOT)): {
            name for name in imported_modules(path) if any(name == f or name.startswith(f"{f}.") for f in forbidden)
        }
        for path in files
    }
    return {path: names for path, names in found.items() if names}


def test_cdk_constructs_import_nothing_from_cdktf() -> None:
    forbidden = (*CDKTF_MODULES, "constructs_lib.cdktf")
    assert offending_imports(sorted((LIBRARY / "cdk").rglob("*.py")), forbidden) == {}


def test_cdktf_constructs_import_nothing_from_the_aws_cdk() -> None:
    forbidden = (*CDK_MODULES, "constructs_lib.cdk", *BINDING_BOUND)
    assert offending_imports(sorted((LIBRARY / "cdktf").rglob("*.py")), forbidden) == {}


def test_library_root_and_policy_import_no_binding_even_inside_functions() -> None:
    files = [LIBRARY / "__init__.py", *sorted((LIBRARY / "policy").rglob("*.py"))]
    forbidden = (*BINDING_MODULES, "constructs_lib.cdk", "constructs_lib.cdktf")
    assert offending_imports(files, forbidden) == {}


def test_the_import_check_sees_a_forbidden_import() -> None:
    assert offending_imports([LIBRARY / "cdk" / "secure_bucket.py"], CDK_MODULES) == {
        "constructs_lib/cdk/secure_bucket.py": {"aws_cdk"}
    }
