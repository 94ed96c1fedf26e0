"""Building an image from a Dockerfile without a container engine.

Each ``COPY`` (and ``ADD`` of local files) copies its sources, relative to the build context, into the image's
``rootfs``; ENV, WORKDIR, USER, ENTRYPOINT and CMD are recorded in its ``config.json``, with FROM, the ``RUN`` lines
(never executed: the image's Python dependencies must be importable by the emulator's interpreter, the project's
venv) and the instructions that change nothing here (ARG, LABEL, EXPOSE, HEALTHCHECK, ...). What would change what the
image runs and cannot be done here (``COPY --from``, a stage built on another, ``ADD`` of a URL or an archive) is an
:class:`~scripts.emulator.images.store.ImageError`. The image id is a sha256 over the config and the copied content.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.emulator.images.store import Image, ImageError, content_digest, folder_of, store_dir

#: Instructions recorded and otherwise ignored: nothing the image runs depends on them here.
IGNORED = ("ARG", "LABEL", "EXPOSE", "HEALTHCHECK", "MAINTAINER", "STOPSIGNAL", "VOLUME", "SHELL", "ONBUILD")
ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass
class Stage:
    """What one ``FROM`` stage records; ``copies`` are (sources, destination) pairs resolved at the end."""

    base: str
    name: str | None
    env: dict[str, str] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user: str | None = None
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    run: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    copies: list[tuple[list[str], str]] = field(default_factory=list)

    def config(self) -> dict[str, Any]:
        return {
            "from": self.base,
            "env": self.env,
            "workdir": self.workdir,
            "user": self.user,
            "entrypoint": self.entrypoint,
            "cmd": self.cmd,
            "run": self.run,
            "ignored": self.ignored,
        }


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line: continuations joined, comments and blank lines dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        logical, pending = (pending + line).strip(), ""
        keyword, _, rest = logical.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    if pending.strip():
        keyword, _, rest = pending.strip().partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def exec_form(arguments: str) -> list[str]:
    """``["a", "b"]`` as given, a shell form as Docker runs it (``/bin/sh -c``)."""
    if arguments.startswith("["):
        try:
            parsed = json.loads(arguments)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            return parsed
    return ["/bin/sh", "-c", arguments]


def substitute(text: str, variables: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda match: variables.get(match.group(1) or match.group(2), ""), text)


def env_pairs(arguments: str) -> dict[str, str]:
    """``ENV K=V K2="V 2"`` and the older ``ENV K V w`` form."""
    words = shlex.split(arguments)
    if words and "=" in words[0]:
        return dict(word.split("=", 1) for word in words)
    key, _, value = arguments.partition(" ")
    return {key: value.strip()}


def flags(arguments: str) -> tuple[dict[str, str], list[str]]:
    """A COPY/ADD line's ``--flag=value`` options and its words (JSON form too)."""
    words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
    options = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        options[key] = value
    return options, words


def parse(text: str, build_args: dict[str, str], target: str | None) -> Stage:
    """The stage to build (``target``, else the last), with every instruction of it applied."""
    stages: list[Stage] = []
    global_args: dict[str, str] = {}
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            words = arguments.split()
            base = substitute(words[0], {**global_args, **build_args})
            if any(stage.name == base for stage in stages):
                raise ImageError(
                    f"FROM {base}: a stage built on another stage cannot be built without a container engine"
                )
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif not stages:
            if keyword != "ARG":
                raise ImageError(f"{keyword} before FROM")
            key, _, default = arguments.partition("=")
            global_args[key] = build_args.get(key, default)
        else:
            apply(stages[-1], keyword, arguments, build_args)
    if not stages:
        raise ImageError("the Dockerfile has no FROM")
    if target is None:
        return stages[-1]
    for stage in stages:
        if stage.name == target:
            return stage
    raise ImageError(f"target stage {target!r} could not be found")


def apply(stage: Stage, keyword: str, arguments: str, build_args: dict[str, str]) -> None:
    variables = {**stage.args, **stage.env}
    if keyword == "ENV":
        stage.env.update({key: substitute(value, variables) for key, value in env_pairs(arguments).items()})
    elif keyword == "ARG":
        key, _, default = arguments.partition("=")
        stage.args[key] = build_args.get(key, default)
        stage.ignored.append(f"ARG {arguments}")
    elif keyword == "WORKDIR":
        stage.workdir = str(Path(stage.workdir, substitute(arguments, variables)))
    elif keyword == "USER":
        stage.user = substitute(arguments, variables)
    elif keyword in ("ENTRYPOINT", "CMD"):
        setattr(stage, keyword.lower(), exec_form(arguments))
        if keyword == "ENTRYPOINT":
            stage.cmd = None  # Docker: a new ENTRYPOINT resets the CMD of the base
    elif keyword == "RUN":
        stage.run.append(arguments)
    elif keyword in ("COPY", "ADD"):
        options, words = flags(substitute(arguments, variables))
        if "from" in options:
            raise ImageError(
                f"{keyword} --from={options['from']}: copying from another stage or image is not supported"
            )
        if len(words) < 2:
            raise ImageError(f"{keyword} needs a source and a destination: {arguments}")
        if keyword == "ADD" and any("://" in word or word.endswith(ARCHIVES) for word in words[:-1]):
            raise ImageError(f"ADD {arguments}: URLs and archives are not supported; use COPY")
        destination = words[-1]
        if not destination.startswith("/"):  # relative to WORKDIR, keeping a trailing "/" (a folder)
            destination = str(Path(stage.workdir, destination)) + ("/" if destination.endswith("/") else "")
        stage.copies.append((words[:-1], destination))
    elif keyword in IGNORED:
        stage.ignored.append(f"{keyword} {arguments}")
    else:
        raise ImageError(f"unsupported Dockerfile instruction {keyword}")


def copy_into(rootfs: Path, context: Path, sources: list[str], destination: str) -> None:
    """Docker's COPY: a directory's contents, files into a folder (a ``/`` end or several sources) or to a name."""
    matched = [path for source in sources for path in sorted(context.glob(source.lstrip("/")))]
    if not matched:
        raise ImageError(f"COPY failed: no source files were specified: {' '.join(sources)}")
    target = rootfs / destination.lstrip("/")
    into_folder = destination.endswith("/") or len(matched) > 1
    for path in matched:
        if context.resolve() not in (path.resolve(), *path.resolve().parents):
            raise ImageError(f"COPY failed: {path} is outside the build context")
        if path.is_dir():
            shutil.copytree(path, target, symlinks=True, dirs_exist_ok=True)
        else:
            file_target = target / path.name if into_folder else target
            file_target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, file_target)


def build(context: Path, dockerfile: Path, build_args: dict[str, str], target: str | None) -> Image:
    """Build the Dockerfile's stage into the store; the image (the same id for the same config and content)."""
    if not dockerfile.is_file():
        raise ImageError(f"failed to read dockerfile: open {dockerfile}: no such file or directory")
    stage = parse(dockerfile.read_text(), build_args, target)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=store_dir()))
    try:
        rootfs = staging / "rootfs"
        rootfs.mkdir()
        for sources, destination in stage.copies:
            copy_into(rootfs, context, sources, destination)
        (rootfs / stage.workdir.lstrip("/")).mkdir(parents=True, exist_ok=True)  # WORKDIR makes its folder
        config = stage.config()
        config["content"] = content_digest(rootfs)
        text = json.dumps(config, indent=2, sort_keys=True)
        image_id = f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"
        (staging / "config.json").write_text(text)
        folder = folder_of(image_id)
        if not folder.exists():
            staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Image(image_id, folder)
