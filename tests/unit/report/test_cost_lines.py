"""One test per price line, on small stacks, with the dollars worked out by hand (730 hours a month)."""

from __future__ import annotations

from typing import Any

import pytest
from report_cases import CfnBuilder, TfBuilder

from constructs_lib.model import Stack
from constructs_lib.report.cost import CostLine, CostReport, TablePrices, estimate, number


def cost(stack: Stack) -> CostReport:
    return estimate(stack)


def lines(report: CostReport, item: str | None = None) -> list[CostLine]:
    return [line for line in report.lines if item is None or line.item == item]


def only(report: CostReport, item: str) -> CostLine:
    (line,) = lines(report, item)
    return line


def reasons(report: CostReport) -> list[str]:
    return [n.reason for n in report.not_priced]


# --- network ------------------------------------------------------------------------------------------------------
def test_nat_gateway_bills_730_hours_at_the_regional_price(cfn: CfnBuilder) -> None:
    nat = {"Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}}}
    assert only(cost(cfn(nat)), "NAT gateway").monthly == pytest.approx(32.85)  # 730 x 0.045
    assert only(cost(cfn(nat, region="eu-west-2")), "NAT gateway").monthly == pytest.approx(36.50)  # 730 x 0.05


def test_public_ipv4_address_bills_730_hours(tf: TfBuilder) -> None:
    report = cost(tf({"aws_eip": {"nat": {"domain": "vpc"}}}))
    line = only(report, "public IPv4 address")
    assert (line.quantity, line.unit_price, line.monthly) == (730, 0.005, pytest.approx(3.65))


def test_network_firewall_bills_each_endpoint_and_waives_one_nat_hour_per_endpoint(tf: TfBuilder) -> None:
    report = cost(
        tf(
            {
                "aws_nat_gateway": {"nat": {"subnet_id": "subnet-1"}},
                "aws_networkfirewall_firewall": {
                    "fw": {"subnet_mapping": [{"subnet_id": "a"}, {"subnet_id": "b"}, {"subnet_id": "c"}]}
                },
            }
        )
    )
    assert only(report, "Network Firewall endpoint").monthly == pytest.approx(865.05)  # 3 x 730 x 0.395
    assert only(report, "NAT gateway hours waived with Network Firewall").monthly == pytest.approx(-32.85)
    assert report.total == pytest.approx(865.05)


def test_a_single_subnet_mapping_written_as_an_object_is_one_endpoint(cfn: CfnBuilder) -> None:
    report = cost(
        cfn({"Fw": {"Type": "AWS::NetworkFirewall::Firewall", "Properties": {"SubnetMappings": {"SubnetId": "a"}}}})
    )
    assert only(report, "Network Firewall endpoint").monthly == pytest.approx(288.35)  # 730 x 0.395
    assert not lines(report, "NAT gateway hours waived with Network Firewall")


def test_firewall_endpoints_decided_at_deploy_time_are_not_priced(cfn: CfnBuilder) -> None:
    mappings = {"Fn::If": ["Two", [{"SubnetId": "a"}], [{"SubnetId": "b"}]]}
    report = cost(cfn({"Fw": {"Type": "AWS::NetworkFirewall::Firewall", "Properties": {"SubnetMappings": mappings}}}))
    assert not report.lines and "subnet mappings are decided at deploy time" in reasons(report)[0]


def test_interface_endpoint_bills_each_az_and_a_gateway_endpoint_is_free(tf: TfBuilder) -> None:
    report = cost(
        tf(
            {
                "aws_vpc_endpoint": {
                    "secrets": {"vpc_endpoint_type": "Interface", "subnet_ids": ["a", "b"]},
                    "s3": {"vpc_endpoint_type": "Gateway"},
                }
            }
        )
    )
    assert only(report, "interface VPC endpoint").monthly == pytest.approx(14.60)  # 2 x 730 x 0.01
    assert [u.bills for u in report.usage_only] == ["nothing (gateway endpoints are free)"]


@pytest.mark.parametrize(
    ("properties", "reason"),
    [
        ({"VpcEndpointType": "GatewayLoadBalancer"}, "GatewayLoadBalancer endpoints are not in the price table"),
        ({"VpcEndpointType": "Interface", "SubnetIds": {"Ref": "Subnets"}}, "decided at deploy time"),
    ],
)
def test_endpoints_the_table_cannot_count_are_not_priced(cfn: CfnBuilder, properties: dict, reason: str) -> None:
    report = cost(cfn({"Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": properties}}))
    assert reason in reasons(report)[0]


