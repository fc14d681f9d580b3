#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The comparison a user makes, in one run: the same players (gs-client in a
# network namespace, N players heartbeating every INTERVAL ms) against
#   wake     gsnet with its default settings (idle = wake) through a tap
#   poll     gsnet with idle = poll (primary on CPU 0, handlers on CPU 1)
#   kserver  gs-kserver (kernel UDP sockets, the same protocol) through a veth
#   kserver_x  the same, with gs-kserver on CPU 0 and the players on CPU 1:
#            every request and reply wakes a process on the other vCPU, as
#            gsnet's pinned processes (primary CPU 0, handlers CPU 1) must;
#            unpinned, the scheduler runs gs-kserver on its players' CPU
# taken in turn, ROUNDS times (this VM's figures move minute to minute: the
# median over rounds is printed, and ratios against gs-kserver of the same
# run). gsnet runs in [auth] mode = open here, as gs-kserver has no tokens;
# heartbeats need gs-primary and gs-session only, so that with idle = poll
# each polls its own CPU (a third poller would share one and time-slice).
# Also: gsnet's residence time (its own share of the RTT) from gs-stats, and
# the CPU the idle group (gs-primary, gs-session) burns in IDLE_S seconds
# under each idle policy. Prints a markdown table.
#
#   tests/bench/rtt.sh [ROUNDS]       (as root; GS_BUILD_DIR, default build/)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${GS_BUILD_DIR:-$ROOT/build}
ROUNDS=${1:-3}
PLAYERS=${GS_RTT_PLAYERS:-10}
INTERVAL=${GS_RTT_INTERVAL_MS:-20}
DURATION=${GS_RTT_SECONDS:-5}
IDLE_S=${GS_RTT_IDLE_SECONDS:-3}
NS=gsrtt$$
TAP=gsrtt$$
VETH=gsrv$$
PREFIX=gsrtt$$
CONFIG=$ROOT/deploy/gsnet.ini
WORK=$(mktemp -d /tmp/gsrtt.XXXXXX)
PIDS=()

[ "$(id -u)" -eq 0 ] || { echo "rtt: run as root" >&2; exit 1; }
for b in primary/gs-primary secondary/session/gs-session secondary/move/gs-move \
    secondary/stats/gs-stats client/gs-client tests/bench/kserver/gs-kserver; do
    [ -x "$BUILD/$b" ] || { echo "rtt: $BUILD/$b not built" >&2; exit 1; }
done

stop_all() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        timeout 15 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
    done
    PIDS=()
}
cleanup() {
    stop_all
    ip netns del "$NS" 2>/dev/null || true
    ip link del "$VETH" 2>/dev/null || true
    "$ROOT/deploy/setup.sh" clean-prefix "$PREFIX" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
# the kernel's path: a veth pair, 198.19.0.2 (host) <-> 198.19.0.1 (namespace)
ip link add "$VETH" type veth peer name "${VETH}n"
ip link set "${VETH}n" netns "$NS"
ip addr add 198.19.0.2/24 dev "$VETH"
ip link set "$VETH" up
ip -n "$NS" addr add 198.19.0.1/24 dev "${VETH}n"
ip -n "$NS" link set "${VETH}n" up

OPTS=(-c "$CONFIG" -o auth.mode=open -o "eal.file_prefix=$PREFIX" -o "eal.vdev0=net_tap0,iface=$TAP"
    -o net.ip=198.18.0.2 -o world.max_entities=65536)

cpu_ticks() { # the utime + stime of pids, in clock ticks
    local t=0 p
    for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
    echo "$t"
}

# group MODE: start gs-primary and gs-session with idle = MODE; sets GROUP
group() {
    local mode=$1 extra=() i
    extra=(-o "primary.idle=$mode" -o "class.session.idle=$mode")
    for ((i = 0; i < 100; i++)); do # the last group's tap is gone
        ip -n "$NS" link show "$TAP" >/dev/null 2>&1 || break
        sleep 0.1
    done
    "$BUILD/primary/gs-primary" "${OPTS[@]}" "${extra[@]}" >"$WORK/primary.log" 2>&1 &
    PIDS+=($!)
    GROUP=($!)
    for ((i = 0; i < 300; i++)); do
        grep -q 'gs-primary ready' "$WORK/primary.log" && break
        sleep 0.1
    done
    # the last group's tap is gone (above): this one's is new, in the host's namespace
    if ! grep -q 'gs-primary ready' "$WORK/primary.log" || [ ! -e "/sys/class/net/$TAP" ]; then
        echo "rtt: gs-primary did not start" >&2
        cat "$WORK/primary.log" >&2
        exit 1
    fi
    ip link set "$TAP" netns "$NS"
    ip -n "$NS" addr add 198.18.0.1/24 dev "$TAP"
    ip -n "$NS" link set "$TAP" up
    "$BUILD/secondary/session/gs-session" "${OPTS[@]}" "${extra[@]}" -i 0 >"$WORK/session.log" 2>&1 &
    PIDS+=($!)
    GROUP+=($!)
    for ((i = 0; i < 300; i++)); do
        grep -q 'attached: instance' "$WORK/session.log" && break
        sleep 0.1
    done
}

pin() { # pin CPU: sets PIN to the command prefix that holds a command on CPU ("": none)
    PIN=()
    if [ -n "$1" ]; then PIN=(taskset -c "$1"); fi
}

players() { # players SERVER OUT [CPU]: gs-client's JSON summary (on CPU, if given)
    pin "${3:-}"
    "${PIN[@]}" ip netns exec "$NS" "$BUILD/client/gs-client" --server "$1" --players "$PLAYERS" \
        --interval "$INTERVAL" --duration "$DURATION" --quiet --json >"$2" 2>/dev/null
}

run_gsnet() { # run_gsnet MODE ROUND
    local mode=$1 r=$2 t0 t1
    group "$mode"
    sleep 1
    t0=$(cpu_ticks "${GROUP[@]}")
    sleep "$IDLE_S"
    t1=$(cpu_ticks "${GROUP[@]}")
    echo "$mode $r idle_cpu_pct $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$IDLE_S" \
        'BEGIN { printf "%.1f", t * 100 / hz / s }')" >>"$WORK/figures"
    players 198.18.0.2:7777 "$WORK/$mode.$r.json"
    "$BUILD/secondary/stats/gs-stats" "${OPTS[@]}" --json >"$WORK/$mode.$r.stats.json" 2>/dev/null
    stop_all
}

