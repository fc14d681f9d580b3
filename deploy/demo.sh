#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gsnet in one command (as root): set the machine up, build, start the group
# on the default config (deploy/gsnet.ini: prefix gsnet, tap interface gs0,
# server 198.18.0.2:7777) with gs-session, gs-move, gs-combat and gs-replicate, run 50
# players from a network namespace for 20 s (they walk to a partner and fight,
# and now and then cheat, and see each other), print what happened, how many
# others each player saw, and the world, compare the
# same players' heartbeat RTT against a plain kernel UDP server (gs-kserver
# through a veth), tear everything down and check that nothing is left.
#
#   deploy/demo.sh [--players N] [--duration SEC] [--scenario heartbeat|move|fight] [--no-setup]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PLAYERS=50
DURATION=20
SETUP=1
SCENARIO=fight
while [ $# -gt 0 ]; do
    case $1 in
    --scenario) SCENARIO=$2; shift 2 ;;
    --players) PLAYERS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --no-setup) SETUP=0; shift ;;
    -h | --help) sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done

case $SCENARIO in
heartbeat) SCENARIO_ARGS=() ;;
move) SCENARIO_ARGS=(--move --cheat-every 20) ;;
fight) SCENARIO_ARGS=(--fight --speed 15 --cheat-every 20) ;;
*) echo "demo: --scenario is heartbeat, move or fight" >&2; exit 2 ;;
esac

CONFIG=deploy/gsnet.ini
BUILD=build
PREFIX=gsnet
IFACE=gs0
NS=gsdemo
SERVER=198.18.0.2
CLIENT_ADDR=198.18.0.1/24
PORT=7777
HUGE_DIR=${GSNET_HUGE_DIR:-/dev/hugepages}
PRIMARY=$BUILD/primary/gs-primary
SESSION=$BUILD/secondary/session/gs-session
MOVE=$BUILD/secondary/move/gs-move
COMBAT=$BUILD/secondary/combat/gs-combat
REPLICATE=$BUILD/secondary/replicate/gs-replicate
CTL=$BUILD/secondary/ctl/gs-ctl
CLIENT=$BUILD/client/gs-client
KSERVER=$BUILD/tests/bench/kserver/gs-kserver
VETH=gsdemo-v
TOKEN=$BUILD/client/gs-token

say() { printf '\n== %s\n' "$*"; }
die() {
    printf 'demo: error: %s\n' "$*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (hugepages, tap interface, network namespace)"

if [ "$SETUP" -eq 1 ]; then
    say "setup: packages, hugepages, build"
    ./deploy/setup.sh deps
    ./deploy/setup.sh hugepages
    ./deploy/setup.sh build "$BUILD"
fi
for b in "$PRIMARY" "$SESSION" "$MOVE" "$COMBAT" "$REPLICATE" "$CTL" "$CLIENT" "$TOKEN"; do
    [ -x "$b" ] || die "$b is not built (deploy/setup.sh build)"
done

# Refuse to disturb a group that is running; clean what a crashed one left.
holders=$(./deploy/setup.sh holders "$PREFIX")
[ -z "$holders" ] || die "a gsnet group with prefix '$PREFIX' is running (pids $holders): stop it first"
! ip link show "$IFACE" >/dev/null 2>&1 || die "interface $IFACE exists: is another demo running?"
if ip netns list | grep -qw "^$NS"; then
    echo "demo: removing the namespace $NS left by an earlier run"
    ip netns del "$NS"
fi
./deploy/setup.sh clean-prefix "$PREFIX"

LOGS=$(mktemp -d /tmp/gsdemo.XXXXXX)
PIDS=()

# stop PID: SIGTERM, then SIGKILL after 10 s; returns the exit status.
stop() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "demo: pid $pid ignored SIGTERM: SIGKILL"
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null
}

