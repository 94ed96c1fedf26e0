"""ElastiCache: replication groups with their member clusters, and the subnet group and replication group models."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel

from scripts.emulator.cfn_resource import WrapperModel, api_kwargs, physical_name
from scripts.emulator.cloudformation import availability_zones
from scripts.emulator.rds import final_snapshot_name
from scripts.emulator.registry import addition, model


def _elasticache_backend(account_id: str, region_name: str) -> Any:
    from moto.elasticache.models import elasticache_backends

    return elasticache_backends[account_id][region_name]


@addition(
    "ElastiCache replication group members",
    "fix",
    "moto ignores NumCacheClusters (one node whatever was asked), creates no member cache clusters (Terraform waits "
    "for <id>-001 for ever), places nodes in us-east-1 zones in every region, keeps a deleted group listed as "
    "'deleting' for ever, and has no DeleteCacheSubnetGroup",
)
def _patch_elasticache() -> None:
    _replication_group_parameters()
    _patch_member_nodes()
    _patch_replication_group_create_and_delete()
    _patch_cache_subnet_group_delete()


def _set_members(
    self: Any,
    member_clusters: list[str],
    replication_group_id: str,
    replication_group_domain: str,
    node_group: dict[str, Any],
    preferred_cache_cluster_azs: list[str],
    num_cache_clusters: int,
    replicas_per_node_group: int,
) -> None:
    """A replication group's member nodes, one per cache cluster asked for, spread over the region's zones."""
    count = replicas_per_node_group + 1 if replicas_per_node_group else (num_cache_clusters or 1)
    zones = preferred_cache_cluster_azs or availability_zones(self._account_id, self._region_name)
    for index in range(count):
        member_id = f"{replication_group_id}-{index + 1:0>3}"
        node_group["node_group_members"].append(
            {
                "cache_cluster_id": member_id,
                "cache_node_id": node_group["node_group_id"],
                "read_endpoint": {"address": f"{member_id}.{replication_group_domain}", "port": self.port},
                "preferred_availability_zone": zones[index % len(zones)],
                "current_role": "primary" if index == 0 else "replica",
            }
        )
        member_clusters.append(member_id)


def _patch_member_nodes() -> None:
    from moto.elasticache.models import ReplicationGroup

    original_group_init = ReplicationGroup.__init__

    def group_init(self: Any, account_id: str, region_name: str, *args: Any, **kwargs: Any) -> None:
        self._account_id, self._region_name = account_id, region_name
        original_group_init(self, account_id, region_name, *args, **kwargs)

    ReplicationGroup.__init__ = group_init
    ReplicationGroup._set_node_members_clusters_disabled = _set_members


def _patch_replication_group_create_and_delete() -> None:
    """Member nodes listed as cache clusters on create; the group and its nodes gone at once on delete."""
    from moto.elasticache.models import ElastiCacheBackend

    original_create = ElastiCacheBackend.create_replication_group
    original_delete = ElastiCacheBackend.delete_replication_group

    def create_replication_group(self: Any, **kwargs: Any) -> Any:
        group = original_create(self, **kwargs)
        for node_group in group.node_groups:
            for member in node_group["node_group_members"]:
                self.cache_clusters[member["cache_cluster_id"]] = _member_cache_cluster(self, group, member, kwargs)
        return group

    def delete_replication_group(self: Any, replication_group_id: str, retain_primary_cluster: bool | None) -> Any:
        group = original_delete(self, replication_group_id, retain_primary_cluster)
        self.replication_groups.pop(replication_group_id, None)
        for member_id in [*group.member_clusters, f"{replication_group_id}-001"]:
            self.cache_clusters.pop(member_id, None)
        return group

    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group


def _patch_cache_subnet_group_delete() -> None:
    from moto.core.responses import EmptyResult
    from moto.elasticache import models as elasticache
    from moto.elasticache.responses import ElastiCacheResponse

    def delete_cache_subnet_group(self: Any, cache_subnet_group_name: str) -> None:
        if cache_subnet_group_name not in self.cache_subnet_groups:
            raise elasticache.CacheSubnetGroupNotFound(cache_subnet_group_name)
        del self.cache_subnet_groups[cache_subnet_group_name]

    def delete_cache_subnet_group_response(self: Any) -> Any:
        self.elasticache_backend.delete_cache_subnet_group(self._get_param("CacheSubnetGroupName"))
        return EmptyResult()

    elasticache.ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group
    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group_response


def _member_cache_cluster(backend: Any, group: Any, member: dict[str, Any], kwargs: dict[str, Any]) -> Any:
    """The cache cluster (node) a replication group member is, as DescribeCacheClusters shows it."""
    from moto.elasticache.models import CacheCluster

    names = list(inspect.signature(CacheCluster.__init__).parameters)[1:]
    fields = {name: kwargs.get(name) for name in names}
    fields.update(
        account_id=backend.account_id,
        region_name=backend.region_name,
        cache_cluster_id=member["cache_cluster_id"],
        replication_group_id=group.replication_group_id,
        engine=group.engine,
        cache_node_type=group.cache_node_type,
        num_cache_nodes=1,
        az_mode="single-az",
        preferred_availability_zone=member["preferred_availability_zone"],
        port=group.port,
        log_delivery_configurations=kwargs.get("log_delivery_configurations") or [],
    )
    fields = {key: value for key, value in fields.items() if key in names}
    cluster = CacheCluster(**fields)
    cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
    cluster.transit_encryption_mode = group.transit_encryption_mode
    return cluster


@functools.cache
def _replication_group_parameters() -> tuple[str, ...]:
    """Keyword arguments of moto's own CreateReplicationGroup (read before :func:`register` wraps it)."""
    from moto.elasticache.models import ElastiCacheBackend

    return tuple(inspect.signature(ElastiCacheBackend.create_replication_group).parameters)[1:]


