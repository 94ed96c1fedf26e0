#!/usr/bin/env bash
# Local AWS integration run: start the emulator, deploy every stack to it (the CDK ones with the CDK CLI, then the two
# CDK for Terraform ones with terraform apply, side by side), run tests/integration against the outputs, destroy every
# stack, stop the emulator, and print per stack: resources, outputs, tests, seconds.
# Exit status is non-zero if any deploy, test or destroy failed (a failed destroy is a failure).
#   scripts/integration.sh                       # extra arguments go to pytest, e.g. -k aurora
#   scripts/integration.sh --stack streamflix    # one stack (repeatable): deployed, tested and destroyed alone
#   LOCAL_AWS_PORT=5001 scripts/integration.sh
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export LOCAL_AWS_PORT="${LOCAL_AWS_PORT:-5000}"

selection=()
while [ "${1:-}" = "--stack" ] && [ -n "${2:-}" ]; do
  selection+=(--stack "$2")
  shift 2
done

started=$(date +%s)
python -m scripts.emulator.server start || exit 1
trap 'python -m scripts.emulator.server stop >/dev/null' EXIT
eval "$(python -m scripts.emulator.server env)"
rm -f cfn-outputs/*.json

status=0
echo "[integration] deploying every stack"
if python -m scripts.deployer deploy "${selection[@]}"; then
  echo "[integration] running tests/integration"
  pytest tests/integration -p no:cacheprovider "${selection[@]}" "$@" || status=1
  echo "[integration] tests/integration $([ $status -eq 0 ] && echo passed || echo FAILED)"
else
  status=1
fi
echo "[integration] destroying every stack"
python -m scripts.deployer destroy "${selection[@]}" || status=1

echo
python -m scripts.deployer summary
echo "integration run: $(( $(date +%s) - started )) s, $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
