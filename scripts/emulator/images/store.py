"""The local image store: one folder per image (``config.json`` and ``rootfs/``), named by the image id, and a tag
file mapping ``repository:tag`` names to image ids."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts import ROOT

#: The manifest annotation a pushed image carries: the local image folder the ECS runtime runs.
ANNOTATION = "org.hardened-iac.local-image"
#: Where images are kept unless ``$LOCAL_IMAGES_DIR`` names another folder.
DEFAULT_STORE = ROOT / ".build" / "images"
TAGS_FILE = "tags.json"


class ImageError(Exception):
    """A call the local image store cannot answer (the message is what ``docker`` would say)."""


def store_dir() -> Path:
    directory = Path(os.environ.get("LOCAL_IMAGES_DIR") or DEFAULT_STORE)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def normalize(name: str) -> str:
    """A reference with its tag: ``repo`` is ``repo:latest`` (a port in the host is not a tag)."""
    if "@" in name:
        return name
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else f"{name}:latest"


@dataclass(frozen=True)
class Image:
    """One image in the store: its id (``sha256:...``) and folder."""

    id: str
    folder: Path

    @property
    def config(self) -> dict[str, Any]:
        return json.loads((self.folder / "config.json").read_text())

    @property
    def rootfs(self) -> Path:
        return self.folder / "rootfs"


def tags() -> dict[str, str]:
    path = store_dir() / TAGS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def set_tag(name: str, image_id: str) -> None:
    current = tags()
    current[normalize(name)] = image_id
    path = store_dir() / TAGS_FILE
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as staging:
        json.dump(current, staging, indent=2, sort_keys=True)
    Path(staging.name).replace(path)


def folder_of(image_id: str) -> Path:
    return store_dir() / image_id.removeprefix("sha256:")


def find(name: str) -> Image | None:
    """The image a tag (``repo:tag``) or an id (``sha256:...``, or its leading hex digits) names."""
    image_id = tags().get(normalize(name))
    if image_id is None:
        prefix = name.removeprefix("sha256:")
        matches = [folder for folder in store_dir().iterdir() if len(prefix) >= 12 and folder.name.startswith(prefix)]
        image_id = f"sha256:{matches[0].name}" if len(matches) == 1 else None
    if image_id is None or not (folder_of(image_id) / "config.json").exists():
        return None
    return Image(image_id, folder_of(image_id))


def matching(pattern: str | None) -> list[str]:
    """The tag names matching a ``reference=`` pattern (all of them without one)."""
    return sorted(name for name in tags() if pattern is None or fnmatch.fnmatchcase(name, normalize(pattern)))


def content_digest(rootfs: Path) -> str:
    """sha256 over every path and file under ``rootfs`` (symbolic links by their target), in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(rootfs.rglob("*")):
        digest.update(str(path.relative_to(rootfs)).encode() + b"\0")
        if path.is_symlink():
            digest.update(os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
        digest.update(b"\0")
    return f"sha256:{digest.hexdigest()}"