run_kserver() { # run_kserver ROUND [MODE SERVER_CPU PLAYERS_CPU]
    local mode=${2:-kserver}
    # a simple command, so that $! is gs-kserver itself (taskset execs it): a function run in
    # the background would be a subshell, and stopping it would leave gs-kserver running
    pin "${3:-}"
    "${PIN[@]}" "$BUILD/tests/bench/kserver/gs-kserver" --bind 198.19.0.2:7777 --quiet \
        >"$WORK/kserver.log" 2>&1 &
    PIDS+=($!)
    sleep 0.5
    if ! kill -0 "$!" 2>/dev/null; then # not bound: the players would measure someone else
        echo "rtt: gs-kserver did not start: $(cat "$WORK/kserver.log")" >&2
        exit 1
    fi
    players 198.19.0.2:7777 "$WORK/$mode.$1.json" "${4:-}"
    stop_all
}

for ((r = 0; r < ROUNDS; r++)); do
    run_gsnet wake "$r"
    run_kserver "$r"
    run_gsnet poll "$r"
    run_kserver "$r" kserver_x 0 1
done

/usr/bin/python3 - "$WORK" "$ROUNDS" "$PLAYERS" "$INTERVAL" "$DURATION" "$IDLE_S" <<'PY'
import json, statistics, sys
work, rounds, players, interval, duration, idle_s = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
med = statistics.median

def client(mode, key):
    return med(json.load(open(f"{work}/{mode}.{r}.json"))["rtt_us"][key] for r in range(rounds))

def lost(mode):
    return sum(json.load(open(f"{work}/{mode}.{r}.json"))["lost"] for r in range(rounds))

def residence(mode, key):
    v = [json.load(open(f"{work}/{mode}.{r}.stats.json"))["residence"]["session"][key] for r in range(rounds)]
    return med(v)

idle = {}
for line in open(f"{work}/figures"):
    mode, r, _, pct = line.split()
    idle.setdefault(mode, []).append(float(pct))

k50, k99 = client("kserver", "p50"), client("kserver", "p99")
print(f"RTT of {players} players, a heartbeat every {interval} ms for {duration} s, from a network "
      f"namespace; median of {rounds} rounds taken in turn (`tests/bench/rtt.sh {rounds}`)")
print()
print("| server | RTT p50 | RTT p99 | p50 / gs-kserver's | gsnet residence p50 / p99 (session) | idle group CPU | replies lost |")
print("|---|---|---|---|---|---|---|")
for mode, name in (("wake", "gsnet, default (`idle = wake`), tap"),
                   ("poll", "gsnet, `idle = poll`, tap"),
                   ("kserver", "gs-kserver (kernel UDP), veth"),
                   ("kserver_x", "gs-kserver, veth, server CPU 0 / players CPU 1")):
    p50, p99 = client(mode, "p50"), client(mode, "p99")
    res = f"{residence(mode, 'p50_us'):.1f} / {residence(mode, 'p99_us'):.1f} µs" if mode in idle else "—"
    cpu = f"{med(idle[mode])} % of a core" if mode in idle else "—"
    print(f"| {name} | {p50:.0f} µs | {p99:.0f} µs | {p50 / k50:.2f}x | {res} | {cpu} | {lost(mode)} |")
print()
print(f"gsnet default p50 / poll p50: {client('wake', 'p50') / client('poll', 'p50'):.2f}x")
print(f"gsnet default p50 / gs-kserver's with server and players on different CPUs: "
      f"{client('wake', 'p50') / client('kserver_x', 'p50'):.2f}x")
PY
