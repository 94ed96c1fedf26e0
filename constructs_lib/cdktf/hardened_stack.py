"""HardenedStack: the base every cdktf stack here shares: settings, region, provider with tags, backend, outputs."""

from __future__ import annotations

from collections.abc import Iterable

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from constructs_lib.cdktf.deployment import deployment_settings
from constructs_lib.cdktf.provider import aws_provider, configure_backend, resolve_region
from constructs_lib.policy import engines
from constructs_lib.policy.cdktf_backend import check_region
from constructs_lib.policy.tags import standard_tags

#: Where a stack deploys when neither its props, context ``region`` nor ``AWS_REGION`` say.
DEFAULT_REGION = "us-east-1"


class HardenedStack(TerraformStack):
    """A Terraform stack that knows its deployment settings, its region, and tags every resource (the cdktf twin of
    the CDK ``HardenedStack``).

    - ``settings``, ``suffix`` and ``profile`` from context or the environment (``deployment_settings``).
    - ``region``: the one given (validated), else context ``region`` / ``AWS_REGION`` / ``default_region``; every
      engine named in ``engines`` must be offered there (fails at synth, not on apply).
    - One AWS provider with the standard tags (``system``, suffix, profile, ``data_classification``) as default tags,
      and the state backend (local, or encrypted S3 with a lock file) from ``provider.configure_backend``.

    Example::

        class Platform(HardenedStack):
            def __init__(self, scope: Construct, construct_id: str) -> None:
                super().__init__(scope, construct_id, system="pci-platform", data_classification="pci-cardholder-data")
                key = EncryptionKey(self, "key", alias=self.system)
                self.output("kms_key_arn", key.arn, "The platform's customer-managed key")
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        system: str,
        data_classification: str,
        region: str | None = None,
        default_region: str = DEFAULT_REGION,
        engines_used: Iterable[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = deployment_settings(self)
        self.system = system
        self.suffix = self.settings.environment_suffix
        self.profile = self.settings.profile
        self.region = check_region(region) if region else resolve_region(self, default_region)
        for kind in engines_used:
            engines.engine(kind).check_region(self.region)
        self.provider = aws_provider(
            self, self.region, standard_tags(system, self.suffix, self.profile.name, data_classification)
        )
        self.backend = configure_backend(self, construct_id, self.suffix, self.region)

    def output(self, name: str, value: object, description: str | None = None) -> TerraformOutput:
        """A stack output a test or a downstream stack reads (``terraform output <name>``)."""
        return TerraformOutput(self, name, value=value, description=description)
