#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# The kernel exception path over tap ports. gs-primary on net_tap0 (the game
# port), whose interface is moved into a client namespace (198.18.0.1/24), and
# its exception interface gsx<pid> (same MAC) moved into a second namespace
# that stands for the server host's kernel, with the server's address
# 198.18.0.2/24 (a namespace, not the host itself: other builds and tests run
# on this machine, and neither the route to 198.18.0.0/24 nor a 198.18.0.2 of
# the host may leak into them). Two primary lcores (GS_EXCEPTION_LCORES): each
# reads its own queue of the game tap and of the exception tap, and both share
# the rate limit; with a primary lcore on the handlers' vCPU of this 2-vCPU
# host, the handler timeout is 1 s (a handler briefly starved is not "down":
# liveness is not what this test is about). gs-session attached.
#  1. While gs-client plays (10 players), a TCP connection from the client
#     namespace to an nc listener of the kernel side exchanges a line each
#     way; the kernel side pings the client (its ARP and ICMP go both ways).
#  2. While gs-client plays again, a UDP flood to a port the game does not use
#     (10,000 datagrams in 2 s) hits a small bucket (500 frames/s, bursts of
#     100): the game loses nothing, the kernel sees about what the bucket
#     allows, the rest is counted as exception_rate.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 300
gs_require_cmd ip nc ping /usr/bin/python3
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_CLIENT"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
TCP_PORT=5555
FLOOD_PORT=9999
FLOOD_N=10000
FLOOD_S=2
PPS=500
BURST=100
PLAYERS=10
LCORES=${GS_EXCEPTION_LCORES:-2} # primary lcores: each reads its own queue of both taps
gs_prefix
IFACE=gsei$$  # the game port's interface (<= 15 characters)
XIFACE=gsx$$  # the exception interface
NS=gsec$$     # client side
NSK=gsek$$    # kernel side of the server
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o "net.exception_iface=$XIFACE"
    -o "net.exception_pps=$PPS" -o "net.exception_burst=$BURST"
    -o "primary.lcore_count=$LCORES" -o "primary.cpus=0-1")

# wait_done NAME TIMEOUT_S: wait until process NAME exits by itself; sets DONE_RC.
wait_done() {
    local name=$1 deadline=$((SECONDS + $2))
    while gs_alive "$name" && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.2
    done
    gs_alive "$name" && gs_fail "$name still running after $2 s"
    wait "${GS_PIDS[$name]}"
    DONE_RC=$?
    gs_forget "$name"
}

# client_summary NAME: the summary line of gs-client run NAME (its log).
client_summary() {
    grep -a 'gs-client: players=' "$(gs_logof "$1")" | tail -n 1
}

# udp_noports: datagrams the kernel side received for a port without a socket.
udp_noports() {
    # shellcheck disable=SC2016 # $1..$3 are awk's fields, not the shell's
    ip netns exec "$NSK" awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $3 }' /proc/net/snmp
}

T_START=$SECONDS
# --- primary, the two sides, session ------------------------------------------
gs_start primary primary.log "$GS_PRIMARY" "${OPTS[@]}"
gs_wait_log primary.log 'gs-primary ready' 30 primary || gs_fail "gs-primary not ready"
grep -q "kernel exception interface $XIFACE" "$GS_WORK/primary.log" ||
    gs_fail "the primary did not create $XIFACE"
grep -qE 'port 0 \(net_tap\): rte_flow .*; steering in software \(RSS (on|off)\)' \
    "$GS_WORK/primary.log" || gs_fail "no rte_flow fallback line for port 0"
grep -qE 'port 0: rx timestamps: tsc' "$GS_WORK/primary.log" ||
    gs_fail "no 'rx timestamps' line for port 0"
[ "$(cat "/sys/class/net/$XIFACE/address")" = "$(cat "/sys/class/net/$IFACE/address")" ] ||
    gs_fail "$XIFACE does not have the port's MAC"

gs_netns_create "$NSK"
ip link set "$XIFACE" netns "$NSK" || gs_fail "cannot move $XIFACE into $NSK"
# only this interface, in its own namespace: the primary answers ARP for the
# server's address itself; the kernel answers only for addresses on this
# interface, announces with them, and takes replies back the way they came
for kv in rp_filter=0 arp_ignore=1 arp_announce=2; do
    ip netns exec "$NSK" sysctl -qw "net.ipv4.conf.$XIFACE.$kv" || gs_fail "sysctl $kv"
done
ip -n "$NSK" addr add "$SERVER/24" dev "$XIFACE" || gs_fail "ip addr add (kernel side)"
ip -n "$NSK" link set "$XIFACE" up || gs_fail "link up (kernel side)"

gs_netns_create "$NS"
ip link set "$IFACE" netns "$NS" || gs_fail "cannot move $IFACE into $NS"
ip -n "$NS" addr add "$CLIENT/24" dev "$IFACE" || gs_fail "ip addr add (client side)"
# the kernel's queue in front of the DPDK port (500 frames by default for a
# tap) absorbs the primary's scheduling gaps on this shared host, as a NIC's
# RX descriptors would: the flood must not push game requests out of it
ip -n "$NS" link set "$IFACE" txqueuelen 4096 || gs_fail "txqueuelen (client side)"
ip -n "$NS" link set "$IFACE" up || gs_fail "link up (client side)"

gs_start session session.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_wait_log session.log 'gs-session attached' 30 session || gs_fail "gs-session did not attach"

# --- 1. TCP both ways while the game plays ------------------------------------
SRV_LINE="from-the-kernel-side-$$"
CLI_LINE="from-the-client-side-$$"
gs_start listener listener.log ip netns exec "$NSK" bash -c \
    "{ printf '%s\n' '$SRV_LINE'; sleep 4; } | nc -N -l $SERVER $TCP_PORT >'$GS_WORK/srv_got.txt'"
