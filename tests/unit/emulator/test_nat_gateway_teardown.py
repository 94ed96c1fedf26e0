"""Teardown additions: what AWS deletes together with a resource, so a destroyed stack leaves nothing behind."""

from __future__ import annotations

from tests.unit.local_aws import Account


def nat_gateway(aws: Account) -> tuple[str, str, str]:
    """A public NAT gateway in a new VPC: (gateway id, its interface id, its address's allocation id)."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    gateway = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]
    interface = gateway["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    return gateway["NatGatewayId"], interface, allocation


def interfaces(aws: Account) -> set[str]:
    return {item["NetworkInterfaceId"] for item in aws.client("ec2").describe_network_interfaces()["NetworkInterfaces"]}


def test_deleting_a_nat_gateway_deletes_its_interface_and_frees_its_address(aws: Account) -> None:
    ec2 = aws.client("ec2")
    gateway, interface, allocation = nat_gateway(aws)
    assert interface in interfaces(aws)
    assert ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0].get("NetworkInterfaceId") == interface

    ec2.delete_nat_gateway(NatGatewayId=gateway)

    assert interface not in interfaces(aws)
    assert ec2.describe_nat_gateways(NatGatewayIds=[gateway])["NatGateways"][0]["State"] == "deleted"
    address = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    assert not address.get("NetworkInterfaceId")
    assert not address.get("AssociationId")
    ec2.release_address(AllocationId=allocation)  # what the stack does next: the address is free to release
    assert ec2.describe_addresses()["Addresses"] == []


def test_deleting_one_nat_gateway_keeps_the_other_interfaces(aws: Account) -> None:
    ec2 = aws.client("ec2")
    first, first_interface, _ = nat_gateway(aws)
    _, second_interface, _ = nat_gateway(aws)

    ec2.delete_nat_gateway(NatGatewayId=first)

    assert first_interface not in interfaces(aws)
    assert second_interface in interfaces(aws)


def test_a_nat_gateway_whose_address_is_taken_is_created_failed_with_no_interface(aws: Account) -> None:
    ec2 = aws.client("ec2")
    gateway, interface, allocation = nat_gateway(aws)
    subnet = ec2.describe_nat_gateways(NatGatewayIds=[gateway])["NatGateways"][0]["SubnetId"]

    second = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]

    failed = ec2.describe_nat_gateways(NatGatewayIds=[second])["NatGateways"][0]
    assert (failed["State"], failed["FailureCode"]) == ("failed", "Resource.AlreadyAssociated")
    assert failed["FailureMessage"] == f"Elastic IP address {allocation} is already associated"
    assert interfaces(aws) == {interface}
    first = ec2.describe_nat_gateways(NatGatewayIds=[gateway])["NatGateways"][0]
    assert first["State"] == "available" and first["NatGatewayAddresses"][0]["NetworkInterfaceId"] == interface
    ec2.delete_nat_gateway(NatGatewayId=second)
    assert interfaces(aws) == {interface}
