#!/usr/bin/env bash
# README's main-job command: installs what is missing, then synthesizes every stack in both profiles and runs every
# check (cdk-nag, cfn-lint, terraform validate, checkov, preflight), printing a one-screen summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/system-packages.sh
. scripts/env.sh
exec .venv/bin/python -m scripts.main_job "$@"
