#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Benchmark (not a test): the whole pipeline against the kernel, same run.
#  gsnet:  gs-loadgen (its own DPDK primary, CPU 1) -> net_memif -> gs-primary
#          (CPU 0, polling) -> gs-session/gs-move/gs-combat (CPU 1) -> replies.
#          Offered rates step up until a request is lost: the highest
#          lossless rate is the sustained rate; latency at 10/50/90 % of it;
#          CPU per request = CPU time of every gsnet process during the
#          measured load (gs-loadgen --cpu-of reads their CPU clocks when
#          the load starts and stops) / requests; and the busy cycles of the
#          primary and of each handler (passes that found work, read with
#          gs-stats before and after each step) / messages dispatched: the
#          work per request without the idle polling; then each stage's
#          cycles per request at saturation (see below).
#  kernel: gs-kserver (one thread, recvmmsg/sendmmsg, the same wire protocol
#          and game rules from shared/, CPU 0) on 127.0.0.1 loaded by
#          gs-client players (kernel UDP, CPU 1) with the same kind of mix;
#          CPU per request = the server's CPU time over gs-client's run
#          (it blocks when idle, so start-up costs it nothing) / requests.
# Prints key=value lines for tests/bench/run.sh.
#
#   tests/bench/pipeline.sh [SECONDS per step (3)]
set -u -o pipefail
SECS=${1:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${GS_BUILD_DIR:-$ROOT/build}
WORK=$(mktemp -d /tmp/gsbench_pipe.XXXXXX)
PREFIX=gsbp$$
LG_PREFIX=gsbplg$$
SOCK=$WORK/memif.sock
HZ=$(getconf CLK_TCK)
# gs-loadgen does not speak connect tokens and sends from few addresses at
# far more than a player's rate: the group runs without tokens and limits
# (the dispatch figures measure what auth costs).
OPTS=(-c "$ROOT/deploy/gsnet.ini" -o "eal.file_prefix=$PREFIX" -o auth.mode=open
    -o limits.source_pps=0 -o limits.session_pps=0 -o limits.connect_pps=0
    -o "eal.vdev0=net_memif0,role=server,socket=$SOCK,id=0" -o primary.idle=poll
    -o primary.cpus=0 -o world.max_entities=65536 -o sessions.idle_timeout_ms=60000)
MIX=30:63:7 # what gs-client --fight sends: 10 heartbeats, 20 moves, 1.7 attacks per second
PIDS=()

die() { echo "pipeline: $*" >&2; exit 1; }
stop_all() {
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        kill -CONT "${PIDS[i]}" 2>/dev/null # the stage rounds stop processes
        kill -TERM "${PIDS[i]}" 2>/dev/null
        for _ in $(seq 50); do kill -0 "${PIDS[i]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${PIDS[i]}" 2>/dev/null
        wait "${PIDS[i]}" 2>/dev/null
    done
    PIDS=()
    "$ROOT/deploy/setup.sh" clean-prefix "$PREFIX" >/dev/null 2>&1
    "$ROOT/deploy/setup.sh" clean-prefix "$LG_PREFIX" >/dev/null 2>&1
}
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
wait_for() { for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
# cpu_ticks PID...: utime + stime of the processes, in clock ticks
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }

# --- gsnet ----------------------------------------------------------------------------
# start_group [OPTION...]: gs-primary and the three handlers, with OPTS and these -o options
start_group() {
    local extra=() o h
    for o in "$@"; do extra+=(-o "$o"); done
    "$BUILD/primary/gs-primary" "${OPTS[@]}" "${extra[@]}" >"$WORK/primary.log" 2>&1 &
    PIDS+=($!)
    wait_for "$WORK/primary.log" 'gs-primary ready' 30 || die "gs-primary not ready"
    GS=("${PIDS[0]}")
    for h in session move combat; do
        "$BUILD/secondary/$h/gs-$h" "${OPTS[@]}" "${extra[@]}" -i 0 >"$WORK/$h.log" 2>&1 &
        PIDS+=($!)
        GS+=($!)
        wait_for "$WORK/$h.log" 'attached: instance' 30 || die "gs-$h did not attach"
    done
}
start_group

# loadgen RATE: one run; prints "sent answered lost p50 p90 p99 p999 max cpu_s", cpu_s the
# CPU time of every gsnet process during the measured load exactly (gs-loadgen --cpu-of)
loadgen() {
    "$BUILD/tests/bench/loadgen/gs-loadgen" --vdev "net_memif0,role=client,socket=$SOCK,id=0" \
        --file-prefix "$LG_PREFIX" --lcore-cpu 1 --sessions 1000 --rate "$1" --duration "$SECS" \
        --mix "$MIX" --cpu-of "$(IFS=,; echo "${GS[*]}")" --json --quiet 2>>"$WORK/loadgen.err" |
        /usr/bin/python3 -c 'import json,sys
j = json.loads(sys.stdin.read().strip().splitlines()[-1])
l = j.get("latency_us", {})
print(j["sent"], j["answered"], j["lost"], l.get("p50", 0), l.get("p90", 0), l.get("p99", 0), l.get("p999", 0), l.get("max", 0), j["window_cpu_s"])'
}

# counts: so far, the busy cycles (passes that found work: idle polling excluded),
# messages dispatched and replies sent of the primary's lcores, then the busy cycles and
# messages processed of gs-session, gs-move and gs-combat (every instance summed)
counts() {
    timeout -k 3 20 "$BUILD/secondary/stats/gs-stats" "${OPTS[@]}" --json 2>/dev/null |
        /usr/bin/python3 -c 'import json,sys
j = json.load(sys.stdin)
l = j["lcores"]
h = [sum(x[k] for x in j["handlers"] if x["class"] == c)
     for c in ("session", "move", "combat") for k in ("busy_cycles", "processed")]
print(sum(x["busy_cycles"] for x in l), sum(sum(x["dispatched"].values()) for x in l),
      sum(sum(x["replies"].values()) for x in l), *h)'
}

# residence: the residence buckets so far, every class summed (gs-stats --json), one line
residence() {
    timeout -k 3 20 "$BUILD/secondary/stats/gs-stats" "${OPTS[@]}" --json 2>/dev/null |
        /usr/bin/python3 -c 'import json,sys
r = json.load(sys.stdin)["residence"].values()
print(" ".join(str(sum(v["buckets"][b] for v in r)) for b in range(len(next(iter(r))["buckets"]))))'
}
# residence_pct BEFORE AFTER: p50 and p99 (us) of the replies between two residence lines,
# interpolated within a bucket as gs-stats does, with the buckets' bounds gs-stats gives
residence_pct() {
    timeout -k 3 20 "$BUILD/secondary/stats/gs-stats" "${OPTS[@]}" --json 2>/dev/null |
        /usr/bin/python3 -c 'import json, sys
bounds = json.load(sys.stdin)["residence_bounds_us"]
a, b = [list(map(int, x.split())) for x in sys.argv[1:3]]
c = [y - x for x, y in zip(a, b)]
def q(p):
    rank, below = p * sum(c), 0
    for i, n in enumerate(c):
        lo = bounds[i - 1] if i else 0
        if n and below + n >= rank:
            return lo if bounds[i] is None else lo + (bounds[i] - lo) * (rank - below) / n
        below += n
    return 0
print(f"{q(0.5):.1f} {q(0.99):.1f}")' "$1" "$2"
}

best=0
best_cpu=0
best_busy=""
for rate in 50000 100000 150000 200000 250000 300000 400000 500000 700000 1000000; do
    read -r b0p d0 _ b0s _ b0m _ b0c _ < <(counts) || die "gs-stats --json failed"
    k0=$(awk '{ print $15 }' "/proc/${GS[0]}/stat") # the primary's system time: futex wakes
    read -r sent answered lost p50 p90 p99 p999 max cpu_s < <(loadgen "$rate") || die "gs-loadgen failed at $rate: $(tail -3 "$WORK/loadgen.err")"
    read -r b1p d1 _ b1s _ b1m _ b1c _ < <(counts) || die "gs-stats --json failed"
    k1=$(awk '{ print $15 }' "/proc/${GS[0]}/stat")
    echo "step rate=$rate sent=$sent answered=$answered lost=$lost p50_us=$p50 p99_us=$p99 gsnet_cpu_s=$cpu_s" >&2
    [ "$lost" -eq 0 ] || break
    /usr/bin/python3 -c "import sys; sys.exit(0 if $cpu_s > 0 else 1)" ||
        die "gs-loadgen could not read the gsnet processes' CPU time"
    best=$rate
    # CPU seconds of all gsnet processes per request, in TSC-equivalent cycles later
    best_cpu=$(/usr/bin/python3 -c "print($cpu_s / $sent)")
    # busy cycles per message handled, each part and in all
    best_busy=$(/usr/bin/python3 -c "d = max($d1 - $d0, 1)
p, s, m, c = ($b1p - $b0p) / d, ($b1s - $b0s) / d, ($b1m - $b0m) / d, ($b1c - $b0c) / d
print(f'gsnet_busy_cycles_per_req={p + s + m + c:.1f} gsnet_busy_primary={p:.1f} gsnet_busy_session={s:.1f} gsnet_busy_move={m:.1f} gsnet_busy_combat={c:.1f} gsnet_busy_messages={d}')
print(f'gsnet_primary_sys_s_per_req={($k1 - $k0) / $HZ / d:.3e}')")
done
[ "$best" -gt 0 ] || die "no lossless rate found"
echo "gsnet_sustained_pps=$best"
echo "gsnet_cpu_s_per_req=$best_cpu"
for kv in $best_busy; do echo "$kv"; done
for pct in 10 50 90; do
    r0=$(residence) || die "gs-stats --json failed"
    read -r sent answered lost p50 p90 p99 p999 max _ < <(loadgen $((best * pct / 100))) || die "gs-loadgen failed"
    r1=$(residence) || die "gs-stats --json failed"
    read -r res50 res99 < <(residence_pct "$r0" "$r1")
    echo "gsnet_latency_${pct}pct rate=$((best * pct / 100)) lost=$lost p50_us=$p50 p90_us=$p90 p99_us=$p99 p999_us=$p999 max_us=$max residence_p50_us=$res50 residence_p99_us=$res99"
done
# --- each stage at saturation -----------------------------------------------------------
# What each process costs per request when it cannot keep up (a dedicated core, a queue that
# never empties). Each round puts a backlog of SAT_N requests in front of one stage at a
# time while the others are stopped (SIGSTOP), so every process runs alone on its CPU with
# full bursts: gs-loadgen --backlog writes the requests into the memif ring while every
# gsnet process is stopped; gs-primary alone takes them (RX, parse, checks, dispatch into
# the handlers' rings); then each handler alone drains its ring into its reply ring, the
# primary stopped; then the primary alone frames and sends those replies. A stage's figure
# is its busy cycles over its messages (gs-stats before and after), median of SAT_ROUNDS.
# The rings hold the whole backlog and the handlers may be stopped for 60 s unnoticed. The
# primary sleeps when idle (idle = wake): a stop must land in its sleep, not inside a pass,
# which would then count the time it was stopped as its work when it finds the backlog.
SAT_N=12288
SAT_ROUNDS=${GS_SAT_ROUNDS:-5}
# stable TRIES COMMAND...: run COMMAND every 0.2 s until two outputs in a row agree (the
# running stage has finished its backlog), at most TRIES times; prints the last output
stable() {
    local tries=$1 a b
    shift
    b=$("$@") || return 1
    for _ in $(seq "$tries"); do
        sleep 0.2
        a=$b
        b=$("$@") || return 1
        [ "$a" = "$b" ] && { echo "$b"; return 0; }
    done
    return 1
}
# sat_round: one round; prints the snapshots before, after the primary's RX and after each
# handler's replies were sent, separated by |
sat_round() {
    local lg s0 s1 out i
    "$BUILD/tests/bench/loadgen/gs-loadgen" --vdev "net_memif0,role=client,socket=$SOCK,id=0" \
        --file-prefix "$LG_PREFIX" --lcore-cpu 1 --sessions 1000 --backlog "$SAT_N" \
        --mix "$MIX" --json --quiet >"$WORK/backlog.json" 2>"$WORK/backlog.err" &
    lg=$!
    wait_for "$WORK/backlog.err" 'backlog ready' 60 || { kill "$lg"; return 1; }
    s0=$(stable 30 counts) || return 1
    kill -STOP "${GS[@]}"
    kill -USR1 "$lg"
    sleep 0.5 # gs-loadgen fills the memif ring
    kill -CONT "${GS[0]}"
    s1=$(stable 30 counts) || return 1
    out="$s0|$s1"
    for i in 1 2 3; do
        kill -STOP "${GS[0]}"
        kill -CONT "${GS[i]}"
        stable 50 cpu_ticks "${GS[i]}" >/dev/null || return 1
        kill -STOP "${GS[i]}"
        kill -CONT "${GS[0]}"
        out="$out|$(stable 30 counts)" || return 1
    done
    kill -CONT "${GS[@]}"
    wait_for "$WORK/backlog.err" 'backlog answered' 30 || { kill "$lg"; return 1; }
    kill -USR1 "$lg"
    wait "$lg" || { echo "pipeline: backlog round lost requests: $(cat "$WORK/backlog.json")" >&2; return 1; }
    echo "$out"
}
stop_all
start_group rings.size=16384 primary.handler_timeout_ms=60000 primary.idle=wake
SAT=()
for r in $(seq "$SAT_ROUNDS"); do
    SAT+=("$(sat_round)") || die "stage round $r failed"
    echo "sat round $r: ${SAT[-1]}" >&2
done
/usr/bin/python3 - "${SAT[@]}" <<'PY'
import statistics, sys
keys = ("primary_rx", "primary_reply", "session", "move", "combat", "sum")
per = {k: [] for k in keys}
for r in sys.argv[1:]:
    s = [list(map(int, x.split())) for x in r.split("|")]
    # columns: 0 primary busy, 1 dispatched, 2 replies, 3/4 session busy/processed,
    # 5/6 move, 7/8 combat
    n = s[1][1] - s[0][1]
    per["primary_rx"].append((s[1][0] - s[0][0]) / n)
    reply_busy = reply_n = 0
    handlers = 0
    for i, (name, col) in enumerate((("session", 3), ("move", 5), ("combat", 7)), start=2):
        busy, done = s[i][col] - s[i - 1][col], s[i][col + 1] - s[i - 1][col + 1]
        per[name].append(busy / max(done, 1))
        handlers += busy
        reply_busy += s[i][0] - s[i - 1][0]
        reply_n += s[i][2] - s[i - 1][2]
    per["primary_reply"].append(reply_busy / max(reply_n, 1))
    per["sum"].append((s[4][0] - s[0][0] + handlers) / n)
print(f"sat_requests={n}")
for k in keys:
    print(f"sat_{k}={statistics.median(per[k]):.1f}")
PY
stop_all

# --- the kernel ---------------------------------------------------------------------------
"$BUILD/tests/bench/kserver/gs-kserver" --bind 127.0.0.1:17777 --cpu 0 --quiet \
    >"$WORK/kserver.log" 2>&1 &
KS=$!
PIDS+=("$KS")
sleep 0.3
kbest=0
kbest_cpu=0
for players in 250 500 1000 2000 4000; do
    t0=$(cpu_ticks "$KS")
    taskset -c 1 "$BUILD/client/gs-client" --server 127.0.0.1:17777 --players "$players" \
        --duration "$SECS" --fight --json --quiet >"$WORK/kclient.json" 2>/dev/null
    t1=$(cpu_ticks "$KS")
    read -r sent lost < <(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["sent"], j["lost"])' "$WORK/kclient.json")
    rate=$((sent / SECS))
    echo "kstep players=$players rate=$rate sent=$sent lost=$lost" >&2
    [ "$lost" -eq 0 ] || break
    kbest=$rate
    kbest_cpu=$(/usr/bin/python3 -c "print(($t1 - $t0) / $HZ / $sent)")
done
echo "kernel_sustained_pps=$kbest"
echo "kernel_cpu_s_per_req=$kbest_cpu"
