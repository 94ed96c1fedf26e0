"""Shared fixtures for the cdktf tests: one synthesized app per profile, built once per session.

Importing the AWS provider bindings costs ~20 s and ~1 GB, so it happens once per session (in ``_tf_app``), and
``cdktf`` is imported as a module (``from cdktf import Testing`` would make pytest collect ``Testing``).
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import cdktf
import pytest
from tfjson import PROFILES, TIMINGS

#: Variables that would leak the developer's shell into a synth; every synth here runs without them
#: (``AWS_ENDPOINT_URL`` selects the local emulator: set in a shell after ``server env``).
DEPLOYMENT_ENV = ("ENVIRONMENT_SUFFIX", "DEPLOY_PROFILE", "AWS_REGION", "TF_STATE_BUCKET", "AWS_ENDPOINT_URL")


class Synth:
    """One synthesized app: its output directory and each stack's parsed ``cdk.tf.json``."""

    def __init__(self, outdir: Path, stacks: Mapping[str, dict[str, Any]]) -> None:
        self.outdir = outdir
        self.stacks = dict(stacks)

    def __getitem__(self, stack: str) -> dict[str, Any]:
        return self.stacks[stack]

    def text(self, stack: str) -> str:
        return (self.outdir / "stacks" / stack / "cdk.tf.json").read_text()


@pytest.fixture(scope="session")
def tf_app() -> ModuleType:
    """The app module, with the provider bindings its stacks use imported (timed once for the report)."""
    started = time.monotonic()
    module = importlib.import_module("tf_app")
    importlib.import_module("cdktf_cdktf_provider_aws")
    TIMINGS["import tf_app (provider bindings)"] = time.monotonic() - started
    return module


@pytest.fixture(scope="session")
def synth_app(tf_app: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Synth]:
    """Build and synthesize a fresh app with ``context`` (and optionally a custom ``build`` function).

    The build runs without the developer's deployment variables; ``environ`` sets the ones a test is about.
    """

    def _synth(
        context: Mapping[str, Any],
        build: Callable[[cdktf.App], object] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Synth:
        outdir = tmp_path_factory.mktemp("cdktf")
        with pytest.MonkeyPatch.context() as patch:
            for name in DEPLOYMENT_ENV:
                patch.delenv(name, raising=False)
            for name, value in (environ or {}).items():
                patch.setenv(name, value)
            app = cdktf.App(outdir=str(outdir), context=dict(context))
            (build or tf_app.build_app)(app)
            app.synth()
        stacks = {path.parent.name: json.loads(path.read_text()) for path in (outdir / "stacks").glob("*/cdk.tf.json")}
        return Synth(outdir, stacks)

    return _synth


@pytest.fixture(scope="session")
def synthesized(synth_app: Callable[..., Synth]) -> dict[str, Synth]:
    """Both stacks in both profiles, suffix = profile name."""
    result = {}
    for profile in PROFILES:
        started = time.monotonic()
        result[profile] = synth_app({"profile": profile, "environmentSuffix": profile})
        TIMINGS[f"synth both stacks ({profile})"] = time.monotonic() - started
    return result


@pytest.fixture(scope="session")
def dev(synthesized: dict[str, Synth]) -> Synth:
    return synthesized["dev"]


@pytest.fixture(scope="session")
def prod(synthesized: dict[str, Synth]) -> Synth:
    return synthesized["prod"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.section("cdktf timings")
        for label, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{label}: {seconds:.2f} s")
