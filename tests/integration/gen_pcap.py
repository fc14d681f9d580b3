#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the input of pcap_replay_test.sh: frames for gs-primary's net_pcap port.

  gen_pcap.py OUT_PCAP EXPECTED_FILE [LABELS_FILE]

OUT_PCAP gets, in order: an ARP request for the server, two ICMP echo
requests, CONNECTs from three client ports, then one malformed frame per drop
reason, each built so that exactly that reason applies (the order of checks
is the one in primary/frame.c). EXPECTED_FILE gets the counters the primary
must report, as name=value lines (drop_<reason>, rx_packets, ...); counters
not listed must be 0. LABELS_FILE (optional) lists "frame_number label".

Needs scapy: run with /usr/bin/python3 (Debian's python3-scapy).
"""
import struct
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Dot1Q, Ether

SERVER_IP = "198.18.0.2"
CLIENT_IP = "198.18.0.1"
OTHER_IP = "198.18.0.3"
GAME_PORT = 7777
CLIENT_PORTS = (40001, 40002, 40003)
SERVER_MAC = "02:70:63:61:70:00"  # the parser does not check the destination MAC
CLIENT_MAC = "02:00:00:00:00:01"
BCAST = "ff:ff:ff:ff:ff:ff"

GS_MAGIC = 0x4753
GS_VERSION = 1
CONNECT, CONNECT_ACCEPT, HEARTBEAT = 1, 2, 3


def gs_hdr(msg_type, session=0, seq=0, payload=b"", payload_len=None,
           magic=GS_MAGIC, version=GS_VERSION, flags=0):
    """A game message: the 24-byte big-endian header, then the payload."""
    if payload_len is None:
        payload_len = len(payload)
    return struct.pack("!HBBIIHH8s", magic, version, msg_type, session, seq,
                       payload_len, flags, bytes(8)) + payload


def pb_varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_connect(client_version, player_id, client_time_ns):
    """gs.Connect (schemas/session.proto), hand-encoded: fields 1, 2, 3 varints."""
    return (b"\x08" + pb_varint(client_version) + b"\x10" + pb_varint(player_id) +
            b"\x18" + pb_varint(client_time_ns))


def eth(dst=SERVER_MAC):
    return Ether(dst=dst, src=CLIENT_MAC)


def ip(**kw):
    kw.setdefault("src", CLIENT_IP)
    kw.setdefault("dst", SERVER_IP)
    return IP(**kw)


def udp_game(payload, sport=40009, dport=GAME_PORT, **ipkw):
    return bytes(eth() / ip(**ipkw) / UDP(sport=sport, dport=dport) / payload)


def with_bad_ip_checksum():
    good = IP(bytes(ip() / UDP(sport=40009, dport=GAME_PORT) / gs_hdr(CONNECT)))
    bad = good.chksum ^ 0x5A5A
    return bytes(eth() / ip(chksum=bad) / UDP(sport=40009, dport=GAME_PORT) / gs_hdr(CONNECT))


def with_bad_udp_checksum():
    good = IP(bytes(ip() / UDP(sport=40009, dport=GAME_PORT) / gs_hdr(CONNECT)))
    bad = good[UDP].chksum ^ 0x00F0
    assert bad not in (0, good[UDP].chksum)
    return bytes(eth() / ip() / UDP(sport=40009, dport=GAME_PORT, chksum=bad) / gs_hdr(CONNECT))


def with_bad_icmp_checksum():
    good = ICMP(bytes(ICMP(id=7, seq=9) / b"bad-checksum"))
    return bytes(eth() / ip() / ICMP(id=7, seq=9, chksum=good.chksum ^ 0x0101) / b"bad-checksum")


def frames():
    """(label, frame bytes, drop reason or None) in replay order."""
    out = []
    # Valid traffic: answered by the primary (ARP, ICMP) or by gs-session.
    out.append(("arp request", bytes(
        Ether(dst=BCAST, src=CLIENT_MAC) /
        ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, hwdst="00:00:00:00:00:00", pdst=SERVER_IP)),
        None))
    for seq in (1, 2):
        out.append((f"icmp echo {seq}", bytes(
            eth() / ip() / ICMP(type=8, id=0x6773, seq=seq) / (b"gsnet-ping-%d" % seq)), None))
    for i, port in enumerate(CLIENT_PORTS):
        # proto3: an empty payload is a valid Connect with all defaults
        payload = b"" if i == 0 else pb_connect(1, 1000 + i, 123456789 * (i + 1))
        out.append((f"connect from :{port}", udp_game(gs_hdr(CONNECT, seq=1, payload=payload),
                                                      sport=port), None))

    # One frame per drop reason.
    game = gs_hdr(CONNECT, seq=1)
    bad = [
        ("eth_truncated", bytes(eth())[:10]),
        ("ethertype", bytes(Ether(dst=SERVER_MAC, src=CLIENT_MAC, type=0x86DD) /
                            IPv6(src="2001:db8::1", dst="2001:db8::2") /
                            UDP(sport=40009, dport=GAME_PORT) / game)),
        ("vlan", bytes(eth() / Dot1Q(vlan=5) / ip() / UDP(sport=40009, dport=GAME_PORT) / game)),
        ("arp_invalid", bytes(Ether(dst=BCAST, src=CLIENT_MAC) /
                              ARP(op=1, ptype=0x86DD, hwsrc=CLIENT_MAC, psrc=CLIENT_IP,
                                  pdst=SERVER_IP))),
        ("arp_ignored", bytes(Ether(dst=BCAST, src=CLIENT_MAC) /
                              ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst=OTHER_IP))),
        ("ip_truncated", bytes(Ether(dst=SERVER_MAC, src=CLIENT_MAC, type=0x0800)) +
         bytes([0x45]) + bytes(11)),
        ("ip_version", bytes(eth() / ip(version=6) / UDP(sport=40009, dport=GAME_PORT) / game)),
        ("ip_ihl", bytes(eth() / ip(ihl=4) / UDP(sport=40009, dport=GAME_PORT) / game)),
        ("ip_length", bytes(eth() / ip(len=1000) / UDP(sport=40009, dport=GAME_PORT) / game)),
        ("ip_checksum", with_bad_ip_checksum()),
        ("ip_fragment", bytes(eth() / ip(flags="MF") / UDP(sport=40009, dport=GAME_PORT) / game)),
        ("ip_not_for_us", udp_game(game, dst=OTHER_IP)),
        ("ip_proto", bytes(eth() / ip() / TCP(sport=40009, dport=GAME_PORT, flags="S"))),
        ("icmp_invalid", with_bad_icmp_checksum()),
        ("icmp_ignored", bytes(eth() / ip() / ICMP(type=0, id=7, seq=1) / b"not-a-request")),
        ("udp_truncated", bytes(eth() / ip(proto=17) / bytes(4))),
        ("udp_length", bytes(eth() / ip() /
                             UDP(sport=40009, dport=GAME_PORT, len=8 + len(game) + 4) / game)),
        ("udp_checksum", with_bad_udp_checksum()),
        ("udp_port", udp_game(game, dport=GAME_PORT + 1)),
        ("gs_truncated", udp_game(game[:10])),
        ("gs_magic", udp_game(gs_hdr(CONNECT, magic=0x1234))),
        ("gs_version", udp_game(gs_hdr(CONNECT, version=2))),
        ("gs_length", udp_game(gs_hdr(CONNECT, payload_len=10))),
        ("gs_flags", udp_game(gs_hdr(CONNECT, flags=1))),
        ("gs_type", udp_game(gs_hdr(200))),
        ("unknown_session", udp_game(gs_hdr(HEARTBEAT, session=0x0BADC0DE, seq=5))),
    ]
    for reason, frame in bad:
        out.append((reason, frame, reason))
    return out


def write_pcap(path, frame_list):
    """Classic pcap, microsecond timestamps, LINKTYPE_ETHERNET; bytes as built."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frame_list):
            f.write(struct.pack("<IIII", 1700000000, i, len(frame), len(frame)))
            f.write(frame)


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    fl = frames()
    write_pcap(argv[1], [f for _, f, _ in fl])

    expected = {
        "rx_packets": len(fl),
        "tx_packets": 1 + 2 + len(CLIENT_PORTS),
        "arp_replies": 1,
        "icmp_replies": 2,
        "dispatched_session": len(CLIENT_PORTS),
        "replies_session": len(CLIENT_PORTS),
        "dispatched_move": 0,
        "replies_move": 0,
        "dispatched_combat": 0,
        "replies_combat": 0,
    }
    for _, _, reason in fl:
        if reason is not None:
            key = "drop_" + reason
            expected[key] = expected.get(key, 0) + 1
    with open(argv[2], "w", encoding="ascii") as f:
        for k, v in expected.items():
            f.write(f"{k}={v}\n")
    if len(argv) == 4:
        with open(argv[3], "w", encoding="ascii") as f:
            for n, (label, _, _) in enumerate(fl, 1):
                f.write(f"{n} {label}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
