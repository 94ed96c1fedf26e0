#!/usr/bin/env bash
# README's test command: installs what is missing, then runs the unit tests with branch coverage (>= 90 % enforced).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/system-packages.sh
. scripts/env.sh
exec .venv/bin/pytest tests/unit --cov --cov-report=term "$@"
