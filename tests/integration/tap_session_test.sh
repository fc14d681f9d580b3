#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# End to end over a tap port: gs-primary on net_tap0, its interface moved into
# a network namespace with 198.18.0.1/24; gs-session attached; from the
# namespace: ping (ARP + ICMP answered by the primary), gs-client sessions
# over kernel UDP, malformed datagrams; dpdk-proc-info against the running
# primary; kill -9 of gs-session and a restart while the primary keeps
# running; finally the primary's stats line after SIGTERM.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 300
gs_require_cmd ip ping dpdk-proc-info /usr/bin/python3
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_CLIENT"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
gs_prefix
IFACE=gsit$$ # <= 15 characters
NS=gsit$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER")

# run_client LOG ARGS...: gs-client in the namespace; sets CLIENT_RC, CLIENT_LINE.
run_client() {
    local log
    log=$(gs_logfile "$1")
    shift
    gs_log "gs-client $*"
    timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" "$@" \
        >"$log" 2>&1 </dev/null
    CLIENT_RC=$?
    CLIENT_LINE=$(grep -a 'gs-client: players=' "$log" | tail -n 1)
    gs_log "gs-client rc=$CLIENT_RC: ${CLIENT_LINE:-<no summary line>}"
}

# --- primary, namespace, session -------------------------------------------
gs_group_up "${OPTS[@]}"

gs_start session session.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_wait_log session.log 'gs-session attached' 30 session || gs_fail "gs-session did not attach"

# --- ARP + ICMP answered by the primary --------------------------------------
timeout -k 2 20 ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 "$SERVER" >"$GS_WORK/ping.log" 2>&1 ||
    gs_fail "ping $SERVER from $NS failed: $(tail -n 3 "$GS_WORK/ping.log")"
gs_log "ping: $(grep -a 'packets transmitted' "$GS_WORK/ping.log")"

# --- 20 players for 5 s -------------------------------------------------------
run_client client1.log --players 20 --duration 5 --interval 100 --quiet
[ "$CLIENT_RC" -eq 0 ] || gs_fail "gs-client (20 players) exited with $CLIENT_RC"
[ -n "$CLIENT_LINE" ] || gs_fail "gs-client printed no summary line"
gs_check "client1 connected" "$(gs_kv "$CLIENT_LINE" connected)" -eq 20
gs_check "client1 lost" "$(gs_kv "$CLIENT_LINE" lost)" -eq 0
gs_check "client1 received" "$(gs_kv "$CLIENT_LINE" received)" -gt 0
# the primary numbers every packet to a session, replies that cross a close too
SEQ_LINE=$(grep -a 'server_seq_gaps=' "$GS_WORK/client1.log" | tail -n 1)
gs_check "client1 server sequence gaps" "$(gs_kv "$SEQ_LINE" server_seq_gaps)" -eq 0
gs_check "client1 server sequence reordered" "$(gs_kv "$SEQ_LINE" server_seq_reordered)" -eq 0
SENT1=$(gs_kv "$CLIENT_LINE" sent)
RECV1=$(gs_kv "$CLIENT_LINE" received)
gs_check "client1 sent" "$SENT1" -gt 0

# --- malformed datagrams from a kernel socket ---------------------------------
timeout -k 2 20 ip netns exec "$NS" /usr/bin/python3 "$GS_LIB_DIR/send_malformed.py" \
    "$SERVER" "$PORT" 3 >"$GS_WORK/malformed.log" 2>&1 ||
    gs_fail "sending malformed datagrams failed: $(tail -n 3 "$GS_WORK/malformed.log")"

# --- dpdk-proc-info against the running primary (lcore 0 is left free) --------
timeout -k 3 30 dpdk-proc-info --no-pci --file-prefix="$GS_PREFIX" -- --stats \
    >"$GS_WORK/procinfo.log" 2>&1 || gs_fail "dpdk-proc-info --stats exited with $?"
grep -q 'NIC statistics for port' "$GS_WORK/procinfo.log" ||
    gs_fail "dpdk-proc-info printed no port statistics"
PI_RX=$(sed -n 's/^ *RX-packets: *\([0-9][0-9]*\) .*/\1/p' "$GS_WORK/procinfo.log" | head -n 1)
gs_check "proc-info RX-packets" "$PI_RX" -gt 0
gs_alive primary || gs_fail "gs-primary died after dpdk-proc-info"

