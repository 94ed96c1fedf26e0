"""RDS and Aurora PostgreSQL, and ElastiCache Redis, answer on their endpoints: each DB instance, Aurora cluster and
replication group gets a local server of its own (:mod:`servers`) on a loopback address of its own (127.0.0.x) and
the port it declares, which every endpoint then reports. The master user logs in with the RDS-managed secret; an
Aurora cluster listens only while it has an instance; Redis speaks TLS when transit encryption is on and requires its
AuthToken. Deleting the resource, a reset or the end of the emulator stops its server (README's local-AWS section).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.core.exceptions import ServiceException

from scripts.emulator.registry import addition
from scripts.emulator.runtime import lifecycle, servers

POSTGRES_ENGINES = ("postgres", "aurora-postgresql")
REDIS_ENGINES = ("redis", "valkey")


class LocalRuntimeUnavailableError(ServiceException):
    """The local server behind a data store could not be provided (what is missing is in the message).

    The code is one both RDS and ElastiCache define, so SDKs parse the answer as they would AWS's."""

    code = "InvalidParameterCombination"


def _require(check: Any) -> None:
    try:
        check()
    except servers.MissingPackageError as error:
        raise LocalRuntimeUnavailableError(str(error)) from error


def master_credentials(resource: Any) -> tuple[str, str]:
    """(user, password) as a client finds them: in the RDS-managed secret when there is one."""
    secret = getattr(resource, "master_user_secret", None)
    if getattr(resource, "manage_master_user_password", False) and secret is not None:
        value = json.loads(secret.secret.secret_string)
        return value["username"], value["password"]
    return resource.master_username, getattr(resource, "_local_master_password", None) or ""


def _server_name(kind: str, resource: Any, identifier: str) -> str:
    return f"{kind}-{resource.backend.account_id}-{resource.backend.region_name}-{identifier}"


def _start_and_login(server: servers.PostgresServer, owner: Any, database: str | None, key: str) -> None:
    server.start()
    lifecycle.keep(key, server.discard)
    user, password = master_credentials(owner)
    if user:  # moto accepts an instance without a master user; AWS does not, and then there is no one to log in
        server.ensure_login(user, password, database or "postgres")


@addition(
    "RDS PostgreSQL is served by a local PostgreSQL",
    "engine",
    "a DB instance's or Aurora cluster's endpoint named a host that does not exist, so nothing a stack deployed "
    "could store a row; now each is a local PostgreSQL (TLS, the managed secret's credentials) on 127.0.0.1",
)
def _serve_postgres() -> None:
    from moto.rds import models as rds

    def served_at(original: Any) -> property:
        return property(lambda self: self._local_server.address if hasattr(self, "_local_server") else original(self))

    rds.DBInstance.address = served_at(rds.DBInstance.address.fget)
    rds.DBCluster.endpoint = served_at(rds.DBCluster.endpoint.fget)
    rds.DBCluster.reader_endpoint = served_at(rds.DBCluster.reader_endpoint.fget)
    for name, replacement in (
        ("create_db_cluster", _create_db_cluster),
        ("create_db_instance", _create_db_instance),
        ("delete_db_instance", _delete_db_instance),
        ("delete_db_cluster", _delete_db_cluster),
    ):
        setattr(rds.RDSBackend, name, _wrapped(getattr(rds.RDSBackend, name), replacement))


def _wrapped(original: Any, replacement: Any) -> Any:
    """``original`` replaced by ``replacement(original, backend, ...)``, keeping its signature (moto reads it)."""

    @functools.wraps(original)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return replacement(original, self, *args, **kwargs)

    return call


def _create_db_cluster(original: Any, backend: Any, kwargs: dict[str, Any]) -> Any:
    if kwargs.get("engine") in POSTGRES_ENGINES:
        _require(servers.postgres_binaries)
    cluster = original(backend, kwargs)
    cluster._local_master_password = kwargs.get("master_user_password")  # moto will not read it back
    if cluster.engine in POSTGRES_ENGINES:
        server = servers.PostgresServer(_server_name("cluster", cluster, cluster.db_cluster_identifier), cluster.port)
        cluster._local_server = server  # its address is taken now; nothing listens until an instance joins
        cluster.port = server.port
    return cluster


