"""NetworkFirewall: AWS Network Firewall on all internet egress of a Network, allowing HTTPS to listed domains."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, cast

from aws_cdk import CustomResource, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_networkfirewall as networkfirewall
from aws_cdk import custom_resources as cr
from constructs import Construct, IConstruct

from constructs_lib.cdk.compliance import accept, acknowledgements
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.log_group import EncryptedLogGroup
from constructs_lib.cdk.network import Network
from constructs_lib.policy import accepted_findings, naming, services, storage
from constructs_lib.policy import network_firewall as policy
from constructs_lib.policy.errors import ConfigurationError

#: The one call the endpoint lookup makes, allowed on this firewall only.
DESCRIBE_FIREWALL = "network-firewall:DescribeFirewall"
#: Construct id, under the stack, of the one function that runs every ``AwsCustomResource`` of the stack.
PROVIDER_ID = "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")


class NetworkFirewall(Construct):
    """Egress inspection for ``network``: a firewall endpoint in a subnet of its own per AZ, secure with no
    arguments but the network.

    - Egress path: private subnet -> NAT gateway (public subnet) -> firewall endpoint in the same AZ -> internet
      gateway; return traffic enters through the internet gateway's edge route table and goes back through the same
      endpoint. The public subnets' default route of ``network`` is pointed at the endpoint of its AZ, which a
      custom resource reads from the firewall (``describeFirewall``, allowed on this firewall only).
    - The lookups run in CDK's provider function of the stack, outside the VPC (inside, its calls would cross this
      firewall); the provider's findings are accepted on its function and role only (``policy.accepted_findings``).
    - Strict-order policy from ``policy.network_firewall``: the Suricata protocol rules (no clear-text HTTP, no TLS
      older than 1.2), then the TLS SNI allow-list of ``allowed_domains``, then drop every other established flow
      and alert on it.
    - Alerts and flows logged to two log groups encrypted with ``encryption_key`` (or a key of its own) and kept
      for the audit retention. CloudFormation has no encryption setting for the firewall, its policy or its rule
      groups: those use an AWS-owned key.
    - Deletion and policy-change protection from the profile; subnet-change protection always.

    Example::

        network = Network(self, "Network", encryption_key=key)
        egress = NetworkFirewall(self, "Firewall", network=network, name_prefix="pci-platform-egress",
                                 encryption_key=key, allowed_domains=[".amazonaws.com"])
        self.output("FirewallArn", egress.arn, "Network Firewall ARN")

    Any ``CfnFirewall`` prop may be passed; replacing a hardened value is reported at synth.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        allowed_domains: Sequence[str] = policy.DEFAULT_ALLOWED_DOMAINS,
        name_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        if not network.public_subnets or network.internet_gateway_id is None:
            raise ConfigurationError(
                "network", network.node.path, "a Network with internet_egress=True (there is no egress to inspect)"
            )
        if not allowed_domains:
            raise ConfigurationError("allowed_domains", list(allowed_domains), "at least one domain")
        settings = deployment_settings(self)
        profile, suffix = settings.profile, settings.environment_suffix
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "Key", description=f"network firewall {self.node.path}")
        self.encryption_key = encryption_key
        self.network = network
        gateway_attachment = _gateway_attachment(network)

        self.subnets: list[ec2.Subnet] = []
        cidrs = _free_cidrs(network, len(network.public_subnets))
        for index, (public, cidr) in enumerate(zip(network.public_subnets, cidrs, strict=True)):
            subnet = ec2.Subnet(
                self,
                f"Subnet{index}",
                vpc_id=network.vpc_id,
                availability_zone=public.availability_zone,
                cidr_block=cidr,
                map_public_ip_on_launch=services.SUBNET_MAP_PUBLIC_IP_ON_LAUNCH,
            )
            subnet.add_default_internet_route(network.internet_gateway_id, gateway_attachment)
            accept(subnet, accepted_findings.FIREWALL_SUBNET_INTERNET_ROUTE)
            self.subnets.append(subnet)

        self.protocol_rules = self._stateful_rule_group(
            "ProtocolRules",
            naming.resource_name("network_firewall", f"{prefix}-protocols", suffix),
            "Drop clear-text HTTP and TLS older than 1.2 leaving the VPC",
            networkfirewall.CfnRuleGroup.RulesSourceProperty(rules_string=policy.EGRESS_SURICATA_RULES),
        )
        self.domain_allow_list = self._stateful_rule_group(
            "DomainAllowList",
            naming.resource_name("network_firewall", f"{prefix}-domains", suffix),
            "HTTPS egress only to allow-listed domains (TLS SNI)",
            networkfirewall.CfnRuleGroup.RulesSourceProperty(
                rules_source_list=networkfirewall.CfnRuleGroup.RulesSourceListProperty(
                    generated_rules_type="ALLOWLIST",
                    target_types=list(policy.ALLOW_LIST_TARGET_TYPES),
                    targets=list(allowed_domains),
                )
            ),
        )
        groups = (
            (policy.PROTOCOL_RULES_PRIORITY, self.protocol_rules),
            (policy.ALLOW_LIST_PRIORITY, self.domain_allow_list),
        )
        self.policy = networkfirewall.CfnFirewallPolicy(
            self,
            "Policy",
            firewall_policy_name=naming.resource_name("network_firewall", prefix, suffix),
            description="Strict-order egress inspection: protocol rules, then domain allow-list, then drop",
            firewall_policy=networkfirewall.CfnFirewallPolicy.FirewallPolicyProperty(
                stateless_default_actions=list(policy.STATELESS_DEFAULT_ACTIONS),
                stateless_fragment_default_actions=list(policy.STATELESS_FRAGMENT_DEFAULT_ACTIONS),
                stateful_engine_options=networkfirewall.CfnFirewallPolicy.StatefulEngineOptionsProperty(
                    rule_order=policy.RULE_ORDER, stream_exception_policy=policy.STREAM_EXCEPTION_POLICY
                ),
                stateful_default_actions=list(policy.STATEFUL_DEFAULT_ACTIONS),
                stateful_rule_group_references=[
                    networkfirewall.CfnFirewallPolicy.StatefulRuleGroupReferenceProperty(
                        priority=priority, resource_arn=group.attr_rule_group_arn
                    )
                    for priority, group in groups
                ],
            ),
        )
        defaults: dict[str, Any] = {
            "delete_protection": profile.deletion_protection,
            "firewall_policy_change_protection": profile.deletion_protection,
            "subnet_change_protection": policy.SUBNET_CHANGE_PROTECTION,
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.firewall = networkfirewall.CfnFirewall(
            self,
            "Firewall",
            firewall_name=naming.resource_name("network_firewall", prefix, suffix),
            description="Inspects all internet egress of the VPC",
            vpc_id=network.vpc_id,
            firewall_policy_arn=self.policy.attr_firewall_policy_arn,
            subnet_mappings=[
                networkfirewall.CfnFirewall.SubnetMappingProperty(subnet_id=subnet.subnet_id) for subnet in self.subnets
            ],
            **props,
        )
        warn_overrides(self, changed)
        self.log_groups = {
            log_type: EncryptedLogGroup(
                self, f"{log_type.title()}Logs", purpose=policy.LOG_PURPOSE, encryption_key=encryption_key
            )
            for log_type in policy.LOG_TYPES
        }
        self.logging = networkfirewall.CfnLoggingConfiguration(
            self,
            "Logging",
            firewall_arn=self.firewall.attr_firewall_arn,
            logging_configuration=networkfirewall.CfnLoggingConfiguration.LoggingConfigurationProperty(
                log_destination_configs=[
                    networkfirewall.CfnLoggingConfiguration.LogDestinationConfigProperty(
                        log_destination={"logGroup": group.log_group_name},
                        log_destination_type=policy.LOG_DESTINATION_TYPE,
                        log_type=log_type,
                    )
                    for log_type, group in self.log_groups.items()
                ]
            ),
        )
        self.endpoint_ids = self._route_through_endpoints(gateway_attachment)
        _accept_provider_findings(Stack.of(self))

    def _stateful_rule_group(
        self,
        construct_id: str,
        name: str,
        description: str,
        rules_source: networkfirewall.CfnRuleGroup.RulesSourceProperty,
    ) -> networkfirewall.CfnRuleGroup:
        """A stateful rule group with policy's capacity and strict rule order."""
        return networkfirewall.CfnRuleGroup(
            self,
            construct_id,
            rule_group_name=name,
            description=description,
            type="STATEFUL",
            capacity=policy.RULE_GROUP_CAPACITY,
            rule_group=networkfirewall.CfnRuleGroup.RuleGroupProperty(
                rules_source=rules_source,
                stateful_rule_options=networkfirewall.CfnRuleGroup.StatefulRuleOptionsProperty(
                    rule_order=policy.RULE_ORDER
                ),
            ),
        )

    def _route_through_endpoints(self, gateway_attachment: IConstruct) -> list[str]:
        """Send each public subnet's internet traffic, both ways, through the firewall endpoint in its AZ."""
        network = self.network
        edge_routes = ec2.CfnRouteTable(self, "InternetGatewayEdgeRoutes", vpc_id=network.vpc_id)
        edge = ec2.CfnGatewayRouteTableAssociation(
            self,
            "InternetGatewayEdgeAssociation",
            gateway_id=cast(str, network.internet_gateway_id),
            route_table_id=edge_routes.ref,
        )
        edge.node.add_dependency(gateway_attachment)
        endpoint_ids: list[str] = []
        for index, public in enumerate(network.public_subnets):
            endpoint = self._endpoint_in(public.availability_zone, index)
            endpoint_ids.append(endpoint)
            # The Network's own default route of this public subnet now leads to the endpoint, not the gateway.
            default_route = cast(ec2.CfnRoute, public.node.find_child("DefaultRoute"))
            default_route.add_property_deletion_override("GatewayId")
            default_route.add_property_override("VpcEndpointId", endpoint)
            ec2.CfnRoute(
                self,
                f"Public{index}Return",
                route_table_id=edge_routes.ref,
                destination_cidr_block=public.ipv4_cidr_block,
                vpc_endpoint_id=endpoint,
            )
        return endpoint_ids

    def _endpoint_in(self, zone: str, index: int) -> str:
        """The id of the firewall endpoint in ``zone``, read from the firewall once it exists.

        ``EndpointIds`` lists "az:vpce-id" in no fixed order, and the AZ name may be a token that a ``Fn::GetAtt``
        attribute name cannot hold, so each lookup returns its endpoint as its physical id (``Ref``).
        """
        path = f"FirewallStatus.SyncStates.{zone}.Attachment.EndpointId"
        call = cr.AwsSdkCall(
            service="NetworkFirewall",
            action="describeFirewall",
            parameters={"FirewallArn": self.firewall.attr_firewall_arn},
            output_paths=[path],
            physical_resource_id=cr.PhysicalResourceId.from_response(path),
        )
        lookup = cr.AwsCustomResource(
            self,
            f"EndpointLookup{index}",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=[DESCRIBE_FIREWALL], resources=[self.firewall.attr_firewall_arn])]
            ),
            install_latest_aws_sdk=False,
        )
        call_policy = cast(iam.Policy, lookup.node.find_child("CustomResourcePolicy"))
        accept(cast(IConstruct, call_policy.node.default_child), accepted_findings.CUSTOM_RESOURCE_CALL_POLICY)
        return Token.as_string(cast(CustomResource, lookup.node.default_child).ref)

    @property
    def arn(self) -> str:
        return self.firewall.attr_firewall_arn

    @property
    def name(self) -> str:
        return self.firewall.firewall_name

    @property
    def subnet_ids(self) -> list[str]:
        return [subnet.subnet_id for subnet in self.subnets]

    @property
    def rule_group_arns(self) -> list[str]:
        """The stateful rule groups in evaluation order."""
        return [self.protocol_rules.attr_rule_group_arn, self.domain_allow_list.attr_rule_group_arn]


