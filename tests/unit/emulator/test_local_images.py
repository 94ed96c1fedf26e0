"""The local stand-in for ``docker``: a build records the Dockerfile's config and copies, the CDK asset publisher's
calls (login, inspect, images, tag, push) answer as docker's do, and a push puts the image in the emulator's ECR."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from scripts import ROOT
from scripts.emulator.images import cli, store
from tests.unit.local_aws import Account

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE=python:3.12-slim
FROM ${BASE} AS runtime
LABEL org.opencontainers.image.title="worker"
ENV PYTHONPATH=/app GREETING="hello there"
ENV MODE batch
WORKDIR /app
COPY --chown=app:app requirements.txt ./
RUN pip install --no-cache-dir \\
    -r requirements.txt
COPY worker/ ./worker/
USER 1000
EXPOSE 8080
ENTRYPOINT ["python", "-m", "worker"]
CMD --once
"""


@pytest.fixture
def image_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LOCAL_IMAGES_DIR", str(tmp_path / "store"))
    return tmp_path / "store"


@pytest.fixture
def context(tmp_path: Path) -> Path:
    folder = tmp_path / "context"
    (folder / "worker").mkdir(parents=True)
    (folder / "Dockerfile").write_text(DOCKERFILE)
    (folder / "requirements.txt").write_text("boto3\n")
    (folder / "worker" / "__main__.py").write_text("print('working')\n")
    return folder


def docker(*arguments: str) -> int:
    return cli.main(list(arguments))


def build(context: Path, *extra: str, tag: str = "worker:latest") -> str:
    assert docker("build", "--tag", tag, *extra, str(context)) == 0
    image = store.find(tag)
    assert image is not None
    return image.id


def test_a_build_records_the_dockerfiles_env_workdir_user_entrypoint_and_cmd(image_store: Path, context: Path) -> None:
    config = store.find(build(context)).config  # type: ignore[union-attr]
    assert config["from"] == "python:3.12-slim"
    assert config["env"] == {"PYTHONPATH": "/app", "GREETING": "hello there", "MODE": "batch"}
    assert (config["workdir"], config["user"]) == ("/app", "1000")
    assert config["entrypoint"] == ["python", "-m", "worker"]
    assert config["cmd"] == ["/bin/sh", "-c", "--once"]
    assert config["run"] == ["pip install --no-cache-dir -r requirements.txt"]


def test_a_build_copies_files_and_folders_into_the_rootfs_relative_to_workdir(image_store: Path, context: Path) -> None:
    rootfs = store.find(build(context)).rootfs  # type: ignore[union-attr]
    assert (rootfs / "app" / "requirements.txt").read_text() == "boto3\n"
    assert (rootfs / "app" / "worker" / "__main__.py").read_text() == "print('working')\n"


def test_the_image_id_follows_the_config_and_the_content(image_store: Path, context: Path) -> None:
    first = build(context)
    assert build(context, tag="again:1") == first
    (context / "worker" / "__main__.py").write_text("print('changed')\n")
    assert build(context) != first
    assert store.tags()["again:1"] == first


