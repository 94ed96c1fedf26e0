"""EC2 and IAM additions: the restricted default security group, security-group rules, route-table associations,
deletes of network resources, roles with managed policies."""

from __future__ import annotations

from typing import Any

from emulator_templates import get_att, network, ref

from tests.unit.local_aws import Account


def default_group(aws: Account, vpc_id: str) -> dict[str, Any]:
    return aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]


def restrict(group: Any) -> dict[str, Any]:
    return {
        "Type": "Custom::VpcRestrictDefaultSG",
        "Properties": {"ServiceToken": "arn:provider-lambda-never-runs", "DefaultSecurityGroupId": group},
    }


def test_a_new_vpc_default_group_admits_its_own_members_and_allows_all_egress(aws: Account) -> None:
    vpc_id = aws.client("ec2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    group = default_group(aws, vpc_id)
    assert [pair["GroupId"] for pair in group["IpPermissions"][0]["UserIdGroupPairs"]] == [group["GroupId"]]
    assert group["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]


def test_restrict_default_security_group_leaves_it_without_rules(aws: Account) -> None:
    resources = {"Vpc": network(az_count=1)["Vpc"], "Restrict": restrict(get_att("Vpc", "DefaultSecurityGroup"))}
    stack = aws.create_stack("restricted", resources, {"VpcId": ref("Vpc")})
    group = default_group(aws, stack["out"]["VpcId"])
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert (group["IpPermissions"], group["IpPermissionsEgress"]) == ([], [])


def test_removing_the_restriction_puts_the_default_rules_back(aws: Account) -> None:
    vpc_id = aws.client("ec2").create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    group_id = default_group(aws, vpc_id)["GroupId"]
    aws.create_stack("restriction-only", {"Restrict": restrict(group_id)})
    assert aws.delete_stack("restriction-only") == "DELETE_COMPLETE"
    group = default_group(aws, vpc_id)
    assert [pair["GroupId"] for pair in group["IpPermissions"][0]["UserIdGroupPairs"]] == [group_id]
    assert group["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]


def test_restricting_a_group_that_does_not_exist_fails_the_create(aws: Account) -> None:
    aws.create_stack("no-group", {"Restrict": restrict("sg-0000000000000000")})
    assert aws.stack("no-group")["StackStatus"] == "ROLLBACK_COMPLETE"


def test_removing_a_restriction_after_its_vpc_is_gone_is_quiet(aws: Account) -> None:
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    aws.create_stack("orphan", {"Restrict": restrict(default_group(aws, vpc_id)["GroupId"])})
    ec2.delete_vpc(VpcId=vpc_id)
    assert aws.delete_stack("orphan") == "DELETE_COMPLETE"


def test_security_group_egress_replaces_the_allow_all_rule_and_ingress_keeps_descriptions(aws: Account) -> None:
    stack = aws.create_stack(
        "rules",
        {
            "Vpc": network(az_count=1)["Vpc"],
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "closed",
                    "VpcId": ref("Vpc"),
                    "SecurityGroupEgress": [
                        {
                            "CidrIp": "255.255.255.255/32",
                            "Description": "Disallow all traffic",
                            "FromPort": 252,
                            "IpProtocol": "icmp",
                            "ToPort": 86,
                        }
                    ],
                    "SecurityGroupIngress": [
                        {
                            "CidrIp": "10.0.0.0/16",
                            "Description": "vpc only",
                            "FromPort": 443,
                            "IpProtocol": "tcp",
                            "ToPort": 443,
                        },
                        {"CidrIpv6": "::/0", "FromPort": 80, "IpProtocol": "tcp", "ToPort": 80},
                    ],
                },
            },
        },
        {"GroupId": get_att("Group", "GroupId")},
    )
    group = aws.client("ec2").describe_security_groups(GroupIds=[stack["out"]["GroupId"]])["SecurityGroups"][0]
    assert [rule["IpRanges"] for rule in group["IpPermissionsEgress"]] == [
        [{"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic"}]
    ]
    ipv4 = next(rule for rule in group["IpPermissions"] if rule["IpRanges"])
    assert ipv4["IpRanges"] == [{"CidrIp": "10.0.0.0/16", "Description": "vpc only"}]
    assert any(rule["Ipv6Ranges"] for rule in group["IpPermissions"])


def test_a_group_without_declared_egress_keeps_allow_all(aws: Account) -> None:
    stack = aws.create_stack(
        "open",
        {
            "Vpc": network(az_count=1)["Vpc"],
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "open", "VpcId": ref("Vpc")},
            },
        },
        {"GroupId": get_att("Group", "GroupId")},
    )
    group = aws.client("ec2").describe_security_groups(GroupIds=[stack["out"]["GroupId"]])["SecurityGroups"][0]
    assert group["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]


def test_ingress_rule_resource_is_revoked_with_its_stack(aws: Account) -> None:
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    target = ec2.create_security_group(GroupName="target", Description="t", VpcId=vpc_id)["GroupId"]
    peer = ec2.create_security_group(GroupName="peer", Description="p", VpcId=vpc_id)["GroupId"]
    aws.create_stack(
        "ingress",
        {
            "Rule": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": target,
                    "IpProtocol": "tcp",
                    "FromPort": 5432,
                    "ToPort": 5432,
                    "SourceSecurityGroupId": peer,
                },
            }
        },
    )
    assert ec2.describe_security_groups(GroupIds=[target])["SecurityGroups"][0]["IpPermissions"]
    assert aws.delete_stack("ingress") == "DELETE_COMPLETE"
    assert ec2.describe_security_groups(GroupIds=[target])["SecurityGroups"][0]["IpPermissions"] == []