def _accept_provider_findings(stack: Stack) -> None:
    """Accept, on CDK's custom resource provider of ``stack`` (function and role resources only), what the
    endpoint lookups leave there; once per stack, however many firewalls share the provider."""
    provider = cast(lambda_.Function, stack.node.find_child(PROVIDER_ID))
    function = cast(IConstruct, provider.node.default_child)
    if (accepted_findings.ENDPOINT_LOOKUP_OUTSIDE_VPC.rules[0], function.node.path) in acknowledgements(function):
        return
    for finding in (
        accepted_findings.ENDPOINT_LOOKUP_OUTSIDE_VPC,
        accepted_findings.CUSTOM_RESOURCE_PROVIDER_INVOCATION,
    ):
        accept(function, finding)
    role = cast(iam.Role, provider.role)
    accept(cast(IConstruct, role.node.default_child), accepted_findings.CUSTOM_RESOURCE_PROVIDER_MANAGED_POLICY)


def _gateway_attachment(network: Network) -> IConstruct:
    """The internet gateway's attachment to the VPC: a route to the gateway fails until it exists."""
    return network.node.find_child("VPCGW")


def _free_cidrs(network: Network, count: int) -> list[str]:
    """The first ``count`` subnet-sized blocks of the VPC that none of its subnets uses."""
    vpc_cidr = cast(ec2.CfnVPC, network.node.default_child).cidr_block
    subnets = [*network.public_subnets, *network.private_subnets, *network.isolated_subnets]
    if (
        vpc_cidr is None
        or Token.is_unresolved(vpc_cidr)
        or any(Token.is_unresolved(s.ipv4_cidr_block) for s in subnets)
    ):
        raise ConfigurationError("network", network.node.path, "a VPC whose CIDR and subnet CIDRs are literals")
    used = [ipaddress.ip_network(s.ipv4_cidr_block) for s in subnets]
    free = [
        str(block)
        for block in ipaddress.ip_network(vpc_cidr).subnets(new_prefix=services.SUBNET_CIDR_MASK)
        if not any(block.overlaps(taken) for taken in used)
    ]
    if len(free) < count:
        raise ConfigurationError("network", network.node.path, f"{count} free /{services.SUBNET_CIDR_MASK} blocks")
    return free[:count]
