"""HIPAA healthcare pipeline (seed 001): patient events on an encrypted stream, records in Multi-AZ PostgreSQL,
every access in an audit log kept a year, all under one customer-managed key CloudWatch Logs can use.

The patient consumer is a Lambda function behind a Kinesis event source mapping, not a Fargate service: the mapping
keeps each shard's position, retries a failed batch, bisects it until a bad record is alone and sends that record's
position to the on-failure queue — work a container would have to build and run itself; it runs in the private
subnets and reaches Secrets Manager and CloudWatch Logs through interface endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.hardened_stack import HardenedStack
from constructs_lib.cdk.kinesis_stream import KinesisDataStream
from constructs_lib.cdk.lambda_code import python_handler_code
from constructs_lib.cdk.log_group import EncryptedLogGroup
from constructs_lib.cdk.network import Network
from constructs_lib.cdk.postgres_instance import PostgresInstance
from constructs_lib.cdk.stream_consumer import StreamConsumerFunction
from constructs_lib.policy import naming

#: The consumer's folder is the bundle's root (as in its Dockerfile); the shared ``stacks.processing`` ships beside it.
CONSUMER_DIR = Path(__file__).parent / "consumer"
CONSUMER_PACKAGES = (Path(__file__).parents[1] / "processing",)
CONSUMER_HANDLER = "patient_events.handler"
#: The stream in the audit log group the consumer writes its audit events to (it creates it when missing).
AUDIT_LOG_STREAM = "patient-consumer"


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
        # Nothing here calls the internet: no NAT gateway, no internet gateway. The consumer reads the database
        # secret and writes audit events through these endpoints (polling and queues are the Lambda service's).
        network = Network(self, "Network", encryption_key=key, internet_egress=False)
        endpoints = [
            network.add_interface_endpoint("SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER),
            network.add_interface_endpoint("Logs", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS),
        ]
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
        consumer = StreamConsumerFunction(
            self,
            "PatientConsumer",
            name_prefix="patient-consumer",
            stream=stream,
            vpc=network,
            encryption_key=key,
            alarm_topic=alarms,
            code=python_handler_code(CONSUMER_DIR, ["pg8000"], CONSUMER_PACKAGES),
            handler=CONSUMER_HANDLER,
            environment={
                "DB_HOST": database.endpoint_address,
                "DB_PORT": database.port,
                "DB_NAME": database.database_name,
                "DB_SECRET_ARN": database.secret_arn,
                "AUDIT_LOG_GROUP": audit.log_group_name,
                "AUDIT_LOG_STREAM": AUDIT_LOG_STREAM,
            },
        )
        database.allow_from(consumer)
        database.grant_connect_secret(consumer)
        # CreateLogStream and PutLogEvents on the audit group only; CloudWatch Logs uses the key, the caller does not.
        audit.grant_write(consumer)
        for endpoint in endpoints:
            endpoint.connections.allow_default_port_from(consumer, "the patient consumer calls this API privately")

        self.output("KmsKeyArn", key.key_arn, "Customer-managed key for every PHI store and log")
        self.output("PatientStreamName", stream.stream_name, "Kinesis stream receiving patient events")
        self.output("PatientStreamArn", stream.stream_arn, "ARN of the patient stream")
        self.output("AuditLogGroupName", audit.log_group_name, "Audit log group (365 days)")
        self.output("AuditLogStreamName", AUDIT_LOG_STREAM, "Stream in the audit log group the consumer writes to")
        self.output("ConsumerFunctionName", consumer.function_name, "Lambda consuming the patient stream")
        self.output(
            "FailedBatchQueueUrl", consumer.stream_failure_queue.queue_url, "Positions of patient records that failed"
        )
        self.output("DeadLetterQueueUrl", consumer.dead_letter_queue.queue_url, "Failed asynchronous invocations")
        self.output("DatabaseName", database.database_name, "PostgreSQL database the consumer writes to")
        self.output("DatabaseIdentifier", database.instance_identifier, "RDS PostgreSQL instance identifier")
        self.output("DatabaseEndpoint", database.endpoint_address, "RDS PostgreSQL endpoint address")
        self.output("DatabasePort", database.port, "RDS PostgreSQL port")
        self.output("DatabaseSecretArn", database.secret_arn, "RDS-managed master credentials secret")
        self.output("VpcId", network.vpc_id, "VPC id")
        self.output("AlarmTopicArn", alarms.topic_arn, "SNS topic the alarms notify")
