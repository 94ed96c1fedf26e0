"""A Terraform stack's own images, built and pushed after its deploy: what README's build-and-push command does.

A stack that runs an image it builds from the repository outputs ``<name>_image_uri`` (the repository and the content
tag) and ``<name>_image_dockerfile``. After the stack is applied, each such image is built from its Dockerfile with
the images' build context and pushed, with the local container client (``scripts/local-docker``, which the emulator's
ECS runs); the service starts its tasks once the image is there, as on AWS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from constructs_lib.policy import images
from scripts import ROOT
from scripts.deployer import protocol, stack_outputs

LOCAL_DOCKER = ROOT / "scripts" / "local-docker"
URI_SUFFIX = "_image_uri"
DOCKERFILE_SUFFIX = "_image_dockerfile"
BUILD_TIMEOUT_SECONDS = 120


def built_images(outputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(image URI, Dockerfile path) of each image the outputs say the stack builds, by output name."""
    found = []
    for name in sorted(outputs):
        if name.endswith(URI_SUFFIX):
            dockerfile = outputs.get(name.removesuffix(URI_SUFFIX) + DOCKERFILE_SUFFIX)
            if dockerfile:
                found.append((str(outputs[name]), str(dockerfile)))
    return found


def publish(stack: protocol.Stack, outputs: Mapping[str, Any]) -> list[str]:
    """Build and push each of the stack's own images; the URIs pushed."""
    pushed = []
    for uri, dockerfile in built_images(outputs):
        for step, arguments in (
            ("build", ["--file", dockerfile, "--tag", uri, images.BUILD_CONTEXT]),
            ("push", [uri]),
        ):
            protocol.run_cli(
                [str(LOCAL_DOCKER), step, *arguments],
                timeout=BUILD_TIMEOUT_SECONDS,
                env=dict(os.environ),
                log_file=stack_outputs.OUTPUTS_DIR / "logs" / f"{stack.construct_id}-image-{step}.log",
            )
        pushed.append(uri)
    return pushed
