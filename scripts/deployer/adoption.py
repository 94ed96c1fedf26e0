"""Adoption: resources an interrupted ``terraform apply`` created but never recorded, imported by the re-run only
where they are provably the stack's own.

:func:`orphans_in` reads the clashes from a failed apply's log; :func:`import_id`, :func:`check_parents` and
:func:`check_tags` derive each one's import id and prove ownership (default tags, or a parent in the state).
:func:`untracked` and :func:`pair_untracked` find, before an apply, what cannot clash (a KMS key, VPC, subnet, route
table) by the stack's default tags. README's "Deploying to a local AWS" section explains the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: One error diagnostic in Terraform's ``-no-color`` output: ``Error: <summary>``, then ``with <address>,``; the API's
#: own words are in the summary (``api error RouteAlreadyExists: ...``) or in the detail after the source lines
#: (``Error: creating VPC Security Group Rule`` ... ``InvalidPermission.Duplicate: ...``). A block ends where the next
#: diagnostic starts.
DIAGNOSTIC = re.compile(r"^Error: (?P<block>(?:(?!Error: ).*(?:\n|$))+)", re.MULTILINE)
ADDRESS = re.compile(r"^\s+with (?P<address>[\w.\-\[\]\"]+),", re.MULTILINE)
#: What the AWS APIs answer to the create of something that exists (each service spells it its own way).
ALREADY_EXISTS = re.compile(
    r"AlreadyExists|already exists|AlreadyOwnedByYou|EntityAlreadyExists|ResourceConflictException|"
    r"Resource\.AlreadyAssociated|already associated|InvalidPermission\.Duplicate|DuplicateResource|"
    r"FlowLogAlreadyExists",
)


@dataclass(frozen=True)
class Orphan:
    """A resource the apply could not create because it exists: its address, type and the API's words."""

    address: str
    kind: str
    message: str


@dataclass(frozen=True)
class Account:
    """Where the stack deploys: for the ids that are ARNs, and a client of the region's services for the ids AWS
    chose (a security group's ``sg-...``), which only a describe call finds."""

    partition: str
    account_id: str
    region: str
    client: Callable[[str], Any] | None = None

    def service(self, name: str) -> Any:
        if self.client is None:
            raise AdoptionRefusedError(f"no {name} client to find the resource with: not adopted")
        return self.client(name)


def _destination(values: Mapping[str, Any]) -> str:
    for key in ("destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id"):
        if values.get(key):
            return str(values[key])
    raise KeyError("destination_cidr_block")


def _route_table_association(values: Mapping[str, Any]) -> str:
    return f"{values.get('subnet_id') or values['gateway_id']}/{values['route_table_id']}"


def _arn(service: str, resource: str) -> Callable[[Mapping[str, Any], Account], str]:
    def arn(values: Mapping[str, Any], account: Account) -> str:
        named = resource.format(**values)
        return f"arn:{account.partition}:{service}:{account.region}:{account.account_id}:{named}"

    return arn


def _iam_policy(values: Mapping[str, Any], account: Account) -> str:
    return f"arn:{account.partition}:iam::{account.account_id}:policy{values.get('path') or '/'}{values['name']}"


def _rule_group(values: Mapping[str, Any], account: Account) -> str:
    kind = "stateful" if values["type"] == "STATEFUL" else "stateless"
    return _arn("network-firewall", f"{kind}-rulegroup/{{name}}")(values, account)


def _only(found: list[str], what: str) -> str:
    """The one id a describe call found; none or several is no proof of which resource the plan meant."""
    if len(found) != 1:
        raise AdoptionRefusedError(f"{len(found)} {what} found where the plan needs exactly one: not adopted")
    return found[0]


def _security_group(values: Mapping[str, Any], account: Account) -> str:
    """A group's name is unique in its VPC; its id is AWS's."""
    filters = [{"Name": "group-name", "Values": [values["name"]]}, {"Name": "vpc-id", "Values": [values["vpc_id"]]}]
    groups = account.service("ec2").describe_security_groups(Filters=filters)["SecurityGroups"]
    return _only([group["GroupId"] for group in groups], f"security group {values['name']!r}")


