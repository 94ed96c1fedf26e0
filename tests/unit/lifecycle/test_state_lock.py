"""scripts/lifecycle/state_lock.py: Terraform's state lock, with a real ``terraform apply`` of a builtin resource (no
provider needed) on the local backend."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

from scripts.deployer import terraform_tool
from scripts.deployer.protocol import Stack
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import state_lock

STACK = Stack("Alpha", "Alpha-test", "eu-west-2")


class LocalTerraform(TerraformTool):
    """A Terraform stack in a temporary directory: one builtin ``terraform_data`` that takes ``seconds`` to create."""

    def __init__(self, root: Path) -> None:
        super().__init__("dev", "test", root)

    def directory(self, stack: Stack) -> Path:
        return self.outdir / stack.construct_id

    def environment(self) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "HOME": str(self.outdir),
        }


def test_a_second_apply_fails_on_the_lock_while_the_first_holds_it(tmp_path: Path) -> None:
    tool = LocalTerraform(tmp_path)
    directory = tool.directory(STACK)
    directory.mkdir()
    state = terraform_tool.backend_state_file(STACK.construct_id)
    (directory / "main.tf.json").write_text(
        json.dumps(
            {
                "terraform": {"backend": {"local": {"path": state}}},
                "resource": {"terraform_data": {"slow": {"provisioner": [{"local-exec": {"command": "sleep 4"}}]}}},
            }
        )
    )
    env = tool.environment()
    subprocess.run(
        ["terraform", f"-chdir={directory}", "init", "-input=false"], env=env, check=True, capture_output=True
    )
    first = threading.Thread(
        target=subprocess.run,
        args=(["terraform", f"-chdir={directory}", "apply", "-auto-approve", "-input=false"],),
        kwargs={"env": env, "capture_output": True, "check": True},
    )
    first.start()
    seen = state_lock.probe_lock(tool, STACK, first)
    first.join()
    assert "Error acquiring the state lock" in seen
    assert state_lock.state_list(tool, STACK) == ["terraform_data.slow"]
    assert not state_lock.lock_file(tool, STACK).exists()
