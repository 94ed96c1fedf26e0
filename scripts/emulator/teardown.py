"""What AWS removes together with a deleted resource, so a dev destroy leaves nothing behind."""

from __future__ import annotations

from typing import Any

from scripts.emulator.registry import addition


@addition(
    "a deleted NAT gateway's network interface",
    "fix",
    "moto's DeleteNatGateway marks the gateway 'deleted' but keeps the network interface it made for it, with the "
    "Elastic IP still associated: each Terraform destroy left one interface per NAT gateway in a VPC that no longer "
    "exists (the CloudFormation delete above already dropped it). AWS deletes that requester-managed interface with "
    "the gateway and disassociates the address, which the stack then releases",
)
def _patch_nat_gateway_interface() -> None:
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    original = NatGatewayBackend.delete_nat_gateway

    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
        gateway = original(self, nat_gateway_id)
        interface = getattr(gateway, "_eni", None)
        if interface is not None and interface.id in self.enis:
            for address in self.addresses:
                if address.eni is interface:
                    address.eni = None
                    address.association_id = None
            self.delete_network_interface(interface.id)
        return gateway

    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway


@addition(
    "a NAT gateway whose Elastic IP is taken is created failed",
    "fix",
    "AWS accepts CreateNatGateway for an Elastic IP already associated and the gateway goes to 'failed' with "
    "FailureCode Resource.AlreadyAssociated (what a re-run meets after an interrupted apply created a gateway it never "
    "recorded). moto refused the call instead, after making the gateway's network interface, which it then left "
    "behind. Now the gateway is created 'failed', with AWS's failure code and message, and no interface",
)
def _patch_nat_gateway_create_failure() -> None:
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    original = NatGatewayBackend.create_nat_gateway

    def create_nat_gateway(
        self: Any,
        subnet_id: str,
        allocation_id: str,
        tags: dict[str, str] | None = None,
        connectivity_type: str = "public",
    ) -> Any:
        addresses = self.address_by_allocation([allocation_id]) if allocation_id else []
        taken = connectivity_type != "private" and any(address.eni or address.instance for address in addresses)
        if not taken:
            return original(self, subnet_id, allocation_id, tags, connectivity_type)
        gateway = original(self, subnet_id, None, tags, connectivity_type)
        self.delete_network_interface(gateway._eni.id)
        gateway.address_set = [{"allocationId": allocation_id, "status": "failed"}]
        gateway.state = "failed"
        gateway.failure_code = "Resource.AlreadyAssociated"
        gateway.failure_message = f"Elastic IP address {allocation_id} is already associated"
        return gateway

    NatGatewayBackend.create_nat_gateway = create_nat_gateway
