"""The commands a person runs (main job, tests, integration run, benchmark, diagrams, validation), and beneath them
the three subsystems they drive: :mod:`scripts.emulator` (the local AWS), :mod:`scripts.deployer` (deploy and destroy
the stacks there) and :mod:`scripts.lifecycle` (the deploy lifecycle checks)."""

from pathlib import Path

#: The repository's root folder.
ROOT = Path(__file__).resolve().parents[1]
