#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# A team's own handler class, end to end. The handler SDK is installed into
# a temporary prefix (cmake --install) and examples/chat is built against it
# alone: no file of primary/, shared/ or secondary/ is compiled into it.
# Then, on a running group whose config has no chat class:
#   1. players move (gs-client) while `gs-ctl reload` adds [class.chat]: no
#      port restart, no move or heartbeat lost;
#   2. two gs-chat instances serve 12 players in two clusters 500 apart:
#      every line said around a player is heard by exactly the players
#      within the radius (positions read with gs-ctl world), every channel
#      line by exactly the channel's members; no line lost;
#   3. a zero-loss hand-over of a chat instance (gs-ctl stop), then a
#      kill -9 of one: the lines after its restart are heard again;
#   4. the chat class's own counters and reject reasons in /metrics under
#      class="chat", with no change to gs-stats;
#   5. removing the class: refused while attached, then reload --force: the
#      instances leave, the class goes, the players still lose nothing;
#   6. a gs-chat built against another SDK version is refused, naming both;
#   7. a second group started from a config without combat runs without it.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
GS_TEST_TIMEOUT=${GS_TEST_TIMEOUT:-170}
gs_init "$@"

gs_require_root
gs_require_hugepages 600
gs_require_cmd ip curl cmake protoc-c pkg-config /usr/bin/python3
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_CTL" "$GS_STATS" "$GS_CLIENT"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
HTTP_PORT=$((20000 + $$ % 20000))
gs_prefix
IFACE=gsch$$
NS=gsch$$

# --- the SDK, installed, and the chat class built against it alone ---------------------
gs_tmpdir SDK "$GS_WORK/sdk"
cmake --install "$GS_BUILD_DIR" --prefix "$SDK" >"$GS_WORK/install.log" 2>&1 ||
    gs_fail "cmake --install of the SDK failed: $(tail -n 5 "$GS_WORK/install.log")"
# a sanitized gsnet build installs sanitized libraries: the handler links the runtime too
SAN=$(sed -n 's/^GSNET_SANITIZE:[A-Z]*=//p; s/^GS_SANITIZE:STRING=//p' "$GS_BUILD_DIR/CMakeCache.txt" 2>/dev/null |
    grep -m1 .)
CFLAGS_EXTRA=${SAN:+-fsanitize=$SAN}
build_chat() { # DIR [CFLAGS]
    cmake -S "$GS_SOURCE_DIR/examples/chat" -B "$1" -DCMAKE_PREFIX_PATH="$SDK" \
        -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCMAKE_C_FLAGS="$CFLAGS_EXTRA ${2:-}" \
        -DCMAKE_EXE_LINKER_FLAGS="$CFLAGS_EXTRA" >"$1.log" 2>&1 &&
        cmake --build "$1" -j2 >>"$1.log" 2>&1
}
build_chat "$GS_WORK/chat" || gs_fail "examples/chat did not build against the installed SDK: $(tail -n 20 "$GS_WORK/chat.log")"
CHAT=$GS_WORK/chat/gs-chat
CHAT_CLIENT=$GS_WORK/chat/chat-client
gs_require_bin "$CHAT" "$CHAT_CLIENT"
# what the build read: its own sources, the installed SDK, system headers; nothing of the tree
/usr/bin/python3 - "$GS_WORK/chat/compile_commands.json" "$GS_SOURCE_DIR" "$SDK" "$GS_WORK/chat" <<'EOF' ||
import json, re, sys
cmds, src, sdk, build = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
bad = []
for c in cmds:
    if not (c["file"].startswith(src + "/examples/chat/") or c["file"].startswith(build)):
        bad.append(c["file"])
    for inc in re.findall(r"-I\s*(\S+)", c["command"]):
        if inc.startswith(src) and not inc.startswith(src + "/examples/chat"):
            bad.append(inc)
