#!/usr/bin/env bash
# checkov on every synthesized cdktf stack; fails on any failed check not acknowledged in
# checkov-acknowledgements.yaml (each acknowledgement: check id, scope, specific reason).
#
# checkov 3.3.x pins an old boto3 and packaging<24, so it lives in its own venv (.venv-checkov), created on first
# use. --skip-download keeps it offline (no call to its vendor's API).
#
#   scripts/checkov.sh [cdktf.out] [profile]   (synthesize first: npx --no-install cdktf synth)
#
# `profile` (default: DEPLOY_PROFILE, else prod) selects the acknowledgements that name `profiles`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/cdktf.out}"
PROFILE="${2:-${DEPLOY_PROFILE:-prod}}"
VENV="$ROOT/.venv-checkov"
CHECKOV_VERSION="3.3.30"
REPORT_DIR="$ROOT/.build/checkov"

if [[ ! -x "$VENV/bin/checkov" ]]; then
  echo "creating $VENV with checkov $CHECKOV_VERSION" >&2
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

shopt -s nullglob
stacks=("$OUT"/stacks/*/cdk.tf.json)
if (( ${#stacks[@]} == 0 )); then
  echo "no synthesized stacks under $OUT/stacks: run cdktf synth first" >&2
  exit 2
fi

mkdir -p "$REPORT_DIR"
reports=()
for template in "${stacks[@]}"; do
  stack="$(basename "$(dirname "$template")")"
  report="$REPORT_DIR/$stack.json"
  started=$(date +%s%N)
  # Exit code 1 only means "some check failed"; the acknowledgement filter below decides.
  "$VENV/bin/checkov" --skip-download --quiet --compact --framework terraform_json -f "$template" \
    --output json > "$report" || [[ $? -eq 1 ]]
  elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
  printf '%s: checkov %d.%01d s\n' "$stack" $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)) >&2
  reports+=("$stack=$report")
done

# The gate: every failed check must match an acknowledgement (same check id, stack and resource pattern).
"$VENV/bin/python" - "$ROOT/checkov-acknowledgements.yaml" "$PROFILE" "${reports[@]}" <<'PY'
import fnmatch
import json
import sys

import yaml

ack_file, profile, *reports = sys.argv[1:]
acks = yaml.safe_load(open(ack_file))["acknowledgements"]
for ack in acks:
    missing = {"check", "stacks", "resources", "reason"} - set(ack)
    if missing or len(ack["reason"].split()) < 6:
        sys.exit(f"acknowledgement {ack.get('check')} needs check, stacks, resources and a specific reason")
used = set()
unacknowledged = 0
for item in reports:
    stack, path = item.split("=", 1)
    report = json.load(open(path))
    failed = report.get("results", {}).get("failed_checks", [])
    passed = report.get("summary", {}).get("passed", 0)
    acknowledged = 0
    for finding in failed:
        match = next(
            (
                index
                for index, ack in enumerate(acks)
                if ack["check"] == finding["check_id"]
                and profile in ack.get("profiles", [profile])
                and any(fnmatch.fnmatchcase(stack, pattern) for pattern in ack["stacks"])
                and any(fnmatch.fnmatchcase(finding["resource"], pattern) for pattern in ack["resources"])
            ),
            None,
        )
        if match is None:
            unacknowledged += 1
            print(f"FAILED {stack} {finding['check_id']} {finding['resource']}: {finding['check_name']}")
        else:
            acknowledged += 1
            used.add(match)
    print(f"{stack}: {passed} passed, {len(failed)} failed "
          f"({acknowledged} acknowledged, {len(failed) - acknowledged} not)")
for index, ack in enumerate(acks):
    if index not in used and profile in ack.get("profiles", [profile]):
        print(f"note: acknowledgement {ack['check']} {ack['resources']} matched nothing (stale?)")
sys.exit(1 if unacknowledged else 0)
PY
