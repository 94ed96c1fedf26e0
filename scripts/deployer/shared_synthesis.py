"""One cdktf synthesis shared by runs that differ only in the emulator they deploy to.

Runs side by side (the lifecycle groups) each target an emulator of their own, and the emulator's URL is the only
thing in the synthesized app that differs between them. With ``$CDKTF_SHARED_SYNTHESIS`` naming a directory, the
first run that needs a variant (its context and region) synthesizes it there once, with :data:`PLACEHOLDER_ENDPOINT`
as the emulator's URL, under a file lock; every run then copies that output and writes its own URL in place of the
placeholder. Without the variable every run synthesizes its own, as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from scripts.deployer import protocol

ENV_DIRECTORY = "CDKTF_SHARED_SYNTHESIS"
#: What the shared output holds where each run's emulator URL goes: a name that can never resolve (RFC 2606).
PLACEHOLDER_ENDPOINT = "http://shared-synthesis.invalid"
#: The environment a synthesis reads besides its context (``constructs_lib/cdktf/provider.py``).
SYNTH_ENVIRONMENT = ("AWS_REGION", "AWS_DEFAULT_REGION", "TF_STATE_BUCKET")
#: The synthesized files that name the endpoint (the stacks' provider and backend blocks).
CONFIGURATION_GLOB = "*.tf.json"


def variant_key(context: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    """What makes two syntheses the same app: the context and the environment a synthesis reads."""
    read = {name: environ.get(name) for name in SYNTH_ENVIRONMENT}
    text = json.dumps({"context": context, "environment": read}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_output(directory: Path, key: str, synthesize: Callable[[Path, str], None]) -> Path:
    """The shared output of variant ``key``, made by ``synthesize(outdir, endpoint)`` if no run made it yet (into a
    side directory renamed into place, so a failed synthesis never leaves half an app to copy)."""
    entry = directory / key
    with _locked(directory / f"{key}.lock"):
        if not (entry / "manifest.json").exists():
            partial = directory / f"{key}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            synthesize(partial, PLACEHOLDER_ENDPOINT)
            partial.rename(entry)
    return entry


def copy_for_endpoint(source: Path, outdir: Path, endpoint: str) -> None:
    """Copy the shared output into ``outdir`` (over what a synthesis there left, its Terraform state included), with
    ``endpoint`` wherever a configuration's value is the placeholder; fails if no value is, or if the placeholder is
    left anywhere else."""
    shutil.copytree(source, outdir, dirs_exist_ok=True)
    placeholder = json.dumps(PLACEHOLDER_ENDPOINT)
    replaced = 0
    for path in outdir.rglob(CONFIGURATION_GLOB):
        text = path.read_text()
        replaced += text.count(placeholder)
        path.write_text(text.replace(placeholder, json.dumps(endpoint)))
    if not replaced:
        raise protocol.DeployError(f"{source}: no configuration names the emulator's URL: not synthesized for it")
    for path in source.rglob("*"):
        copied = outdir / path.relative_to(source)
        if path.is_file() and PLACEHOLDER_ENDPOINT.encode() in copied.read_bytes():
            raise protocol.DeployError(f"{copied}: holds the placeholder URL where it was not rewritten")


def directory_from(environ: Mapping[str, str] | None = None) -> Path | None:
    """The shared directory ``$CDKTF_SHARED_SYNTHESIS`` names, or None."""
    value = (os.environ if environ is None else environ).get(ENV_DIRECTORY)
    return Path(value) if value else None
