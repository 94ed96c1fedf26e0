#!/usr/bin/env python3
"""Write a Terraform CLI config that installs providers from the machine's filesystem mirror when there is one.

The machine image ships hashicorp/aws in a filesystem mirror (where depends on the image, so it is searched for,
never hard-coded); ``terraform init`` then needs no network and takes about a second. Without a mirror the config
is the plain registry one. The file goes to ``.build/terraformrc`` (ignored by git); the script prints its path:

    export TF_CLI_CONFIG_FILE=$(.venv/bin/python -m scripts.terraform_cli_config)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
from pathlib import Path

from scripts import ROOT

CONFIG_PATH = ROOT / ".build" / "terraformrc"
#: Set to a mirror directory to skip the search.
ENV_MIRROR = "TF_PROVIDER_MIRROR"
REGISTRY_HOST = "registry.terraform.io"
#: Where machine images put Terraform plugin mirrors; each is searched a few levels deep, not the whole disk.
SEARCH_ROOTS: tuple[str, ...] = (
    "/opt",
    "/usr/share",
    "/usr/local/share",
    "/usr/local/lib",
    "~/.terraform.d",
    "~/.local/share/terraform",
)
SEARCH_DEPTH = 4
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def os_arch() -> str:
    """Terraform's platform name for this machine, e.g. ``linux_amd64``."""
    machine = platform.machine().lower()
    return f"{platform.system().lower()}_{_ARCHES.get(machine, machine)}"


def _has_aws_provider(mirror: Path, arch: str) -> bool:
    return any((mirror / REGISTRY_HOST / "hashicorp" / "aws").glob(f"*/{arch}/terraform-provider-aws*"))


def find_mirror(roots: tuple[str, ...] = SEARCH_ROOTS, environ: dict[str, str] | None = None) -> Path | None:
    """The first directory holding ``registry.terraform.io/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws*``
    (``TF_PROVIDER_MIRROR`` if set, else a few levels under each search root)."""
    env = os.environ if environ is None else environ
    arch = os_arch()
    explicit = env.get(ENV_MIRROR)
    if explicit:
        path = Path(explicit).expanduser()
        return path if _has_aws_provider(path, arch) else None
    for root in roots:
        base = Path(root).expanduser()
        if not base.is_dir():
            continue
        for depth in range(SEARCH_DEPTH + 1):
            pattern = "/".join(["*"] * depth + [REGISTRY_HOST])
            for hit in sorted(base.glob(pattern)):
                if _has_aws_provider(hit.parent, arch):
                    return hit.parent
    return None


def render_config(mirror: Path | None) -> str:
    """CLI config text: filesystem mirror for hashicorp/* when ``mirror`` is set, the registry for the rest."""
    lines = ["disable_checkpoint = true", ""]
    if mirror is None:
        lines += ["provider_installation {", "  direct {}", "}"]
    else:
        pattern = json.dumps(f"{REGISTRY_HOST}/hashicorp/*")
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f"    path    = {json.dumps(str(mirror))}",
            f"    include = [{pattern}]",
            "  }",
            "  direct {",
            f"    exclude = [{pattern}]",
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def write_cli_config(path: Path = CONFIG_PATH, mirror: Path | None = None, search: bool = True) -> Path:
    """Write the CLI config to ``path`` and return it (searching for a mirror unless one is given)."""
    if mirror is None and search:
        mirror = find_mirror()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed into place: runs side by side (lifecycle groups, the integration run) rewrite the
    # same file while their terraform reads it, and a half-written config sends terraform to the registry.
    staged = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    staged.write_text(render_config(mirror))
    staged.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=CONFIG_PATH, help="where to write the config")
    args = parser.parse_args(argv)
    mirror = find_mirror()
    path = write_cli_config(args.output, mirror, search=False)
    source = f"filesystem mirror {mirror}" if mirror else "the public registry (no mirror found)"
    print(f"providers from {source}", file=sys.stderr)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
