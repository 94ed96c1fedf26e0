"""PostgresInstance: RDS PostgreSQL on L1 resources, with RDS-managed credentials and no way in until granted."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib.cdk.alarms import alarm
from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import removal_policy
from constructs_lib.cdk.isolated_data_store import (
    IsolatedDataStore,
    grant_secret_read,
    refuse_literal_master_password,
)
from constructs_lib.cdk.log_group import database_log_groups
from constructs_lib.policy import accepted_findings, alarms, compute, naming, retention, services
from constructs_lib.policy.profiles import RemovalBehaviour


class PostgresInstance(IsolatedDataStore):
    """RDS PostgreSQL instance, secure with no arguments.

    - Engine version and parameter-group family from ``policy.engines["postgres"]``; a concrete stack region where
      that version is not offered fails at synth (seeds 001 and 002 failed on deploy with 15.3).
    - Isolated subnets only, not publicly accessible, its own security group with no ingress until
      :meth:`allow_from`.
    - The master password is generated, stored and rotated by RDS in Secrets Manager under the CMK: no password
      exists in the template or in any parameter.
    - Storage (gp3), Performance Insights and the master secret are encrypted with the CMK; TLS is forced and every
      connection, disconnection and slow statement is logged to an encrypted log group with audit retention.
    - Enhanced monitoring, IAM database authentication, automatic minor upgrades, 30-day backups copied with tags.
    - Multi-AZ, deletion protection and DeletionPolicy from the profile (dev: Delete; prod: Multi-AZ, protected,
      final Snapshot). ``multi_az=True`` makes Multi-AZ a requirement of the system in every profile.
    - Given an ``alarm_topic``, three alarms announce breach and recovery on it: ``cpu_alarm``
      (``alarms.DATABASE_CPU``), ``free_storage_alarm`` (``alarms.DATABASE_FREE_STORAGE``) and ``connections_alarm``
      (``alarms.DATABASE_CONNECTIONS``); without one they are ``None``.

    Example::

        db = PostgresInstance(
            self, "Db", vpc=network, encryption_key=key, name_prefix="patients-db", alarm_topic=alarms
        )
        db.allow_from(processor)
        db.grant_connect_secret(processor)

    Any ``rds.CfnDBInstance`` prop may be passed (snake_case) and ``parameters`` adds or replaces database
    parameters; replacing a hardened value is reported as a synth warning.
    """

    ENGINE = "postgres"
    NAME_KIND = "rds_instance"
    LABEL = "PostgreSQL"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc | None = None,
        encryption_key: kms.IKey | None = None,
        name_prefix: str | None = None,
        multi_az: bool | None = None,
        parameters: dict[str, str] | None = None,
        alarm_topic: sns.ITopic | None = None,
        **overrides: Any,
    ) -> None:
        refuse_literal_master_password(overrides)
        super().__init__(scope, construct_id, vpc=vpc, encryption_key=encryption_key, name_prefix=name_prefix)
        profile, engine, identifier = self.profile, self.engine, self.name
        subnet_group = rds.CfnDBSubnetGroup(
            self,
            "SubnetGroup",
            db_subnet_group_description=f"Isolated subnets of {identifier}",
            db_subnet_group_name=naming.resource_name("db_subnet_group", self.name_prefix, self.suffix),
            subnet_ids=self.isolated_subnet_ids,
        )
        db_parameters, parameter_changes = merge_with_defaults(
            {**compute.DATABASE_TLS_PARAMETERS, **compute.DATABASE_LOGGING_PARAMETERS}, parameters or {}
        )
        parameter_group = rds.CfnDBParameterGroup(
            self,
            "ParameterGroup",
            family=engine.family,
            description=f"TLS only, connection and slow-statement logging for {identifier}",
            parameters=db_parameters,
        )
        monitoring_role = iam.Role(
            self,
            "MonitoringRole",
            assumed_by=iam.ServicePrincipal(compute.DATABASE_MONITORING_PRINCIPAL),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(compute.DATABASE_MONITORING_MANAGED_POLICY)
            ],
        )
        defaults: dict[str, Any] = {
            "engine": engine.engine,
            "engine_version": engine.version,
            "db_instance_identifier": identifier,
            "db_instance_class": services.POSTGRES_INSTANCE_CLASS,
            "db_name": services.DATABASE_NAME,
            "port": str(services.DATABASE_PORT),
            "allocated_storage": str(services.POSTGRES_ALLOCATED_STORAGE_GB),
            "max_allocated_storage": services.POSTGRES_MAX_ALLOCATED_STORAGE_GB,
            "storage_type": compute.POSTGRES_STORAGE_TYPE,
            "storage_encrypted": compute.DATABASE_STORAGE_ENCRYPTED,
            "kms_key_id": self.encryption_key.key_arn,
            "manage_master_user_password": compute.DATABASE_MANAGED_MASTER_PASSWORD,
            "master_username": services.DATABASE_MASTER_USERNAME,
            "master_user_secret": rds.CfnDBInstance.MasterUserSecretProperty(kms_key_id=self.encryption_key.key_arn),
            "db_subnet_group_name": subnet_group.ref,
            "vpc_security_groups": [self.security_group.security_group_id],
            "db_parameter_group_name": parameter_group.ref,
            "ca_certificate_identifier": compute.DATABASE_CA_CERTIFICATE,
            "backup_retention_period": retention.DATABASE_BACKUP_RETENTION_DAYS,
            "copy_tags_to_snapshot": compute.DATABASE_COPY_TAGS_TO_SNAPSHOT,
            "delete_automated_backups": profile.database_removal is RemovalBehaviour.DESTROY,
            "enable_cloudwatch_logs_exports": list(compute.POSTGRES_INSTANCE_EXPORTED_LOGS),
            "monitoring_interval": services.DATABASE_MONITORING_INTERVAL_SECONDS,
            "monitoring_role_arn": monitoring_role.role_arn,
            "enable_performance_insights": compute.DATABASE_PERFORMANCE_INSIGHTS,
            "performance_insights_kms_key_id": self.encryption_key.key_arn,
            "performance_insights_retention_period": services.PERFORMANCE_INSIGHTS_RETENTION_DAYS,
            "auto_minor_version_upgrade": compute.DATABASE_AUTO_MINOR_VERSION_UPGRADE,
            "publicly_accessible": compute.DATABASE_PUBLICLY_ACCESSIBLE,
            "enable_iam_database_authentication": compute.DATABASE_IAM_AUTHENTICATION,
            # A system that requires Multi-AZ (HIPAA, stream processor) asks for it; that is not an override.
            "multi_az": profile.multi_az or multi_az is True,
            "deletion_protection": profile.deletion_protection,
            "removal_policy": removal_policy(profile.database_removal),
        }
        if multi_az is False:
            overrides = {"multi_az": False, **overrides}
        props, changed = merge_with_defaults(defaults, overrides)
        removal = props.pop("removal_policy")

        self.log_groups = database_log_groups(
            self,
            props["enable_cloudwatch_logs_exports"] or [],
            name_template=compute.RDS_INSTANCE_LOG_GROUP,
            identifier=props["db_instance_identifier"],
            encryption_key=self.encryption_key,
        )
        self.instance = rds.CfnDBInstance(self, "Instance", **props)
        self.instance.apply_removal_policy(removal)
        for log_group in self.log_groups:
            # RDS would create the group itself (unencrypted, kept forever) if it did not exist yet.
            self.instance.node.add_dependency(log_group)
        warn_overrides(self, changed + parameter_changes)
        accept(monitoring_role, accepted_findings.RDS_MONITORING_MANAGED_POLICY)
        accept(self.instance, accepted_findings.DEFAULT_DATABASE_PORT)
        accept(self.instance, accepted_findings.DATABASE_BACKUP_PLAN)
        if not props["multi_az"] and not profile.multi_az:
            accept(self.instance, accepted_findings.DEV_SINGLE_AZ)
        if not props["deletion_protection"] and not profile.deletion_protection:
            accept(self.instance, accepted_findings.DEV_NO_DELETION_PROTECTION)

        #: The port as deployed (a string, ready for environment variables and outputs).
        self.port: str = self.instance.attr_endpoint_port
        self.database_name: str = props["db_name"]
        self.endpoint_address: str = self.instance.attr_endpoint_address
        self.instance_identifier: str = self.instance.ref
        self.secret_arn: str = self.instance.attr_master_user_secret_secret_arn
        self._listen_on(int(props["port"]))

        self.cpu_alarm: cloudwatch.Alarm | None = None
        self.free_storage_alarm: cloudwatch.Alarm | None = None
        self.connections_alarm: cloudwatch.Alarm | None = None
        if alarm_topic is not None:
            watched = {"resource": self.instance_identifier, "name_prefix": self.name_prefix, "topic": alarm_topic}
            self.cpu_alarm = alarm(self, "CpuAlarm", alarms.DATABASE_CPU, **watched)
            self.free_storage_alarm = alarm(self, "FreeStorageAlarm", alarms.DATABASE_FREE_STORAGE, **watched)
            self.connections_alarm = alarm(self, "ConnectionsAlarm", alarms.DATABASE_CONNECTIONS, **watched)

    def grant_connect_secret(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the master secret, and decrypt it with the CMK only through Secrets Manager."""
        return grant_secret_read(self, grantee, self.secret_arn, self.encryption_key)