# --- the primary's own telemetry commands -------------------------------------
printf '/gsnet/summary\n/gsnet/drops\n' | timeout -k 3 20 dpdk-telemetry.py -f "$GS_PREFIX" \
    >"$GS_WORK/telemetry.log" 2>&1 || gs_fail "dpdk-telemetry.py exited with $?"
TEL_RX=$(sed -n 's/.*"\/gsnet\/summary": {"rx_packets": \([0-9]*\).*/\1/p' "$GS_WORK/telemetry.log")
gs_check "telemetry /gsnet/summary rx_packets" "${TEL_RX:-0}" -gt 0
grep -q '"gs_magic": ' "$GS_WORK/telemetry.log" || gs_fail "/gsnet/drops has no gs_magic counter"

# --- kill -9 gs-session; the primary keeps running; restart --------------------
gs_kill9 session
gs_alive primary || gs_fail "gs-primary died when gs-session was killed"
gs_start session2 session2.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_wait_log session2.log 'gs-session attached' 30 session2 ||
    gs_fail "gs-session did not re-attach after kill -9"
run_client client2.log --players 5 --duration 2 --interval 100 --quiet
[ "$CLIENT_RC" -eq 0 ] || gs_fail "gs-client after the restart exited with $CLIENT_RC"
gs_check "client2 connected" "$(gs_kv "$CLIENT_LINE" connected)" -eq 5
gs_check "client2 lost" "$(gs_kv "$CLIENT_LINE" lost)" -eq 0
SENT2=$(gs_kv "$CLIENT_LINE" sent)
RECV2=$(gs_kv "$CLIENT_LINE" received)
gs_check "client2 received" "$RECV2" -gt 0
gs_alive primary || gs_fail "gs-primary died"
# the port was never stopped or reset: its statistics only grew
timeout -k 3 30 dpdk-proc-info --no-pci --file-prefix="$GS_PREFIX" -- --stats \
    >"$GS_WORK/procinfo2.log" 2>&1 || gs_fail "dpdk-proc-info --stats (2) exited with $?"
PI_RX2=$(sed -n 's/^ *RX-packets: *\([0-9][0-9]*\) .*/\1/p' "$GS_WORK/procinfo2.log" | head -n 1)
gs_check "port RX-packets after the restart (was $PI_RX)" "${PI_RX2:-0}" -gt "$PI_RX"

# --- stop: handlers first, then the primary ----------------------------------
gs_stop_group session2

# every counter of the interface is present
for d in $(gs_drop_names); do
    gs_stat primary.log "drop_$d" >/dev/null || gs_check "drop_$d present" "" -ge 0
done
for c in session move combat; do
    for s in dispatched replies; do
        gs_stat primary.log "${s}_$c" >/dev/null || gs_check "${s}_$c present" "" -ge 0
    done
done

gs_check_stat primary.log rx_packets -gt 0
gs_check_stat primary.log tx_packets -gt 0
gs_check_stat primary.log arp_replies -ge 1
gs_check_stat primary.log icmp_replies -ge 3
gs_check_stat primary.log drop_gs_magic -ge 1
gs_check_stat primary.log drop_gs_version -ge 1
gs_check_stat primary.log drop_gs_length -ge 1
gs_check_stat primary.log drop_unknown_session -ge 1
gs_check_stat primary.log drop_udp_port -ge 1
# every datagram the clients sent reached the session handler but the first
# CONNECTs, which the primary answered itself (challenges), and every one they
# received was a reply the primary framed: a handler's or a CHALLENGE
CHALLENGES=$(gs_stat primary.log challenges)
gs_check "challenges (first CONNECTs answered by the primary)" "${CHALLENGES:-0}" -gt 0
gs_check_stat primary.log dispatched_session -ge "$((${SENT1:-0} + ${SENT2:-0} - CHALLENGES))"
gs_check_stat primary.log replies_session -ge "$((${RECV1:-0} + ${RECV2:-0} - CHALLENGES))"
# never expected over a quiet tap link
for d in ip_checksum udp_checksum ring_full reply_invalid tx_nombuf tx_full; do
    gs_check_stat primary.log "drop_$d" -eq 0
done
gs_checks_done
gs_pass
