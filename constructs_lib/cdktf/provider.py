"""The AWS provider and the state backend of a cdktf stack, each built in exactly one place.

Every stack calls :func:`aws_provider` and :func:`configure_backend`; another target changes these two functions,
not the stacks. The local emulator is one: ``AWS_ENDPOINT_URL`` set at synth sends every service the stacks use to
that URL, with the provider settings an emulator needs (``constructs_lib.policy.cdktf_backend``); unset means AWS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags, AwsProviderEndpoints
from constructs import IConstruct

from constructs_lib.policy import cdktf_backend as backend_policy


def resolve_region(scope: IConstruct, default: str, environ: Mapping[str, str] | None = None) -> str:
    """Region from context ``region``, else ``AWS_REGION``, else the stack's default; validated."""
    return backend_policy.check_region(backend_policy.region_setting(scope.node.try_get_context, environ) or default)


def emulator_endpoint(environ: Mapping[str, str] | None = None) -> str | None:
    """The local emulator's URL from ``AWS_ENDPOINT_URL`` (validated), or None for AWS."""
    env = os.environ if environ is None else environ
    url = env.get(backend_policy.ENV_ENDPOINT_URL)
    return backend_policy.check_endpoint_url(url) if url else None


def aws_provider(
    stack: TerraformStack,
    region: str,
    default_tags: Mapping[str, str],
    environ: Mapping[str, str] | None = None,
) -> AwsProvider:
    """The stack's AWS provider: one region, and the standard tags on every resource that takes tags.

    With ``AWS_ENDPOINT_URL`` set (the local emulator), every service in the policy's ``EMULATOR_ENDPOINT_SERVICES``
    goes to that URL, with its ``EMULATOR_PROVIDER_SETTINGS``. Stacks pass nothing: the environment selects.
    """
    endpoint = emulator_endpoint(environ)
    local: dict[str, object] = {}
    if endpoint is not None:
        services = dict.fromkeys(backend_policy.EMULATOR_ENDPOINT_SERVICES, endpoint)
        local = {"endpoints": [AwsProviderEndpoints(**services)], **backend_policy.EMULATOR_PROVIDER_SETTINGS}
    return AwsProvider(
        stack,
        "aws",
        region=region,
        default_tags=[AwsProviderDefaultTags(tags=dict(default_tags))],
        **local,
    )


def state_bucket(scope: IConstruct, environ: Mapping[str, str] | None = None) -> str | None:
    """The state bucket from context ``stateBucket`` or ``TF_STATE_BUCKET``; None means local state."""
    env = os.environ if environ is None else environ
    bucket = scope.node.try_get_context(backend_policy.CONTEXT_STATE_BUCKET) or env.get(backend_policy.ENV_STATE_BUCKET)
    return backend_policy.check_state_bucket(str(bucket)) if bucket else None


def configure_backend(
    stack: TerraformStack,
    stack_name: str,
    environment_suffix: str,
    region: str,
    environ: Mapping[str, str] | None = None,
) -> LocalBackend | S3Backend:
    """Local state at a path relative to the stack directory, or encrypted, lock-file-locked S3 state per stack.

    With ``AWS_ENDPOINT_URL`` set, S3 state lives in the emulator's S3 (``EMULATOR_BACKEND_SETTINGS``), so its lock
    file is exercised locally exactly as on AWS."""
    bucket = state_bucket(stack, environ)
    if bucket is None:
        return LocalBackend(stack, path=backend_policy.LOCAL_STATE_FILE.format(stack=stack_name))
    backend = S3Backend(
        stack,
        bucket=bucket,
        key=backend_policy.S3_STATE_KEY.format(stack=stack_name, suffix=environment_suffix),
        region=region,
        encrypt=backend_policy.S3_STATE_ENCRYPT,
    )
    # cdktf 0.21 has no typed field for S3-native locking (Terraform >= 1.10), so it is set on the rendered block.
    stack.add_override("terraform.backend.s3.use_lockfile", backend_policy.S3_STATE_USE_LOCKFILE)
    endpoint = emulator_endpoint(environ)
    if endpoint is not None:
        endpoints = dict.fromkeys(backend_policy.EMULATOR_BACKEND_ENDPOINT_SERVICES, endpoint)
        stack.add_override("terraform.backend.s3.endpoints", endpoints)
        for setting, value in backend_policy.EMULATOR_BACKEND_SETTINGS.items():
            stack.add_override(f"terraform.backend.s3.{setting}", value)
    return backend
