"""Check 3: a prod stack keeps its data. Deploy with the prod profile, write to every data store, show that a destroy
is refused while protection is on, lift the protections on purpose, destroy, read back what was kept, clean it up.

    eval "$(LOCAL_AWS_PORT=5102 python -m scripts.emulator.server env)"
    python -m scripts.lifecycle.prod_data [--stack X] [--tool cdk|cdktf] [--suffix S]

Per stack, the data stores come from what was deployed (CloudFormation's resource list, Terraform's state) and what
deleting them should do from what was rendered (``DeletionPolicy``; Terraform's ``skip_destroy``, final snapshot and
the policy's list of types the prod teardown keeps):

- written before the destroy: a Kinesis record, an S3 object in every bucket (with the SSE the bucket's default
  encryption names), an SQS message, a new secret version, a log event, and a ciphertext from every key; databases
  and caches cannot take rows here, so their deletion protection and backup retention are read back instead;
- refused: ``destroy`` while termination protection (CDK) or deletion protection (Terraform prod teardown) is on, and
  a direct delete of each protected database, each with the service's message;
- lifted (the operator's step, each call logged): UpdateTerminationProtection, ModifyDBInstance/ModifyDBCluster;
- kept after the destroy: the same bytes read back from each retained store, the key decrypting its ciphertext, a
  final snapshot of each database and cache. ``StackFigures.kept_by_prod_destroy`` counts them;
- cleaned up explicitly (empty and delete buckets, delete snapshots, streams, queues and log groups, force-delete
  secrets, schedule key deletion), then shown gone.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from scripts.deployer.cdk_tool import CdkTool
from scripts.deployer.commands import TOOLS, for_each_stack, require_emulator
from scripts.deployer.protocol import DeployError, Stack, Tool, log
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import CheckOutcome, StackFigures, report

CHECK = "prod keeps its data"
PROD = "prod"
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
#: The object, log stream and message this check writes.
PROBE_KEY = "prod-keeps-data/probe.txt"
PROBE_LOG_STREAM = "prod-keeps-data"
#: Days before a cleaned-up key is deleted (KMS's minimum).
KEY_DELETION_DAYS = 7


@dataclass(frozen=True)
class DataStore:
    """One place a stack keeps data: its kind, the name the API knows it by, where it came from, and what deleting
    the stack should do to it."""

    kind: str
    name: str
    source: str
    on_delete: str
    region: str


@dataclass
class StackRun:
    """What one stack's check saw: the probes written (store -> what to read back), steps, problems and figures."""

    stack: Stack
    tool: str
    probes: dict[DataStore, Any] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    deploy_seconds: float = 0.0
    destroy_seconds: float = 0.0

    def note(self, text: str) -> None:
        self.steps.append(text)
        log(f"{self.stack.construct_id}: {text}")

    def fail(self, text: str) -> None:
        self.problems.append(text)
        log(f"{self.stack.construct_id}: PROBLEM {text}")


_CLIENT_LOCK = threading.Lock()


def aws(service: str, region: str) -> Any:
    """A boto3 client from its own session (stacks run in threads; the default session is not thread-safe)."""
    import boto3

    with _CLIENT_LOCK:
        return boto3.session.Session().client(service, region_name=region)


def error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__))


@contextmanager
def refused(run: StackRun, action: str, expected: str) -> Iterator[None]:
    """The block must fail with ``expected`` in its message; a success or another message is a problem."""
    try:
        yield
    except Exception as error:  # a ClientError or DeployError: both carry the service's message
        message = str(error)
        if expected.lower() in message.lower():
            first = next((line for line in message.splitlines() if expected.lower() in line.lower()), message)
            first = first.encode("ascii", "ignore").decode().strip()  # the CDK CLI's status symbols
            run.note(f"{action}: refused ({first[:300]})")
        else:
            run.fail(f"{action}: failed, but not with '{expected}': {message[:300]}")
        return
    run.fail(f"{action}: was NOT refused")


# ---------------------------------------------------------------------------------------------------------------------
# Inventory: the stack's data stores, and what deleting the stack should do to each
# ---------------------------------------------------------------------------------------------------------------------


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


