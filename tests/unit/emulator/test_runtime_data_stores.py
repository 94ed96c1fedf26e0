"""RDS and Aurora PostgreSQL and ElastiCache Redis answer on their endpoints: TLS logins with the managed secret's
credentials, an Aurora cluster without instances refuses, Redis requires TLS and its auth token, deletes and resets
stop the servers, and a missing Debian package fails the create with its name."""

from __future__ import annotations

import json
import socket
import ssl
from typing import Any

import pg8000.native
import pytest
from botocore.exceptions import ClientError

from scripts.emulator.runtime import lifecycle, servers, tls
from tests.unit.local_aws import Account

AUTH_TOKEN = "a-local-auth-token-of-32-characters"


def managed_secret(aws: Account, arn: str) -> dict[str, str]:
    return json.loads(aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def connect(host: str, port: int, user: str, password: str, database: str, tls_only: bool = True) -> Any:
    # pg8000 reads None as "TLS if offered"; False is plain text only.
    context: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(tls.ca_bundle())) if tls_only else False
    return pg8000.native.Connection(
        user=user, password=password, host=host, port=port, database=database, ssl_context=context, timeout=5
    )


def create_instance(aws: Account, identifier: str = "records", **extra: Any) -> dict[str, Any]:
    return aws.client("rds").create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        EngineVersion="17.9",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="records_admin",
        **extra,
    )["DBInstance"]


def test_an_rds_instance_accepts_a_tls_login_with_its_managed_secret(aws: Account) -> None:
    created = create_instance(aws, DBName="appdb", ManageMasterUserPassword=True, Port=5432)
    instance = aws.client("rds").describe_db_instances(DBInstanceIdentifier="records")["DBInstances"][0]
    endpoint = instance["Endpoint"]
    assert endpoint["Address"].startswith("127.0.0.")
    assert endpoint["Port"] == 5432
    secret = managed_secret(aws, created["MasterUserSecret"]["SecretArn"])
    assert secret["username"] == "records_admin"
    session = connect(endpoint["Address"], endpoint["Port"], secret["username"], secret["password"], "appdb")
    try:
        assert session.run("SELECT current_user, current_database()") == [["records_admin", "appdb"]]
        assert session.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == [[True]]
        session.run("CREATE TABLE items (id int PRIMARY KEY)")
    finally:
        session.close()
    with pytest.raises(pg8000.exceptions.DatabaseError):
        connect(endpoint["Address"], endpoint["Port"], secret["username"], "not-the-password", "appdb")
    with pytest.raises(pg8000.exceptions.DatabaseError):  # plain text is rejected: TLS only
        connect(endpoint["Address"], endpoint["Port"], secret["username"], secret["password"], "appdb", tls_only=False)


def test_an_instance_without_a_managed_secret_logs_in_with_its_master_password(aws: Account) -> None:
    endpoint = create_instance(aws, "plain", MasterUserPassword="a-password-of-the-stack")["Endpoint"]
    session = connect(endpoint["Address"], endpoint["Port"], "records_admin", "a-password-of-the-stack", "postgres")
    assert session.run("SELECT 1") == [[1]]
    session.close()


def test_deleting_an_instance_stops_its_server(aws: Account) -> None:
    endpoint = create_instance(aws, MasterUserPassword="a-password-of-the-stack")["Endpoint"]
    before = set(lifecycle.running())
    aws.client("rds").delete_db_instance(DBInstanceIdentifier="records", SkipFinalSnapshot=True)
    assert len(before - set(lifecycle.running())) == 1
    with pytest.raises(pg8000.exceptions.InterfaceError):
        connect(endpoint["Address"], endpoint["Port"], "records_admin", "a-password-of-the-stack", "postgres")


def test_an_aurora_cluster_refuses_until_an_instance_joins_and_after_the_last_one_leaves(aws: Account) -> None:
    rds = aws.client("rds")
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="analytics",
        Engine="aurora-postgresql",
        EngineVersion="16.9",
        MasterUsername="analytics_admin",
        ManageMasterUserPassword=True,
        DatabaseName="warehouse",
    )["DBCluster"]
    secret = managed_secret(aws, cluster["MasterUserSecret"]["SecretArn"])
    writer, reader, port = cluster["Endpoint"], cluster["ReaderEndpoint"], cluster["Port"]
    assert writer == reader
    assert writer.startswith("127.0.0.")
    with pytest.raises(pg8000.exceptions.InterfaceError):
        connect(writer, port, secret["username"], secret["password"], "warehouse")
    rds.create_db_instance(
        DBInstanceIdentifier="analytics-1",
        DBClusterIdentifier="analytics",
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
    )
    for host in (writer, reader):
        session = connect(host, port, secret["username"], secret["password"], "warehouse")
        assert session.run("SELECT current_user") == [["analytics_admin"]]
        session.close()
    rds.delete_db_instance(DBInstanceIdentifier="analytics-1", SkipFinalSnapshot=True)
    with pytest.raises(pg8000.exceptions.InterfaceError):
        connect(writer, port, secret["username"], secret["password"], "warehouse")


