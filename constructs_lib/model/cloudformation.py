"""Read a CloudFormation template (``*.template.json``, e.g. from ``cdk synth``) into the model."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from constructs_lib.model import tokens
from constructs_lib.model.kinds import kind_of
from constructs_lib.model.stack import (
    CLOUDFORMATION,
    Deletion,
    OnDelete,
    Output,
    Parameter,
    Reference,
    Resource,
    Stack,
)

#: Resource attributes, kept apart from Properties.
_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy", "DependsOn", "Condition", "Metadata", "UpdatePolicy")
#: CDK marks a bucket whose objects its custom resource deletes before the bucket goes.
_AUTO_DELETE_TAG = "aws-cdk:auto-delete-objects"
_DELETION_POLICIES = {"Retain": OnDelete.RETAIN, "RetainExceptOnCreate": OnDelete.RETAIN, "Snapshot": OnDelete.SNAPSHOT}
#: Properties that make the service refuse a delete: RDS/DynamoDB, and Network Firewall's ``DeleteProtection``.
_PROTECTION_PROPERTIES = ("DeletionProtection", "DeletionProtectionEnabled", "DeleteProtection")


def stack_from_template(
    template: Mapping[str, Any], *, name: str, path: Path, region: str | None = None, account: str | None = None
) -> Stack:
    """The model of a parsed template (``constructs_lib.model.loader`` finds and parses the files)."""
    raw_resources: Mapping[str, Any] = template.get("Resources") or {}
    parameters = {
        key: Parameter(name=key, default=body.get("Default"), secret=str(body.get("NoEcho", "")).lower() == "true")
        for key, body in _section(template, "Parameters")
    }
    emptied = _auto_deleted_buckets(raw_resources)
    resources: dict[str, Resource] = {}
    for logical_id, body in raw_resources.items():
        if not isinstance(body, Mapping):
            continue  # Fn::ForEach::<name>: resources the LanguageExtensions transform makes at deploy
        properties = body.get("Properties") if isinstance(body.get("Properties"), Mapping) else {}
        resource_type = body.get("Type") if isinstance(body.get("Type"), str) else ""
        tags = _tags(properties.get("Tags"))
        attributes = {key: body[key] for key in _ATTRIBUTES if key in body}
        resources[logical_id] = Resource(
            address=logical_id,
            type=resource_type,
            kind=kind_of(resource_type, properties),
            source_format=CLOUDFORMATION,
            path=str((body.get("Metadata") or {}).get("aws:cdk:path", "")),
            properties=properties,
            attributes=attributes,
            deletion=_deletion(resource_type, properties, attributes, tags, logical_id in emptied),
            references=tuple(_references(properties)) + tuple(_depends_on(body.get("DependsOn"))),
            tags=tags,
        )
    outputs = {
        key: Output(
            name=key,
            value=body.get("Value"),
            references=tuple(_references(body.get("Value"), "Value")),
            description=body.get("Description"),
        )
        for key, body in _section(template, "Outputs")
    }
    return Stack(
        name=name,
        source_format=CLOUDFORMATION,
        path=path,
        region=region,
        account=account,
        resources=resources,
        outputs=outputs,
        parameters=parameters,
    )


def _section(template: Mapping[str, Any], name: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The entries of a template section that are objects (``Fn::ForEach::...`` lists expand only at deploy)."""
    section = template.get(name)
    if not isinstance(section, Mapping):
        return []
    return [(key, body) for key, body in section.items() if isinstance(body, Mapping)]