def _security_group_rule(egress: bool) -> Callable[[Mapping[str, Any], Account], str]:
    """A rule is its group, direction, protocol, ports and peer (EC2 refuses a duplicate); its id is AWS's."""

    def rule_id(values: Mapping[str, Any], account: Account) -> str:
        filters = [{"Name": "group-id", "Values": [values["security_group_id"]]}]
        rules = account.service("ec2").describe_security_group_rules(Filters=filters)["SecurityGroupRules"]
        wanted = (
            egress,
            values["ip_protocol"],
            values.get("from_port"),
            values.get("to_port"),
            values.get("cidr_ipv4"),
            values.get("cidr_ipv6"),
            values.get("referenced_security_group_id"),
            values.get("prefix_list_id"),
        )
        matching = [
            rule["SecurityGroupRuleId"]
            for rule in rules
            if (
                rule["IsEgress"],
                rule["IpProtocol"],
                rule.get("FromPort") if rule["IpProtocol"] != "-1" else values.get("from_port"),
                rule.get("ToPort") if rule["IpProtocol"] != "-1" else values.get("to_port"),
                rule.get("CidrIpv4"),
                rule.get("CidrIpv6"),
                (rule.get("ReferencedGroupInfo") or {}).get("GroupId"),
                rule.get("PrefixListId"),
            )
            == wanted
        ]
        return _only(matching, f"rule of {values['security_group_id']}")

    return rule_id


def _flow_log(values: Mapping[str, Any], account: Account) -> str:
    """EC2 refuses a second flow log of one resource, traffic type and destination; its id is AWS's."""
    source = next(values[key] for key in ("vpc_id", "subnet_id", "eni_id", "transit_gateway_id") if values.get(key))
    filters = [
        {"Name": "resource-id", "Values": [source]},
        {"Name": "traffic-type", "Values": [values["traffic_type"]]},
    ]
    logs = account.service("ec2").describe_flow_logs(Filters=filters)["FlowLogs"]
    destination = values.get("log_destination")
    return _only(
        [log["FlowLogId"] for log in logs if destination in (None, log.get("LogDestination"))],
        f"flow log of {source}",
    )


def _nat_gateway(values: Mapping[str, Any], account: Account) -> str:
    """An Elastic IP serves one NAT gateway (a second is refused as already associated); its id is AWS's."""
    filters = [
        {"Name": "subnet-id", "Values": [values["subnet_id"]]},
        {"Name": "state", "Values": ["pending", "available"]},
    ]
    gateways = account.service("ec2").describe_nat_gateways(Filters=filters)["NatGateways"]
    allocation = values["allocation_id"]
    return _only(
        [
            gateway["NatGatewayId"]
            for gateway in gateways
            if any(address.get("AllocationId") == allocation for address in gateway.get("NatGatewayAddresses", []))
        ],
        f"NAT gateway with {allocation}",
    )


def _named(attribute: str) -> Callable[[Mapping[str, Any], Account], str]:
    return lambda values, _account: str(values[attribute])


#: ``terraform import`` id of each type whose identity the configuration chooses (so a re-create clashes), from the
#: planned values. Types not listed are never adopted.
IMPORT_IDS: dict[str, Callable[[Mapping[str, Any], Account], str]] = {
    "aws_route": lambda values, _account: f"{values['route_table_id']}_{_destination(values)}",
    "aws_route_table_association": lambda values, _account: _route_table_association(values),
    "aws_lambda_permission": lambda values, _account: f"{values['function_name']}/{values['statement_id']}",
    "aws_kms_alias": _named("name"),
    "aws_s3_bucket": _named("bucket"),
    "aws_cloudwatch_log_group": _named("name"),
    "aws_iam_role": _named("name"),
    "aws_iam_policy": _iam_policy,
    "aws_kinesis_stream": _named("name"),
    "aws_lambda_function": _named("function_name"),
    "aws_db_subnet_group": _named("name"),
    "aws_rds_cluster": _named("cluster_identifier"),
    "aws_rds_cluster_instance": _named("identifier"),
    "aws_rds_cluster_parameter_group": _named("name"),
    "aws_db_instance": _named("identifier"),
    "aws_db_parameter_group": _named("name"),
    "aws_config_config_rule": _named("name"),
    "aws_config_configuration_recorder": _named("name"),
    "aws_config_delivery_channel": _named("name"),
    "aws_networkfirewall_firewall": _arn("network-firewall", "firewall/{name}"),
    "aws_networkfirewall_firewall_policy": _arn("network-firewall", "firewall-policy/{name}"),
    "aws_networkfirewall_rule_group": _rule_group,
    # Identity the configuration chooses, id AWS chooses: found with a describe call.
    "aws_security_group": _security_group,
    "aws_vpc_security_group_ingress_rule": _security_group_rule(egress=False),
    "aws_vpc_security_group_egress_rule": _security_group_rule(egress=True),
    "aws_flow_log": _flow_log,
    "aws_nat_gateway": _nat_gateway,
}

