"""AuroraServerlessCluster: Aurora PostgreSQL Serverless v2 on L1 resources, always with a writer instance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from constructs import Construct

from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import Override, merge_member_props, merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings, removal_policy
from constructs_lib.cdk.isolated_data_store import (
    IsolatedDataStore,
    grant_secret_read,
    refuse_literal_master_password,
)
from constructs_lib.cdk.log_group import database_log_groups
from constructs_lib.policy import accepted_findings, compute, naming, retention, services
from constructs_lib.policy.errors import ConfigurationError

#: Scaling props accepted as overrides next to the CfnDBCluster props, and the property they make.
_SCALING_PROPS = ("min_capacity", "max_capacity", "seconds_until_auto_pause")
_SCALING_CONFIGURATION = "serverless_v2_scaling_configuration"
#: CfnDBInstance props set for each instance, never through ``instance_props``.
_PER_INSTANCE_PROPS = ("db_instance_identifier", "db_cluster_identifier", "promotion_tier")


class AuroraServerlessCluster(IsolatedDataStore):
    """Aurora PostgreSQL Serverless v2 cluster, secure with no arguments.

    - A cluster with no DB instance accepts no connection (seed 003 shipped one): there is always one
      ``db.serverless`` writer, plus the profile's readers (prod: one, a failover target in another AZ).
    - ACU range from the profile: dev scales to 0 and pauses after the profile's idle seconds; prod keeps 0.5 warm.
    - Engine version from ``policy.engines["aurora-postgresql"]`` (>= 16.3, so scale-to-zero works); a concrete stack
      region where it is not offered fails at synth.
    - RDS-managed master password in Secrets Manager under the CMK; storage and Performance Insights encrypted with
      the CMK; TLS forced and connections logged by the cluster parameter group; ``postgresql`` log exported to an
      encrypted log group with audit retention; IAM auth; enhanced monitoring; 30-day backups copied with tags.
    - Isolated subnets, own security group with no ingress until :meth:`allow_from`.
    - Deletion protection and DeletionPolicy from the profile (dev: Delete; prod: protected, final Snapshot).
      Instances are always Delete: the cluster volume and its snapshot hold the data.

    Example::

        db = AuroraServerlessCluster(self, "Telemetry", vpc=network, encryption_key=key, name_prefix="iot-db")
        db.allow_from(service)

    Any ``rds.CfnDBCluster`` prop (snake_case), ``min_capacity``, ``max_capacity`` and ``seconds_until_auto_pause``
    may be passed, and ``instance_props`` takes ``rds.CfnDBInstance`` props for every instance (the writer and the
    readers); replacing a hardened value is reported as a synth warning. ``readers`` raises the reader count
    for a system that needs them in every profile (fewer than the profile's is reported).
    """

    ENGINE = "aurora-postgresql"
    NAME_KIND = "rds_cluster"
    LABEL = "Aurora"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc | None = None,
        encryption_key: kms.IKey | None = None,
        name_prefix: str | None = None,
        readers: int | None = None,
        parameters: dict[str, str] | None = None,
        instance_props: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> None:
        refuse_literal_master_password(overrides)
        if _SCALING_CONFIGURATION in overrides:
            scaling = overrides[_SCALING_CONFIGURATION]
            raise ConfigurationError(_SCALING_CONFIGURATION, scaling, f"nothing: pass {', '.join(_SCALING_PROPS)}")
        super().__init__(scope, construct_id, vpc=vpc, encryption_key=encryption_key, name_prefix=name_prefix)
        profile, engine, identifier = self.profile, self.engine, self.name
        prefix, suffix = self.name_prefix, self.suffix
        subnet_group = rds.CfnDBSubnetGroup(
            self,
            "SubnetGroup",
            db_subnet_group_description=f"Isolated subnets of {identifier}",
            db_subnet_group_name=naming.resource_name("db_subnet_group", prefix, suffix),
            subnet_ids=self.isolated_subnet_ids,
        )
        db_parameters, parameter_changes = merge_with_defaults(
            {**compute.DATABASE_TLS_PARAMETERS, **compute.DATABASE_LOGGING_PARAMETERS}, parameters or {}
        )
        parameter_group = rds.CfnDBClusterParameterGroup(
            self,
            "ParameterGroup",
            family=engine.family,
            description=f"TLS only, connection and slow-statement logging for {identifier}",
            parameters=db_parameters,
        )
        scales_to_zero = profile.aurora_min_capacity == 0
        defaults: dict[str, Any] = {
            "engine": engine.engine,
            "engine_version": engine.version,
            "db_cluster_identifier": identifier,
            "database_name": services.DATABASE_NAME,
            "port": services.DATABASE_PORT,
            "min_capacity": profile.aurora_min_capacity,
            "max_capacity": profile.aurora_max_capacity,
            "seconds_until_auto_pause": profile.aurora_auto_pause_seconds if scales_to_zero else None,
            "storage_encrypted": compute.DATABASE_STORAGE_ENCRYPTED,
            "kms_key_id": self.encryption_key.key_arn,
            "manage_master_user_password": compute.DATABASE_MANAGED_MASTER_PASSWORD,
            "master_username": services.DATABASE_MASTER_USERNAME,
            "master_user_secret": rds.CfnDBCluster.MasterUserSecretProperty(kms_key_id=self.encryption_key.key_arn),
            "db_subnet_group_name": subnet_group.ref,
            "vpc_security_group_ids": [self.security_group.security_group_id],
            "db_cluster_parameter_group_name": parameter_group.ref,
            "backup_retention_period": retention.DATABASE_BACKUP_RETENTION_DAYS,
            "copy_tags_to_snapshot": compute.DATABASE_COPY_TAGS_TO_SNAPSHOT,
            "enable_cloudwatch_logs_exports": list(services.POSTGRES_EXPORTED_LOGS),
            "enable_iam_database_authentication": compute.DATABASE_IAM_AUTHENTICATION,
            "auto_minor_version_upgrade": compute.DATABASE_AUTO_MINOR_VERSION_UPGRADE,
            "deletion_protection": profile.deletion_protection,
            "removal_policy": removal_policy(profile.database_removal),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        removal = props.pop("removal_policy")
        min_capacity, max_capacity, auto_pause = (props.pop(name) for name in _SCALING_PROPS)
        compute.check_aurora_scaling(min_capacity, max_capacity, auto_pause)

        self.log_groups = database_log_groups(
            self,
            props["enable_cloudwatch_logs_exports"] or [],
            name_template=compute.RDS_CLUSTER_LOG_GROUP,
            identifier=props["db_cluster_identifier"],
            encryption_key=self.encryption_key,
        )
        self.cluster = rds.CfnDBCluster(
            self,
            "Cluster",
            serverless_v2_scaling_configuration=rds.CfnDBCluster.ServerlessV2ScalingConfigurationProperty(
                min_capacity=min_capacity,
                max_capacity=max_capacity,
                seconds_until_auto_pause=auto_pause if min_capacity == 0 else None,
            ),
            **props,
        )
        self.cluster.apply_removal_policy(removal)
        for log_group in self.log_groups:
            # Aurora would create the group itself (unencrypted, kept forever) if it did not exist yet.
            self.cluster.node.add_dependency(log_group)

        reader_count = profile.aurora_readers if readers is None else readers
        if not 0 <= reader_count <= compute.AURORA_MAX_READERS:
            raise ConfigurationError("readers", reader_count, f"0-{compute.AURORA_MAX_READERS}")
        if reader_count < profile.aurora_readers:
            changed.append(Override("readers", profile.aurora_readers, reader_count))
        monitoring_role = iam.Role(
            self,
            "MonitoringRole",
            assumed_by=iam.ServicePrincipal(compute.DATABASE_MONITORING_PRINCIPAL),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(compute.DATABASE_MONITORING_MANAGED_POLICY)
            ],
        )
        instance_defaults: dict[str, Any] = {
            "db_instance_class": compute.AURORA_INSTANCE_CLASS,
            "engine": self.cluster.engine,
            "ca_certificate_identifier": compute.DATABASE_CA_CERTIFICATE,
            "publicly_accessible": compute.DATABASE_PUBLICLY_ACCESSIBLE,
            "auto_minor_version_upgrade": compute.DATABASE_AUTO_MINOR_VERSION_UPGRADE,
            "enable_performance_insights": compute.DATABASE_PERFORMANCE_INSIGHTS,
            "performance_insights_kms_key_id": self.encryption_key.key_arn,
            "performance_insights_retention_period": services.PERFORMANCE_INSIGHTS_RETENTION_DAYS,
            "monitoring_interval": services.DATABASE_MONITORING_INTERVAL_SECONDS,
            "monitoring_role_arn": monitoring_role.role_arn,
        }
        member_props, instance_changes = merge_member_props(
            instance_defaults, instance_props or {}, argument="instance_props", per_member=_PER_INSTANCE_PROPS
        )
        self.writer = self._instance("Writer", f"{prefix}-writer", compute.AURORA_WRITER_PROMOTION_TIER, member_props)
        self.readers = [
            self._instance(f"Reader{n}", f"{prefix}-reader{n}", compute.AURORA_READER_PROMOTION_TIER, member_props)
            for n in range(1, reader_count + 1)
        ]
        for reader in self.readers:
            # The writer comes first so that it, not a reader, takes the writer role when the cluster is created.
            reader.node.add_dependency(self.writer)
        warn_overrides(self, changed + instance_changes + parameter_changes)
        accept(monitoring_role, accepted_findings.RDS_MONITORING_MANAGED_POLICY)
        # The pack checks each member instance for a backup plan; backups of Aurora are taken of the cluster.
        accept(self, accepted_findings.DATABASE_BACKUP_PLAN)
        if not props["deletion_protection"] and not profile.deletion_protection:
            accept(self.cluster, accepted_findings.DEV_NO_DELETION_PROTECTION)

        #: The port as deployed (a string, ready for environment variables and outputs).
        self.port: str = self.cluster.attr_endpoint_port
        self.database_name: str = props["database_name"]
        self.endpoint_address: str = self.cluster.attr_endpoint_address
        self.reader_endpoint_address: str = self.cluster.attr_read_endpoint_address
        self.cluster_identifier: str = self.cluster.ref
        self.secret_arn: str = self.cluster.attr_master_user_secret_secret_arn
        self._listen_on(int(props["port"]))

    def _instance(self, construct_id: str, base: str, tier: int, props: dict[str, Any]) -> rds.CfnDBInstance:
        """A member of the cluster (``db.serverless``, Performance Insights under the CMK, enhanced monitoring)."""
        return rds.CfnDBInstance(
            self,
            construct_id,
            db_cluster_identifier=self.cluster.ref,
            db_instance_identifier=naming.resource_name(
                "rds_instance", base, deployment_settings(self).environment_suffix
            ),
            promotion_tier=tier,
            **props,
        )

    def grant_connect_secret(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the master secret, and decrypt it with the CMK only through Secrets Manager."""
        return grant_secret_read(self, grantee, self.secret_arn, self.encryption_key)
