#!/usr/bin/python3
"""Interleaved A/B wall-clock comparison of two unload binaries (docs/performance.md).

    bench/ab_compare.py OLD_BINARY NEW_BINARY [ROUNDS]

Each round runs `unload bench --json --repeat 3` once per binary and configuration, the two
binaries alternating which goes first, so that a slow phase of the machine hits both alike.
Prints the median real-time factor (and range) of each binary and their ratio.
"""
import json
import statistics
import subprocess
import sys

CONFIGURATIONS = {
    "none": [],
    "impella-cp P8": ["--device", "impella-cp", "--level", "P8"],
    "impella-cp P8 bare": ["--device", "impella-cp", "--level", "P8", "--no-console"],
    "iabp 1:1": ["--device", "iabp", "--ratio", "1:1"],
    "va-ecmo 3500": ["--device", "va-ecmo", "--rpm", "3500"],
}


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binaries = {"old": sys.argv[1], "new": sys.argv[2]}
    rounds = int(sys.argv[3]) if len(sys.argv) == 4 else 7
    factors = {}
    for r in range(rounds):
        order = ["old", "new"] if r % 2 == 0 else ["new", "old"]
        for name, extra in CONFIGURATIONS.items():
            for which in order:
                out = subprocess.run([binaries[which], "bench", "--json", "--repeat", "3"] + extra,
                                     capture_output=True, text=True, check=True).stdout
                result = json.loads(out.strip().splitlines()[-1])
                factors.setdefault((name, which), []).append(result["real_time_factor"])
        print(f"round {r + 1} of {rounds} done", file=sys.stderr, flush=True)
    for name in CONFIGURATIONS:
        old, new = factors[(name, "old")], factors[(name, "new")]
        print(f"{name}: old {statistics.median(old):.0f} ({min(old):.0f}-{max(old):.0f}), "
              f"new {statistics.median(new):.0f} ({min(new):.0f}-{max(new):.0f}), "
              f"new/old {statistics.median(new) / statistics.median(old):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
