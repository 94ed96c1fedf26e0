"""scripts/deployer/adoption.py: which failed applies are an interrupted apply's orphans, the import id of each
adoptable type, and the proofs that an existing resource is the stack's own."""

from __future__ import annotations

import pytest

from scripts.deployer import adoption
from scripts.deployer.adoption import Account, AdoptionRefusedError, Orphan
from tests.unit.local_aws import Account as EmulatedAccount

ACCOUNT = Account("aws", "123456789012", "eu-west-1")

#: The two diagnostics the clean-clone run's interrupted streamflix apply ended with, as Terraform printed them.
ROUTE_CLASHES = """aws_sqs_queue_policy.jobs_tls-only_125E9107: Creation complete after 25s [id=http://q]

Error: api error RouteAlreadyExists: Route in Route Table (rtb-991a) with destination (0.0.0.0/0) already exists

  with aws_route.network_private-0-egress_E314E269,
  on cdk.tf.json line 792, in resource.aws_route.network_private-0-egress_E314E269:
 792:       },


Error: api error RouteAlreadyExists: Route in Route Table (rtb-5761) with destination (0.0.0.0/0) already exists

  with aws_route.network_private-1-egress_596311DD,
  on cdk.tf.json line 803, in resource.aws_route.network_private-1-egress_596311DD:
 803:       },
"""

#: The provider's wording for a security group rule (ci12): the API's words come after the source lines.
RULE_CLASH = """
Error: creating VPC Security Group Rule

  with aws_vpc_security_group_egress_rule.tasks-https-egress,
  on cdk.tf.json line 1134, in resource.aws_vpc_security_group_egress_rule.tasks-https-egress:
1134:       }

operation error EC2: AuthorizeSecurityGroupEgress, https response error
StatusCode: 400, RequestID: h3mk, api error
InvalidPermission.Duplicate: The specified rule already exists
"""

OTHER_ERROR = """
Error: creating KMS Key: operation error KMS: CreateKey, AccessDeniedException: not allowed

  with aws_kms_key.key,
  on cdk.tf.json line 10, in resource.aws_kms_key.key:
  10:       },
"""


def test_an_apply_that_failed_only_on_clashes_names_each_orphan_once() -> None:
    orphans = adoption.orphans_in(ROUTE_CLASHES)
    assert [(orphan.address, orphan.kind) for orphan in orphans] == [
        ("aws_route.network_private-0-egress_E314E269", "aws_route"),
        ("aws_route.network_private-1-egress_596311DD", "aws_route"),
    ]
    assert "RouteAlreadyExists" in orphans[0].message


def test_a_clash_the_provider_words_after_the_source_lines_is_an_orphan_too() -> None:
    (route, rule) = adoption.orphans_in(ROUTE_CLASHES.split("\n\n\nError: ")[0] + RULE_CLASH)
    assert route.kind == "aws_route"
    assert (rule.address, rule.kind) == (
        "aws_vpc_security_group_egress_rule.tasks-https-egress",
        "aws_vpc_security_group_egress_rule",
    )
    assert rule.message == (
        "creating VPC Security Group Rule: InvalidPermission.Duplicate: The specified rule already exists"
    )
    assert adoption.orphans_in(RULE_CLASH + OTHER_ERROR) == []


@pytest.mark.parametrize(
    "log",
    [OTHER_ERROR, ROUTE_CLASHES + OTHER_ERROR, "Error: Failed to load plugin schemas\n\nno provider\n", ""],
    ids=["another error", "clashes and another error", "an error naming no resource", "no error"],
)
def test_an_apply_that_failed_for_any_other_reason_has_no_orphans(log: str) -> None:
    assert adoption.orphans_in(log) == []


