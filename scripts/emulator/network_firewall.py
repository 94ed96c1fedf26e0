"""Network Firewall: rule groups, firewall policies, endpoints per subnet, delete and tagging, as the
Terraform provider calls them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from botocore import xform_name
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult

from scripts.emulator.cfn_resource import random_id
from scripts.emulator.ec2 import ec2_backend
from scripts.emulator.registry import addition


class FirewallNotFoundError(JsonRESTError):
    """What Network Firewall answers for a firewall, firewall policy or rule group that does not exist."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__("ResourceNotFoundException", f"{kind} not found: {name}")


class FirewallInvalidOperationError(JsonRESTError):
    """What Network Firewall answers for a delete it refuses: protection on, or the object still in use."""

    def __init__(self, message: str) -> None:
        super().__init__("InvalidOperationException", message)


class FirewallDocument:
    """A rule group or a firewall policy: the configuration as given, echoed back by Describe as AWS does."""

    def __init__(self, backend: Any, kind: str, name: str, params: dict[str, Any]) -> None:
        self.kind = kind
        self.name = name
        self.arn = f"arn:aws:network-firewall:{backend.region_name}:{backend.account_id}:{kind}/{name}"
        self.resource_id = str(uuid.uuid4())
        self.update_token = str(uuid.uuid4())
        self.params = params
        self.modified = datetime.now(UTC)

    @property
    def tags(self) -> list[dict[str, str]]:
        return self.params.get("Tags") or []

    @tags.setter
    def tags(self, tags: list[dict[str, str]]) -> None:
        self.params["Tags"] = tags

    def update(self, params: dict[str, Any]) -> None:
        self.params.update(params)
        self.update_token = str(uuid.uuid4())
        self.modified = datetime.now(UTC)

    def rule_group_response(self, status: str = "ACTIVE") -> dict[str, Any]:
        return {
            "RuleGroupArn": self.arn,
            "RuleGroupName": self.name,
            "RuleGroupId": self.resource_id,
            "Description": self.params.get("Description"),
            "Type": self.params.get("Type"),
            "Capacity": self.params.get("Capacity"),
            "RuleGroupStatus": status,
            "Tags": self.tags,
            "ConsumedCapacity": 0,
            "NumberOfAssociations": 0,
            "EncryptionConfiguration": self.params.get("EncryptionConfiguration"),
            "LastModifiedTime": self.modified,
        }

    def policy_response(self, status: str = "ACTIVE") -> dict[str, Any]:
        return {
            "FirewallPolicyName": self.name,
            "FirewallPolicyArn": self.arn,
            "FirewallPolicyId": self.resource_id,
            "Description": self.params.get("Description"),
            "FirewallPolicyStatus": status,
            "Tags": self.tags,
            "ConsumedStatelessRuleCapacity": 0,
            "ConsumedStatefulRuleCapacity": 0,
            "NumberOfAssociations": 0,
            "EncryptionConfiguration": self.params.get("EncryptionConfiguration"),
            "LastModifiedTime": self.modified,
        }

    def referenced_rule_groups(self) -> set[str]:
        """ARNs of the rule groups a firewall policy references (none for a rule group)."""
        document = self.params.get("FirewallPolicy") or {}
        references = [
            *(document.get("StatefulRuleGroupReferences") or []),
            *(document.get("StatelessRuleGroupReferences") or []),
        ]
        return {reference["ResourceArn"] for reference in references}


#: Request fields each kind of document keeps (what Describe and Update read back).
_RULE_GROUP_FIELDS = ("RuleGroup", "Rules", "Type", "Description", "Capacity", "Tags", "EncryptionConfiguration")
_FIREWALL_POLICY_FIELDS = ("FirewallPolicy", "Description", "Tags", "EncryptionConfiguration")


