"""cdk-nag (AwsSolutions, HIPAA Security, PCI DSS 3.2.1) over the data-tier and compute constructs.

The constructs leave exactly the findings listed here, each with the reason it stays; a new finding, or a listed one
that disappears, fails the test so the list (and the stacks' acknowledgements) stay true.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_

from constructs_lib.cdk.aurora_cluster import AuroraServerlessCluster
from constructs_lib.cdk.compliance import acknowledgements, enable_compliance_checks
from constructs_lib.cdk.container_cluster import ContainerCluster
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.network import Network
from constructs_lib.cdk.postgres_instance import PostgresInstance
from constructs_lib.cdk.redis_cluster import RedisReplicationGroup
from constructs_lib.cdk.stream_consumer import StreamConsumerFunction
from constructs_lib.policy import accepted_findings

#: Construct ids under test; acknowledgements on the Network, key and stream belong to other constructs' tests.
OURS = ("Postgres", "Aurora", "Cache", "Cluster", "Consumer")
MONITORING_POLICY = accepted_findings.RDS_MONITORING_MANAGED_POLICY.rules[0]

#: (rule, construct path) acknowledged in both profiles, each by a policy decision in accepted_findings.
ACKNOWLEDGED: set[tuple[str, str]] = {
    (MONITORING_POLICY, "Postgres/MonitoringRole"),
    (MONITORING_POLICY, "Aurora/MonitoringRole"),
    ("AwsSolutions-RDS11", "Postgres/Instance"),
    ("HIPAA.Security-RDSInBackupPlan", "Postgres/Instance"),
    ("HIPAA.Security-RDSInBackupPlan", "Aurora"),
    ("AwsSolutions-AEC5", "Cache/ReplicationGroup"),
    ("AwsSolutions-SMG4", "Cache/AuthToken"),
    ("HIPAA.Security-SecretsManagerRotationEnabled", "Cache/AuthToken"),
    ("AwsSolutions-SQS3", "ConsumerStreamFailureQueue"),
    ("AwsSolutions-IAM5[Resource::*]", "ConsumerRole"),
    ("AwsSolutions-L1", "Consumer"),
}
#: Only in dev: single-AZ and unprotected by design of the dev profile, never acknowledged in prod.
ACKNOWLEDGED_DEV: set[tuple[str, str]] = {
    ("AwsSolutions-RDS3", "Postgres/Instance"),
    ("HIPAA.Security-RDSMultiAZSupport", "Postgres/Instance"),
    ("AwsSolutions-AEC4", "Postgres/Instance"),
    ("AwsSolutions-RDS3", "Cache/ReplicationGroup"),
    ("HIPAA.Security-RDSMultiAZSupport", "Cache/ReplicationGroup"),
    ("AwsSolutions-AEC4", "Cache/ReplicationGroup"),
    ("AwsSolutions-RDS10", "Postgres/Instance"),
    ("HIPAA.Security-RDSInstanceDeletionProtectionEnabled", "Postgres/Instance"),
    ("AwsSolutions-RDS10", "Aurora/Cluster"),
    ("HIPAA.Security-RDSInstanceDeletionProtectionEnabled", "Aurora/Cluster"),
}
#: Left for the stack to decide: the task environment's content is the caller's choice.
LEFT_TO_THE_STACK = {("AwsSolutions-ECS2", "Cluster/Processor/Resource")}


@functools.cache
def findings(profile: str, outdir: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Acknowledgements made by our constructs, and the error findings left on them, as (rule, path)."""
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"}, outdir=str(outdir))
    stack = cdk.Stack(app, "Data")
    key = EncryptionKey(stack, "Key")
    network = Network(stack, "Network", encryption_key=key)
    shared = {"vpc": network, "encryption_key": key}
    postgres = PostgresInstance(stack, "Postgres", **shared)
    aurora = AuroraServerlessCluster(stack, "Aurora", **shared)
    cache = RedisReplicationGroup(stack, "Cache", **shared)
    cluster = ContainerCluster(stack, "Cluster", **shared)
    stream = kinesis.Stream(stack, "Stream", encryption=kinesis.StreamEncryption.KMS, encryption_key=key)
    task = cluster.add_processing_task("Processor", environment={"STREAM_NAME": stream.stream_name})
    consumer = StreamConsumerFunction(
        stack,
        "Consumer",
        stream=stream,
        code=lambda_.Code.from_inline("def h(e, c): pass"),
        handler="index.h",
        **shared,
    )
    for database in (postgres, aurora, cache):
        database.allow_from(consumer)
    postgres.grant_connect_secret(consumer)
    aurora.grant_connect_secret(task.task_role)
    cache.grant_read_auth_token(task.task_role)
    stream.grant_read(task.task_role)
    enable_compliance_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((outdir / "validation-report.json").read_text())
    acknowledged = {(rule, path.removeprefix("Data/")) for rule, path in acknowledgements(stack)}
    return acknowledged, {
        (violation["ruleName"], construct["constructPath"].removeprefix("Data/"))
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        if violation["severity"] == "error"
        for construct in violation["violatingConstructs"]
        if construct["constructPath"].removeprefix("Data/").startswith(OURS)
    }


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nag")


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_only_the_stacks_own_decision_is_left_unacknowledged(profile: str, outdir: Path) -> None:
    _, remaining = findings(profile, outdir / profile)
    assert remaining == LEFT_TO_THE_STACK


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_constructs_acknowledge_exactly_the_policys_accepted_findings(profile: str, outdir: Path) -> None:
    acknowledged, _ = findings(profile, outdir / profile)
    ours = {(rule, path) for rule, path in acknowledged if path.startswith(OURS)}
    assert ours == ACKNOWLEDGED | (ACKNOWLEDGED_DEV if profile == "dev" else set())
