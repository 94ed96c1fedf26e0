"""CDK for Terraform app: the StreamFlix and PCI platform stacks, synthesized into ``cdktf.out``.

    npx --no-install cdktf synth              # or: .venv/bin/python tf_app.py
    npx --no-install cdktf synth -c profile=dev -c environmentSuffix=pr-7   (context also via cdktf.json)

Suffix and profile come from context or ENVIRONMENT_SUFFIX / DEPLOY_PROFILE; region from context ``region`` or
AWS_REGION; a shared state bucket from context ``stateBucket`` or TF_STATE_BUCKET (else local state).
"""

from __future__ import annotations

from cdktf import App

from constructs_lib.policy import cdktf_backend
from constructs_lib.policy.settings import resolve_settings

#: Stack names: directories under cdktf.out/stacks and ``cdktf deploy <name>``.
STREAMFLIX = "streamflix"
PCI_PLATFORM = "pci-platform"


def check_configuration(app: App) -> None:
    """Refuse a bad suffix, profile or region shape in the app's context or environment with the stacks' own
    ConfigurationError, before the stacks and their provider bindings (seconds to import) are loaded."""
    resolve_settings(app.node.try_get_context)
    region = cdktf_backend.region_setting(app.node.try_get_context)
    if region is not None:
        cdktf_backend.check_region(region)


def build_app(app: App | None = None) -> App:
    """Both stacks in one app (the CLI passes the output directory through its environment)."""
    app = app or App()
    check_configuration(app)
    from stacks.pci_platform.stack import PciPlatformStack
    from stacks.streamflix.stack import StreamFlixStack

    StreamFlixStack(app, STREAMFLIX)
    PciPlatformStack(app, PCI_PLATFORM)
    return app


if __name__ == "__main__":
    build_app().synth()
