#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gsnet's benchmarks in one command (as root, a few minutes): builds, then
#  1. the dispatch stage (gs-bench-dispatch): cycles per packet over a net_ring
#     port against the RX-only loop of the same run, with the parser, ring
#     copy and session lookup apart; at 1,000 and 1,000,000 sessions (and
#     world entities): lookup and move cycles, bytes per session and entity;
#  2. the exporter's cost (exporter_cost.sh): the primary's RX rate on
#     net_memif without and with gs-stats scraped every second.
# Writes tests/bench/results/<date>.md (and the parts' own files) and prints it.
# Timing thresholds never go into the test suite: these figures are reported.
#
#   tests/bench/run.sh [--quick]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${GS_BUILD_DIR:-$ROOT/build}
QUICK=0
[ "${1:-}" = --quick ] && QUICK=1
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (hugepages)" >&2; exit 1; }
cd "$ROOT"
./deploy/setup.sh deps >/dev/null
./deploy/setup.sh hugepages >/dev/null
./deploy/setup.sh build "$BUILD" >/dev/null
OUT=$ROOT/tests/bench/results/$(date +%F).md
mkdir -p "$(dirname "$OUT")"
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
TSC_NOTE="no hardware performance counters on this VM: cycles are TSC cycles"
PACKETS=20000000
[ "$QUICK" -eq 1 ] && PACKETS=2000000

{
    echo "# gsnet benchmarks, $(date +%F)"
    echo
    echo "Machine: $(nproc) vCPU, $CPU, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $TSC_NOTE."
    echo "Command: \`tests/bench/run.sh$([ "$QUICK" -eq 1 ] && echo ' --quick')\`"
    echo
    echo "## Dispatch stage and scale (gs-bench-dispatch, CPU 1, $PACKETS packets per figure)"
    echo
} >"$OUT"
"$BUILD/tests/gs-bench-dispatch" --cpu 1 --packets "$PACKETS" --small 1000 --large 1000000 \
    >"$OUT.dispatch.txt"
/usr/bin/python3 - "$OUT.dispatch.txt" >>"$OUT" <<'PY'
import sys
rows = [dict(kv.split("=") for kv in l.split()[1:]) for l in open(sys.argv[1]) if l.startswith("dispatch ")]
small, large = rows
f = lambda r, k: float(r[k])
print("| figure | 1,000 sessions | 1,000,000 sessions | ratio |")
print("|---|---|---|---|")
for key, name in [("baseline_cycles", "RX burst + recycle only (baseline), cycles/packet"),
                  ("loop_cycles", "RX burst + dispatch, cycles/packet"),
                  ("dispatch_cycles", "**dispatch stage** (loop - baseline), cycles/packet"),
                  ("parse_cycles", "  of which frame_parse (checksums), cycles"),
                  ("ring_write_cycles", "  of which writing the message into its ring slot, cycles"),
                  ("lookup_cycles", "session lookup (random sessions), cycles"),
                  ("world_move_cycles", "world move (random entities), cycles"),
                  ("bytes_per_session", "bytes per session (table + 2 hashes)"),
                  ("bytes_per_entity", "bytes per world entity")]:
    a, b = f(small, key), f(large, key)
    print(f"| {name} | {a:.1f} | {b:.1f} | {b / a:.2f}x |" if a else f"| {name} | {a:.1f} | {b:.1f} | |")
print(f"\nTSC {int(small['tsc_hz']) / 1e9:.2f} GHz. Every frame dispatched: "
      f"{small['dispatched']} and {large['dispatched']}, dropped {small['dropped']} and {large['dropped']}.")
PY
{
    echo
    echo "## Exporter cost"
    echo
} >>"$OUT"
if [ "$QUICK" -eq 1 ]; then
    GS_BENCH_OUT=$OUT.exporter.md tests/bench/exporter_cost.sh 2 3 2>/dev/null | sed 1d >>"$OUT"
else
    GS_BENCH_OUT=$OUT.exporter.md tests/bench/exporter_cost.sh 3 5 2>/dev/null | sed 1d >>"$OUT"
fi
rm -f "$OUT.dispatch.txt" "$OUT.exporter.md"
cat "$OUT"
