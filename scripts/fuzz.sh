#!/usr/bin/env bash
# Fuzzes every reader of user files (fuzz/input_fuzzer.cpp: scenario files, presets, a run's
# summary.json, state files, the report's readers of a run or comparison directory) with libFuzzer (clang 14, ASan + UBSan) for a bounded time, on every
# core, and fails on a finding. scripts/test.sh runs it for 60 s; for a longer campaign:
#   bash scripts/fuzz.sh 3600
# The corpus grows in build/fuzz/corpus/ from one run to the next (seeded each time from
# scenarios/, data/, and a summary.json and a state file written by build/ci's unload if it is
# there); findings are kept in build/fuzz/findings/ (reproduce: build/fuzz/fuzz/unload_input_fuzzer
# FILE). Prints the executions and the coverage reached (docs/reliability.md).
# UNLOAD_JOBS sets the number of build jobs and fuzzing processes (default: number of cores).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
seconds="${1:-60}"
jobs="${UNLOAD_JOBS:-$(nproc)}"

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --parallel "$jobs"

corpus=build/fuzz/corpus
findings=build/fuzz/findings
mkdir -p "$corpus" "$findings"
cp scenarios/*.toml data/patients/*.toml data/devices/*.toml "$corpus/"
if [[ -x build/ci/apps/unload/unload ]]; then
  seeds="$(mktemp -d)"
  trap 'rm -rf "$seeds"' EXIT
  build/ci/apps/unload/unload run scenarios/iabp_hfref.toml --out "$seeds/run" >/dev/null
  cp "$seeds/run/summary.json" "$corpus/seed-summary.json"
  head -n 40 "$seeds/run/beats.csv" >"$corpus/seed-beats.csv"
  head -n 40 "$seeds/run/waveforms.csv" | cut -d, -f1-12 >"$corpus/seed-waveforms.csv"
  build/ci/apps/unload/unload steady --patient hrpci --device impella-cp --level P8 \
    --save-state "$seeds/state.json" >/dev/null
  cp "$seeds/state.json" "$corpus/seed-state.json"
fi

echo "fuzz: $(ls "$corpus" | wc -l) inputs in the corpus; fuzzing for ${seconds} s with ${jobs} processes"
log=build/fuzz/fuzz.log
status=0
build/fuzz/fuzz/unload_input_fuzzer -fork="$jobs" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=4096 -max_len=16384 -artifact_prefix="$findings/" -print_final_stats=1 \
  "$corpus" >"$log" 2>&1 || status=$?
# Fork mode reports "#EXECUTIONS: cov: ... ft: ... corp: ..." lines; the last one is the total.
last="$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)"
echo "fuzz: ${last:-no progress line} (log: $log)"
if ((status != 0)) || grep -qE 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|finding:|runtime error:' "$log"; then
  grep -E 'ERROR|finding:|runtime error:|Test unit written|SUMMARY' "$log" | head -20 >&2 || true
  echo "fuzz: a finding (exit $status); inputs in $findings/" >&2
  exit 1
fi
echo "fuzz: no findings"
