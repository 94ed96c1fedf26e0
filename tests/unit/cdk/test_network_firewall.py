"""NetworkFirewall: strict-order rules, encrypted audit logs, protection per profile, and egress routed through the
firewall endpoint of each AZ, read per AZ by a lookup scoped to the firewall."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.compliance import ACKNOWLEDGEMENT_METADATA, enable_compliance_checks
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.hardened_stack import HardenedStack
from constructs_lib.cdk.network import Network
from constructs_lib.cdk.network_firewall import PROVIDER_ID, NetworkFirewall
from constructs_lib.policy import ConfigurationError, accepted_findings, retention
from constructs_lib.policy import network_firewall as firewall_policy


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    resources: dict[str, Any]
    network: Network
    bare: NetworkFirewall
    keyed: NetworkFirewall
    key: EncryptionKey

    def entry(self, construct: Any) -> dict[str, Any]:
        """The template entry of an L1 construct (or of an L2's default child)."""
        return self.resources[self.stack.get_logical_id(getattr(construct.node, "default_child", None) or construct)]

    def props(self, construct: Any) -> dict[str, Any]:
        return self.entry(construct)["Properties"]

    def ref(self, value: Any) -> Any:
        return self.stack.resolve(value)


@functools.cache
def build(profile: str) -> Built:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    stack = cdk.Stack(app, "Firewalls")
    network = Network(stack, "Net")
    bare = NetworkFirewall(stack, "Egress", network=network)
    key = EncryptionKey(stack, "Key")
    other = Network(stack, "Other", encryption_key=key)
    keyed = NetworkFirewall(
        stack, "Keyed", network=other, encryption_key=key, allowed_domains=[".example.com", "api.example.org"]
    )
    template = Template.from_stack(stack)
    return Built(stack, template, template.to_json()["Resources"], network, bare, keyed, key)


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request: pytest.FixtureRequest) -> Built:
    return build(request.param)


@pytest.fixture(scope="module")
def dev() -> Built:
    return build("dev")


def test_policy_runs_in_strict_order_and_drops_and_alerts_what_no_rule_allows(dev: Built) -> None:
    rules = dev.props(dev.bare.policy)["FirewallPolicy"]
    assert rules["StatefulEngineOptions"] == {"RuleOrder": "STRICT_ORDER", "StreamExceptionPolicy": "DROP"}
    assert rules["StatefulDefaultActions"] == ["aws:drop_established", "aws:alert_established"]
    assert rules["StatelessDefaultActions"] == rules["StatelessFragmentDefaultActions"] == ["aws:forward_to_sfe"]


def test_policy_evaluates_the_protocol_rules_before_the_domain_allow_list(dev: Built) -> None:
    references = dev.props(dev.bare.policy)["FirewallPolicy"]["StatefulRuleGroupReferences"]
    assert [r["ResourceArn"] for r in sorted(references, key=lambda r: r["Priority"])] == [
        dev.ref(arn) for arn in dev.bare.rule_group_arns
    ]
    assert dev.ref(dev.bare.rule_group_arns[0]) == {
        "Fn::GetAtt": [dev.stack.get_logical_id(dev.bare.protocol_rules), "RuleGroupArn"]
    }


def test_protocol_rules_drop_clear_text_http_and_old_tls_in_strict_order(dev: Built) -> None:
    group = dev.props(dev.bare.protocol_rules)
    assert group["Type"] == "STATEFUL"
    assert group["RuleGroup"] == {
        "RulesSource": {"RulesString": firewall_policy.EGRESS_SURICATA_RULES},
        "StatefulRuleOptions": {"RuleOrder": "STRICT_ORDER"},
    }


def test_allow_list_matches_tls_sni_of_the_aws_apis_by_default_and_the_given_domains_otherwise(dev: Built) -> None:
    bare = dev.props(dev.bare.domain_allow_list)["RuleGroup"]
    assert bare["RulesSource"]["RulesSourceList"] == {
        "GeneratedRulesType": "ALLOWLIST",
        "TargetTypes": ["TLS_SNI"],
        "Targets": list(firewall_policy.DEFAULT_ALLOWED_DOMAINS),
    }
    assert bare["StatefulRuleOptions"] == {"RuleOrder": "STRICT_ORDER"}
    keyed = dev.props(dev.keyed.domain_allow_list)["RuleGroup"]["RulesSource"]["RulesSourceList"]
    assert keyed["Targets"] == [".example.com", "api.example.org"]


