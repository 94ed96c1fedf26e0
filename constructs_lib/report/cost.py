"""Idle monthly cost of one synthesized stack, line by line: quantity x unit price, a total, and what was not priced.

"Idle" is what the stack costs with no traffic: everything billed by the hour or the month (NAT gateways, public
IPv4 addresses, database and cache instances, shards, firewall and interface endpoints, Fargate tasks, keys,
secrets, alarms). Charges per request or per GB are zero idle; those resources are listed as usage-only. A resource
the price table cannot price (an instance class or region it has no verified price for, an unknown type) is listed
as not priced rather than guessed.

Example::

    from constructs_lib.model import load_stacks
    from constructs_lib.report.cost import TablePrices, estimate

    for stack in load_stacks(["cdk.out"]):
        report = estimate(stack, TablePrices())
        print(stack.name, f"${report.total:.2f}", [n.reason for n in report.not_priced])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from constructs_lib.model import CLOUDFORMATION, Resource, Stack, tokens
from constructs_lib.model.fields import lookup
from constructs_lib.policy.prices import (
    DEFAULT_PRICING_REGION,
    HOURS_PER_MONTH,
    IDLE_BUDGETS,
    NAT_HOURS_WAIVED_PER_FIREWALL_ENDPOINT,
    NO_CHARGE_TYPES,
    PRICES,
    PRICES_AS_OF,
    USAGE_ONLY_TYPES,
    IdleBudget,
    cache_node_key,
    fargate_key,
    rds_instance_key,
    rds_storage_key,
)


class PriceSource(Protocol):
    """Where unit prices come from: the dated table (default) or the AWS Price List API (``--live``)."""

    name: str

    def unit_price(self, key: str, region: str) -> float | None:
        """USD per unit of price ``key`` in ``region``, or ``None`` when this source has none."""

    def missing(self, key: str, region: str) -> str:
        """Why ``unit_price`` returned ``None``, for the not-priced list."""


class TablePrices:
    """Prices from ``constructs_lib.policy.prices``: dated, on-demand, per region where verified."""

    name = f"price table of {PRICES_AS_OF}"

    def unit_price(self, key: str, region: str) -> float | None:
        price = PRICES.get(key)
        return price.in_region(region) if price else None

    def missing(self, key: str, region: str) -> str:
        if key not in PRICES:
            return f"the price table ({PRICES_AS_OF}) has no line {key}"
        return f"the price table ({PRICES_AS_OF}) has no verified {region} price for {key}; try --live"


@dataclass(frozen=True)
class CostLine:
    """One priced line: ``quantity`` units a month at ``unit_price`` each."""

    resource: str
    address: str
    item: str
    quantity: float
    unit: str
    unit_price: float
    price_key: str
    detail: str = ""
    note: str = ""

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "address": self.address,
            "item": self.item,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_price": self.unit_price,
            "monthly": round(self.monthly, 2),
            "price_key": self.price_key,
            "detail": self.detail,
            "note": self.note,
        }


@dataclass(frozen=True)
class NotPriced:
    """A resource (or part of one) that bills while idle but that the price source cannot price."""

    resource: str
    address: str
    type: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"resource": self.resource, "address": self.address, "type": self.type, "reason": self.reason}


@dataclass(frozen=True)
class UsageOnly:
    """A resource that bills only on use: nothing while idle."""

    resource: str
    type: str
    bills: str


@dataclass(frozen=True)
class CostReport:
    """The idle monthly cost of one stack."""

    stack: str
    system: str | None
    profile: str | None
    region: str
    region_note: str
    prices: str
    lines: tuple[CostLine, ...] = ()
    not_priced: tuple[NotPriced, ...] = ()
    usage_only: tuple[UsageOnly, ...] = ()

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def budget(self) -> IdleBudget | None:
        """The dev-profile idle budget of this stack's system (``None`` when it has none)."""
        return IDLE_BUDGETS.get(self.system or "")

    @property
    def over_budget(self) -> bool:
        """A dev stack whose idle cost is not below its system's budget."""
        return self.profile == "dev" and self.budget is not None and self.total >= self.budget.usd

    def to_dict(self) -> dict[str, Any]:
        budget = self.budget
        return {
            "region": self.region,
            "region_note": self.region_note,
            "prices": self.prices,
            "total": round(self.total, 2),
            "budget": {"usd": budget.usd, "reason": budget.reason} if budget else None,
            "over_budget": self.over_budget,
            "lines": [line.to_dict() for line in self.lines],
            "not_priced": [n.to_dict() for n in self.not_priced],
            "usage_only": [{"resource": u.resource, "type": u.type, "bills": u.bills} for u in self.usage_only],
        }