def _references(value: Any, path: str = "") -> Iterator[Reference]:
    """Every Ref / Fn::GetAtt / Fn::Sub target under ``value`` (pseudo parameters excluded)."""
    if isinstance(value, Mapping):
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref" and isinstance(argument, str) and not argument.startswith(tokens.PSEUDO_PREFIX):
                yield Reference(target=argument, attribute=None, at=path, via="Ref")
                return
            if function == "Fn::GetAtt":
                parts = argument if isinstance(argument, list) else str(argument).split(".", 1)
                attribute = ".".join(str(p) for p in parts[1:]) or None
                yield Reference(target=str(parts[0]), attribute=attribute, at=path, via="Fn::GetAtt")
                return
            if function == "Fn::Sub":
                yield from _sub_references(argument, path)
        for key, child in value.items():
            yield from _references(child, path if key.startswith("Fn::") else (f"{path}.{key}" if path else key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _references(child, f"{path}[{index}]")


def _sub_references(argument: Any, path: str) -> Iterator[Reference]:
    text, local = argument, set()
    if isinstance(argument, list) and argument:
        text = argument[0]
        if len(argument) > 1 and isinstance(argument[1], Mapping):
            local = set(argument[1])
    if not isinstance(text, str):
        return
    for expression in tokens.expressions(text):
        target, _, attribute = expression.partition(".")
        if target in local or target.startswith(tokens.PSEUDO_PREFIX):
            continue
        yield Reference(target=target, attribute=attribute or None, at=path, via="Fn::Sub")


def _depends_on(value: Any) -> Iterator[Reference]:
    for target in [value] if isinstance(value, str) else value or []:
        yield Reference(target=str(target), attribute=None, at="DependsOn", via="depends_on")


def _tags(value: Any) -> dict[str, str]:
    """Tags as a dict: CloudFormation writes a list of Key/Value pairs, some types a plain map."""
    tags: dict[str, str] = {}
    if isinstance(value, list):
        for tag in value:
            if isinstance(tag, Mapping) and isinstance(tag.get("Key"), str):
                rendered = tokens.render(tag.get("Value"))
                if rendered is not None:
                    tags[tag["Key"]] = rendered
    elif isinstance(value, Mapping):
        tags = {str(k): r for k, v in value.items() if (r := tokens.render(v)) is not None}
    return tags


def _auto_deleted_buckets(raw_resources: Mapping[str, Any]) -> set[str]:
    """Buckets a CDK auto-delete custom resource empties before CloudFormation deletes them."""
    emptied: set[str] = set()
    for body in raw_resources.values():
        if isinstance(body, Mapping) and body.get("Type") == "Custom::S3AutoDeleteObjects":
            for reference in _references((body.get("Properties") or {}).get("BucketName")):
                emptied.add(reference.target)
    return emptied


def _deletion(
    resource_type: str,
    properties: Mapping[str, Any],
    attributes: Mapping[str, Any],
    tags: Mapping[str, str],
    emptied: bool,
) -> Deletion:
    policy = attributes.get("DeletionPolicy")
    evidence: list[str] = []
    if isinstance(policy, str):
        on_delete = _DELETION_POLICIES.get(policy, OnDelete.DELETE)
        evidence.append(f"DeletionPolicy={policy}")
    elif resource_type == "AWS::RDS::DBCluster" or (
        resource_type == "AWS::RDS::DBInstance" and "DBClusterIdentifier" not in properties
    ):
        # CloudFormation's documented default for these two: a final snapshot.
        on_delete = OnDelete.SNAPSHOT
        evidence.append("DeletionPolicy absent (RDS default: Snapshot)")
    else:
        on_delete = OnDelete.DELETE
    protected_by = [k for k in _PROTECTION_PROPERTIES if tokens.is_true(properties.get(k))]
    protected = bool(protected_by)
    evidence.extend(f"{k}=true" for k in protected_by)
    object_lock = tokens.is_true(properties.get("ObjectLockEnabled")) or (
        (properties.get("ObjectLockConfiguration") or {}).get("ObjectLockEnabled") == "Enabled"
    )
    if object_lock:
        evidence.append("ObjectLockEnabled=true")
    empties: bool | None = None
    if resource_type == "AWS::S3::Bucket":
        empties = emptied or tags.get(_AUTO_DELETE_TAG) == "true"
        evidence.append("auto-delete objects" if empties else "no auto-delete of objects")
    recovery = properties.get("PendingWindowInDays") if resource_type == "AWS::KMS::Key" else None
    return Deletion(
        on_delete=on_delete,
        protected=protected,
        empties_bucket=empties,
        object_lock=object_lock,
        recovery_window_days=int(recovery) if isinstance(recovery, int | str) and str(recovery).isdigit() else None,
        evidence=tuple(evidence),
    )
