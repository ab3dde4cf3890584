#!/usr/bin/env bash
# CTest's report.BrowserShowsEveryPlotWithNoNetwork: runs report_browser_test.mjs (Node,
# playwright-core, Debian's /usr/bin/chromium).
#   bash tests/report/run_browser_test.sh UNLOAD_BINARY BUILD_DIR
# Exit 77 (CTest: skipped) when chromium, node or the npm packages are missing, unless CI=true:
# in CI the test must run, so it fails. `bash scripts/install-deps.sh` installs all three.
set -euo pipefail
unload="$1"
build_dir="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

missing=()
[[ -x /usr/bin/chromium ]] || missing+=("Debian's chromium (/usr/bin/chromium)")
command -v node >/dev/null 2>&1 || missing+=("node")
[[ -f "$here/node_modules/playwright-core/package.json" ]] ||
  missing+=("the npm packages of tests/report (node_modules/playwright-core)")
if ((${#missing[@]} > 0)); then
  what="$(printf '%s, ' "${missing[@]}")"
  if [[ "${CI:-}" == "true" ]]; then
    echo "report browser test: FAILED: missing ${what%, } (CI=true: this test must run;" \
      "bash scripts/install-deps.sh installs them)" >&2
    exit 1
  fi
  echo "report browser test: SKIPPED: missing ${what%, }; bash scripts/install-deps.sh installs them"
  exit 77
fi
exec node "$here/report_browser_test.mjs" "$unload" "$build_dir"
