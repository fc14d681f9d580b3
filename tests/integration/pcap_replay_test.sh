#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# Deterministic replay: gen_pcap.py writes frames (ARP, ICMP echo, CONNECTs
# from three client ports, one malformed frame per drop reason) that
# gs-primary reads from a net_pcap port once gs-session is attached
# (primary.start_after=session). The replies in the tx pcap are checked with
# tshark, the drop counters of the stats line against the generator's counts.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 300
gs_require_cmd tshark /usr/bin/python3
gs_require_bin "$GS_PRIMARY" "$GS_SESSION"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
CLIENT_PORTS=(40001 40002 40003)
gs_prefix
# Keep the devargs short: secondaries get them cut to 63 characters, and they
# re-open (truncate) tx_pcap, which is why the port starts only after the
# handler attached.
gs_tmpdir D "/tmp/gp$$"
IN=$D/i
OUT=$D/o
VDEV="net_pcap0,rx_pcap=$IN,tx_pcap=$OUT"
[ "${#VDEV}" -le 63 ] || gs_fail "devargs '$VDEV' longer than 63 characters"
EXPECTED=$GS_WORK/expected.txt

/usr/bin/python3 "$GS_LIB_DIR/gen_pcap.py" "$IN" "$EXPECTED" "$GS_WORK/labels.txt" ||
    gs_fail "gen_pcap.py failed"
cp "$IN" "$GS_WORK/in.pcap"
N_IN=$(grep -c . "$GS_WORK/labels.txt")
gs_log "generated $N_IN frames"

# The replayed CONNECTs carry no connect token: this test is about the frame
# parser and the replies, so the group runs in [auth] mode = open.
OPTS=(-o auth.mode=open -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=$VDEV" -o "net.ip=$SERVER"
    -o "net.udp_port=$PORT")

gs_start primary primary.log "$GS_PRIMARY" "${OPTS[@]}" -o primary.start_after=session
gs_wait_eal "$GS_PREFIX" 30 primary || gs_fail "the primary's EAL did not come up"
gs_start session session.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_wait_log session.log 'gs-session attached' 30 session || gs_fail "gs-session did not attach"
gs_wait_log primary.log 'gs-primary ready' 30 primary || gs_fail "gs-primary not ready"

# out_frames: frames in the tx pcap so far (it is flushed per burst)
out_frames() {
    tshark -r "$OUT" 2>/dev/null | grep -c .
}
WANT_TX=$(sed -n 's/^tx_packets=//p' "$EXPECTED")
deadline=$((SECONDS + 15))
while [ "$(out_frames)" -lt "$WANT_TX" ] && [ "$SECONDS" -lt "$deadline" ]; do
    gs_alive primary || gs_fail "gs-primary died during the replay"
    sleep 0.2
done
gs_log "tx pcap has $(out_frames) of $WANT_TX frames"

# Handlers first (they re-opened the pcap files), then the primary.
gs_stop_group session
cp "$OUT" "$GS_WORK/out.pcap" 2>/dev/null

# --- counters: exactly the generator's, every other drop reason 0 -------------
expected() { sed -n "s/^$1=//p" "$EXPECTED"; }
for name in rx_packets tx_packets arp_replies icmp_replies; do
    gs_check_stat primary.log "$name" -eq "$(expected "$name")"
done
for c in session move combat; do
    gs_check_stat primary.log "dispatched_$c" -eq "$(expected "dispatched_$c")"
    gs_check_stat primary.log "replies_$c" -eq "$(expected "replies_$c")"
done
for d in $(gs_drop_names); do
    want=$(expected "drop_$d")
    gs_check_stat primary.log "drop_$d" -eq "${want:-0}"
done

# --- the replies, decoded by tshark --------------------------------------------
TSHARK=(tshark -r "$OUT" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE)
gs_check "tx pcap frames" "$(out_frames)" -eq "$WANT_TX"

n=$("${TSHARK[@]}" -Y "arp.opcode == 2 && arp.src.proto_ipv4 == $SERVER && arp.dst.proto_ipv4 == $CLIENT" 2>/dev/null | grep -c .)
gs_check "ARP replies for $SERVER" "$n" -eq 1

n=$("${TSHARK[@]}" -Y "icmp.type == 0 && icmp.code == 0 && ip.src == $SERVER && ip.dst == $CLIENT && ip.checksum.status == 1 && icmp.checksum.status == 1" 2>/dev/null | grep -c .)
gs_check "ICMP echo replies (good checksums)" "$n" -eq 2

"${TSHARK[@]}" -Y udp -T fields -E separator=' ' -e ip.src -e udp.srcport -e ip.dst \
    -e udp.dstport -e ip.checksum.status -e udp.checksum.status -e udp.length -e udp.payload \
    2>/dev/null >"$GS_WORK/udp.txt"
gs_log "UDP replies:"
sed 's/^/    /' "$GS_WORK/udp.txt"
gs_check "UDP replies" "$(grep -c . "$GS_WORK/udp.txt")" -eq "${#CLIENT_PORTS[@]}"
for cport in "${CLIENT_PORTS[@]}"; do
    n=0
    while read -r src sport dst dport ipck udpck ulen payload; do
        if [ "$dst" != "$CLIENT" ] || [ "$dport" != "$cport" ]; then continue; fi
        hex=${payload//:/}
        plen=$((16#${hex:24:4}))
        if [ "$src" = "$SERVER" ] && [ "$sport" = "$PORT" ] && [ "$ipck" = 1 ] &&
            [ "$udpck" = 1 ] && [ "${hex:0:8}" = 47530102 ] &&
            [ "${hex:8:8}" != 00000000 ] && [ "$((ulen - 8 - 24))" -eq "$plen" ]; then
            n=$((n + 1))
        else
            gs_log "bad reply to :$cport: $src:$sport ipck=$ipck udpck=$udpck len=$ulen $hex"
        fi
    done <"$GS_WORK/udp.txt"
    gs_check "CONNECT_ACCEPT to $CLIENT:$cport (header 47 53 01 02, session id, checksums)" \
        "$n" -eq 1
done

n=$("${TSHARK[@]}" -Y 'ip.checksum.status != 1 || udp.checksum.status == 0' 2>/dev/null | grep -c .)
gs_check "frames with a bad IP or UDP checksum" "$n" -eq 0

gs_checks_done
gs_pass