# --- Aurora -------------------------------------------------------------------------------------------------------
def aurora(minimum: Any, instance_class: str = "db.serverless", instances: int = 2, **cluster: Any) -> dict:
    resources: dict[str, Any] = {
        "Cluster": {
            "Type": "AWS::RDS::DBCluster",
            "Properties": {
                "Engine": "aurora-postgresql",
                "ServerlessV2ScalingConfiguration": {"MinCapacity": minimum, "MaxCapacity": 2},
                **cluster,
            },
        }
    }
    for index in range(instances):
        resources[f"Instance{index}"] = {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {"DBClusterIdentifier": {"Ref": "Cluster"}, "DBInstanceClass": instance_class},
        }
    return resources


def test_aurora_serverless_v2_bills_its_minimum_acu_on_every_instance(cfn: CfnBuilder) -> None:
    line = only(cost(cfn(aurora(0.5))), "Aurora Serverless v2 capacity")
    assert (line.quantity, line.monthly) == (730, pytest.approx(87.60))  # 0.5 ACU x 2 x 730 x 0.12


def test_aurora_at_zero_acu_with_auto_pause_costs_nothing_idle(tf: TfBuilder) -> None:
    report = cost(
        tf(
            {
                "aws_rds_cluster": {
                    "db": {
                        "engine": "aurora-postgresql",
                        "serverlessv2_scaling_configuration": {"min_capacity": 0, "seconds_until_auto_pause": 600},
                    }
                },
                "aws_rds_cluster_instance": {
                    "writer": {"cluster_identifier": "${aws_rds_cluster.db.id}", "instance_class": "db.serverless"}
                },
            }
        )
    )
    line = only(report, "Aurora Serverless v2 capacity")
    assert line.monthly == 0 and "pauses after 600 s" in line.note
    assert report.total == 0


def test_rds_managed_master_secret_bills_a_secret_month(cfn: CfnBuilder) -> None:
    report = cost(cfn(aurora(0, ManageMasterUserPassword=True)))
    assert only(report, "RDS-managed master secret").monthly == pytest.approx(0.40)


@pytest.mark.parametrize(
    ("resources", "reason"),
    [
        (aurora(0.5, instance_class="db.r6g.large", instances=1), "Aurora instance class db.r6g.large is not in"),
        (aurora({"Ref": "Min"}, instances=1), "minimum capacity is not set in the template"),
        (aurora(1, instances=1, EngineMode="serverless"), "Aurora Serverless v1 is not in the price table"),
    ],
)
def test_aurora_the_table_cannot_price_is_listed(cfn: CfnBuilder, resources: dict, reason: str) -> None:
    report = cost(cfn(resources))
    assert any(reason in r for r in reasons(report))
    assert not lines(report, "Aurora Serverless v2 capacity")


def test_aurora_cluster_without_instances_bills_no_capacity(cfn: CfnBuilder) -> None:
    report = cost(cfn(aurora(0.5, instances=0)))
    assert not report.lines and not report.not_priced
    assert report.usage_only[0].bills == "GB stored and I/O (Aurora storage)"


# --- RDS instances ------------------------------------------------------------------------------------------------
def rds(**properties: Any) -> dict:
    base = {"Engine": "postgres", "DBInstanceClass": "db.t4g.micro", "AllocatedStorage": "20", "StorageType": "gp3"}
    return {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {**base, **properties}}}


def test_rds_multi_az_bills_primary_and_standby_and_two_copies_of_storage(cfn: CfnBuilder) -> None:
    report = cost(cfn(rds(MultiAZ=True)))
    assert only(report, "RDS PostgreSQL db.t4g.micro Multi-AZ").monthly == pytest.approx(23.36)  # 730 x 0.032
    assert only(report, "RDS gp3 storage Multi-AZ").monthly == pytest.approx(4.60)  # 20 GB x 0.23


