#!/usr/bin/env bash
# CTest install.InstalledUnloadReadsItsInstalledData: installs this build into a temporary prefix
# and runs the installed unload from an unrelated directory with UNLOAD_DATA_DIR unset.
#   bash tests/install_test.sh <cmake> <build dir> <source dir>
# Proof that it reads <prefix>/share/unload/data and not the source tree's data/: a patient preset
# that exists only in the installed data (a copy of normal under a new name) loads, and gives the
# same steady state as normal. And UNLOAD_DATA_DIR, when set, still comes first: pointed at an
# empty directory, that preset is unknown (exit 2).
set -euo pipefail

cmake="$1"
build="$2"
source="$3"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/unload-install-test.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
data="$prefix/share/unload/data"

fail() {
  echo "install-test: FAILED: $*" >&2
  exit 1
}

"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
  { cat "$tmp/install.log" >&2; fail "cmake --install $build --prefix $prefix"; }
for f in bin/unload share/unload/data/patients/normal.toml \
  share/unload/data/devices/impella-cp.toml share/unload/scenarios/default.toml; do
  [[ -e "$prefix/$f" ]] || fail "not installed: $prefix/$f"
done
[[ -x "$prefix/bin/unload" ]] || fail "$prefix/bin/unload is not executable"
echo "install-test: installed into $prefix: bin/unload, share/unload/data, share/unload/scenarios"

name="installed-only-$$"
[[ ! -e "$source/data/patients/$name.toml" ]] || fail "$source/data/patients/$name.toml exists"
cp "$data/patients/normal.toml" "$data/patients/$name.toml"

mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere"
unset UNLOAD_DATA_DIR

status=0
"$prefix/bin/unload" steady --patient normal --json >normal.json 2>normal.err || status=$?
[[ "$status" -eq 0 ]] ||
  { cat normal.err >&2; fail "unload steady --patient normal --json: exit $status"; }
grep -q '"map_mmHg":' normal.json || fail "no map_mmHg in: $(cat normal.json)"
echo "install-test: $prefix/bin/unload steady --patient normal --json: exit 0 (run in $PWD)"

status=0
"$prefix/bin/unload" steady --patient "$name" --json >copy.json 2>copy.err || status=$?
[[ "$status" -eq 0 ]] ||
  { cat copy.err >&2; fail "steady --patient $name: exit $status; installed data not read"; }
strip_name() { sed -E 's/"patient":"[^"]*",?//' "$1"; }
[[ "$(strip_name normal.json)" == "$(strip_name copy.json)" ]] ||
  fail "the copy of normal gave another result than normal"
echo "install-test: --patient $name (only in $data/patients): exit 0, same result as normal"

status=0
"$prefix/bin/unload" validate bcis1 >validate.out 2>validate.err || status=$?
{ [[ "$status" -eq 0 ]] && grep -q "^PASS  bcis1" validate.out; } ||
  fail "unload validate bcis1 (reads the installed scenarios): exit $status, $(cat validate.err)"
echo "install-test: unload validate bcis1 runs the installed scenarios/hrpci_lm_pci.toml: exit 0"

mkdir -p "$tmp/empty/patients"
status=0
UNLOAD_DATA_DIR="$tmp/empty" "$prefix/bin/unload" steady --patient "$name" --json \
  >/dev/null 2>env.err || status=$?
{ [[ "$status" -eq 2 ]] && grep -q "unknown patient preset" env.err; } ||
  fail "with UNLOAD_DATA_DIR=$tmp/empty: exit $status, $(cat env.err); expected exit 2"
echo "install-test: with UNLOAD_DATA_DIR=$tmp/empty the same preset is unknown (exit 2)"

echo "install-test: passed"
