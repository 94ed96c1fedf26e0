"""IAM helpers for cdktf constructs: policy documents as Terraform takes them, and common statement sets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from constructs_lib.cdktf.deployment import AccountContext
from constructs_lib.policy import compute


def policy_document(statements: Sequence[dict[str, Any]]) -> str:
    """An IAM policy document as the JSON string Terraform takes."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def secret_read_statements(secret_arns: Sequence[str], key_arn: str, account: AccountContext) -> list[dict[str, Any]]:
    """Read these secrets, and kms:Decrypt on their key only when Secrets Manager asks (``kms:ViaService``)."""
    return [
        {
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": list(compute.DATABASE_SECRET_READ_ACTIONS),
            "Resource": list(secret_arns),
        },
        {
            "Sid": "DecryptSecretsThroughSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{account.region}.{account.dns_suffix}"}},
        },
    ]