@pytest.mark.parametrize(
    ("kind", "planned", "expected"),
    [
        ("aws_route", {"route_table_id": "rtb-1", "destination_cidr_block": "0.0.0.0/0"}, "rtb-1_0.0.0.0/0"),
        ("aws_route", {"route_table_id": "rtb-1", "destination_ipv6_cidr_block": "::/0"}, "rtb-1_::/0"),
        ("aws_route_table_association", {"subnet_id": "subnet-1", "route_table_id": "rtb-1"}, "subnet-1/rtb-1"),
        ("aws_lambda_permission", {"function_name": "fn", "statement_id": "s3"}, "fn/s3"),
        ("aws_s3_bucket", {"bucket": "data-pr-1"}, "data-pr-1"),
        ("aws_rds_cluster", {"cluster_identifier": "db"}, "db"),
        ("aws_iam_policy", {"name": "p", "path": "/svc/"}, "arn:aws:iam::123456789012:policy/svc/p"),
        (
            "aws_networkfirewall_rule_group",
            {"name": "deny", "type": "STATEFUL"},
            "arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/deny",
        ),
        (
            "aws_networkfirewall_firewall",
            {"name": "fw"},
            "arn:aws:network-firewall:eu-west-1:123456789012:firewall/fw",
        ),
    ],
)
def test_the_import_id_comes_from_the_planned_values(kind: str, planned: dict[str, str], expected: str) -> None:
    assert adoption.import_id(Orphan(f"{kind}.x", kind, "exists"), planned, ACCOUNT) == expected


def test_a_type_whose_id_cannot_be_derived_is_refused_naming_the_adoptable_ones() -> None:
    with pytest.raises(AdoptionRefusedError, match=r"aws_vpc is not adopted automatically \(adoptable: aws_cloud"):
        adoption.import_id(Orphan("aws_vpc.main", "aws_vpc", "exists"), {}, ACCOUNT)


def test_a_planned_value_that_is_unknown_is_refused() -> None:
    with pytest.raises(AdoptionRefusedError, match="its planned 'route_table_id' is not known"):
        adoption.import_id(Orphan("aws_route.r", "aws_route", "exists"), {}, ACCOUNT)


def test_an_untagged_orphan_is_the_stacks_only_when_its_parent_is_in_the_state() -> None:
    state = [("aws_route_table.private", "aws_route_table", {"id": "rtb-1", "arn": "arn:rtb-1"})]
    identities = adoption.state_identities(state)
    route = Orphan("aws_route.egress", "aws_route", "exists")
    adoption.check_parents(route, {"route_table_id": "rtb-1"}, identities)
    with pytest.raises(AdoptionRefusedError, match="route_table_id 'rtb-other' is not a resource of this stack"):
        adoption.check_parents(route, {"route_table_id": "rtb-other"}, identities)


def test_a_tagged_orphan_is_the_stacks_only_when_it_carries_every_default_tag() -> None:
    bucket = Orphan("aws_s3_bucket.data", "aws_s3_bucket", "BucketAlreadyOwnedByYou")
    default_tags = {"System": "pci", "Environment": "pr-1"}
    adoption.check_tags(bucket, {"tags_all": {**default_tags, "Name": "data"}}, default_tags)
    with pytest.raises(AdoptionRefusedError, match=r"lacks the stack's tags \{'Environment': 'pr-1'\}"):
        adoption.check_tags(bucket, {"tags_all": {"System": "pci", "Environment": "prod"}}, default_tags)
    with pytest.raises(AdoptionRefusedError, match="lacks the stack's tags"):
        adoption.check_tags(bucket, {}, default_tags)


def test_every_untagged_adoptable_type_has_a_parent_to_prove_it_and_every_parent_type_is_adoptable() -> None:
    assert set(adoption.PARENTS) <= set(adoption.IMPORT_IDS)
    untagged = {"aws_route", "aws_route_table_association", "aws_lambda_permission", "aws_kms_alias"}
    assert untagged <= set(adoption.PARENTS)


def in_account(aws: EmulatedAccount) -> Account:
    return Account("aws", aws.account_id, aws.region, aws.client)


def test_a_security_group_is_found_by_its_name_in_its_vpc(aws: EmulatedAccount) -> None:
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    ec2.create_security_group(GroupName="db", Description="db", VpcId=other_vpc)
    orphan = Orphan("aws_security_group.db", "aws_security_group", "InvalidGroup.Duplicate")

    assert adoption.import_id(orphan, {"name": "db", "vpc_id": vpc}, in_account(aws)) == group
    with pytest.raises(AdoptionRefusedError, match="0 security group 'tasks' found where the plan needs exactly one"):
        adoption.import_id(orphan, {"name": "tasks", "vpc_id": vpc}, in_account(aws))


