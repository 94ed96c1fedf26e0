"""Hardened constructs for AWS CDK and CDK for Terraform, with the policy they share.

- ``constructs_lib.policy``: the hardening policy as plain data (no CDK import).
- ``constructs_lib.cdk``: AWS CDK constructs that apply it.
- ``constructs_lib.cdktf``: the CDK for Terraform twins.
- ``constructs_lib.preflight``: checks any synthesized output for the mistakes the seeds list.
"""
