#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# Players see each other: gs-replicate sends every player snapshots of the
# entities within aoi_radius (50) of its own, and gs-client records each
# player's view (--view-out).
#   1. 12 players standing in two clusters 500 apart (spawn points): after
#      the views settle, every player's view holds exactly the entities
#      within the radius of its own (gs-ctl world's positions), none
#      farther, at the world's positions;
#   2. 12 players walking: every view holds nothing farther than the radius
#      (plus one tick's movement) and everything nearer than the radius
#      (less one tick's movement), by the view's own positions, and every
#      entity in a view is within one tick's movement of where the server last
#      told its own player it is (all views and players at one moment);
#   2b. 12 players fighting in pairs (respawn after 1 s): the same, and every
#      view shows its entities' HP and deaths as their own players were told
#      (DAMAGED); each player's view showed every death of its partner;
#   3. a kill -9 of the replication instance while players walk: views stall,
#      a restarted instance sends full snapshots and the views are right
#      again; players lose no move or heartbeat;
#   4. a hand-over between two instances (gs-ctl stop): the same.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
GS_TEST_TIMEOUT=${GS_TEST_TIMEOUT:-150}
gs_init "$@"

gs_require_root
gs_require_hugepages 600
gs_require_cmd ip /usr/bin/python3
GS_REPLICATE=${GS_REPLICATE:-$(gs_bin gs-replicate secondary/replicate/gs-replicate)}
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_COMBAT" "$GS_CTL" "$GS_CLIENT" "$GS_REPLICATE"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
RADIUS=50
gs_prefix
IFACE=gsrp$$
NS=gsrp$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o world.max_entities=65536 -o sessions.max=4096
    -o "world.spawn0=0,0,0" -o "world.spawn1=10,0,0" -o "world.spawn2=500,0,0" -o "world.spawn3=510,0,0"
    -o "class.replicate.aoi_radius=$RADIUS" -o class.replicate.tick_hz=20
    -o world.respawn_ms=1000 -o world.max_speed=200)
ctl() { timeout -k 3 20 "$GS_CTL" "${OPTS[@]}" "$@" 2>>"$GS_WORK/ctl.err"; }

gs_group_up "${OPTS[@]}"
gs_start session session.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_start move move.log "$GS_MOVE" "${OPTS[@]}" -i 0
gs_start combat combat.log "$GS_COMBAT" "${OPTS[@]}" -i 0
gs_start repl0 repl0.log "$GS_REPLICATE" "${OPTS[@]}" -i 0
for h in session move combat repl0; do
    gs_wait_log "$h.log" 'attached: instance' 30 "$h" || gs_fail "$h did not attach"
done

