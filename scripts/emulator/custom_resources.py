"""CDK custom resources whose provider Lambda cannot run here: their effect on the account is applied directly,
and any other custom or unknown type fails loudly instead of being skipped."""

from __future__ import annotations

from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel

from scripts.emulator.cfn_resource import Replaceable, WrapperModel
from scripts.emulator.registry import addition, model


class RestrictDefaultSecurityGroup(Replaceable, WrapperModel, CloudFormationModel):
    """CDK's ``restrict_default_security_group``: every rule of the VPC's default security group is revoked.

    The CDK handler revokes the default group's ingress (from itself) and egress (to anywhere) rules on create and
    puts them back on delete; this does the same with moto's EC2 backend.
    """

    def __init__(self, group_id: str, account_id: str, region_name: str) -> None:
        super().__init__(f"{group_id}-restricted")
        self.group_id = group_id
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_type() -> str:
        return "Custom::VpcRestrictDefaultSG"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> RestrictDefaultSecurityGroup:
        from moto.ec2.models import ec2_backends

        group_id = cloudformation_json["Properties"]["DefaultSecurityGroupId"]
        backend = ec2_backends[account_id][region_name]
        group = backend.get_security_group_by_name_or_id(group_id)
        if group is None:
            raise ValidationError(message=f"default security group {group_id} not found")
        if group.ingress_rules:
            backend.revoke_security_group_ingress(
                group_id, None, None, None, [], security_rule_ids=[rule.id for rule in group.ingress_rules]
            )
        if group.egress_rules:
            backend.revoke_security_group_egress(
                group_id, None, None, None, [], security_rule_ids=[rule.id for rule in group.egress_rules]
            )
        return cls(group_id, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.ec2.models import ec2_backends

        backend = ec2_backends[account_id][region_name]
        if backend.get_security_group_by_name_or_id(self.group_id) is None:
            return
        backend.authorize_security_group_ingress(
            self.group_id, "-1", None, None, [], source_groups=[{"GroupId": self.group_id}]
        )
        backend.authorize_security_group_egress(self.group_id, "-1", None, None, [{"CidrIp": "0.0.0.0/0"}])


class UnemulatedCustomResource(WrapperModel, CloudFormationModel):
    """Any other custom resource: fails at once with the reason, instead of waiting for a Lambda that never runs."""

    @staticmethod
    def cloudformation_type() -> str:
        return "Custom::*"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> UnemulatedCustomResource:
        raise ValidationError(
            message=f"{kwargs.get('ResourceType')}: its provider Lambda cannot run in the local emulator and "
            "scripts/emulator/ registers no effect for it"
        )


#: Custom resource types whose effect the emulator applies itself.
CUSTOM_RESOURCE_EFFECTS: dict[str, type[WrapperModel]] = {
    RestrictDefaultSecurityGroup.cloudformation_type(): RestrictDefaultSecurityGroup,
}


@addition(
    "Custom::VpcRestrictDefaultSG",
    "effect",
    "the VPC's default security group must be left with no rules (CIS 5.4); CDK does it with a provider Lambda that "
    "cannot run here, so the effect is applied directly; any other custom resource fails fast with the reason",
)
def _patch_custom_resources() -> None:
    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type in CUSTOM_RESOURCE_EFFECTS:
            return CUSTOM_RESOURCE_EFFECTS[resource_type]
        if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
            return UnemulatedCustomResource
        return original(resource_type)

    parsing.resource_class_from_type = resource_class_from_type


@model
class CdkMetadata(Replaceable, WrapperModel, CloudFormationModel):
    """CDK's analytics metadata resource: no effect on the account, but CloudFormation lists it like any other."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CDK::Metadata"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> CdkMetadata:
        return cls(resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        """Nothing exists to delete."""


#: Resource types with no effect on the account that moto itself accepts without a model.
METADATA_ONLY_TYPES = frozenset(parsing.NULL_MODELS)


class UnsupportedResourceType(WrapperModel, CloudFormationModel):
    """A resource type neither moto nor this module models: its create fails and names it."""

    @staticmethod
    def cloudformation_type() -> str:
        return "Unsupported::*"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> UnsupportedResourceType:
        raise ValidationError(
            message=f"the emulator has no model for {kwargs.get('ResourceType')}: add one to scripts/emulator/"
        )


@addition(
    "unknown resource types fail the create",
    "engine",
    "moto skips a resource type it has no model for, with a log line, and reports CREATE_COMPLETE: a stack could "
    "'deploy' without its egress rules or endpoints; now the create fails and names the type",
)
def _patch_unknown_types() -> None:
    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        found = original(resource_type)
        if found is None and resource_type not in METADATA_ONLY_TYPES:
            return UnsupportedResourceType
        return found

    parsing.resource_class_from_type = resource_class_from_type