def test_rds_single_az_in_london_bills_the_london_prices(tf: TfBuilder) -> None:
    report = cost(
        tf(
            {
                "aws_db_instance": {
                    "db": {"engine": "postgres", "instance_class": "db.t4g.micro", "allocated_storage": 20}
                }
            },
            region="eu-west-2",
        )
    )
    assert only(report, "RDS PostgreSQL db.t4g.micro Single-AZ").monthly == pytest.approx(13.14)  # 730 x 0.018
    assert only(report, "RDS gp2 storage Single-AZ").monthly == pytest.approx(2.66)  # 20 x 0.133 (gp2 default)


@pytest.mark.parametrize(
    ("properties", "reason"),
    [
        ({"DBInstanceClass": "db.r6g.large"}, "no line rds.instance.postgres.db.r6g.large.single-az"),
        ({"Engine": "mysql"}, "RDS engine mysql is not in the price table"),
        ({"StorageType": "io1"}, "io1 storage is not in the price table"),
        ({"AllocatedStorage": {"Ref": "Size"}}, "allocated storage is decided at deploy time"),
    ],
)
def test_rds_the_table_cannot_price_is_listed(cfn: CfnBuilder, properties: dict, reason: str) -> None:
    assert any(reason in r for r in reasons(cost(cfn(rds(**properties)))))


# --- ElastiCache --------------------------------------------------------------------------------------------------
def test_cache_bills_each_node_of_the_replication_group(cfn: CfnBuilder) -> None:
    group = {"CacheNodeType": "cache.t4g.micro", "Engine": "redis", "NumCacheClusters": 2}
    report = cost(cfn({"Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": group}}))
    assert only(report, "ElastiCache Redis cache.t4g.micro node").monthly == pytest.approx(23.36)  # 2 x 730 x 0.016


def test_cluster_mode_cache_bills_shards_times_replicas_plus_one(tf: TfBuilder) -> None:
    group = {"node_type": "cache.t4g.micro", "num_node_groups": 2, "replicas_per_node_group": 1}
    report = cost(tf({"aws_elasticache_replication_group": {"cache": group}}))
    assert only(report, "ElastiCache Redis cache.t4g.micro node").quantity == 4 * 730


def test_valkey_cache_cluster_bills_its_nodes_at_the_valkey_price(cfn: CfnBuilder) -> None:
    cluster = {"CacheNodeType": "cache.t4g.micro", "Engine": "valkey", "NumCacheNodes": 3}
    report = cost(cfn({"Cache": {"Type": "AWS::ElastiCache::CacheCluster", "Properties": cluster}}))
    assert only(report, "ElastiCache Valkey cache.t4g.micro node").monthly == pytest.approx(28.032)  # 3x730x0.0128


@pytest.mark.parametrize(
    ("group", "reason"),
    [
        ({"CacheNodeType": "cache.r7g.large"}, "no line elasticache.node.redis.cache.r7g.large"),
        ({"CacheNodeType": "cache.t4g.micro", "NumNodeGroups": {"Ref": "Shards"}}, "number of cache nodes"),
    ],
)
def test_cache_the_table_cannot_price_is_listed(cfn: CfnBuilder, group: dict, reason: str) -> None:
    report = cost(cfn({"Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": group}}))
    assert reason in reasons(report)[0]


# --- Kinesis, KMS, Secrets Manager --------------------------------------------------------------------------------
def test_provisioned_stream_bills_each_shard(tf: TfBuilder) -> None:
    report = cost(tf({"aws_kinesis_stream": {"s": {"shard_count": 2, "retention_period": 24}}}))
    assert only(report, "Kinesis shard (provisioned)").monthly == pytest.approx(21.90)  # 2 x 730 x 0.015


def test_on_demand_stream_bills_the_stream_hour(cfn: CfnBuilder) -> None:
    stream = {"StreamModeDetails": {"StreamMode": "ON_DEMAND"}}
    report = cost(cfn({"S": {"Type": "AWS::Kinesis::Stream", "Properties": stream}}))
    assert only(report, "Kinesis stream (on-demand)").monthly == pytest.approx(29.20)  # 730 x 0.04


