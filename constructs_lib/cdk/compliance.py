"""Compliance gates at synth: cdk-nag's AwsSolutions, HIPAA Security and PCI DSS 3.2.1 packs, and preflight's.

An error finding fails ``cdk synth``. A finding we accept is acknowledged on the construct it concerns, with a
specific reason; each acknowledgement is also written into the assembly's metadata so the main job can list them.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, PCIDSS321Checks
from constructs import IConstruct

from constructs_lib.policy.accepted_findings import AcceptedFinding
from constructs_lib.preflight.cdk_nag import PreflightChecks

ACKNOWLEDGEMENT_METADATA = "hardened:acknowledgement"


def enable_compliance_checks(app: App) -> None:
    """Run the three cdk-nag packs and the preflight pack over every stack of ``app`` when it synthesizes."""
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app), HIPAASecurityChecks(app), PCIDSS321Checks(app), PreflightChecks(app)
    )


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Accept finding ``rule_id`` on ``construct`` and everything under it, for ``reason`` (kept in the assembly)."""
    if len(reason) < 20:
        raise ValueError(f"acknowledgement of {rule_id} needs a specific reason, got {reason!r}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
    construct.node.add_metadata(ACKNOWLEDGEMENT_METADATA, {"rule": rule_id, "reason": reason})


def accept(construct: IConstruct, finding: AcceptedFinding) -> None:
    """Acknowledge every rule of a policy-accepted finding on ``construct``, with the policy's reason."""
    for rule in finding.rules:
        acknowledge(construct, rule, finding.reason)


def acknowledgements(scope: IConstruct) -> set[tuple[str, str]]:
    """(rule, construct path) of every acknowledgement made on ``scope`` or below it."""
    return {
        (entry.data["rule"], construct.node.path)
        for construct in scope.node.find_all()
        for entry in construct.node.metadata
        if entry.type == ACKNOWLEDGEMENT_METADATA
    }
