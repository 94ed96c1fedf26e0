"""Read a Terraform JSON configuration (cdktf's ``cdktf.out/stacks/<name>/cdk.tf.json``) into the model."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from constructs_lib.model import tokens
from constructs_lib.model.kinds import kind_of
from constructs_lib.model.stack import (
    TERRAFORM,
    Backend,
    Deletion,
    OnDelete,
    Output,
    Parameter,
    Reference,
    Resource,
    Stack,
)

#: Meta-arguments: about how Terraform handles the resource, not the resource's own arguments.
_META_ARGUMENTS = ("lifecycle", "depends_on", "provider", "count", "for_each", "provisioner", "connection", "//")
#: A reference inside an expression: ``aws_x.name``, ``data.aws_x.name``, ``var.x``, ``local.x``, ``module.x``,
#: optionally indexed, optionally followed by an attribute.
_ADDRESS = re.compile(
    r"(?<![\w.])((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*|(?:var|local|module)\.[A-Za-z_][\w-]*)"
    r"(?:\[[^\]]*\])?(?:\.([A-Za-z_]\w*))?"
)
#: Types whose delete Terraform can turn into a final snapshot.
_SNAPSHOT_TYPES = ("aws_db_instance", "aws_rds_cluster")
_CACHE_SNAPSHOT_TYPES = ("aws_elasticache_replication_group", "aws_elasticache_cluster")
#: Arguments that make the service refuse a delete: RDS, DynamoDB (``..._enabled``), Network Firewall (``delete_...``).
_PROTECTION_ARGUMENTS = ("deletion_protection", "deletion_protection_enabled", "delete_protection")


def stack_from_configuration(configuration: Mapping[str, Any], *, name: str, path: Path) -> Stack:
    """The model of a parsed Terraform JSON configuration (``constructs_lib.model.loader`` finds and parses files)."""
    provider = _aws_provider(configuration.get("provider"))
    default_tags = _default_tags(provider)
    raw = _blocks(configuration.get("resource"), "")
    raw_data = _blocks(configuration.get("data"), "data.")
    known = set(raw) | set(raw_data)
    locked = _object_locked_buckets(raw, known)

    def build(address: str, resource_type: str, body: Mapping[str, Any], managed: bool) -> Resource:
        properties = {k: v for k, v in body.items() if k not in _META_ARGUMENTS}
        attributes = {k: v for k, v in body.items() if k in _META_ARGUMENTS and k != "//"}
        own_tags = properties.get("tags") if isinstance(properties.get("tags"), Mapping) else {}
        tags = {**(default_tags if managed and resource_type.startswith("aws_") else {}), **_text_map(own_tags)}
        metadata = (body.get("//") or {}).get("metadata") or {}
        return Resource(
            address=address,
            type=resource_type,
            kind=kind_of(resource_type, properties),
            source_format=TERRAFORM,
            path=str(metadata.get("path", "")),
            properties=properties,
            attributes=attributes,
            deletion=_deletion(resource_type, properties, attributes, address in locked) if managed else Deletion(),
            references=tuple(_references(properties, known)) + tuple(_depends_on(attributes.get("depends_on"))),
            tags=tags,
        )

    resources = {address: build(address, t, body, True) for address, (t, body) in raw.items()}
    data = {address: build(address, t, body, False) for address, (t, body) in raw_data.items()}
    outputs = {
        key: Output(
            name=key,
            value=body.get("value"),
            references=tuple(_references(body.get("value"), known, "value")),
            description=body.get("description"),
        )
        for key, body in (configuration.get("output") or {}).items()
    }
    parameters = {
        key: Parameter(name=key, default=body.get("default"), secret=body.get("sensitive") is True)
        for key, body in (configuration.get("variable") or {}).items()
    }
    backend_block = (configuration.get("terraform") or {}).get("backend") or {}
    backend = next((Backend(type=k, config=v or {}) for k, v in backend_block.items()), None)
    return Stack(
        name=name,
        source_format=TERRAFORM,
        path=path,
        region=_literal(provider.get("region")),
        account=_single_account(provider.get("allowed_account_ids")),
        resources=resources,
        outputs=outputs,
        parameters=parameters,
        data=data,
        backend=backend,
        default_tags=default_tags,
    )


def _blocks(section: Any, prefix: str) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """``{type: {name: body}}`` flattened to ``{"<prefix><type>.<name>": (type, body)}``."""
    flat: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for resource_type, named in (section or {}).items():
        for name, body in (named or {}).items():
            flat[f"{prefix}{resource_type}.{name}"] = (resource_type, body or {})
    return flat


def _aws_provider(section: Any) -> Mapping[str, Any]:
    """The default (un-aliased) ``aws`` provider block; JSON allows one object or a list of them."""
    blocks = (section or {}).get("aws") or []
    blocks = [blocks] if isinstance(blocks, Mapping) else blocks
    unaliased = [b for b in blocks if isinstance(b, Mapping) and not b.get("alias")]
    return unaliased[0] if unaliased else {}


def _default_tags(provider: Mapping[str, Any]) -> dict[str, str]:
    block = provider.get("default_tags")
    block = block[0] if isinstance(block, list) and block else block
    return _text_map((block or {}).get("tags") or {}) if isinstance(block, Mapping) else {}


def _text_map(value: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items() if v is not None}


def _literal(value: Any) -> str | None:
    return value if isinstance(value, str) and value and not tokens.expressions(value) else None


def _single_account(value: Any) -> str | None:
    if isinstance(value, list) and len(value) == 1:
        return _literal(value[0])
    return None


def _references(value: Any, known: set[str], path: str = "") -> Iterator[Reference]:
    """Every reference in every ``${...}`` under ``value``: resources and data sources of this configuration,
    variables, locals and modules."""
    for at, text in tokens.leaves(value, path):
        for expression in tokens.expressions(text):
            for match in _ADDRESS.finditer(expression):
                target, attribute = match.group(1), match.group(2)
                if target in known or target.startswith(("var.", "local.", "module.")):
                    yield Reference(target=target, attribute=attribute, at=at, via="interpolation")


def _depends_on(value: Any) -> Iterator[Reference]:
    for target in value or []:
        if isinstance(target, str):
            yield Reference(
                target=target.removeprefix("${").removesuffix("}"), attribute=None, at="depends_on", via="depends_on"
            )


def _object_locked_buckets(raw: Mapping[str, tuple[str, Mapping[str, Any]]], known: set[str]) -> set[str]:
    """Buckets that a separate ``aws_s3_bucket_object_lock_configuration`` locks."""
    locked: set[str] = set()
    for resource_type, body in raw.values():
        if resource_type == "aws_s3_bucket_object_lock_configuration":
            locked.update(r.target for r in _references(body.get("bucket"), known))
    return locked


def _deletion(
    resource_type: str, properties: Mapping[str, Any], attributes: Mapping[str, Any], locked: bool
) -> Deletion:
    evidence: list[str] = []
    lifecycle = attributes.get("lifecycle")
    lifecycle = lifecycle[0] if isinstance(lifecycle, list) and lifecycle else lifecycle
    prevent = isinstance(lifecycle, Mapping) and tokens.is_true(lifecycle.get("prevent_destroy"))
    protected_by = [k for k in _PROTECTION_ARGUMENTS if tokens.is_true(properties.get(k))]
    protection = bool(protected_by)
    if prevent:
        evidence.append("lifecycle.prevent_destroy=true")
    evidence.extend(f"{k}=true" for k in protected_by)
    on_delete, needs_identifier = OnDelete.DELETE, False
    if resource_type in _SNAPSHOT_TYPES:
        if tokens.is_true(properties.get("skip_final_snapshot")):
            evidence.append("skip_final_snapshot=true")
        else:
            on_delete = OnDelete.SNAPSHOT
            needs_identifier = not properties.get("final_snapshot_identifier")
            evidence.append(
                "skip_final_snapshot=false without final_snapshot_identifier"
                if needs_identifier
                else "final_snapshot_identifier set"
            )
    elif resource_type in _CACHE_SNAPSHOT_TYPES and properties.get("final_snapshot_identifier"):
        on_delete = OnDelete.SNAPSHOT
        evidence.append("final_snapshot_identifier set")
    elif tokens.is_true(properties.get("skip_destroy")):
        on_delete = OnDelete.RETAIN
        evidence.append("skip_destroy=true")
    empties: bool | None = None
    object_lock = locked
    if resource_type == "aws_s3_bucket":
        empties = tokens.is_true(properties.get("force_destroy"))
        evidence.append(f"force_destroy={'true' if empties else 'false'}")
        object_lock = object_lock or tokens.is_true(properties.get("object_lock_enabled"))
    if object_lock:
        evidence.append("object lock enabled")
    window = properties.get("recovery_window_in_days", properties.get("deletion_window_in_days"))
    return Deletion(
        on_delete=on_delete,
        protected=prevent or protection,
        needs_snapshot_identifier=needs_identifier,
        empties_bucket=empties,
        object_lock=object_lock,
        recovery_window_days=window if isinstance(window, int) and not isinstance(window, bool) else None,
        evidence=tuple(evidence),
    )
