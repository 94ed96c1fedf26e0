"""Python functions for the runtime tests: a handler's source zipped as Lambda expects, created with its role."""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from typing import Any

from tests.unit.local_aws import Account

RUNTIME = "python3.11"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def handler_zip(source: str, module: str = "app") -> bytes:
    """A zip holding ``source`` (dedented) as ``<module>.py``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", textwrap.dedent(source))
    return buffer.getvalue()


def role_arn(aws: Account) -> str:
    iam = aws.client("iam")
    try:
        return iam.get_role(RoleName="runtime-test")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        return iam.create_role(RoleName="runtime-test", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


def create_function(
    aws: Account, name: str, source: str, environment: dict[str, str] | None = None, timeout: int = 10, **extra: Any
) -> str:
    """CreateFunction with ``source`` as ``app.handler``; the function's ARN."""
    return aws.client("lambda").create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=role_arn(aws),
        Handler="app.handler",
        Code={"ZipFile": handler_zip(source)},
        Timeout=timeout,
        Environment={"Variables": environment or {}},
        **extra,
    )["FunctionArn"]


def invoke(aws: Account, name: str, event: Any, **extra: Any) -> tuple[dict[str, Any], Any]:
    """Invoke; the response and its decoded JSON payload (None when empty)."""
    response = aws.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode(), **extra)
    body = response["Payload"].read()
    return response, json.loads(body) if body else None
