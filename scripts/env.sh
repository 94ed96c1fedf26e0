# Sourced by the scripts: environment every command here runs with.
# jsii prints a large end-of-life banner for Node 20 on every run; the pinned packages work on it.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export PATH="$PWD/node_modules/.bin:$PWD/.venv/bin:$PATH"
