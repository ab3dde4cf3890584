#!/usr/bin/env bash
# Installs the Debian 12 packages unload needs to build, test and benchmark: the compilers and
# libraries, GoogleTest and rapidcheck (property tests), Google Benchmark, clang-format, and clang
# 14 with libclang-rt-14-dev (libFuzzer and the sanitizers' runtimes, scripts/fuzz.sh), and for the
# report's browser test (tests/report/) Debian's chromium, Node.js with npm when `node` is not
# installed already, and the npm packages pinned in tests/report/package-lock.json
# (playwright-core, which drives /usr/bin/chromium; never `npx playwright install`).
#
# Boost must be Debian's default 1.74 (libboost-dev): libboost1.81-dev conflicts with it and blocks
# python3-scipy/matplotlib (a conflict between Debian 12's packages).
# When every package is already installed the apt step is skipped, so repeated runs are fast.
set -euo pipefail

packages=(
  build-essential
  cmake
  ninja-build
  g++
  libsundials-dev
  libboost-dev
  libeigen3-dev
  libcli11-dev
  libtomlplusplus-dev
  nlohmann-json3-dev
  libfmt-dev
  libsqlitecpp-dev
  libsqlite3-dev
  libssl-dev
  libgtest-dev
  libgmock-dev
  librapidcheck-dev
  libbenchmark-dev
  clang-format
  clang
  libclang-rt-14-dev
  chromium
)
# Node.js and npm for the browser test: Debian's, unless a node is installed already (e.g. from
# NodeSource, whose nodejs package includes npm).
if ! command -v node >/dev/null 2>&1; then packages+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: this script expects Debian 12 (dpkg/apt-get not found)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  is_installed "$p" || missing+=("$p")
done

# Any libboost1.81-* package conflicts with the 1.74 set we use.
boost181="$(dpkg-query -W -f='${Package} ${Status}\n' 'libboost1.81*' 2>/dev/null |
  awk '$NF == "installed" {print $1}' || true)"
if [[ -n "$boost181" ]]; then
  echo "install-deps: Boost 1.81 packages are installed; unload needs Debian's Boost 1.74" \
    "(libboost-dev). Remove them first:" >&2
  echo "  apt-get remove $(echo "$boost181" | tr '\n' ' ')" >&2
  exit 1
fi

check_boost_174() {
  local version
  version="$(dpkg-query -W -f='${Version}' libboost-dev)"
  if [[ "$version" != 1.74.* ]]; then
    echo "install-deps: libboost-dev is $version; unload expects Debian 12's 1.74.x" >&2
    exit 1
  fi
}

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The browser test's npm packages, exactly as locked (npm ci), unless they are there already.
install_npm_packages() {
  local dir="$repo_root/tests/report" wanted installed
  wanted="$(sed -n 's/.*"playwright-core": "\([0-9.]*\)".*/\1/p' "$dir/package.json")"
  installed="$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' \
    "$dir/node_modules/playwright-core/package.json" 2>/dev/null || true)"
  if [[ -n "$wanted" && "$installed" == "$wanted" ]]; then
    echo "install-deps: npm packages of tests/report already installed (playwright-core $installed)"
    return
  fi
  echo "install-deps: installing the npm packages of tests/report (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  # playwright-core declares node >= 20; Debian 12's own nodejs is 18.
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if ((major < 20)); then
    echo "install-deps: warning: node $(node --version 2>/dev/null) is older than the 20 that" \
      "playwright-core $wanted declares; the report's browser test may fail" >&2
  fi
}

if ((${#missing[@]} == 0)); then
  check_boost_174
  echo "install-deps: all ${#packages[@]} packages already installed"
  install_npm_packages
  exit 0
fi

sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: not root and sudo not found; install as root: ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  "${missing[@]}"
check_boost_174
install_npm_packages