# players NAME SECONDS [gs-client options]: 12 players with views, in the background
players() {
    local name=$1 secs=$2
    shift 2
    timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" \
        --players 12 --duration "$secs" --quiet --json --view-out "$GS_WORK/$name.views" "$@" \
        >"$GS_WORK/$name.json" 2>"$GS_WORK/$name.err" &
    PLAYERS_PID=$!
}
val() { /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# --- 1. standing players: exact views ----------------------------------------------------
players standing 5
sleep 3
ctl world --json >"$GS_WORK/world_standing.json" || gs_fail "gs-ctl world"
wait "$PLAYERS_PID" || gs_fail "gs-client (standing) exit $?: $(tail -n 3 "$GS_WORK/standing.err")"
/usr/bin/python3 - "$GS_WORK/standing.views" "$GS_WORK/world_standing.json" "$RADIUS" <<'EOF' ||
import json, math, sys
views = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
world = {}
for l in open(sys.argv[2]):
    if l.strip():
        e = json.loads(l)
        world[e["entity"]] = (e["x"], e["y"], e["z"])
radius = float(sys.argv[3])
assert len(views) == 12, f"{len(views)} views"
bad = []
for v in views:
    me = world[v["entity"]]
    want = {e for e, p in world.items() if math.dist(p, me) <= radius}
    got = {e["id"] for e in v["view"]}
    if got != want:
        bad.append((v["player"], sorted(want - got), sorted(got - want)))
    for e in v["view"]:
        if math.dist((e["x"], e["y"], e["z"]), world[e["id"]]) > 0.1:
            bad.append((v["player"], e["id"], "at", (e["x"], e["y"], e["z"]), "not", world[e["id"]]))
sizes = sorted(len(v["view"]) for v in views)
print(f"12 views, sizes {sizes}; snapshots applied {sum(v['views_applied'] for v in views)}, "
      f"full {sum(v['full'] for v in views)}, delta {sum(v['delta'] for v in views)}")
assert min(sizes) >= 2 and max(sizes) < 12, "the clusters did not form"
if bad:
    print("views that differ from the world:", bad[:6])
    sys.exit(1)
EOF
    gs_fail "a standing player's view is not the world within the radius"

# views_ok NAME: every view holds nothing beyond the radius (+ one tick's move)
# and everything within the radius (- one tick's move), by its own positions
views_ok() {
    /usr/bin/python3 - "$GS_WORK/$1.views" "$RADIUS" <<'EOF'
import json, math, sys
views = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
radius, tol = float(sys.argv[2]), 1.5  # max_speed 20 / tick_hz 20, and quantisation
bad, total = [], 0
for v in views:
    ents = {e["id"]: (e["x"], e["y"], e["z"]) for e in v["view"]}
    if v["entity"] not in ents:
        bad.append((v["player"], "its own entity missing"))
        continue
    me = ents[v["entity"]]
    total += len(ents)
    far = [i for i, p in ents.items() if math.dist(p, me) > radius + tol]
    if far:
        bad.append((v["player"], "farther than the radius", far))
# everything a player's view says is within radius - tol of it must be in that player's
# view: check it against the other players' own positions, as they saw themselves
own = {v["entity"]: {e["id"]: (e["x"], e["y"], e["z"]) for e in v["view"]}.get(v["entity"]) for v in views}
for v in views:
    me = own.get(v["entity"])
    ids = {e["id"] for e in v["view"]}
    for e, p in own.items():
        if me is not None and p is not None and math.dist(p, me) < radius - tol - 1.0 and e not in ids:
            bad.append((v["player"], "missing", e))
print(f"{len(views)} views, {total} entities in them; problems: {len(bad)}")
if bad:
    print(bad[:6])
    sys.exit(1)
EOF
}

# owners_ok NAME SPEED: every entity in a view is where, and in the state, its own
# player was last told (MOVE_ACK, DAMAGED), within one tick's movement at SPEED
# units/s; with --fight every player's view showed each of its partner's deaths
owners_ok() {
    /usr/bin/python3 - "$GS_WORK/$1.views" "$2" <<'EOF'
import json, math, sys
views = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
speed = float(sys.argv[2])
# a snapshot is at most one tick (50 ms) old, the owner's MOVE_ACK one move (50 ms):
# one tick's movement each, plus the round trip and quantisation
tol = speed * 0.12 + 0.2
RECENT_MS = 150  # a state change younger than this may not have reached every view yet
owner = {v["entity"]: v for v in views}
bad, checked, hurt_seen, dead_seen = [], 0, 0, 0
for v in views:
    for e in v["view"]:
        o = owner.get(e["id"])
        if o is None:
            bad.append((v["player"], "sees entity", e["id"], "of no player"))
            continue
        recent = 0 <= o["state_ms"] < RECENT_MS
        if o["dead"]:
            want_alive, want_hp = False, 0
        elif o["hp"] < 0 or (o["hp"] == 0 and o["deaths"] > 0):
            want_alive, want_hp = True, 100  # never hit, or respawned
        else:
            want_alive, want_hp = True, o["hp"]
        if not recent and (e["alive"] != want_alive or e["hp"] != want_hp):
            bad.append((v["player"], "sees", e["id"], "alive", e["alive"], "hp", e["hp"],
                        "its player says", want_alive, want_hp))
        if e["id"] != v["entity"]:
            hurt_seen += e["alive"] and e["hp"] < 100
            dead_seen += not e["alive"]
        # a dead entity lies where it died; its player's position is its respawn point
        if not o["dead"] and not recent:
            d = math.dist((e["x"], e["y"], e["z"]), o["auth"])
            checked += 1
            if d > tol:
                bad.append((v["player"], "sees", e["id"], "at", (e["x"], e["y"], e["z"]),
                            "its player is at", o["auth"], f"{d:.2f} apart"))
deaths = sum(v["deaths"] for v in views)
for v in views:
    if not v["partner"] or v["partner"] not in owner:
        continue
    p = owner[v["partner"]]
    want = {p["deaths"], p["deaths"] - 1} if 0 <= p["state_ms"] < RECENT_MS else {p["deaths"]}
    if v["partner_deaths_seen"] not in want:
        bad.append((v["player"], "saw its partner die", v["partner_deaths_seen"], "times, it died",
                    p["deaths"]))
print(f"{len(views)} views: {checked} positions within {tol:.2f} of their players', "
      f"{hurt_seen} hurt and {dead_seen} dead others seen, {deaths} deaths, partners' deaths seen "
      f"{sum(v['partner_deaths_seen'] for v in views)}; problems: {len(bad)}")
if bad:
    print(bad[:6])
    sys.exit(1)
EOF
}

# --- 2. walking players ------------------------------------------------------------------
players walking 5 --move
wait "$PLAYERS_PID" || gs_fail "gs-client (walking) exit $?: $(tail -n 3 "$GS_WORK/walking.err")"
views_ok walking || gs_fail "a walking player's view holds the wrong entities"
owners_ok walking 10 || gs_fail "a walking player's view differs from where the players are"
gs_check "moves lost (walking)" "$(val "$GS_WORK/walking.json" 'j["moves"]["lost"]')" -eq 0

# --- 2b. players fighting in pairs ---------------------------------------------------------
# fast (150 units/s, within the group's max_speed) so that pairs spawned in
# different clusters meet, and after a respawn meet again
players fight 8 --fight --speed 150 --attack-ms 300
wait "$PLAYERS_PID" || gs_fail "gs-client (fight) exit $?: $(tail -n 3 "$GS_WORK/fight.err")"
owners_ok fight 150 || gs_fail "a fighting player's view differs from the players' HP, deaths or positions"
gs_check "deaths in the fight" "$(val "$GS_WORK/fight.json" 'j["combat"]["damaged_killed"]')" -ge 1
gs_check "attacks lost (fight)" "$(val "$GS_WORK/fight.json" 'j["combat"]["lost"]')" -eq 0

# --- 3. kill -9 of the replication instance ------------------------------------------------
players killed 8 --move
sleep 2
gs_kill9 repl0
sleep 1
gs_start repl0b repl0b.log "$GS_REPLICATE" "${OPTS[@]}" -i 0
gs_wait_log repl0b.log 'attached: instance' 20 repl0b || gs_fail "the restarted gs-replicate did not attach"
wait "$PLAYERS_PID" || gs_fail "gs-client (kill) exit $?: $(tail -n 3 "$GS_WORK/killed.err")"
views_ok killed || gs_fail "views were wrong after the replication instance's restart"
FULL=$(/usr/bin/python3 -c 'import json,sys; print(min(json.loads(l)["full"] for l in open(sys.argv[1]) if l.strip()))' "$GS_WORK/killed.views")
gs_check "full snapshots per player across the restart (at least the first and the restart's)" "$FULL" -ge 2
gs_check "moves lost across the kill" "$(val "$GS_WORK/killed.json" 'j["moves"]["lost"]')" -eq 0
gs_check "heartbeats lost across the kill" "$(val "$GS_WORK/killed.json" 'j["heartbeats"]["lost"]')" -eq 0

# --- 4. hand-over to another instance ------------------------------------------------------
players handover 8 --move
sleep 2
gs_start repl1 repl1.log "$GS_REPLICATE" "${OPTS[@]}" -i 1
gs_wait_log repl1.log 'attached: instance' 20 repl1 || gs_fail "gs-replicate -i 1 did not attach"
gs_wait_log primary.log 'replicate instance 1 up' 5 primary || gs_fail "replicate 1 never up"
ctl stop replicate 0 >"$GS_WORK/stop.log" || gs_fail "gs-ctl stop replicate 0: $(cat "$GS_WORK/stop.log")"
grep -q 'left: cleanly' "$GS_WORK/stop.log" || gs_fail "replicate 0 did not leave cleanly"
gs_stop repl0b 5 || gs_fail "the old gs-replicate did not exit 0"
wait "$PLAYERS_PID" || gs_fail "gs-client (hand-over) exit $?: $(tail -n 3 "$GS_WORK/handover.err")"
views_ok handover || gs_fail "views were wrong after the hand-over"
gs_check "moves lost across the hand-over" "$(val "$GS_WORK/handover.json" 'j["moves"]["lost"]')" -eq 0

# its own counts, by gs-ctl (gs-stats exports the same): snapshots, bytes, the tick's duration
ctl status >"$GS_WORK/status.log" || gs_fail "gs-ctl status"
/usr/bin/python3 - "$GS_WORK/status.log" <<'EOF' || gs_fail "gs-replicate's counts are not as expected: $(grep -A1 '^replicate' "$GS_WORK/status.log")"
import re, sys
text = open(sys.argv[1]).read()
ev = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", text.split("\nreplicate ", 1)[1])}
# each replicate instance's line ends with its tick histogram: "tick count=N p50=P p99=P us"
hists = [(int(n), float(p50), float(p99)) for n, p50, p99 in
         re.findall(r"^replicate .* tick count=(\d+) p50=([\d.]+) p99=([\d.]+) us$", text, re.M)]
s = max(ev["snapshots"], 1)
print(f"gs-replicate: {ev['ticks']} ticks ({ev['tick_overruns']} overran; "
      + ", ".join(f"{n} ticks p50 {p50:.0f} us p99 {p99:.0f} us" for n, p50, p99 in hists)
      + f"), {ev['snapshots']} snapshots ({ev['full_snapshots']} full), "
      f"{ev['snapshot_bytes'] / s:.0f} bytes and {ev['snapshot_entities'] / s:.1f} entities each, {ev['acks']} acks")
assert ev["ticks"] > 0 and ev["snapshots"] > 0 and ev["acks"] > 0
assert hists, "no replicate line with its tick histogram"
for n, p50, p99 in hists:
    assert n > 0 and 0 <= p50 <= p99, (n, p50, p99)
EOF
gs_stop_group repl1 combat move session
grep -a 'gs-replicate exiting' "$GS_WORK/repl1.log" | tail -n 1
gs_checks_done
gs_pass
