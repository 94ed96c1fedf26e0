#!/usr/bin/env python3
"""Run ``terraform init -backend=false`` and ``terraform validate`` on every synthesized cdktf stack, offline.

Synthesize first (``npx --no-install cdktf synth`` or ``.venv/bin/python tf_app.py``). Providers come from the
filesystem mirror through ``.build/terraformrc`` (see terraform_cli_config.py). Prints one line per stack with
pass/fail and seconds; exits 1 if any stack fails.

    .venv/bin/python -m scripts.terraform_validate [--out cdktf.out] [stack ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from scripts import ROOT
from scripts.terraform_cli_config import write_cli_config

DEFAULT_OUT = ROOT / "cdktf.out"


@dataclass(frozen=True)
class StackResult:
    stack: str
    ok: bool
    seconds: float
    output: str


def terraform_env(cli_config: Path) -> dict[str, str]:
    """The environment Terraform runs with: our CLI config, no prompts, no version check call."""
    env = dict(os.environ)
    env.update(
        {
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    return env


def validate_stack(stack_dir: Path, env: dict[str, str], terraform: str = "terraform") -> StackResult:
    """``init -backend=false`` then ``validate`` in ``stack_dir``; the first failing step's output is kept."""
    started = time.monotonic()
    output: list[str] = []
    ok = True
    for command in (
        [terraform, "init", "-backend=false", "-input=false", "-no-color"],
        [terraform, "validate", "-no-color"],
    ):
        done = subprocess.run(command, cwd=stack_dir, env=env, capture_output=True, text=True, check=False)
        output.append(done.stdout + done.stderr)
        if done.returncode != 0:
            ok = False
            break
    return StackResult(stack_dir.name, ok, time.monotonic() - started, "".join(output))


def stack_dirs(out_dir: Path, names: list[str] | None = None) -> list[Path]:
    """Synthesized stack directories (those holding a ``cdk.tf.json``), optionally only ``names``."""
    found = sorted(p.parent for p in (out_dir / "stacks").glob("*/cdk.tf.json"))
    return [p for p in found if not names or p.name in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="cdktf output directory")
    parser.add_argument("stacks", nargs="*", help="stack names (default: all)")
    args = parser.parse_args(argv)
    terraform = shutil.which("terraform")
    if terraform is None:
        print("terraform not found on PATH", file=sys.stderr)
        return 2
    dirs = stack_dirs(args.out, args.stacks)
    if not dirs:
        print(f"no synthesized stacks under {args.out}/stacks: run cdktf synth first", file=sys.stderr)
        return 2
    env = terraform_env(write_cli_config())
    failed = 0
    for stack_dir in dirs:
        result = validate_stack(stack_dir, env, terraform)
        print(f"{result.stack}: {'pass' if result.ok else 'FAIL'} ({result.seconds:.1f} s)")
        if not result.ok:
            failed += 1
            print(result.output, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
