# Sourced by the scripts, and by a user's shell from the repository root (`. scripts/env.sh`): the pinned Node and
# CLIs in node_modules, the project's Python, and the Terraform CLI config that takes providers from the machine's
# mirror (written by scripts/setup.sh), so `cdktf deploy` and `terraform` work offline.
export PATH="$PWD/node_modules/.bin:$PWD/.venv/bin:$PATH"
if [ -f "$PWD/.build/terraformrc" ]; then
  export TF_CLI_CONFIG_FILE="$PWD/.build/terraformrc"
fi
