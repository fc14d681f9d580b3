#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# The game handlers with real processes over a tap port in a namespace:
# gs-session, two gs-move and two gs-combat instances on the shared world.
#  1. 16 players move and fight (with cheating moves): every cheat refused for
#     its reason, hits and kills answered, every hit told to its target, and
#     positions and HP the players were told equal the world in shared memory
#     (read by gs-ctl); both instances of each class served sessions.
#  2. One gs-move left; kill -9 it under traffic: the world stays as it was
#     while it is down, the restarted gs-move finds every player's position,
#     validates the next moves against them (no move refused as too fast), and
#     the players' final positions equal the world again.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 600
gs_require_cmd ip /usr/bin/python3
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_COMBAT" "$GS_CTL" "$GS_CLIENT"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
MAX_HP=100
gs_prefix
IFACE=gsmc$$ # <= 15 characters
NS=gsmc$$
# one spawn point so partners meet at once; a short respawn so kills come back in the run
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o world.max_entities=65536 -o "world.spawn0=0,0,0"
    -o world.spawn1= -o world.spawn2= -o world.spawn3= -o world.respawn_ms=500
    -o "world.max_hp=$MAX_HP")

ctl() { timeout -k 3 20 "$GS_CTL" "${OPTS[@]}" "$@" 2>>"$GS_WORK/ctl.err"; }