def test_a_missing_postgresql_package_fails_the_create_and_names_it(
    aws: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(servers.glob, "glob", lambda _pattern: [])
    monkeypatch.setattr(servers.shutil, "which", lambda _name: None)
    with pytest.raises(ClientError) as refused:
        create_instance(aws, ManageMasterUserPassword=True)
    assert "'postgresql'" in refused.value.response["Error"]["Message"]
    assert aws.client("rds").describe_db_instances()["DBInstances"] == []


# --- Redis -------------------------------------------------------------------------------------------------------


def create_group(aws: Account, **extra: Any) -> dict[str, Any]:
    elasticache = aws.client("elasticache")
    elasticache.create_replication_group(
        ReplicationGroupId="sessions",
        ReplicationGroupDescription="sessions",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=2,
        **extra,
    )
    return elasticache.describe_replication_groups(ReplicationGroupId="sessions")["ReplicationGroups"][0]


def redis_call(host: str, port: int, *commands: str, use_tls: bool = True) -> list[bytes]:
    """Send each command (inline protocol) and read its one-line answer."""
    answers = []
    with socket.create_connection((host, port), timeout=5) as raw:
        stream: Any = raw
        if use_tls:
            stream = ssl.create_default_context(cafile=str(tls.ca_bundle())).wrap_socket(raw, server_hostname=host)
        reader = stream.makefile("rb")
        for command in commands:
            stream.sendall(command.encode() + b"\r\n")
            answers.append(reader.readline().rstrip())
            if answers[-1].startswith(b"$") and answers[-1] != b"$-1":
                answers[-1] = reader.readline().rstrip()
    return answers


def plain_text_answer(host: str, port: int) -> bytes:
    """What the server says to a client without TLS (nothing: the TLS port hangs up on it)."""
    try:
        return redis_call(host, port, "PING", use_tls=False)[0]
    except OSError:
        return b""


def test_a_redis_group_accepts_tls_with_its_auth_token_and_refuses_without(aws: Account) -> None:
    group = create_group(aws, TransitEncryptionEnabled=True, AuthToken=AUTH_TOKEN)
    primary = group["NodeGroups"][0]["PrimaryEndpoint"]
    host, port = primary["Address"], primary["Port"]
    members = group["NodeGroups"][0]["NodeGroupMembers"]
    assert (host.startswith("127.0.0."), port) == (True, 6379)
    assert {member["ReadEndpoint"]["Address"] for member in members} == {host}
    assert redis_call(host, port, "PING")[0].startswith(b"-NOAUTH")
    assert redis_call(host, port, "AUTH wrong-token")[0].startswith(b"-WRONGPASS")
    assert redis_call(host, port, f"AUTH {AUTH_TOKEN}", "SET session 42", "GET session") == [b"+OK", b"+OK", b"42"]
    assert plain_text_answer(host, port) == b"", "a plain-text client was answered"


def test_a_redis_group_without_transit_encryption_speaks_plain_text(aws: Account) -> None:
    primary = create_group(aws, AuthToken=AUTH_TOKEN)["NodeGroups"][0]["PrimaryEndpoint"]
    answers = redis_call(primary["Address"], primary["Port"], "PING", f"AUTH {AUTH_TOKEN}", "PING", use_tls=False)
    assert answers[0].startswith(b"-NOAUTH")
    assert answers[1:] == [b"+OK", b"+PONG"]


def test_deleting_a_group_stops_its_server_and_a_reset_stops_every_server(aws: Account) -> None:
    group = create_group(aws, TransitEncryptionEnabled=True, AuthToken=AUTH_TOKEN)
    host, port = (group["NodeGroups"][0]["PrimaryEndpoint"][key] for key in ("Address", "Port"))
    aws.client("elasticache").delete_replication_group(ReplicationGroupId="sessions")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=2)
    database = create_instance(aws, MasterUserPassword="a-password-of-the-stack")["Endpoint"]
    cache = create_group(aws)["NodeGroups"][0]["PrimaryEndpoint"]
    from moto.core.base_backend import BackendDict

    BackendDict.reset()
    assert lifecycle.running() == []
    for stopped in ((database["Address"], database["Port"]), (cache["Address"], cache["Port"])):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(stopped, timeout=2)


def test_a_missing_redis_package_fails_the_create_and_names_it(aws: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers.shutil, "which", lambda _name: None)
    with pytest.raises(ClientError) as refused:
        create_group(aws, TransitEncryptionEnabled=True, AuthToken=AUTH_TOKEN)
    assert "'redis-server'" in refused.value.response["Error"]["Message"]
    assert aws.client("elasticache").describe_replication_groups()["ReplicationGroups"] == []


def test_two_instances_declaring_the_same_port_each_get_an_address_of_their_own(aws: Account) -> None:
    first = create_instance(aws, "first", MasterUserPassword="first-password", Port=5432)["Endpoint"]
    second = create_instance(aws, "second", MasterUserPassword="second-password", Port=5432)["Endpoint"]
    assert first["Port"] == second["Port"] == 5432
    assert first["Address"] != second["Address"]
    for endpoint, password in ((first, "first-password"), (second, "second-password")):
        session = connect(endpoint["Address"], endpoint["Port"], "records_admin", password, "postgres")
        assert session.run("SELECT inet_server_addr()::text") == [[f"{endpoint['Address']}/32"]]
        session.close()


def test_emulators_side_by_side_take_their_servers_addresses_from_blocks_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOTO_PORT", "5100")
    first = servers.loopback_hosts()
    monkeypatch.setenv("MOTO_PORT", "5101")
    second = servers.loopback_hosts()
    monkeypatch.delenv("MOTO_PORT")
    in_process = servers.loopback_hosts()
    assert first[0] == "127.19.236.2" and second[0] == "127.19.237.2" and in_process[0] == "127.0.0.2"
    assert not set(first) & set(second) and not set(first) & set(in_process)
    assert "127.0.0.1" not in first + second + in_process
