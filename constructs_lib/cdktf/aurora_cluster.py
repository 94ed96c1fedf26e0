"""AuroraServerlessCluster: Aurora PostgreSQL Serverless v2 with its instances, a password RDS keeps, and TLS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster, RdsClusterServerlessv2ScalingConfiguration
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.rds_cluster_parameter_group import (
    RdsClusterParameterGroup,
    RdsClusterParameterGroupParameter,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from constructs_lib.cdktf.defaults import Override, merge_member_props, merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import account_context, deployment_settings, skip_final_snapshot
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.iam import secret_read_statements
from constructs_lib.cdktf.log_group import database_log_groups
from constructs_lib.cdktf.network import Network
from constructs_lib.cdktf.service_role import ServiceRole
from constructs_lib.policy import compute, engines, naming, retention, services, storage
from constructs_lib.policy.errors import ConfigurationError

#: Parameter changes take effect at the next reboot: static ones (``rds.force_ssl`` on some versions) must.
PARAMETER_APPLY_METHOD = "pending-reboot"
#: Scaling props accepted as overrides next to the RdsCluster arguments, and the block they make.
_SCALING_PROPS = ("min_capacity", "max_capacity", "seconds_until_auto_pause")
_SCALING_CONFIGURATION = "serverlessv2_scaling_configuration"
#: RdsClusterInstance arguments set for each instance, never through ``instance_props``.
_PER_INSTANCE_PROPS = ("identifier", "cluster_identifier", "promotion_tier")


class AuroraServerlessCluster(Construct):
    """Aurora PostgreSQL Serverless v2 cluster *with* its instances (seed 003 created a cluster with none), secure
    with no arguments (the cdktf twin of the CDK ``AuroraServerlessCluster``).

    - One ``db.serverless`` writer plus the profile's readers (prod: one), private, Performance Insights (CMK) and
      enhanced monitoring on. ACU range from the profile: dev scales to 0 and pauses, prod keeps 0.5 warm.
    - The master password is generated and kept by RDS in Secrets Manager (``manage_master_user_password``),
      encrypted with ``encryption_key``: no password in code, variables or Terraform state (nor ``random_password``).
    - Storage encrypted; TLS forced and connections logged by the cluster parameter group; the ``postgresql`` log is
      exported to a KMS-encrypted log group (audit retention) created before RDS would create an unencrypted one.
    - Isolated subnets of ``network`` (or a network of its own); its own security group with no rules until
      :meth:`allow_from`.
    - Deletion from the profile: dev skips the final snapshot and has no deletion protection; prod takes a final
      snapshot and is deletion-protected.

    Example::

        db = AuroraServerlessCluster(self, "metadata", network=network, encryption_key=key)
        db.allow_from(tasks_security_group, "video processing tasks")
        TerraformOutput(self, "db_secret_arn", value=db.secret_arn)

    Any ``RdsCluster`` argument, ``min_capacity``, ``max_capacity`` and ``seconds_until_auto_pause`` may be passed,
    and ``instance_props`` takes ``RdsClusterInstance`` arguments for every instance (the writer and the readers);
    replacing a hardened value is reported as a synth warning, and a ``depends_on`` adds to what the cluster or its
    instances already wait for. ``readers`` sets the reader count.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network | None = None,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
        readers: int | None = None,
        parameters: dict[str, str] | None = None,
        instance_props: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        profile = settings.profile
        suffix = settings.environment_suffix
        engine = engines.engine("aurora-postgresql")
        if "master_password" in overrides:
            raise ConfigurationError("master_password", "<hidden>", "nothing: RDS manages the master password")
        if _SCALING_CONFIGURATION in overrides:
            scaling = overrides[_SCALING_CONFIGURATION]
            raise ConfigurationError(_SCALING_CONFIGURATION, scaling, f"nothing: pass {', '.join(_SCALING_PROPS)}")
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        identifier = naming.resource_name("rds_cluster", prefix, suffix)
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"Aurora {identifier}")
        if network is None:
            network = Network(self, "network", encryption_key=encryption_key)
        self.encryption_key = encryption_key
        self.network = network
        self._account = account_context(self)

        self.security_group = SecurityGroup(
            self,
            "security-group",
            name=naming.resource_name("security_group", f"{prefix}-db", suffix),
            description=f"Aurora {identifier}: no ingress until allow_from, no egress",
            vpc_id=network.vpc.id,
        )
        self.subnet_group = DbSubnetGroup(
            self,
            "subnets",
            name=naming.resource_name("db_subnet_group", prefix, suffix),
            description=f"Isolated subnets of Aurora {identifier}",
            subnet_ids=network.isolated_subnet_ids,
        )
        db_parameters, parameter_changes = merge_with_defaults(
            {**compute.DATABASE_TLS_PARAMETERS, **compute.DATABASE_LOGGING_PARAMETERS}, parameters or {}
        )
        self.parameter_group = RdsClusterParameterGroup(
            self,
            "parameters",
            name=identifier,
            family=engine.family,
            description=f"TLS only, connection and slow-statement logging for {identifier}",
            parameter=[
                RdsClusterParameterGroupParameter(name=name, value=value, apply_method=PARAMETER_APPLY_METHOD)
                for name, value in db_parameters.items()
            ],
        )
        skip_snapshot = skip_final_snapshot(profile)
        scales_to_zero = profile.aurora_min_capacity == 0
        defaults: dict[str, Any] = {
            "cluster_identifier": identifier,
            "engine": engine.engine,
            "engine_version": engine.version,
            "engine_mode": compute.AURORA_ENGINE_MODE,
            "database_name": services.DATABASE_NAME,
            "master_username": services.DATABASE_MASTER_USERNAME,
            "manage_master_user_password": compute.DATABASE_MANAGED_MASTER_PASSWORD,
            "master_user_secret_kms_key_id": encryption_key.arn,
            "storage_encrypted": compute.DATABASE_STORAGE_ENCRYPTED,
            "kms_key_id": encryption_key.arn,
            "port": services.DATABASE_PORT,
            "db_subnet_group_name": self.subnet_group.name,
            "vpc_security_group_ids": [self.security_group.id],
            "db_cluster_parameter_group_name": self.parameter_group.name,
            "iam_database_authentication_enabled": compute.DATABASE_IAM_AUTHENTICATION,
            "copy_tags_to_snapshot": compute.DATABASE_COPY_TAGS_TO_SNAPSHOT,
            "min_capacity": profile.aurora_min_capacity,
            "max_capacity": profile.aurora_max_capacity,
            "seconds_until_auto_pause": profile.aurora_auto_pause_seconds if scales_to_zero else None,
            "backup_retention_period": retention.DATABASE_BACKUP_RETENTION_DAYS,
            "deletion_protection": profile.deletion_protection,
            "skip_final_snapshot": skip_snapshot,
            "final_snapshot_identifier": None if skip_snapshot else f"{identifier}-final",
            "enabled_cloudwatch_logs_exports": list(services.POSTGRES_EXPORTED_LOGS),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        min_capacity, max_capacity, auto_pause = (props.pop(name) for name in _SCALING_PROPS)
        compute.check_aurora_scaling(min_capacity, max_capacity, auto_pause)
        self.log_groups = database_log_groups(
            self,
            props["enabled_cloudwatch_logs_exports"] or [],
            name_template=compute.RDS_CLUSTER_LOG_GROUP,
            identifier=props["cluster_identifier"],
            encryption_key=encryption_key,
        )
        # Aurora would create the log groups itself (unencrypted, kept forever) if they did not exist yet.
        dependencies = [*(group.log_group for group in self.log_groups), *(props.pop("depends_on", None) or [])]
        self.cluster = RdsCluster(
            self,
            "cluster",
            serverlessv2_scaling_configuration=RdsClusterServerlessv2ScalingConfiguration(
                min_capacity=min_capacity,
                max_capacity=max_capacity,
                seconds_until_auto_pause=auto_pause if min_capacity == 0 else None,
            ),
            depends_on=dependencies,
            **props,
        )

        reader_count = profile.aurora_readers if readers is None else readers
        if not 0 <= reader_count <= compute.AURORA_MAX_READERS:
            raise ConfigurationError("readers", reader_count, f"0-{compute.AURORA_MAX_READERS}")
        if reader_count < profile.aurora_readers:
            changed.append(Override("readers", profile.aurora_readers, reader_count))
        self.monitoring_role = ServiceRole(
            self,
            "monitoring-role",
            service=compute.DATABASE_MONITORING_PRINCIPAL,
            name_prefix=f"{prefix}-monitoring",
            managed_policies=[compute.DATABASE_MONITORING_MANAGED_POLICY],
        )
        instance_defaults: dict[str, Any] = {
            "instance_class": compute.AURORA_INSTANCE_CLASS,
            "engine": self.cluster.engine,
            "engine_version": self.cluster.engine_version,
            "db_subnet_group_name": self.subnet_group.name,
            "ca_cert_identifier": compute.DATABASE_CA_CERTIFICATE,
            "publicly_accessible": compute.DATABASE_PUBLICLY_ACCESSIBLE,
            "auto_minor_version_upgrade": compute.DATABASE_AUTO_MINOR_VERSION_UPGRADE,
            "performance_insights_enabled": compute.DATABASE_PERFORMANCE_INSIGHTS,
            "performance_insights_kms_key_id": encryption_key.arn,
            "performance_insights_retention_period": services.PERFORMANCE_INSIGHTS_RETENTION_DAYS,
            "monitoring_interval": services.DATABASE_MONITORING_INTERVAL_SECONDS,
            "monitoring_role_arn": self.monitoring_role.arn,
            "copy_tags_to_snapshot": compute.DATABASE_COPY_TAGS_TO_SNAPSHOT,
        }
        member_props, instance_changes = merge_member_props(
            instance_defaults, instance_props or {}, argument="instance_props", per_member=_PER_INSTANCE_PROPS
        )
        self.writer = self._instance(
            "writer", f"{prefix}-writer", compute.AURORA_WRITER_PROMOTION_TIER, [], member_props
        )
        self.readers = [
            # The writer comes first so that it, not a reader, takes the writer role when the cluster is created.
            self._instance(
                f"reader{n}", f"{prefix}-reader{n}", compute.AURORA_READER_PROMOTION_TIER, [self.writer], member_props
            )
            for n in range(1, reader_count + 1)
        ]
        warn_overrides(self, changed + instance_changes + parameter_changes)
        self.identifier = props["cluster_identifier"]

    def _instance(
        self, construct_id: str, base: str, tier: int, after: list[RdsClusterInstance], props: dict[str, Any]
    ) -> RdsClusterInstance:
        """A member of the cluster (``db.serverless``, Performance Insights under the CMK, enhanced monitoring)."""
        props = dict(props)
        return RdsClusterInstance(
            self,
            construct_id,
            identifier=naming.resource_name("rds_instance", base, deployment_settings(self).environment_suffix),
            cluster_identifier=self.cluster.id,
            promotion_tier=tier,
            depends_on=[*self.monitoring_role.attachments, *after, *(props.pop("depends_on", None) or [])],
            **props,
        )

    @property
    def endpoint(self) -> str:
        return self.cluster.endpoint

    @property
    def reader_endpoint(self) -> str:
        return self.cluster.reader_endpoint

    @property
    def secret_arn(self) -> str:
        """ARN of the Secrets Manager secret RDS created for the master user."""
        return self.cluster.master_user_secret.get(0).secret_arn

    def secret_read_statements(self) -> list[dict[str, Any]]:
        """What a client needs to read the master secret: the secret, and its key only through Secrets Manager."""
        return secret_read_statements([self.secret_arn], self.encryption_key.arn, self._account)

    def allow_from(self, security_group: SecurityGroup, description: str) -> VpcSecurityGroupIngressRule:
        """Open the database port to members of ``security_group`` only."""
        index = len([c for c in self.node.children if isinstance(c, VpcSecurityGroupIngressRule)])
        return VpcSecurityGroupIngressRule(
            self,
            f"ingress-{index}",
            security_group_id=self.security_group.id,
            referenced_security_group_id=security_group.id,
            ip_protocol="tcp",
            from_port=services.DATABASE_PORT,
            to_port=services.DATABASE_PORT,
            description=f"PostgreSQL from {description}",
        )