def test_alerts_and_flows_go_to_two_audit_log_groups_encrypted_with_the_given_key(dev: Built) -> None:
    destinations = dev.props(dev.keyed.logging)["LoggingConfiguration"]["LogDestinationConfigs"]
    assert [(d["LogType"], d["LogDestinationType"]) for d in destinations] == [
        ("ALERT", "CloudWatchLogs"),
        ("FLOW", "CloudWatchLogs"),
    ]
    groups = [dev.keyed.log_groups["ALERT"], dev.keyed.log_groups["FLOW"]]
    assert [d["LogDestination"] for d in destinations] == [{"logGroup": dev.ref(g.log_group_name)} for g in groups]
    for group in groups:
        props = dev.props(group)
        assert props["RetentionInDays"] == retention.log_retention_days("audit") == 365
        assert props["KmsKeyId"] == dev.ref(dev.key.key_arn)
    assert dev.props(dev.keyed.logging)["FirewallArn"] == dev.ref(dev.keyed.arn)


def test_without_a_key_the_log_groups_use_a_key_of_the_firewalls_own(dev: Built) -> None:
    own_key = dev.bare.encryption_key
    assert own_key.node.scope is dev.bare and own_key is not dev.key
    for group in dev.bare.log_groups.values():
        assert dev.props(group)["KmsKeyId"] == dev.ref(own_key.key_arn)


@pytest.mark.parametrize(("profile", "protected"), [("dev", False), ("prod", True)])
def test_deletion_and_policy_change_protection_follow_the_profile_subnet_changes_are_always_refused(
    profile: str, protected: bool
) -> None:
    b = build(profile)
    firewall = b.props(b.bare.firewall)
    assert firewall["DeleteProtection"] is protected
    assert firewall["FirewallPolicyChangeProtection"] is protected
    assert firewall["SubnetChangeProtection"] is True


def test_firewall_sits_in_a_subnet_of_its_own_in_each_az_of_the_public_subnets(built: Built) -> None:
    firewall = built.props(built.bare.firewall)
    assert firewall["SubnetMappings"] == [{"SubnetId": built.ref(s.subnet_id)} for s in built.bare.subnets]
    assert firewall["FirewallPolicyArn"] == built.ref(built.bare.policy.attr_firewall_policy_arn)
    publics = built.network.public_subnets
    assert len(built.bare.subnets) == len(publics) == 2
    taken = {s.ipv4_cidr_block for s in [*publics, *built.network.private_subnets, *built.network.isolated_subnets]}
    for subnet, public in zip(built.bare.subnets, publics, strict=True):
        props = built.props(subnet)
        assert props["AvailabilityZone"] == built.ref(public.availability_zone)
        assert props["MapPublicIpOnLaunch"] is False
        assert props["CidrBlock"] not in taken


def test_firewall_subnets_reach_the_internet_gateway_directly(built: Built) -> None:
    igw = built.ref(built.network.internet_gateway_id)
    for subnet in built.bare.subnets:
        route = built.props(subnet.node.find_child("DefaultRoute"))
        assert route["GatewayId"] == igw and route["DestinationCidrBlock"] == "0.0.0.0/0"
        assert route["RouteTableId"] == built.ref(subnet.route_table.route_table_id)


def _lookup_call(built: Built, endpoint: str) -> dict[str, Any]:
    """The SDK call of the lookup whose physical id ``endpoint`` is; each token in it written as its JSON."""
    (logical_id,) = built.ref(endpoint).values()
    lookup = built.resources[logical_id]["Properties"]
    assert lookup["Create"] == lookup["Update"]
    parts = lookup["Create"]["Fn::Join"][1]
    # Inside the JSON text each token sits in a string, so its own JSON goes in escaped.
    text = "".join(part if isinstance(part, str) else json.dumps(json.dumps(part))[1:-1] for part in parts)
    return json.loads(text)


