"""The shape of the Terraform blocks the seeds got wrong, as data (hashicorp/aws 5.100.0, the provider we pin).

Only what ``terraform validate`` (or the first apply) rejects and cdktf lets through: cdktf checks Python types,
not a raw dict's keys, and turns a snake_case key it does not know into nothing (``rule: [{}]``) or ``null``
(``from_port: null``). Each entry was checked against ``terraform validate`` with the pinned provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Block:
    """What a nested block accepts. In Terraform JSON a block is an object or a list of objects."""

    #: At most / at least this many blocks (``expiration`` is a single block: more than one is an error).
    max_items: int | None = None
    min_items: int = 0
    #: Arguments that must be set (present and not null).
    required: tuple[str, ...] = ()
    #: Arguments that must be written even when null (security-group rules written as JSON attributes).
    present: tuple[str, ...] = ()
    #: When set, any other key is an error ("No argument or block type is named ...").
    allowed: frozenset[str] | None = None
    #: Arguments limited to a set of values.
    enums: Mapping[str, frozenset[object]] = field(default_factory=dict)
    #: Arguments that must be numbers / booleans when written literally.
    numbers: tuple[str, ...] = ()
    booleans: tuple[str, ...] = ()
    #: Exactly one of these should be set (the provider warns today and will reject later).
    one_of: tuple[str, ...] = ()
    #: A block with nothing set: cdktf dropped every key of a raw dict, and the API rejects it.
    not_empty: bool = False
    #: cdktf's typed API takes (and writes) this block as one object; a list here came from a raw dict or an
    #: override (seed 004's ``expiration=[{...}]`` failed cdktf's synth). Terraform accepts one, so: a warning.
    cdktf_object: bool = False
    blocks: Mapping[str, Block] = field(default_factory=dict)


_EXPIRATION_KEYS = frozenset({"date", "days", "expired_object_delete_marker"})
_EXPIRATION = Block(max_items=1, allowed=_EXPIRATION_KEYS, numbers=("days",))
_SSE_BY_DEFAULT = Block(
    max_items=1,
    cdktf_object=True,
    required=("sse_algorithm",),
    enums={"sse_algorithm": frozenset({"AES256", "aws:kms", "aws:kms:dsse"})},
)
_SSE_RULE_BLOCKS = {"apply_server_side_encryption_by_default": _SSE_BY_DEFAULT}
_SECURITY_GROUP_RULE = Block(
    required=("from_port", "to_port", "protocol"),
    present=("cidr_blocks", "description", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups", "self"),
    numbers=("from_port", "to_port"),
)

#: resource type -> the top-level blocks to check.
SHAPES: MappingProxyType[str, Mapping[str, Block]] = MappingProxyType(
    {
        "aws_s3_bucket": {
            "lifecycle_rule": Block(
                required=("enabled",),
                booleans=("enabled",),
                allowed=frozenset(
                    {
                        "id",
                        "prefix",
                        "tags",
                        "enabled",
                        "abort_incomplete_multipart_upload_days",
                        "expiration",
                        "transition",
                        "noncurrent_version_expiration",
                        "noncurrent_version_transition",
                    }
                ),
                blocks={
                    "expiration": Block(max_items=1, allowed=_EXPIRATION_KEYS, numbers=("days",), cdktf_object=True),
                    "noncurrent_version_expiration": Block(
                        max_items=1, allowed=frozenset({"days"}), numbers=("days",), cdktf_object=True
                    ),
                    "transition": Block(required=("storage_class",), numbers=("days",)),
                    "noncurrent_version_transition": Block(required=("storage_class",), numbers=("days",)),
                },
            ),
            "versioning": Block(
                max_items=1,
                allowed=frozenset({"enabled", "mfa_delete"}),
                booleans=("enabled", "mfa_delete"),
                cdktf_object=True,
            ),
            "server_side_encryption_configuration": Block(
                max_items=1,
                cdktf_object=True,
                blocks={"rule": Block(max_items=1, cdktf_object=True, blocks=_SSE_RULE_BLOCKS)},
            ),
            "logging": Block(max_items=1, required=("target_bucket",), cdktf_object=True),
        },
        "aws_s3_bucket_lifecycle_configuration": {
            "rule": Block(
                min_items=1,
                required=("id", "status"),
                enums={"status": frozenset({"Enabled", "Disabled"})},
                allowed=frozenset(
                    {
                        "id",
                        "status",
                        "filter",
                        "prefix",
                        "expiration",
                        "transition",
                        "noncurrent_version_expiration",
                        "noncurrent_version_transition",
                        "abort_incomplete_multipart_upload",
                    }
                ),
                one_of=("filter", "prefix"),
                blocks={
                    "expiration": _EXPIRATION,
                    "filter": Block(
                        max_items=1,
                        allowed=frozenset(
                            {"prefix", "tag", "and", "object_size_greater_than", "object_size_less_than"}
                        ),
                    ),
                    "abort_incomplete_multipart_upload": Block(
                        max_items=1, allowed=frozenset({"days_after_initiation"}), numbers=("days_after_initiation",)
                    ),
                    "noncurrent_version_expiration": Block(
                        max_items=1,
                        allowed=frozenset({"noncurrent_days", "newer_noncurrent_versions"}),
                        numbers=("noncurrent_days",),
                    ),
                    "transition": Block(required=("storage_class",), numbers=("days",)),
                    "noncurrent_version_transition": Block(required=("storage_class",), numbers=("noncurrent_days",)),
                },
            ),
        },
        "aws_s3_bucket_versioning": {
            "versioning_configuration": Block(
                min_items=1,
                max_items=1,
                cdktf_object=True,
                required=("status",),
                allowed=frozenset({"status", "mfa_delete"}),
                enums={
                    "status": frozenset({"Enabled", "Suspended", "Disabled"}),
                    "mfa_delete": frozenset({"Enabled", "Disabled"}),
                },
            ),
        },
        "aws_s3_bucket_server_side_encryption_configuration": {
            "rule": Block(min_items=1, not_empty=True, blocks=_SSE_RULE_BLOCKS),
        },
        "aws_security_group": {"ingress": _SECURITY_GROUP_RULE, "egress": _SECURITY_GROUP_RULE},
        "aws_networkfirewall_rule_group": {
            "rule_group": Block(
                max_items=1,
                required=("rules_source",),
                blocks={
                    "rules_source": Block(
                        max_items=1,
                        not_empty=True,
                        blocks={
                            "stateful_rule": Block(
                                required=("action",),
                                blocks={
                                    "header": Block(
                                        min_items=1,
                                        max_items=1,
                                        required=(
                                            "destination",
                                            "destination_port",
                                            "direction",
                                            "protocol",
                                            "source",
                                            "source_port",
                                        ),
                                    ),
                                    "rule_option": Block(min_items=1, required=("keyword",)),
                                },
                            ),
                        },
                    ),
                },
            ),
        },
    }
)

#: Inline ``aws_s3_bucket`` arguments (deprecated since provider v4) and the resource type that replaced each.
#: Writing both for one bucket makes them overwrite each other on every apply.
S3_INLINE_REPLACEMENTS: MappingProxyType[str, str] = MappingProxyType(
    {
        "lifecycle_rule": "aws_s3_bucket_lifecycle_configuration",
        "versioning": "aws_s3_bucket_versioning",
        "server_side_encryption_configuration": "aws_s3_bucket_server_side_encryption_configuration",
        "logging": "aws_s3_bucket_logging",
    }
)
