"""The diagram model: boundaries for the VPC and its subnet tiers, a node per data store, stream, queue, compute,
key and log destination, and edges from the references (direct, through IAM, through wiring resources)."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_cases import CfnBuilder, TfBuilder

from constructs_lib.model import Stack
from constructs_lib.report.diagram import DiagramModel, build, short_label
from constructs_lib.report.render import RenderError, icon_class, render, wrap


def ref(name: str) -> dict:
    return {"Ref": name}


def arn(name: str) -> dict:
    return {"Fn::GetAtt": [name, "Arn"]}


def subnet(tier: str) -> dict:
    return {
        "Type": "AWS::EC2::Subnet",
        "Properties": {"VpcId": ref("Vpc"), "Tags": [{"Key": "aws-cdk:subnet-name", "Value": tier}]},
    }


@pytest.fixture(scope="module")
def cdk_app(cfn: CfnBuilder) -> Stack:
    """A VPC with three tiers, a Lambda in private subnets consuming a stream into a database in isolated subnets."""
    path = {"Metadata": {"aws:cdk:path": "App/Consumer/Resource"}}
    return cfn(
        {
            "Vpc": {"Type": "AWS::EC2::VPC", "Metadata": {"aws:cdk:path": "App/Network/Resource"}},
            "Public1": subnet("public"),
            "Private1": subnet("private"),
            "Private2": subnet("private"),
            "Isolated1": subnet("isolated"),
            "Igw": {"Type": "AWS::EC2::InternetGateway"},
            "IgwAttach": {
                "Type": "AWS::EC2::VPCGatewayAttachment",
                "Properties": {"VpcId": ref("Vpc"), "InternetGatewayId": ref("Igw")},
            },
            "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"SubnetId": ref("Public1")}},
            "PrivateRoutes": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}},
            "PrivateAssoc": {
                "Type": "AWS::EC2::SubnetRouteTableAssociation",
                "Properties": {"SubnetId": ref("Private1"), "RouteTableId": ref("PrivateRoutes")},
            },
            "PrivateDefault": {
                "Type": "AWS::EC2::Route",
                "Properties": {"RouteTableId": ref("PrivateRoutes"), "NatGatewayId": ref("Nat")},
            },
            "Key": {"Type": "AWS::KMS::Key"},
            "Stream": {
                "Type": "AWS::Kinesis::Stream",
                "Properties": {"ShardCount": 1, "StreamEncryption": {"KeyId": arn("Key")}},
            },
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"KmsKeyId": arn("Key")}},
            "Dlq": {"Type": "AWS::SQS::Queue"},
            "Topic": {"Type": "AWS::SNS::Topic"},
            "DbSubnets": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"SubnetIds": [ref("Isolated1")]}},
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    "DBSubnetGroupName": ref("DbSubnets"),
                    "KmsKeyId": arn("Key"),
                    "DBInstanceClass": "db.t4g.micro",
                },
            },
            "Role": {"Type": "AWS::IAM::Role"},
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"Roles": [ref("Role")], "PolicyDocument": {"Statement": [{"Resource": arn("Stream")}]}},
            },
            "Consumer": {
                "Type": "AWS::Lambda::Function",
                **path,
                "Properties": {
                    "Role": arn("Role"),
                    "LoggingConfig": {"LogGroup": ref("Logs")},
                    "VpcConfig": {"SubnetIds": [ref("Private1"), ref("Private2")]},
                    "Environment": {"Variables": {"DB_HOST": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}}},
                },
            },
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": arn("Stream"),
                    "FunctionName": ref("Consumer"),
                    "DestinationConfig": {"OnFailure": {"Destination": arn("Dlq")}},
                },
            },
            "Alarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Dimensions": [{"Name": "StreamName", "Value": ref("Stream")}],
                    "AlarmActions": [ref("Topic")],
                },
            },
            "Provider": {
                "Type": "AWS::Lambda::Function",
                "Metadata": {"aws:cdk:path": "App/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler"},
            },
        }
    )


@pytest.fixture(scope="module")
def model(cdk_app: Stack) -> DiagramModel:
    return build(cdk_app)


def edge(model: DiagramModel, source: str, target: str) -> str | None:
    found = model.edge_between(source, target)
    return found.via if found else None


def test_every_data_store_stream_queue_compute_key_and_log_is_a_node(model: DiagramModel) -> None:
    assert {(n.node_id, n.category) for n in model.nodes if not n.node_id.startswith("subnets:")} >= {
        ("Db", "data_store"),
        ("Stream", "stream"),
        ("Dlq", "queue"),
        ("Topic", "topic"),
        ("Consumer", "compute"),
        ("Key", "key"),
        ("Logs", "log"),
        ("Nat", "network"),
        ("Igw", "network"),
    }


def test_cdk_custom_resource_providers_are_not_drawn(model: DiagramModel) -> None:
    assert model.node("Provider") is None


def test_the_vpc_and_each_subnet_tier_are_boundaries_with_a_node_per_tier(model: DiagramModel) -> None:
    assert {(b.boundary_id, b.parent) for b in model.boundaries} == {
        ("Vpc", None),
        ("Vpc/public", "Vpc"),
        ("Vpc/private", "Vpc"),
        ("Vpc/isolated", "Vpc"),
    }
    private = model.node("subnets:Vpc/private")
    assert private is not None and (private.boundary, private.detail, private.icon) == (
        "Vpc/private",
        "2 AZs",
        "private_subnet",
    )
    assert model.node("subnets:Vpc/public").icon == "public_subnet"


def test_nodes_sit_in_the_tier_of_their_subnets_or_outside_the_vpc(model: DiagramModel) -> None:
    placed = {n.node_id: n.boundary for n in model.nodes}
    assert placed["Consumer"] == "Vpc/private"
    assert placed["Db"] == "Vpc/isolated"  # through its DB subnet group
    assert placed["Nat"] == "Vpc/public"
    assert placed["Igw"] == "Vpc"  # through its VPC attachment
    assert placed["Stream"] is None and placed["Key"] is None


def test_direct_references_are_edges_labelled_by_what_they_point_at(model: DiagramModel) -> None:
    assert edge(model, "Stream", "Key") == "encrypted by"
    assert edge(model, "Consumer", "Logs") == "logs to"
    assert edge(model, "Consumer", "Db") == "uses"


def test_the_event_source_mapping_draws_the_data_flow_and_its_failure_destination(model: DiagramModel) -> None:
    assert edge(model, "Stream", "Consumer") == "events"
    assert edge(model, "Consumer", "Dlq") == "on failure"


def test_an_alarm_connects_the_resource_it_watches_to_its_topic(model: DiagramModel) -> None:
    assert edge(model, "Stream", "Topic") == "alarm"


def test_a_function_uses_what_its_roles_policies_name(model: DiagramModel) -> None:
    assert edge(model, "Consumer", "Stream") == "IAM"


def test_a_route_connects_a_subnet_tier_to_its_gateway(model: DiagramModel) -> None:
    assert edge(model, "subnets:Vpc/private", "Nat") == "route"


def test_labels_drop_the_stack_id_and_cdks_resource_leaf(model: DiagramModel) -> None:
    assert model.node("Consumer").label == "Consumer"
    assert model.node("Vpc/isolated") is None and model.node("Db").detail == "db.t4g.micro"
    assert model.title == "test-system (dev)"


def test_terraform_wiring_resources_draw_their_flows(tf: TfBuilder) -> None:
    stack = tf(
        {
            "aws_vpc": {"vpc": {}},
            "aws_subnet": {"firewall-0": {"vpc_id": "${aws_vpc.vpc.id}", "tags": {"Name": "app/net-firewall-0"}}},
            "aws_s3_bucket": {"data": {}, "logs": {}, "config": {}},
            "aws_lambda_function": {"fn": {}},
            "aws_s3_bucket_logging": {
                "l": {"bucket": "${aws_s3_bucket.data.id}", "target_bucket": "${aws_s3_bucket.logs.id}"}
            },
            "aws_lambda_permission": {
                "p": {"source_arn": "${aws_s3_bucket.data.arn}", "function_name": "${aws_lambda_function.fn.arn}"}
            },
            "aws_config_configuration_recorder": {"rec": {"name": "r"}},
            "aws_config_delivery_channel": {"ch": {"s3_bucket_name": "${aws_s3_bucket.config.bucket}"}},
            "aws_networkfirewall_firewall": {
                "fw": {"vpc_id": "${aws_vpc.vpc.id}", "subnet_mapping": [{"subnet_id": "${aws_subnet.firewall-0.id}"}]}
            },
            "aws_cloudwatch_log_group": {"alerts": {}},
            "aws_networkfirewall_logging_configuration": {
                "fl": {
                    "firewall_arn": "${aws_networkfirewall_firewall.fw.arn}",
                    "logging_configuration": {
                        "log_destination_config": [
                            {"log_destination": {"logGroup": "${aws_cloudwatch_log_group.alerts.name}"}}
                        ]
                    },
                }
            },
            "aws_ecs_cluster": {"c": {}},
        }
    )
    model = build(stack)
    assert edge(model, "aws_s3_bucket.data", "aws_s3_bucket.logs") == "access logs"
    assert edge(model, "aws_s3_bucket.data", "aws_lambda_function.fn") == "invokes"
    assert edge(model, "aws_config_configuration_recorder.rec", "aws_s3_bucket.config") == "delivers"
    assert edge(model, "aws_networkfirewall_firewall.fw", "aws_cloudwatch_log_group.alerts") == "logs"
    assert model.node("aws_networkfirewall_firewall.fw").boundary == "aws_vpc.vpc/firewall"
    assert model.node("aws_s3_bucket.data").label == "data"  # no construct path: the Terraform name


def test_a_subnet_without_a_vpc_or_tier_word_still_gets_a_boundary(tf: TfBuilder) -> None:
    model = build(
        tf(
            {
                "aws_subnet": {"web-1": {}},
                "aws_lambda_function": {"fn": {"vpc_config": {"subnet_ids": ["${aws_subnet.web-1.id}"]}}},
            }
        )
    )
    assert [b.boundary_id for b in model.boundaries] == ["vpc", "vpc/web"]
    assert model.node("aws_lambda_function.fn").boundary == "vpc/web"


def test_aurora_and_stream_details_size_the_node(tf: TfBuilder) -> None:
    model = build(
        tf(
            {
                "aws_rds_cluster": {
                    "db": {
                        "engine": "aurora-postgresql",
                        "engine_version": "17.9",
                        "serverlessv2_scaling_configuration": {"min_capacity": 0},
                    }
                },
                "aws_kinesis_stream": {"s": {"stream_mode_details": {"stream_mode": "ON_DEMAND"}}},
            }
        )
    )
    assert model.node("aws_rds_cluster.db").detail == "aurora-postgresql 17.9\nmin 0 ACU"
    assert model.node("aws_kinesis_stream.s").detail == "on-demand"


def test_short_label_keeps_a_single_segment_path(cfn: CfnBuilder) -> None:
    stack = cfn({"Q": {"Type": "AWS::SQS::Queue", "Metadata": {"aws:cdk:path": "App/Resource"}}})
    assert short_label(stack.resources["Q"]) == "Resource"


def test_without_path_metadata_the_label_is_the_logical_id_without_cdks_hash(cfn: CfnBuilder) -> None:
    stack = cfn(
        {"ConsumerDeadLetterQueueD4E2A00B": {"Type": "AWS::SQS::Queue"}, "A1B2C3D4": {"Type": "AWS::SQS::Queue"}}
    )
    assert short_label(stack.resources["ConsumerDeadLetterQueueD4E2A00B"]) == "ConsumerDeadLetterQueue"
    assert short_label(stack.resources["A1B2C3D4"]) == "A1B2C3D4"


def test_json_form_lists_boundaries_nodes_and_edges(model: DiagramModel) -> None:
    data = model.to_dict()
    assert {"title", "boundaries", "nodes", "edges"} == set(data)
    assert {"source": "Stream", "target": "Consumer", "via": "events"} in data["edges"]


# --- drawing ------------------------------------------------------------------------------------------------------
def test_labels_wrap_at_path_and_word_boundaries() -> None:
    assert wrap("Processing/TelemetryProcessorLogs") == "Processing/Telemetry\nProcessorLogs"
    assert wrap("data-processing/processor/function") == "data-processing/\nprocessor/function"
    assert wrap("Key") == "Key"


def test_every_node_icon_is_an_aws_icon_of_the_diagrams_package(model: DiagramModel) -> None:
    from constructs_lib.report.diagram import NODE_KINDS

    icons = {icon for _, icon in NODE_KINDS.values()} | {"public_subnet", "private_subnet"}
    assert all(icon_class(icon).__module__.startswith("diagrams.aws.") for icon in icons)


def test_the_model_draws_to_a_png(model: DiagramModel, tmp_path: Path) -> None:
    written = render(model, tmp_path / "pictures" / "app.png")
    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_drawing_without_graphviz_says_how_to_install_it(
    model: DiagramModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shutil.which", lambda _: None)
    with pytest.raises(RenderError, match="apt-get install -y graphviz"):
        render(model, tmp_path / "app.png")
