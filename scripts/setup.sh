#!/usr/bin/env bash
# Installs whatever is missing, and nothing else: the Python virtual environment with the pinned packages, the pinned
# CLIs (CDK, CDK for Terraform) and a supported Node (22) in ./node_modules, and the Terraform CLI config.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
stamp() { sha256sum "$@" | sha256sum | cut -c1-16; }

py_stamp=".venv/.installed-$(stamp pyproject.toml)"
if [ ! -f "$py_stamp" ]; then
  echo "setup: installing Python packages into .venv (pinned in pyproject.toml)"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  # This machine image's pip config names local index folders that may not exist; drop that noise, keep errors.
  .venv/bin/pip install --quiet --upgrade pip 2>&1 | sed '/is ignored: it is neither a file nor a directory/d'
  .venv/bin/pip install --quiet -e '.[dev]' 2>&1 | sed '/is ignored: it is neither a file nor a directory/d'
  rm -f .venv/.installed-*
  touch "$py_stamp"
fi

node_stamp="node_modules/.installed-$(stamp package.json package-lock.json)"
if [ ! -f "$node_stamp" ]; then
  echo "setup: installing pinned CLIs into node_modules (aws-cdk, cdktf-cli)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$node_stamp"
fi

# The Terraform CLI config (providers from the machine's mirror when it has one), which scripts/env.sh exports.
[ -f .build/terraformrc ] || .venv/bin/python -m scripts.terraform_cli_config >/dev/null