def test_subnet_route_table_associations_are_visible_and_removed_with_the_stack(aws: Account) -> None:
    stack = aws.create_stack("associations", network(), {"VpcId": ref("Vpc"), "Association": ref("Association0")})
    ec2 = aws.client("ec2")
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [stack["out"]["VpcId"]]}])["RouteTables"]
    associated = [a for table in tables for a in table["Associations"] if a.get("SubnetId")]
    assert len(associated) == 2
    assert stack["out"]["Association"] in {a["RouteTableAssociationId"] for a in associated}
    assert aws.delete_stack("associations") == "DELETE_COMPLETE"


def test_a_whole_public_network_is_deleted_with_its_stack(aws: Account) -> None:
    resources = network(az_count=1)
    resources.update(
        {
            "Gateway": {"Type": "AWS::EC2::InternetGateway", "Properties": {}},
            "Attachment": {
                "Type": "AWS::EC2::VPCGatewayAttachment",
                "Properties": {"VpcId": ref("Vpc"), "InternetGatewayId": ref("Gateway")},
            },
            "Address": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
            "Nat": {
                "Type": "AWS::EC2::NatGateway",
                "Properties": {"SubnetId": ref("Subnet0"), "AllocationId": get_att("Address", "AllocationId")},
                "DependsOn": "Attachment",
            },
            "ToNat": {
                "Type": "AWS::EC2::Route",
                "Properties": {
                    "RouteTableId": ref("Table0"),
                    "DestinationCidrBlock": "0.0.0.0/0",
                    "NatGatewayId": ref("Nat"),
                },
            },
            "FlowLogs": {
                "Type": "AWS::EC2::FlowLog",
                "Properties": {
                    "ResourceId": ref("Vpc"),
                    "ResourceType": "VPC",
                    "TrafficType": "ALL",
                    "LogDestinationType": "cloud-watch-logs",
                    "LogGroupName": "flow",
                    "DeliverLogsPermissionArn": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/flow"},
                },
            },
        }
    )
    aws.create_stack("public", resources)
    assert aws.delete_stack("public") == "DELETE_COMPLETE"
    ec2 = aws.client("ec2")
    assert [vpc for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc["IsDefault"]] == []
    assert ec2.describe_addresses()["Addresses"] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []
    assert ec2.describe_flow_logs()["FlowLogs"] == []
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []
    assert {nat["State"] for nat in ec2.describe_nat_gateways()["NatGateways"]} == {"deleted"}


def test_vpn_gateway_attachments_are_detached_on_delete(aws: Account) -> None:
    aws.create_stack(
        "vpn",
        {
            "Vpc": network(az_count=1)["Vpc"],
            "Gateway": {"Type": "AWS::EC2::VPNGateway", "Properties": {"Type": "ipsec.1"}},
            "Attachment": {
                "Type": "AWS::EC2::VPCGatewayAttachment",
                "Properties": {"VpcId": ref("Vpc"), "VpnGatewayId": ref("Gateway")},
            },
        },
    )
    from moto.cloudformation.models import cloudformation_backends

    stack = next(iter(cloudformation_backends[aws.account_id][aws.region].stacks.values()))
    stack.resource_map["Attachment"].delete(aws.account_id, aws.region)
    attachments = aws.client("ec2").describe_vpn_gateways()["VpnGateways"][0]["VpcAttachments"]
    assert {item["State"] for item in attachments} == {"detached"}


