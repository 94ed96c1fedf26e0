"""Format-neutral resource kinds: one name for the CloudFormation type and the Terraform type of the same thing.

Only types a check, a cost report or a diagram cares about are listed; everything else is ``other`` and keeps its
exact ``type``. Add a row here, not a special case in a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OTHER = "other"

KINDS: dict[str, str] = {
    # Storage
    "AWS::S3::Bucket": "s3_bucket",
    "aws_s3_bucket": "s3_bucket",
    "aws_s3_bucket_versioning": "s3_bucket_versioning",
    "aws_s3_bucket_logging": "s3_bucket_logging",
    "aws_s3_bucket_lifecycle_configuration": "s3_bucket_lifecycle",
    "aws_s3_bucket_server_side_encryption_configuration": "s3_bucket_encryption",
    "aws_s3_bucket_object_lock_configuration": "s3_bucket_object_lock",
    "AWS::S3::BucketPolicy": "s3_bucket_policy",
    "aws_s3_bucket_policy": "s3_bucket_policy",
    "aws_s3_bucket_notification": "s3_bucket_notification",
    "aws_s3_bucket_ownership_controls": "s3_bucket_ownership",
    "aws_s3_bucket_public_access_block": "s3_bucket_public_access_block",
    "AWS::DynamoDB::Table": "dynamodb_table",
    "AWS::DynamoDB::GlobalTable": "dynamodb_table",
    "aws_dynamodb_table": "dynamodb_table",
    # Databases and caches
    "AWS::RDS::DBInstance": "db_instance",
    "aws_db_instance": "db_instance",
    "aws_rds_cluster_instance": "db_cluster_instance",
    "AWS::RDS::DBCluster": "db_cluster",
    "aws_rds_cluster": "db_cluster",
    "AWS::ElastiCache::ReplicationGroup": "cache_replication_group",
    "aws_elasticache_replication_group": "cache_replication_group",
    "AWS::ElastiCache::CacheCluster": "cache_cluster",
    "aws_elasticache_cluster": "cache_cluster",
    "AWS::RDS::DBParameterGroup": "db_parameter_group",
    "AWS::RDS::DBClusterParameterGroup": "db_cluster_parameter_group",
    "aws_rds_cluster_parameter_group": "db_cluster_parameter_group",
    # Messaging and streaming
    "AWS::SQS::Queue": "queue",
    "aws_sqs_queue": "queue",
    "AWS::SQS::QueuePolicy": "queue_policy",
    "aws_sqs_queue_policy": "queue_policy",
    "aws_sqs_queue_redrive_allow_policy": "queue_redrive_allow_policy",
    "AWS::Kinesis::Stream": "stream",
    "aws_kinesis_stream": "stream",
    "AWS::SNS::Topic": "topic",
    "aws_sns_topic": "topic",
    "AWS::SNS::TopicPolicy": "topic_policy",
    "aws_sns_topic_policy": "topic_policy",
    "AWS::SNS::Subscription": "topic_subscription",
    # Keys, secrets, logs
    "AWS::KMS::Key": "kms_key",
    "aws_kms_key": "kms_key",
    "aws_kms_key_policy": "kms_key_policy",
    "AWS::KMS::Alias": "kms_alias",
    "aws_kms_alias": "kms_alias",
    "AWS::SecretsManager::Secret": "secret",
    "aws_secretsmanager_secret": "secret",
    "AWS::Logs::LogGroup": "log_group",
    "aws_cloudwatch_log_group": "log_group",
    "Custom::LogRetention": "log_retention",
    "Custom::S3AutoDeleteObjects": "s3_auto_delete",
    # Compute
    "AWS::Lambda::Function": "function",
    "aws_lambda_function": "function",
    "AWS::Lambda::Permission": "function_permission",
    "aws_lambda_permission": "function_permission",
    "AWS::ECS::Cluster": "ecs_cluster",
    "aws_ecs_cluster": "ecs_cluster",
    "AWS::ECS::ClusterCapacityProviderAssociations": "ecs_cluster_capacity_providers",
    "aws_ecs_cluster_capacity_providers": "ecs_cluster_capacity_providers",
    # Network and identity
    "AWS::EC2::SecurityGroup": "security_group",
    "aws_security_group": "security_group",
    "aws_default_security_group": "default_security_group",
    "Custom::VpcRestrictDefaultSG": "restrict_default_security_group",
    "AWS::EC2::SecurityGroupIngress": "security_group_ingress",
    "aws_vpc_security_group_ingress_rule": "security_group_ingress",
    "AWS::EC2::SecurityGroupEgress": "security_group_egress",
    "aws_vpc_security_group_egress_rule": "security_group_egress",
    "aws_security_group_rule": "security_group_rule",
    "AWS::IAM::Role": "iam_role",
    "aws_iam_role": "iam_role",
    "aws_iam_role_policy_attachment": "iam_role_policy_attachment",
    "AWS::NetworkFirewall::Firewall": "network_firewall",
    "aws_networkfirewall_firewall": "network_firewall",
    "AWS::NetworkFirewall::RuleGroup": "network_firewall_rule_group",
    "aws_networkfirewall_rule_group": "network_firewall_rule_group",
    "AWS::NetworkFirewall::FirewallPolicy": "network_firewall_policy",
    "aws_networkfirewall_firewall_policy": "network_firewall_policy",
    "AWS::NetworkFirewall::LoggingConfiguration": "network_firewall_logging",
    "aws_networkfirewall_logging_configuration": "network_firewall_logging",
    "AWS::EC2::VPC": "vpc",
    "aws_vpc": "vpc",
    "AWS::EC2::Subnet": "subnet",
    "aws_subnet": "subnet",
    "AWS::EC2::RouteTable": "route_table",
    "aws_route_table": "route_table",
    "AWS::EC2::Route": "route",
    "aws_route": "route",
    "AWS::EC2::SubnetRouteTableAssociation": "route_table_association",
    "aws_route_table_association": "route_table_association",
    "AWS::EC2::NatGateway": "nat_gateway",
    "aws_nat_gateway": "nat_gateway",
    "AWS::EC2::EIP": "elastic_ip",
    "aws_eip": "elastic_ip",
    "AWS::EC2::InternetGateway": "internet_gateway",
    "aws_internet_gateway": "internet_gateway",
    "AWS::EC2::VPCGatewayAttachment": "vpc_gateway_attachment",
    "AWS::EC2::VPCEndpoint": "vpc_endpoint",
    "aws_vpc_endpoint": "vpc_endpoint",
    "AWS::EC2::FlowLog": "flow_log",
    "aws_flow_log": "flow_log",
    "AWS::RDS::DBSubnetGroup": "db_subnet_group",
    "aws_db_subnet_group": "db_subnet_group",
    "AWS::ElastiCache::SubnetGroup": "cache_subnet_group",
    "aws_elasticache_subnet_group": "cache_subnet_group",
    "AWS::IAM::Policy": "iam_policy",
    "AWS::IAM::ManagedPolicy": "iam_policy",
    "aws_iam_policy": "iam_policy",
    "aws_iam_role_policy": "iam_policy",
    # Containers and event wiring
    "AWS::ECS::Service": "ecs_service",
    "aws_ecs_service": "ecs_service",
    "AWS::ECS::TaskDefinition": "ecs_task_definition",
    "aws_ecs_task_definition": "ecs_task_definition",
    "AWS::ECR::Repository": "ecr_repository",
    "aws_ecr_repository": "ecr_repository",
    "aws_ecr_lifecycle_policy": "ecr_lifecycle_policy",
    "AWS::ApplicationAutoScaling::ScalableTarget": "scaling_target",
    "aws_appautoscaling_target": "scaling_target",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "scaling_policy",
    "aws_appautoscaling_policy": "scaling_policy",
    "AWS::Lambda::EventSourceMapping": "event_source_mapping",
    "aws_lambda_event_source_mapping": "event_source_mapping",
    # Monitoring and audit
    "AWS::CloudWatch::Alarm": "metric_alarm",
    "aws_cloudwatch_metric_alarm": "metric_alarm",
    "AWS::Config::ConfigurationRecorder": "config_recorder",
    "aws_config_configuration_recorder": "config_recorder",
    "aws_config_configuration_recorder_status": "config_recorder_status",
    "aws_config_delivery_channel": "config_delivery_channel",
    "aws_config_config_rule": "config_rule",
}

#: Where data lives: losing one on delete loses data; a test wants to read each one.
DATA_STORE_KINDS: frozenset[str] = frozenset(
    {"s3_bucket", "dynamodb_table", "db_instance", "db_cluster", "cache_replication_group", "cache_cluster"}
)
#: Where messages wait: a test wants to put to or read from each one.
MESSAGING_KINDS: frozenset[str] = frozenset({"queue", "stream"})
#: Databases and caches: engine versions, passwords, network exposure.
DATABASE_KINDS: frozenset[str] = frozenset(
    {"db_instance", "db_cluster", "db_cluster_instance", "cache_replication_group", "cache_cluster"}
)


def kind_of(resource_type: str, properties: Mapping[str, Any]) -> str:
    """The neutral kind; an RDS DB instance that belongs to an Aurora cluster is a ``db_cluster_instance``."""
    kind = KINDS.get(resource_type, OTHER)
    if resource_type == "AWS::RDS::DBInstance" and properties.get("DBClusterIdentifier") is not None:
        return "db_cluster_instance"
    return kind
