#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# Chaos: players move and fight at a steady rate while the test kills -9
# handler instances at random moments and restarts them, at least 17 times
# per class (51 or more kills), one class per round. Afterwards: the port was
# started once and its RX counter only grew; no process hung (every restart
# attached, every instance runs with a fresh heartbeat); the mempool's in-use
# count is back to its idle value exactly; the primary never found a ring
# full or a reply invalid; and in each round the classes not being killed
# answered every message (only the killed class lost any).
# 51 restarts of handlers take a while on a slow or sanitizer build: a longer
# limit than the other tests (ctest gives it 240 s, tests/CMakeLists.txt)
GS_TEST_TIMEOUT=${GS_TEST_TIMEOUT:-190}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 600
gs_require_cmd ip dpdk-proc-info /usr/bin/python3
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_COMBAT" "$GS_CTL" "$GS_CLIENT"

KILLS_PER_CLASS=${GS_CHAOS_KILLS:-17}
SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
gs_prefix
IFACE=gsch$$
NS=gsch$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o world.max_entities=65536 -o "world.spawn0=0,0,0"
    -o world.spawn1= -o world.spawn2= -o world.spawn3= -o world.respawn_ms=500
    -o sessions.idle_timeout_ms=30000)
declare -A BIN=([session]=$GS_SESSION [move]=$GS_MOVE [combat]=$GS_COMBAT)
declare -A INSTANCES=([session]=1 [move]=2 [combat]=2)
declare -A CUR=() # "class instance" -> name of the running process
SEQ=0
TOTAL_KILLS=0
START_MAX=0 # the slowest attach seen (gs-session's takes longest)

ctl() { timeout -k 3 20 "$GS_CTL" "${OPTS[@]}" "$@" 2>>"$GS_WORK/ctl.err"; }

# start_handler CLASS INSTANCE: start it and wait until it attached (bounded).
start_handler() {
    local name=${1}${2}_$((SEQ++))
    START_MS=$(date +%s%3N)
    gs_start "$name" "$name.log" "${BIN[$1]}" "${OPTS[@]}" -i "$2"
    gs_wait_log "$name.log" 'attached: instance' 10 "$name" ||
        gs_fail "$1 instance $2 did not attach within 10 s (hung?)"
    CUR["$1 $2"]=$name
    START_MS=$(($(date +%s%3N) - START_MS))
    [ "$START_MS" -le "$START_MAX" ] || START_MAX=$START_MS
}

port_rx() {
    timeout -k 3 30 dpdk-proc-info --no-pci --file-prefix="$GS_PREFIX" -- --stats 2>/dev/null |
        sed -n 's/^ *RX-packets: *\([0-9][0-9]*\) .*/\1/p' | head -n 1
}

mbufs_in_use() {
    ctl status | sed -n 's/^mbufs: \([0-9]*\) in use.*/\1/p'
}

gs_group_up "${OPTS[@]}"
for c in session move combat; do
    for ((i = 0; i < INSTANCES[$c]; i++)); do start_handler "$c" "$i"; done
done
# a round lasts as long as its kills take on this build (sanitizers start slower), by the
# slowest class to attach; a restart after kill -9 also waits for the dead one's retirement
# (gs-session's took up to 1.05 s a kill where a first attach took 350 ms)
ROUND_S=$((3 + (KILLS_PER_CLASS * (START_MAX * 2 + 500) + 999) / 1000))
gs_log "handlers attach in up to $START_MAX ms: rounds of $ROUND_S s"
sleep 0.5
BASE_MBUFS=$(mbufs_in_use)
[ -n "$BASE_MBUFS" ] || gs_fail "gs-ctl status shows no mbuf count"
gs_log "idle mbufs in use: $BASE_MBUFS"
RX_PREV=$(port_rx)
gs_check "port RX-packets readable" "${RX_PREV:-0}" -ge 0

for victim in move combat session; do
    gs_log "round: kill -9 $victim instances while 16 players fight for $ROUND_S s"
    timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" --players 16 \
        --duration "$ROUND_S" --fight --attack-ms 300 --quiet --json \
        >"$GS_WORK/client_$victim.json" 2>"$GS_WORK/client_$victim.err" &
    CLIENT_PID=$!
    sleep 1.5 # every player connected and playing
    t_end=$((SECONDS + ROUND_S - 2))
    for ((k = 0; k < KILLS_PER_CLASS; k++)); do
        [ "$SECONDS" -lt "$t_end" ] || gs_fail "only $k kills of $victim fit in the round"
        i=$((RANDOM % INSTANCES[$victim]))
        gs_kill9 "${CUR["$victim $i"]}"
        TOTAL_KILLS=$((TOTAL_KILLS + 1))
        sleep "0.$((RANDOM % 2))$((RANDOM % 10))" # down for 0 .. 0.2 s before the restart
        start_handler "$victim" "$i"
        sleep "0.0$((RANDOM % 10))"
    done
    wait "$CLIENT_PID"
    J=$GS_WORK/client_$victim.json
    lost() { /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$J" "$1"; }
    gs_check "$victim round: players connected" "$(lost 'j["connected"]')" -eq 16
    [ "$victim" = session ] || gs_check "$victim round: heartbeats lost" "$(lost 'j["heartbeats"]["lost"]')" -eq 0
    [ "$victim" = move ] || gs_check "$victim round: moves lost" "$(lost 'j["moves"]["lost"]')" -eq 0
    [ "$victim" = combat ] || gs_check "$victim round: attacks lost" "$(lost 'j["combat"]["lost"]')" -eq 0
    gs_check "$victim round: moves answered" "$(lost 'j["moves"]["acked"]')" -gt 0
    gs_log "$victim round: lost heartbeats $(lost 'j["heartbeats"]["lost"]'), moves $(lost 'j["moves"]["lost"]'), attacks $(lost 'j["combat"]["lost"]')"
    RX=$(port_rx)
    gs_check "port RX-packets after the $victim round (was $RX_PREV)" "${RX:-0}" -gt "$RX_PREV"
    RX_PREV=$RX
done
gs_check "kills" "$TOTAL_KILLS" -ge 51

sleep 0.5
ctl status >"$GS_WORK/status.log" || gs_fail "gs-ctl status exited with $?"
gs_log "$(head -n 3 "$GS_WORK/status.log" | tr '\n' ' ')"
gs_check "ports started" "$(sed -n 's/.*ports started \([0-9]*\).*/\1/p' "$GS_WORK/status.log")" -eq 1
gs_check "mbufs in use, back to idle ($BASE_MBUFS)" "$(mbufs_in_use)" -eq "$BASE_MBUFS"
for c in session move combat; do
    for ((i = 0; i < INSTANCES[$c]; i++)); do
        line=$(awk -v c="$c" -v i="$i" '$1 == c && $2 == i' "$GS_WORK/status.log")
        [ "$(echo "$line" | awk '{ print $3 }')" = running ] || gs_fail "$c $i is not running: $line"
        age=$(echo "$line" | awk '{ print $7 }')
        gs_check "$c $i heartbeat age (ms)" "${age:-999}" -lt 100
    done
done
gs_alive primary || gs_fail "gs-primary died"
NAMES=()
for k in "${!CUR[@]}"; do NAMES+=("${CUR[$k]}"); done
gs_stop_group "${NAMES[@]}"
gs_check_stat primary.log drop_ring_full -eq 0
gs_check_stat primary.log drop_reply_invalid -eq 0
gs_check_stat primary.log drop_tx_nombuf -eq 0
gs_check_stat primary.log drop_handler_down -gt 0
gs_checks_done
gs_pass