def _find_document(response: Any, documents: dict[str, FirewallDocument], kind: str) -> Any:
    """The rule group or firewall policy a request names by ``<kind>Arn`` or, without one, by ``<kind>Name``."""
    arn, name = response._get_param(f"{kind}Arn"), response._get_param(f"{kind}Name")
    for document in documents.values():
        if document.arn == arn or (arn is None and document.name == name):
            return document
    raise FirewallNotFoundError(kind, str(arn or name))


def _request_fields(response: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: response._get_param(name) for name in names if response._get_param(name) is not None}


def _retagged(tags: list[dict[str, str]], added: list[dict[str, str]], removed: list[str]) -> list[dict[str, str]]:
    merged = {tag["Key"]: tag["Value"] for tag in tags or []}
    merged.update({tag["Key"]: tag["Value"] for tag in added})
    return [{"Key": key, "Value": value} for key, value in merged.items() if key not in removed]


class _NetworkFirewallActions:
    """The actions moto's Network Firewall lacks; each becomes the response-class method of the same name."""

    @staticmethod
    def create_rule_group(self: Any) -> Any:
        backend = self.networkfirewall_backend
        kind = "stateful-rulegroup" if self._get_param("Type") == "STATEFUL" else "stateless-rulegroup"
        group = FirewallDocument(
            backend, kind, self._get_param("RuleGroupName"), _request_fields(self, _RULE_GROUP_FIELDS)
        )
        backend.rule_groups[group.arn] = group
        return ActionResult({"UpdateToken": group.update_token, "RuleGroupResponse": group.rule_group_response()})

    @staticmethod
    def describe_rule_group(self: Any) -> Any:
        group = _find_document(self, self.networkfirewall_backend.rule_groups, "RuleGroup")
        return ActionResult(
            {
                "UpdateToken": group.update_token,
                "RuleGroup": group.params.get("RuleGroup"),
                "RuleGroupResponse": group.rule_group_response(),
            }
        )

    @staticmethod
    def update_rule_group(self: Any) -> Any:
        group = _find_document(self, self.networkfirewall_backend.rule_groups, "RuleGroup")
        group.update(_request_fields(self, _RULE_GROUP_FIELDS))
        return ActionResult({"UpdateToken": group.update_token, "RuleGroupResponse": group.rule_group_response()})

    @staticmethod
    def delete_rule_group(self: Any) -> Any:
        backend = self.networkfirewall_backend
        group = _find_document(self, backend.rule_groups, "RuleGroup")
        users = sorted(
            policy.name for policy in backend.firewall_policies.values() if group.arn in policy.referenced_rule_groups()
        )
        if users:
            raise FirewallInvalidOperationError(f"Unable to delete the object because it is still in use by {users}")
        del backend.rule_groups[group.arn]
        return ActionResult({"RuleGroupResponse": group.rule_group_response("DELETING")})

    @staticmethod
    def list_rule_groups(self: Any) -> Any:
        groups = self.networkfirewall_backend.rule_groups.values()
        return ActionResult({"RuleGroups": [{"Name": group.name, "Arn": group.arn} for group in groups]})

    @staticmethod
    def create_firewall_policy(self: Any) -> Any:
        backend = self.networkfirewall_backend
        policy = FirewallDocument(
            backend,
            "firewall-policy",
            self._get_param("FirewallPolicyName"),
            _request_fields(self, _FIREWALL_POLICY_FIELDS),
        )
        missing = sorted(policy.referenced_rule_groups() - set(backend.rule_groups))
        if missing:
            raise FirewallNotFoundError("RuleGroup", ", ".join(missing))
        backend.firewall_policies[policy.arn] = policy
        return ActionResult({"UpdateToken": policy.update_token, "FirewallPolicyResponse": policy.policy_response()})

    @staticmethod
    def describe_firewall_policy(self: Any) -> Any:
        policy = _find_document(self, self.networkfirewall_backend.firewall_policies, "FirewallPolicy")
        return ActionResult(
            {
                "UpdateToken": policy.update_token,
                "FirewallPolicyResponse": policy.policy_response(),
                "FirewallPolicy": policy.params.get("FirewallPolicy"),
            }
        )

    @staticmethod
    def update_firewall_policy(self: Any) -> Any:
        policy = _find_document(self, self.networkfirewall_backend.firewall_policies, "FirewallPolicy")
        policy.update(_request_fields(self, _FIREWALL_POLICY_FIELDS))
        return ActionResult({"UpdateToken": policy.update_token, "FirewallPolicyResponse": policy.policy_response()})

    @staticmethod
    def delete_firewall_policy(self: Any) -> Any:
        backend = self.networkfirewall_backend
        policy = _find_document(self, backend.firewall_policies, "FirewallPolicy")
        users = sorted(fw.firewall_name for fw in backend.firewalls.values() if fw.firewall_policy_arn == policy.arn)
        if users:
            raise FirewallInvalidOperationError(f"Unable to delete the object because it is still in use by {users}")
        del backend.firewall_policies[policy.arn]
        return ActionResult({"FirewallPolicyResponse": policy.policy_response("DELETING")})

    @staticmethod
    def list_firewall_policies(self: Any) -> Any:
        policies = self.networkfirewall_backend.firewall_policies.values()
        return ActionResult({"FirewallPolicies": [{"Name": policy.name, "Arn": policy.arn} for policy in policies]})

    @staticmethod
    def delete_firewall(self: Any) -> Any:
        from moto.networkfirewall.responses import _firewall

        backend = self.networkfirewall_backend
        firewall = backend._get_firewall(self._get_param("FirewallArn"), self._get_param("FirewallName"))
        if firewall.delete_protection:
            raise FirewallInvalidOperationError(
                f"Firewall {firewall.firewall_name} has delete protection enabled; disable it before deleting"
            )
        endpoints = [state["Attachment"]["EndpointId"] for state in firewall.sync_states.values()]
        ec2_backend(backend.account_id, backend.region_name).delete_vpc_endpoints(endpoints)
        del backend.firewalls[firewall.arn]
        return ActionResult(
            {"Firewall": _firewall(firewall), "FirewallStatus": {**firewall.firewall_status, "Status": "DELETING"}}
        )

    @staticmethod
    def update_firewall_delete_protection(self: Any) -> Any:
        return _update_firewall_flag(self, "DeleteProtection")

    @staticmethod
    def update_firewall_policy_change_protection(self: Any) -> Any:
        return _update_firewall_flag(self, "FirewallPolicyChangeProtection")

    @staticmethod
    def update_subnet_change_protection(self: Any) -> Any:
        return _update_firewall_flag(self, "SubnetChangeProtection")

    @staticmethod
    def list_tags_for_resource(self: Any) -> Any:
        return ActionResult({"Tags": _tagged_firewall_resource(self).tags or []})

    @staticmethod
    def tag_resource(self: Any) -> Any:
        resource = _tagged_firewall_resource(self)
        resource.tags = _retagged(resource.tags, self._get_param("Tags") or [], [])
        return ActionResult({})

    @staticmethod
    def untag_resource(self: Any) -> Any:
        resource = _tagged_firewall_resource(self)
        resource.tags = _retagged(resource.tags, [], self._get_param("TagKeys") or [])
        return ActionResult({})


