"""Readers over a synthesized ``cdk.tf.json`` (plain dicts), shared by the cdktf test modules."""

from __future__ import annotations

import json
import re
from typing import Any

#: The app's stacks and the profiles every test runs them in.
STACKS = ("streamflix", "pci-platform")
PROFILES = ("dev", "prod")
#: Seconds per measured step, printed at the end of the session (import, synth, terraform validate).
TIMINGS: dict[str, float] = {}


def resources(stack: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Every resource of ``resource_type`` by its logical name (empty when there is none)."""
    return stack.get("resource", {}).get(resource_type, {})


def data_sources(stack: dict[str, Any], data_type: str) -> dict[str, dict[str, Any]]:
    return stack.get("data", {}).get(data_type, {})


def by_path(stack: dict[str, Any], resource_type: str, path_suffix: str) -> dict[str, Any]:
    """The one resource of ``resource_type`` whose construct path ends with ``path_suffix``."""
    found = [
        body
        for body in resources(stack, resource_type).values()
        if body["//"]["metadata"]["path"].endswith(path_suffix)
    ]
    assert len(found) == 1, f"{resource_type} at */{path_suffix}: found {len(found)}"
    return found[0]


def ref(stack: dict[str, Any], resource_type: str, path_suffix: str, attribute: str) -> str:
    """The Terraform expression ``${type.name.attribute}`` for the resource at ``path_suffix``."""
    for name, body in resources(stack, resource_type).items():
        if body["//"]["metadata"]["path"].endswith(path_suffix):
            return f"${{{resource_type}.{name}.{attribute}}}"
    raise AssertionError(f"no {resource_type} at */{path_suffix}")


def policy(document: str) -> dict[str, Any]:
    return json.loads(document)


def statement(document: str, sid: str) -> dict[str, Any]:
    """The statement with ``sid`` in a JSON policy document."""
    matches = [s for s in policy(document)["Statement"] if s.get("Sid") == sid]
    assert len(matches) == 1, f"statement {sid}: found {len(matches)}"
    return matches[0]


TWELVE_DIGITS = re.compile(r"(?<![0-9A-Fa-f])\d{12}(?![0-9A-Fa-f])")
