"""Preflight: catch, before deploy, the mistakes that passed review in the seeds and then failed on deploy.

cfn-lint, cdk-nag and checkov check a resource against its schema or a security benchmark; these rules check what
broke real deploys: retired engine versions, key policies CloudWatch Logs cannot use, global S3 names, Aurora
clusters without instances, typed-in account IDs, guessable passwords, stacks that cannot be torn down (or that
lose prod data), no outputs, malformed Terraform blocks. They read the synthesized output (``cdk.out``,
``cdktf.out``) through ``constructs_lib.model``, so they judge any stack, ours or not, in well under a second.

Example::

    python -m constructs_lib.preflight cdk.out cdktf.out --format table

    from constructs_lib.model import load_stacks
    from constructs_lib.preflight import PACK, run_rules
    findings = run_rules(load_stacks(["cdk.out"]), PACK)
"""

from constructs_lib.preflight.pack import PACK, RULES_BY_ID
from constructs_lib.preflight.registry import Finding, Rule, Severity, Violation, run_rules

__all__ = ["PACK", "RULES_BY_ID", "Finding", "Rule", "Severity", "Violation", "run_rules"]