# json_get FILE EXPR: a value of the JSON object in FILE (python expression on j).
json_get() {
    /usr/bin/python3 -c 'import json,sys; j=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# handler_processed CLASS INSTANCE: its processed counter from gs-ctl status.
handler_processed() {
    awk -v c="$1" -v i="$2" '$1 == c && $2 == i { print $(NF-2) }' "$GS_WORK/status.log"
}

# --- primary, namespace, handlers --------------------------------------------
gs_group_up "${OPTS[@]}"

gs_start session session.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_start move0 move0.log "$GS_MOVE" "${OPTS[@]}" -i 0
gs_start move1 move1.log "$GS_MOVE" "${OPTS[@]}" -i 1
gs_start combat0 combat0.log "$GS_COMBAT" "${OPTS[@]}" -i 0
gs_start combat1 combat1.log "$GS_COMBAT" "${OPTS[@]}" -i 1
for h in session move0 move1 combat0 combat1; do
    gs_wait_log "$h.log" 'attached: instance' 30 "$h" || gs_fail "$h did not attach"
done
gs_wait_log primary.log 'combat instance 1 up' 10 primary || gs_fail "combat 1 never up"

# --- 1. move and fight ----------------------------------------------------------
gs_log "gs-client: 16 players fight for 5 s"
timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" --players 16 \
    --duration 5 --fight --attack-ms 600 --cheat-every 10 --quiet --json \
    --world-out "$GS_WORK/fight_world.json" >"$GS_WORK/fight.json" 2>"$GS_WORK/fight.err"
RC=$?
gs_log "gs-client rc=$RC: $(head -c 600 "$GS_WORK/fight.json")"
[ "$RC" -eq 0 ] || gs_fail "gs-client --fight exited with $RC (lost or failed)"
F=$GS_WORK/fight.json
gs_check "fight connected" "$(json_get "$F" 'j["connected"]')" -eq 16
gs_check "fight lost" "$(json_get "$F" 'j["lost"]')" -eq 0
gs_check "moves acked" "$(json_get "$F" 'j["moves"]["acked"]')" -gt 500
CHEATS=$(json_get "$F" 'j["moves"]["cheats"]')
gs_check "cheats sent" "$CHEATS" -gt 0
gs_check "cheats refused for their reason" "$(json_get "$F" 'j["moves"]["cheats_rejected"]')" -eq "$CHEATS"
gs_check "moves refused as too fast + out of bounds" \
    "$(json_get "$F" 'j["moves"]["rejected_by_reason"]["too_fast"] + j["moves"]["rejected_by_reason"]["out_of_bounds"]')" -eq "$CHEATS"
HITS=$(json_get "$F" 'j["combat"]["results"]["hit"]')
KILLS=$(json_get "$F" 'j["combat"]["results"]["killed"]')
gs_check "hits" "$HITS" -gt 0
gs_check "kills" "$KILLS" -gt 0
gs_check "DAMAGED received = hits + kills" "$(json_get "$F" 'j["combat"]["damaged_received"]')" -eq "$((HITS + KILLS))"
gs_check "DAMAGED that killed = kills" "$(json_get "$F" 'j["combat"]["damaged_killed"]')" -eq "$KILLS"
gs_check "attacks lost" "$(json_get "$F" 'j["combat"]["lost"]')" -eq 0
gs_check "server sequence gaps" "$(json_get "$F" 'j["server_seq"]["gaps"]')" -eq 0

sleep 0.7 # every kill respawns (respawn_ms 500) before the world is read
ctl world --json --all >"$GS_WORK/world1.json" || gs_fail "gs-ctl world exited with $?"
/usr/bin/python3 "$GS_LIB_DIR/world_check.py" "$GS_WORK/fight_world.json" \
    "$GS_WORK/world1.json" "$MAX_HP" >"$GS_WORK/world_check1.log" 2>&1 ||
    gs_fail "the players' view differs from the world: $(tail -n 5 "$GS_WORK/world_check1.log")"
gs_log "$(tail -n 1 "$GS_WORK/world_check1.log")"

ctl status >"$GS_WORK/status.log" || gs_fail "gs-ctl status exited with $?"
for h in "move 0" "move 1" "combat 0" "combat 1"; do
    # shellcheck disable=SC2086
    gs_check "$h processed" "$(handler_processed $h)" -gt 0
done

# --- 2. kill -9 gs-move under traffic, restart ----------------------------------
gs_stop move1 || gs_fail "gs-move instance 1 did not exit cleanly"
gs_wait_log primary.log 'move instance 1 down' 5 primary || gs_fail "move 1 never seen down"
gs_log "gs-client: 8 players move for 8 s"
timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" --players 8 \
    --duration 8 --move --quiet --json --world-out "$GS_WORK/move_world.json" \
    >"$GS_WORK/move.json" 2>"$GS_WORK/move.err" &
CLIENT_PID=$!
sleep 3
gs_kill9 move0
gs_wait_log primary.log 'move instance 0 down' 5 primary || gs_fail "the primary never saw move 0 down"
ctl world --json >"$GS_WORK/world_down1.json" || gs_fail "gs-ctl world exited with $?"
sleep 0.5
ctl world --json >"$GS_WORK/world_down2.json" || gs_fail "gs-ctl world exited with $?"
gs_check "entities with positions while gs-move is down" \
    "$(grep -c '"moves":[1-9]' "$GS_WORK/world_down1.json")" -eq 8
cmp -s "$GS_WORK/world_down1.json" "$GS_WORK/world_down2.json" ||
    gs_fail "the world changed while no gs-move ran"
gs_start move0b move0b.log "$GS_MOVE" "${OPTS[@]}" -i 0
gs_wait_log move0b.log 'world of .* entities' 20 move0b || gs_fail "gs-move did not restart"
FOUND=$(sed -n 's/.* \([0-9]*\) live sessions with a position.*/\1/p' "$GS_WORK/move0b.log" | tail -n 1)
gs_check "positions the restarted gs-move found" "${FOUND:-0}" -eq 8
wait "$CLIENT_PID"
RC=$?
M=$GS_WORK/move.json
gs_log "gs-client rc=$RC (moves during the kill are lost): $(head -c 400 "$M")"
gs_check "move connected" "$(json_get "$M" 'j["connected"]')" -eq 8
gs_check "heartbeats lost" "$(json_get "$M" 'j["heartbeats"]["lost"]')" -eq 0
gs_check "moves lost while gs-move was down" "$(json_get "$M" 'j["moves"]["lost"]')" -gt 0
gs_check "moves refused as too fast after the restart" \
    "$(json_get "$M" 'j["moves"]["rejected_by_reason"]["too_fast"]')" -eq 0
gs_check "moves refused" "$(json_get "$M" 'j["moves"]["rejected"]')" -eq 0
ctl world --json --all >"$GS_WORK/world2.json" || gs_fail "gs-ctl world exited with $?"
/usr/bin/python3 "$GS_LIB_DIR/world_check.py" "$GS_WORK/move_world.json" \
    "$GS_WORK/world2.json" "$MAX_HP" >"$GS_WORK/world_check2.log" 2>&1 ||
    gs_fail "the players' view differs from the world: $(tail -n 5 "$GS_WORK/world_check2.log")"
gs_log "$(tail -n 1 "$GS_WORK/world_check2.log")"
# every entity moved again after the restart
/usr/bin/python3 - "$GS_WORK/world_down1.json" "$GS_WORK/world2.json" <<'PY' ||
import json, sys
before = {e["entity"]: e["moves"] for e in map(json.loads, open(sys.argv[1]))}
after = {e["entity"]: e["moves"] for e in map(json.loads, open(sys.argv[2]))}
stuck = [i for i in before if after.get(i, 0) <= before[i]]
sys.exit(f"entities that did not move after the restart: {stuck}" if stuck else 0)
PY
    gs_fail "moves were not accepted after the restart"

ctl status >"$GS_WORK/status.log" || gs_fail "gs-ctl status exited with $?"
gs_check "gs-move instance 0 restarts" \
    "$(awk '$1 == "move" && $2 == 0 { print $6 }' "$GS_WORK/status.log")" -eq 1

# --- stop --------------------------------------------------------------------
gs_stop_group session move0b combat0 combat1
gs_check_stat primary.log drop_ring_full -eq 0
gs_check_stat primary.log drop_reply_invalid -eq 0
gs_check_stat primary.log dispatched_move -gt 0
gs_check_stat primary.log dispatched_combat -gt 0
gs_check_stat primary.log drop_handler_down -gt 0
gs_checks_done
gs_pass
