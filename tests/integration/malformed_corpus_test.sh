#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# The malformed-frame corpus against a live group, with real players in the
# same run. gen_corpus.py writes ~1,200 frames, each wrong in one way (a
# valid CONNECT cut at every length, every check of primary/frame.c and the
# dispatch, faults in pairs, CONNECTs with garbage payloads), and a label per
# frame: the drop reason the primary must count, or "challenge" for a
# well-formed first CONNECT the primary answers itself. gs-primary runs on a tap port moved into a
# namespace, gs-session is attached, 10 gs-client players (tokens minted with
# the group's key) play for 5 s while the corpus is sent from the namespace as
# raw Ethernet frames (scapy sendp on the tap interface, so malformed L2/L3
# reaches the primary as built). The test proves:
#   - every frame is counted under exactly its label: each drop counter grew
#     by the number of frames with that label, no more, no less, the
#     challenges by the labelled CONNECTs plus the players' first CONNECTs,
#     and no frame of the corpus reached gs-session (its reject counters did
#     not move; counters read with gs-stats --json before and
#     after; the players and the namespace's kernel add nothing to them,
#     except the kernel's ICMP errors, counted from its own statistics);
#   - no frame was lost or counted twice: the primary received exactly the
#     frames the namespace sent, and its counters add up to them;
#   - the players were served throughout: gs-client exit 0, 10 connected,
#     nothing lost, and every datagram they sent reached gs-session;
#   - the primary and gs-session survive the corpus and stop cleanly.
# The namespace's interface has IPv6 disabled before it comes up (no router
# solicitations, MLD or DAD), so the kernel's own traffic is ARP for the
# server (answered, not a drop: a handful of requests, far under the source
# bucket that meters ARP requests) and ICMP errors for late replies (none
# expected; accounted for exactly when there are some).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 300
gs_require_cmd ip ping /usr/bin/python3
GS_STATS=${GS_STATS:-$(gs_bin gs-stats secondary/stats/gs-stats)}
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_CLIENT" "$GS_STATS"
[ "${#GS_AUTH_OPTS[@]}" -gt 0 ] || gs_fail "no server key (gs-token keygen failed)"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
PLAYERS=10
PLAY_S=5
gs_prefix
IFACE=gsmc$$
NS=gsmc$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX"
    -o "eal.vdev0=net_tap0,iface=$IFACE" -o "net.ip=$SERVER" -o world.max_entities=65536
    -o "stats.http_port=$((20000 + $$ % 20000))")

# --- the corpus -------------------------------------------------------------------
PCAP=$GS_WORK/corpus.pcap
LABELS=$GS_WORK/corpus.labels
/usr/bin/python3 "$GS_LIB_DIR/gen_corpus.py" gen "$PCAP" "$LABELS" >"$GS_WORK/gen.log" 2>&1 ||
    gs_fail "gen_corpus.py gen failed: $(tail -n 5 "$GS_WORK/gen.log")"
gs_log "$(cat "$GS_WORK/gen.log")"

# --- the group --------------------------------------------------------------------
gs_start primary primary.log "$GS_PRIMARY" "${OPTS[@]}"
gs_wait_log primary.log 'gs-primary ready' 30 primary || gs_fail "gs-primary not ready"
gs_quiet_tap_ns "$NS" "$IFACE" "$CLIENT/24"
gs_start session session.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_wait_log session.log 'gs-session attached' 30 session || gs_fail "gs-session did not attach"

# the server's MAC, for the corpus's destination (ARP + ICMP answered by the primary)
SERVER_MAC=$(gs_peer_mac "$NS" "$IFACE" "$SERVER") || exit 1
gs_log "server MAC $SERVER_MAC"

# snapshot NAME: the group's counters (gs-stats --json) and the namespace's
# side: frames its interface sent and dropped, ICMP messages its kernel sent.
# shellcheck disable=SC2317 # called through gs_settled
snapshot() {
    timeout -k 3 20 "$GS_STATS" "${OPTS[@]}" --json >"$GS_WORK/$1.json" 2>"$GS_WORK/$1.err" ||
        gs_fail "gs-stats --json failed: $(tail -n 3 "$GS_WORK/$1.err")"
    ip netns exec "$NS" sh -c "cat /sys/class/net/$IFACE/statistics/tx_packets \
        /sys/class/net/$IFACE/statistics/tx_dropped; grep '^Icmp:' /proc/net/snmp" \
        >"$GS_WORK/$1.ns" || gs_fail "cannot read $NS's counters"
}

gs_settled snapshot before

# --- players in the background, the corpus meanwhile ------------------------------
gs_start client client.log ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" \
    --server "$SERVER:$PORT" --players "$PLAYERS" --duration "$PLAY_S" --quiet --json
timeout -k 3 60 ip netns exec "$NS" /usr/bin/python3 "$GS_LIB_DIR/gen_corpus.py" send "$PCAP" \
    "$IFACE" --dst-mac "$SERVER_MAC" --pps 2000 >"$GS_WORK/send.log" 2>&1 ||
    gs_fail "sending the corpus failed: $(tail -n 5 "$GS_WORK/send.log")"
gs_log "$(tail -n 1 "$GS_WORK/send.log")"
gs_alive primary || gs_fail "gs-primary died during the corpus"