def test_public_subnets_leave_through_the_firewall_endpoint_of_their_own_az(built: Built) -> None:
    assert len(built.bare.endpoint_ids) == len(built.network.public_subnets) == 2
    for public, endpoint in zip(built.network.public_subnets, built.bare.endpoint_ids, strict=True):
        route = built.props(public.node.find_child("DefaultRoute"))
        assert route["DestinationCidrBlock"] == "0.0.0.0/0"
        assert "GatewayId" not in route and route["VpcEndpointId"] == built.ref(endpoint)
        call = _lookup_call(built, endpoint)
        zone = json.dumps(built.ref(public.availability_zone))
        path = f"FirewallStatus.SyncStates.{zone}.Attachment.EndpointId"
        assert (call["service"], call["action"]) == ("NetworkFirewall", "describeFirewall")
        assert call["parameters"] == {"FirewallArn": json.dumps(built.ref(built.bare.arn))}
        assert call["outputPaths"] == [path] and call["physicalResourceId"] == {"responsePath": path}


def test_private_subnets_leave_through_a_nat_gateway_whose_subnet_leads_to_the_endpoint(built: Built) -> None:
    public_by_nat = {
        built.stack.get_logical_id(public.node.find_child("NATGateway")): (public, endpoint)
        for public, endpoint in zip(built.network.public_subnets, built.bare.endpoint_ids, strict=True)
        if public.node.try_find_child("NATGateway")
    }
    assert len(public_by_nat) == (1 if built.stack.node.try_get_context("profile") == "dev" else 2)
    for private in built.network.private_subnets:
        nat = built.props(private.node.find_child("DefaultRoute"))["NatGatewayId"]["Ref"]
        public, endpoint = public_by_nat[nat]
        assert built.props(public.node.find_child("DefaultRoute"))["VpcEndpointId"] == built.ref(endpoint)


def test_return_traffic_enters_through_the_gateway_edge_table_and_the_same_endpoint(built: Built) -> None:
    igw = built.ref(built.network.internet_gateway_id)
    (association,) = [
        r
        for r in built.resources.values()
        if r["Type"] == "AWS::EC2::GatewayRouteTableAssociation"
        and r["Properties"]["GatewayId"] == igw
        and r["Properties"]["RouteTableId"]["Ref"].startswith("Egress")
    ]
    edge_table = association["Properties"]["RouteTableId"]
    returns = {
        r["Properties"]["DestinationCidrBlock"]: r["Properties"]["VpcEndpointId"]
        for r in built.resources.values()
        if r["Type"] == "AWS::EC2::Route" and r["Properties"]["RouteTableId"] == edge_table
    }
    assert returns == {
        public.ipv4_cidr_block: built.ref(endpoint)
        for public, endpoint in zip(built.network.public_subnets, built.bare.endpoint_ids, strict=True)
    }


def test_endpoint_lookup_may_describe_this_firewall_only_and_uses_the_bundled_sdk(dev: Built) -> None:
    firewall_arn = dev.ref(dev.bare.arn)
    lookups = [
        r
        for r in dev.resources.values()
        if r["Type"] == "Custom::AWS" and firewall_arn in r["Properties"]["Create"]["Fn::Join"][1]
    ]
    assert len(lookups) == 2
    for lookup in lookups:
        assert lookup["Properties"]["InstallLatestAwsSdk"] is False
        (policy_id,) = lookup["DependsOn"]
        statements = dev.resources[policy_id]["Properties"]["PolicyDocument"]["Statement"]
        assert statements == [
            {"Action": "network-firewall:DescribeFirewall", "Effect": "Allow", "Resource": firewall_arn}
        ]


def test_firewalls_sharing_the_stacks_lookup_provider_accept_its_findings_once(dev: Built) -> None:
    function = dev.stack.node.find_child(PROVIDER_ID).node.default_child
    rules = [entry.data["rule"] for entry in function.node.metadata if entry.type == ACKNOWLEDGEMENT_METADATA]
    assert sorted(rules) == sorted(
        [
            *accepted_findings.ENDPOINT_LOOKUP_OUTSIDE_VPC.rules,
            *accepted_findings.CUSTOM_RESOURCE_PROVIDER_INVOCATION.rules,
        ]
    )


