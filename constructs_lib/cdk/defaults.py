"""Say so at synth when a construct's hardened default is overridden (the merge itself is policy.overrides).

Overrides are allowed (a reference stack must fit real projects) but never silent: each one becomes a CDK warning
that names the property, the hardened default and the new value, visible in ``cdk synth`` and in the assembly.
"""

from __future__ import annotations

from aws_cdk import Annotations
from constructs import IConstruct

from constructs_lib.policy.overrides import Override, describe, merge_member_props, merge_with_defaults

__all__ = ["Override", "merge_member_props", "merge_with_defaults", "warn_overrides"]


def warn_overrides(construct: IConstruct, changed: list[Override]) -> None:
    """One synth-time warning per overridden default, on the construct that was built with it."""
    for override in changed:
        Annotations.of(construct).add_warning_v2(
            f"hardened:override:{override.prop}",
            f"{type(construct).__name__} '{construct.node.path}': '{override.prop}' overrides the hardened default "
            f"{describe(override.default)} with {describe(override.value)}",
        )