teardown() {
    local rc=$? i left=0 procs files pid cmd f
    trap - EXIT INT TERM
    set +e
    say "teardown"
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop "${PIDS[i]}"
    done
    ip netns del "$NS" 2>/dev/null
    ip link del "$VETH" 2>/dev/null
    ./deploy/setup.sh clean-prefix "$PREFIX" >/dev/null

    say "check: nothing is left"
    # gs-* processes of this group: those holding its files, those running
    # with the default prefix (no eal.file_prefix override), clients left in
    # the namespace. Groups with other prefixes (tests) are not the demo's.
    procs=$(./deploy/setup.sh holders "$PREFIX" | tr '\n' ' ')
    for pid in $(pgrep '^gs-'); do
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
        case "$(cat "/proc/$pid/comm" 2>/dev/null) $cmd " in
        gs-client*) [ "$(ip netns identify "$pid" 2>/dev/null)" = "$NS" ] || continue ;;
        *" eal.file_prefix=$PREFIX "*) ;;
        *eal.file_prefix=*) continue ;;
        esac
        procs+="$pid "
    done
    if [ -z "${procs// /}" ]; then
        echo "  ok  no gs-* process of the demo (prefix $PREFIX)"
    else
        echo "  BAD processes left: $(for p in $procs; do printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"; done)"
        left=1
    fi
    if ip netns list | grep -qw "^$NS"; then
        echo "  BAD netns $NS still exists"
        left=1
    else
        echo "  ok  no netns $NS"
    fi
    files=$(find "$HUGE_DIR" -maxdepth 1 -name "${PREFIX}map_*" 2>/dev/null | wc -l)
    if [ "$files" -eq 0 ]; then
        echo "  ok  no $HUGE_DIR/${PREFIX}map_* files"
    else
        echo "  BAD $files hugepage files $HUGE_DIR/${PREFIX}map_* left"
        left=1
    fi
    if [ -e "/var/run/dpdk/$PREFIX" ]; then
        echo "  BAD /var/run/dpdk/$PREFIX still exists"
        left=1
    else
        echo "  ok  no /var/run/dpdk/$PREFIX"
    fi
    if [ "$rc" -ne 0 ]; then
        echo "demo: FAILED (rc $rc); logs in $LOGS:"
        for f in "$LOGS"/*.log; do
            [ -f "$f" ] || continue
            printf '\n----- %s (last 30 lines) -----\n' "$(basename "$f")"
            tail -n 30 "$f"
        done
    elif [ "$left" -ne 0 ]; then
        echo "demo: something was left behind (logs in $LOGS)"
        rc=1
    else
        rm -rf "$LOGS"
        echo "demo: done"
    fi
    exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_log FILE PATTERN TIMEOUT_S PID: poll a log line; fail if PID exits.
wait_log() {
    local deadline=$((SECONDS + $3))
    until grep -qE -- "$2" "$1" 2>/dev/null; do
        kill -0 "$4" 2>/dev/null || die "$(basename "$1" .log) exited: $(tail -n 5 "$1")"
        [ "$SECONDS" -lt "$deadline" ] || die "no '$2' in $1 after $3 s"
        sleep 0.1
    done
}

LIMIT=$((DURATION + 120))
# The demo's own server key: players connect with connect tokens sealed
# under it ([auth] mode = token); gs-client mints them as the game's backend
# would (gs-token mint is that tool).
say "gs-token keygen: a server key for this run"
"$TOKEN" keygen "$LOGS/server.key"
AUTH=(-o "auth.key_file=$LOGS/server.key")

say "gs-primary -c $CONFIG (prefix $PREFIX, tap $IFACE, $SERVER:$PORT)"
timeout -k 5 "$LIMIT" stdbuf -oL -eL "$PRIMARY" -c "$CONFIG" "${AUTH[@]}" >"$LOGS/primary.log" 2>&1 </dev/null &
PIDS+=($!)
wait_log "$LOGS/primary.log" 'gs-primary ready' 30 "${PIDS[0]}"
grep -a 'gs-primary ready' "$LOGS/primary.log"

say "network namespace $NS: $IFACE with $CLIENT_ADDR"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip link set "$IFACE" netns "$NS"
ip -n "$NS" addr add "$CLIENT_ADDR" dev "$IFACE"
ip -n "$NS" link set "$IFACE" up
ip -n "$NS" -brief addr show dev "$IFACE"

# handler NAME BINARY: start instance 0 of a handler and wait for it to attach.
handler() {
    say "$1"
    timeout -k 5 "$LIMIT" stdbuf -oL -eL "$2" -c "$CONFIG" "${AUTH[@]}" >"$LOGS/$1.log" 2>&1 </dev/null &
    PIDS+=($!)
    wait_log "$LOGS/$1.log" "$1 attached" 30 "${PIDS[-1]}"
    grep -a "$1 attached" "$LOGS/$1.log"
}
handler gs-session "$SESSION"
handler gs-move "$MOVE"
handler gs-combat "$COMBAT"
handler gs-replicate "$REPLICATE"

say "ping $SERVER from $NS (ARP and ICMP answered by gs-primary)"
timeout -k 2 15 ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 "$SERVER"

say "gs-client: $PLAYERS players for $DURATION s from $NS (scenario $SCENARIO: ${SCENARIO_ARGS[*]})"
set +e
timeout -k 5 $((DURATION + 30)) ip netns exec "$NS" "$ROOT/$CLIENT" --server "$SERVER:$PORT" \
    --key-file "$LOGS/server.key" \
    --players "$PLAYERS" --duration "$DURATION" --views "${SCENARIO_ARGS[@]}" 2>&1 | tee "$LOGS/client.log"
client_rc=${PIPESTATUS[0]}
set -e

say "gs-ctl status: the handlers, read from shared memory"
"$CTL" -c "$CONFIG" status 2>/dev/null
say "gs-ctl world --all: the first entities (positions, HP)"
"$CTL" -c "$CONFIG" world --all >"$LOGS/world.txt" 2>/dev/null || echo "demo: gs-ctl world failed"
head -n 10 "$LOGS/world.txt"

# heartbeats only, 5 s: the same players against gsnet now, against the kernel below
RTT_S=5
rtt_p50() { sed -n 's/^gs-client: players=.* rtt_us p50=\([0-9.]*\) .*/\1/p' "$1" | tail -n 1; }
say "the same $PLAYERS players, heartbeats only for $RTT_S s: gsnet"
timeout -k 5 $((RTT_S + 30)) ip netns exec "$NS" "$ROOT/$CLIENT" --server "$SERVER:$PORT" \
    --key-file "$LOGS/server.key" --players "$PLAYERS" --duration "$RTT_S" --quiet \
    >"$LOGS/rtt_gsnet.log" 2>&1 || echo "demo: gs-client (gsnet RTT) exited with $?"
