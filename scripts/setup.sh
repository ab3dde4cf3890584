#!/usr/bin/env bash
# First command of the README: installs the dependencies, builds unload (release preset), installs
# it, runs the main job (unload compare: the left main PCI of the hrpci patient under each support
# strategy) into out/compare, and says how to call the program.
#   bash scripts/setup.sh
# UNLOAD_JOBS sets the number of parallel build jobs (default: number of cores).
# UNLOAD_PREFIX sets where unload is installed (default: ~/.local): <prefix>/bin/unload, with its
# data and scenarios in <prefix>/share/unload/.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
jobs="${UNLOAD_JOBS:-$(nproc)}"
prefix="$(realpath -m "${UNLOAD_PREFIX:-$HOME/.local}")"

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --parallel "$jobs"
echo "setup: installing into $prefix"
cmake --install build/release --prefix "$prefix" >/dev/null

# --force: a second run of setup replaces the out/compare of the first.
build/release/apps/unload/unload compare scenarios/hrpci_lm_pci.toml --out out/compare --force \
  --report
echo "setup: done; results in $repo_root/out/compare (compare.csv, compare.json, one directory" \
  "per strategy); open $repo_root/out/compare/report.html in a browser"

program="$prefix/bin/unload"
echo "setup: installed $("$program" --version) as $program"
echo "setup: in this source tree the same program is $repo_root/build/release/apps/unload/unload"
on_path=no
IFS=: read -r -a path_entries <<<"${PATH:-}"
for entry in "${path_entries[@]}"; do
  if [[ -n "$entry" && "$(realpath -m "$entry")" == "$prefix/bin" ]]; then
    on_path=yes
    break
  fi
done
if [[ "$on_path" == yes ]]; then
  found="$(command -v unload || true)"
  if [[ -n "$found" && "$(realpath -m "$found")" == "$program" ]]; then
    echo "setup: $prefix/bin is on your PATH: run the program as unload"
  else
    echo "setup: $prefix/bin is on your PATH, but unload runs $found, which comes first;" \
      "call $program by its full path or remove the other one"
  fi
else
  echo "setup: $prefix/bin is not on your PATH; call $program by its full path, or add it:"
  echo "  echo 'export PATH=\"$prefix/bin:\$PATH\"' >> ~/.bashrc   # then open a new shell"
fi