def inventory(tool: Tool, stack: Stack) -> list[DataStore]:
    if isinstance(tool, CdkTool):
        return cdk_inventory(tool, stack)
    if isinstance(tool, TerraformTool):
        return terraform_inventory(tool, stack)
    raise ValueError(f"tool: {type(tool).__name__} is not one of {sorted(TOOLS)}")


def synthesized_profiles(tool: Tool) -> dict[str, str | None]:
    """Each synthesized stack's profile, from the Profile tag its resources carry (not from the tool's setting)."""
    from constructs_lib.model import load_stacks

    folder = tool.assembly if isinstance(tool, CdkTool) else tool.outdir  # type: ignore[attr-defined]
    return {model.name: model.profile for model in load_stacks([folder])}


# ---------------------------------------------------------------------------------------------------------------------
# Write before the destroy, read back after it, clean up
# ---------------------------------------------------------------------------------------------------------------------


def write_probe(store: DataStore, token: str) -> Any:
    """Write ``token`` to ``store`` (or read a database's protection settings); returns what :func:`read_back` needs."""
    region = store.region
    if store.kind == "bucket":
        s3 = aws("s3", region)
        extra: dict[str, str] = {}
        rules = s3.get_bucket_encryption(Bucket=store.name)["ServerSideEncryptionConfiguration"]["Rules"]
        default = rules[0]["ApplyServerSideEncryptionByDefault"]
        extra["ServerSideEncryption"] = default["SSEAlgorithm"]
        if default.get("KMSMasterKeyID"):
            extra["SSEKMSKeyId"] = default["KMSMasterKeyID"]
        s3.put_object(Bucket=store.name, Key=PROBE_KEY, Body=token.encode(), **extra)
        return {"sse": extra["ServerSideEncryption"]}
    if store.kind == "stream":
        written = aws("kinesis", region).put_record(StreamName=store.name, Data=token.encode(), PartitionKey="probe")
        return {"shard": written["ShardId"], "sequence": written["SequenceNumber"]}
    if store.kind == "queue":
        aws("sqs", region).send_message(QueueUrl=store.name, MessageBody=token)
        return {}
    if store.kind == "secret":
        version = aws("secretsmanager", region).put_secret_value(SecretId=store.name, SecretString=token)
        return {"version": version["VersionId"]}
    if store.kind == "log_group":
        logs = aws("logs", region)
        logs.create_log_stream(logGroupName=store.name, logStreamName=PROBE_LOG_STREAM)
        event = {"timestamp": int(time.time() * 1000), "message": token}
        logs.put_log_events(logGroupName=store.name, logStreamName=PROBE_LOG_STREAM, logEvents=[event])
        return {}
    if store.kind == "key":
        return {"ciphertext": aws("kms", region).encrypt(KeyId=store.name, Plaintext=token.encode())["CiphertextBlob"]}
    if store.kind in ("db_instance", "db_cluster"):
        return database_settings(store)
    if store.kind == "cache":
        group = aws("elasticache", region).describe_replication_groups(ReplicationGroupId=store.name)
        return {"snapshot_retention_days": group["ReplicationGroups"][0].get("SnapshotRetentionLimit", 0)}
    raise ValueError(f"kind: {store.kind!r} is not one of {sorted({kind for kind, _ in TF_KINDS.values()})}")


def database_settings(store: DataStore) -> dict[str, Any]:
    rds = aws("rds", store.region)
    if store.kind == "db_instance":
        found = rds.describe_db_instances(DBInstanceIdentifier=store.name)["DBInstances"][0]
    else:
        found = rds.describe_db_clusters(DBClusterIdentifier=store.name)["DBClusters"][0]
    return {"deletion_protection": found.get("DeletionProtection"), "backup_days": found.get("BackupRetentionPeriod")}


