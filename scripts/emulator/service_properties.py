"""ECS, Kinesis, CloudWatch Logs, KMS, SQS and Lambda: models moto has, with the properties it drops put back."""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel

from scripts.emulator.cfn_resource import Replaceable, WrapperModel, physical_name, tag_map
from scripts.emulator.registry import addition, model
from scripts.emulator.resource_policies import policy_text


def _camel(value: Any) -> Any:
    """CloudFormation's PascalCase keys as the ECS JSON API's camelCase (nested)."""
    from moto.ecs.models import pascal_to_camelcase, remap_nested_keys

    return remap_nested_keys(value, pascal_to_camelcase)


def _ecs_tags(tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
    return [{"key": tag["Key"], "value": tag["Value"]} for tag in tags or []]


@addition(
    "AWS::ECS::Cluster and TaskDefinition properties",
    "fix",
    "moto's models keep only the cluster name and the container definitions: Container Insights, ECS Exec "
    "encryption and logging, Fargate CPU/memory/platform, network mode and the task and execution roles were lost",
)
def _patch_ecs() -> None:
    from moto.ecs.models import Cluster, TaskDefinition, ecs_backends

    def create_cluster(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        return ecs_backends[account_id][region_name].create_cluster(
            cluster_name=resource_name,
            tags=_ecs_tags(properties.get("Tags")),
            cluster_settings=_camel(properties.get("ClusterSettings")),
            configuration=_camel(properties.get("Configuration")),
            capacity_providers=properties.get("CapacityProviders"),
            default_capacity_provider_strategy=_camel(properties.get("DefaultCapacityProviderStrategy")),
            service_connect_defaults=_camel(properties.get("ServiceConnectDefaults")),
        )

    def create_task_definition(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        return ecs_backends[account_id][region_name].register_task_definition(
            family=properties.get("Family") or resource_name,
            container_definitions=_camel(properties.get("ContainerDefinitions", [])),
            volumes=_camel(properties.get("Volumes")),
            network_mode=properties.get("NetworkMode"),
            tags=_ecs_tags(properties.get("Tags")),
            placement_constraints=_camel(properties.get("PlacementConstraints")),
            requires_compatibilities=properties.get("RequiresCompatibilities"),
            cpu=properties.get("Cpu"),
            memory=properties.get("Memory"),
            task_role_arn=properties.get("TaskRoleArn"),
            execution_role_arn=properties.get("ExecutionRoleArn"),
            runtime_platform=_camel(properties.get("RuntimePlatform")),
            ephemeral_storage=_camel(properties.get("EphemeralStorage")),
        )

    Cluster.create_from_cloudformation_json = classmethod(create_cluster)
    TaskDefinition.create_from_cloudformation_json = classmethod(create_task_definition)


@model
class ClusterCapacityProviders(Replaceable, WrapperModel, CloudFormationModel):
    """Fargate capacity providers of a cluster: no model in moto."""

    def __init__(self, cluster: str) -> None:
        super().__init__(cluster)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ECS::ClusterCapacityProviderAssociations"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> ClusterCapacityProviders:
        from moto.ecs.models import ecs_backends

        properties = cloudformation_json["Properties"]
        cluster = physical_name(properties["Cluster"])
        ecs_backends[account_id][region_name].put_cluster_capacity_providers(
            cluster, properties["CapacityProviders"], _camel(properties.get("DefaultCapacityProviderStrategy") or [])
        )
        return cls(cluster)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.ecs.models import ecs_backends

        backend = ecs_backends[account_id][region_name]
        if self.physical_resource_id in backend.clusters:
            backend.put_cluster_capacity_providers(self.physical_resource_id, [], [])


@addition(
    "AWS::Kinesis::Stream encryption and mode",
    "fix",
    "moto's model drops StreamEncryption and StreamModeDetails: a stream declared KMS-encrypted came up unencrypted",
)
def _patch_kinesis() -> None:
    from moto.kinesis.models import Stream, kinesis_backends

    original = Stream.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        stream = original(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        properties = cloudformation_json["Properties"]
        backend = kinesis_backends[account_id][region_name]
        encryption = properties.get("StreamEncryption")
        if encryption:
            backend.start_stream_encryption(
                stream.arn, stream.stream_name, encryption["EncryptionType"], encryption["KeyId"]
            )
        if properties.get("StreamModeDetails"):
            backend.update_stream_mode(stream.arn, properties["StreamModeDetails"])
        return stream

    Stream.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


@addition(
    "AWS::Logs::LogGroup KmsKeyId",
    "fix",
    "moto's model reads the key from 'kmsKeyId' (the API's spelling), not CloudFormation's 'KmsKeyId': every "
    "encrypted log group came up unencrypted",
)
def _patch_logs() -> None:
    from moto.logs.models import LogGroup

    original = LogGroup.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = dict(cloudformation_json["Properties"])
        if "KmsKeyId" in properties:
            properties["kmsKeyId"] = properties.pop("KmsKeyId")
        return original(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name)

    LogGroup.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


@addition(
    "AWS::KMS::Key policy, tags and deletion",
    "fix",
    "moto's model stores KeyPolicy as a dict (DescribeKey and GetKeyPolicy then fail with HTTP 500), drops tags "
    "(wrong shape), KeySpec/KeyUsage and PendingWindowInDays, and deletes a key at once where CloudFormation "
    "schedules its deletion",
)
def _patch_kms() -> None:
    from moto.kms.models import Key, kms_backends

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        key = kms_backends[account_id][region_name].create_key(
            policy=policy_text(properties["KeyPolicy"]) if "KeyPolicy" in properties else None,
            key_usage=properties.get("KeyUsage", "ENCRYPT_DECRYPT"),
            key_spec=properties.get("KeySpec", "SYMMETRIC_DEFAULT"),
            description=properties.get("Description", ""),
            tags=[{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in properties.get("Tags", [])],
            multi_region=bool(properties.get("MultiRegion", False)),
        )
        key.key_rotation_status = str(properties.get("EnableKeyRotation", False)).lower() == "true"
        key.enabled = str(properties.get("Enabled", True)).lower() == "true"
        key.pending_window_in_days = int(properties.get("PendingWindowInDays", 30))
        return key

    def delete(self: Any, account_id: str, region_name: str) -> None:
        kms_backends[account_id][region_name].schedule_key_deletion(
            self.id, getattr(self, "pending_window_in_days", 30)
        )

    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    Key.delete = delete


@addition(
    "SQS encryption attributes",
    "fix",
    "moto reports SqsManagedSseEnabled=true next to a KmsMasterKeyId; the two are exclusive in AWS (a KMS key turns "
    "SQS-managed SSE off), so 'encrypted with our key, not an SQS-owned one' could not pass",
)
def _patch_sqs_encryption() -> None:
    from moto.sqs.models import Queue

    original = Queue._set_attributes

    def _set_attributes(self: Any, attributes: dict[str, Any], now: float | None = None) -> None:
        original(self, attributes, now)
        if getattr(self, "kms_master_key_id", None):
            self.sqs_managed_sse_enabled = False

    Queue._set_attributes = _set_attributes


#: Lambda CreateFunction parameters whose CloudFormation property has the same name and shape.
_LAMBDA_PASSTHROUGH = (
    "Architectures",
    "DeadLetterConfig",
    "EphemeralStorage",
    "FileSystemConfigs",
    "KmsKeyArn",
    "Layers",
    "LoggingConfig",
    "PackageType",
    "SnapStart",
    "TracingConfig",
)


@addition(
    "AWS::Lambda::Function properties",
    "fix",
    "moto's model drops KmsKeyArn, TracingConfig, LoggingConfig, DeadLetterConfig, Architectures and tags, and its "
    "GetFunctionConfiguration never reports LoggingConfig or DeadLetterConfig and names a made-up VPC: the "
    "function's environment encryption, X-Ray tracing, JSON logs, dead-letter queue and network could not be "
    "checked",
)
def _patch_lambda() -> None:
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        function = original(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        properties = cloudformation_json["Properties"]
        extra = {name: properties[name] for name in _LAMBDA_PASSTHROUGH if name in properties}
        if extra or properties.get("Tags"):
            _apply_lambda_properties(function, extra, tag_map(properties.get("Tags")))
        return function

    LambdaFunction.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    original_init = LambdaFunction.__init__

    def init(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.logging_config = spec.get("LoggingConfig")
        self.dead_letter_config = spec.get("DeadLetterConfig")

    original_configuration = LambdaFunction.get_configuration

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        configuration = original_configuration(self, on_create)
        if getattr(self, "logging_config", None):
            configuration["LoggingConfig"] = self.logging_config
        if getattr(self, "dead_letter_config", None):
            configuration["DeadLetterConfig"] = self.dead_letter_config
        return configuration

    LambdaFunction.__init__ = init
    LambdaFunction.get_configuration = get_configuration

    def vpc_config(self: Any) -> dict[str, Any] | None:
        from moto.ec2.models import ec2_backends

        if not self._vpc_config:
            return None
        config = dict(self._vpc_config)
        subnets = config.get("SubnetIds") or []
        if subnets:
            config["VpcId"] = ec2_backends[self.account_id][self.region].get_subnet(subnets[0]).vpc_id
        return config

    LambdaFunction.vpc_config = property(vpc_config)


def _apply_lambda_properties(function: Any, extra: dict[str, Any], tags: dict[str, str]) -> None:
    """Set what CreateFunction would have set from the same parameters (moto keeps them as attributes)."""
    if "KmsKeyArn" in extra:
        function.kms_key_arn = extra["KmsKeyArn"]
    if "TracingConfig" in extra:
        function.tracing_config = extra["TracingConfig"]
    if "LoggingConfig" in extra:
        function.logging_config = extra["LoggingConfig"]
    if "DeadLetterConfig" in extra:
        function.dead_letter_config = extra["DeadLetterConfig"]
    if "Architectures" in extra:
        function.architectures = extra["Architectures"]
    if "EphemeralStorage" in extra:
        function.ephemeral_storage = extra["EphemeralStorage"]["Size"]
    if "Layers" in extra:
        function.layers = function._get_layers_data(extra["Layers"])
    if tags:
        function.tags = {**(function.tags or {}), **tags}