wait "${GS_PIDS[client]}"
CLIENT_RC=$?
gs_forget client
grep -a '^{' "$GS_WORK/client.log" | tail -n 1 >"$GS_WORK/client.json"
gs_log "gs-client rc=$CLIENT_RC: $(head -c 400 "$GS_WORK/client.json")"
cval() { # cval EXPR: EXPR over j, gs-client's JSON summary
    /usr/bin/python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$GS_WORK/client.json" "$1" 2>/dev/null
}
gs_check "gs-client exit code" "$CLIENT_RC" -eq 0
gs_check "players connected" "$(cval 'j["connected"]')" -eq "$PLAYERS"
gs_check "players lost" "$(cval 'j["lost"]')" -eq 0
gs_check "players' server packets with a bad tag" "$(cval 'j["refused"]["bad_tag"]')" -eq 0

gs_settled snapshot after
gs_alive primary || gs_fail "gs-primary died"
gs_alive session || gs_fail "gs-session died"

# --- every counter against the labels --------------------------------------------
# The comparison prints "what|actual|op|expected" lines for gs_check.
cat >"$GS_WORK/compare.py" <<'PY'
import json, re, sys
work, labels_path, drop_h = sys.argv[1:4]
before = json.load(open(f"{work}/before.json"))
after = json.load(open(f"{work}/after.json"))
client = json.load(open(f"{work}/client.json"))


def check(what, got, op, want):
    print(f"{what}|{got}|{op}|{want}")


def ns(name):
    """tx_packets, tx_dropped of the namespace's interface, its Icmp: line."""
    lines = open(f"{work}/{name}.ns").read().split("\n")
    keys, vals = lines[2].split()[1:], lines[3].split()[1:]
    return int(lines[0]), int(lines[1]), dict(zip(keys, map(int, vals)))


def lc(key, sub=None):
    """Growth of a counter summed over the primary's lcores."""
    f = lambda j: sum(l[key] if sub is None else l[key][sub] for l in j["lcores"])
    return f(after) - f(before)


def rej(reason):
    f = lambda j: sum(h["rejected"][reason] for h in j["handlers"] if h["class"] == "session")
    return f(after) - f(before)


want = {}
for line in open(labels_path):
    _, kind, reason, _ = line.split(" ", 3)
    want[(kind, reason)] = want.get((kind, reason), 0) + 1
n_frames = sum(want.values())
drops = re.findall(r'^\s*_\([A-Z0-9_]+,\s*"([a-z0-9_]+)"\)', open(drop_h).read(), re.M)
rejects = list(before["handlers"][0]["rejected"])
# a label that names no counter would be compared with nothing
known = {("drop", d) for d in drops} | {("challenge", "-")}
check(f"labels naming no counter {sorted(set(want) - known)}", len(set(want) - known), "-eq", 0)

tx0, txd0, icmp0 = ns("before")
tx1, txd1, icmp1 = ns("after")
# The namespace's kernel: ICMP messages it sent (errors such as port
# unreachable for a reply that came after a player's socket closed) reach the
# primary as icmp_ignored; echo requests would be answered (none are sent).
kernel_icmp = (icmp1["OutMsgs"] - icmp0["OutMsgs"]) - (icmp1["OutEchos"] - icmp0["OutEchos"])
check("ICMP messages from the namespace's kernel (counted as icmp_ignored)", kernel_icmp,
      "-ge", 0)

total_drops = 0
for d in drops:
    got = lc("drops", d)
    total_drops += got
    n = want.get(("drop", d), 0)
    check(f"drop {d} (labelled {n})", got, "-eq", n + (kernel_icmp if d == "icmp_ignored" else 0))
for r in rejects:
    check(f"gs-session reject {r} (no frame of the corpus reaches gs-session)", rej(r), "-eq", 0)
# the primary answered the labelled CONNECTs, and the players' first CONNECTs
n_chal = want.get(("challenge", "-"), 0)
chal = lc("challenges")
check(f"challenges >= labelled ({n_chal}) + CHALLENGEs the players got ({client['challenges']})",
      chal, "-ge", n_chal + client["challenges"])
check(f"challenges <= labelled + the players' CONNECTs ({client['sent_by_type']['CONNECT']})",
      chal, "-le", n_chal + client["sent_by_type"]["CONNECT"])

# Nothing lost between the namespace and the primary, nothing counted twice.
rx, arp, icmp = lc("rx_packets"), lc("arp_replies"), lc("icmp_replies")
disp_s = lc("dispatched", "session")
disp = sum(lc("dispatched", k) for k in after["lcores"][0]["dispatched"])
check("namespace interface tx_dropped", txd1 - txd0, "-eq", 0)
check(f"frames received by the primary = frames the namespace sent ({n_frames} of the corpus)",
      rx, "-eq", tx1 - tx0)
check(f"drops + dispatched + challenges + ARP/ICMP answers (ARP {arp}, ICMP {icmp}) = frames received",
      total_drops + disp + chal + arp + icmp, "-eq", rx)
check(f"dispatched to gs-session = players' datagrams ({client['sent']}) but their challenged CONNECTs",
      disp_s, "-eq", client["sent"] - (chal - n_chal))
check("dispatched to move/combat", disp - disp_s, "-eq", 0)
PY
/usr/bin/python3 "$GS_WORK/compare.py" "$GS_WORK" "$LABELS" \
    "$GS_SOURCE_DIR/shared/include/gs_drop.h" >"$GS_WORK/compare.txt" 2>"$GS_WORK/compare.err" ||
    gs_fail "comparison failed: $(cat "$GS_WORK/compare.err")"
while IFS='|' read -r what got op exp; do
    gs_check "$what" "$got" "$op" "$exp"
done <"$GS_WORK/compare.txt"

# --- the group stops cleanly (no crash, exit 0) -----------------------------------
gs_stop_group session
gs_checks_done
gs_pass
