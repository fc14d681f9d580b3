#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# Crash safety over a secondary's whole life: at least 100 kill -9s of
# gs-ctl, gs-stats and every handler class of the default config (session,
# move, combat, replicate) at random instants — inside rte_eal_init (the
# memory attach), while attached, and while exiting (after SIGTERM, inside the
# EAL's detach) — against a running group. Afterwards a new instance of every
# class attaches within 10 s, 10 players are served with nothing lost and see
# each other, gs-ctl and gs-stats still answer, and the primary stops within
# its bound and leaves no runtime file behind.
GS_TEST_TIMEOUT=${GS_TEST_TIMEOUT:-170}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 600
gs_require_cmd ip /usr/bin/python3
GS_REPLICATE=${GS_REPLICATE:-$(gs_bin gs-replicate secondary/replicate/gs-replicate)}
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_COMBAT" "$GS_REPLICATE" "$GS_CTL" "$GS_STATS" "$GS_CLIENT"

KILLS=${GS_CRASH_KILLS:-100}
SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
gs_prefix
IFACE=gscr$$
NS=gscr$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o world.max_entities=65536 -o "world.spawn0=0,0,0"
    -o world.spawn1= -o world.spawn2= -o world.spawn3= -o sessions.idle_timeout_ms=30000)
declare -A BIN=([session]=$GS_SESSION [move]=$GS_MOVE [combat]=$GS_COMBAT [replicate]=$GS_REPLICATE)
SEQ=0

gs_start primary primary.log "$GS_PRIMARY" "${OPTS[@]}"
gs_wait_log primary.log 'gs-primary ready' 30 primary || gs_fail "gs-primary not ready"
gs_quiet_tap_ns "$NS" "$IFACE" "$CLIENT/24"

# victim KIND: start one secondary of KIND and kill -9 it at a random instant
# of its life; a handler is sometimes asked to stop first, so that the kill
# lands in its exit.
victim() {
    local kind=$1 name pid delay_ms t
    name=${kind}_$((SEQ++))
    case $kind in
    ctl) gs_start "$name" "$name.log" "$GS_CTL" "${OPTS[@]}" status ;;
    stats) gs_start "$name" "$name.log" "$GS_STATS" "${OPTS[@]}" --json ;;
    *) gs_start "$name" "$name.log" "${BIN[$kind]}" "${OPTS[@]}" -i 0 ;;
    esac
    # gs-ctl and gs-stats --json live ~60 ms, a handler attaches in ~100-400 ms
    case $kind in ctl | stats) delay_ms=$((RANDOM % 80)) ;; *) delay_ms=$((RANDOM % 400)) ;; esac
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if [ "$kind" != ctl ] && [ "$kind" != stats ] && [ $((RANDOM % 3)) -eq 0 ]; then
        # into its exit: SIGTERM, then the kill a moment later
        pid=$(gs_pid "$name") && kill -TERM "$pid" 2>/dev/null
        sleep "0.00$((RANDOM % 10))"
    fi
    if pid=$(gs_pid "$name") && kill -KILL "$pid" 2>/dev/null; then
        KILLED=$((KILLED + 1))
    fi
    t=${GS_PIDS[$name]}
    gs_kill_wait "$t" 5 2>/dev/null
    gs_forget "$name"
}

KILLED=0
KINDS=(ctl stats session move combat replicate)
for ((k = 0; KILLED < KILLS; k++)); do
    [ "$k" -lt $((KILLS * 3)) ] || gs_fail "$k secondaries started, only $KILLED killed while running"
    victim "${KINDS[RANDOM % ${#KINDS[@]}]}"
    [ $((k % 20)) -ne 19 ] || gs_log "$((k + 1)) victims, $KILLED killed while running"
done
gs_log "$k secondaries started; $KILLED killed while running"
gs_alive primary || gs_fail "gs-primary died"

# every class attaches again, each within 10 s
NAMES=()
for c in session move combat replicate; do
    gs_start "$c" "$c.log" "${BIN[$c]}" "${OPTS[@]}" -i 0
    gs_wait_log "$c.log" 'attached: instance' 10 "$c" ||
        gs_fail "after the kills no $c handler can attach within 10 s (EAL locks wedged?)"
    NAMES+=("$c")
done
# nothing of the dead is left in the runtime directory (the primary sweeps it)
sleep 1
DEAD_FILES=0
for f in "/var/run/dpdk/$GS_PREFIX"/mp_socket_* "/var/run/dpdk/$GS_PREFIX"/fbarray_*_[0-9]*; do
    [ -e "$f" ] || continue
    b=${f##*/}
    case $b in mp_socket_*) pid=${b#mp_socket_} pid=${pid%%_*} ;; *) pid=${b##*_} ;; esac
    [ -d "/proc/$pid" ] || { DEAD_FILES=$((DEAD_FILES + 1)) && gs_log "left by dead pid $pid: $b"; }
done
gs_check "runtime files of dead secondaries" "$DEAD_FILES" -eq 0
timeout -k 3 20 "$GS_CTL" "${OPTS[@]}" status >"$GS_WORK/status.log" 2>&1 ||
    gs_fail "gs-ctl status after the kills exited with $?"
timeout -k 3 20 "$GS_STATS" "${OPTS[@]}" --json >"$GS_WORK/stats.json" 2>"$GS_WORK/stats.err" ||
    gs_fail "gs-stats --json after the kills exited with $?"
/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$GS_WORK/stats.json" ||
    gs_fail "gs-stats --json printed no JSON"

timeout -k 5 40 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" \
    --players 10 --duration 4 --fight --attack-ms 300 --views --quiet --json \
    >"$GS_WORK/client.json" 2>"$GS_WORK/client.err" || gs_fail "gs-client exited with $?"
J=$GS_WORK/client.json
val() { /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$J" "$1"; }
gs_check "players connected" "$(val 'j["connected"]')" -eq 10
gs_check "heartbeats lost" "$(val 'j["heartbeats"]["lost"]')" -eq 0
gs_check "moves lost" "$(val 'j["moves"]["lost"]')" -eq 0
gs_check "attacks lost" "$(val 'j["combat"]["lost"]')" -eq 0
gs_check "moves answered" "$(val 'j["moves"]["acked"]')" -gt 0
# one spawn point: every player is within every other's view
gs_check "players with a view" "$(val 'j["views"]["players"]')" -eq 10
gs_check "the fewest others a player saw (one spawn point: all 9)" "$(val 'j["views"]["others_seen"]["min"]')" -eq 9

# the primary stops within its bound (handlers leave first) and cleans up
T0=$SECONDS
gs_stop_group "${NAMES[@]}"
gs_check "seconds the group took to stop" "$((SECONDS - T0))" -le 15
gs_log "$(grep -a 'EAL guard:' "$GS_WORK/primary.log" || echo 'EAL guard: no lock released')"
gs_check "runtime files left in /var/run/dpdk/$GS_PREFIX" \
    "$(find "/var/run/dpdk/$GS_PREFIX" -mindepth 1 2>/dev/null | wc -l)" -eq 0
gs_check "hugepage files left" "$(find /dev/hugepages -maxdepth 1 -name "${GS_PREFIX}map_*" | wc -l)" -eq 0
gs_checks_done
gs_pass