def test_extended_retention_and_deploy_time_shards_are_listed(cfn: CfnBuilder) -> None:
    stream = {"ShardCount": {"Ref": "Shards"}, "RetentionPeriodHours": 168}
    report = cost(cfn({"S": {"Type": "AWS::Kinesis::Stream", "Properties": stream}}))
    assert not report.lines
    assert ["shard count is decided" in reasons(report)[0], "extended retention (168 h" in reasons(report)[1]] == [
        True,
        True,
    ]


def test_a_key_and_a_secret_bill_a_month_each(cfn: CfnBuilder) -> None:
    report = cost(
        cfn({"Key": {"Type": "AWS::KMS::Key", "Properties": {}}, "S": {"Type": "AWS::SecretsManager::Secret"}})
    )
    assert [(line.item, line.monthly) for line in report.lines] == [
        ("KMS customer-managed key", 1.0),
        ("Secrets Manager secret", pytest.approx(0.40)),
    ]


# --- Fargate ------------------------------------------------------------------------------------------------------
def fargate(service: dict, architecture: str = "ARM64") -> dict:
    return {
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Cpu": "256",
                "Memory": "512",
                "RequiresCompatibilities": ["FARGATE"],
                "RuntimePlatform": {"CpuArchitecture": architecture},
            },
        },
        "Service": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Task"}, **service}},
    }


def test_fargate_service_bills_vcpu_and_memory_of_each_desired_task(cfn: CfnBuilder) -> None:
    report = cost(cfn(fargate({"LaunchType": "FARGATE", "DesiredCount": 2})))
    assert only(report, "Fargate arm64 vCPU").monthly == pytest.approx(11.8187)  # 2 x 0.25 x 730 x 0.03238
    assert only(report, "Fargate arm64 memory").monthly == pytest.approx(2.5988)  # 2 x 0.5 x 730 x 0.00356


def test_fargate_x86_service_without_launch_type_defaults_to_one_task_in_cloudformation(cfn: CfnBuilder) -> None:
    report = cost(cfn(fargate({}, architecture="X86_64")))
    assert only(report, "Fargate x86_64 vCPU").monthly == pytest.approx(7.3876)  # 1 x 0.25 x 730 x 0.04048


def test_terraform_fargate_service_without_desired_count_runs_no_task(tf: TfBuilder) -> None:
    report = cost(
        tf(
            {
                "aws_ecs_task_definition": {
                    "t": {"cpu": "512", "memory": "1024", "requires_compatibilities": ["FARGATE"]}
                },
                "aws_ecs_service": {
                    "s": {
                        "task_definition": "${aws_ecs_task_definition.t.arn}",
                        "capacity_provider_strategy": {"capacity_provider": "FARGATE"},
                    }
                },
            }
        )
    )
    assert report.total == 0 and {line.note for line in report.lines} == {"desired count 0: no task runs idle"}


@pytest.mark.parametrize(
    ("service", "reason"),
    [
        ({"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT"}]}, "launch type FARGATE_SPOT"),
        ({"LaunchType": "EC2"}, "launch type EC2 is not in the table"),
        ({"DesiredCount": {"Ref": "Count"}}, "desired count is decided at deploy time"),
    ],
)
def test_fargate_the_table_cannot_price_is_listed(cfn: CfnBuilder, service: dict, reason: str) -> None:
    assert reason in reasons(cost(cfn(fargate(service))))[0]


