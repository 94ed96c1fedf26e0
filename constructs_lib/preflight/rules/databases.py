"""Databases and caches that deploy broken or open: an Aurora cluster with no instance (seed 003), a written-down
or guessable master password (seed 003), a database reachable from the internet, Redis without TLS or AUTH."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from constructs_lib.model import Resource, Stack, tokens
from constructs_lib.policy.engine_catalog import DEFAULT_PORTS
from constructs_lib.preflight.registry import Rule, Severity, Violation

#: Terraform expressions that hold a generated or stored secret rather than text written in code.
_SECRET_SOURCES = re.compile(
    r"\b(?:random_password|random_string|aws_secretsmanager_secret_version|aws_ssm_parameter)\.|^ephemeral\."
)
_WORLD = ("0.0.0.0/0", "::/0")
_ALL_PROTOCOLS = ("-1", "all")
_REDIS_ENGINES = ("redis", "valkey")


def _engine(resource: Resource, default: str | None = None) -> str | None:
    engine = resource.get("engine", default)
    return engine.lower() if isinstance(engine, str) and tokens.is_literal(engine) else None


def check_aurora_has_instance(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """An Aurora cluster (not Serverless v1) needs at least one DB instance, or nothing can connect to it."""
    engine = _engine(resource, "aurora")
    mode = resource.get("engine_mode")
    if not engine or not engine.startswith("aurora") or (isinstance(mode, str) and mode.lower() == "serverless"):
        return
    own_identifier = resource.get("cluster")
    for member in stack.of_kind("db_cluster_instance"):
        at = member.field_key("cluster")
        same_name = own_identifier is not None and member.get("cluster") == own_identifier
        if at and (member.refs_to(resource.address, at=at) or same_name):
            return
    yield Violation(
        "Aurora cluster has no DB instance: it creates, bills for storage, and accepts no connection",
        "add a cluster instance (CDK: writer=ClusterInstance.serverless_v2(...); Terraform: aws_rds_cluster_instance "
        "with instance_class db.serverless)",
    )


def _secret_problem(value: Any, stack: Stack) -> tuple[str, Severity] | None:
    """Why a password value is readable or guessable from the code, or ``None`` when it is not."""
    if isinstance(value, Mapping) and set(value) == {"Ref"} and value["Ref"] in stack.parameters:
        parameter = stack.parameters[value["Ref"]]
        if parameter.secret and parameter.default is None:
            return None
        return f"comes from parameter {parameter.name} without NoEcho or with a default", Severity.ERROR
    text = tokens.render(value)
    if text is None or tokens.is_dynamic_reference(text):
        return None
    parts = tokens.expressions(text)
    if not parts:
        return "is a literal written into the synthesized file (and the state)", Severity.ERROR
    if tokens.literal_text(text):
        return "is built from literal text and deploy-time values: predictable from the code", Severity.ERROR
    expression = parts[0].strip()
    if expression.startswith("local."):
        return f"comes from {expression}, a value written in the code", Severity.ERROR
    if expression.startswith("var."):
        variable = stack.parameters.get(expression.removeprefix("var.").split(".")[0])
        if variable is None or not variable.secret:
            return f"comes from {expression}, which is not marked sensitive", Severity.WARNING
        return None
    if stack.source_format == "terraform" and not _SECRET_SOURCES.search(expression):
        return f"comes from {expression}, which is not a secret store or generated password", Severity.WARNING
    return None


def check_master_secret(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """A master password or AUTH token is generated and stored by AWS or a secret store, never written down."""
    managed = tokens.is_true(resource.get("managed_master_secret"))
    key = resource.field_key("master_secret")
    managed_fix = "let RDS manage it: ManageMasterUserPassword / manage_master_user_password = true"
    if key is None:
        needs_password = resource.kind in ("db_instance", "db_cluster") and not managed
        if needs_password and resource.get("restore_source") is None:
            yield Violation("no master password and RDS does not manage one: the create call fails", managed_fix)
        return
    if managed:
        yield Violation(
            f"{key} is set although RDS manages the password: the two conflict and the deploy fails", f"remove {key}"
        )
        return
    problem = _secret_problem(resource.get("master_secret"), stack)
    if problem:
        message, severity = problem
        fix = (
            managed_fix
            if resource.kind != "cache_replication_group"
            else ("read the token from Secrets Manager ({{resolve:secretsmanager:...}} / a secret version reference)")
        )
        yield Violation(f"{key} {message}", fix, severity=severity)


def _ingress_entries(group: Resource, stack: Stack) -> list[Mapping[str, Any]]:
    """Ingress rules of a security group: inline ones and separate rule resources attached to it."""
    inline = group.properties.get("SecurityGroupIngress", group.properties.get("ingress")) or []
    separate = [
        r.properties
        for r in stack.referrers(group.address, "security_group_ingress", "security_group_rule")
        if r.properties.get("type", "ingress") == "ingress"
        and (r.refs_to(group.address, at="GroupId") or r.refs_to(group.address, at="security_group_id"))
    ]
    return [e for e in [*inline, *separate] if isinstance(e, Mapping)]


def _open_to_world(entry: Mapping[str, Any]) -> bool:
    cidrs: list[Any] = []
    for key in ("CidrIp", "CidrIpv6", "cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks"):
        value = entry.get(key)
        cidrs += value if isinstance(value, list) else [value]
    return any(c in _WORLD for c in cidrs)


def _covers(entry: Mapping[str, Any], port: int | None) -> bool:
    protocol = str(entry.get("IpProtocol", entry.get("protocol", entry.get("ip_protocol", ""))))
    if protocol in _ALL_PROTOCOLS or port is None:
        return True
    low, high = entry.get("FromPort", entry.get("from_port")), entry.get("ToPort", entry.get("to_port"))
    if not isinstance(low, int) or not isinstance(high, int):
        return True
    return low <= port <= high


def _port(resource: Resource) -> int | None:
    port = resource.get("port")
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    if port is not None:
        return None
    engine = _engine(resource, "redis" if resource.kind.startswith("cache") else None)
    return DEFAULT_PORTS.get(engine or "")


def check_not_public(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """A database or cache is neither publicly accessible nor behind a security group open to the internet."""
    if tokens.is_true(resource.get("publicly_accessible")):
        yield Violation(
            "publicly accessible: the endpoint resolves to a public address",
            "set PubliclyAccessible / publicly_accessible to false and keep it in isolated subnets",
        )
    at = resource.field_key("security_groups")
    if at is None:
        return
    port = _port(resource)
    for group in stack.referenced(resource, at, "security_group"):
        if any(_open_to_world(e) and _covers(e, port) for e in _ingress_entries(group, stack)):
            yield Violation(
                f"security group {group.label} admits 0.0.0.0/0 on port {port or 'any'}: reachable from the internet "
                "wherever its subnets route",
                "allow ingress only from the application's security group",
            )


def check_redis_transit_and_auth(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """Redis/Valkey encrypts traffic in transit and asks for an AUTH token (or RBAC user group)."""
    if _engine(resource, "redis") not in _REDIS_ENGINES:
        return
    if resource.kind == "cache_cluster":
        if resource.get("replication_group") is None:
            yield Violation(
                "a standalone Redis cache cluster cannot use AUTH",
                "use a replication group with transit encryption and an auth token",
                severity=Severity.WARNING,
            )
        return
    if not tokens.is_true(resource.get("transit_encryption")):
        yield Violation(
            "transit encryption is off: data and the AUTH token cross the network in clear text",
            "set TransitEncryptionEnabled / transit_encryption_enabled to true",
        )
    if resource.get("auth_token") is None and resource.get("user_groups") is None:
        yield Violation(
            "no AUTH token and no user group: any host that reaches the port reads and writes the cache",
            "set an auth token from Secrets Manager (or RBAC user groups)",
        )


AURORA_CLUSTER_HAS_INSTANCE = Rule(
    rule_id="aurora-cluster-has-instance",
    title="Every Aurora cluster has at least one DB instance",
    fix="add at least one DB instance to the cluster (db.serverless for Serverless v2)",
    seeds=("003",),
    severity=Severity.ERROR,
    check=check_aurora_has_instance,
    kinds=frozenset({"db_cluster"}),
)

DB_SECRET_NOT_LITERAL = Rule(
    rule_id="db-secret-not-literal",
    title="Master passwords and AUTH tokens are managed by RDS or read from a secret store, never written down",
    fix="let RDS manage the master password (ManageMasterUserPassword / manage_master_user_password), or read the "
    "secret with a dynamic reference",
    seeds=("003",),
    severity=Severity.ERROR,
    check=check_master_secret,
    kinds=frozenset({"db_instance", "db_cluster", "cache_replication_group"}),
)

DATA_STORE_NOT_PUBLIC = Rule(
    rule_id="data-store-not-public",
    title="Databases and caches are not publicly accessible nor open to 0.0.0.0/0 on their port",
    fix="keep databases and caches in private subnets, not publicly accessible, admitting only named security groups",
    seeds=("000", "003"),
    severity=Severity.ERROR,
    check=check_not_public,
    kinds=frozenset({"db_instance", "db_cluster", "db_cluster_instance", "cache_replication_group", "cache_cluster"}),
)

REDIS_TRANSIT_AND_AUTH = Rule(
    rule_id="redis-transit-auth",
    title="Redis/Valkey replication groups use transit encryption and AUTH",
    fix="turn on transit encryption and give an AUTH token from Secrets Manager (or an RBAC user group)",
    seeds=("000",),
    severity=Severity.ERROR,
    check=check_redis_transit_and_auth,
    kinds=frozenset({"cache_replication_group", "cache_cluster"}),
)