@model
class CacheSubnetGroupModel(WrapperModel, CloudFormationModel):
    """ElastiCache subnet groups: moto has the API but no CloudFormation model."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ElastiCache::SubnetGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "CacheSubnetGroupName"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> CacheSubnetGroupModel:
        properties = cloudformation_json["Properties"]
        name = resource_name.lower()
        _elasticache_backend(account_id, region_name).create_cache_subnet_group(
            cache_subnet_group_name=name,
            cache_subnet_group_description=properties["Description"],
            subnet_ids=properties["SubnetIds"],
            tags=properties.get("Tags"),
        )
        return cls(name)

    def delete(self, account_id: str, region_name: str) -> None:
        _elasticache_backend(account_id, region_name).delete_cache_subnet_group(self.physical_resource_id)


@model
class CacheReplicationGroup(WrapperModel, CloudFormationModel):
    """Redis replication groups: moto has the API but no CloudFormation model (Outputs vanish, GetAtt fails)."""

    ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "PrimaryEndPoint.Address": lambda self: self.group.node_groups[0]["primary_endpoint_address"],
        "PrimaryEndPoint.Port": lambda self: str(self.group.port),
        "ReaderEndPoint.Address": lambda self: self.group.node_groups[0]["reader_endpoint_address"],
        "ReaderEndPoint.Port": lambda self: str(self.group.port),
        "ReadEndPoint.Addresses": lambda self: ",".join(
            member["read_endpoint"]["address"] for member in self.group.node_groups[0]["node_group_members"]
        ),
    }

    def __init__(self, group_id: str, deletion_policy: str | None, account_id: str, region_name: str) -> None:
        super().__init__(group_id, deletion_policy)
        self.account_id = account_id
        self.region_name = region_name

    @property
    def group(self) -> Any:
        return _elasticache_backend(self.account_id, self.region_name).replication_groups[self.physical_resource_id]

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ElastiCache::ReplicationGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ReplicationGroupId"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> CacheReplicationGroup:
        backend = _elasticache_backend(account_id, region_name)
        parameters = _replication_group_parameters()
        given = api_kwargs("elasticache", "CreateReplicationGroup", cloudformation_json["Properties"])
        given["replication_group_id"] = resource_name.lower()
        if "cache_subnet_group_name" in given:
            given["cache_subnet_group_name"] = physical_name(given["cache_subnet_group_name"])
        unknown = set(given) - set(parameters)
        if unknown:
            raise ValidationError(message=f"ReplicationGroup properties not emulated: {sorted(unknown)}")
        call = {name: given.get(name) for name in parameters}
        group = backend.create_replication_group(**call)
        return cls(group.replication_group_id, cloudformation_json.get("DeletionPolicy"), account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _elasticache_backend(account_id, region_name)
        if self.deletion_policy == "Snapshot":
            backend.create_snapshot(
                snapshot_name=final_snapshot_name(self.physical_resource_id),
                replication_group_id=self.physical_resource_id,
                cache_cluster_id=None,
                kms_key_id=self.group.kms_key_id,
                tags=None,
            )
        backend.delete_replication_group(self.physical_resource_id, retain_primary_cluster=False)