gs_start client1 client1.log ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" \
    --players "$PLAYERS" --duration 5 --quiet
for _ in $(seq 50); do # the listener is up
    ip netns exec "$NSK" ss -Hltn "sport = :$TCP_PORT" 2>/dev/null | grep -q . && break
    sleep 0.1
done
{ printf '%s\n' "$CLI_LINE"; sleep 2; } |
    timeout -k 2 15 ip netns exec "$NS" nc -N -w 5 "$SERVER" "$TCP_PORT" >"$GS_WORK/cli_got.txt" \
        2>"$GS_WORK/nc_client.log"
gs_log "nc client exit code $?"
timeout -k 2 15 ip netns exec "$NSK" ping -c 2 -i 0.3 -W 2 "$CLIENT" >"$GS_WORK/ping.log" 2>&1 ||
    gs_fail "ping from the kernel side to $CLIENT failed: $(tail -n 3 "$GS_WORK/ping.log")"
gs_log "kernel-side ping: $(grep -a 'packets transmitted' "$GS_WORK/ping.log")"
wait_done listener 15
wait_done client1 40
LINE1=$(client_summary client1)
gs_log "gs-client 1 rc=$DONE_RC: ${LINE1:-<no summary line>}"
gs_log "client side got: '$(cat "$GS_WORK/cli_got.txt")', kernel side got: '$(cat "$GS_WORK/srv_got.txt")'"
[ "$(cat "$GS_WORK/cli_got.txt")" = "$SRV_LINE" ] ||
    gs_fail "TCP: the client side did not get the kernel side's line"
[ "$(cat "$GS_WORK/srv_got.txt")" = "$CLI_LINE" ] ||
    gs_fail "TCP: the kernel side did not get the client side's line"
gs_check "client1 exit code" "$DONE_RC" -eq 0
gs_check "client1 connected" "$(gs_kv "$LINE1" connected)" -eq "$PLAYERS"
gs_check "client1 lost" "$(gs_kv "$LINE1" lost)" -eq 0
RECV1=$(gs_kv "$LINE1" received)
gs_check "client1 received" "$RECV1" -gt 0

# --- 2. a UDP flood to another port while the game plays -----------------------
NOPORTS0=$(udp_noports)
gs_start client2 client2.log ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" \
    --players "$PLAYERS" --duration 5 --quiet
sleep 1 # connected and playing
T_FLOOD=$SECONDS
timeout -k 2 20 ip netns exec "$NS" /usr/bin/python3 "$GS_LIB_DIR/udp_flood.py" \
    "$SERVER" "$FLOOD_PORT" "$FLOOD_N" "$FLOOD_S" >"$GS_WORK/flood.log" 2>&1 ||
    gs_fail "the flood failed: $(tail -n 3 "$GS_WORK/flood.log")"
FLOOD_LINE=$(grep -a 'udp_flood:' "$GS_WORK/flood.log")
gs_log "$FLOOD_LINE"
wait_done client2 40
T_FLOOD=$((SECONDS - T_FLOOD + 1))
LINE2=$(client_summary client2)
gs_log "gs-client 2 rc=$DONE_RC: ${LINE2:-<no summary line>}"
gs_check "client2 exit code" "$DONE_RC" -eq 0
gs_check "client2 connected" "$(gs_kv "$LINE2" connected)" -eq "$PLAYERS"
gs_check "client2 lost" "$(gs_kv "$LINE2" lost)" -eq 0
# the same run length: the game got what it got without the flood
gs_check "client2 received (client1 got $RECV1)" "$(gs_kv "$LINE2" received)" -ge \
    "$((RECV1 * 9 / 10))"
SENT_FLOOD=$(gs_kv "$FLOOD_LINE" sent)
gs_check "flood datagrams sent" "${SENT_FLOOD:-0}" -eq "$FLOOD_N"
KERNEL_GOT=$(($(udp_noports) - NOPORTS0))
gs_log "the kernel side got $KERNEL_GOT of $SENT_FLOOD flood datagrams (UdpNoPorts)"
gs_check "flood datagrams that reached the kernel" "$KERNEL_GOT" -gt 0
# at most the burst and the rate for as long as the flood and the game ran
gs_check "flood datagrams that reached the kernel, at most" "$KERNEL_GOT" -le \
    "$((BURST + PPS * T_FLOOD))"

# --- stop, counters -------------------------------------------------------------
gs_stop_group session
T_ALL=$((SECONDS - T_START + 1))
gs_check_stat primary.log exception_rx -gt 0
gs_check_stat primary.log exception_tx -gt 0
gs_check_stat primary.log exception_rx -le "$((BURST + PPS * T_ALL))"
gs_check_stat primary.log exception_tx -le "$((BURST + PPS * T_ALL))"
gs_check_stat primary.log drop_exception_rate -ge "$((FLOOD_N - BURST - PPS * T_FLOOD))"
# what went to the kernel is no longer a drop
gs_check_stat primary.log drop_udp_port -eq 0
gs_check_stat primary.log drop_ip_proto -eq 0
gs_check_stat primary.log arp_replies -ge 1
for d in ip_checksum udp_checksum ring_full reply_invalid tx_nombuf; do
    gs_check_stat primary.log "drop_$d" -eq 0
done
# The kernel starts talking on the exception interface (IPv6 router
# solicitations, ARP) as soon as it is up, which can be before the game
# port's tap is up in the client namespace: such a frame cannot be written
# and counts as tx_full. Game replies are what matters, and the players'
# lost=0 above proves none was refused; a few early kernel frames may be.
gs_check_stat primary.log drop_tx_full -le 4
gs_checks_done
gs_pass
