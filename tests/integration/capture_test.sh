#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# Capture with DPDK's own tool from a running group: dpdk-dumpcap, a
# secondary, asks the primary (rte_pdump_init) to copy its port's RX and TX
# while players play through the tap. The test proves:
#   - the capture holds the players' datagrams in both directions: every
#     datagram gs-client sent, and every one it received, is in it (the
#     capture runs from before the players start to after they stop);
#   - a malformed datagram sent meanwhile is in it too, flagged by the
#     dissector with the primary's drop reason (gs_magic);
#   - tshark reads the pcapng, and with the gsnet dissector
#     (tools/wireshark/gsnet.lua) decodes every gsnet frame: type names, and
#     every MOVE's x and y (z is 0 here, which proto3 leaves off the wire);
#   - a capture tool killed -9 while it captures harms no one: the players
#     lose nothing, `gs-ctl capture-reset` removes what it left in the
#     primary, a new capture then works, and the group still serves players.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 300
gs_require_cmd ip dpdk-dumpcap tshark /usr/bin/python3
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_CLIENT" "$GS_CTL"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
DISSECTOR=$GS_SOURCE_DIR/tools/wireshark/gsnet.lua
gs_prefix
IFACE=gscp$$
NS=gscp$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o world.max_entities=65536 -o "world.spawn0=0,0,0" -o world.spawn1=
    -o world.spawn2= -o world.spawn3=)

players() { # players NAME ARGS...: gs-client in the namespace, JSON in NAME.json, nothing lost
    local name=$1
    shift
    timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" \
        --quiet --json "$@" >"$GS_WORK/$name.json" 2>"$GS_WORK/$name.err" ||
        gs_fail "gs-client ($name) exited with $?: $(tail -n 3 "$GS_WORK/$name.err")"
    gs_check "$name: lost" "$(jv "$name" 'j["lost"]')" -eq 0
}
jv() { /usr/bin/python3 -c 'import json,sys; print(eval(sys.argv[2], {"j": json.load(open(sys.argv[1]))}))' "$GS_WORK/$1.json" "$2"; }
# dumpcap NAME: capture the game port's UDP into NAME.pcapng until stopped
dumpcap() {
    gs_start "$1" "$1.log" dpdk-dumpcap --file-prefix="$GS_PREFIX" -i 0 -f "udp port $PORT" \
        -w "$GS_WORK/$1.pcapng"
    gs_wait_log "$1.log" 'Capturing on' 15 "$1" || gs_fail "dpdk-dumpcap did not start capturing"
}

gs_start primary primary.log "$GS_PRIMARY" "${OPTS[@]}"
gs_wait_log primary.log 'gs-primary ready' 30 primary || gs_fail "gs-primary not ready"
gs_quiet_tap_ns "$NS" "$IFACE" "$CLIENT/24"
for h in session move; do
    bin=GS_${h^^}
    gs_start "$h" "$h.log" "${!bin}" "${OPTS[@]}" -i 0
    gs_wait_log "$h.log" 'attached: instance' 30 "$h" || gs_fail "gs-$h did not attach"
done

# --- a capture of players moving ----------------------------------------------------
dumpcap cap
players play1 --players 4 --duration 3 --move
# one malformed datagram (a bad magic) during the capture: dropped, and flagged in Wireshark
ip netns exec "$NS" /usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"XX" + bytes(30), (sys.argv[1], int(sys.argv[2])))' "$SERVER" "$PORT" ||
    gs_fail "cannot send the malformed datagram"
sleep 0.5 # the last replies reach the capture
gs_stop cap 10 || gs_fail "dpdk-dumpcap exited with $? when stopped"
SENT=$(jv play1 'j["sent"]')
RECEIVED=$(jv play1 'j["received"]')
tshark -r "$GS_WORK/cap.pcapng" -T fields -e udp.srcport -e udp.dstport >"$GS_WORK/cap.txt" 2>"$GS_WORK/tshark.err" ||
    gs_fail "tshark cannot read the capture: $(head -n 3 "$GS_WORK/tshark.err")"
gs_check "captured datagrams to the server = datagrams the players sent ($SENT) + the malformed one" \
    "$(awk -v p="$PORT" '$2 == p' "$GS_WORK/cap.txt" | wc -l)" -eq "$((SENT + 1))"
gs_check "captured datagrams from the server = datagrams the players received ($RECEIVED)" \
    "$(awk -v p="$PORT" '$1 == p' "$GS_WORK/cap.txt" | wc -l)" -eq "$RECEIVED"

# --- the dissector decodes every gsnet frame of it ------------------------------------
if [ -f "$DISSECTOR" ]; then
    tshark -X "lua_script:$DISSECTOR" -r "$GS_WORK/cap.pcapng" -Y gsnet -T fields -e gsnet.type \
        >"$GS_WORK/types.txt" 2>"$GS_WORK/tshark.err" || gs_fail "tshark with the dissector failed"
    gs_check "frames the dissector decodes = captured datagrams" "$(grep -c . "$GS_WORK/types.txt")" \
        -eq "$((SENT + RECEIVED + 1))"
    tshark -X "lua_script:$DISSECTOR" -r "$GS_WORK/cap.pcapng" -Y gsnet -T fields -e gsnet.drop \
        >"$GS_WORK/drops.txt" 2>/dev/null || gs_fail "tshark (drop reasons) failed"
    gs_check "frames flagged malformed" "$(grep -c . "$GS_WORK/drops.txt")" -eq 1
    gs_check "... as gs_magic, the primary's reason" "$(grep -c '^gs_magic$' "$GS_WORK/drops.txt")" -eq 1
    gs_log "message types: $(sort "$GS_WORK/types.txt" | uniq -c | tr -s ' \n' ' ')"
    MOVES=$(jv play1 'j["moves"]["sent"]')
    tshark -X "lua_script:$DISSECTOR" -r "$GS_WORK/cap.pcapng" -Y 'gsnet.type == 16' -T fields \
        -E separator=, -e gsnet.move.x -e gsnet.move.y -e gsnet.move.z >"$GS_WORK/moves.txt" \
        2>/dev/null || gs_fail "tshark -T fields with the dissector failed"
    # the players walk on the plane z = 0: proto3 leaves a 0 off the wire, so z is empty
    gs_check "MOVEs with x and y decoded ($MOVES sent)" \
        "$(grep -cE '^-?[0-9][^,]*,-?[0-9][^,]*,' "$GS_WORK/moves.txt")" -eq "$MOVES"
else
    gs_fail "no dissector at $DISSECTOR"
fi

# --- a capture tool killed -9 while it captures ----------------------------------------
dumpcap cap2
players play2 --players 2 --duration 1 --move
gs_kill9 cap2
timeout -k 3 20 "$GS_CTL" "${OPTS[@]}" capture-reset >"$GS_WORK/reset.log" 2>&1 ||
    gs_fail "gs-ctl capture-reset exited with $?: $(tail -n 3 "$GS_WORK/reset.log")"
grep -q 'capture removed' "$GS_WORK/reset.log" || gs_fail "gs-ctl capture-reset removed nothing"
dumpcap cap3
players play3 --players 4 --duration 2 --move
sleep 0.5
gs_stop cap3 10 || gs_fail "the capture after a killed one exited with $?"
gs_check "the capture after a killed one holds the players' datagrams" \
    "$(tshark -r "$GS_WORK/cap3.pcapng" 2>/dev/null | wc -l)" -ge "$(jv play3 'j["sent"]')"
players play4 --players 4 --duration 2 --move

gs_alive primary || gs_fail "gs-primary died"
gs_stop_group move session
gs_checks_done
gs_pass
