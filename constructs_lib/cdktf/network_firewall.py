"""NetworkFirewall: AWS Network Firewall on all internet egress of a Network, allowing HTTPS to listed domains."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf import Fn, TerraformLocal, Token
from cdktf_cdktf_provider_aws.networkfirewall_firewall import (
    NetworkfirewallFirewall,
    NetworkfirewallFirewallSubnetMapping,
)
from cdktf_cdktf_provider_aws.networkfirewall_firewall_policy import (
    NetworkfirewallFirewallPolicy,
    NetworkfirewallFirewallPolicyFirewallPolicyStatefulRuleGroupReference,
)
from cdktf_cdktf_provider_aws.networkfirewall_logging_configuration import (
    NetworkfirewallLoggingConfiguration,
    NetworkfirewallLoggingConfigurationLoggingConfigurationLogDestinationConfig,
)
from cdktf_cdktf_provider_aws.networkfirewall_rule_group import NetworkfirewallRuleGroup
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from constructs import Construct

from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import deployment_settings
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.log_group import EncryptedLogGroup
from constructs_lib.cdktf.network import ANYWHERE, FREE_SLOT, Network
from constructs_lib.policy import naming, services, storage
from constructs_lib.policy import network_firewall as policy
from constructs_lib.policy.errors import ConfigurationError


class NetworkFirewall(Construct):
    """Egress inspection for ``network``: a firewall endpoint in a subnet of its own per AZ, secure with no
    arguments but the network.

    - Egress path: private subnet -> NAT gateway (public subnet) -> firewall endpoint in the same AZ -> internet
      gateway; return traffic enters through the internet gateway's edge route table and goes back through the same
      endpoint. ``network`` must be built with ``public_default_route=False`` (this construct adds that route).
    - Strict-order policy from ``policy.network_firewall``: the Suricata protocol rules (no clear-text HTTP, no TLS
      older than 1.2), then the TLS SNI allow-list of ``allowed_domains``, then drop every other established flow
      and alert on it. Rule groups, policy and firewall encrypted with ``encryption_key`` (or a key of its own).
    - Alerts and flows logged to two KMS-encrypted log groups kept for the audit retention.
    - Deletion and policy-change protection from the profile; subnet-change protection always.

    Example::

        network = Network(self, "network", encryption_key=key, public_default_route=False)
        egress = NetworkFirewall(self, "firewall", network=network, name_prefix="pci-platform-egress",
                                 encryption_key=key, allowed_domains=[".amazonaws.com"])
        TerraformOutput(self, "firewall_arn", value=egress.arn)

    Any ``NetworkfirewallFirewall`` argument may be passed; replacing a hardened value is reported at synth.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        allowed_domains: Sequence[str] = policy.DEFAULT_ALLOWED_DOMAINS,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        if network.public_default_route:
            raise ConfigurationError(
                "network", network.node.path, "a Network built with public_default_route=False (egress bypasses it)"
            )
        if not allowed_domains:
            raise ConfigurationError("allowed_domains", list(allowed_domains), "at least one domain")
        settings = deployment_settings(self)
        profile, suffix = settings.profile, settings.environment_suffix
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"network firewall {self.node.path}")
        self.encryption_key = encryption_key
        self.network = network
        encryption = {"type": policy.ENCRYPTION_TYPE, "key_id": encryption_key.arn}

        self.subnets: list[Subnet] = []
        for index in range(network.az_count):
            subnet = Subnet(
                self,
                f"subnet-{index}",
                vpc_id=network.vpc.id,
                availability_zone=network.availability_zone(index),
                cidr_block=network.subnet_cidr(FREE_SLOT + index),
                map_public_ip_on_launch=services.SUBNET_MAP_PUBLIC_IP_ON_LAUNCH,
                tags={"Name": f"{self.node.path}-{index}", "Tier": "firewall"},
            )
            table = RouteTable(
                self, f"routes-{index}", vpc_id=network.vpc.id, tags={"Name": f"{self.node.path}-{index}"}
            )
            RouteTableAssociation(self, f"routes-{index}-association", route_table_id=table.id, subnet_id=subnet.id)
            Route(
                self,
                f"{index}-internet",
                route_table_id=table.id,
                destination_cidr_block=ANYWHERE,
                gateway_id=network.internet_gateway.id,
            )
            self.subnets.append(subnet)

        self.protocol_rules = self._stateful_rule_group(
            "protocol-rules",
            naming.resource_name("network_firewall", f"{prefix}-protocols", suffix),
            "Drop clear-text HTTP and TLS older than 1.2 leaving the VPC",
            {"rules_string": policy.EGRESS_SURICATA_RULES},
            encryption,
        )
        self.domain_allow_list = self._stateful_rule_group(
            "domain-allow-list",
            naming.resource_name("network_firewall", f"{prefix}-domains", suffix),
            "HTTPS egress only to allow-listed domains (TLS SNI)",
            {
                "rules_source_list": {
                    "generated_rules_type": "ALLOWLIST",
                    "target_types": list(policy.ALLOW_LIST_TARGET_TYPES),
                    "targets": list(allowed_domains),
                }
            },
            encryption,
        )
        groups = (
            (policy.PROTOCOL_RULES_PRIORITY, self.protocol_rules),
            (policy.ALLOW_LIST_PRIORITY, self.domain_allow_list),
        )
        self.policy = NetworkfirewallFirewallPolicy(
            self,
            "policy",
            name=naming.resource_name("network_firewall", prefix, suffix),
            description="Strict-order egress inspection: protocol rules, then domain allow-list, then drop",
            firewall_policy={
                "stateless_default_actions": list(policy.STATELESS_DEFAULT_ACTIONS),
                "stateless_fragment_default_actions": list(policy.STATELESS_FRAGMENT_DEFAULT_ACTIONS),
                "stateful_engine_options": {
                    "rule_order": policy.RULE_ORDER,
                    "stream_exception_policy": policy.STREAM_EXCEPTION_POLICY,
                },
                "stateful_default_actions": list(policy.STATEFUL_DEFAULT_ACTIONS),
                "stateful_rule_group_reference": [
                    NetworkfirewallFirewallPolicyFirewallPolicyStatefulRuleGroupReference(
                        priority=priority, resource_arn=group.arn
                    )
                    for priority, group in groups
                ],
            },
            encryption_configuration=encryption,
        )
        defaults: dict[str, Any] = {
            "delete_protection": profile.deletion_protection,
            "firewall_policy_change_protection": profile.deletion_protection,
            "subnet_change_protection": policy.SUBNET_CHANGE_PROTECTION,
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.firewall = NetworkfirewallFirewall(
            self,
            "firewall",
            name=naming.resource_name("network_firewall", prefix, suffix),
            description="Inspects all internet egress of the VPC",
            vpc_id=network.vpc.id,
            firewall_policy_arn=self.policy.arn,
            subnet_mapping=[NetworkfirewallFirewallSubnetMapping(subnet_id=subnet.id) for subnet in self.subnets],
            encryption_configuration=encryption,
            **props,
        )
        warn_overrides(self, changed)
        self.log_groups = {
            log_type: EncryptedLogGroup(
                self, f"{log_type.lower()}-logs", purpose=policy.LOG_PURPOSE, encryption_key=encryption_key
            )
            for log_type in policy.LOG_TYPES
        }
        self.logging = NetworkfirewallLoggingConfiguration(
            self,
            "logging",
            firewall_arn=self.firewall.arn,
            logging_configuration={
                "log_destination_config": [
                    NetworkfirewallLoggingConfigurationLoggingConfigurationLogDestinationConfig(
                        log_destination={"logGroup": group.name},
                        log_destination_type=policy.LOG_DESTINATION_TYPE,
                        log_type=log_type,
                    )
                    for log_type, group in self.log_groups.items()
                ]
            },
        )
        self.endpoint_ids = self._route_through_endpoints()

    def _stateful_rule_group(
        self,
        construct_id: str,
        name: str,
        description: str,
        rules_source: dict[str, Any],
        encryption: dict[str, str],
    ) -> NetworkfirewallRuleGroup:
        """A stateful rule group with policy's capacity and strict rule order, encrypted with the firewall's key."""
        return NetworkfirewallRuleGroup(
            self,
            construct_id,
            name=name,
            description=description,
            type="STATEFUL",
            capacity=policy.RULE_GROUP_CAPACITY,
            rule_group={"rules_source": rules_source, "stateful_rule_options": {"rule_order": policy.RULE_ORDER}},
            encryption_configuration=encryption,
        )

    def _route_through_endpoints(self) -> list[str]:
        """Send each public subnet's internet traffic, both ways, through the firewall endpoint in its AZ."""
        network = self.network
        # The firewall reports one endpoint per AZ in firewall_status[0].sync_states; index them by AZ name.
        self.endpoint_by_zone = TerraformLocal(
            self,
            "endpoint-by-zone",
            f"${{{{ for state in tolist({self.firewall.fqn}.firewall_status[0].sync_states) : "
            "state.availability_zone => state.attachment[0].endpoint_id }}",
        )
        edge_routes = RouteTable(
            self, "internet-gateway-edge-routes", vpc_id=network.vpc.id, tags={"Name": f"{self.node.path}-edge"}
        )
        RouteTableAssociation(
            self,
            "internet-gateway-edge-association",
            route_table_id=edge_routes.id,
            gateway_id=network.internet_gateway.id,
        )
        endpoint_ids: list[str] = []
        for index, public in enumerate(network.public_subnets):
            endpoint = Token.as_string(Fn.lookup(self.endpoint_by_zone.as_any_map, public.availability_zone))
            endpoint_ids.append(endpoint)
            Route(
                self,
                f"public-{index}-egress",
                route_table_id=network.public_route_tables[index].id,
                destination_cidr_block=ANYWHERE,
                vpc_endpoint_id=endpoint,
            )
            Route(
                self,
                f"public-{index}-return",
                route_table_id=edge_routes.id,
                destination_cidr_block=public.cidr_block,
                vpc_endpoint_id=endpoint,
            )
        return endpoint_ids

    @property
    def arn(self) -> str:
        return self.firewall.arn

    @property
    def name(self) -> str:
        return self.firewall.name

    @property
    def subnet_ids(self) -> list[str]:
        return [subnet.id for subnet in self.subnets]

    @property
    def rule_group_arns(self) -> list[str]:
        """The stateful rule groups in evaluation order."""
        return [self.protocol_rules.arn, self.domain_allow_list.arn]
