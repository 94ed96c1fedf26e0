"""The ``docker`` commands the local image store answers (the CDK CLI's asset publisher and README's build-and-push):

- ``login --username U --password-stdin HOST``: reads the password, succeeds (the emulator checks no credentials).
- ``inspect NAME``: the image as JSON; exit 1 when it is unknown.
- ``images --format F --filter reference=PATTERN``: ``repository:tag`` per matching tag.
- ``build [--build-arg K=V] (--tag|-t) NAME [--target T] [--file|-f F] [--platform P] [--network N] [--no-cache] CTX``
- ``tag SOURCE TARGET`` and ``push REGISTRY/REPOSITORY:TAG`` (into the emulator's ECR, at ``$AWS_ENDPOINT_URL``).

A leading ``--config DIR`` is accepted and ignored. Errors go to stderr, with exit status 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.emulator.images import build as builder
from scripts.emulator.images import store

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
_ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


def login(arguments: list[str]) -> int:
    if "--password-stdin" in arguments:
        sys.stdin.read()
    print("Login Succeeded")
    return 0


def inspect(arguments: list[str]) -> int:
    names = [argument for argument in arguments if not argument.startswith("-")]
    found = [(name, store.find(name)) for name in names]
    missing = [name for name, image in found if image is None]
    if missing or not names:
        print(f"Error: No such object: {' '.join(missing) or '(none)'}", file=sys.stderr)
        return 1
    print(json.dumps([describe(image) for _, image in found if image is not None], indent=4))
    return 0


def describe(image: store.Image) -> dict[str, Any]:
    config = image.config
    return {
        "Id": image.id,
        "RepoTags": [name for name, image_id in store.tags().items() if image_id == image.id],
        "Config": {
            "Env": [f"{key}={value}" for key, value in config["env"].items()],
            "WorkingDir": config["workdir"],
            "User": config["user"] or "",
            "Entrypoint": config["entrypoint"],
            "Cmd": config["cmd"],
        },
        "Metadata": {"LocalFolder": str(image.folder)},
    }


def images(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="images", add_help=False)
    parser.add_argument("--format")
    parser.add_argument("--filter", action="append", default=[])
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("repository", nargs="?")
    options = parser.parse_args(arguments)
    patterns = [value.removeprefix("reference=") for value in options.filter if value.startswith("reference=")]
    if options.repository:
        patterns.append(options.repository if ":" in options.repository else f"{options.repository}:*")
    names = store.matching(None)
    for pattern in patterns:
        names = [name for name in names if name in store.matching(pattern)]
    for name in names:
        print(store.tags()[name] if options.quiet else name)
    return 0


def build(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="build", add_help=False)
    parser.add_argument("--build-arg", action="append", default=[])
    parser.add_argument("--tag", "-t", action="append", default=[])
    parser.add_argument("--target")
    parser.add_argument("--file", "-f")
    parser.add_argument("--platform")
    parser.add_argument("--network")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--quiet", "-q", action="store_true")
    parser.add_argument("context")
    options = parser.parse_args(arguments)
    context = Path(options.context).resolve()
    dockerfile = Path(options.file) if options.file else Path("Dockerfile")
    if not options.file:
        dockerfile = context / dockerfile
    dockerfile = dockerfile.resolve()  # as docker reads --file: relative to the working directory
    build_args = dict(
        item.split("=", 1) if "=" in item else (item, os.environ.get(item, "")) for item in options.build_arg
    )
    image = builder.build(context, dockerfile, build_args, options.target)
    for name in options.tag:
        store.set_tag(name, image.id)
    if options.quiet:
        print(image.id)
        return 0
    print(f"Successfully built {image.id}")
    for name in options.tag:
        print(f"Successfully tagged {store.normalize(name)}")
    return 0


def tag(arguments: list[str]) -> int:
    if len(arguments) != 2:
        raise store.ImageError('"docker tag" requires exactly 2 arguments')
    image = store.find(arguments[0])
    if image is None:
        raise store.ImageError(f"No such image: {arguments[0]}")
    store.set_tag(arguments[1], image.id)
    return 0


def manifest(image: store.Image) -> dict[str, Any]:
    """An OCI image manifest for ``image``: its config and content as digests, its folder as an annotation."""
    config = (image.folder / "config.json").read_bytes()
    content = image.config.get("content") or store.content_digest(image.rootfs)
    size = sum(path.stat().st_size for path in image.rootfs.rglob("*") if path.is_file() and not path.is_symlink())
    return {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": f"sha256:{hashlib.sha256(config).hexdigest()}",
            "size": len(config),
        },
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": content, "size": size}],
        "annotations": {store.ANNOTATION: str(image.folder)},
    }


def push(arguments: list[str]) -> int:
    names = [argument for argument in arguments if not argument.startswith("-")]
    if len(names) != 1:
        raise store.ImageError('"docker push" requires exactly 1 argument')
    name = store.normalize(names[0])
    image = store.find(name)
    if image is None:
        raise store.ImageError(f"An image does not exist locally with the tag: {names[0]}")
    host, _, path = name.partition("/")
    repository, _, image_tag = path.rpartition(":")
    match = _ECR_HOST.match(host)
    if match is None or not repository:
        raise store.ImageError(f"{host}: only the emulator's ECR (<account>.dkr.ecr.<region>.amazonaws.com) is served")
    body = json.dumps(manifest(image), sort_keys=True)
    digest, size = put_image(match["account"], match["region"], repository, image_tag, body)
    print(f"The push refers to repository [{host}/{repository}]")
    print(f"{image_tag}: digest: {digest} size: {size}")
    return 0


def emulator_endpoint() -> str | None:
    """The emulator (``$AWS_ENDPOINT_URL``): its images hold no layers, so they are never pushed to AWS."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise store.ImageError(
            "AWS_ENDPOINT_URL is not set: local-docker pushes only to the local emulator's ECR; "
            "build and push with docker to publish to AWS"
        )
    return endpoint


def put_image(account: str, region: str, repository: str, image_tag: str, body: str) -> tuple[str, int]:
    """ECR PutImage at the emulator; pushing the same image under the same tag again succeeds, as docker's does."""
    import boto3

    endpoint = emulator_endpoint()
    session = boto3.Session(region_name=region)
    credentials = {}
    if session.get_credentials() is None:
        from scripts.emulator.server import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY

        credentials = {"aws_access_key_id": DUMMY_ACCESS_KEY, "aws_secret_access_key": DUMMY_SECRET_KEY}
    ecr = session.client("ecr", endpoint_url=endpoint, **credentials)
    try:
        answer = ecr.put_image(registryId=account, repositoryName=repository, imageTag=image_tag, imageManifest=body)
        digest = answer["image"]["imageId"]["imageDigest"]
    except ecr.exceptions.ImageAlreadyExistsException:
        found = ecr.batch_get_image(registryId=account, repositoryName=repository, imageIds=[{"imageTag": image_tag}])
        digest = found["images"][0]["imageId"]["imageDigest"]
    return digest, len(body)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "login": login,
    "inspect": inspect,
    "images": images,
    "build": build,
    "tag": tag,
    "push": push,
}


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    while arguments and arguments[0] in ("--config", "-c", "--log-level", "-l"):
        del arguments[:2]
    if not arguments or arguments[0] not in COMMANDS:
        known = ", ".join(COMMANDS)
        print(
            f"local-docker: {arguments[0] if arguments else '(no command)'} is not served here ({known})",
            file=sys.stderr,
        )
        return 1
    try:
        return COMMANDS[arguments[0]](arguments[1:])
    except store.ImageError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # boto3's errors from the emulator's ECR, an unreadable context
        print(f"Error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
