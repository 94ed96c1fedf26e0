"""Egress inspection with AWS Network Firewall: rule order, default actions, protocol rules and logging.

Plain data read by the ``NetworkFirewall`` construct: a reviewer reads what leaves the network without reading the
construct that builds it.
"""

from __future__ import annotations

#: Stateful rule capacity reserved per rule group (fixed at creation; 100 leaves room to grow the lists).
RULE_GROUP_CAPACITY = 100

#: Suricata rules evaluated before the domain allow-list: no clear-text HTTP and no TLS older than 1.2 leave the
#: network (PCI DSS 4.2.1: strong cryptography for transmission over open networks).
EGRESS_SURICATA_RULES = "\n".join(
    [
        'drop http $HOME_NET any -> $EXTERNAL_NET any (msg:"clear-text HTTP egress"; flow:to_server; '
        "sid:1000001; rev:1;)",
        'drop tls $HOME_NET any -> $EXTERNAL_NET any (msg:"TLS older than 1.2"; ssl_version:sslv2,sslv3,tls1.0,tls1.1; '
        "flow:to_server; sid:1000002; rev:1;)",
    ]
)

#: Rules run in the order written (protocol rules, then the allow-list, then the default actions), never by
#: Suricata's action precedence, where a later "pass" could let out what an earlier "drop" meant to stop.
RULE_ORDER = "STRICT_ORDER"
#: A flow the engine cannot follow (e.g. after a failover) is dropped, not passed uninspected.
STREAM_EXCEPTION_POLICY = "DROP"
#: Every packet, fragments included, goes to the stateful engine: no stateless rule lets anything by.
STATELESS_DEFAULT_ACTIONS: tuple[str, ...] = ("aws:forward_to_sfe",)
STATELESS_FRAGMENT_DEFAULT_ACTIONS: tuple[str, ...] = ("aws:forward_to_sfe",)
#: What no rule allowed is dropped, and the drop is logged as an alert: default deny with evidence.
STATEFUL_DEFAULT_ACTIONS: tuple[str, ...] = ("aws:drop_established", "aws:alert_established")
#: The allow-list matches the TLS server name (SNI): HTTPS only, and clear-text HTTP is dropped before it anyway.
ALLOW_LIST_TARGET_TYPES: tuple[str, ...] = ("TLS_SNI",)
#: Domains let out when a stack names none: the AWS APIs (a leading dot matches subdomains).
DEFAULT_ALLOWED_DOMAINS: tuple[str, ...] = (".amazonaws.com",)
#: Priorities of the protocol rules and the allow-list in strict order (gaps leave room for groups in between).
PROTOCOL_RULES_PRIORITY = 10
ALLOW_LIST_PRIORITY = 20
#: Rule groups, policy and firewall are encrypted with the customer-managed key, not an AWS-owned one.
ENCRYPTION_TYPE = "CUSTOMER_KMS"
#: Alerts (what was dropped) and flows (what passed) both go to CloudWatch Logs: each is network evidence.
LOG_TYPES: tuple[str, ...] = ("ALERT", "FLOW")
LOG_DESTINATION_TYPE = "CloudWatchLogs"
#: Firewall logs are network evidence of a regulated environment: kept for the ``audit`` retention (PCI DSS 10.5.1).
LOG_PURPOSE = "audit"
#: Changing the subnets of a running firewall takes an AZ's egress down: it is refused in every profile.
SUBNET_CHANGE_PROTECTION = True
