"""Fidelity: a template AWS refuses fails in the local CloudFormation with AWS's error on the failed resource, and
the same resources through a real ``terraform apply`` against the emulator fail with AWS's error.

One case per failure class. CloudFormation cannot express MFA delete (``VersioningConfiguration`` has no such
property), so that class is Terraform only. Terraform's provider refuses some classes itself at plan time (retention
days, role and load balancer name lengths), before any call: those are CloudFormation only.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from emulator_templates import get_att, key, network, ref

from constructs_lib.policy import cdktf_backend
from constructs_lib.policy.engines import ENGINES
from constructs_lib.policy.services import LAMBDA_RUNTIME
from scripts import terraform_cli_config
from tests.unit.local_aws import REGION, Account

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": LAMBDA_TRUST}}
MISSING_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AWSConfigRole"
CURRENT_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"


def log_group_key(logs: bool) -> dict[str, Any]:
    return {
        "Key": key(logs=logs),
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"KmsKeyId": get_att("Key", "Arn")}},
    }


def log_retention(days: int) -> dict[str, Any]:
    return {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": days}}}


def postgres(version: str) -> dict[str, Any]:
    properties = {"DBInstanceClass": "db.t4g.micro", "AllocatedStorage": "20", "MasterUsername": "app"}
    return {
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "Engine": "postgres",
                "EngineVersion": version,
                "ManageMasterUserPassword": True,
                **properties,
            },
        }
    }


def aurora(version: str) -> dict[str, Any]:
    properties = {"Engine": "aurora-postgresql", "MasterUsername": "app", "ManageMasterUserPassword": True}
    return {"Cluster": {"Type": "AWS::RDS::DBCluster", "Properties": {"EngineVersion": version, **properties}}}


def redis(version: str) -> dict[str, Any]:
    properties = {"ReplicationGroupDescription": "cache", "CacheNodeType": "cache.t4g.micro", "NumCacheClusters": 1}
    return {
        "Cache": {
            "Type": "AWS::ElastiCache::ReplicationGroup",
            "Properties": {"Engine": "redis", "EngineVersion": version, **properties},
        }
    }


def function(runtime: str) -> dict[str, Any]:
    code = {"ZipFile": "def handler(event, context):\n    return event\n"}
    properties = {"Runtime": runtime, "Handler": "index.handler", "Role": get_att("Role", "Arn"), "Code": code}
    return {"Role": ROLE, "Function": {"Type": "AWS::Lambda::Function", "Properties": properties}}


def role(**properties: Any) -> dict[str, Any]:
    return {"Role": {**ROLE, "Properties": {**ROLE["Properties"], **properties}}}


def load_balancer(name: str) -> dict[str, Any]:
    properties = {"Name": name, "Subnets": [ref("Subnet0"), ref("Subnet1")]}
    return {**network(), "Balancer": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": properties}}


@dataclass(frozen=True)
class Case:
    """A minimal template as a function of the value under test: AWS refuses it with ``refused`` (the resource
    ``failing`` fails with ``error`` in its reason) and creates it with ``accepted``."""

    template: Callable[[Any], dict[str, Any]]
    refused: Any
    accepted: Any
    failing: str
    error: str


CLOUDFORMATION_CASES: dict[str, Case] = {
    "log group key without logs": Case(
        log_group_key, False, True, "Logs", "The specified KMS key does not exist or is not allowed to be used with Arn"
    ),
    "log retention": Case(log_retention, 10, 14, "Logs", "Member must satisfy enum value set"),
    "rds engine version": Case(postgres, "15.3", ENGINES["postgres"].version, "Db", "Cannot find version 15.3 for"),
    "aurora engine version": Case(
        aurora,
        "15.5",
        ENGINES["aurora-postgresql"].version,
        "Cluster",
        "Cannot find version 15.5 for aurora-postgresql",
    ),
    "cache engine version": Case(
        redis, "3.2.6", ENGINES["redis"].version, "Cache", "Cannot find version 3.2.6 for redis"
    ),
    "lambda runtime": Case(
        function,
        "python3.8",
        LAMBDA_RUNTIME,
        "Function",
        "The runtime parameter of python3.8 is no longer supported for creating or updating AWS Lambda functions",
    ),
    "missing managed policy": Case(
        lambda arn: role(ManagedPolicyArns=[arn]),
        MISSING_MANAGED_POLICY,
        CURRENT_MANAGED_POLICY,
        "Role",
        f"Policy {MISSING_MANAGED_POLICY} does not exist or is not attachable",
    ),
    "role name length": Case(
        lambda name: role(RoleName=name), "r" * 65, "r" * 64, "Role", "Member must have length less than or equal to 64"
    ),
    "load balancer name length": Case(
        load_balancer, "l" * 33, "l" * 32, "Balancer", "cannot be longer than '32' characters"
    ),
}


@pytest.fixture
def account(aws: Account, request: pytest.FixtureRequest) -> Account:
    """The test's account; for the managed-policy case with AWS's managed policies loaded, as the server runs."""
    if request.node.callspec.params["case"] == "missing managed policy":
        request.getfixturevalue("managed_policies")
    return aws


@pytest.mark.parametrize("case", sorted(CLOUDFORMATION_CASES))
def test_cloudformation_fails_the_resource_aws_refuses_with_aws_error(case: str, account: Account) -> None:
    refused = CLOUDFORMATION_CASES[case]
    stack = account.create_stack("refused", refused.template(refused.refused))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [event for event in account.events("refused") if event["ResourceStatus"] == "CREATE_FAILED"]
    assert [event["LogicalResourceId"] for event in failed] == [refused.failing]
    assert refused.error in failed[0]["ResourceStatusReason"]


@pytest.mark.parametrize("case", sorted(CLOUDFORMATION_CASES))
def test_cloudformation_creates_the_accepted_twin(case: str, account: Account) -> None:
    accepted = CLOUDFORMATION_CASES[case]
    assert account.create_stack("accepted", accepted.template(accepted.accepted))["StackStatus"] == "CREATE_COMPLETE"


# --- Terraform -------------------------------------------------------------------------------------------------------

#: Provider endpoint names of the services the Terraform cases call.
TERRAFORM_SERVICES = ("ec2", "elasticache", "iam", "kms", "lambda", "logs", "rds", "s3", "sts")

#: Failure class -> (resources of the configuration, AWS's error as the provider reports it).
TERRAFORM_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "log group key without logs": (
        {
            "aws_kms_key": {"logs": {"description": "no statement for CloudWatch Logs"}},
            "aws_cloudwatch_log_group": {"logs": {"name": "/refused", "kms_key_id": "${aws_kms_key.logs.arn}"}},
        },
        "AccessDeniedException: The specified KMS key does not exist or is not allowed to be used with Arn",
    ),
    "rds engine version": (
        {
            "aws_db_instance": {
                "db": {
                    "identifier": "refused",
                    "engine": "postgres",
                    "engine_version": "15.3",
                    "instance_class": "db.t4g.micro",
                    "allocated_storage": 20,
                    "username": "app",
                    "manage_master_user_password": True,
                    "skip_final_snapshot": True,
                }
            }
        },
        "InvalidParameterCombination: Cannot find version 15.3 for postgres",
    ),
    "cache engine version": (
        {
            "aws_elasticache_replication_group": {
                "cache": {
                    "replication_group_id": "refused",
                    "description": "cache",
                    "engine": "redis",
                    "engine_version": "3.2.6",
                    "node_type": "cache.t4g.micro",
                    "num_cache_clusters": 1,
                }
            }
        },
        "InvalidParameterCombination: Cannot find version 3.2.6 for redis",
    ),
    "lambda runtime": (
        {
            "aws_iam_role": {"fn": {"name": "refused-fn", "assume_role_policy": json.dumps(LAMBDA_TRUST)}},
            "aws_lambda_function": {
                "fn": {
                    "function_name": "refused",
                    "runtime": "python3.8",
                    "handler": "index.handler",
                    "role": "${aws_iam_role.fn.arn}",
                    "filename": "${path.module}/function.zip",
                }
            },
        },
        "InvalidParameterValueException: The runtime parameter of python3.8 is no longer supported",
    ),
    "mfa delete": (
        {
            "aws_s3_bucket": {"records": {"bucket": "refused-mfa-delete"}},
            "aws_s3_bucket_versioning": {
                "records": {
                    "bucket": "${aws_s3_bucket.records.id}",
                    "versioning_configuration": {"status": "Enabled", "mfa_delete": "Enabled"},
                }
            },
        },
        "AccessDenied: Mfa Authentication must be used for this request",
    ),
    "missing managed policy": (
        {
            "aws_iam_role": {"attached": {"name": "refused-attach", "assume_role_policy": json.dumps(LAMBDA_TRUST)}},
            "aws_iam_role_policy_attachment": {
                "config": {"role": "${aws_iam_role.attached.name}", "policy_arn": MISSING_MANAGED_POLICY}
            },
        },
        "NoSuchEntity: Policy arn:aws:iam::aws:policy/service-role/AWSConfigRole does not exist or is not attachable",
    ),
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    """The emulator (this process's moto, every addition registered) served on a free port."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    try:
        yield endpoint
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
        server.stop()


@pytest.fixture(scope="module")
def terraform_apply(emulator: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One ``terraform apply`` of every Terraform case (they do not depend on each other): its output."""
    mirror = terraform_cli_config.find_mirror()
    if shutil.which("terraform") is None or mirror is None:
        pytest.skip("terraform or its provider mirror is not installed")
    directory = tmp_path_factory.mktemp("fidelity")
    with zipfile.ZipFile(directory / "function.zip", "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    settings = {key: value for key, value in cdktf_backend.EMULATOR_PROVIDER_SETTINGS.items() if key != "max_retries"}
    provider = {
        "region": REGION,
        "access_key": "testing",
        "secret_key": "testing",
        "max_retries": 1,
        "endpoints": [dict.fromkeys(TERRAFORM_SERVICES, emulator)],
        **settings,
    }
    resources: dict[str, dict[str, Any]] = {}
    for case_resources, _error in TERRAFORM_CASES.values():
        for kind, named in case_resources.items():
            resources.setdefault(kind, {}).update(named)
    config = {"provider": {"aws": [provider]}, "resource": resources}
    (directory / "main.tf.json").write_text(json.dumps(config, indent=1))
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(directory),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": str(terraform_cli_config.write_cli_config(directory / "terraformrc", mirror)),
        "AWS_EC2_METADATA_DISABLED": "true",
    }

    def terraform(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["terraform", f"-chdir={directory}", *arguments, "-no-color"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    init = terraform("init", "-input=false")
    assert init.returncode == 0, init.stderr
    applied = terraform("apply", "-auto-approve", "-input=false")
    assert applied.returncode != 0, applied.stdout
    return applied.stdout + applied.stderr


@pytest.mark.parametrize("case", sorted(TERRAFORM_CASES))
def test_terraform_apply_fails_with_aws_error(case: str, terraform_apply: str) -> None:
    assert TERRAFORM_CASES[case][1] in " ".join(terraform_apply.split())