#: Types proven the stack's by what they hang off: the planned attributes that must name a resource already in the
#: stack's state (the untagged ones, and rules, whose tags not every service reads back). Other types are proven by
#: their tags.
PARENTS: dict[str, tuple[str, ...]] = {
    "aws_route": ("route_table_id",),
    "aws_route_table_association": ("route_table_id",),
    "aws_lambda_permission": ("function_name",),
    "aws_kms_alias": ("target_key_id",),
    "aws_config_delivery_channel": ("s3_bucket_name",),
    "aws_config_configuration_recorder": ("role_arn",),
    "aws_vpc_security_group_ingress_rule": ("security_group_id",),
    "aws_vpc_security_group_egress_rule": ("security_group_id",),
}


class AdoptionRefusedError(RuntimeError):
    """An existing resource that cannot be shown to be the stack's own: the deploy fails, naming it."""


def orphans_in(apply_log: str) -> list[Orphan]:
    """The resources a failed apply's output says exist already, in order, once each.

    An apply that failed for any other reason as well returns nothing: only a failure made entirely of clashes is
    an interrupted apply's orphans, everything else is a real error to read.
    """
    found: dict[str, Orphan] = {}
    errors = apply_log.count("\nError: ") + apply_log.startswith("Error: ")
    for match in DIAGNOSTIC.finditer(apply_log):
        block = match["block"]
        named = ADDRESS.search(block)
        clash = next((line.strip() for line in block.splitlines() if ALREADY_EXISTS.search(line)), None)
        if named and clash:
            address = named["address"]
            summary = block.splitlines()[0].strip()
            message = summary if ALREADY_EXISTS.search(summary) else f"{summary}: {clash}"
            found.setdefault(address, Orphan(address, address.split(".", 1)[0], message))
    return list(found.values()) if found and len(found) == errors else []


def import_id(orphan: Orphan, planned: Mapping[str, Any], account: Account) -> str:
    """The id ``terraform import`` takes for ``orphan``, from its planned values; refused for types not adoptable."""
    derive = IMPORT_IDS.get(orphan.kind)
    if derive is None:
        raise AdoptionRefusedError(
            f"{orphan.address} already exists ({orphan.message}); {orphan.kind} is not adopted automatically "
            f"(adoptable: {', '.join(sorted(IMPORT_IDS))}): import it by hand if it is this stack's"
        )
    try:
        return derive(planned, account)
    except KeyError as missing:
        raise AdoptionRefusedError(
            f"{orphan.address}: its planned {missing} is not known, so it cannot be imported"
        ) from None


def state_identities(resources: Iterable[tuple[str, str, Mapping[str, Any]]]) -> set[str]:
    """Every id, ARN and name the stack's state holds: what a parent attribute may point at."""
    identities = set()
    for _, _, attributes in resources:
        for key in ("id", "arn", "name", "bucket", "function_name", "key_id"):
            value = attributes.get(key)
            if isinstance(value, str) and value:
                identities.add(value)
    return identities


def check_parents(orphan: Orphan, planned: Mapping[str, Any], identities: set[str]) -> None:
    """An untagged orphan is the stack's own only if what it hangs off is in the stack's state."""
    for attribute in PARENTS.get(orphan.kind, ()):
        value = planned.get(attribute)
        if value not in identities:
            raise AdoptionRefusedError(
                f"{orphan.address} already exists, but its {attribute} {value!r} is not a resource of this stack: "
                "not adopted"
            )


def check_tags(orphan: Orphan, imported: Mapping[str, Any], default_tags: Mapping[str, str]) -> None:
    """A tagged orphan, once imported, must carry every default tag of the stack (a clash with another's resource
    of the same name does not); a type in :data:`PARENTS` is proven by :func:`check_parents` instead."""
    if orphan.kind in PARENTS:
        return
    tags = imported.get("tags_all") or {}
    missing = {key: value for key, value in default_tags.items() if tags.get(key) != value}
    if missing:
        raise AdoptionRefusedError(
            f"{orphan.address} already exists, but it is not this stack's: it lacks the stack's tags {missing} "
            f"(it has {dict(tags)}); not adopted, nothing of it changed"
        )


