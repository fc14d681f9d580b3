#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# The primary is killed (-9) under traffic: every handler exits within 2 s
# with a log line that says why; then the group starts again on the same
# file prefix (the dead primary's hugepage files and runtime directory are
# still there) and serves players.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 600
gs_require_cmd ip /usr/bin/python3
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_COMBAT" "$GS_CLIENT"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
gs_prefix
IFACE=gspk$$
NS=gspk$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o world.max_entities=65536)
HANDLERS=(session move combat)
declare -A BIN=([session]=$GS_SESSION [move]=$GS_MOVE [combat]=$GS_COMBAT)
gs_netns_create "$NS"

# group RUN PRIMARY_NAME: the primary (its tap moved into the namespace) and the handlers.
group() {
    gs_start "$2" "$2.log" "$GS_PRIMARY" "${OPTS[@]}"
    gs_wait_log "$2.log" 'gs-primary ready' 30 "$2" || gs_fail "gs-primary ($1) not ready"
    ip link set "$IFACE" netns "$NS" || gs_fail "cannot move $IFACE into $NS"
    ip -n "$NS" addr add "$CLIENT/24" dev "$IFACE" || gs_fail "ip addr add"
    ip -n "$NS" link set "$IFACE" up || gs_fail "link up"
    for h in "${HANDLERS[@]}"; do
        gs_start "$h$1" "$h$1.log" "${BIN[$h]}" "${OPTS[@]}" -i 0
    done
    for h in "${HANDLERS[@]}"; do
        gs_wait_log "$h$1.log" 'attached: instance' 30 "$h$1" || gs_fail "$h ($1) did not attach"
    done
}

group 1 primary1
timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" --players 8 \
    --duration 6 --fight --quiet >"$GS_WORK/client1.log" 2>&1 &
CLIENT_PID=$!
sleep 2
gs_kill9 primary1
T0=$(date +%s%N)
for h in "${HANDLERS[@]}"; do
    t=${GS_PIDS[$h"1"]}
    while kill -0 "$t" 2>/dev/null && [ $(($(date +%s%N) - T0)) -lt 2000000000 ]; do
        [ "$(awk '{ print $3 }' "/proc/$t/stat" 2>/dev/null)" = Z ] && break
        sleep 0.02
    done
    ms=$((($(date +%s%N) - T0) / 1000000))
    gs_kill_wait "$t" 1
    rc=$?
    gs_forget "${h}1"
    gs_log "$h exited $ms ms after the primary's death, rc $rc"
    gs_check "$h gone within 2 s of the primary (ms)" "$ms" -lt 2000
    grep -q 'the primary died: exiting' "$GS_WORK/${h}1.log" ||
        gs_fail "$h did not say why it left: $(tail -n 2 "$GS_WORK/${h}1.log")"
done
wait "$CLIENT_PID" # loses messages, of course: the server died
[ -n "$(ls /dev/hugepages/"${GS_PREFIX}"map_* 2>/dev/null)" ] &&
    gs_log "the dead primary left its hugepage files: the restart must cope"

group 2 primary # gs_stop_group stops "primary"
timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" --players 8 \
    --duration 3 --fight --quiet >"$GS_WORK/client2.log" 2>&1 ||
    gs_fail "gs-client against the restarted group exited with $?: $(grep -a 'gs-client:' "$GS_WORK/client2.log")"
LINE=$(grep -a 'gs-client: players=' "$GS_WORK/client2.log")
gs_log "$LINE"
gs_check "players connected to the restarted group" "$(gs_kv "$LINE" connected)" -eq 8
gs_check "lost" "$(gs_kv "$LINE" lost)" -eq 0
gs_stop_group session2 move2 combat2
gs_checks_done
gs_pass
