"""Deployment profiles: what a stack does with its data when it is deleted, and how much it pays for availability.

``dev`` exists to be torn down by automation and leave nothing behind; ``prod`` exists to lose no data.
Security controls (encryption, TLS, logging, least privilege) are the same in both: a profile never weakens them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from constructs_lib.policy.errors import ConfigurationError


class RemovalBehaviour(StrEnum):
    """What happens to a resource when its stack is deleted (rendered as CDK RemovalPolicy / Terraform flags)."""

    DESTROY = "destroy"
    RETAIN = "retain"
    SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class Profile:
    """One coherent set of durability and availability choices; each field says why it has its value."""

    name: str
    #: Data stores (databases, caches): dev deletes them, prod keeps a final snapshot.
    database_removal: RemovalBehaviour
    #: Buckets, keys and log groups: dev deletes them (emptying buckets first), prod retains them.
    storage_removal: RemovalBehaviour
    #: Stops an accidental `destroy` from deleting a database; it would also stop dev teardown.
    deletion_protection: bool
    #: Standby in a second AZ: prod survives an AZ loss; dev pays for one instance.
    multi_az: bool
    #: One NAT gateway (dev, ~$33/month) or one per AZ (prod, no cross-AZ single point of failure).
    nat_gateways_per_az: bool
    #: Aurora Serverless v2 floor: 0 ACU with auto-pause costs nothing idle; prod keeps a warm 0.5 ACU.
    aurora_min_capacity: float
    aurora_max_capacity: float
    #: Seconds of inactivity before a 0-ACU Aurora cluster pauses (only used when the floor is 0).
    aurora_auto_pause_seconds: int
    #: Aurora readers beside the writer: prod gets one in another AZ for failover.
    aurora_readers: int
    #: Redis replicas: prod gets one replica and automatic failover across AZs.
    cache_replicas: int
    #: Days Secrets Manager keeps a deleted secret recoverable (0 = delete now, so a redeploy can reuse the name).
    secret_recovery_days: int
    #: Tasks of each processing service: dev runs one; prod two, so a task lost with its AZ leaves one consuming.
    processing_tasks: int
    #: The most tasks a service scaling on its backlog may run: a cost ceiling for a queue that keeps growing.
    processing_max_tasks: int


PROFILES: dict[str, Profile] = {
    "dev": Profile(
        name="dev",
        database_removal=RemovalBehaviour.DESTROY,
        storage_removal=RemovalBehaviour.DESTROY,
        deletion_protection=False,
        multi_az=False,
        nat_gateways_per_az=False,
        aurora_min_capacity=0,
        aurora_max_capacity=2,
        aurora_auto_pause_seconds=300,
        aurora_readers=0,
        cache_replicas=0,
        secret_recovery_days=0,
        processing_tasks=1,
        processing_max_tasks=2,
    ),
    "prod": Profile(
        name="prod",
        database_removal=RemovalBehaviour.SNAPSHOT,
        storage_removal=RemovalBehaviour.RETAIN,
        deletion_protection=True,
        multi_az=True,
        nat_gateways_per_az=True,
        aurora_min_capacity=0.5,
        aurora_max_capacity=16,
        aurora_auto_pause_seconds=0,
        aurora_readers=1,
        cache_replicas=1,
        secret_recovery_days=30,
        processing_tasks=2,
        processing_max_tasks=10,
    ),
}

#: A construct used with no profile in its context keeps data: losing it is the failure that cannot be undone.
DEFAULT_PROFILE = "prod"


def profile_named(name: str) -> Profile:
    """The profile called ``name``, or a ConfigurationError that lists the profiles there are."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigurationError("profile", name, PROFILES) from None


# ---------------------------------------------------------------------------------------------------------------------
# Prod teardown of a Terraform stack: what it keeps
# ---------------------------------------------------------------------------------------------------------------------

#: Terraform has no Retain: a plain ``destroy`` of a prod stack deletes a bucket's policy, encryption and public-access
#: block before it fails on the non-empty bucket, and schedules the key that decrypts the kept data for deletion. The
#: prod teardown (``scripts/deployer/``) therefore removes every resource of these types from state before it
#: destroys the rest, so each kept store keeps its data, its controls and the key that reads it. Log groups are not
#: listed: prod renders them with ``skip_destroy``, which already makes destroy forget them without deleting them.
TERRAFORM_PROD_RETAINED_TYPES: tuple[str, ...] = (
    "aws_s3_bucket",
    "aws_kms_key",
    "aws_kms_alias",
    "aws_kms_key_policy",
    "aws_kinesis_stream",
    "aws_sqs_queue",
    "aws_sqs_queue_policy",
    "aws_sqs_queue_redrive_policy",
    "aws_sqs_queue_redrive_allow_policy",
    "aws_secretsmanager_secret",
    "aws_secretsmanager_secret_version",
    "aws_secretsmanager_secret_policy",
)
#: Every ``aws_s3_bucket_*`` type configures a bucket (policy, encryption, versioning, logging...): all stay with it.
TERRAFORM_PROD_RETAINED_PREFIXES: tuple[str, ...] = ("aws_s3_bucket_",)
#: ...except its event notifications: they point at the stack's functions and queues, which the teardown deletes, so
#: they are destroyed (emptied on the kept bucket), as CDK's notifications handler empties them when its stack goes.
TERRAFORM_PROD_NOT_RETAINED: tuple[str, ...] = ("aws_s3_bucket_notification",)

#: Each CloudFormation type the CDK prod profile renders with ``DeletionPolicy: Retain``, and its Terraform twin that
#: the prod teardown keeps (a unit test ties the two sides together).
RETAINED_TWINS: dict[str, str] = {
    "AWS::S3::Bucket": "aws_s3_bucket",
    "AWS::KMS::Key": "aws_kms_key",
    "AWS::Kinesis::Stream": "aws_kinesis_stream",
    "AWS::SQS::Queue": "aws_sqs_queue",
    "AWS::SecretsManager::Secret": "aws_secretsmanager_secret",
}
#: Retained CloudFormation types whose Terraform twin is kept another way, and how.
RETAINED_OTHERWISE: dict[str, str] = {
    "AWS::Logs::LogGroup": "aws_cloudwatch_log_group is rendered with skip_destroy=true in prod: destroy forgets it",
}


def terraform_retained_in_prod(resource_type: str) -> bool:
    """Whether the prod teardown of a Terraform stack keeps resources of ``resource_type`` (removes them from state)."""
    if resource_type in TERRAFORM_PROD_NOT_RETAINED:
        return False
    return resource_type in TERRAFORM_PROD_RETAINED_TYPES or resource_type.startswith(TERRAFORM_PROD_RETAINED_PREFIXES)