def test_overriding_a_protection_is_warned() -> None:
    app = cdk.App(context={"profile": "prod", "environmentSuffix": "t-prod"})
    stack = cdk.Stack(app, "Overridden")
    firewall = NetworkFirewall(stack, "Egress", network=Network(stack, "Net"), subnet_change_protection=False)
    Template.from_stack(stack).has_resource_properties(
        "AWS::NetworkFirewall::Firewall", {"SubnetChangeProtection": False}
    )
    Annotations.from_stack(stack).has_warning(
        f"/{firewall.node.path}",
        Match.string_like_regexp("'subnet_change_protection' overrides the hardened default True with False"),
    )


def test_bare_firewall_is_not_warned(dev: Built) -> None:
    Annotations.from_stack(dev.stack).has_no_warning("*", Match.string_like_regexp("overrides the hardened default"))


def test_a_network_without_internet_egress_is_refused() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev", "environmentSuffix": "t"}), "NoEgress")
    with pytest.raises(ConfigurationError, match="internet_egress"):
        NetworkFirewall(stack, "Egress", network=Network(stack, "Net", internet_egress=False))


def test_an_empty_allow_list_is_refused() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev", "environmentSuffix": "t"}), "NoDomains")
    with pytest.raises(ConfigurationError, match="allowed_domains"):
        NetworkFirewall(stack, "Egress", network=Network(stack, "Net"), allowed_domains=[])


class Checked(NamedTuple):
    errors: list[tuple[str, str]]
    #: (rule, construct path, reason) of every acknowledgement in the stack, the Network's left out.
    accepted: set[tuple[str, str, str]]


@functools.cache
def checked(profile: str, outdir: Path) -> Checked:
    """A hardened stack of a Network and a NetworkFirewall with no arguments, synthesized under the compliance packs."""
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"}, outdir=str(outdir))
    stack = HardenedStack(app, "Egress", system="egress", data_classification="internal")
    NetworkFirewall(stack, "Firewall", network=Network(stack, "Network"))
    enable_compliance_checks(app)
    app.synth()  # raises if any error is left unacknowledged
    report = json.loads((outdir / "validation-report.json").read_text())
    violations = [violation for plugin in report["pluginReports"] for violation in plugin["violations"]]
    assert violations, "the packs reported nothing: they did not run"
    return Checked(
        errors=[
            (violation["ruleName"], construct["constructPath"])
            for violation in violations
            if violation["severity"] == "error"
            for construct in violation["violatingConstructs"]
        ],
        accepted={
            (entry.data["rule"], construct.node.path.removeprefix("Egress/"), entry.data["reason"])
            for construct in stack.node.find_all()
            if not construct.node.path.startswith("Egress/Network/")
            for entry in construct.node.metadata
            if entry.type == ACKNOWLEDGEMENT_METADATA
        },
    )


@pytest.fixture(scope="module")
def nag_outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nag")


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_a_stack_with_the_firewall_passes_the_compliance_packs_with_no_error_left(
    profile: str, nag_outdir: Path
) -> None:
    assert checked(profile, nag_outdir / profile).errors == []


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_each_accepted_finding_is_on_exactly_the_resources_it_names_with_its_reason(
    profile: str, nag_outdir: Path
) -> None:
    on = {
        accepted_findings.FIREWALL_SUBNET_INTERNET_ROUTE: [f"Firewall/Subnet{index}" for index in range(2)],
        accepted_findings.CUSTOM_RESOURCE_CALL_POLICY: [
            f"Firewall/EndpointLookup{index}/CustomResourcePolicy/Resource" for index in range(2)
        ],
        accepted_findings.ENDPOINT_LOOKUP_OUTSIDE_VPC: [f"{PROVIDER_ID}/Resource"],
        accepted_findings.CUSTOM_RESOURCE_PROVIDER_INVOCATION: [f"{PROVIDER_ID}/Resource"],
        accepted_findings.CUSTOM_RESOURCE_PROVIDER_MANAGED_POLICY: [f"{PROVIDER_ID}/ServiceRole/Resource"],
    }
    assert checked(profile, nag_outdir / profile).accepted == {
        (rule, path, finding.reason) for finding, paths in on.items() for path in paths for rule in finding.rules
    }