def read_back(store: DataStore, token: str, probe: Any) -> str:
    """What was kept of ``store`` after the destroy, as a phrase; raises when it is not there or not the same."""
    region = store.region
    if store.kind == "bucket":
        body = aws("s3", region).get_object(Bucket=store.name, Key=PROBE_KEY)["Body"].read().decode()
        expect_equal(body, token, f"s3://{store.name}/{PROBE_KEY}")
        return f"bucket {store.name} (object read back, {probe['sse']})"
    if store.kind == "stream":
        kinesis = aws("kinesis", region)
        iterator = kinesis.get_shard_iterator(
            StreamName=store.name,
            ShardId=probe["shard"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=probe["sequence"],
        )["ShardIterator"]
        records = kinesis.get_records(ShardIterator=iterator, Limit=1)["Records"]
        expect_equal(records[0]["Data"].decode() if records else "", token, f"stream {store.name}")
        return f"stream {store.name} (record read back)"
    if store.kind == "queue":
        messages = aws("sqs", region).receive_message(QueueUrl=store.name, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies = [message["Body"] for message in messages.get("Messages", [])]
        expect_equal(token if token in bodies else bodies, token, f"queue {store.name}")
        return f"queue {store.name.rsplit('/', 1)[-1]} (message read back)"
    if store.kind == "secret":
        value = aws("secretsmanager", region).get_secret_value(SecretId=store.name, VersionId=probe["version"])
        expect_equal(value["SecretString"], token, f"secret {store.name}")
        return f"secret {store.name.rsplit(':', 1)[-1]} (version read back)"
    if store.kind == "log_group":
        events = aws("logs", region).get_log_events(logGroupName=store.name, logStreamName=PROBE_LOG_STREAM)["events"]
        expect_equal(token if token in [e["message"] for e in events] else events, token, f"log group {store.name}")
        return f"log group {store.name} (event read back)"
    if store.kind == "key":
        kms = aws("kms", region)
        state = kms.describe_key(KeyId=store.name)["KeyMetadata"]["KeyState"]
        expect_equal(state, "Enabled", f"key {store.name} state")
        plaintext = kms.decrypt(CiphertextBlob=probe["ciphertext"])["Plaintext"].decode()
        expect_equal(plaintext, token, f"key {store.name} decrypt")
        return f"key {store.name} (Enabled, decrypts)"
    if store.kind in ("db_instance", "db_cluster", "cache"):
        snapshots = final_snapshots(store)
        if not snapshots:
            raise AssertionError(f"{store.kind} {store.name}: no final snapshot")
        return f"{store.kind} {store.name} final snapshot {snapshots[0]}"
    raise ValueError(f"kind: {store.kind!r} has no read-back")


def expect_equal(seen: Any, expected: Any, what: str) -> None:
    if seen != expected:
        raise AssertionError(f"{what}: read back {str(seen)[:120]!r}, wrote {str(expected)[:120]!r}")


def final_snapshots(store: DataStore) -> list[str]:
    """Manual (final) snapshots of a database or cache that outlive it."""
    if store.kind == "db_instance":
        found = aws("rds", store.region).describe_db_snapshots(DBInstanceIdentifier=store.name, SnapshotType="manual")
        return [item["DBSnapshotIdentifier"] for item in found["DBSnapshots"]]
    if store.kind == "db_cluster":
        found = aws("rds", store.region).describe_db_cluster_snapshots(
            DBClusterIdentifier=store.name, SnapshotType="manual"
        )
        return [item["DBClusterSnapshotIdentifier"] for item in found["DBClusterSnapshots"]]
    # Listed unfiltered and matched here: a filter on ReplicationGroupId may be refused once the group is gone.
    paginator = aws("elasticache", store.region).get_paginator("describe_snapshots")
    return [
        item["SnapshotName"]
        for page in paginator.paginate()
        for item in page["Snapshots"]
        if item.get("ReplicationGroupId") == store.name
    ]


def clean_up(store: DataStore) -> None:
    """Delete what the prod destroy kept of ``store`` (the operator's explicit last step)."""
    region = store.region
    if store.kind == "bucket":
        s3 = aws("s3", region)
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=store.name):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                s3.delete_object(Bucket=store.name, Key=item["Key"], VersionId=item["VersionId"])
        s3.delete_bucket(Bucket=store.name)
    elif store.kind == "stream":
        aws("kinesis", region).delete_stream(StreamName=store.name, EnforceConsumerDeletion=True)
    elif store.kind == "queue":
        aws("sqs", region).delete_queue(QueueUrl=store.name)
    elif store.kind == "secret":
        aws("secretsmanager", region).delete_secret(SecretId=store.name, ForceDeleteWithoutRecovery=True)
    elif store.kind == "log_group":
        aws("logs", region).delete_log_group(logGroupName=store.name)
    elif store.kind == "key":
        kms = aws("kms", region)
        for alias in kms.list_aliases(KeyId=store.name).get("Aliases", []):
            kms.delete_alias(AliasName=alias["AliasName"])
        kms.schedule_key_deletion(KeyId=store.name, PendingWindowInDays=KEY_DELETION_DAYS)
    elif store.kind == "db_instance":
        for name in final_snapshots(store):
            aws("rds", region).delete_db_snapshot(DBSnapshotIdentifier=name)
    elif store.kind == "db_cluster":
        for name in final_snapshots(store):
            aws("rds", region).delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=name)
    elif store.kind == "cache":
        for name in final_snapshots(store):
            aws("elasticache", region).delete_snapshot(SnapshotName=name)


