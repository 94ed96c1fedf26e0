"""Format-neutral property names: ``engine_version`` is ``EngineVersion`` in CloudFormation, ``engine_version`` in
Terraform. Checks ask for the neutral name and read whichever the resource was written in.

A name lists candidate paths per format, tried in order (an RDS instance's password is ``password`` in Terraform,
a cluster's ``master_password``). Paths use dots; a Terraform block written as a one-element list (JSON allows a
block as ``{...}`` or ``[{...}]``) is stepped into either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_MISSING = object()

#: neutral name -> {format: candidate property paths}
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "engine": {"cloudformation": ("Engine",), "terraform": ("engine",)},
    "engine_version": {"cloudformation": ("EngineVersion",), "terraform": ("engine_version",)},
    "engine_mode": {"cloudformation": ("EngineMode",), "terraform": ("engine_mode",)},
    "port": {"cloudformation": ("Port",), "terraform": ("port",)},
    "instance_class": {
        "cloudformation": ("DBInstanceClass", "CacheNodeType"),
        "terraform": ("instance_class", "node_type"),
    },
    "master_secret": {
        "cloudformation": ("MasterUserPassword", "AuthToken"),
        "terraform": ("password", "master_password", "auth_token", "password_wo", "master_password_wo"),
    },
    "managed_master_secret": {
        "cloudformation": ("ManageMasterUserPassword",),
        "terraform": ("manage_master_user_password",),
    },
    "auth_token": {"cloudformation": ("AuthToken",), "terraform": ("auth_token",)},
    "user_groups": {"cloudformation": ("UserGroupIds",), "terraform": ("user_group_ids",)},
    "transit_encryption": {
        "cloudformation": ("TransitEncryptionEnabled",),
        "terraform": ("transit_encryption_enabled",),
    },
    "publicly_accessible": {"cloudformation": ("PubliclyAccessible",), "terraform": ("publicly_accessible",)},
    "deletion_protection": {
        "cloudformation": ("DeletionProtection", "DeletionProtectionEnabled"),
        "terraform": ("deletion_protection",),
    },
    "security_groups": {
        "cloudformation": ("VPCSecurityGroups", "VpcSecurityGroupIds", "SecurityGroupIds"),
        "terraform": ("vpc_security_group_ids", "security_group_ids"),
    },
    "cluster": {"cloudformation": ("DBClusterIdentifier",), "terraform": ("cluster_identifier",)},
    "serverless_min_capacity": {
        "cloudformation": ("ServerlessV2ScalingConfiguration.MinCapacity",),
        "terraform": ("serverlessv2_scaling_configuration.min_capacity",),
    },
    "kms_key": {"cloudformation": ("KmsKeyId",), "terraform": ("kms_key_id",)},
    "retention_days": {"cloudformation": ("RetentionInDays",), "terraform": ("retention_in_days",)},
    "bucket_name": {"cloudformation": ("BucketName",), "terraform": ("bucket",)},
    "replication_group": {"cloudformation": ("ReplicationGroupId",), "terraform": ("replication_group_id",)},
    "restore_source": {
        "cloudformation": (
            "DBSnapshotIdentifier",
            "SnapshotIdentifier",
            "SourceDBInstanceIdentifier",
            "SourceDBClusterIdentifier",
            "ReplicationSourceIdentifier",
            "GlobalClusterIdentifier",
            "RestoreToTime",
            "UseLatestRestorableTime",
        ),
        "terraform": (
            "snapshot_identifier",
            "replicate_source_db",
            "replication_source_identifier",
            "global_cluster_identifier",
            "restore_to_point_in_time",
            "s3_import",
        ),
    },
}


def paths(name: str, source_format: str) -> tuple[str, ...]:
    """Candidate paths of ``name`` in ``source_format``; an unknown name is taken as a literal path."""
    spec = FIELDS.get(name)
    return spec[source_format] if spec else (name,)


def step(value: Any, key: str) -> Any:
    """``value[key]``, stepping into a one-element list first (a Terraform block written as ``[{...}]``)."""
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 1:
        value = value[0]
    if isinstance(value, Mapping) and key in value:
        return value[key]
    return _MISSING


def dig(properties: Mapping[str, Any], dotted: str) -> Any:
    """The value at ``a.b.c`` or the module's missing marker; see :func:`lookup` for the public form."""
    value: Any = properties
    for key in dotted.split("."):
        value = step(value, key)
        if value is _MISSING:
            break
    return value


def lookup(properties: Mapping[str, Any], candidates: Sequence[str], default: Any = None) -> Any:
    """The first candidate path present (and not null) in ``properties``, else ``default``."""
    for dotted in candidates:
        value = dig(properties, dotted)
        if value is not _MISSING and value is not None:
            return value
    return default


def found_path(properties: Mapping[str, Any], candidates: Sequence[str]) -> str | None:
    """Which candidate path :func:`lookup` would read, or ``None``."""
    for dotted in candidates:
        value = dig(properties, dotted)
        if value is not _MISSING and value is not None:
            return dotted
    return None
