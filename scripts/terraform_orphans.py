"""Resources an interrupted ``terraform apply`` created but never recorded, and how the re-run adopts them.

When an apply is stopped (SIGTERM, a cancelled CI job), Terraform cancels the provider calls in flight. A create the
API had already carried out is then in the account but not in the state, and the re-run's create of the same thing
fails with "already exists" (e.g. ``RouteAlreadyExists``). That is a race on AWS as much as on the emulator, and
``terraform import`` is the operator's way out; this module does it for them, but only where it can prove the
resource is the stack's own:

- its import id is derived from the planned values (:data:`IMPORT_IDS`), or found by a describe call that matches
  them exactly (a security group by name and VPC), never guessed;
- a resource that carries tags must, once imported, carry every default tag of the stack's provider
  (``System``, ``Environment``, ``Profile``...): a same-named resource of someone else's is put back out of state and
  the deploy fails naming it;
- an untagged one (a route, an association, a permission) must hang off a resource already in the state
  (:data:`PARENTS`): a route in this stack's route table is this stack's route.

Anything else that "already exists" stays a failed deploy, with the ``terraform import`` command to run by hand.
A resource whose id AWS chooses (a VPC, a KMS key) cannot clash, so it is never adopted: an orphaned one is a
leftover, which the dev teardown check (``scripts/deploy_checks/teardown.py``) finds.
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


def _internet_gateway(values: Mapping[str, Any], account: Account) -> str:
    """A VPC takes one internet gateway (a second is refused as already attached); its id is AWS's."""
    filters = [{"Name": "attachment.vpc-id", "Values": [values["vpc_id"]]}]
    gateways = account.service("ec2").describe_internet_gateways(Filters=filters)["InternetGateways"]
    return _only([gateway["InternetGatewayId"] for gateway in gateways], f"internet gateway of {values['vpc_id']}")


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
    "aws_internet_gateway": _internet_gateway,
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
