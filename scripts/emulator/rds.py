"""RDS and Aurora: instance ids, final snapshots, serverless v2 scaling, and the Aurora cluster models moto lacks."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from typing import Any, ClassVar

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel

from scripts.emulator.cfn_resource import WrapperModel, api_kwargs, physical_name, random_id
from scripts.emulator.cloudformation import availability_zones
from scripts.emulator.registry import addition, model


def _rds_backend(account_id: str, region_name: str) -> Any:
    from moto.rds.models import rds_backends

    return rds_backends[account_id][region_name]


def final_snapshot_name(identifier: str) -> str:
    """What CloudFormation calls the snapshot it takes under DeletionPolicy Snapshot (shape, not exact text)."""
    return f"{identifier}-final-snapshot-{random_id(8).lower()}"


@addition(
    "RDS instance identity and managed secret",
    "fix",
    "moto gives every DB instance the same DbiResourceId (Terraform then confuses two instances), reports no "
    "Performance Insights settings and no Multi-AZ secondary zone, and fills every RDS-managed master secret with "
    "the same fixed username and password whatever MasterUsername says",
)
def _patch_rds_instance_backend() -> None:
    from moto.rds import models as rds

    original_init = rds.DBInstance.__init__

    def init(self: Any, backend: Any, **kwargs: Any) -> None:
        original_init(self, backend, **kwargs)
        self.dbi_resource_id = f"db-{random_id(26)}"
        self.performance_insights_enabled = bool(kwargs.get("enable_performance_insights"))
        if self.performance_insights_enabled:
            self.performance_insights_kms_key_id = kwargs.get("performance_insights_kms_key_id")
            self.performance_insights_retention_period = kwargs.get("performance_insights_retention_period") or 7
        if self.multi_az and self.db_cluster_identifier is None:
            zones = availability_zones(backend.account_id, backend.region_name)
            others = [zone for zone in zones if zone != self.availability_zone]
            self.secondary_availability_zone = others[0] if others else None

    rds.DBInstance.__init__ = init

    def secret_string(self: Any) -> str:
        password = "".join(secrets.choice(string.ascii_letters + string.digits + "-_.") for _ in range(32))
        return json.dumps({"username": self.resource.master_username, "password": password})

    rds.MasterUserSecret._generate_secret_string = secret_string


_DB_INSTANCE_ATTRIBUTES: dict[str, Callable[[Any], Any]] = {
    "Endpoint.Address": lambda db: db.address,
    "Endpoint.Port": lambda db: str(db.port),
    "DBInstanceArn": lambda db: db.arn,
    "DbiResourceId": lambda db: db.dbi_resource_id,
    "MasterUserSecret.SecretArn": lambda db: db.master_user_secret.secret_arn,
}


@addition(
    "AWS::RDS::DBInstance properties",
    "fix",
    "moto's model maps a dozen properties and drops the rest (DBClusterIdentifier, ManageMasterUserPassword, "
    "monitoring, Performance Insights, IAM auth, log exports, deletion protection; Port defaults to 3306), offers "
    "only the Endpoint GetAtts (not MasterUserSecret.SecretArn) and ignores DeletionPolicy Snapshot",
)
def _patch_rds_instance_model() -> None:
    from moto.rds import models as rds

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = dict(cloudformation_json["Properties"])
        master_secret = properties.pop("MasterUserSecret", None) or {}
        source = properties.pop("SourceDBInstanceIdentifier", None)
        kwargs = api_kwargs("rds", "CreateDBInstance", properties, {"VPCSecurityGroups": "VpcSecurityGroupIds"})
        kwargs["db_instance_identifier"] = resource_name.lower()
        for key in ("db_subnet_group_name", "db_parameter_group_name", "db_cluster_identifier", "option_group_name"):
            if key in kwargs:
                kwargs[key] = physical_name(kwargs[key])
        if master_secret.get("KmsKeyId"):
            kwargs["master_user_secret_kms_key_id"] = master_secret["KmsKeyId"]
        backend = _rds_backend(account_id, region_name)
        if source:
            kwargs["source_db_instance_identifier"] = source
            database = backend.create_db_instance_read_replica(kwargs)
        else:
            database = backend.create_db_instance(kwargs)
        database.deletion_policy = cloudformation_json.get("DeletionPolicy", "Delete")
        return database

    def delete(self: Any, account_id: str, region_name: str) -> None:
        snapshot = getattr(self, "deletion_policy", None) == "Snapshot" and self.db_cluster_identifier is None
        _rds_backend(account_id, region_name).delete_db_instance(
            self.db_instance_identifier,
            final_db_snapshot_identifier=final_snapshot_name(self.db_instance_identifier) if snapshot else None,
        )

    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name not in _DB_INSTANCE_ATTRIBUTES:
            raise UnformattedGetAttTemplateException()
        return _DB_INSTANCE_ATTRIBUTES[attribute_name](self)

    rds.DBInstance.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    rds.DBInstance.delete = delete
    rds.DBInstance.has_cfn_attr = classmethod(lambda cls, attr: attr in _DB_INSTANCE_ATTRIBUTES)
    rds.DBInstance.get_cfn_attribute = get_cfn_attribute


@addition(
    "RDS cluster scaling configuration",
    "fix",
    "moto reports an all-empty ScalingConfigurationInfo for every cluster, which a serverless v2 cluster does not "
    "have (Terraform then plans a change on every run)",
)
def _patch_rds_cluster_scaling() -> None:
    from moto.rds import models as rds

    original = rds.DBCluster.scaling_configuration_info.fget

    def scaling_configuration_info(self: Any) -> dict[str, Any] | None:
        return original(self) if self.scaling_configuration else None

    rds.DBCluster.scaling_configuration_info = property(scaling_configuration_info)


@addition(
    "automated cluster snapshots go with their cluster",
    "fix",
    "moto keeps a deleted Aurora cluster's automated snapshot; AWS deletes automated backups with the cluster (only "
    "a final snapshot stays), so a destroyed dev stack looked like it leaked a snapshot",
)
def _patch_cluster_snapshots() -> None:
    from moto.rds.models import RDSBackend

    original = RDSBackend.delete_db_cluster

    def delete_db_cluster(self: Any, cluster_identifier: str, snapshot_name: str | None = None) -> Any:
        cluster = original(self, cluster_identifier, snapshot_name)
        for name, snapshot in list(self.cluster_snapshots.items()):
            if snapshot.snapshot_type == "automated" and snapshot.cluster.db_cluster_identifier == cluster_identifier:
                del self.cluster_snapshots[name]
        return cluster

    RDSBackend.delete_db_cluster = delete_db_cluster


@model
class AuroraDBCluster(WrapperModel, CloudFormationModel):
    """Aurora clusters: moto has the RDS API but no CloudFormation model (Outputs vanish, GetAtt fails)."""

    ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "Endpoint.Address": lambda self: self.cluster.endpoint,
        "Endpoint.Port": lambda self: str(self.cluster.port),
        "ReadEndpoint.Address": lambda self: self.cluster.reader_endpoint,
        "DBClusterArn": lambda self: self.cluster.db_cluster_arn,
        "DBClusterResourceId": lambda self: self.cluster.db_cluster_resource_id,
        "MasterUserSecret.SecretArn": lambda self: self.cluster.master_user_secret.secret_arn,
    }

    def __init__(self, identifier: str, deletion_policy: str | None, account_id: str, region_name: str) -> None:
        super().__init__(identifier, deletion_policy)
        self.account_id = account_id
        self.region_name = region_name

    @property
    def cluster(self) -> Any:
        return _rds_backend(self.account_id, self.region_name).clusters[self.physical_resource_id]

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::RDS::DBCluster"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DBClusterIdentifier"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> AuroraDBCluster:
        properties = dict(cloudformation_json["Properties"])
        master_secret = properties.pop("MasterUserSecret", None) or {}
        cluster_kwargs = api_kwargs("rds", "CreateDBCluster", properties)
        cluster_kwargs["db_cluster_identifier"] = resource_name.lower()
        for key in ("db_subnet_group_name", "db_cluster_parameter_group_name"):
            if key in cluster_kwargs:
                cluster_kwargs[key] = physical_name(cluster_kwargs[key])
        if master_secret.get("KmsKeyId"):
            cluster_kwargs["master_user_secret_kms_key_id"] = master_secret["KmsKeyId"]
        cluster = _rds_backend(account_id, region_name).create_db_cluster(cluster_kwargs)
        return cls(cluster.db_cluster_identifier, cloudformation_json.get("DeletionPolicy"), account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        snapshot = final_snapshot_name(self.physical_resource_id) if self.deletion_policy == "Snapshot" else None
        _rds_backend(account_id, region_name).delete_db_cluster(self.physical_resource_id, snapshot)


@model
class AuroraClusterParameterGroup(WrapperModel, CloudFormationModel):
    """Cluster parameter groups (``rds.force_ssl`` lives here): moto has the API but no CloudFormation model."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::RDS::DBClusterParameterGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DBClusterParameterGroupName"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> AuroraClusterParameterGroup:
        properties = cloudformation_json["Properties"]
        name = resource_name.lower()
        backend = _rds_backend(account_id, region_name)
        backend.create_db_cluster_parameter_group(
            db_cluster_parameter_group_name=name,
            db_parameter_group_family=properties["Family"],
            description=properties["Description"],
            tags=properties.get("Tags"),
        )
        parameters = [
            {"ParameterName": key, "ParameterValue": str(value), "ApplyMethod": "pending-reboot"}
            for key, value in (properties.get("Parameters") or {}).items()
        ]
        if parameters:
            backend.modify_db_cluster_parameter_group(name, parameters)
        return cls(name)

    def delete(self, account_id: str, region_name: str) -> None:
        _rds_backend(account_id, region_name).delete_db_cluster_parameter_group(self.physical_resource_id)