def still_there(store: DataStore) -> bool:
    """Whether anything of ``store`` remains after :func:`clean_up` (a key pending deletion counts as gone)."""
    region = store.region
    calls: dict[str, Callable[[], Any]] = {
        "bucket": lambda: aws("s3", region).head_bucket(Bucket=store.name),
        "stream": lambda: aws("kinesis", region).describe_stream_summary(StreamName=store.name),
        "queue": lambda: aws("sqs", region).get_queue_attributes(QueueUrl=store.name),
        "secret": lambda: aws("secretsmanager", region).describe_secret(SecretId=store.name),
    }
    if store.kind in calls:
        try:
            calls[store.kind]()
        except Exception as error:
            if "NotFound" in error_code(error) or "NonExistent" in error_code(error) or error_code(error) == "404":
                return False
            raise
        return True
    if store.kind == "log_group":
        groups = aws("logs", region).describe_log_groups(logGroupNamePrefix=store.name)["logGroups"]
        return any(group["logGroupName"] == store.name for group in groups)
    if store.kind == "key":
        return aws("kms", region).describe_key(KeyId=store.name)["KeyMetadata"]["KeyState"] != "PendingDeletion"
    return bool(final_snapshots(store))


# ---------------------------------------------------------------------------------------------------------------------
# Protection: refused, then lifted on purpose
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Protected:
    """A resource that refuses to be deleted: its kind, the name or ARN its service knows it by, where it came from."""

    kind: str
    name: str
    source: str


#: Terraform type of a deletion-protected resource -> (kind, the state attribute that names it in the API).
TF_PROTECTED_KINDS: dict[str, tuple[str, str]] = {
    "aws_db_instance": ("db_instance", "identifier"),
    "aws_rds_cluster": ("db_cluster", "cluster_identifier"),
    "aws_networkfirewall_firewall": ("firewall", "arn"),
}


def protected_resources(tool: Tool, stack: Stack, stores: list[DataStore], probes: dict[DataStore, Any]) -> list[Any]:
    """What refuses deletion: for Terraform what its state says (any type), for CDK the databases read back."""
    if isinstance(tool, TerraformTool):
        found = []
        for address, resource_type, attributes in tool.protected_resources(stack):
            kind, name_attribute = TF_PROTECTED_KINDS.get(resource_type, (resource_type, "id"))
            found.append(Protected(kind, str(attributes.get(name_attribute) or ""), address))
        return found
    databases = [store for store in stores if store.kind in ("db_instance", "db_cluster")]
    return [
        Protected(store.kind, store.name, store.source)
        for store in databases
        if (probes.get(store) or {}).get("deletion_protection")
    ]


