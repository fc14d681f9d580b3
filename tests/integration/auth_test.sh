#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# Only real players get in. A group in [auth] mode = token over a tap port in
# a namespace; gs-probe (tests/tools) plays each attack from the namespace and
# the test checks that nothing was answered or served and that the server
# counted each refusal under its reason:
#   a forged token (one byte flipped), a token sealed under another key, an
#   expired token, a token for another server, a CONNECT without a token or
#   too short, a reused token (a retransmitted CONNECT gets its session
#   back), a forged tag, a replayed packet (the same and
#   an older one), a packet with a valid session id and tag from another
#   address.
# The handshake never answers with more bytes than the client sent, and a
# real client with real tokens (gs-token mint, gs-client --tokens) plays
# normally, its packets all tagged.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 300
gs_require_cmd ip /usr/bin/python3
GS_PROBE=${GS_PROBE:-$(gs_bin gs-probe tests/gs-probe)}
GS_STATS=${GS_STATS:-$(gs_bin gs-stats secondary/stats/gs-stats)}
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_CLIENT" "$GS_TOKEN" "$GS_PROBE" "$GS_STATS"
[ "${#GS_AUTH_OPTS[@]}" -gt 0 ] || gs_fail "no server key (gs-token keygen failed)"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
gs_prefix
IFACE=gsau$$
NS=gsau$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX"
    -o "eal.vdev0=net_tap0,iface=$IFACE" -o "net.ip=$SERVER" -o world.max_entities=65536
    -o "stats.http_port=$((20000 + $$ % 20000))")

gs_group_up "${OPTS[@]}"
gs_start session session.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_wait_log session.log 'gs-session attached' 30 session || gs_fail "gs-session did not attach"

NOW=$(date +%s)
mint() { # mint FILE ARGS...: tokens from the game backend's tool
    local out=$1
    shift
    "$GS_TOKEN" mint --key-file "$GS_KEY" "$@" >"$GS_WORK/$out" ||
        gs_fail "gs-token mint $* failed"
}
mint good.tok --server "$SERVER:$PORT" --player 100 --count 8
mint expired.tok --server "$SERVER:$PORT" --issued-at $((NOW - 120)) --lifetime 60
mint other_server.tok --server "198.18.0.3:$PORT"
mint other_port.tok --server "$SERVER:7778"
mint other_game.tok --server "$SERVER:$PORT" --protocol-id 7
"$GS_TOKEN" keygen "$GS_WORK/other.key" >/dev/null || gs_fail "gs-token keygen"
"$GS_TOKEN" mint --key-file "$GS_WORK/other.key" --server "$SERVER:$PORT" \
    >"$GS_WORK/other_key.tok" || gs_fail "gs-token mint (other key)"

# probe NAME ARGS...: run gs-probe in the namespace; PROBE_LINE is its line.
probe() {
    local name=$1
    shift
    timeout -k 3 30 ip netns exec "$NS" "$GS_PROBE" --server "$SERVER:$PORT" "$@" \
        >"$GS_WORK/probe_$name.log" 2>&1 || gs_fail "gs-probe $name: $(cat "$GS_WORK/probe_$name.log")"
    PROBE_LINE=$(grep -a '^probe ' "$GS_WORK/probe_$name.log" | tail -n 1)
    gs_log "$PROBE_LINE"
}

# rejected REASON / dropped REASON: the group's counters, read by gs-stats.
snapshot() {
    timeout -k 3 20 "$GS_STATS" "${OPTS[@]}" --json 2>/dev/null >"$GS_WORK/stats.json" ||
        gs_fail "gs-stats --json failed"
}
rejected() {
    /usr/bin/python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(sum(h["rejected"][sys.argv[2]] for h in j["handlers"] if h["class"] == "session"))' \
        "$GS_WORK/stats.json" "$1"
}
dropped() {
    /usr/bin/python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(sum(l["drops"][sys.argv[2]] for l in j["lcores"]))' "$GS_WORK/stats.json" "$1"
}

# --- the honest handshake: never more bytes back than sent ----------------------
probe handshake --tokens "$GS_WORK/good.tok" --line 1 handshake
C=$(gs_kv "$PROBE_LINE" connect_bytes)
CH=$(gs_kv "$PROBE_LINE" challenge_bytes)
AC=$(gs_kv "$PROBE_LINE" accept_bytes)
gs_check "CHALLENGE received" "$CH" -gt 0
gs_check "CONNECT_ACCEPT received" "$AC" -gt 0
gs_check "CHALLENGE bytes <= CONNECT bytes ($C)" "$CH" -le "$C"
gs_check "CONNECT_ACCEPT bytes <= CONNECT bytes ($C)" "$AC" -le "$C"

# --- bad tokens: challenged (the primary's stateless CHALLENGE opens no token),
# then no answer at all once the cookie comes back, each counted under its reason
bad() { # bad WHAT NAME ARGS...: a bad token's probe and its two checks
    local what=$1
    shift
    probe "$@"
    gs_check "$what: challenged" "$(gs_kv "$PROBE_LINE" challenged)" -eq 3
    gs_check "$what: answers after the cookie" "$(gs_kv "$PROBE_LINE" answers)" -eq 0
}
bad "forged token (byte 90 flipped)" flip --tokens "$GS_WORK/good.tok" --line 2 --tries 3 --flip 90 flip
bad "token sealed under another key" other_key --tokens "$GS_WORK/other_key.tok" --tries 3 bad-token
bad "expired token" expired --tokens "$GS_WORK/expired.tok" --tries 3 bad-token
bad "token for another server" other_server --tokens "$GS_WORK/other_server.tok" --tries 3 bad-token
bad "token for another port" other_port --tokens "$GS_WORK/other_port.tok" --tries 3 bad-token
bad "token of another game" other_game --tokens "$GS_WORK/other_game.tok" --tries 3 bad-token
probe no_token no-token
gs_check "CONNECT without a token / too short: answers" "$(gs_kv "$PROBE_LINE" answers)" -eq 0
probe reuse --tokens "$GS_WORK/good.tok" --line 3 --tries 3 reuse
gs_check "reused token from another address: accepted" "$(gs_kv "$PROBE_LINE" accepted)" -eq 0
gs_check "reused token: still challenged (stateless)" "$(gs_kv "$PROBE_LINE" challenged)" -eq 3

