"""Where CDK for Terraform stacks keep their state and which region their provider targets.

State holds every attribute Terraform read back, including ARNs and endpoints: it must never sit at an absolute
path of one machine (seed 003's synthesized JSON did) nor, when shared, unencrypted or unlocked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from constructs_lib.policy.errors import ConfigurationError

#: Context key (``cdktf.json`` "context" or ``App(context=...)``) and environment variable naming the state bucket.
#: Unset means local state; set means the S3 backend below.
CONTEXT_STATE_BUCKET = "stateBucket"
ENV_STATE_BUCKET = "TF_STATE_BUCKET"

#: Local state file, relative to the stack's synthesized directory (``cdktf.out/stacks/<stack>/``).
LOCAL_STATE_FILE = "terraform.{stack}.tfstate"

#: One state object per stack and environment suffix, so two environments in one bucket never share state.
S3_STATE_KEY = "{stack}/{suffix}/terraform.tfstate"
#: Server-side encryption of the state object: state holds endpoints, ARNs and secret references.
S3_STATE_ENCRYPT = True
#: S3-native locking (Terraform >= 1.10): two concurrent applies cannot corrupt state, and no DynamoDB table is needed.
S3_STATE_USE_LOCKFILE = True

#: S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.
STATE_BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
STATE_BUCKET_RULE = "an existing S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens"

#: Context key and environment variable for the provider's region.
CONTEXT_REGION = "region"
ENV_REGION = "AWS_REGION"
#: Region names such as ``us-east-1`` or ``ap-southeast-2``; anything else fails at synth, not on the first API call.
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")
REGION_RULE = "an AWS region name such as 'us-east-1'"


def check_state_bucket(bucket: str, field: str = CONTEXT_STATE_BUCKET) -> str:
    """Return ``bucket`` if S3 accepts it as a bucket name, else fail naming the rule."""
    if not isinstance(bucket, str) or not STATE_BUCKET_PATTERN.fullmatch(bucket) or ".." in bucket:
        raise ConfigurationError(field, bucket, STATE_BUCKET_RULE)
    return bucket


def region_setting(context: Callable[[str], object | None], environ: Mapping[str, str] | None = None) -> str | None:
    """The region a deployment names: context ``region``, else ``AWS_REGION``; None when neither is set."""
    env = os.environ if environ is None else environ
    region = context(CONTEXT_REGION) or env.get(ENV_REGION)
    return None if region is None else str(region)


def check_region(region: str, field: str = CONTEXT_REGION) -> str:
    """Return ``region`` if it is shaped like an AWS region name, else fail naming the rule."""
    if not isinstance(region, str) or not REGION_PATTERN.fullmatch(region):
        raise ConfigurationError(field, region, REGION_RULE)
    return region


#: Python Lambda runtimes the pinned provider (hashicorp/aws 5.100.0, bound by cdktf-cdktf-provider-aws 20.1.0)
#: accepts, oldest first. ``terraform validate`` rejects any other value, so a newer policy runtime
#: (``services.LAMBDA_RUNTIME``) is rendered as the newest one here, with a synth warning saying so.
PROVIDER_PYTHON_RUNTIMES: tuple[str, ...] = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13")


def provider_lambda_runtime(runtime: str) -> str:
    """``runtime`` if the pinned provider accepts it, else its newest Python runtime."""
    return runtime if runtime in PROVIDER_PYTHON_RUNTIMES else PROVIDER_PYTHON_RUNTIMES[-1]


# ---------------------------------------------------------------------------------------------------------------------
# Local target: an AWS-compatible emulator (moto) instead of AWS, selected by ONE setting.
# ---------------------------------------------------------------------------------------------------------------------

#: The one setting that selects the local target: set at synth, the provider sends every call of the services below
#: to this URL (the same variable points boto3, the AWS CLI and the CDK CLI at the emulator). Unset means AWS.
ENV_ENDPOINT_URL = "AWS_ENDPOINT_URL"
#: An endpoint is an http(s) URL with a host, nothing after the port (the provider appends the service's path).
ENDPOINT_URL_PATTERN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+/?$")
ENDPOINT_URL_RULE = "an http(s) URL with a host and an optional port, e.g. 'http://127.0.0.1:5000'"

#: Every service the cdktf stacks call, as ``AwsProviderEndpoints`` fields: a service missing here would still go to
#: AWS, so the unit tests derive the services from the synthesized resource types and check they are all listed.
#: ``sts`` (caller identity), ``iam`` (roles, managed policies), ``secretsmanager`` (RDS-managed master secrets).
EMULATOR_ENDPOINT_SERVICES: tuple[str, ...] = (
    "appautoscaling",
    "cloudwatch",
    "configservice",
    "ec2",
    "ecr",
    "ecs",
    "elasticache",
    "iam",
    "kinesis",
    "kms",
    "lambda_",
    "logs",
    "networkfirewall",
    "rds",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "sts",
)

#: Provider settings of the local target, each with its reason. Nothing else in a stack changes for the emulator.
EMULATOR_PROVIDER_SETTINGS: dict[str, object] = {
    # The emulator serves every bucket under one host: virtual-hosted bucket names would not resolve.
    "s3_use_path_style": True,
    # Emulator credentials are placeholders; there is no IAM to validate them against before the first call.
    "skip_credentials_validation": True,
    # No EC2 instance metadata service on a workstation or CI runner (a string field in the provider schema).
    "skip_metadata_api_check": "true",
    # The emulator accepts any region name; AWS's list need not be consulted.
    "skip_region_validation": True,
    # An action the emulator lacks answers HTTP 500, which the provider would retry 25 times (minutes per call);
    # 3 attempts still fail fast, and absorb a keep-alive connection the emulator closes mid-call (measured: with 1
    # attempt, "use of closed network connection" failed a whole apply).
    "max_retries": 3,
    # The emulator answers STS: the real account id keeps security-group rule references free of permanent diffs.
    "skip_requesting_account_id": False,
}

#: The S3 state backend is Terraform's own S3 client, not the provider: with the emulator selected, its state object
#: and lock file go to the emulator's S3 (and the caller check to its STS), path-style, with nothing asked of AWS.
EMULATOR_BACKEND_ENDPOINT_SERVICES: tuple[str, ...] = ("s3", "sts")
EMULATOR_BACKEND_SETTINGS: dict[str, object] = {
    "use_path_style": True,
    "skip_credentials_validation": True,
    "skip_requesting_account_id": True,
    "skip_metadata_api_check": True,
    "skip_region_validation": True,
}


def check_endpoint_url(url: str, field: str = ENV_ENDPOINT_URL) -> str:
    """Return ``url`` (without a trailing slash) if it is an http(s) endpoint, else fail naming the rule."""
    if not isinstance(url, str) or not ENDPOINT_URL_PATTERN.fullmatch(url):
        raise ConfigurationError(field, url, ENDPOINT_URL_RULE)
    return url.rstrip("/")