if bad:
    print("the chat build used files of the tree:", sorted(set(bad)))
    sys.exit(1)
print(f"{len(cmds)} compile commands: examples/chat and the installed SDK only")
EOF
    gs_fail "the chat class was built from more than examples/ and the SDK"
build_chat "$GS_WORK/chat_sdk2" -DGS_SDK_VERSION_OVERRIDE=0x20000 ||
    gs_fail "gs-chat for SDK 2.0 did not build: $(tail -n 20 "$GS_WORK/chat_sdk2.log")"

# --- a group without chat -------------------------------------------------------------
CONF=$GS_WORK/gsnet.ini
cp "$GS_CONFIG" "$CONF"
OPTS=("${GS_AUTH_OPTS[@]}" -c "$CONF" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o world.max_entities=65536 -o sessions.max=4096
    -o "stats.http_port=$HTTP_PORT" -o "world.spawn0=0,0,0" -o "world.spawn1=10,0,0"
    -o "world.spawn2=500,0,0" -o "world.spawn3=510,0,0")
ctl() { timeout -k 3 20 "$GS_CTL" "${OPTS[@]}" "$@" 2>>"$GS_WORK/ctl.err"; }

gs_group_up "${OPTS[@]}"
gs_start session session.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_start move move.log "$GS_MOVE" "${OPTS[@]}" -i 0
for h in session move; do
    gs_wait_log "$h.log" 'attached: instance' 30 "$h" || gs_fail "gs-$h did not attach"
done
gs_start stats stats.log "$GS_STATS" "${OPTS[@]}"
gs_wait_log stats.log 'serving' 20 stats || gs_fail "gs-stats not serving"

# gs-chat refuses a group that has no chat class, and says how to add one
timeout -k 3 20 "$CHAT" "${OPTS[@]}" -o class.chat.types=64-79 -o class.chat.lcore_first=40 -i 0 \
    >"$GS_WORK/chat_early.log" 2>&1
RC=$?
gs_check "gs-chat before the reload: exit code (2: the group runs no such class)" "$RC" -eq 2
grep -q "no class 'chat'" "$GS_WORK/chat_early.log" || gs_fail "unclear refusal: $(tail -n 3 "$GS_WORK/chat_early.log")"

# --- 1. the class added by a reload while players move ---------------------------------
STARTED=$(grep -c 'port [0-9]* started' "$GS_WORK/primary.log")
gs_log "gs-client: 8 players move for 8 s; [class.chat] is added meanwhile"
timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" --players 8 \
    --duration 8 --move --quiet --json >"$GS_WORK/movers1.json" 2>"$GS_WORK/movers1.err" &
MOVERS=$!
sleep 2
cat >>"$CONF" <<'EOF'

[class.chat]
types = 64-79
instances = 2
lcore_first = 40
idle_max_us = 200
radius = 50
say_pps = 100
say_burst = 20
EOF
ctl reload >"$GS_WORK/reload1.log" || gs_fail "gs-ctl reload (add chat): $(cat "$GS_WORK/reload1.log" "$GS_WORK/ctl.err")"
gs_log "$(cat "$GS_WORK/reload1.log")"
grep -q 'added chat' "$GS_WORK/reload1.log" || gs_fail "the reload did not add chat"
gs_start chat0 chat0.log "$CHAT" "${OPTS[@]}" -i 0
gs_start chat1 chat1.log "$CHAT" "${OPTS[@]}" -i 1
for h in chat0 chat1; do
    gs_wait_log "$h.log" 'attached: instance' 30 "$h" || gs_fail "$h did not attach"