def _create_db_instance(original: Any, backend: Any, db_kwargs: dict[str, Any]) -> Any:
    if db_kwargs.get("engine") in POSTGRES_ENGINES:
        _require(servers.postgres_binaries)
    database = original(backend, db_kwargs)
    database._local_master_password = db_kwargs.get("master_user_password")  # moto will not read it back
    if database.engine not in POSTGRES_ENGINES:
        return database
    cluster = backend.clusters.get(database.db_cluster_identifier) if database.db_cluster_identifier else None
    if cluster is not None and not hasattr(cluster, "_local_server"):
        return database
    if cluster is not None:
        server, owner, name, key = cluster._local_server, cluster, cluster.database_name, _cluster_key(cluster)
    else:
        name = _server_name("instance", database, database.db_instance_identifier)
        server = servers.PostgresServer(name, int(database.port))
        owner, name, key = database, database.db_name, _instance_key(database)
    try:
        _start_and_login(server, owner, name, key)
    except Exception as error:
        backend.databases.pop(database.db_instance_identifier, None)
        if cluster is None:
            lifecycle.release(key)
            server.discard()
        raise LocalRuntimeUnavailableError(f"the local PostgreSQL did not start: {error}") from error
    database._local_server = server
    database.port = server.port
    return database


def _delete_db_instance(original: Any, backend: Any, db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
    database = original(backend, db_instance_identifier, *args, **kwargs)
    cluster_id = getattr(database, "db_cluster_identifier", None)
    if cluster_id is None:
        lifecycle.stop(_instance_key(database))
    elif cluster_id in backend.clusters and hasattr(backend.clusters[cluster_id], "_local_server"):
        members = [db for db in backend.databases.values() if db.db_cluster_identifier == cluster_id]
        if not members:  # the cluster keeps its data for the next instance
            backend.clusters[cluster_id]._local_server.stop()
    return database


def _delete_db_cluster(original: Any, backend: Any, cluster_identifier: str, *args: Any, **kwargs: Any) -> Any:
    cluster = original(backend, cluster_identifier, *args, **kwargs)
    lifecycle.stop(_cluster_key(cluster))
    return cluster


def _instance_key(database: Any) -> str:
    return "postgres:" + _server_name("instance", database, database.db_instance_identifier)


def _cluster_key(cluster: Any) -> str:
    return "postgres:" + _server_name("cluster", cluster, cluster.db_cluster_identifier)


@addition(
    "ElastiCache Redis is served by a local redis-server",
    "engine",
    "a replication group's endpoint named a host that does not exist; now it is a local redis-server on 127.0.0.1, "
    "speaking TLS when TransitEncryptionEnabled and requiring the AuthToken",
)
def _serve_redis() -> None:
    from moto.elasticache import models as elasticache

    original_create = elasticache.ElastiCacheBackend.create_replication_group
    original_delete = elasticache.ElastiCacheBackend.delete_replication_group

    @functools.wraps(original_create)
    def create_replication_group(self: Any, **kwargs: Any) -> Any:
        if (kwargs.get("engine") or "redis") not in REDIS_ENGINES:
            return original_create(self, **kwargs)
        _require(servers.redis_binary)
        name = f"group-{self.account_id}-{self.region_name}-{kwargs['replication_group_id']}"
        port = int(kwargs.get("port") or 6379)
        tls_on = bool(kwargs.get("transit_encryption_enabled"))
        server = servers.RedisServer(name, port, tls_on, kwargs.get("auth_token"))
        group = original_create(self, **{**kwargs, "port": server.port})
        try:
            server.start()
        except Exception as error:
            self.replication_groups.pop(group.replication_group_id, None)
            for member in group.member_clusters:
                self.cache_clusters.pop(member, None)
            server.discard()
            raise LocalRuntimeUnavailableError(f"the local redis-server did not start: {error}") from error
        lifecycle.keep(f"redis:{name}", server.discard)
        _point_at(group, server.address)
        for member in group.member_clusters:
            if member in self.cache_clusters:
                self.cache_clusters[member].port = server.port
        return group

    @functools.wraps(original_delete)
    def delete_replication_group(self: Any, replication_group_id: str, *args: Any, **kwargs: Any) -> Any:
        group = original_delete(self, replication_group_id, *args, **kwargs)
        lifecycle.stop(f"redis:group-{self.account_id}-{self.region_name}-{replication_group_id}")
        return group

    elasticache.ElastiCacheBackend.create_replication_group = create_replication_group
    elasticache.ElastiCacheBackend.delete_replication_group = delete_replication_group


def _point_at(group: Any, address: str) -> None:
    """Every endpoint of the group (primary, reader, members, configuration) at ``address``."""
    for node_group in group.node_groups:
        for key in ("primary_endpoint_address", "reader_endpoint_address"):
            if key in node_group:
                node_group[key] = address
        if "primary_endpoint" in node_group:
            node_group["primary_endpoint"]["address"] = address
        for member in node_group.get("node_group_members", []):
            if "read_endpoint" in member:
                member["read_endpoint"]["address"] = address
    if getattr(group, "configuration_endpoint", None):
        group.configuration_endpoint["address"] = address
