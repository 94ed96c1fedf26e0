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
from pathlib import Path
from typing import Any

from constructs_lib.model import OnDelete
from constructs_lib.model.cloudformation import stack_from_template
from constructs_lib.model.terraform import stack_from_configuration
from constructs_lib.policy.profiles import terraform_retained_in_prod
from scripts.deployer.cdk_tool import CdkTool
from scripts.deployer.commands import TOOLS
from scripts.deployer.protocol import Stack, Tool
from scripts.deployer.terraform_tool import TerraformTool

#: The model's kind (``constructs_lib.model.kinds``) of each data store this check writes to or expects a snapshot
#: of -> the check's short name for it. Any other kind (a cluster's member instance, say) holds no data of its own.
STORE_KINDS: dict[str, str] = {
    "s3_bucket": "bucket",
    "stream": "stream",
    "queue": "queue",
    "secret": "secret",
    "log_group": "log_group",
    "kms_key": "key",
    "db_instance": "db_instance",
    "db_cluster": "db_cluster",
    "cache_replication_group": "cache",
}
#: The Terraform state attribute that names each kind of store in its API.
STATE_NAME_ATTRIBUTES: dict[str, str] = {
    "bucket": "bucket",
    "stream": "name",
    "queue": "url",
    "secret": "arn",
    "log_group": "name",
    "key": "key_id",
    "db_instance": "identifier",
    "db_cluster": "cluster_identifier",
    "cache": "replication_group_id",
}


@dataclass(frozen=True)
class DataStore:
    """One place a stack keeps data: its kind, the name the API knows it by, where it came from, and what deleting
    the stack should do to it."""

    kind: str
    name: str
    source: str
    on_delete: OnDelete
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
    """Data stores of a template, with what its ``DeletionPolicy`` does to each, as the model reads them."""
    model = stack_from_template(template, name="template", path=Path("template.json"))
    return [
        DataStore(STORE_KINDS[resource.kind], physical[address], address, resource.deletion.on_delete, region)
        for address, resource in model.resources.items()
        if resource.kind in STORE_KINDS and address in physical
    ]


def terraform_inventory(tool: TerraformTool, stack: Stack) -> list[DataStore]:
    """Data stores of an applied Terraform stack, from its state."""
    return terraform_stores(tool.managed_resources(stack), stack.region)


def terraform_stores(resources: list[tuple[str, str, dict[str, Any]]], region: str) -> list[DataStore]:
    """Data stores among ``(address, type, attributes)`` of a state: kept when the prod teardown keeps the type (the
    policy's list), else what the model reads from the attributes (``skip_destroy``, a final snapshot)."""
    stores = []
    for address, resource_type, attributes in resources:
        configuration = {"resource": {resource_type: {address.removeprefix(f"{resource_type}."): attributes}}}
        resource = stack_from_configuration(configuration, name="state", path=Path("state")).resources[address]
        if resource.kind not in STORE_KINDS:
            continue
        kind = STORE_KINDS[resource.kind]
        on_delete = OnDelete.RETAIN if terraform_retained_in_prod(resource_type) else resource.deletion.on_delete
        stores.append(
            DataStore(kind, str(attributes.get(STATE_NAME_ATTRIBUTES[kind]) or ""), address, on_delete, region)
        )
    return stores


def stores_of(tool: Tool, stack: Stack) -> list[DataStore]:
    if isinstance(tool, CdkTool):
        return cdk_inventory(tool, stack)
    if isinstance(tool, TerraformTool):
        return terraform_inventory(tool, stack)
    raise ValueError(f"tool: {type(tool).__name__} is not one of {sorted(TOOLS)}")
