"""Terraform-only classes from seed 004: blocks in a shape the provider rejects, S3 settings written twice, and
a state backend fixed in the stack code."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from constructs_lib.model import TERRAFORM, Resource, Stack, tokens
from constructs_lib.model.kinds import KINDS
from constructs_lib.preflight.registry import Rule, Severity, Violation
from constructs_lib.preflight.rules.terraform_schema import S3_INLINE_REPLACEMENTS, SHAPES, Block

#: An absolute path on POSIX or Windows.
_ABSOLUTE_PATH = re.compile(r"^(?:/|[A-Za-z]:[\\/])")


def _is_set(value: Any) -> bool:
    return value is not None and value != [] and value != {}


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and bool(tokens.expressions(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def shape_problems(value: Any, block: Block, path: str) -> Iterator[tuple[str, Severity]]:
    """Every way ``value`` (a block, or a list of them) differs from ``block``, with its property path."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    if block.max_items is not None and len(items) > block.max_items:
        yield f"{path}: {len(items)} blocks where the provider allows {block.max_items}", Severity.ERROR
    elif block.cdktf_object and isinstance(value, list):
        yield (
            f"{path}: a single block written as a list: cdktf's typed API takes one object here, so this came "
            "from a raw dict or an override",
            Severity.WARNING,
        )
    if len(items) < block.min_items:
        yield f"{path}: at least {block.min_items} block required", Severity.ERROR
    for index, item in enumerate(items):
        at = f"{path}[{index}]" if isinstance(value, list) else path
        if not isinstance(item, Mapping):
            yield f"{at}: a block must be an object, not {type(item).__name__}", Severity.ERROR
            continue
        yield from _item_problems(item, block, at)


def _item_problems(item: Mapping[str, Any], block: Block, at: str) -> Iterator[tuple[str, Severity]]:
    if block.not_empty and not any(_is_set(v) for v in item.values()):
        yield f"{at}: the block is empty (a raw dict whose keys cdktf dropped?)", Severity.ERROR
    for key in block.required:
        if item.get(key) is None or item.get(key) == []:
            yield f"{at}.{key}: required, but missing or null", Severity.ERROR
    for key in block.present:
        if key not in item:
            yield f"{at}.{key}: must be written (null is allowed) in JSON", Severity.ERROR
    if block.allowed is not None:
        for key in item:
            if key not in block.allowed:
                yield f"{at}.{key}: no such argument in this block", Severity.ERROR
    for key, values in block.enums.items():
        value = item.get(key)
        if value is not None and not _is_expression(value) and value not in values:
            yield f"{at}.{key}: {value!r} is not one of {sorted(map(str, values))}", Severity.ERROR
    for keys, wanted, accepts in ((block.numbers, "a number", _is_number), (block.booleans, "true or false", _is_bool)):
        for key in keys:
            value = item.get(key)
            if value is not None and not _is_expression(value) and not accepts(value):
                yield f"{at}.{key}: {wanted} is required, got {value!r}", Severity.ERROR
    if block.one_of and sum(_is_set(item.get(k)) for k in block.one_of) != 1:
        yield f"{at}: exactly one of {', '.join(block.one_of)} should be set", Severity.WARNING
    for name, child in block.blocks.items():
        if name in item:
            yield from shape_problems(item[name], child, f"{at}.{name}")


def check_block_shapes(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """Nested blocks the seeds got wrong are written in the shape the pinned provider accepts."""
    for name, block in SHAPES.get(resource.type, {}).items():
        if name in resource.properties:
            for problem, severity in shape_problems(resource.properties[name], block, name):
                yield Violation(
                    f"malformed block {problem}",
                    "write the block as the provider documents it (cdktf: use the generated struct classes, "
                    "not raw dicts with snake_case keys)",
                    severity=severity,
                )


def check_s3_settings_not_split(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """An S3 setting lives in its own resource, not inline on ``aws_s3_bucket`` (and never in both)."""
    for argument, replacement in S3_INLINE_REPLACEMENTS.items():
        if not _is_set(resource.properties.get(argument)):
            continue
        separate = [
            r for r in stack.referrers(resource.address, KINDS[replacement]) if r.refs_to(resource.address, at="bucket")
        ]
        if separate:
            yield Violation(
                f"inline {argument} and {separate[0].address} both configure this bucket: each apply overwrites "
                "the other",
                f"keep only {replacement}",
            )
        else:
            yield Violation(
                f"inline {argument} is deprecated on aws_s3_bucket",
                f"move it to its own {replacement} resource",
                severity=Severity.WARNING,
            )


def check_backend_portable(stack: Stack) -> Iterator[Violation]:
    """State lives where every machine finds it: a relative local path, or a remote backend that encrypts and locks."""
    if stack.backend is None:
        return
    config = stack.backend.config
    if stack.backend.type == "local":
        path = config.get("path")
        if isinstance(path, str) and tokens.is_literal(path) and _ABSOLUTE_PATH.match(path):
            yield Violation(
                f"local state at the absolute path {path}: CI or another machine starts from empty state and tries "
                "to create everything again",
                "use a path relative to the stack directory, or a shared backend passed by the pipeline",
            )
    elif stack.backend.type == "s3":
        if not tokens.is_true(config.get("encrypt")):
            yield Violation(
                "the S3 state is not encrypted: state holds endpoints, ARNs and secret references",
                "set encrypt = true on the backend",
            )
        if not (tokens.is_true(config.get("use_lockfile")) or config.get("dynamodb_table")):
            yield Violation(
                "the S3 state has no lock: two applies at once corrupt it",
                "set use_lockfile = true (Terraform >= 1.10) on the backend",
            )


TF_BLOCK_SHAPE = Rule(
    rule_id="tf-block-shape",
    title="Terraform blocks the seeds got wrong (S3 lifecycle/versioning/encryption, security-group rules, "
    "Network Firewall rule groups) have the shape the provider accepts",
    fix="write the block in the shape the pinned provider's schema gives (terraform validate reports the same)",
    seeds=("004",),
    severity=Severity.ERROR,
    check=check_block_shapes,
    kinds=frozenset(
        {
            "s3_bucket",
            "s3_bucket_lifecycle",
            "s3_bucket_versioning",
            "s3_bucket_encryption",
            "security_group",
            "network_firewall_rule_group",
        }
    ),
    formats=frozenset({TERRAFORM}),
)

S3_CONFIG_NOT_SPLIT = Rule(
    rule_id="s3-config-not-split",
    title="S3 lifecycle, versioning, encryption and logging are set once, in their own Terraform resources",
    fix="move each S3 setting into its own resource (aws_s3_bucket_lifecycle_configuration, ..._versioning, ...) and "
    "drop the inline block",
    seeds=("004",),
    severity=Severity.ERROR,
    check=check_s3_settings_not_split,
    kinds=frozenset({"s3_bucket"}),
    formats=frozenset({TERRAFORM}),
)

TF_BACKEND_PORTABLE = Rule(
    rule_id="tf-backend-portable",
    title="Terraform state sits where every machine finds it: a relative local path, or encrypted, locked S3",
    fix="use a relative local path, or an S3 backend with encrypt = true and use_lockfile = true",
    seeds=("003", "004"),
    severity=Severity.WARNING,
    check=check_backend_portable,
    formats=frozenset({TERRAFORM}),
)
