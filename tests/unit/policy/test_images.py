"""policy.images: what a processing image is built from (its Dockerfile's COPY sources) and the tag naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from constructs_lib.policy import ConfigurationError, compute, images

STACKS = Path(__file__).resolve().parents[3] / "stacks"
DOCKERFILES = sorted(STACKS.glob("*/*/Dockerfile"))


def test_every_processing_image_has_a_dockerfile_in_the_repository() -> None:
    assert {path.relative_to(STACKS).as_posix() for path in DOCKERFILES} >= {
        "iot_platform/processor/Dockerfile",
        "streamflix/worker/Dockerfile",
    }


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_each_image_runs_as_the_policy_user_not_root(dockerfile: Path) -> None:
    users = [line.split()[1] for line in dockerfile.read_text().splitlines() if line.startswith("USER ")]
    assert users[-1] == compute.CONTAINER_USER


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_each_copied_source_exists_in_the_stacks_context(dockerfile: Path) -> None:
    sources = images.copied_sources(dockerfile)
    assert sources, f"{dockerfile} copies nothing"
    assert all((STACKS / source).exists() for source in sources)


def test_copied_sources_read_copy_lines_with_flags_and_continuations(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM x\n# COPY ignored /\nCOPY --chown=1000 a.txt \\\n  b/ /app/\nRUN echo\nCOPY c /c\n")
    assert images.copied_sources(dockerfile) == ["a.txt", "b", "c"]


def test_content_tag_changes_with_a_copied_file_and_not_with_another(tmp_path: Path) -> None:
    context = tmp_path / "stacks"
    shutil.copytree(STACKS / "processing", context / "processing")
    (context / "unrelated.py").write_text("x = 1\n")
    dockerfile = context / "Dockerfile"
    dockerfile.write_text("FROM x\nCOPY processing /app/processing\n")
    before = images.content_tag(context, dockerfile)
    (context / "unrelated.py").write_text("x = 2\n")
    assert images.content_tag(context, dockerfile) == before
    (context / "processing" / "fields.py").write_text("# changed\n")
    assert images.content_tag(context, dockerfile) != before
    assert len(before) == images.CONTENT_TAG_LENGTH


@pytest.mark.parametrize(
    "reference",
    [
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/worker:1.4.2",
        "public.ecr.aws/docker/library/python:3.12-slim",
        "registry.example.com:5000/worker@sha256:" + "a" * 64,
    ],
)
def test_an_image_reference_with_a_tag_or_digest_is_accepted(reference: str) -> None:
    assert images.check_image_reference(reference) == reference


@pytest.mark.parametrize("reference", ["worker", "example.com/worker", "Example.com/Worker:1", "x/y:"])
def test_an_image_reference_without_a_tag_names_the_field_and_the_form(reference: str) -> None:
    with pytest.raises(ConfigurationError, match=r"processorImage=.*registry/repository:tag"):
        images.check_image_reference(reference)


def test_an_ecr_reference_is_split_into_account_region_repository_and_tag() -> None:
    assert images.ecr_registry("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/worker:1.4.2") == (
        "123456789012",
        "eu-west-1",
        "team/worker",
        "1.4.2",
    )
    assert images.ecr_registry("public.ecr.aws/docker/library/python:3.12-slim") is None