def test_a_service_whose_task_definition_is_elsewhere_is_not_priced(cfn: CfnBuilder) -> None:
    report = cost(cfn({"S": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": "arn:task"}}}))
    assert reasons(report) == ["its task definition is not in this stack"]


# --- monitoring ---------------------------------------------------------------------------------------------------
def test_config_recorder_is_estimated_at_zero_items_idle_with_a_note(tf: TfBuilder) -> None:
    line = only(
        cost(tf({"aws_config_configuration_recorder": {"r": {"name": "r"}}})), "AWS Config configuration item recorded"
    )
    assert (line.quantity, line.monthly) == (0, 0) and "per configuration item recorded" in line.note


@pytest.mark.parametrize(
    ("alarm", "monthly"),
    [
        ({"Period": 300}, 0.10),
        ({"Period": 10}, 0.30),
        (
            {
                "Metrics": [
                    {"Id": "a", "MetricStat": {}},
                    {"Id": "b", "MetricStat": {}},
                    {"Id": "e", "Expression": "a+b"},
                ]
            },
            0.20,
        ),
    ],
)
def test_alarms_bill_each_metric_by_resolution(cfn: CfnBuilder, alarm: dict, monthly: float) -> None:
    report = cost(cfn({"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": alarm}}))
    assert report.total == pytest.approx(monthly)


# --- everything else ----------------------------------------------------------------------------------------------
def test_dynamodb_on_demand_is_usage_only_and_provisioned_is_not_priced(tf: TfBuilder) -> None:
    report = cost(
        tf({"aws_dynamodb_table": {"a": {"billing_mode": "PAY_PER_REQUEST"}, "b": {"billing_mode": "PROVISIONED"}}})
    )
    assert [u.type for u in report.usage_only] == ["aws_dynamodb_table"]
    assert reasons(report) == ["provisioned DynamoDB capacity is not in the price table"]


def test_free_resources_add_nothing_and_usage_resources_are_listed(cfn: CfnBuilder) -> None:
    report = cost(
        cfn(
            {
                "Role": {"Type": "AWS::IAM::Role"},
                "Fn": {"Type": "AWS::Lambda::Function"},
                "Q": {"Type": "AWS::SQS::Queue"},
            }
        )
    )
    assert not report.lines and not report.not_priced
    assert [(u.type, u.bills) for u in report.usage_only] == [
        ("AWS::Lambda::Function", "requests and GB-seconds"),
        ("AWS::SQS::Queue", "requests"),
    ]


def test_an_unknown_type_is_listed_as_not_priced(cfn: CfnBuilder) -> None:
    report = cost(cfn({"Box": {"Type": "AWS::EC2::Instance"}}))
    assert reasons(report) == ["no idle price for AWS::EC2::Instance in the table"]


def test_a_stack_without_a_region_is_priced_in_the_default_region_and_says_so(cfn: CfnBuilder) -> None:
    report = cost(cfn({"Nat": {"Type": "AWS::EC2::NatGateway"}}, region=None))
    assert report.region == "us-east-1" and "decided at deploy time" in report.region_note


def test_a_region_the_table_has_not_verified_is_not_priced_rather_than_guessed(cfn: CfnBuilder) -> None:
    report = cost(cfn({"Nat": {"Type": "AWS::EC2::NatGateway"}}, region="sa-east-1"))
    assert not report.lines and "no verified sa-east-1 price for vpc.nat_gateway; try --live" in reasons(report)[0]


def test_total_is_the_sum_of_the_lines_and_dev_budget_is_strictly_below(cfn: CfnBuilder) -> None:
    resources = {f"Nat{i}": {"Type": "AWS::EC2::NatGateway"} for i in range(2)}
    report = estimate(cfn(resources, profile="dev"))
    assert report.total == pytest.approx(65.70)
    over = estimate(cfn(resources, profile="dev"))
    object.__setattr__(over, "system", "stream-processor")  # budget $62
    assert over.over_budget and over.to_dict()["over_budget"] is True
    prod = estimate(cfn(resources, profile="prod"))
    object.__setattr__(prod, "system", "stream-processor")
    assert not prod.over_budget


def test_json_form_of_a_line_rounds_the_monthly_dollars(cfn: CfnBuilder) -> None:
    line = only(cost(cfn({"Nat": {"Type": "AWS::EC2::NatGateway"}})), "NAT gateway")
    assert line.to_dict()["monthly"] == 32.85 and line.to_dict()["price_key"] == "vpc.nat_gateway"


def test_numbers_are_read_from_json_numbers_and_numeric_strings_only() -> None:
    assert [number(v) for v in (2, "20", 0.5, True, "x", None, {"Ref": "N"})] == [2, 20, 0.5, None, None, None, None]


def test_a_missing_line_is_explained_by_the_table() -> None:
    assert "has no line nope" in TablePrices().missing("nope", "us-east-1")
    assert TablePrices().unit_price("nope", "us-east-1") is None
