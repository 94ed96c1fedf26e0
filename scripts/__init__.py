"""The commands a person runs (main job, tests, integration run, benchmark, diagrams, validation), and beneath them
the three subsystems they drive: :mod:`scripts.emulator` (the local AWS), :mod:`scripts.deployer` (deploy and destroy
the stacks there) and :mod:`scripts.lifecycle` (the deploy lifecycle checks)."""

import os
from pathlib import Path

#: The repository's root folder.
ROOT = Path(__file__).resolve().parents[1]
#: Where the deployer writes what it synthesizes for the emulator, the stacks' Terraform state and the outputs: the
#: repository, or ``$DEPLOY_WORK_DIR`` for a run beside another (each group of lifecycle checks has its own).
WORK_DIR = Path(os.environ.get("DEPLOY_WORK_DIR") or ROOT)
