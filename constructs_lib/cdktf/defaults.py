"""Say so at synth when a construct's hardened default is overridden (the merge itself is policy.overrides).

The cdktf twin of ``constructs_lib.cdk.defaults``: overrides are allowed but never silent. Each one becomes a cdktf
warning annotation naming the argument, the hardened default and the new value, printed by ``cdktf synth``.
"""

from __future__ import annotations

from cdktf import Annotations
from constructs import IConstruct

from constructs_lib.policy.overrides import Override, describe, merge_member_props, merge_with_defaults

__all__ = ["Override", "merge_member_props", "merge_with_defaults", "warn_overrides"]


def warn_overrides(construct: IConstruct, changed: list[Override]) -> None:
    """One synth-time warning per overridden default, on the construct that was built with it."""
    for override in changed:
        Annotations.of(construct).add_warning(
            f"[hardened:override:{override.prop}] {type(construct).__name__} '{construct.node.path}': "
            f"'{override.prop}' overrides the hardened default {describe(override.default)} "
            f"with {describe(override.value)}"
        )
