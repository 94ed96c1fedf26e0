"""Merge a user's props over the hardened defaults, and say so at synth when a default is overridden.

Overrides are allowed (a reference stack must fit real projects) but never silent: each one becomes a CDK warning
that names the property, the hardened default and the new value, visible in ``cdk synth`` and in the assembly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations
from constructs import IConstruct


@dataclass(frozen=True)
class Override:
    """One hardened default the user replaced."""

    prop: str
    default: Any
    value: Any


def merge_with_defaults(
    defaults: Mapping[str, Any], overrides: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Override]]:
    """The props to build with, and the hardened defaults the user changed (props the policy has no default for
    pass through without a warning)."""
    merged = {**defaults, **overrides}
    changed = [
        Override(prop, defaults[prop], value)
        for prop, value in overrides.items()
        if prop in defaults and value is not defaults[prop] and value != defaults[prop]
    ]
    return merged, changed


def warn_overrides(construct: IConstruct, changed: list[Override]) -> None:
    """One synth-time warning per overridden default, on the construct that was built with it."""
    for override in changed:
        Annotations.of(construct).add_warning_v2(
            f"hardened:override:{override.prop}",
            f"{type(construct).__name__} '{construct.node.path}': '{override.prop}' overrides the hardened default "
            f"{_describe(override.default)} with {_describe(override.value)}",
        )


def _describe(value: Any) -> str:
    to_string = getattr(value, "to_human_string", None)
    return to_string() if callable(to_string) else repr(value)
