"""README's commands, as written, in a fresh shell against the running emulator: the "Using the CDK stacks" and
"Using the CDK for Terraform stacks" blocks each deploy and destroy one stack. They run in a copy of the repository's
tracked files (sharing its installed ``.venv`` and ``node_modules``), so what they synthesize never meets the main
job's own output.

    eval "$(python -m scripts.emulator.server env)"
    python -m scripts.lifecycle.readme_commands
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts import ROOT
from scripts.deployer import commands, protocol
from scripts.emulator.server import Emulator
from scripts.lifecycle import CheckOutcome, report

CHECK = "README commands work"
#: The README sections whose first ``bash`` block a user runs to deploy and destroy a stack, and that stack's tool.
SECTIONS = {"Using the CDK stacks": "cdk", "Using the CDK for Terraform stacks": "cdktf"}
#: What a fresh login shell has: the system's PATH and nothing of this process's environment.
FRESH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: Region the emulator's clients default to, as a user's AWS profile would set it.
REGION = "us-east-1"
TIMEOUT_SECONDS = 900
#: Terminal colour and cursor codes the CLIs print even without a terminal.
ANSI_CODE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class Block:
    """One README code block: the section it stands under and its lines."""

    section: str
    tool: str
    script: str

    def deploys_and_destroys(self) -> bool:
        """Whether the block deploys a stack and destroys it again with its tool's CLI."""
        return bool(
            re.search(rf"^(?:\S+=\S+ )*{self.tool} deploy ", self.script, re.M)
            and re.search(rf"^(?:\S+=\S+ )*{self.tool} destroy ", self.script, re.M)
        )


def blocks(readme: str) -> list[Block]:
    """The first ``bash`` block under each of :data:`SECTIONS`; a missing section or block raises naming it."""
    found = []
    for section, tool in SECTIONS.items():
        match = re.search(rf"^## {re.escape(section)}\n(.*?)^```bash\n(.*?)^```", readme, re.M | re.S)
        if match is None or match.group(1).count("\n## "):
            raise ValueError(f"README has no bash block under '## {section}'")
        found.append(Block(section, tool, match.group(2)))
    return found


def fresh_environment(emulator: Emulator) -> dict[str, str]:
    """A new shell's environment (HOME, PATH, language) pointed at the emulator, and nothing else."""
    return {
        "HOME": os.environ.get("HOME", "/root"),
        "PATH": FRESH_PATH,
        "LANG": "C.UTF-8",
        **emulator.client_environment(REGION),
    }


def run_block(block: Block, environment: dict[str, str], directory: Path = ROOT) -> CheckOutcome:
    """The block in ``bash -e`` from ``directory`` (a repository root); passed when every command succeeded."""
    started = time.monotonic()
    if not block.deploys_and_destroys():
        return CheckOutcome(CHECK, block.section, False, f"the block does not deploy and destroy a {block.tool} stack")
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.script],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    ok = done.returncode == 0
    detail = (
        "every command succeeded"
        if ok
        else f"exited {done.returncode}: " + "\n".join(failure_lines(done.stdout + done.stderr))
    )
    return CheckOutcome(CHECK, block.section, ok, detail, time.monotonic() - started)


@contextmanager
def checkout_copy() -> Iterator[Path]:
    """A temporary copy of the repository's tracked files, with its installed tools linked in."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    with tempfile.TemporaryDirectory(prefix="readme-commands-") as directory:
        copy = Path(directory)
        for name in filter(None, listed.split("\0")):
            if (ROOT / name).is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, copy / name)
        for installed in (".venv", "node_modules"):
            (copy / installed).symlink_to(ROOT / installed)
        yield copy


def failure_lines(output: str, limit: int = 15) -> list[str]:
    """What a reader acts on in a failed block's output: its error lines (else its last lines), colour codes gone."""
    lines = [ANSI_CODE.sub("", line).rstrip() for line in output.splitlines()]
    lines = [line for line in lines if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines)[-limit:]


def check_readme_commands() -> list[CheckOutcome]:
    """Both README blocks, one after the other, against the emulator this process is pointed at."""
    commands.require_emulator()
    environment = fresh_environment(Emulator.from_environment())
    outcomes = []
    with checkout_copy() as copy:
        for block in blocks((copy / "README.md").read_text()):
            protocol.log(f"README '{block.section}': running its commands in a fresh shell")
            outcomes.append(run_block(block, environment, copy))
            protocol.log(f"README '{block.section}': {'ok' if outcomes[-1].ok else 'FAILED'}")
    return outcomes


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    return report(lambda: (check_readme_commands(), {}))


if __name__ == "__main__":
    sys.exit(main())
