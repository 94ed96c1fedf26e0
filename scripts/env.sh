# Sourced by the scripts, and by a user's shell from the repository root (`. scripts/env.sh`): the pinned Node and
# CLIs in node_modules, the project's Python, and the Terraform CLI config that takes providers from the machine's
# mirror (written by scripts/setup.sh), so `cdktf deploy` and `terraform` work offline; and a stand-in for docker.
export PATH="$PWD/node_modules/.bin:$PWD/.venv/bin:$PATH"
if [ -f "$PWD/.build/terraformrc" ]; then
  export TF_CLI_CONFIG_FILE="$PWD/.build/terraformrc"
fi
# No container engine answering here (a docker client without its daemon counts as none): CDK image assets are built
# and pushed by the emulator's stand-in, which pushes only to the local emulator (against AWS it refuses and says so).
if ! docker info >/dev/null 2>&1; then
  export CDK_DOCKER="$PWD/scripts/local-docker"
fi