def test_a_build_takes_build_args_a_target_stage_and_a_dockerfile_elsewhere(
    image_store: Path, context: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(context)  # as the CDK asset publisher runs it: in the context, --file relative to it
    (context / "docker").mkdir()
    (context / "docker" / "Other").write_text(
        'FROM base AS first\nCMD ["one"]\nFROM base AS second\nARG NAME\nENV NAME=${NAME}\nCMD ["two"]\n'
    )
    image_id = build(context, "-f", "docker/Other", "--target", "first", "--platform", "linux/amd64", "--no-cache")
    assert store.find(image_id).config["cmd"] == ["one"]  # type: ignore[union-attr]
    second = build(context, "--file", str(context / "docker" / "Other"), "--build-arg", "NAME=x", tag="two:1")
    assert store.find(second).config["env"] == {"NAME": "x"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("COPY --from=builder /out /app", "--from=builder"),
        ("ADD https://example.com/x.tar.gz /x", "URLs and archives"),
        ("FROMAGE x", "unsupported Dockerfile instruction FROMAGE"),
        ("COPY missing.txt /x", "no source files"),
    ],
)
def test_what_a_build_cannot_do_here_is_an_error(
    image_store: Path, context: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    (context / "Dockerfile").write_text(f"FROM python:3.12-slim\n{line}\n")
    assert docker("build", "-t", "bad", str(context)) == 1
    assert message in capsys.readouterr().err
    assert store.find("bad") is None


def test_inspect_answers_exit_1_for_an_unknown_tag_and_json_for_a_known_one(
    image_store: Path, context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert docker("--config", "/tmp/cdk-docker", "inspect", "nothing:here") == 1
    image_id = build(context)
    capsys.readouterr()
    assert docker("inspect", "worker:latest") == 0
    [described] = json.loads(capsys.readouterr().out)
    assert described["Id"] == image_id
    assert described["Config"]["Entrypoint"] == ["python", "-m", "worker"]


def test_images_lists_the_tags_a_reference_filter_matches(
    image_store: Path, context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image_id = build(context, tag="123456789012.dkr.ecr.eu-west-1.amazonaws.com/cdk-assets:abc")
    assert docker("tag", image_id, "other/repo:def") == 0
    capsys.readouterr()
    assert docker("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=*/*:abc") == 0
    assert capsys.readouterr().out.split() == ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/cdk-assets:abc"]


def test_login_reads_the_password_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    password = io.StringIO("secret")
    monkeypatch.setattr("sys.stdin", password)
    assert docker("login", "--username", "AWS", "--password-stdin", "1.dkr.ecr.eu-west-1.amazonaws.com") == 0
    assert password.read() == ""


def test_a_push_puts_the_image_in_ecr_with_its_local_folder_annotated(
    aws: Account,
    image_store: Path,
    context: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "emulator_endpoint", lambda: None)  # the in-process emulator answers without one
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName="worker")
    remote = f"{aws.account_id}.dkr.ecr.{aws.region}.amazonaws.com/worker:v1"
    image_id = build(context)
    assert docker("tag", "worker:latest", remote) == 0
    assert docker("push", remote) == 0
    assert docker("push", remote) == 0  # the same image again, as docker allows
    [image] = ecr.batch_get_image(repositoryName="worker", imageIds=[{"imageTag": "v1"}])["images"]
    manifest = json.loads(image["imageManifest"])
    assert manifest["mediaType"] == cli.MANIFEST_MEDIA_TYPE
    assert manifest["annotations"][store.ANNOTATION] == str(store.find(image_id).folder)  # type: ignore[union-attr]
    assert f"v1: digest: {image['imageId']['imageDigest']} size: " in capsys.readouterr().out


def test_a_push_without_the_emulators_endpoint_is_refused(
    image_store: Path, context: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    build(context, tag="123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:v1")
    assert docker("push", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:v1") == 1
    assert "pushes only to the local emulator's ECR" in capsys.readouterr().err


def test_a_relative_dockerfile_is_read_from_the_working_directory_as_docker_does(
    image_store: Path, context: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(context.parent)
    assert docker("build", "-f", "context/Dockerfile", "-t", "relative:1", "context") == 0
    assert store.find("relative:1") is not None


def test_a_push_of_an_unknown_tag_fails(image_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert docker("push", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:nope") == 1
    assert "does not exist locally" in capsys.readouterr().err


def test_the_local_docker_shim_runs_the_cli_from_any_folder(image_store: Path, tmp_path: Path) -> None:
    shim = ROOT / "scripts" / "local-docker"
    answer = subprocess.run(
        [shim, "inspect", "nothing:here"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert (answer.returncode, answer.stderr.strip()) == (1, "Error: No such object: nothing:here")