def _update_firewall_flag(response: Any, flag: str) -> Any:
    """Switch one protection flag of a firewall (how a prod firewall's delete protection is turned off first)."""
    firewall = response.networkfirewall_backend._get_firewall(
        response._get_param("FirewallArn"), response._get_param("FirewallName")
    )
    value = bool(response._get_bool_param(flag, False))
    setattr(firewall, xform_name(flag), value)
    firewall.update_token = str(uuid.uuid4())
    return ActionResult(
        {
            "FirewallArn": firewall.arn,
            "FirewallName": firewall.firewall_name,
            flag: value,
            "UpdateToken": firewall.update_token,
        }
    )


def _tagged_firewall_resource(response: Any) -> Any:
    """The firewall, policy or rule group a tagging call names by ARN."""
    arn = response._get_param("ResourceArn")
    backend = response.networkfirewall_backend
    found = backend.firewalls.get(arn) or backend.rule_groups.get(arn) or backend.firewall_policies.get(arn)
    if found is None:
        raise FirewallNotFoundError("Resource", arn)
    return found


#: Service name of the Gateway Load Balancer endpoints a firewall's subnets get (the shape AWS uses).
_FIREWALL_ENDPOINT_SERVICE = "com.amazonaws.vpce.{region}.vpce-svc-{suffix}"


