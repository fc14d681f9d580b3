#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# Zero-loss upgrade of gs-move, twice, under load: 8 players move (20 moves/s
# each) and heartbeat; a new gs-move starts beside the old one as another
# instance, and `gs-ctl stop` makes the old one leave (the primary stops
# dispatching to it, it handles what its rings hold, then exits). Then back
# again. The players lose no move and no heartbeat; the primary dropped
# nothing as handler_down. Last, a gs-move built for another shared-memory
# layout refuses to attach with a message saying what differs.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 600
gs_require_cmd ip /usr/bin/python3
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_CTL" "$GS_CLIENT"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
gs_prefix
IFACE=gsho$$
NS=gsho$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o world.max_entities=65536)

ctl() { timeout -k 3 20 "$GS_CTL" "${OPTS[@]}" "$@" 2>>"$GS_WORK/ctl.err"; }

# handover FROM TO NAME: start gs-move instance TO as NAME, wait until the
# primary dispatches to it, then ask instance FROM to leave.
handover() {
    gs_start "$3" "$3.log" "$GS_MOVE" "${OPTS[@]}" -i "$2"
    gs_wait_log "$3.log" 'attached: instance' 20 "$3" || gs_fail "gs-move -i $2 did not attach"
    gs_wait_log primary.log "move instance $2 up" 5 primary || gs_fail "move $2 never up"
    ctl stop move "$1" >"$GS_WORK/stop_$1_$3.log" || gs_fail "gs-ctl stop move $1: $(cat "$GS_WORK/stop_$1_$3.log")"
    gs_log "$(cat "$GS_WORK/stop_$1_$3.log")"
    grep -q 'left: cleanly' "$GS_WORK/stop_$1_$3.log" || gs_fail "move $1 did not leave cleanly"
}

gs_group_up "${OPTS[@]}"
gs_start session session.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_start move_a move_a.log "$GS_MOVE" "${OPTS[@]}" -i 0
gs_wait_log session.log 'attached: instance' 30 session || gs_fail "gs-session did not attach"
gs_wait_log move_a.log 'attached: instance' 30 move_a || gs_fail "gs-move did not attach"

gs_log "gs-client: 8 players move for 10 s"
timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" --players 8 \
    --duration 10 --move --quiet --json >"$GS_WORK/client.json" 2>"$GS_WORK/client.err" &
CLIENT_PID=$!
sleep 2
handover 0 1 move_b # upgrade 1: instance 0 -> instance 1
gs_kill_wait "${GS_PIDS[move_a]}" 5 || gs_fail "the old gs-move (instance 0) did not exit 0"
gs_forget move_a
grep -q 'left instance 0 cleanly' "$GS_WORK/move_a.log" || gs_fail "move_a did not drain"
sleep 2
handover 1 0 move_c # upgrade 2: instance 1 -> instance 0
gs_kill_wait "${GS_PIDS[move_b]}" 5 || gs_fail "the old gs-move (instance 1) did not exit 0"
gs_forget move_b
grep -q 'left instance 1 cleanly' "$GS_WORK/move_b.log" || gs_fail "move_b did not drain"
wait "$CLIENT_PID"
RC=$?
J=$GS_WORK/client.json
val() { /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$J" "$1"; }
gs_log "gs-client rc=$RC: moves sent $(val 'j["moves"]["sent"]'), acked $(val 'j["moves"]["acked"]'), lost $(val 'j["moves"]["lost"]')"
gs_check "players connected" "$(val 'j["connected"]')" -eq 8
gs_check "moves sent" "$(val 'j["moves"]["sent"]')" -gt 1000
gs_check "moves lost across two upgrades" "$(val 'j["moves"]["lost"]')" -eq 0
gs_check "moves refused" "$(val 'j["moves"]["rejected"]')" -eq 0
gs_check "heartbeats lost" "$(val 'j["heartbeats"]["lost"]')" -eq 0
gs_check "gs-client exit code" "$RC" -eq 0
# a gs-move built for another shared-memory layout refuses to attach, and says why
OTHER=${GS_MOVE_OTHER_LAYOUT:-$(gs_bin gs-move-other-layout tests/gs-move-other-layout)}
gs_require_bin "$OTHER"
timeout -k 3 30 "$OTHER" "${OPTS[@]}" -i 2 >"$GS_WORK/other_layout.log" 2>&1
RC=$?
gs_check "gs-move of another layout: exit code" "$RC" -eq 1
LAYOUT=$(sed -n 's/^#define GS_SHM_VERSION \([0-9]*\)u$/\1/p' "$GS_SOURCE_DIR/shared/include/gs_shm_types.h")
[ -n "$LAYOUT" ] || gs_fail "no GS_SHM_VERSION in shared/include/gs_shm_types.h"
grep -q "refusing to attach: shared-memory layout version is 0x63 in this binary but $(printf '0x%x' "$LAYOUT") in the running primary" \
    "$GS_WORK/other_layout.log" || gs_fail "no clear refusal: $(grep -a refus "$GS_WORK/other_layout.log")"
gs_log "$(grep -a -o 'refusing to attach: .*' "$GS_WORK/other_layout.log" | head -n 1)"
gs_check "move instances up after the refusal" "$(ctl status | awk '$1 == "move" && $3 == "running"' | wc -l)" -eq 1
gs_stop_group session move_c
gs_check_stat primary.log drop_handler_down -eq 0
gs_check_stat primary.log drop_ring_full -eq 0
gs_checks_done
gs_pass
