"""PostgresInstance: RDS PostgreSQL with RDS-managed credentials and no way in until granted (cdktf)."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from constructs import Construct

from constructs_lib.cdktf.alarm_topic import AlarmTopic
from constructs_lib.cdktf.alarms import metric_alarm
from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import skip_final_snapshot
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.isolated_data_store import IsolatedDataStore
from constructs_lib.cdktf.log_group import database_log_groups
from constructs_lib.cdktf.network import Network
from constructs_lib.cdktf.service_role import ServiceRole
from constructs_lib.policy import alarms, compute, naming, retention, services
from constructs_lib.policy.errors import ConfigurationError
from constructs_lib.policy.profiles import RemovalBehaviour

#: Parameter changes take effect at the next reboot: static ones (``rds.force_ssl`` on some versions) must.
PARAMETER_APPLY_METHOD = "pending-reboot"


class PostgresInstance(IsolatedDataStore):
    """RDS PostgreSQL instance, secure with no arguments (the cdktf twin of the CDK ``PostgresInstance``).

    - Engine version and parameter-group family from ``policy.engines["postgres"]``.
    - Isolated subnets of ``network`` (or a network of its own), not publicly accessible, its own security group with
      no rules until :meth:`allow_from`.
    - The master password is generated and kept by RDS in Secrets Manager (``manage_master_user_password``) under
      the CMK: no password in code, variables or Terraform state.
    - Storage (gp3), Performance Insights and the master secret encrypted with the CMK; TLS forced and every
      connection, disconnection and slow statement logged by the parameter group; the server and upgrade logs
      exported to KMS-encrypted log groups (audit retention) created before RDS would create unencrypted ones.
    - Enhanced monitoring, IAM database authentication, automatic minor upgrades, 30-day backups copied with tags.
    - Multi-AZ, deletion protection and the final snapshot from the profile (dev: single AZ, unprotected, no
      snapshot, automated backups deleted; prod: Multi-AZ, protected, final snapshot). ``multi_az=True`` makes
      Multi-AZ a requirement of the system in every profile.
    - Given an ``alarm_topic``, ``cpu_alarm``, ``free_storage_alarm`` and ``connections_alarm`` announce breach and
      recovery on it; without one they are ``None``.

    Example::

        db = PostgresInstance(self, "patients-db", network=network, encryption_key=key, alarm_topic=topic)
        db.allow_from(function.security_group, "the ingest function")
        role.add_statements("db-secret", db.secret_read_statements())

    Any ``DbInstance`` argument may be passed and ``parameters`` adds or replaces database parameters; replacing a
    hardened value is reported as a synth warning. A ``depends_on`` adds to what the instance already waits for.
    """

    ENGINE = "postgres"
    NAME_KIND = "rds_instance"
    LABEL = "PostgreSQL"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network | None = None,
        encryption_key: EncryptionKey | None = None,
        name_prefix: str | None = None,
        multi_az: bool | None = None,
        parameters: dict[str, str] | None = None,
        alarm_topic: AlarmTopic | None = None,
        **overrides: Any,
    ) -> None:
        if "password" in overrides and overrides.get("manage_master_user_password", True):
            raise ConfigurationError("password", "<hidden>", "nothing while RDS manages the master password")
        super().__init__(scope, construct_id, network=network, encryption_key=encryption_key, name_prefix=name_prefix)
        profile, engine, identifier, key = self.profile, self.engine, self.name, self.encryption_key
        self.subnet_group = DbSubnetGroup(
            self,
            "subnets",
            name=naming.resource_name("db_subnet_group", self.name_prefix, self.suffix),
            description=f"Isolated subnets of {identifier}",
            subnet_ids=self.network.isolated_subnet_ids,
        )
        db_parameters, parameter_changes = merge_with_defaults(
            {**compute.DATABASE_TLS_PARAMETERS, **compute.DATABASE_LOGGING_PARAMETERS}, parameters or {}
        )
        self.parameter_group = DbParameterGroup(
            self,
            "parameters",
            name=identifier,
            family=engine.family,
            description=f"TLS only, connection and slow-statement logging for {identifier}",
            parameter=[
                DbParameterGroupParameter(name=name, value=value, apply_method=PARAMETER_APPLY_METHOD)
                for name, value in db_parameters.items()
            ],
        )
        self.monitoring_role = ServiceRole(
            self,
            "monitoring-role",
            service=compute.DATABASE_MONITORING_PRINCIPAL,
            name_prefix=f"{self.name_prefix}-monitoring",
            managed_policies=[compute.DATABASE_MONITORING_MANAGED_POLICY],
        )
        skip_snapshot = skip_final_snapshot(profile)
        defaults: dict[str, Any] = {
            "identifier": identifier,
            "engine": engine.engine,
            "engine_version": engine.version,
            "instance_class": services.POSTGRES_INSTANCE_CLASS,
            "db_name": services.DATABASE_NAME,
            "port": services.DATABASE_PORT,
            "allocated_storage": services.POSTGRES_ALLOCATED_STORAGE_GB,
            "max_allocated_storage": services.POSTGRES_MAX_ALLOCATED_STORAGE_GB,
            "storage_type": compute.POSTGRES_STORAGE_TYPE,
            "storage_encrypted": compute.DATABASE_STORAGE_ENCRYPTED,
            "kms_key_id": key.arn,
            "manage_master_user_password": compute.DATABASE_MANAGED_MASTER_PASSWORD,
            "master_user_secret_kms_key_id": key.arn,
            "username": services.DATABASE_MASTER_USERNAME,
            "db_subnet_group_name": self.subnet_group.name,
            "vpc_security_group_ids": [self.security_group.id],
            "parameter_group_name": self.parameter_group.name,
            "ca_cert_identifier": compute.DATABASE_CA_CERTIFICATE,
            "backup_retention_period": retention.DATABASE_BACKUP_RETENTION_DAYS,
            "copy_tags_to_snapshot": compute.DATABASE_COPY_TAGS_TO_SNAPSHOT,
            "delete_automated_backups": profile.database_removal is RemovalBehaviour.DESTROY,
            "enabled_cloudwatch_logs_exports": list(compute.POSTGRES_INSTANCE_EXPORTED_LOGS),
            "monitoring_interval": services.DATABASE_MONITORING_INTERVAL_SECONDS,
            "monitoring_role_arn": self.monitoring_role.arn,
            "performance_insights_enabled": compute.DATABASE_PERFORMANCE_INSIGHTS,
            "performance_insights_kms_key_id": key.arn,
            "performance_insights_retention_period": services.PERFORMANCE_INSIGHTS_RETENTION_DAYS,
            "auto_minor_version_upgrade": compute.DATABASE_AUTO_MINOR_VERSION_UPGRADE,
            "publicly_accessible": compute.DATABASE_PUBLICLY_ACCESSIBLE,
            "iam_database_authentication_enabled": compute.DATABASE_IAM_AUTHENTICATION,
            # A system that requires Multi-AZ asks for it; that is not an override.
            "multi_az": profile.multi_az or multi_az is True,
            "deletion_protection": profile.deletion_protection,
            "skip_final_snapshot": skip_snapshot,
            "final_snapshot_identifier": None if skip_snapshot else f"{identifier}-final",
        }
        if multi_az is False:
            overrides = {"multi_az": False, **overrides}
        props, changed = merge_with_defaults(defaults, overrides)
        self.log_groups = database_log_groups(
            self,
            props["enabled_cloudwatch_logs_exports"] or [],
            name_template=compute.RDS_INSTANCE_LOG_GROUP,
            identifier=props["identifier"],
            encryption_key=key,
        )
        # RDS would create the log groups itself (unencrypted, kept forever) if they did not exist yet.
        dependencies = [
            *(group.log_group for group in self.log_groups),
            *self.monitoring_role.attachments,
            *(props.pop("depends_on", None) or []),
        ]
        self.instance = DbInstance(self, "instance", depends_on=dependencies, **props)
        warn_overrides(self, changed + parameter_changes)
        self.port = int(props["port"])
        self.database_name: str = props["db_name"]

        self.cpu_alarm: CloudwatchMetricAlarm | None = None
        self.free_storage_alarm: CloudwatchMetricAlarm | None = None
        self.connections_alarm: CloudwatchMetricAlarm | None = None
        if alarm_topic is not None:
            watched: dict[str, Any] = {"resource": self.instance.identifier, "name_prefix": self.name_prefix}
            self.cpu_alarm = metric_alarm(self, "cpu-alarm", alarms.DATABASE_CPU, topic=alarm_topic, **watched)
            self.free_storage_alarm = metric_alarm(
                self, "free-storage-alarm", alarms.DATABASE_FREE_STORAGE, topic=alarm_topic, **watched
            )
            self.connections_alarm = metric_alarm(
                self, "connections-alarm", alarms.DATABASE_CONNECTIONS, topic=alarm_topic, **watched
            )

    @property
    def endpoint_address(self) -> str:
        return self.instance.address

    @property
    def instance_identifier(self) -> str:
        return self.instance.identifier

    @property
    def secret_arn(self) -> str:
        """ARN of the Secrets Manager secret RDS created for the master user."""
        return self.instance.master_user_secret.get(0).secret_arn

    def secret_read_statements(self) -> list[dict[str, Any]]:
        """What a client needs to read the master secret: the secret, and its key only through Secrets Manager."""
        return self._secret_read_statements(self.secret_arn)