#: Types whose id AWS chooses, so an interrupted create leaves a resource the re-run duplicates rather than clashes
#: with: the Resource Groups Tagging API's name for each, and its Terraform type. Each is imported by the id that ends
#: its ARN (``key/<id>``, ``vpc/vpc-...``). An internet gateway is found here whether or not its create got as far as
#: attaching it; a stray that two planned creations could be is left alone (:func:`pair_untracked`).
FOUND_BY_TAGS: dict[str, str] = {
    "kms:key": "aws_kms_key",
    "ec2:vpc": "aws_vpc",
    "ec2:subnet": "aws_subnet",
    "ec2:route-table": "aws_route_table",
    "ec2:internet-gateway": "aws_internet_gateway",
    "ec2:elastic-ip": "aws_eip",
}

#: KMS key states a stack can still use; a key pending deletion (what a destroy leaves) is not adopted.
LIVE_KEY_STATES = ("Enabled", "Disabled")


@dataclass(frozen=True)
class Untracked:
    """A live resource carrying every default tag of the stack that the stack's state does not hold."""

    arn: str
    kind: str
    identifier: str
    tags: Mapping[str, str]
    facts: Mapping[str, Any]


def untracked(account: Account, default_tags: Mapping[str, str], known: set[str]) -> list[Untracked]:
    """Resources of the :data:`FOUND_BY_TAGS` types that carry all of ``default_tags`` and whose ARN or id is not in
    ``known`` (the state's identities, :func:`state_identities`); a KMS key must be live, and brings its
    description."""
    tagging = account.service("resourcegroupstaggingapi")
    filters = [{"Key": key, "Values": [value]} for key, value in default_tags.items()]
    found = []
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=filters, ResourceTypeFilters=list(FOUND_BY_TAGS)
    ):
        for mapping in page["ResourceTagMappingList"]:
            arn = mapping["ResourceARN"]
            identifier = arn.rsplit("/", 1)[-1]
            kind = FOUND_BY_TAGS.get(_tagging_type(arn))
            if kind is None or arn in known or identifier in known:
                continue
            facts: dict[str, Any] = {}
            if kind == "aws_kms_key":
                key = account.service("kms").describe_key(KeyId=arn)["KeyMetadata"]
                if key["KeyState"] not in LIVE_KEY_STATES:
                    continue
                facts["description"] = key.get("Description", "")
            tags = {tag["Key"]: tag["Value"] for tag in mapping.get("Tags", [])}
            found.append(Untracked(arn, kind, identifier, tags, facts))
    return found


def _tagging_type(arn: str) -> str:
    """``kms:key`` of ``arn:aws:kms:<region>:<account>:key/<id>``."""
    parts = arn.split(":", 5)
    return f"{parts[2]}:{parts[5].split('/', 1)[0]}" if len(parts) == 6 else ""


def pair_untracked(
    strays: list[Untracked], planned: Mapping[str, Mapping[str, Any]], default_tags: Mapping[str, str]
) -> tuple[dict[str, Untracked], list[str]]:
    """``({address: stray}, [why each other stray is left])``: a stray is paired with a planned creation of its type
    whose every tag it carries (the default tags and the resource's own ``Name``) and whose facts match, when it is
    the only such creation, and the creation is the only one it could be."""
    candidates: dict[str, list[str]] = {}
    for stray in strays:
        candidates[stray.arn] = [
            address
            for address, values in planned.items()
            if address.split(".", 1)[0] == stray.kind
            and _planned_tags(values, default_tags).items() <= stray.tags.items()
            and all(values.get(name) == value for name, value in stray.facts.items())
        ]
    claims: dict[str, list[str]] = {}
    for arn, addresses in candidates.items():
        for address in addresses:
            claims.setdefault(address, []).append(arn)
    pairs: dict[str, Untracked] = {}
    left: list[str] = []
    for stray in strays:
        addresses = candidates[stray.arn]
        if len(addresses) == 1 and claims[addresses[0]] == [stray.arn]:
            pairs[addresses[0]] = stray
        elif not addresses:
            left.append(f"{stray.arn} carries the stack's tags but matches nothing the plan creates: left alone")
        else:
            rivals = sorted({arn for address in addresses for arn in claims[address]})
            left.append(
                f"{stray.arn} could be {', '.join(addresses)} (claimed by {', '.join(rivals)}): no proof which, "
                "left alone"
            )
    return pairs, left


def _planned_tags(values: Mapping[str, Any], default_tags: Mapping[str, str]) -> dict[str, str]:
    """The tags a planned creation will carry: ``tags_all`` when the plan knows it, else default tags and its own."""
    if isinstance(values.get("tags_all"), Mapping):
        return dict(values["tags_all"])
    return {**default_tags, **(values.get("tags") or {})}
