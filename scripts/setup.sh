#!/usr/bin/env bash
# First command of the README: installs the dependencies, builds unload (release preset) and runs
# the default scenario into out/default.
#   bash scripts/setup.sh
# UNLOAD_JOBS sets the number of parallel build jobs (default: number of cores).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
jobs="${UNLOAD_JOBS:-$(nproc)}"

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --parallel "$jobs"

build/release/apps/unload/unload run scenarios/default.toml --out out/default
echo "setup: done; results in $repo_root/out/default"