def test_tagged_elastic_ips_are_listed_by_the_tagging_api(aws: Account) -> None:
    ec2 = aws.client("ec2")
    tags = [{"Key": "stack", "Value": "media"}]
    tagging = [{"ResourceType": "elastic-ip", "Tags": tags}]
    tagged = ec2.allocate_address(Domain="vpc", TagSpecifications=tagging)["AllocationId"]
    ec2.allocate_address(Domain="vpc")

    found = aws.client("resourcegroupstaggingapi").get_resources(
        TagFilters=[{"Key": "stack", "Values": ["media"]}], ResourceTypeFilters=["ec2:elastic-ip"]
    )["ResourceTagMappingList"]

    assert [(item["ResourceARN"], item["Tags"]) for item in found] == [
        (f"arn:aws:ec2:{aws.region}:{aws.account_id}:elastic-ip/{tagged}", tags)
    ]


def role(managed_policy_arns: list[Any] | None = None) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ]
            },
            "ManagedPolicyArns": managed_policy_arns or [],
        },
    }


def test_role_managed_policy_arns_are_attached(managed_policies: None, aws: Account) -> None:
    arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    stack = aws.create_stack("role", {"Role": role([arn])}, {"Name": ref("Role")})
    attached = aws.client("iam").list_attached_role_policies(RoleName=stack["out"]["Name"])["AttachedPolicies"]
    assert [item["PolicyArn"] for item in attached] == [arn]
    assert aws.delete_stack("role") == "DELETE_COMPLETE"


def test_roles_and_customer_managed_policies_delete_cleanly(aws: Account) -> None:
    aws.create_stack(
        "policies",
        {
            "Role": role(),
            "Policy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}],
                    },
                    "Roles": [ref("Role")],
                },
            },
        },
    )
    iam = aws.client("iam")
    user = iam.create_user(UserName="also-attached")["User"]["UserName"]
    group = iam.create_group(GroupName="also-attached")["Group"]["GroupName"]
    policy_arn = iam.list_policies(Scope="Local")["Policies"][0]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=policy_arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)
    assert aws.delete_stack("policies") == "DELETE_COMPLETE"
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("policies")] == []


def test_a_separate_egress_rule_replaces_the_default_allow_all_and_is_revoked_with_its_stack(aws: Account) -> None:
    stack = aws.create_stack(
        "separate-egress",
        {
            "Vpc": network(az_count=1)["Vpc"],
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "endpoint", "VpcId": ref("Vpc")},
            },
            "Closed": {
                "Type": "AWS::EC2::SecurityGroupEgress",
                "Properties": {
                    "GroupId": get_att("Group", "GroupId"),
                    "CidrIp": "255.255.255.255/32",
                    "Description": "Disallow all traffic",
                    "IpProtocol": "icmp",
                    "FromPort": 252,
                    "ToPort": 86,
                },
            },
        },
        {"GroupId": get_att("Group", "GroupId"), "VpcId": ref("Vpc")},
    )
    ec2 = aws.client("ec2")
    group = ec2.describe_security_groups(GroupIds=[stack["out"]["GroupId"]])["SecurityGroups"][0]
    assert [rule["IpRanges"] for rule in group["IpPermissionsEgress"]] == [
        [{"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic"}]
    ]
    from moto.cloudformation.models import cloudformation_backends

    cfn_stack = next(iter(cloudformation_backends[aws.account_id][aws.region].stacks.values()))
    cfn_stack.resource_map["Closed"].delete(aws.account_id, aws.region)
    assert (
        ec2.describe_security_groups(GroupIds=[stack["out"]["GroupId"]])["SecurityGroups"][0]["IpPermissionsEgress"]
        == []
    )
    assert aws.delete_stack("separate-egress") == "DELETE_COMPLETE"


def test_an_egress_rule_for_a_missing_group_fails_the_create(aws: Account) -> None:
    aws.create_stack(
        "missing-group",
        {
            "Closed": {
                "Type": "AWS::EC2::SecurityGroupEgress",
                "Properties": {"GroupId": "sg-00000000000000000", "CidrIp": "10.0.0.0/8", "IpProtocol": "-1"},
            }
        },
    )
    assert aws.stack("missing-group")["StackStatus"] == "ROLLBACK_COMPLETE"


def test_an_interface_endpoint_is_deleted_with_its_stack(aws: Account) -> None:
    resources = network(az_count=1)
    resources["Endpoint"] = {
        "Type": "AWS::EC2::VPCEndpoint",
        "Properties": {
            "VpcId": ref("Vpc"),
            "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.secretsmanager"},
            "VpcEndpointType": "Interface",
            "SubnetIds": [ref("Subnet0")],
            "PrivateDnsEnabled": True,
        },
    }
    aws.create_stack("endpoint", resources)
    assert aws.delete_stack("endpoint") == "DELETE_COMPLETE"
    endpoints = aws.client("ec2").describe_vpc_endpoints()["VpcEndpoints"]
    assert {endpoint["State"] for endpoint in endpoints} <= {"deleted"}
    assert aws.client("ec2").describe_network_interfaces()["NetworkInterfaces"] == []
