"""The emulator's register of additions to moto.

Each module in :data:`AREAS` declares its additions: ``@addition(name, kind, reason)`` on a patch function, or
``@model`` on a CloudFormation model moto lacks. :func:`register` applies them once, in the order of AREAS; the
server lists them at ``/moto-api/extensions``. Kinds: ``model``; ``fix`` (moto answers wrongly); ``effect`` (what a
custom resource's Lambda would do); ``engine`` (CloudFormation semantics); ``refusal`` (a call AWS refuses and moto
accepts, refused with AWS's error code and message).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moto.core.common_models import CloudFormationModel

#: Path under which the running server lists :data:`ADDITIONS` (also the emulator's health check).
EXTENSIONS_PATH = "/moto-api/extensions"

#: The modules of ``scripts.emulator`` that declare additions, in the order :func:`register` applies them.
AREAS = (
    "atomic_calls",
    "cloudformation",
    "custom_resources",
    "ec2",
    "iam",
    "rds",
    "elasticache",
    "cloudwatch_alarms",
    "secrets",
    "resource_policies",
    "service_properties",
    "network_firewall",
    "terraform_calls",
    "teardown",
    "stack_creation",
    "waiter_answers",
    "refusals",
    "runtime",
)


@dataclass(frozen=True)
class Addition:
    """One thing the emulator adds to moto: what, which kind, and why our stacks need it."""

    name: str
    kind: str
    reason: str


ADDITIONS: list[Addition] = []
_PATCHES: list[Callable[[], None]] = []
_registered = False


def addition(name: str, kind: str, reason: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Declare a patch function: listed in :data:`ADDITIONS`, applied once by :func:`register`."""

    def declare(apply: Callable[[], None]) -> Callable[[], None]:
        ADDITIONS.append(Addition(name, kind, reason))
        _PATCHES.append(apply)
        return apply

    return declare


def model(cls: type[CloudFormationModel]) -> type[CloudFormationModel]:
    """Declare a new CloudFormation model: the class docstring's first line is its reason."""
    ADDITIONS.append(Addition(cls.cloudformation_type(), "model", (cls.__doc__ or "").strip().split("\n")[0]))
    return cls


def declare_all() -> list[Addition]:
    """Import every area, so each has declared its additions; the full list, in patch order."""
    for area in AREAS:
        importlib.import_module(f"{__package__}.{area}")
    return ADDITIONS


def register() -> None:
    """Apply every addition (idempotent) and expose the list at :data:`EXTENSIONS_PATH`."""
    from moto.cloudformation import parsing

    global _registered
    if _registered:
        return
    declare_all()
    for apply in _PATCHES:
        apply()
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    _serve_extension_list()
    _registered = True


def describe() -> dict[str, Any]:
    """What ``/moto-api/extensions`` answers: moto's version and every addition."""
    return {"moto": metadata.version("moto"), "additions": [asdict(item) for item in declare_all()]}


def _serve_extension_list() -> None:
    from moto.moto_api._internal import urls

    def respond(_request: Any, _full_url: str, _headers: Any) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "application/json"}, json.dumps(describe())

    urls.url_paths["{0}" + EXTENSIONS_PATH] = respond