def show_protection(run: StackRun, tool: Tool, stores: list[DataStore]) -> list[Protected]:
    """A destroy, and a direct delete of each protected database, must be refused while protection is on."""
    stack = run.stack
    protected = protected_resources(tool, stack, stores, run.probes)
    if isinstance(tool, CdkTool):
        with refused(run, "cdk destroy with termination protection on", "TerminationProtection"):
            tool.destroy(stack)
    if isinstance(tool, TerraformTool):
        if protected:
            with refused(run, "prod teardown (terraform) with deletion protection on", "deletion protection is on"):
                tool.destroy(stack)
        else:
            run.fail("terraform: nothing in this prod stack is deletion-protected, so nothing refuses a destroy")
    if not tool.state(stack).deployed:
        run.fail("the stack is not deployed any more after the refused destroy")
    rds = aws("rds", stack.region)
    for item in protected:
        if item.kind not in ("db_instance", "db_cluster"):
            continue
        action = f"DeleteDB{'Instance' if item.kind == 'db_instance' else 'Cluster'} {item.name} without snapshot"
        with refused(run, action, "deletion protection"):
            if item.kind == "db_instance":
                rds.delete_db_instance(DBInstanceIdentifier=item.name, SkipFinalSnapshot=True)
            else:
                rds.delete_db_cluster(DBClusterIdentifier=item.name, SkipFinalSnapshot=True)
    for store in stores:
        if store.kind in ("db_instance", "db_cluster") and not (run.probes.get(store) or {}).get("deletion_protection"):
            run.fail(f"{store.kind} {store.name} is not deletion-protected in prod")
    return protected


def lift_protection(run: StackRun, tool: Tool, protected: list[Protected]) -> None:
    """The operator's deliberate step before a prod teardown: explicit API calls, each logged."""
    stack = run.stack
    if isinstance(tool, CdkTool):
        aws("cloudformation", stack.region).update_termination_protection(
            StackName=stack.stack_name, EnableTerminationProtection=False
        )
        run.note(f"lifted: UpdateTerminationProtection {stack.stack_name} EnableTerminationProtection=false")
    for item in protected:
        if item.kind == "db_instance":
            aws("rds", stack.region).modify_db_instance(
                DBInstanceIdentifier=item.name, DeletionProtection=False, ApplyImmediately=True
            )
            run.note(f"lifted: ModifyDBInstance {item.name} DeletionProtection=false")
        elif item.kind == "db_cluster":
            aws("rds", stack.region).modify_db_cluster(
                DBClusterIdentifier=item.name, DeletionProtection=False, ApplyImmediately=True
            )
            run.note(f"lifted: ModifyDBCluster {item.name} DeletionProtection=false")
        elif item.kind == "firewall":
            aws("network-firewall", stack.region).update_firewall_delete_protection(
                FirewallArn=item.name, DeleteProtection=False
            )
            run.note(f"lifted: UpdateFirewallDeleteProtection {item.name} DeleteProtection=false")
        else:
            run.fail(f"no known way to lift the deletion protection of {item.kind} {item.source}")


# ---------------------------------------------------------------------------------------------------------------------
# One stack, end to end
# ---------------------------------------------------------------------------------------------------------------------


def check_stack(tool: Tool, stack: Stack) -> StackRun:
    """Deploy, write, refuse, lift, destroy, read back, clean up: one stack; every problem is collected, not raised."""
    run = StackRun(stack, tool.name)
    token = f"prod-keeps-data {stack.construct_id} {uuid.uuid4()}"
    started = time.monotonic()
    tool.deploy(stack)
    run.deploy_seconds = round(time.monotonic() - started, 1)
    if not tool.state(stack).deployed:
        run.fail(f"not deployed: {tool.state(stack)}")
        return run
    run.note(f"deployed (prod) in {run.deploy_seconds:.1f} s")
    stores = inventory(tool, stack)
    for store in stores:
        try:
            run.probes[store] = write_probe(store, token)
        except Exception as error:
            run.fail(f"write to {store.kind} {store.name}: {error}")
    for store in stores:
        if store.kind in ("db_instance", "db_cluster"):
            settings = run.probes.get(store, {})
            run.note(f"{store.kind} {store.name}: {settings}, on delete: {store.on_delete}")
            if not settings.get("backup_days"):
                run.fail(f"{store.kind} {store.name} keeps no automated backups")
            if store.on_delete != SNAPSHOT:
                run.fail(f"{store.kind} {store.name} takes no final snapshot on delete ({store.source})")
    protected = show_protection(run, tool, stores)
    lift_protection(run, tool, protected)
    started = time.monotonic()
    try:
        tool.destroy(stack)
    except DeployError as error:
        run.fail(f"prod teardown failed: {str(error)[:500]}")
    run.destroy_seconds = round(time.monotonic() - started, 1)
    state = tool.state(stack)
    if not state.gone:
        run.fail(f"stack not gone after the prod teardown: {state.status} {state.reason}")
    run.note(f"destroyed in {run.destroy_seconds:.1f} s")
    kept_stores = [store for store in stores if store.on_delete != DELETE]
    for store in kept_stores:
        try:
            run.kept.append(read_back(store, token, run.probes.get(store)))
        except Exception as error:
            run.fail(f"not kept: {store.kind} {store.name} ({store.source}): {error}")
    for store in kept_stores:
        try:
            clean_up(store)
            if still_there(store):
                run.fail(f"still there after clean-up: {store.kind} {store.name}")
        except Exception as error:
            run.fail(f"clean-up of {store.kind} {store.name}: {error}")
    run.note(f"kept {len(run.kept)}, cleaned up {len(kept_stores)}")
    return run


