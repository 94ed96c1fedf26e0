"""RedisReplicationGroup: ElastiCache Redis with TLS required, AUTH from Secrets Manager and logs under a CMK."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import Override, merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import removal_policy, storage_removal_policy
from constructs_lib.cdk.isolated_data_store import IsolatedDataStore, grant_secret_read
from constructs_lib.cdk.log_group import EncryptedLogGroup
from constructs_lib.policy import accepted_findings, compute, naming, services
from constructs_lib.policy.errors import ConfigurationError


class RedisReplicationGroup(IsolatedDataStore):
    """ElastiCache Redis replication group, secure with no arguments.

    - Engine and version from ``policy.engines["redis"]``; a concrete stack region where it is not offered fails at
      synth. Name ``<name_prefix>-<suffix>`` checked against ElastiCache's 40 characters at synth.
    - TLS required for every client, at-rest encryption with the CMK, and an AUTH token generated into Secrets
      Manager (CMK, characters Redis accepts) that the template only references (``{{resolve:secretsmanager:...}}``).
    - Replicas from the profile: dev one node (no failover possible), prod a replica with automatic failover and
      Multi-AZ. Daily snapshots kept a week; DeletionPolicy from the profile (dev Delete, prod Snapshot).
    - Isolated subnets, own security group with no ingress until :meth:`allow_from`.
    - Slow log and engine log delivered as JSON to two encrypted log groups.
    - The AUTH secret is deleted with a dev stack and retained by a prod one. (CloudFormation deletes a secret
      without a recovery window, so the profile's recovery days only apply to the Terraform rendering.)

    Example::

        cache = RedisReplicationGroup(self, "Cache", vpc=network, encryption_key=key, name_prefix="iot-cache")
        cache.allow_from(service)
        cache.grant_read_auth_token(service.task_definition.task_role)

    Any ``elasticache.CfnReplicationGroup`` prop may be passed (snake_case); replacing a hardened value is reported
    as a synth warning. ``replicas`` raises the replica count for a system that needs them in every profile.
    """

    ENGINE = "redis"
    NAME_KIND = "elasticache_replication_group"
    LABEL = "Redis"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc | None = None,
        encryption_key: kms.IKey | None = None,
        name_prefix: str | None = None,
        replicas: int | None = None,
        **overrides: Any,
    ) -> None:
        if "auth_token" in overrides:
            raise ConfigurationError("auth_token", "<hidden>", "nothing: the token is generated into Secrets Manager")
        super().__init__(scope, construct_id, vpc=vpc, encryption_key=encryption_key, name_prefix=name_prefix)
        profile, engine, name = self.profile, self.engine, self.name
        prefix, suffix = self.name_prefix, self.suffix
        subnet_group = elasticache.CfnSubnetGroup(
            self,
            "SubnetGroup",
            description=f"Isolated subnets of {name}",
            cache_subnet_group_name=naming.resource_name("elasticache_subnet_group", prefix, suffix),
            subnet_ids=self.isolated_subnet_ids,
        )
        # No secret name: CloudFormation generates a unique one, so a retained prod secret never blocks a redeploy.
        self.auth_secret = secretsmanager.Secret(
            self,
            "AuthToken",
            description=f"Redis AUTH token of {name}",
            encryption_key=self.encryption_key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=services.CACHE_AUTH_TOKEN_LENGTH,
                exclude_characters=services.CACHE_AUTH_TOKEN_EXCLUDED_CHARACTERS,
            ),
            removal_policy=storage_removal_policy(self),
        )
        self.log_groups: dict[str, EncryptedLogGroup] = {
            log_type: EncryptedLogGroup(
                self,
                "".join(part.title() for part in log_type.split("-")),
                purpose=compute.CACHE_LOG_PURPOSE,
                encryption_key=self.encryption_key,
                log_group_name=f"/aws/elasticache/{name}/{log_type}",
            )
            for log_type in compute.CACHE_LOG_TYPES
        }

        replica_count = profile.cache_replicas if replicas is None else replicas
        changed: list[Override] = []
        if replica_count < profile.cache_replicas:
            changed.append(Override("replicas", profile.cache_replicas, replica_count))
        defaults: dict[str, Any] = {
            "replication_group_id": name,
            "replication_group_description": f"Redis {name}",
            "engine": engine.engine,
            "engine_version": engine.version,
            "cache_node_type": services.CACHE_NODE_TYPE,
            "port": services.CACHE_PORT,
            "num_cache_clusters": 1 + replica_count,
            "automatic_failover_enabled": replica_count > 0,
            "multi_az_enabled": replica_count > 0,
            "transit_encryption_enabled": compute.CACHE_TRANSIT_ENCRYPTION,
            "transit_encryption_mode": compute.CACHE_TRANSIT_ENCRYPTION_MODE,
            "at_rest_encryption_enabled": compute.CACHE_AT_REST_ENCRYPTION,
            "kms_key_id": self.encryption_key.key_arn,
            # A dynamic reference: CloudFormation resolves it at deploy time; the template never holds the token.
            "auth_token": self.auth_secret.secret_value.unsafe_unwrap(),
            "cache_subnet_group_name": subnet_group.ref,
            "security_group_ids": [self.security_group.security_group_id],
            "snapshot_retention_limit": services.CACHE_SNAPSHOT_RETENTION_DAYS,
            "auto_minor_version_upgrade": compute.CACHE_AUTO_MINOR_VERSION_UPGRADE,
            "log_delivery_configurations": [
                elasticache.CfnReplicationGroup.LogDeliveryConfigurationRequestProperty(
                    destination_type=compute.CACHE_LOG_DESTINATION,
                    log_format=compute.CACHE_LOG_FORMAT,
                    log_type=log_type,
                    destination_details=elasticache.CfnReplicationGroup.DestinationDetailsProperty(
                        cloud_watch_logs_details=elasticache.CfnReplicationGroup.CloudWatchLogsDestinationDetailsProperty(
                            log_group=log_group.log_group_name
                        )
                    ),
                )
                for log_type, log_group in self.log_groups.items()
            ],
            "removal_policy": removal_policy(profile.database_removal),
        }
        props, override_changes = merge_with_defaults(defaults, overrides)
        compute.check_cache_failover(
            props["num_cache_clusters"], props["automatic_failover_enabled"], props["multi_az_enabled"]
        )
        removal = props.pop("removal_policy")
        self.replication_group = elasticache.CfnReplicationGroup(self, "ReplicationGroup", **props)
        self.replication_group.apply_removal_policy(removal)
        warn_overrides(self, changed + override_changes)
        accept(self.replication_group, accepted_findings.DEFAULT_CACHE_PORT)
        accept(self.auth_secret, accepted_findings.REDIS_AUTH_TOKEN_ROTATION)
        if not props.get("multi_az_enabled") and not profile.cache_replicas:
            accept(self.replication_group, accepted_findings.DEV_SINGLE_AZ)

        #: The port as deployed (a string, ready for environment variables and outputs).
        self.port: str = self.replication_group.attr_primary_end_point_port
        self.primary_endpoint_address: str = self.replication_group.attr_primary_end_point_address
        self.primary_endpoint_port: str = self.port
        self.replication_group_id: str = self.replication_group.ref
        self._listen_on(int(props["port"]))

    def grant_read_auth_token(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the AUTH token, and decrypt it with the CMK only through Secrets Manager."""
        return grant_secret_read(self, grantee, self.auth_secret.secret_arn, self.encryption_key)