done
wait "$MOVERS"
RC=$?
val() { /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
gs_check "movers across the reload: gs-client exit code" "$RC" -eq 0
gs_check "moves lost across the reload" "$(val "$GS_WORK/movers1.json" 'j["moves"]["lost"]')" -eq 0
gs_check "heartbeats lost across the reload" "$(val "$GS_WORK/movers1.json" 'j["heartbeats"]["lost"]')" -eq 0
gs_check "ports started again by the reload" "$(grep -c 'port [0-9]* started' "$GS_WORK/primary.log")" -eq "$STARTED"
ctl status >"$GS_WORK/status1.log" || gs_fail "gs-ctl status"
grep -q 'chat (id [0-9]*, types 64-79)' "$GS_WORK/status1.log" || gs_fail "gs-ctl status lists no chat class: $(head -n 5 "$GS_WORK/status1.log")"

# --- 2. who hears what ------------------------------------------------------------------
# chat_run NAME SECONDS: 12 players, every third in channel "guild", a line every 100 ms
chat_run() {
    timeout -k 5 60 ip netns exec "$NS" "$CHAT_CLIENT" --server "$SERVER:$PORT" --key-file "$GS_KEY" \
        --players 12 --duration-s "$2" --say-every-ms 100 --channel guild --channel-every 3 \
        --out "$GS_WORK/$1.jsonl" >"$GS_WORK/$1.out" 2>"$GS_WORK/$1.err"
}
chat_run heard 6 &
CHATTERS=$!
sleep 3
ctl world --json >"$GS_WORK/world.json" || gs_fail "gs-ctl world"
wait "$CHATTERS"
RC=$?
gs_log "chat-client: $(cat "$GS_WORK/heard.out")"
gs_check "chat-client exit code (every line heard back, every join answered)" "$RC" -eq 0
/usr/bin/python3 - "$GS_WORK/heard.jsonl" "$GS_WORK/world.json" 50 <<'EOF' || gs_fail "players did not hear exactly what they should"
import json, math, sys
players = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pos = {}
for l in open(sys.argv[2]):
    l = l.strip()
    if l:
        e = json.loads(l)
        pos[e["session"]] = (e["x"], e["y"], e["z"])
radius = float(sys.argv[3])
by_session = {p["session"]: p for p in players}
missing = [p["session"] for p in players if p["session"] not in pos]
assert not missing, f"sessions without a position in gs-ctl world: {missing}"
members = {p["session"] for p in players if p["channel"] == "guild"}
assert len(members) == 4, f"guild members: {len(members)}"
errors, lines, deliveries = [], 0, 0
heard = {}  # (from, id) -> set of hearers
for p in players:
    for h in p["heard"]:
        heard.setdefault((h["from"], h["id"]), set()).add(p["session"])
for p in players:
    for s in p["said"]:
        lines += 1
        got = heard.get((p["session"], s["id"]), set())
        if s["channel"] == "":
            want = {q for q in by_session if math.dist(pos[q], pos[p["session"]]) <= radius}
        else:
            want = members
        deliveries += len(got)
        if got != want:
            errors.append((p["session"], s["id"], s["channel"], sorted(want - got), sorted(got - want)))
near = {q: sum(1 for r in by_session if math.dist(pos[q], pos[r]) <= radius) for q in by_session}
print(f"{lines} lines, {deliveries} deliveries; hearers around each player: {sorted(near.values())}")
assert min(near.values()) >= 2 and max(near.values()) < len(players), "the clusters did not form"
if errors:
    print(f"{len(errors)} lines heard wrongly, e.g. (sender, id, channel, missed, extra): {errors[:5]}")
    sys.exit(1)
EOF

# --- 3. hand-over and kill -9 of a chat instance ---------------------------------------
gs_log "hand-over: chat instance 2 starts, instance 1 leaves, while 12 players chat"
chat_run handover 6 &
CHATTERS=$!
sleep 2
gs_start chat2 chat2.log "$CHAT" "${OPTS[@]}" -i 2
gs_wait_log chat2.log 'attached: instance' 20 chat2 || gs_fail "chat instance 2 did not attach"
gs_wait_log primary.log 'chat instance 2 up' 5 primary || gs_fail "chat 2 never up"
ctl stop chat 1 >"$GS_WORK/stop_chat1.log" || gs_fail "gs-ctl stop chat 1: $(cat "$GS_WORK/stop_chat1.log")"
grep -q 'left: cleanly' "$GS_WORK/stop_chat1.log" || gs_fail "chat 1 did not leave cleanly"
gs_kill_wait "${GS_PIDS[chat1]}" 5 || gs_fail "chat instance 1 did not exit 0"
gs_forget chat1
wait "$CHATTERS"
RC=$?
gs_log "chat-client: $(cat "$GS_WORK/handover.out")"
gs_check "lines lost across the hand-over (chat-client exit code)" "$RC" -eq 0

gs_log "kill -9 of chat instance 0 while 12 players chat, then its restart"
chat_run killed 7 &
CHATTERS=$!
sleep 2
gs_kill9 chat0
gs_wait_log primary.log 'chat instance 0 down' 5 primary || gs_fail "the kill of chat 0 was not noticed"
gs_start chat0b chat0b.log "$CHAT" "${OPTS[@]}" -i 0
gs_wait_log chat0b.log 'attached: instance' 20 chat0b || gs_fail "the restarted chat instance 0 did not attach"
wait "$CHATTERS"
gs_log "chat-client: $(cat "$GS_WORK/killed.out")"
/usr/bin/python3 - "$GS_WORK/killed.jsonl" <<'EOF' || gs_fail "the players' lines were not heard again after the restart"
import json, sys
players = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
said = sum(len(p["said"]) for p in players)
echoed = sum(1 for p in players for s in p["said"] if s["echoed"])
# each player's last 5 lines, said well after the restart, all came back
tail_lost = sum(1 for p in players for s in p["said"][-5:] if not s["echoed"])
print(f"{said} lines, {echoed} heard back ({said - echoed} lost around the kill); last 5 per player lost: {tail_lost}")
assert len(players) == 12 and all(p["connected"] for p in players)
assert tail_lost == 0
EOF

# --- 4. the chat class's counters in /metrics, by the unchanged gs-stats ----------------
curl -sf --max-time 5 "http://127.0.0.1:$HTTP_PORT/metrics" >"$GS_WORK/metrics.txt" || gs_fail "GET /metrics"
for want in 'gsnet_handler_events_total{class="chat",instance="0",event="says"}' \
    'gsnet_handler_events_total{class="chat",instance="2",event="heard_sent"}' \
    'gsnet_handler_rejected_total{class="chat",instance="0",reason="rate"}' \
    'gsnet_handler_rejected_total{class="chat",instance="0",reason="not_in_channel"}' \
    'gsnet_dispatched_total{lcore="0",class="chat"}' \
    'gsnet_handler_up{class="chat",instance="2"}'; do
    grep -qF "$want" "$GS_WORK/metrics.txt" || gs_fail "/metrics has no $want"
done
SAYS=$(awk -F' ' 'index($0, "gsnet_handler_events_total{class=\"chat\"") == 1 && /event="says"/ { s += $NF } END { print s + 0 }' "$GS_WORK/metrics.txt")
gs_check "chat lines counted by the chat instances (/metrics)" "$SAYS" -gt 500

# --- 5. the class removed again ---------------------------------------------------------
/usr/bin/python3 - "$CONF" <<'EOF'
import sys
text = open(sys.argv[1]).read()
open(sys.argv[1], "w").write(text[: text.index("\n[class.chat]")] + "\n")
EOF
if ctl reload >"$GS_WORK/reload2.log"; then
    gs_fail "a reload removed chat while its instances were attached"
fi
grep -q 'instance(s) of it are attached' "$GS_WORK/ctl.err" || gs_fail "unclear refusal: $(tail -n 2 "$GS_WORK/ctl.err")"
ctl status >"$GS_WORK/status2.log"
grep -q 'chat (id [0-9]*, types 64-79)' "$GS_WORK/status2.log" || gs_fail "a refused reload changed the classes"
timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" --players 8 \
    --duration 6 --move --quiet --json >"$GS_WORK/movers2.json" 2>"$GS_WORK/movers2.err" &
MOVERS=$!
sleep 2
ctl reload --force >"$GS_WORK/reload3.log" || gs_fail "gs-ctl reload --force: $(cat "$GS_WORK/ctl.err")"
gs_log "$(cat "$GS_WORK/reload3.log")"
for h in chat0b chat2; do
    gs_wait_log "$h.log" 'a reload removed class chat' 10 "$h" || gs_fail "$h was not asked to leave"
    gs_stop "$h" 10 || gs_fail "$h did not leave with exit 0 after the class was removed"
done
gs_wait_log primary.log 'class chat removed: its rings are freed' 10 primary || gs_fail "the chat class never went"
wait "$MOVERS"
RC=$?
gs_check "movers across the removal: gs-client exit code" "$RC" -eq 0
gs_check "moves lost across the removal" "$(val "$GS_WORK/movers2.json" 'j["moves"]["lost"]')" -eq 0
ctl status >"$GS_WORK/status3.log"
grep -q 'chat' "$GS_WORK/status3.log" && gs_fail "gs-ctl status still lists chat"

# --- 6. a handler built against another SDK ---------------------------------------------
timeout -k 3 20 "$GS_WORK/chat_sdk2/gs-chat" "${OPTS[@]}" -o class.chat.types=64-79 \
    -o class.chat.lcore_first=40 -i 0 >"$GS_WORK/sdk2.log" 2>&1
RC=$?
gs_check "gs-chat of SDK 2.0: exit code" "$RC" -ne 0
grep -q 'built against gsnet handler SDK 2.0, the running group .* provides SDK 1\.' "$GS_WORK/sdk2.log" ||
    gs_fail "the refusal does not name both SDK versions: $(grep -i sdk "$GS_WORK/sdk2.log" | tail -n 2)"
gs_stop_group stats move session

# --- 7. a group from a config without combat ---------------------------------------------
/usr/bin/python3 - "$GS_CONFIG" "$GS_WORK/nocombat.ini" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r"\n\[class\.combat\]\n(?:[^\[]*)", "\n", text))
EOF
grep -q 'class.combat' "$GS_WORK/nocombat.ini" && gs_fail "could not write a config without combat"
gs_prefix
OPTS2=("${GS_AUTH_OPTS[@]}" -c "$GS_WORK/nocombat.ini" -o "eal.file_prefix=$GS_PREFIX"
    -o "eal.vdev0=net_null0" -o world.max_entities=65536)
gs_start primary2 primary2.log "$GS_PRIMARY" "${OPTS2[@]}"
gs_wait_log primary2.log 'gs-primary ready' 30 primary2 || gs_fail "the second gs-primary not ready"
timeout -k 3 20 "$GS_CTL" "${OPTS2[@]}" status >"$GS_WORK/status4.log" 2>&1 || gs_fail "gs-ctl status (second group)"
grep -q '^classes: session (id 1, types 1,3,5) move (id 2, types 16-31) replicate (id 3, types 48-63)$' "$GS_WORK/status4.log" ||
    gs_fail "the second group's classes: $(grep '^classes' "$GS_WORK/status4.log")"
timeout -k 3 20 "$GS_COMBAT" "${OPTS2[@]}" -i 0 >"$GS_WORK/combat2.log" 2>&1
RC=$?
gs_check "gs-combat on a group without combat: exit code" "$RC" -eq 2
grep -q 'no \[class.combat\] section' "$GS_WORK/combat2.log" || gs_fail "unclear refusal: $(tail -n 2 "$GS_WORK/combat2.log")"
gs_stop primary2 20 || gs_fail "the second gs-primary did not stop with exit 0"
gs_checks_done
gs_pass
