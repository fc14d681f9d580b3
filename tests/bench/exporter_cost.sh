#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Benchmark (not a test): what gs-stats costs the primary. gs-primary polls a
# net_memif port on CPU 0 while dpdk-testpmd (txonly, 64-byte UDP to
# 198.18.0.2:9, its own file prefix) floods it from CPU 1 faster than one
# lcore can take; the primary parses every frame and drops it (udp_port).
# Runs alternate: without gs-stats, and with gs-stats serving /metrics
# scraped every second by one long-lived scraper (curl --rate 1/s). The primary's RX rate over each run's window is
# compared: the difference against the run-to-run spread.
#
#   tests/bench/exporter_cost.sh [RUNS (3)] [SECONDS per run (5)]
#   GS_EXPORTER_KINDS="off idle curl on" tests/bench/exporter_cost.sh  # also print
#     runs with gs-stats attached but never scraped, and with the scraper alone
#   GS_EXPORTER_KINDS="off capture" tests/bench/exporter_cost.sh  # what a packet
#     capture (dpdk-dumpcap, every frame, 64-byte snapshots) costs the primary
# Needs root, hugepages and a build (build/ or GS_BUILD_DIR). Prints a
# Markdown table; writes it to $GS_BENCH_OUT (default
# tests/bench/results/exporter_cost.md).
set -u -o pipefail
RUNS=${1:-3}
SECS=${2:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${GS_BUILD_DIR:-$ROOT/build}
OUT=${GS_BENCH_OUT:-$ROOT/tests/bench/results/exporter_cost.md}
PRIMARY=$BUILD/primary/gs-primary
STATS=$BUILD/secondary/stats/gs-stats
WORK=$(mktemp -d /tmp/gsbench_exporter.XXXXXX)
PREFIX=gsbx$$
GEN_PREFIX=gsbxgen$$
SOCK=$WORK/memif.sock
HTTP_PORT=$((30000 + $$ % 20000))
# gs-loadgen does not speak connect tokens and sends from few addresses at
# far more than a player's rate: the group runs without tokens and limits
# (the dispatch figures measure what auth costs).
OPTS=(-c "$ROOT/deploy/gsnet.ini" -o "eal.file_prefix=$PREFIX" -o auth.mode=open
    -o limits.source_pps=0 -o limits.session_pps=0 -o limits.connect_pps=0
    -o "eal.vdev0=net_memif0,role=server,socket=$SOCK,id=0" -o primary.idle=poll
    -o primary.cpus=0 -o stats.cpus=1 -o "stats.http_port=$HTTP_PORT"
    -o world.max_entities=65536)
PIDS=()

die() { echo "exporter_cost: $*" >&2; cleanup; exit 1; }
cleanup() {
    local p
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        p=${PIDS[i]}
        kill -INT "$p" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    PIDS=()
    "$ROOT/deploy/setup.sh" clean-prefix "$PREFIX" >/dev/null 2>&1
    "$ROOT/deploy/setup.sh" clean-prefix "$GEN_PREFIX" >/dev/null 2>&1
}
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" -eq 0 ] || die "run as root"
for b in "$PRIMARY" "$STATS" "$(command -v dpdk-testpmd)" "$(command -v curl)"; do
    [ -x "$b" ] || die "missing $b (deploy/setup.sh deps; build first)"
done

wait_for() { # FILE PATTERN SECONDS
    for _ in $(seq $((${3} * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
# rx: the primary's rx_packets (and the port's rx_missed), read by a short-lived gs-stats
# on its own lcore id (the same in both kinds of run).
rx() {
    timeout 20 "$STATS" "${OPTS[@]}" -o stats.lcore_first=61 --json 2>/dev/null |
        /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); l=j["lcores"]; p=j["ports"][0]
print(sum(x["rx_packets"] for x in l), p["rx_missed"])'
}

# one_run KIND(off|on) -> "pps refused_share"
one_run() {
    local kind=$1 a b t0 t1 scr=0
    "$PRIMARY" "${OPTS[@]}" >"$WORK/primary.log" 2>&1 &
    PIDS+=($!)
    wait_for "$WORK/primary.log" 'gs-primary ready' 30 || die "gs-primary not ready: $(tail -3 "$WORK/primary.log")"
    (sleep $((SECS + 6))) | dpdk-testpmd --lcores=0@1,1@1 --no-pci --file-prefix="$GEN_PREFIX" \
        --vdev="net_memif0,role=client,socket=$SOCK,id=0" -- --forward-mode=txonly \
        --nb-cores=1 --auto-start --txpkts=64 >"$WORK/gen.log" 2>&1 &
    PIDS+=($!)
    if [ "$kind" = on ] || [ "$kind" = idle ]; then
        "$STATS" "${OPTS[@]}" >"$WORK/stats.log" 2>&1 &
        PIDS+=($!)
        wait_for "$WORK/stats.log" 'gs-stats serving' 30 || die "gs-stats not serving"
    fi
    if [ "$kind" = capture ]; then
        dpdk-dumpcap --file-prefix="$PREFIX" -i 0 -s 64 -w "$WORK/capture.pcapng" \
            >"$WORK/dumpcap.log" 2>&1 &
        PIDS+=($!)
        wait_for "$WORK/dumpcap.log" '^File: ' 30 || die "dpdk-dumpcap not capturing: $(tail -3 "$WORK/dumpcap.log")"
    fi
    sleep 2 # the generator connects and reaches its rate
    # The scraper is one long-lived process, as Prometheus is: one curl that
    # fetches /metrics once a second for the run (--rate), started before
    # the window so no process start falls inside it.
    local scraper=""
    if [ "$kind" = on ]; then
        curl -sf --rate 1/s --max-time $((SECS + 10)) -w '%{http_code}\n' -o /dev/null \
            "http://127.0.0.1:$HTTP_PORT/metrics?scrape=[1-$((SECS + 2))]" >"$WORK/scrapes.txt" &
        scraper=$!
    elif [ "$kind" = curl ]; then # the scraper alone: nothing listens there
        curl -s --rate 1/s --max-time $((SECS + 10)) -o /dev/null \
            "http://127.0.0.1:$((HTTP_PORT + 1))/metrics?scrape=[1-$((SECS + 2))]" &
        scraper=$!
    fi
    sleep 0.5
    read -r a _ < <(rx)
    t0=$(date +%s.%N)
    sleep "$SECS"
    read -r b _ < <(rx)
    t1=$(date +%s.%N)
    if [ -n "$scraper" ]; then
        wait "$scraper"
        [ "$kind" != on ] || scr=$(grep -c '^200$' "$WORK/scrapes.txt")
    fi
    [ "$kind" != on ] || [ "$scr" -ge "$SECS" ] || die "only $scr scrapes answered in $SECS s"
    cleanup
    # the generator's share of bursts the full memif ring refused: > 0 means the
    # primary, not the generator, set the rate
    local full
    full=$(awk '/TX-packets:/ { p = $2; d = $4 } END { if (p + d > 0) printf "%.4f", d / (p + d); else print 0 }' "$WORK/gen.log")
    /usr/bin/python3 -c "print(($b - $a) / ($t1 - $t0), $full)"
}

declare -a OFF ON CAP
for ((r = 1; r <= RUNS; r++)); do
    # GS_EXPORTER_KINDS adds runs to look for the cause of a cost: "idle"
    # (gs-stats attached, never scraped), "curl" (the scraper alone)
    for kind in ${GS_EXPORTER_KINDS:-off on}; do
        res=$(one_run "$kind") || die "run $r ($kind) failed"
        echo "run $r exporter $kind: $res (pps, share of generator TX refused: ring full)" >&2
        case $kind in
        off) OFF+=("$res") ;;
        on) ON+=("$res") ;;
        capture) CAP+=("$res") ;;
        esac
    done
done

mkdir -p "$(dirname "$OUT")"
/usr/bin/python3 - "$RUNS" "$SECS" "${OFF[@]}" -- "${ON[@]}" -- "${CAP[@]}" <<'PY' | tee "$OUT"
import statistics as st, sys, platform, datetime, os
runs, secs = int(sys.argv[1]), int(sys.argv[2])
rest = sys.argv[3:]
cut = rest.index("--")
cut2 = rest.index("--", cut + 1)
off = [tuple(map(float, x.split())) for x in rest[:cut]]
on = [tuple(map(float, x.split())) for x in rest[cut + 1:cut2]]
cap = [tuple(map(float, x.split())) for x in rest[cut2 + 1:]]
def summary(v):
    r = [x[0] for x in v]
    return st.mean(r), (st.stdev(r) if len(r) > 1 else 0.0), min(r), max(r), st.mean(x[1] for x in v)
mo, so, lo, ho, mmo = summary(off)
if cap:
    mc, sc, lc, hc, mmc = summary(cap)
    print(f"## Packet capture cost ({datetime.date.today()})\n")
    print(f"gs-primary polling net_memif on CPU 0, dpdk-testpmd txonly 64 B from CPU 1; {runs} runs x {secs} s each way, alternating.\n")
    print("| capture | primary RX (Mpps), mean ± stdev | min .. max |")
    print("|---|---|---|")
    print(f"| none (rte_pdump_init only) | {mo/1e6:.3f} ± {so/1e6:.3f} | {lo/1e6:.3f} .. {ho/1e6:.3f} |")
    print(f"| dpdk-dumpcap, every frame, 64 B snapshots | {mc/1e6:.3f} ± {sc/1e6:.3f} | {lc/1e6:.3f} .. {hc/1e6:.3f} |")
    print(f"\nWhile capturing: {(mc - mo) / mo * 100:+.1f} % of the rate without a capture.")
    print("\nCommand: `GS_EXPORTER_KINDS=\"off capture\" tests/bench/exporter_cost.sh " + f"{runs} {secs}`")
    sys.exit(0)
mn, sn, ln, hn, mmn = summary(on)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"## Exporter cost ({datetime.date.today()}, {os.cpu_count()} vCPU {cpu})\n")
print(f"gs-primary polling net_memif on CPU 0, dpdk-testpmd txonly 64 B from CPU 1; {runs} runs x {secs} s each way, alternating.\n")
print("| gs-stats | primary RX (Mpps), mean ± stdev | min .. max | generator TX refused (ring full) |")
print("|---|---|---|---|")
print(f"| not running | {mo/1e6:.3f} ± {so/1e6:.3f} | {lo/1e6:.3f} .. {ho/1e6:.3f} | {mmo*100:.1f} % |")
print(f"| serving /metrics, scraped every second | {mn/1e6:.3f} ± {sn/1e6:.3f} | {ln/1e6:.3f} .. {hn/1e6:.3f} | {mmn*100:.1f} % |")
diff = (mn - mo) / mo * 100 if mo else 0.0
noise = max(so, sn) / mo * 100 if mo else 0.0
print(f"\nDifference: {diff:+.2f} % of the rate without the exporter; run-to-run spread (largest stdev): {noise:.2f} %.")
print("Within the noise." if abs(mn - mo) <= max(so, sn) else "Larger than the noise.")
print("\nCommand: `tests/bench/exporter_cost.sh " + f"{runs} {secs}`")
PY