def test_a_security_group_rule_is_found_by_direction_protocol_ports_and_peer(aws: EmulatedAccount) -> None:
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    tasks = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    database = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    peer = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": database}]}
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ec2.authorize_security_group_egress(GroupId=tasks, IpPermissions=[peer, https])
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [tasks]}])["SecurityGroupRules"]
    ids = {(rule["FromPort"], rule.get("CidrIpv4")): rule["SecurityGroupRuleId"] for rule in rules}
    kind = "aws_vpc_security_group_egress_rule"
    orphan = Orphan(f"{kind}.x", kind, "InvalidPermission.Duplicate")
    to_database = {
        "security_group_id": tasks,
        "ip_protocol": "tcp",
        "from_port": 5432,
        "to_port": 5432,
        "referenced_security_group_id": database,
    }
    to_anywhere = {"security_group_id": tasks, "ip_protocol": "tcp", "from_port": 443, "to_port": 443}

    assert adoption.import_id(orphan, to_database, in_account(aws)) == ids[(5432, None)]
    found = adoption.import_id(orphan, {**to_anywhere, "cidr_ipv4": "0.0.0.0/0"}, in_account(aws))
    assert found == ids[(443, "0.0.0.0/0")]
    ingress = Orphan("aws_vpc_security_group_ingress_rule.x", "aws_vpc_security_group_ingress_rule", "Duplicate")
    with pytest.raises(AdoptionRefusedError, match="0 rule of"):
        adoption.import_id(ingress, to_database, in_account(aws))


def test_a_flow_log_is_found_by_its_vpc_traffic_type_and_destination(aws: EmulatedAccount) -> None:
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = f"arn:aws:logs:{aws.region}:{aws.account_id}:log-group:flow"
    role = f"arn:aws:iam::{aws.account_id}:role/flow"
    (flow_log,) = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogDestination=group,
        DeliverLogsPermissionArn=role,
    )["FlowLogIds"]
    orphan = Orphan("aws_flow_log.vpc", "aws_flow_log", "FlowLogAlreadyExists")
    planned = {"vpc_id": vpc, "traffic_type": "ALL", "log_destination": group}

    assert adoption.import_id(orphan, planned, in_account(aws)) == flow_log
    with pytest.raises(AdoptionRefusedError, match="0 flow log of"):
        adoption.import_id(orphan, {**planned, "traffic_type": "REJECT"}, in_account(aws))


def test_a_nat_gateway_is_found_by_its_subnet_and_elastic_ip(aws: EmulatedAccount) -> None:
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    other = ec2.allocate_address(Domain="vpc")["AllocationId"]
    gateway = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    ec2.create_nat_gateway(SubnetId=subnet, AllocationId=other)
    orphan = Orphan("aws_nat_gateway.nat", "aws_nat_gateway", "Resource.AlreadyAssociated")

    planned = {"subnet_id": subnet, "allocation_id": allocation}
    assert adoption.import_id(orphan, planned, in_account(aws)) == gateway


STACK_TAGS = {"System": "streamflix", "Environment": "pr-1"}


def tag_specification(kind: str, tags: dict[str, str]) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}]