def check_prod_keeps_data(
    tools: list[Tool], figures: dict[str, StackFigures], selected: list[str] | None = None
) -> list[CheckOutcome]:
    """Check 3 on every stack of ``tools``, built for prod (``TOOLS[name]("prod", suffix)``): one outcome per stack;
    fills ``figures[stack].kept_by_prod_destroy`` (and ``deploy_seconds`` when no earlier check measured it).

    A tool's output folder may hold another profile's synthesis (checks share ``cdk.out.local``): a prod tool is
    synthesized again then. Which profile a stack has is read from its Profile tag, so a stack that is not prod fails.
    """
    require_emulator()
    outcomes: list[CheckOutcome] = []
    lock = threading.Lock()
    for tool in tools:
        if not tool.synthesized() or (
            getattr(tool, "profile", None) == PROD and set(synthesized_profiles(tool).values()) != {PROD}
        ):
            tool.synthesize()
        profiles = synthesized_profiles(tool)
        stacks = [stack for stack in tool.stacks() if not selected or stack.construct_id in selected]
        tool.prepare(stacks)

        def one(stack: Stack, tool: Tool = tool, profiles: dict[str, str | None] = profiles) -> None:
            started = time.monotonic()
            if profiles.get(stack.stack_name) != PROD:
                found = profiles.get(stack.stack_name)
                outcome = CheckOutcome(CHECK, stack.construct_id, False, f"synthesized for profile {found!r}, not prod")
            else:
                try:
                    outcome = outcome_of(check_stack(tool, stack), time.monotonic() - started, figures)
                except Exception as error:  # a deploy that failed: the outcome says so, other stacks go on
                    outcome = CheckOutcome(CHECK, stack.construct_id, False, f"{type(error).__name__}: {error}"[:800])
            outcome.seconds = round(time.monotonic() - started, 1)
            with lock:
                outcomes.append(outcome)

        for_each_stack(tool, stacks, one)
    return outcomes


def outcome_of(run: StackRun, seconds: float, figures: dict[str, StackFigures]) -> CheckOutcome:
    name = run.stack.construct_id
    figure = figures.setdefault(name, StackFigures(name, run.tool))
    figure.kept_by_prod_destroy = len(run.kept)
    if figure.deploy_seconds is None:
        figure.deploy_seconds = run.deploy_seconds
    summary = (
        f"deploy {run.deploy_seconds:.1f} s, destroy {run.destroy_seconds:.1f} s, kept {len(run.kept)}: "
        + "; ".join(run.kept)
    )
    if run.problems:
        return CheckOutcome(CHECK, name, False, "; ".join(run.problems) + f" | {summary}", round(seconds, 1))
    refusals = [step for step in run.steps if "refused" in step]
    return CheckOutcome(CHECK, name, True, " | ".join([*refusals, summary]), round(seconds, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    parser.add_argument("--tool", action="append", dest="tools", choices=sorted(TOOLS), help="default: every tool")
    parser.add_argument("--suffix", default="prodkeep", help="environment suffix of the prod deployment")
    parser.add_argument("--reuse-assembly", action="store_true", help="use what is synthesized (no synth)")
    args = parser.parse_args(argv)
    tools = [TOOLS[name](PROD, args.suffix) for name in (args.tools or sorted(TOOLS))]
    if not args.reuse_assembly:
        for tool in tools:
            tool.synthesize()

    def run() -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
        figures: dict[str, StackFigures] = {}
        return check_prod_keeps_data(tools, figures, args.stacks), figures

    return report(run)


if __name__ == "__main__":
    sys.exit(main())
