"""Where CDK for Terraform stacks keep their state and which region their provider targets.

State holds every attribute Terraform read back, including ARNs and endpoints: it must never sit at an absolute
path of one machine (seed 003's synthesized JSON did) nor, when shared, unencrypted or unlocked.
"""

from __future__ import annotations

import re

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
