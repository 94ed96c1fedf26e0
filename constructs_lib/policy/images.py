"""What a processing image is built from, read from its Dockerfile: the files it copies and a tag naming them.

A stack builds its processing images from the repository (``stacks/`` is the build context). The Dockerfile is the
one list of what goes in: the CDK image asset ships only those files, and the Terraform stacks tag the image with a
digest of them, so a change to the processing code is a new image and an unchanged one is not rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path

from constructs_lib.policy.errors import ConfigurationError

#: The build context of every processing image, from the repository root: Dockerfiles copy paths below it.
BUILD_CONTEXT = "stacks"
#: Context key (``-c processorImage=...``) and environment variable naming a prebuilt image for a stack's
#: processing service, used instead of building one from the repository.
CONTEXT_PROCESSOR_IMAGE = "processorImage"
ENV_PROCESSOR_IMAGE = "PROCESSOR_IMAGE"
#: ``registry/repository:tag`` or ``registry/repository@sha256:<digest>``: an image without a tag or digest would
#: be ``latest``, which moves under a running service.
IMAGE_REFERENCE = re.compile(
    r"^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)+"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$"
)
#: An image in ECR: ``<account>.dkr.ecr.<region>.amazonaws.com/<repository>`` then ``:tag`` or ``@digest``.
ECR_IMAGE = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*)(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]*)|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
#: Characters of the content digest used as an image tag.
CONTENT_TAG_LENGTH = 16
_IGNORED_PARTS = frozenset({"__pycache__"})


def check_image_reference(value: str, field: str = CONTEXT_PROCESSOR_IMAGE) -> str:
    """``value`` if it is a full image reference with a tag or digest, else a ConfigurationError naming ``field``."""
    if not IMAGE_REFERENCE.match(value):
        raise ConfigurationError(field, value, "an image reference with a tag or digest: registry/repository:tag")
    return value


def prebuilt_image(context: Callable[[str], object | None], environ: Mapping[str, str] | None = None) -> str | None:
    """The prebuilt image a deployment names (context ``processorImage``, else ``$PROCESSOR_IMAGE``), validated, or
    None when the image is to be built from the repository."""
    env = os.environ if environ is None else environ
    value = context(CONTEXT_PROCESSOR_IMAGE) or env.get(ENV_PROCESSOR_IMAGE)
    return check_image_reference(str(value)) if value else None


def ecr_repository_arn(reference: str) -> str | None:
    """The ARN of the ECR repository an image reference names, None for any other registry."""
    registry = ecr_registry(reference)
    if registry is None:
        return None
    account, region, repository, _ = registry
    return f"arn:aws:ecr:{region}:{account}:repository/{repository}"


def ecr_registry(reference: str) -> tuple[str, str, str, str] | None:
    """(account, region, repository, tag or digest) of an ECR image reference, None for any other registry."""
    found = ECR_IMAGE.match(reference)
    if found is None:
        return None
    return found["account"], found["region"], found["repository"], found["tag"] or found["digest"]


def copied_sources(dockerfile: Path) -> list[str]:
    """The build-context paths the Dockerfile's ``COPY`` instructions take, in order (``--flags`` dropped)."""
    sources: list[str] = []
    for line in _instructions(dockerfile.read_text()):
        words = shlex.split(line)
        if words and words[0].upper() == "COPY":
            arguments = [word for word in words[1:] if not word.startswith("--")]
            sources.extend(source.strip("/") for source in arguments[:-1])
    return sources


def content_tag(context: Path, dockerfile: Path) -> str:
    """A digest of the Dockerfile and every file it copies from ``context``: the tag of the image they build."""
    digest = hashlib.sha256(dockerfile.read_bytes())
    for source in copied_sources(dockerfile):
        root = context / source
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.is_file() and not _IGNORED_PARTS.intersection(path.parts):
                digest.update(path.relative_to(context).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:CONTENT_TAG_LENGTH]


def _instructions(text: str) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]
