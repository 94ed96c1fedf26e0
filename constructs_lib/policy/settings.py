"""Where a deployment's suffix and profile come from: CDK/cdktf context first, then environment variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from constructs_lib.policy.naming import check_suffix
from constructs_lib.policy.profiles import DEFAULT_PROFILE, Profile, profile_named

#: Context keys (``cdk deploy -c environmentSuffix=pr-7 -c profile=dev``) ...
CONTEXT_SUFFIX = "environmentSuffix"
CONTEXT_PROFILE = "profile"
#: ... and the environment variables read when the context does not set them.
ENV_SUFFIX = "ENVIRONMENT_SUFFIX"
ENV_PROFILE = "DEPLOY_PROFILE"


@dataclass(frozen=True)
class DeploymentSettings:
    """The validated suffix and profile of one deployment."""

    environment_suffix: str
    profile: Profile


def resolve_settings(
    context: Callable[[str], object | None], environ: Mapping[str, str] | None = None
) -> DeploymentSettings:
    """Read and validate the settings; bad values raise ConfigurationError naming the field and what is allowed.

    The suffix defaults to the profile's name, so an unconfigured deploy is ``prod`` named ``prod``.
    """
    env = os.environ if environ is None else environ
    profile_name = context(CONTEXT_PROFILE)
    if profile_name is None:
        profile_name = env.get(ENV_PROFILE) or DEFAULT_PROFILE
    profile = profile_named(str(profile_name))
    # An empty environment variable means "not set" (CI templates export them empty); an empty context value
    # was given on purpose and is rejected.
    suffix = context(CONTEXT_SUFFIX)
    if suffix is None:
        suffix = env.get(ENV_SUFFIX) or profile.name
    return DeploymentSettings(environment_suffix=check_suffix(str(suffix)), profile=profile)