@dataclass
class _Context:
    """What a pricer needs besides its resource: the stack, the region and the price source."""

    stack: Stack
    region: str
    prices: PriceSource
    usage: list[UsageOnly] = field(default_factory=list)

    def line(
        self,
        resource: Resource,
        key: str,
        count: float,
        *,
        item: str | None = None,
        detail: str = "",
        note: str = "",
    ) -> CostLine | NotPriced:
        """``count`` of price ``key`` for a month (x 730 for hourly prices), or why it cannot be priced."""
        price = PRICES.get(key)
        unit_price = self.prices.unit_price(key, self.region) if price else None
        if price is None or unit_price is None:
            return NotPriced(resource.label, resource.address, resource.type, self.prices.missing(key, self.region))
        return CostLine(
            resource=resource.label,
            address=resource.address,
            item=item or price.item,
            quantity=count * HOURS_PER_MONTH if price.hourly else count,
            unit=price.unit,
            unit_price=unit_price,
            price_key=key,
            detail=detail or (f"{_n(count)} x {HOURS_PER_MONTH} h" if price.hourly else f"{_n(count)} x 1 month"),
            note=note,
        )


Entry = CostLine | NotPriced
Pricer = Callable[[Resource, _Context], Iterable[Entry]]


def _n(value: float) -> str:
    """``2`` for 2.0, ``0.5`` for 0.5: quantities as a person writes them."""
    return f"{value:g}"


