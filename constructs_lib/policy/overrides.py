"""Merging a user's props over the hardened defaults, shared by the CDK constructs and their cdktf twins.

Pure Python (no CDK or cdktf import); each rendering reports the returned overrides as a synth warning its own way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from constructs_lib.policy.errors import ConfigurationError


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
        if prop in defaults and not _same(value, defaults[prop])
    ]
    return merged, changed


def merge_member_props(
    defaults: Mapping[str, Any], overrides: Mapping[str, Any], *, argument: str, per_member: Collection[str]
) -> tuple[dict[str, Any], list[Override]]:
    """``merge_with_defaults`` for props every member of a group shares (the instances of a cluster, passed as one
    ``argument``): each override is named ``<argument>.<prop>``, and a prop the construct sets for each member on its
    own (``per_member``, such as the identifier) is refused."""
    for prop in per_member:
        if prop in overrides:
            raise ConfigurationError(f"{argument}.{prop}", overrides[prop], "nothing: it is set for each member")
    merged, changed = merge_with_defaults(defaults, overrides)
    return merged, [Override(f"{argument}.{override.prop}", override.default, override.value) for override in changed]


def describe(value: Any) -> str:
    """How a default or override value is shown in a warning (jsii durations and the like render themselves)."""
    for method in ("to_human_string", "to_string"):
        render = getattr(value, method, None)
        if callable(render):
            return str(render())
    return repr(value)


def _same(value: Any, default: Any) -> bool:
    """Equal values, including jsii objects re-created on each access (Duration, enum-like classes)."""
    if value is default or value == default:
        return True
    shown = describe(value)
    return type(value) is type(default) and shown == describe(default) and not shown.startswith("<")