def test_untracked_lists_the_live_resources_carrying_every_stack_tag_that_the_state_lacks(aws: EmulatedAccount) -> None:
    ec2, kms = aws.client("ec2"), aws.client("kms")
    tracked = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tag_specification("vpc", STACK_TAGS))
    tracked_id = tracked["Vpc"]["VpcId"]
    named = {**STACK_TAGS, "Name": "network-private-0"}
    subnet = ec2.create_subnet(
        VpcId=tracked_id, CidrBlock="10.0.1.0/24", TagSpecifications=tag_specification("subnet", named)
    )["Subnet"]["SubnetId"]
    ec2.create_route_table(VpcId=tracked_id, TagSpecifications=tag_specification("route-table", {"System": "other"}))
    key_tags = [{"TagKey": key, "TagValue": value} for key, value in STACK_TAGS.items()]
    key = kms.create_key(Description="streamflix-key (pr-1)", Tags=key_tags)["KeyMetadata"]["KeyId"]
    pending = kms.create_key(Description="streamflix-key (pr-1)", Tags=key_tags)["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=7)

    found = adoption.untracked(in_account(aws), STACK_TAGS, {tracked_id})

    assert sorted((item.kind, item.identifier) for item in found) == [("aws_kms_key", key), ("aws_subnet", subnet)]
    by_kind = {item.kind: item for item in found}
    assert by_kind["aws_kms_key"].facts == {"description": "streamflix-key (pr-1)"}
    assert by_kind["aws_subnet"].tags == named and by_kind["aws_subnet"].facts == {}


def test_untracked_finds_an_unattached_internet_gateway_and_an_elastic_ip_by_their_tags(
    aws: EmulatedAccount,
) -> None:
    ec2 = aws.client("ec2")
    named = {**STACK_TAGS, "Name": "network-nat-0"}
    gateway = ec2.create_internet_gateway(TagSpecifications=tag_specification("internet-gateway", STACK_TAGS))
    address = ec2.allocate_address(Domain="vpc", TagSpecifications=tag_specification("elastic-ip", named))
    ec2.allocate_address(Domain="vpc")

    found = adoption.untracked(in_account(aws), STACK_TAGS, set())

    assert sorted((item.kind, item.identifier, item.tags == named) for item in found) == [
        ("aws_eip", address["AllocationId"], True),
        ("aws_internet_gateway", gateway["InternetGateway"]["InternetGatewayId"], False),
    ]


def stray(kind: str, identifier: str, tags: dict[str, str], **facts: str) -> adoption.Untracked:
    return adoption.Untracked(f"arn:aws:x:eu-west-1:1:{kind}/{identifier}", kind, identifier, tags, facts)


def test_a_stray_is_paired_with_the_one_planned_creation_whose_tags_and_facts_it_carries() -> None:
    subnet = stray("aws_subnet", "subnet-1", {**STACK_TAGS, "Name": "private-1"})
    key = stray("aws_kms_key", "k-1", STACK_TAGS, description="media key")
    planned = {
        "aws_subnet.private-0": {"tags_all": {**STACK_TAGS, "Name": "private-0"}},
        "aws_subnet.private-1": {"tags_all": {**STACK_TAGS, "Name": "private-1"}},
        "aws_kms_key.logs": {"description": "logs key", "tags": {}},
        "aws_kms_key.media": {"description": "media key", "tags": {}},
        "aws_vpc.network": {"tags_all": STACK_TAGS},
    }

    pairs, left = adoption.pair_untracked([subnet, key], planned, STACK_TAGS)

    assert pairs == {"aws_subnet.private-1": subnet, "aws_kms_key.media": key}
    assert left == []


def test_strays_that_could_be_the_same_creation_or_none_are_left_with_the_reason() -> None:
    first = stray("aws_vpc", "vpc-1", STACK_TAGS)
    second = stray("aws_vpc", "vpc-2", STACK_TAGS)
    unplanned = stray("aws_route_table", "rtb-9", {**STACK_TAGS, "Name": "gone"})
    planned = {
        "aws_vpc.network": {"tags_all": STACK_TAGS},
        "aws_route_table.public": {"tags_all": {**STACK_TAGS, "Name": "public"}},
    }

    pairs, left = adoption.pair_untracked([first, second, unplanned], planned, STACK_TAGS)

    assert pairs == {}
    assert left[0] == (
        f"{first.arn} could be aws_vpc.network (claimed by {first.arn}, {second.arn}): no proof which, left alone"
    )
    assert left[2] == f"{unplanned.arn} carries the stack's tags but matches nothing the plan creates: left alone"


def test_a_type_is_adopted_one_way_only_on_a_clash_or_by_its_tags() -> None:
    assert not set(adoption.FOUND_BY_TAGS.values()) & set(adoption.IMPORT_IDS)
