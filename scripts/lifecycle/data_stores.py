"""The data stores of a deployed stack, for the prod-keeps-data check: each one's kind, the name its API knows it by,
and what deleting the stack should do to it (retain, snapshot, delete).

``stores_of(tool, stack)`` reads them from what was deployed (CloudFormation's resource list and the template's
``DeletionPolicy``; Terraform's state, ``skip_destroy``, final snapshots and the policy's list of types the prod
teardown keeps).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from scripts.deployer.cdk_tool import CdkTool
from scripts.deployer.commands import TOOLS
from scripts.deployer.protocol import Stack, Tool
from scripts.deployer.terraform_tool import TerraformTool

#: Kinds of data store this check writes to or expects a snapshot of.
RETAIN, SNAPSHOT, DELETE = "retain", "snapshot", "delete"
#: CloudFormation type -> data store kind.
CFN_KINDS: dict[str, str] = {
    "AWS::S3::Bucket": "bucket",
    "AWS::Kinesis::Stream": "stream",
    "AWS::SQS::Queue": "queue",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::Logs::LogGroup": "log_group",
    "AWS::KMS::Key": "key",
    "AWS::RDS::DBInstance": "db_instance",
    "AWS::RDS::DBCluster": "db_cluster",
    "AWS::ElastiCache::ReplicationGroup": "cache",
}
#: Terraform type -> (data store kind, the state attribute that names it in the API).
TF_KINDS: dict[str, tuple[str, str]] = {
    "aws_s3_bucket": ("bucket", "bucket"),
    "aws_kinesis_stream": ("stream", "name"),
    "aws_sqs_queue": ("queue", "url"),
    "aws_secretsmanager_secret": ("secret", "arn"),
    "aws_cloudwatch_log_group": ("log_group", "name"),
    "aws_kms_key": ("key", "key_id"),
    "aws_db_instance": ("db_instance", "identifier"),
    "aws_rds_cluster": ("db_cluster", "cluster_identifier"),
    "aws_elasticache_replication_group": ("cache", "replication_group_id"),
}
#: CloudFormation deletion policies that keep a resource, or snapshot it.
CFN_ON_DELETE = {"Retain": RETAIN, "RetainExceptOnCreate": RETAIN, "Snapshot": SNAPSHOT}


@dataclass(frozen=True)
class DataStore:
    """One place a stack keeps data: its kind, the name the API knows it by, where it came from, and what deleting
    the stack should do to it."""

    kind: str
    name: str
    source: str
    on_delete: str
    region: str


_CLIENT_LOCK = threading.Lock()


def aws(service: str, region: str) -> Any:
    """A boto3 client from its own session (stacks run in threads; the default session is not thread-safe)."""
    import boto3

    with _CLIENT_LOCK:
        return boto3.session.Session().client(service, region_name=region)


def error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__))


def cdk_inventory(tool: CdkTool, stack: Stack) -> list[DataStore]:
    """Data stores of a deployed CDK stack: the template's DeletionPolicy, the physical ids CloudFormation lists."""
    template = json.loads((tool.assembly / f"{stack.construct_id}.template.json").read_text())
    paginator = aws("cloudformation", stack.region).get_paginator("list_stack_resources")
    physical = {
        item["LogicalResourceId"]: item.get("PhysicalResourceId", "")
        for page in paginator.paginate(StackName=stack.stack_name)
        for item in page["StackResourceSummaries"]
    }
    return cloudformation_stores(template, physical, stack.region)


def cloudformation_stores(template: dict[str, Any], physical: dict[str, str], region: str) -> list[DataStore]:
    """Data stores of a template; a cluster member instance is not one (its cluster holds the data)."""
    stores = []
    for logical_id, body in template.get("Resources", {}).items():
        kind = CFN_KINDS.get(body.get("Type", ""))
        if kind is None or logical_id not in physical:
            continue
        if kind == "db_instance" and body.get("Properties", {}).get("DBClusterIdentifier"):
            continue
        on_delete = CFN_ON_DELETE.get(body.get("DeletionPolicy", "Delete"), DELETE)
        stores.append(DataStore(kind, physical[logical_id], logical_id, on_delete, region))
    return stores


def terraform_inventory(tool: TerraformTool, stack: Stack) -> list[DataStore]:
    """Data stores of an applied Terraform stack, from its state."""
    return terraform_stores(tool.managed_resources(stack), stack.region)


def terraform_stores(resources: list[tuple[str, str, dict[str, Any]]], region: str) -> list[DataStore]:
    """Data stores among ``(address, type, attributes)``: kept when the prod teardown keeps the type or the resource
    has ``skip_destroy``; snapshotted when it takes a final snapshot."""
    from constructs_lib.policy.profiles import terraform_retained_in_prod

    stores = []
    for address, resource_type, attributes in resources:
        if resource_type not in TF_KINDS:
            continue
        kind, name_attribute = TF_KINDS[resource_type]
        if terraform_retained_in_prod(resource_type) or attributes.get("skip_destroy") is True:
            on_delete = RETAIN
        elif attributes.get("skip_final_snapshot") is False or attributes.get("final_snapshot_identifier"):
            on_delete = SNAPSHOT
        else:
            on_delete = DELETE
        stores.append(DataStore(kind, str(attributes.get(name_attribute) or ""), address, on_delete, region))
    return stores


def stores_of(tool: Tool, stack: Stack) -> list[DataStore]:
    if isinstance(tool, CdkTool):
        return cdk_inventory(tool, stack)
    if isinstance(tool, TerraformTool):
        return terraform_inventory(tool, stack)
    raise ValueError(f"tool: {type(tool).__name__} is not one of {sorted(TOOLS)}")
