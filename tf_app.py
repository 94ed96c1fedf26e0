"""CDK for Terraform app: the StreamFlix and PCI platform stacks, synthesized into ``cdktf.out``.

    npx --no-install cdktf synth              # or: .venv/bin/python tf_app.py
    npx --no-install cdktf synth -c profile=dev -c environmentSuffix=pr-7   (context also via cdktf.json)

Suffix and profile come from context or ENVIRONMENT_SUFFIX / DEPLOY_PROFILE; region from context ``region`` or
AWS_REGION; a shared state bucket from context ``stateBucket`` or TF_STATE_BUCKET (else local state).
"""

from __future__ import annotations

from cdktf import App

from stacks.pci_platform.stack import PciPlatformStack
from stacks.streamflix.stack import StreamFlixStack

#: Stack names: directories under cdktf.out/stacks and ``cdktf deploy <name>``.
STREAMFLIX = "streamflix"
PCI_PLATFORM = "pci-platform"


def build_app(app: App | None = None) -> App:
    """Both stacks in one app (the CLI passes the output directory through its environment)."""
    app = app or App()
    StreamFlixStack(app, STREAMFLIX)
    PciPlatformStack(app, PCI_PLATFORM)
    return app


if __name__ == "__main__":
    build_app().synth()
