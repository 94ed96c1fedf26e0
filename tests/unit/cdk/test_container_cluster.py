"""ContainerCluster: Container Insights, audited and encrypted ECS Exec, and the optional hardened task definition."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kinesis as kinesis
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.container_cluster import ContainerCluster, processing_image
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.network import Network
from constructs_lib.policy import ConfigurationError, compute, naming, profiles, retention, services


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    resources: dict[str, Any]
    cluster: ContainerCluster
    shared: ContainerCluster
    task: ecs.FargateTaskDefinition
    bigger_task: ecs.FargateTaskDefinition
    stream: kinesis.Stream

    def props(self, construct: Any) -> dict[str, Any]:
        return self.resources[self.stack.get_logical_id(construct)]["Properties"]

    def ref(self, value: Any) -> Any:
        return self.stack.resolve(value)


@functools.cache
def build(profile: str) -> Built:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    stack = cdk.Stack(app, "Containers")
    cluster = ContainerCluster(stack, "Processing")
    key = EncryptionKey(stack, "Key")
    shared = ContainerCluster(
        stack,
        "Shared",
        vpc=Network(stack, "Network", encryption_key=key),
        encryption_key=key,
        name_prefix="iot-shared",
        container_insights_v2=ecs.ContainerInsights.ENHANCED,
    )
    stream = kinesis.Stream(stack, "Telemetry", encryption=kinesis.StreamEncryption.KMS, encryption_key=key)
    task = shared.add_processing_task("Processor", environment={"STREAM_NAME": stream.stream_name})
    stream.grant_read(task.task_role)
    bigger = shared.add_processing_task(
        "Batch",
        image=ecs.ContainerImage.from_registry("example/batch"),
        cpu=1024,
        memory_limit_mib=2048,
        command=["run"],
    )
    template = Template.from_stack(stack)
    return Built(stack, template, template.to_json()["Resources"], cluster, shared, task, bigger, stream)


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request: pytest.FixtureRequest) -> Built:
    return build(request.param)


def cluster_props(b: Built, cluster: ContainerCluster) -> dict[str, Any]:
    return b.props(cluster.node.default_child)


def container(b: Built, task: ecs.FargateTaskDefinition) -> dict[str, Any]:
    (definition,) = b.props(task.node.default_child)["ContainerDefinitions"]
    return definition


def test_container_insights_is_enabled(built: Built) -> None:
    settings = cluster_props(built, built.cluster)["ClusterSettings"]
    assert settings == [{"Name": "containerInsights", "Value": compute.CONTAINER_INSIGHTS}]


def test_cluster_is_named_from_its_prefix_and_the_suffix(built: Built) -> None:
    suffix = built.stack.node.try_get_context("environmentSuffix")
    assert cluster_props(built, built.cluster)["ClusterName"] == naming.resource_name(
        "ecs_cluster", "processing", suffix
    )
    assert cluster_props(built, built.shared)["ClusterName"] == naming.resource_name(
        "ecs_cluster", "iot-shared", suffix
    )


def test_exec_sessions_are_encrypted_with_the_key_and_logged_to_an_encrypted_audit_log_group(built: Built) -> None:
    config = cluster_props(built, built.cluster)["Configuration"]["ExecuteCommandConfiguration"]
    key_arn = built.ref(built.cluster.encryption_key.key_arn)
    assert config["KmsKeyId"] == key_arn
    assert config["Logging"] == "OVERRIDE"
    assert config["LogConfiguration"] == {
        "CloudWatchEncryptionEnabled": True,
        "CloudWatchLogGroupName": built.ref(built.cluster.execute_command_log_group.log_group_name),
    }
    log_group = built.props(built.cluster.execute_command_log_group.node.default_child)
    assert log_group["KmsKeyId"] == key_arn
    assert log_group["RetentionInDays"] == retention.log_retention_days(compute.EXEC_LOG_PURPOSE)


def test_with_no_arguments_the_cluster_gets_its_own_key_and_network_beside_it(built: Built) -> None:
    assert built.cluster.encryption_key.node.id == "ProcessingKey"
    assert built.cluster.vpc.node.id == "ProcessingNetwork"
    assert built.shared.vpc.node.id == "Network"


def test_fargate_capacity_providers_are_associated(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::ECS::ClusterCapacityProviderAssociations",
        {"Cluster": built.ref(built.cluster.cluster_name), "CapacityProviders": Match.array_with(["FARGATE"])},
    )


def test_overriding_container_insights_is_applied_and_reported(built: Built) -> None:
    assert cluster_props(built, built.shared)["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enhanced"}]
    Annotations.from_stack(built.stack).has_warning(
        f"/{built.shared.node.path}", Match.string_like_regexp("'container_insights_v2' overrides")
    )


def test_processing_task_is_a_policy_sized_graviton_fargate_task(built: Built) -> None:
    props = built.props(built.task.node.default_child)
    assert (props["Cpu"], props["Memory"]) == (str(services.FARGATE_TASK_CPU), str(services.FARGATE_TASK_MEMORY_MB))
    assert props["RequiresCompatibilities"] == ["FARGATE"]
    assert props["RuntimePlatform"] == {
        "CpuArchitecture": compute.FARGATE_CPU_ARCHITECTURE,
        "OperatingSystemFamily": "LINUX",
    }


def test_processing_container_runs_unprivileged_on_a_read_only_root_and_logs_to_an_encrypted_group(
    built: Built,
) -> None:
    definition = container(built, built.task)
    assert definition["User"] == compute.CONTAINER_USER
    assert definition["ReadonlyRootFilesystem"] is True
    assert definition["Privileged"] is False
    assert definition["Essential"] is True
    assert definition["Image"] == compute.PROCESSING_TASK_IMAGE
    assert definition["Environment"] == [{"Name": "STREAM_NAME", "Value": built.ref(built.stream.stream_name)}]
    options = definition["LogConfiguration"]["Options"]
    assert definition["LogConfiguration"]["LogDriver"] == "awslogs"
    log_group_id = options["awslogs-group"]["Ref"]
    assert built.resources[log_group_id]["Properties"]["KmsKeyId"] == built.ref(built.shared.encryption_key.key_arn)


def test_task_roles_keep_grants_in_managed_policies_not_inline_ones(built: Built) -> None:
    for role in (built.task.task_role, built.task.execution_role):
        role_id = built.stack.get_logical_id(role.node.default_child)
        inline = [
            r
            for r in built.resources.values()
            if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        ]
        assert inline == []
        assert "Policies" not in built.resources[role_id]["Properties"]
    built.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Roles": [built.ref(built.task.task_role.role_name)],
            "PolicyDocument": {
                "Statement": Match.array_with([Match.object_like({"Resource": built.ref(built.stream.stream_arn)})])
            },
        },
    )


def test_task_size_overrides_are_applied_and_reported(built: Built) -> None:
    props = built.props(built.bigger_task.node.default_child)
    assert (props["Cpu"], props["Memory"]) == ("1024", "2048")
    assert container(built, built.bigger_task)["Command"] == ["run"]
    annotations = Annotations.from_stack(built.stack)
    for prop in ("cpu", "memory_limit_mib"):
        annotations.has_warning(f"/{built.bigger_task.node.path}", Match.string_like_regexp(f"'{prop}' overrides"))


def test_a_name_prefix_ecs_cannot_use_is_refused() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "BadName")
    with pytest.raises(ConfigurationError, match="name_prefix"):
        ContainerCluster(stack, "Cluster", name_prefix="Bad Name")


# --- processing service and image ------------------------------------------------------------------------------------

STACKS_DIR = Path(__file__).resolve().parents[3] / "stacks"
WORKER_DOCKERFILE = STACKS_DIR / "streamflix" / "worker" / "Dockerfile"


@functools.cache
def service_stack(profile: str, context: tuple[tuple[str, str], ...] = ()) -> tuple[cdk.Stack, Template]:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}", **dict(context)})
    stack = cdk.Stack(app, "Service")
    cluster = ContainerCluster(stack, "Processing")
    tasks = ec2.SecurityGroup(stack, "Tasks", vpc=cluster.vpc)
    task = cluster.add_processing_task("Worker", image=processing_image(stack, WORKER_DOCKERFILE, STACKS_DIR))
    cluster.add_processing_service("WorkerService", task, security_groups=[tasks])
    overridden = cluster.add_processing_task("Other")
    cluster.add_processing_service("OtherService", overridden, security_groups=[tasks], desired_count=0)
    return stack, Template.from_stack(stack)


def service(template: Template, task_id: str) -> dict[str, Any]:
    found = template.find_resources(
        "AWS::ECS::Service", {"Properties": {"TaskDefinition": {"Ref": Match.string_like_regexp(task_id)}}}
    )
    (props,) = (resource["Properties"] for resource in found.values())
    return props


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_service_runs_the_profiles_task_count(profile: str) -> None:
    expected = profiles.profile_named(profile).processing_tasks
    assert service(service_stack(profile)[1], "ProcessingWorker")["DesiredCount"] == expected


def test_service_tasks_get_no_public_ip_and_run_in_the_given_groups() -> None:
    network = service(service_stack("dev")[1], "ProcessingWorker")["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    (group,) = network["SecurityGroups"]
    assert group["Fn::GetAtt"][0].startswith("Tasks")


def test_service_deployments_keep_consuming_and_roll_back_failing_tasks() -> None:
    deployment = service(service_stack("dev")[1], "ProcessingWorker")["DeploymentConfiguration"]
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (
        compute.SERVICE_MIN_HEALTHY_PERCENT,
        compute.SERVICE_MAX_HEALTHY_PERCENT,
    )


def test_service_runs_the_latest_fargate_platform_and_propagates_its_tags() -> None:
    props = service(service_stack("dev")[1], "ProcessingWorker")
    assert (props["PlatformVersion"], props["PropagateTags"]) == ("LATEST", "SERVICE")


def test_overriding_the_task_count_is_applied_and_reported() -> None:
    stack, template = service_stack("dev")
    assert service(template, "ProcessingOther")["DesiredCount"] == 0
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("desired_count"))
    assert any("overrides the hardened default 1 with 0" in str(warning.entry.data) for warning in warnings)


def test_processing_image_is_an_arm64_asset_holding_only_what_its_dockerfile_copies() -> None:
    stack, _ = service_stack("dev")
    assembly = stack.node.root.synth()
    manifest = json.loads(Path(assembly.directory, "Service.assets.json").read_text())
    (image,) = manifest["dockerImages"].values()
    assert image["source"]["dockerFile"] == "streamflix/worker/Dockerfile"
    assert image["source"]["platform"] == "linux/arm64"
    staged = Path(assembly.directory, image["source"]["directory"])
    top = {path.relative_to(staged).parts[0] for path in staged.rglob("*")}
    assert top == {"__init__.py", "processing", "streamflix"}
    assert not (staged / "streamflix" / "stack.py").exists()
    assert not list(staged.rglob("__pycache__"))


def test_a_prebuilt_ecr_image_is_pulled_from_its_repository_with_a_scoped_grant() -> None:
    reference = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/worker:1.4.2"
    _, template = service_stack("dev", (("processorImage", reference),))
    definitions = template.find_resources("AWS::ECS::TaskDefinition")
    images = {json.dumps(d["Properties"]["ContainerDefinitions"][0]["Image"]) for d in definitions.values()}
    assert any("team/worker:1.4.2" in image for image in images)
    policies = json.dumps(template.find_resources("AWS::IAM::ManagedPolicy"))
    assert "arn:aws:ecr:eu-west-1:123456789012:repository/team/worker" in policies


def test_a_prebuilt_image_without_a_tag_is_refused_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="processorImage='team/worker' is not allowed"):
        service_stack("dev", (("processorImage", "team/worker"),))
