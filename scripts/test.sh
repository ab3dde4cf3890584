#!/usr/bin/env bash
# Second command of the README, and what CI runs (.ci/run): installs the dependencies, checks that
# no include climbs out of its layer with ../, builds with warnings as errors (ci preset), runs
# every test, checks that the C++ sources are clang-format clean, fuzzes the readers of user files
# for 60 s (scripts/fuzz.sh), and runs every test again under ASan + UBSan (sanitize preset).
# About 25 minutes on 2 cores from nothing, most of it building (docs/reliability.md).
#   bash scripts/test.sh
# UNLOAD_JOBS sets the number of parallel build and test jobs (default: number of cores).
# UNLOAD_FUZZ_SECONDS sets how long the fuzzer runs (default 60).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
jobs="${UNLOAD_JOBS:-$(nproc)}"

bash scripts/install-deps.sh

# Each layer's include directory holds only its own headers (docs/architecture.md); an include path
# with "../" or an absolute path would reach a header of any layer through the file system and
# bypass that rule.
echo "test: checking that no include under src/ apps/ tests/ bench/ fuzz/ climbs with ../ or is absolute"
if grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]([^">]*\.\./|/)' src apps tests bench fuzz; then
  echo "test: the include(s) above use ../ or an absolute path; include" \
    "\"unload/<layer>/<file>.hpp\" instead" >&2
  exit 1
fi

cmake --preset ci
cmake --build --preset ci --parallel "$jobs"
ctest --preset ci --parallel "$jobs"

echo "test: checking formatting of src/ apps/ tests/ bench/ fuzz/ ($(clang-format --version))"
mapfile -t sources < <(find src apps tests bench fuzz -type f \
  \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' -o -name '*.cc' \) 2>/dev/null | sort)
unformatted=()
for f in "${sources[@]}"; do
  clang-format --dry-run --Werror "$f" || unformatted+=("$f")
done
if ((${#unformatted[@]} > 0)); then
  echo "test: ${#unformatted[@]} file(s) are not clang-format clean; fix with:" >&2
  echo "  clang-format -i ${unformatted[*]}" >&2
  exit 1
fi
echo "test: fuzzing the readers of user files for ${UNLOAD_FUZZ_SECONDS:-60} s"
bash scripts/fuzz.sh "${UNLOAD_FUZZ_SECONDS:-60}"

echo "test: every test again under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake --preset sanitize
cmake --build --preset sanitize --parallel "$jobs"
ctest --preset sanitize --parallel "$jobs"
echo "test: all checks passed"
