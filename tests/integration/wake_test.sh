#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# Wake-ups instead of sleeps (idle = wake, the default), with real processes
# on a tap port in a namespace. The test proves:
#   - the primary sleeps on its port's RX interrupts (it says so, and its
#     sleeps counter grows while the group is idle), and a sleeping primary
#     answers the first packet that comes (a ping, then players);
#   - sleeping handlers are woken by the work the primary gives them and
#     answer: players lose nothing, and the primary counted wake-ups;
#   - a handler killed while asleep, and one killed while the primary
#     sleeps, leave nothing stuck: their successors attach, players are
#     served with nothing lost;
#   - the residence histogram counts every reply that answers a request
#     exactly once: per class, its count grew by the replies the primary
#     framed (and, for session, the CHALLENGEs it sent itself), which is
#     also every datagram the players received.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 300
gs_require_cmd ip ping /usr/bin/python3
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_CLIENT" "$GS_STATS"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
gs_prefix
IFACE=gswk$$
NS=gswk$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o world.max_entities=65536)
SEQ=0

stats() { # stats NAME: gs-stats --json into NAME.json
    timeout -k 3 20 "$GS_STATS" "${OPTS[@]}" --json >"$GS_WORK/$1.json" 2>"$GS_WORK/$1.err" ||
        gs_fail "gs-stats --json failed: $(tail -n 3 "$GS_WORK/$1.err")"
}
jd() { # jd BEFORE AFTER EXPR: EXPR(after) - EXPR(before), EXPR over j
    /usr/bin/python3 -c 'import json, sys
f = lambda p: eval(sys.argv[3], {"j": json.load(open(p)), "sum": sum})
print(f(sys.argv[2]) - f(sys.argv[1]))' "$GS_WORK/$1.json" "$GS_WORK/$2.json" "$3"
}
jv() { # jv NAME EXPR: EXPR over j, the JSON in NAME.json
    /usr/bin/python3 -c 'import json, sys
print(eval(sys.argv[2], {"j": json.load(open(sys.argv[1]))}))' "$GS_WORK/$1.json" "$2"
}
lc() { echo "sum(l[\"$1\"] for l in j[\"lcores\"])"; }
# players NAME ARGS...: gs-client in the namespace, its JSON in NAME.json; nothing may be lost
players() {
    local name=$1
    shift
    timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" \
        --quiet --json "$@" >"$GS_WORK/$name.json" 2>"$GS_WORK/$name.err" ||
        gs_fail "gs-client ($name) exited with $?: $(tail -n 3 "$GS_WORK/$name.err")"
    gs_log "$name: $(head -c 300 "$GS_WORK/$name.json")"
    gs_check "$name: lost" "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lost"])' "$GS_WORK/$name.json")" -eq 0
}
start() { # start CLASS: a handler, attached (bounded)
    local name=${1}_$((SEQ++))
    gs_start "$name" "$name.log" "$2" "${OPTS[@]}" -i 0
    gs_wait_log "$name.log" 'attached: instance' 10 "$name" || gs_fail "$1 did not attach within 10 s"
    grep -aq 'idle wake' "$GS_WORK/$name.log" || gs_fail "$name does not say idle wake"
    CUR[$1]=$name
}
asleep() { # asleep NAME: wait (bounded) until the process sleeps ('S')
    local pid i
    pid=$(gs_pid "$1") || gs_fail "$1 is not running"
    for ((i = 0; i < 50; i++)); do
        [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = S ] && return 0
        sleep 0.02
    done
    gs_fail "$1 (pid $pid) never went to sleep"
}
declare -A CUR=()

gs_start primary primary.log "$GS_PRIMARY" "${OPTS[@]}"
gs_wait_log primary.log 'gs-primary ready' 30 primary || gs_fail "gs-primary not ready"
grep -aq 'sleeps on RX interrupts' "$GS_WORK/primary.log" ||
    gs_fail "the primary does not sleep on RX interrupts: $(grep -a 'lcore_sleep_init' "$GS_WORK/primary.log")"
gs_quiet_tap_ns "$NS" "$IFACE" "$CLIENT/24"
start session "$GS_SESSION"
start move "$GS_MOVE"

# --- an idle group sleeps; a sleeping primary answers the first packet ----------
stats idle0
sleep 1
stats idle1
gs_check "primary sleeps while idle (1 s)" "$(jd idle0 idle1 "$(lc sleeps)")" -gt 0
asleep primary
timeout -k 2 10 ip netns exec "$NS" ping -c 1 -W 2 "$SERVER" >"$GS_WORK/ping.log" 2>&1 ||
    gs_fail "the sleeping primary did not answer a ping: $(tail -n 2 "$GS_WORK/ping.log")"

# --- sleeping handlers are woken by work ----------------------------------------
asleep "${CUR[session]}"
asleep "${CUR[move]}"
stats s0
players play1 --players 5 --duration 2 --move
stats s1
gs_check "handlers woken by the primary" "$(jd s0 s1 "$(lc wakeups)")" -gt 0

# --- the residence histogram counts every reply that answers a request once -------
for c in session move; do
    res=$(jd s0 s1 "j[\"residence\"][\"$c\"][\"count\"]")
    rep=$(jd s0 s1 "sum(l[\"replies\"][\"$c\"] for l in j[\"lcores\"])")
    extra=0
    [ "$c" = session ] && extra=$(jd s0 s1 "$(lc challenges)")
    gs_check "$c residence count = replies ($rep) + the primary's CHALLENGEs ($extra)" "$res" -eq $((rep + extra))
done
RECEIVED=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["received"])' "$GS_WORK/play1.json")
gs_check "residence counts over all classes = datagrams the players received" \
    "$(jd s0 s1 'sum(v["count"] for v in j["residence"].values())')" -eq "$RECEIVED"
gs_log "residence p50/p99 (us): session $(jv s1 'j["residence"]["session"]["p50_us"]')/$(jv s1 'j["residence"]["session"]["p99_us"]'), move $(jv s1 'j["residence"]["move"]["p50_us"]')/$(jv s1 'j["residence"]["move"]["p99_us"]')"

# --- a handler killed while asleep ----------------------------------------------
asleep "${CUR[session]}"
gs_kill9 "${CUR[session]}"
start session "$GS_SESSION"
players play2 --players 5 --duration 2 --move

# --- a handler killed while the primary sleeps ----------------------------------
sleep 0.3
asleep primary
gs_kill9 "${CUR[move]}"
start move "$GS_MOVE"
players play3 --players 5 --duration 2 --move

gs_alive primary || gs_fail "gs-primary died"
gs_stop_group "${CUR[move]}" "${CUR[session]}"
gs_check_stat primary.log drop_ring_full -eq 0
gs_check_stat primary.log drop_reply_invalid -eq 0
gs_checks_done
gs_pass