@addition(
    "Network Firewall rule groups, policies, endpoints and delete",
    "fix",
    "moto models firewalls only: no CreateRuleGroup, no firewall policies, no DeleteFirewall (a destroy never "
    "finished), no endpoint per firewall subnet (so no route could send egress through the firewall), no tagging "
    "or protection-update calls, and it turns protection flags the provider leaves out (false) into true where AWS "
    "defaults them to false",
)
def _patch_network_firewall() -> None:
    from moto.networkfirewall.models import NetworkFirewallBackend, NetworkFirewallModel
    from moto.networkfirewall.responses import NetworkFirewallResponse

    original_init = NetworkFirewallBackend.__init__

    def init(self: Any, region_name: str, account_id: str) -> None:
        original_init(self, region_name, account_id)
        self.rule_groups: dict[str, FirewallDocument] = {}
        self.firewall_policies: dict[str, FirewallDocument] = {}

    NetworkFirewallBackend.__init__ = init
    for name, action in vars(_NetworkFirewallActions).items():
        if isinstance(action, staticmethod):
            setattr(NetworkFirewallResponse, name, action.__func__)

    original_model_init = NetworkFirewallModel.__init__

    def model_init(self: Any, account_id: str, region_name: str, *args: Any, **kwargs: Any) -> None:
        for flag in ("delete_protection", "subnet_change_protection", "firewall_policy_change_protection"):
            kwargs[flag] = bool(kwargs.get(flag))
        original_model_init(self, account_id, region_name, *args, **kwargs)
        self.sync_states: dict[str, dict[str, Any]] = {}

    NetworkFirewallModel.__init__ = model_init
    original_create = NetworkFirewallBackend.create_firewall

    def create_firewall(self: Any, **kwargs: Any) -> Any:
        policy = self.firewall_policies.get(kwargs["firewall_policy_arn"])
        if policy is None:
            raise FirewallNotFoundError("FirewallPolicy", kwargs["firewall_policy_arn"])
        ec2 = ec2_backend(self.account_id, self.region_name)
        subnets = [ec2.get_subnet(mapping["SubnetId"]) for mapping in kwargs.get("subnet_mappings") or []]
        firewall = original_create(self, **kwargs)
        service = _FIREWALL_ENDPOINT_SERVICE.format(region=self.region_name, suffix=random_id(17).lower())
        for subnet in subnets:
            endpoint = ec2.create_vpc_endpoint(
                vpc_id=subnet.vpc_id,
                service_name=service,
                endpoint_type="GatewayLoadBalancer",
                policy_document=None,
                route_table_ids=[],
                subnet_ids=[subnet.id],
            )
            firewall.sync_states[subnet.availability_zone] = {
                "Attachment": {"SubnetId": subnet.id, "EndpointId": endpoint.id, "Status": "READY"},
                "Config": {policy.arn: {"SyncStatus": "IN_SYNC", "UpdateToken": policy.update_token}},
            }
        firewall.firewall_status = {**firewall.firewall_status, "SyncStates": firewall.sync_states}
        return firewall

    NetworkFirewallBackend.create_firewall = create_firewall