grep -a '^gs-client: players=' "$LOGS/rtt_gsnet.log" | sed 's/^/  /'

say "stop: the handlers, then gs-primary"
for ((i = ${#PIDS[@]} - 1; i >= 1; i--)); do
    stop "${PIDS[i]}" || echo "demo: a handler exited with $?"
done
stop "${PIDS[0]}" || echo "demo: gs-primary exited with $?"
PIDS=()

# the kernel's path for the same players: a veth into the namespace, gs-kserver
# (one thread, kernel UDP sockets, the same protocol and rules; no tokens)
say "the same players against gs-kserver (kernel UDP) through a veth"
KRTT=""
if [ -x "$KSERVER" ] && ip link add "$VETH" type veth peer name "${VETH}n" 2>/dev/null; then
    ip link set "${VETH}n" netns "$NS"
    ip addr add 198.19.0.2/24 dev "$VETH"
    ip link set "$VETH" up
    ip -n "$NS" addr add 198.19.0.1/24 dev "${VETH}n"
    ip -n "$NS" link set "${VETH}n" up
    "$KSERVER" --bind 198.19.0.2:7777 --quiet >"$LOGS/kserver.log" 2>&1 &
    PIDS+=($!)
    sleep 0.5
    timeout -k 5 $((RTT_S + 30)) ip netns exec "$NS" "$ROOT/$CLIENT" --server 198.19.0.2:7777 \
        --players "$PLAYERS" --duration "$RTT_S" --quiet >"$LOGS/rtt_kernel.log" 2>&1 ||
        echo "demo: gs-client (kernel RTT) exited with $?"
    grep -a '^gs-client: players=' "$LOGS/rtt_kernel.log" | sed 's/^/  /'
    stop "${PIDS[0]}" || true
    PIDS=()
    ip link del "$VETH" 2>/dev/null
    KRTT=$(rtt_p50 "$LOGS/rtt_kernel.log")
else
    echo "  (gs-kserver not built, or no veth: skipped)"
fi

say "results"
echo "client summary:"
grep -a '^gs-client: players=' "$LOGS/client.log" | sed 's/^/  /' || echo "  (no summary line)"
echo "primary stats:"
grep -a 'gs-primary stats:' "$LOGS/primary.log" | tail -n 1 | sed 's/^.*gs-primary stats: //' |
    tr ' ' '\n' | grep -v '=0$' | paste -sd' ' | fold -s -w 96 | sed 's/^/  /'
echo "  (counters that are 0 are not shown)"
GRTT=$(rtt_p50 "$LOGS/rtt_gsnet.log")
if [ -n "$GRTT" ] && [ -n "$KRTT" ]; then
    awk -v g="$GRTT" -v k="$KRTT" -v n="$PLAYERS" 'BEGIN {
        printf "RTT p50 of the same %d players: gsnet %.0f us, kernel UDP server (gs-kserver, veth) %.0f us: gsnet/kernel %.2fx\n", n, g, k, g / k }'
fi
[ "$client_rc" -eq 0 ] || die "gs-client exited with $client_rc (lost or failed sessions)"