# a lost CONNECT_ACCEPT: the same CONNECT again gets the same session back
probe retransmit --tokens "$GS_WORK/good.tok" --line 7 --tries 2 retransmit
gs_check "retransmitted CONNECT: accepted again" "$(gs_kv "$PROBE_LINE" accepts)" -eq 2
gs_check "... with the same session" "$(gs_kv "$PROBE_LINE" same_session)" -eq 2

# --- packets of an open session --------------------------------------------------
probe forged_tag --tokens "$GS_WORK/good.tok" --line 4 forged-tag
gs_check "forged tag: answers" "$(gs_kv "$PROBE_LINE" forged_answers)" -eq 0
gs_check "same packet, honest tag: answers" "$(gs_kv "$PROBE_LINE" honest_answers)" -eq 1
probe replay --tokens "$GS_WORK/good.tok" --line 5 replay
gs_check "first heartbeat: answers" "$(gs_kv "$PROBE_LINE" first_answers)" -eq 1
gs_check "the same datagram replayed: answers" "$(gs_kv "$PROBE_LINE" replay_answers)" -eq 0
gs_check "the next heartbeat: answers" "$(gs_kv "$PROBE_LINE" next_answers)" -eq 1
gs_check "the older datagram replayed: answers" "$(gs_kv "$PROBE_LINE" old_answers)" -eq 0
probe other_addr --tokens "$GS_WORK/good.tok" --line 6 other-addr
gs_check "valid packet from another address: answers" "$(gs_kv "$PROBE_LINE" other_answers)" -eq 0
gs_check "... nor to the session's address" "$(gs_kv "$PROBE_LINE" session_saw)" -eq 0
gs_check "the same packet from the session's address: answers" \
    "$(gs_kv "$PROBE_LINE" own_answers)" -eq 1

# --- what the server counted -----------------------------------------------------
snapshot
gs_check "rejected token_forged (flip 3 + other key 3)" "$(rejected token_forged)" -eq 6
gs_check "rejected token_expired" "$(rejected token_expired)" -eq 3
gs_check "rejected token_other_server (ip 3 + port 3 + game 3)" \
    "$(rejected token_other_server)" -eq 9
gs_check "dropped token_missing (by the primary)" "$(dropped token_missing)" -eq 1
gs_check "dropped connect_short (by the primary)" "$(dropped connect_short)" -eq 1
gs_check "rejected token_missing + connect_short (none reach gs-session)" \
    "$(($(rejected token_missing) + $(rejected connect_short)))" -eq 0
gs_check "rejected token_reused" "$(rejected token_reused)" -eq 3
gs_check "rejected cookie_bad" "$(rejected cookie_bad)" -eq 0
gs_check "dropped auth_tag" "$(dropped auth_tag)" -eq 1
gs_check "dropped replay" "$(dropped replay)" -eq 2
gs_check "dropped wrong_address" "$(dropped wrong_address)" -eq 1

# --- real players with real tokens ---------------------------------------------
mint players.tok --server "$SERVER:$PORT" --player 1 --count 10
gs_log "gs-client: 10 players with tokens from gs-token, 3 s"
timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" --server "$SERVER:$PORT" \
    --tokens "$GS_WORK/players.tok" --players 10 --duration 3 --quiet --json \
    >"$GS_WORK/client.json" 2>"$GS_WORK/client.err"
RC=$?
val() { /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$GS_WORK/client.json" "$1"; }
gs_log "gs-client rc=$RC: $(head -c 300 "$GS_WORK/client.json")"
gs_check "gs-client exit code" "$RC" -eq 0
gs_check "players connected" "$(val 'j["connected"]')" -eq 10
gs_check "lost" "$(val 'j["lost"]')" -eq 0
gs_check "challenges (one per player)" "$(val 'j["challenges"]')" -eq 10
gs_check "server packets with a bad tag" "$(val 'j["refused"]["bad_tag"]')" -eq 0
gs_check "server packets replayed" "$(val 'j["refused"]["replayed"]')" -eq 0
snapshot
gs_check "dropped auth_tag (unchanged: every player packet tagged right)" \
    "$(dropped auth_tag)" -eq 1
gs_check "dropped replay (unchanged)" "$(dropped replay)" -eq 2
gs_check "dropped rate_session" "$(dropped rate_session)" -eq 0

# the same tokens again: all used, nobody gets in
timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" --server "$SERVER:$PORT" \
    --tokens "$GS_WORK/players.tok" --players 10 --duration 1 --connect-timeout 1500 --quiet \
    --json >"$GS_WORK/client2.json" 2>&1
gs_check "replayed token set: players connected" \
    "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["connected"])' \
        "$GS_WORK/client2.json")" -eq 0
snapshot
gs_check "rejected token_reused grew by the second run's CONNECTs" "$(rejected token_reused)" -gt 3

gs_stop_group session
gs_checks_done
gs_pass
