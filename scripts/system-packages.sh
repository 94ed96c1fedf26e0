#!/usr/bin/env bash
# Installs the Debian packages the checks need, only when missing: Graphviz (`dot`, draws the architecture
# diagrams), PostgreSQL and Redis (real servers behind the emulator's RDS and ElastiCache endpoints, and for the
# handler and processor tests).
#   scripts/system-packages.sh [graphviz] [postgresql] [redis]     (default: all three)
set -euo pipefail
wanted=("${@:-graphviz postgresql redis}")
missing=()
for package in ${wanted[*]}; do
  case "$package" in
    graphviz) command -v dot >/dev/null || missing+=(graphviz) ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql) ;;
    redis) command -v redis-server >/dev/null || missing+=(redis-server) ;;
    *) echo "system-packages: unknown package '$package' (allowed: graphviz, postgresql, redis)" >&2; exit 2 ;;
  esac
done
(( ${#missing[@]} == 0 )) && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
  echo "system-packages: install ${missing[*]} (apt-get install -y ${missing[*]}); no root or sudo here" >&2; exit 1
fi
echo "setup: installing ${missing[*]} from Debian's packages"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
