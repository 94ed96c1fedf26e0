"""HIPAA healthcare pipeline (seed 001): patient events on an encrypted stream, records in Multi-AZ PostgreSQL,
every access in an audit log kept a year, all under one customer-managed key CloudWatch Logs can use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.hardened_stack import HardenedStack
from constructs_lib.cdk.kinesis_stream import KinesisDataStream
from constructs_lib.cdk.log_group import EncryptedLogGroup
from constructs_lib.cdk.network import Network
from constructs_lib.cdk.postgres_instance import PostgresInstance
from constructs_lib.policy import naming


@dataclass(frozen=True)
class HealthcarePipelineProps:
    """Configuration of the healthcare pipeline (seed 001 failed on a props class that did not exist)."""

    #: The system is deployed in the UK; the engine version is checked against this region at synth.
    region: str = "eu-west-2"
    account: str | None = None
    #: Patient events per second the stream must absorb: one shard takes 1,000 records/s.
    stream_shards: int = 1
    #: Addresses notified when an alarm fires (confirmed by e-mail before SNS delivers).
    alarm_emails: tuple[str, ...] = ()

    @property
    def env(self) -> cdk.Environment:
        return cdk.Environment(account=self.account, region=self.region)


class HealthcarePipelineStack(HardenedStack):
    """KMS key, encrypted Kinesis patient stream, audit log group and Multi-AZ RDS PostgreSQL, in a private VPC."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: HealthcarePipelineProps | None = None, **kwargs: Any
    ) -> None:
        props = props or HealthcarePipelineProps()
        super().__init__(
            scope, construct_id, system="healthcare-pipeline", data_classification="phi", env=props.env, **kwargs
        )
        key = EncryptionKey(self, "Key", description=f"healthcare pipeline PHI ({self.suffix})")
        network = Network(self, "Network", encryption_key=key)
        alarms = AlarmTopic(
            self,
            "Alarms",
            name_prefix="healthcare-alarms",
            encryption_key=key,
            email_addresses=list(props.alarm_emails),
        )
        stream = KinesisDataStream(
            self,
            "PatientStream",
            name_prefix="patient-data",
            encryption_key=key,
            shard_count=props.stream_shards,
            alarm_topic=alarms,
        )
        audit = EncryptedLogGroup(
            self,
            "AuditLog",
            purpose="audit",
            encryption_key=key,
            log_group_name=f"/healthcare/{naming.resource_name('log_group', 'audit', self.suffix)}",
        )
        database = PostgresInstance(
            self,
            "PatientDb",
            name_prefix="patient-records",
            vpc=network,
            encryption_key=key,
            multi_az=True,
            alarm_topic=alarms,
        )

        self.output("KmsKeyArn", key.key_arn, "Customer-managed key for every PHI store and log")
        self.output("PatientStreamName", stream.stream_name, "Kinesis stream receiving patient events")
        self.output("PatientStreamArn", stream.stream_arn, "ARN of the patient stream")
        self.output("AuditLogGroupName", audit.log_group_name, "Audit log group (365 days)")
        self.output("DatabaseIdentifier", database.instance_identifier, "RDS PostgreSQL instance identifier")
        self.output("DatabaseEndpoint", database.endpoint_address, "RDS PostgreSQL endpoint address")
        self.output("DatabasePort", database.port, "RDS PostgreSQL port")
        self.output("DatabaseSecretArn", database.secret_arn, "RDS-managed master credentials secret")
        self.output("VpcId", network.vpc_id, "VPC id")
        self.output("AlarmTopicArn", alarms.topic_arn, "SNS topic the alarms notify")