def number(value: Any) -> float | None:
    """A number written as JSON or as a numeric string ("20"); ``None`` for tokens and anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _value(resource: Resource, cfn: str, tf: str, default: Any = None) -> Any:
    """The property at dotted path ``cfn`` (CloudFormation) or ``tf`` (Terraform), else ``default``."""
    return lookup(resource.properties, [cfn if resource.source_format == CLOUDFORMATION else tf], default)


def _not_priced(resource: Resource, reason: str) -> NotPriced:
    return NotPriced(resource.label, resource.address, resource.type, reason)


def _count(resource: Resource, value: Any, what: str) -> float | NotPriced:
    """A count read from the template, or a not-priced entry when it is only known at deploy time."""
    found = number(value)
    if found is None:
        return _not_priced(resource, f"{what} is decided at deploy time ({tokens.render(value) or value!r})")
    return found


# --- network ------------------------------------------------------------------------------------------------------
def _nat_gateway(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    yield ctx.line(resource, "vpc.nat_gateway", 1)


def _elastic_ip(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    yield ctx.line(resource, "vpc.public_ipv4", 1)


def firewall_endpoints(resource: Resource) -> int | None:
    """Endpoints of a Network Firewall: one per subnet mapping (one per AZ); ``None`` when not a literal list."""
    mappings = _value(resource, "SubnetMappings", "subnet_mapping")
    if tokens.is_intrinsic(mappings):
        return None
    if isinstance(mappings, Mapping):
        return 1
    return len(mappings) if isinstance(mappings, list) else None


def _network_firewall(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    endpoints = firewall_endpoints(resource)
    if endpoints is None:
        yield _not_priced(resource, "the firewall's subnet mappings are decided at deploy time")
        return
    detail = f"{endpoints} endpoint(s), one per AZ, x 730 h"
    yield ctx.line(resource, "networkfirewall.endpoint", endpoints, detail=detail)


def _vpc_endpoint(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    endpoint_type = str(_value(resource, "VpcEndpointType", "vpc_endpoint_type", "Gateway"))
    if endpoint_type == "Gateway":
        ctx.usage.append(UsageOnly(resource.label, resource.type, "nothing (gateway endpoints are free)"))
        return
    if endpoint_type != "Interface":
        yield _not_priced(resource, f"{endpoint_type} endpoints are not in the price table")
        return
    subnets = _value(resource, "SubnetIds", "subnet_ids")
    if not isinstance(subnets, list):
        yield _not_priced(resource, "the endpoint's subnets (one per AZ) are decided at deploy time")
        return
    yield ctx.line(resource, "vpc.interface_endpoint", len(subnets), detail=f"{len(subnets)} AZs x 730 h")


# --- databases ----------------------------------------------------------------------------------------------------
def _managed_secret(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    """RDS keeps the master password in a Secrets Manager secret it creates and bills like any other."""
    if tokens.is_true(resource.get("managed_master_secret")):
        yield ctx.line(resource, "secretsmanager.secret", 1, item="RDS-managed master secret")


def _db_cluster(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    yield from _managed_secret(resource, ctx)
    ctx.usage.append(UsageOnly(resource.label, resource.type, "GB stored and I/O (Aurora storage)"))
    if str(resource.get("engine_mode", "provisioned")) == "serverless":
        yield _not_priced(resource, "Aurora Serverless v1 is not in the price table")
        return
    instances = ctx.stack.referrers(resource.address, "db_cluster_instance")
    serverless = [i for i in instances if i.get("instance_class") == "db.serverless"]
    for instance in instances:
        if instance not in serverless:
            yield _not_priced(
                instance, f"Aurora instance class {instance.get('instance_class')} is not in the price table"
            )
    if not serverless:
        return
    minimum = number(resource.get("serverless_min_capacity"))
    if minimum is None:
        yield _not_priced(resource, "the Serverless v2 minimum capacity is not set in the template")
        return
    detail = f"{_n(minimum)} ACU minimum x {len(serverless)} instance(s) x {HOURS_PER_MONTH} h"
    pause = number(
        _value(
            resource,
            "ServerlessV2ScalingConfiguration.SecondsUntilAutoPause",
            "serverlessv2_scaling_configuration.seconds_until_auto_pause",
        )
    )
    note = ""
    if minimum == 0:
        note = f"0 ACU minimum: the cluster pauses after {_n(pause or 300)} s idle and bills no capacity while paused"
    yield ctx.line(resource, "rds.aurora_serverless_v2", minimum * len(serverless), detail=detail, note=note)


def _db_instance(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    yield from _managed_secret(resource, ctx)
    engine = str(resource.get("engine", ""))
    instance_class = str(resource.get("instance_class", ""))
    multi_az = tokens.is_true(_value(resource, "MultiAZ", "multi_az"))
    if engine != "postgres":
        yield _not_priced(resource, f"RDS engine {engine or '(unset)'} is not in the price table")
        return
    deployment = "Multi-AZ (primary + standby)" if multi_az else "Single-AZ"
    yield ctx.line(
        resource,
        rds_instance_key(engine, instance_class, multi_az=multi_az),
        1,
        detail=f"1 x 730 h, {deployment}",
    )
    storage_type = str(_value(resource, "StorageType", "storage_type", "gp2"))
    size = _count(resource, _value(resource, "AllocatedStorage", "allocated_storage"), "allocated storage")
    if isinstance(size, NotPriced):
        yield size
        return
    if storage_type not in ("gp2", "gp3"):
        yield _not_priced(resource, f"{storage_type} storage is not in the price table")
        return
    yield ctx.line(
        resource,
        rds_storage_key(engine, storage_type, multi_az=multi_az),
        size,
        detail=f"{_n(size)} GB{' x 2 copies' if multi_az else ''}",
    )


def cache_nodes(resource: Resource) -> Any:
    """Nodes of a replication group or cluster (a number, or the deploy-time token it is given as)."""
    if resource.kind == "cache_cluster":
        return _value(resource, "NumCacheNodes", "num_cache_nodes", 1)
    groups = _value(resource, "NumNodeGroups", "num_node_groups")
    if groups is not None:
        replicas = number(_value(resource, "ReplicasPerNodeGroup", "replicas_per_node_group", 0))
        shards = number(groups)
        return shards * ((replicas or 0) + 1) if shards is not None else groups
    return _value(resource, "NumCacheClusters", "num_cache_clusters", 1)


def _cache(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    engine = str(resource.get("engine", "redis")).lower()
    node_type = str(resource.get("instance_class", ""))
    nodes = _count(resource, cache_nodes(resource), "the number of cache nodes")
    if isinstance(nodes, NotPriced):
        yield nodes
        return
    yield ctx.line(resource, cache_node_key(engine, node_type), nodes, detail=f"{_n(nodes)} node(s) x 730 h")


# --- streams, keys, secrets ---------------------------------------------------------------------------------------
def _stream(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    mode = str(_value(resource, "StreamModeDetails.StreamMode", "stream_mode_details.stream_mode", "PROVISIONED"))
    if mode == "ON_DEMAND":
        yield ctx.line(resource, "kinesis.on_demand_stream", 1)
    else:
        shards = _count(resource, _value(resource, "ShardCount", "shard_count", 1), "the shard count")
        if isinstance(shards, NotPriced):
            yield shards
        else:
            yield ctx.line(resource, "kinesis.shard", shards, detail=f"{_n(shards)} shard(s) x 730 h")
    retention = number(_value(resource, "RetentionPeriodHours", "retention_period", 24))
    if retention is not None and retention > 24:
        yield _not_priced(resource, f"extended retention ({_n(retention)} h > 24 h) is not in the price table")


def _kms_key(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    yield ctx.line(resource, "kms.key", 1)


def _secret(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    yield ctx.line(resource, "secretsmanager.secret", 1)


# --- compute ------------------------------------------------------------------------------------------------------
def _launch_types(resource: Resource) -> list[str]:
    strategy = _value(resource, "CapacityProviderStrategy", "capacity_provider_strategy") or []
    strategy = [strategy] if isinstance(strategy, Mapping) else strategy
    providers = [
        str(s.get("CapacityProvider") or s.get("capacity_provider")) for s in strategy if isinstance(s, Mapping)
    ]
    launch_type = _value(resource, "LaunchType", "launch_type")
    return providers or ([str(launch_type)] if launch_type else [])


def _ecs_service(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    definitions = ctx.stack.referenced(resource, None, "ecs_task_definition")
    if not definitions:
        yield _not_priced(resource, "its task definition is not in this stack")
        return
    definition = definitions[0]
    launch = _launch_types(resource)
    compatibilities = _value(definition, "RequiresCompatibilities", "requires_compatibilities") or []
    if launch != ["FARGATE"] and not (not launch and "FARGATE" in compatibilities):
        yield _not_priced(
            resource,
            f"launch type {'+'.join(launch) or '(cluster default)'} is not in the table (only on-demand FARGATE is)",
        )
        return
    desired = _count(
        resource,
        _value(resource, "DesiredCount", "desired_count", 1 if resource.source_format == CLOUDFORMATION else 0),
        "the desired count",
    )
    cpu = _count(definition, _value(definition, "Cpu", "cpu"), "the task's CPU")
    memory = _count(definition, _value(definition, "Memory", "memory"), "the task's memory")
    for problem in (desired, cpu, memory):
        if isinstance(problem, NotPriced):
            yield problem
            return
    assert isinstance(desired, float) and isinstance(cpu, float) and isinstance(memory, float)
    architecture = str(
        _value(definition, "RuntimePlatform.CpuArchitecture", "runtime_platform.cpu_architecture", "X86_64")
    )
    arch = "arm64" if architecture.upper() == "ARM64" else "x86_64"
    vcpu, gb = cpu / 1024, memory / 1024
    note = "desired count 0: no task runs idle" if desired == 0 else ""
    yield ctx.line(
        resource,
        fargate_key(arch, "vcpu"),
        desired * vcpu,
        detail=f"{_n(desired)} task(s) x {_n(vcpu)} vCPU x 730 h",
        note=note,
    )
    yield ctx.line(
        resource,
        fargate_key(arch, "gb"),
        desired * gb,
        detail=f"{_n(desired)} task(s) x {_n(gb)} GB x 730 h",
        note=note,
    )


def _dynamodb(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    if str(_value(resource, "BillingMode", "billing_mode", "PROVISIONED")) == "PAY_PER_REQUEST":
        ctx.usage.append(UsageOnly(resource.label, resource.type, USAGE_ONLY_TYPES.get(resource.type, "requests")))
        return
    yield _not_priced(resource, "provisioned DynamoDB capacity is not in the price table")


# --- monitoring ---------------------------------------------------------------------------------------------------
def _config_recorder(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    yield ctx.line(
        resource,
        "config.configuration_item",
        0,
        detail="0 configuration items (estimated idle)",
        note="billed per configuration item recorded; with nothing changing, an idle stack records next to none",
    )


def _alarm_metrics(resource: Resource) -> int:
    """Metrics an alarm watches: one, or each metric of a metric-math alarm (each is billed)."""
    queries = _value(resource, "Metrics", "metric_query") or []
    queries = [queries] if isinstance(queries, Mapping) else queries
    watched = [q for q in queries if isinstance(q, Mapping) and ("MetricStat" in q or "metric" in q)]
    return len(watched) or 1


def _metric_alarm(resource: Resource, ctx: _Context) -> Iterator[Entry]:
    period = number(_value(resource, "Period", "period", 60))
    key = "cloudwatch.alarm_high_resolution" if period is not None and period < 60 else "cloudwatch.alarm"
    metrics = _alarm_metrics(resource)
    yield ctx.line(resource, key, metrics, detail=f"{metrics} metric(s) x 1 month")


PRICERS: dict[str, Pricer] = {
    "nat_gateway": _nat_gateway,
    "elastic_ip": _elastic_ip,
    "network_firewall": _network_firewall,
    "vpc_endpoint": _vpc_endpoint,
    "db_cluster": _db_cluster,
    "db_instance": _db_instance,
    "cache_replication_group": _cache,
    "cache_cluster": _cache,
    "stream": _stream,
    "kms_key": _kms_key,
    "secret": _secret,
    "ecs_service": _ecs_service,
    "dynamodb_table": _dynamodb,
    "config_recorder": _config_recorder,
    "metric_alarm": _metric_alarm,
}
#: Kinds priced through another resource: an Aurora instance through its cluster.
_PRICED_ELSEWHERE = frozenset({"db_cluster_instance"})


def pricing_region(stack: Stack) -> tuple[str, str]:
    """The region prices are read for, and a note when the stack leaves its region to deploy time."""
    if stack.region:
        return stack.region, ""
    return DEFAULT_PRICING_REGION, f"region decided at deploy time: priced as {DEFAULT_PRICING_REGION}"


def _nat_waiver(lines: Sequence[CostLine], ctx: _Context) -> list[CostLine]:
    """Network Firewall waives one NAT gateway-hour per endpoint-hour: a credit line on the firewall."""
    nat = [line for line in lines if line.price_key == "vpc.nat_gateway"]
    firewalls = [line for line in lines if line.price_key == "networkfirewall.endpoint"]
    if not nat or not firewalls:
        return []
    endpoints = sum(line.quantity for line in firewalls) / HOURS_PER_MONTH
    gateways = sum(line.quantity for line in nat) / HOURS_PER_MONTH
    waived = min(gateways, endpoints * NAT_HOURS_WAIVED_PER_FIREWALL_ENDPOINT)
    first = firewalls[0]
    return [
        CostLine(
            resource=first.resource,
            address=first.address,
            item="NAT gateway hours waived with Network Firewall",
            quantity=-waived * HOURS_PER_MONTH,
            unit=nat[0].unit,
            unit_price=nat[0].unit_price,
            price_key="vpc.nat_gateway",
            detail=f"-{_n(waived)} x 730 h",
            note="AWS waives one NAT gateway-hour for each firewall endpoint-hour",
        )
    ]


def estimate(stack: Stack, prices: PriceSource | None = None) -> CostReport:
    """The idle monthly cost of ``stack`` with ``prices`` (the dated table by default)."""
    prices = prices or TablePrices()
    region, region_note = pricing_region(stack)
    ctx = _Context(stack=stack, region=region, prices=prices)
    lines: list[CostLine] = []
    not_priced: list[NotPriced] = []
    for resource in stack:
        pricer = PRICERS.get(resource.kind)
        if pricer is not None:
            for entry in pricer(resource, ctx):
                (lines if isinstance(entry, CostLine) else not_priced).append(entry)
        elif resource.type in USAGE_ONLY_TYPES:
            ctx.usage.append(UsageOnly(resource.label, resource.type, USAGE_ONLY_TYPES[resource.type]))
        elif resource.type not in NO_CHARGE_TYPES and resource.kind not in _PRICED_ELSEWHERE:
            not_priced.append(_not_priced(resource, f"no idle price for {resource.type} in the table"))
    lines.extend(_nat_waiver(lines, ctx))
    return CostReport(
        stack=stack.name,
        system=stack.system,
        profile=stack.profile,
        region=region,
        region_note=region_note,
        prices=prices.name,
        lines=tuple(lines),
        not_priced=tuple(not_priced),
        usage_only=tuple(ctx.usage),
    )
