"""ImageRepository and QueueDepthScaling: the worker image's ECR repository and the service's backlog scaling."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.container_cluster import ContainerCluster, ImageRepository, QueueDepthScaling
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.policy import compute, images, naming, profiles

STACKS_DIR = Path(__file__).resolve().parents[3] / "stacks"
WORKER_DOCKERFILE = STACKS_DIR / "streamflix" / "worker" / "Dockerfile"


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    own_key: ImageRepository
    shared_key: ImageRepository
    kept: ImageRepository
    key: EncryptionKey
    cluster: ContainerCluster
    task: ecs.FargateTaskDefinition
    service: ecs.FargateService
    queue: sqs.Queue
    scaling: QueueDepthScaling
    ceiling: QueueDepthScaling

    def props(self, construct: Any) -> dict[str, Any]:
        resource = self.template.to_json()["Resources"][self.stack.get_logical_id(construct)]
        return resource["Properties"]

    def resource(self, construct: Any) -> dict[str, Any]:
        return self.template.to_json()["Resources"][self.stack.get_logical_id(construct)]

    def ref(self, value: Any) -> Any:
        return self.stack.resolve(value)


@functools.cache
def build(profile: str) -> Built:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    stack = cdk.Stack(app, "Images")
    key = EncryptionKey(stack, "Key")
    own_key = ImageRepository(stack, "WorkerImages")
    shared_key = ImageRepository(stack, "Shared", name_prefix="streamflix-worker", encryption_key=key)
    kept = ImageRepository(stack, "Kept", encryption_key=key, removal_policy=RemovalPolicy.RETAIN)
    cluster = ContainerCluster(stack, "Processing", encryption_key=key)
    task = cluster.add_processing_task("Worker", image=own_key.image(WORKER_DOCKERFILE, STACKS_DIR))
    tasks = ec2.SecurityGroup(stack, "Tasks", vpc=cluster.vpc)
    service = cluster.add_processing_service("WorkerService", task, security_groups=[tasks])
    other = cluster.add_processing_service(
        "OtherService", cluster.add_processing_task("Other"), security_groups=[tasks]
    )
    queue = sqs.Queue(stack, "Jobs")
    scaling = QueueDepthScaling(stack, "WorkerScaling", service=service, queue=queue)
    ceiling = QueueDepthScaling(stack, "OtherScaling", service=other, queue=queue, max_capacity=3)
    template = Template.from_stack(stack)
    return Built(stack, template, own_key, shared_key, kept, key, cluster, task, service, queue, scaling, ceiling)


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request: pytest.FixtureRequest) -> Built:
    return build(request.param)


def repository(b: Built, construct: ImageRepository) -> dict[str, Any]:
    return b.props(construct.node.default_child)


# --- ImageRepository ------------------------------------------------------------------------------------------------


def test_with_no_key_the_images_are_encrypted_with_the_repositorys_own_customer_managed_key(built: Built) -> None:
    own = built.stack.node.find_child("WorkerImagesKey")
    assert isinstance(own, EncryptionKey)
    assert repository(built, built.own_key)["EncryptionConfiguration"] == {
        "EncryptionType": compute.IMAGE_REPOSITORY_ENCRYPTION,
        "KmsKey": built.ref(own.key_arn),
    }


def test_images_are_encrypted_with_the_given_key(built: Built) -> None:
    assert repository(built, built.shared_key)["EncryptionConfiguration"] == {
        "EncryptionType": "KMS",
        "KmsKey": built.ref(built.key.key_arn),
    }
    assert built.stack.node.try_find_child("SharedKey") is None


def test_image_tags_are_immutable(built: Built) -> None:
    assert repository(built, built.own_key)["ImageTagMutability"] == "IMMUTABLE"


def test_every_pushed_image_is_scanned(built: Built) -> None:
    assert repository(built, built.own_key)["ImageScanningConfiguration"] == {"ScanOnPush": True}


def test_untagged_images_expire_and_only_the_last_images_are_kept(built: Built) -> None:
    text = repository(built, built.own_key)["LifecyclePolicy"]["LifecyclePolicyText"]
    rules = json.loads(text)["rules"]
    assert rules == list(compute.IMAGE_LIFECYCLE_RULES)
    assert [rule["selection"]["countNumber"] for rule in rules] == [
        compute.UNTAGGED_IMAGE_EXPIRY_DAYS,
        compute.IMAGES_KEPT,
    ]


def test_the_repository_is_emptied_and_deleted_with_the_stack_in_every_profile(built: Built) -> None:
    resource = built.resource(built.own_key.node.default_child)
    assert resource["Properties"]["EmptyOnDelete"] is True
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Delete", "Delete")


def test_repository_is_named_from_its_prefix_and_the_suffix(built: Built) -> None:
    suffix = built.stack.node.try_get_context("environmentSuffix")
    assert repository(built, built.own_key)["RepositoryName"] == naming.resource_name(
        "ecr_repository", "worker-images", suffix
    )
    assert repository(built, built.shared_key)["RepositoryName"] == naming.resource_name(
        "ecr_repository", "streamflix-worker", suffix
    )


def test_image_uri_is_the_repository_uri_tagged_with_the_digest_of_what_the_dockerfile_copies(built: Built) -> None:
    uri = built.ref(built.own_key.image_uri(WORKER_DOCKERFILE, STACKS_DIR))
    tag = images.content_tag(STACKS_DIR, WORKER_DOCKERFILE)
    assert uri["Fn::Join"][1][-1] == f":{tag}"
    assert {"Ref": built.stack.get_logical_id(built.own_key.node.default_child)} in uri["Fn::Join"][1]


def test_the_image_is_pulled_from_the_repository_by_the_task_execution_role_only(built: Built) -> None:
    (container,) = built.props(built.task.node.default_child)["ContainerDefinitions"]
    assert container["Image"] == built.ref(built.own_key.image_uri(WORKER_DOCKERFILE, STACKS_DIR))
    repository_arn = built.ref(built.own_key.repository_arn)
    grants = [
        (policy["Properties"]["Roles"], statement)
        for policy in built.template.find_resources("AWS::IAM::ManagedPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Resource"] == repository_arn
    ]
    assert len(grants) == 1
    ((roles, statement),) = grants
    assert roles == [built.ref(built.task.execution_role.role_name)]
    assert sorted(statement["Action"]) == sorted(compute.IMAGE_PULL_ACTIONS)


def test_overriding_the_removal_keeps_the_repository_with_its_images_and_is_reported(built: Built) -> None:
    resource = built.resource(built.kept.node.default_child)
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["Properties"]["EmptyOnDelete"] is False
    Annotations.from_stack(built.stack).has_warning(
        f"/{built.kept.node.path}", Match.string_like_regexp("'removal_policy' overrides the hardened default")
    )


# --- QueueDepthScaling ---------------------------------------------------------------------------------------------


def scaling_policy(b: Built, scaling: QueueDepthScaling) -> dict[str, Any]:
    return b.props(scaling.policy)["TargetTrackingScalingPolicyConfiguration"]


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_scaling_runs_between_the_profiles_task_count_and_its_ceiling(profile: str) -> None:
    b, expected = build(profile), profiles.profile_named(profile)
    target = b.props(b.scaling.target)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (expected.processing_tasks, expected.processing_max_tasks)


def test_scaling_targets_the_services_desired_count_through_the_service_linked_role(built: Built) -> None:
    target = built.props(built.scaling.target)
    assert (target["ServiceNamespace"], target["ScalableDimension"]) == ("ecs", "ecs:service:DesiredCount")
    assert target["ResourceId"] == built.ref(f"service/{built.cluster.cluster_name}/{built.service.service_name}")
    assert "RoleARN" not in target
    assert built.props(built.scaling.policy)["ScalingTargetId"] == {
        "Ref": built.stack.get_logical_id(built.scaling.target)
    }


def test_scaling_tracks_the_policys_backlog_per_running_task(built: Built) -> None:
    config = scaling_policy(built, built.scaling)
    assert built.props(built.scaling.policy)["PolicyType"] == "TargetTrackingScaling"
    assert config["TargetValue"] == compute.QUEUE_BACKLOG_PER_TASK
    assert config["ScaleInCooldown"] == config["ScaleOutCooldown"] == compute.SCALING_COOLDOWN_SECONDS
    backlog, tasks, per_task = config["CustomizedMetricSpecification"]["Metrics"]
    assert per_task == {"Id": "per_task", "Expression": compute.SCALING_EXPRESSION, "ReturnData": True}
    assert backlog["MetricStat"] == {
        "Metric": {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": built.ref(built.queue.queue_name)}],
        },
        "Stat": "Sum",
    }
    assert tasks["MetricStat"] == {
        "Metric": {
            "Namespace": "ECS/ContainerInsights",
            "MetricName": "RunningTaskCount",
            "Dimensions": [
                {"Name": "ClusterName", "Value": built.ref(built.cluster.cluster_name)},
                {"Name": "ServiceName", "Value": built.ref(built.service.service_name)},
            ],
        },
        "Stat": "Average",
    }
    assert (backlog["ReturnData"], tasks["ReturnData"]) == (False, False)


def test_overriding_the_ceiling_is_applied_and_reported(built: Built) -> None:
    assert built.props(built.ceiling.target)["MaxCapacity"] == 3
    ceiling = built.stack.node.try_get_context("profile")
    default = profiles.profile_named(ceiling).processing_max_tasks
    Annotations.from_stack(built.stack).has_warning(
        f"/{built.ceiling.node.path}",
        Match.string_like_regexp(f"'max_capacity' overrides the hardened default {default} with 3"),
    )


def test_an_argument_the_scaling_does_not_take_is_refused_naming_it() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "Refused")
    cluster = ContainerCluster(stack, "Cluster")
    tasks = ec2.SecurityGroup(stack, "Tasks", vpc=cluster.vpc)
    service = cluster.add_processing_service("Service", cluster.add_processing_task("Task"), security_groups=[tasks])
    with pytest.raises(TypeError, match="step_adjustments"):
        QueueDepthScaling(stack, "Scaling", service=service, queue=sqs.Queue(stack, "Jobs"), step_adjustments=[])
