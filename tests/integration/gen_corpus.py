#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The malformed-frame corpus of malformed_corpus_test.sh.

  gen_corpus.py gen OUT_PCAP OUT_LABELS [--seed N]
  gen_corpus.py send PCAP IFACE [--dst-mac MAC] [--pps N]

gen writes OUT_PCAP, a few thousand Ethernet frames (pcap, LINKTYPE_ETHERNET)
that are each wrong in one way, and OUT_LABELS, one line per frame:

  <frame number> <drop|challenge> <reason> <description>

"drop" means the primary must count the frame under that reason of
shared/include/gs_drop.h; "challenge" (reason "-") means the frame is a
well-formed first CONNECT (session id 0, a token of the right length, no
cookie) that the primary answers itself with a stateless CHALLENGE, counted
as a challenge: none of the corpus reaches gs-session. The corpus:

  - one valid CONNECT cut at every length from 14 bytes (the kernel refuses
    to send shorter frames from a packet socket) to one byte short, untagged
    and with an 802.1Q priority tag (VLAN id 0, served as untagged);
  - the same datagram cut with the IPv4 total length (and checksum) made to
    agree, so the cut lands in UDP; and with the UDP length and checksum made
    to agree too, so it lands in the game header;
  - every check of primary/frame.c and of the primary's dispatch with a few
    variants each, and frames that are wrong in two ways (the first check in
    the parser's order names the reason);
  - CONNECTs whose payload is not a gs.Connect (connect_payload), decodes but
    is under 200 bytes (connect_short), has no token of 120 bytes
    (token_missing), or carries a token of 120 bytes that does not open (a
    challenge: the primary opens no token).

Every label is checked, before anything is written, against a model of the
parser and the dispatch (model_frame below, a transcription of
primary/frame.c and dispatch() in primary/dataplane.c): a label that the
model disagrees with stops the generator.

send (run it in the namespace that holds the tap interface) sends the frames
of PCAP on IFACE with scapy's sendp, as raw Ethernet frames, paced at --pps
(default 2000), writing --dst-mac (the server's MAC) into every frame first.

Needs scapy: run with /usr/bin/python3 (Debian's python3-scapy).
"""
import argparse
import random
import struct
import sys
import time

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw
from scapy.utils import RawPcapReader, checksum

from gswire import GS_HDR_LEN, GS_MAGIC, GS_MAX_PAYLOAD, GS_VERSION, TOKEN_LEN, gs, ones_sum, pb_field, varint

SERVER_IP = "198.18.0.2"
OTHER_IP = "198.18.0.3"
SRC_IP = "198.18.0.9"  # the corpus's own source: not the players' address
SRC_MAC = "02:00:00:00:00:09"
DST_MAC = "02:00:00:00:00:02"  # placeholder: `send --dst-mac` writes the real one
GAME_PORT = 7777
SRC_PORT = 40900

CONNECT_MIN_PAYLOAD = 200  # GS_CONNECT_MIN_PAYLOAD (shared/include/gs_auth.h)
CONNECT, CONNECT_ACCEPT, HEARTBEAT, HEARTBEAT_ACK, DISCONNECT = 1, 2, 3, 4, 5
SESSION_ERROR, CHALLENGE, MOVE, ATTACK = 6, 7, 16, 32

DROPS = (  # GS_FOREACH_DROP, in order
    "eth_truncated", "vlan", "ethertype", "arp_invalid", "arp_ignored", "ip_truncated",
    "ip_version", "ip_ihl", "ip_length", "ip_checksum", "ip_fragment", "ip_not_for_us",
    "ip_proto", "icmp_invalid", "icmp_ignored", "udp_truncated", "udp_length",
    "udp_checksum", "udp_port", "gs_truncated", "gs_magic", "gs_version", "gs_length",
    "gs_flags", "gs_type", "unknown_session", "wrong_address", "handler_down", "ring_full",
    "reply_invalid", "tx_nombuf", "tx_full", "frame_segmented", "rate_source",
    "rate_session", "rate_connect", "auth_tag", "replay", "exception_rate", "exception_full",
    "ip_martian", "ip_options", "connect_payload", "connect_short", "token_missing",
    "cookie_bad", "cookie_expired")
# the primary's own checks of a CONNECT's payload (primary/challenge.c), not modelled
# byte by byte: a frame the model sends there may carry any of these, or be challenged
CONNECT_DROPS = ("connect_payload", "connect_short", "token_missing")


# --- building blocks -----------------------------------------------------------------

def fake_token(rng, magic=b"GSTOKEN1", length=TOKEN_LEN):
    """Bytes shaped like a connect token (magic, protocol id, times, nonce)
    whose sealed part is random: it never opens under the server key."""
    now = int(time.time())
    head = magic + struct.pack("!QQQ", 0x47534E4554, now, now + 60)
    return (head + rng.randbytes(length))[:length]


def connect_payload(total, token=None, client_version=1):
    """A well-formed gs.Connect of exactly `total` bytes: version, client
    time, the token if any, and padding (field 6) to fill."""
    # a client time one varint byte longer when one byte would be left over
    for client_time in (123456789, 1 << 28):
        body = pb_field(1, client_version) + pb_field(3, client_time)
        if token is not None:
            body += pb_field(4, token)
        left = total - len(body)
        if left == 0:
            return body
        for pad in range(left - 2, -1, -1):  # tag + length varint + zeros
            if len(pb_field(6, bytes(pad))) == left:
                return body + pb_field(6, bytes(pad))
    raise AssertionError(f"cannot make a Connect of {total} bytes")


def eth(vlan=None, ethertype=None, outer=0x8100):
    """Ethernet (+ one tag with VLAN id `vlan`) from the corpus's MAC."""
    e = Ether(dst=DST_MAC, src=SRC_MAC)
    if vlan is None:
        if ethertype is not None:
            e.type = ethertype
        return e
    e.type = outer
    t = Dot1Q(vlan=vlan & 0xFFF, prio=vlan >> 13)
    if ethertype is not None:
        t.type = ethertype
    return e / t


def udp_frame(payload, vlan=None, sport=SRC_PORT, dport=GAME_PORT, ip_kw=None, udp_kw=None):
    """Ethernet / IPv4 / UDP / payload to the server, checksums computed by
    scapy unless given in ip_kw / udp_kw."""
    ipk = {"src": SRC_IP, "dst": SERVER_IP}
    ipk.update(ip_kw or {})
    udk = {"sport": sport, "dport": dport}
    udk.update(udp_kw or {})
    return bytes(eth(vlan) / IP(**ipk) / UDP(**udk) / Raw(payload))


def ip_cksum_fix(frame, l2=14):
    """Recompute the IPv4 header checksum in place (header of IHL words)."""
    f = bytearray(frame)
    ihl = (f[l2] & 0xF) * 4
    f[l2 + 10:l2 + 12] = b"\0\0"
    struct.pack_into("!H", f, l2 + 10, checksum(bytes(f[l2:l2 + ihl])))
    return bytes(f)


def udp_cksum(frame, l2=14):
    """The correct UDP checksum of the datagram (IPv4 pseudo header)."""
    ihl = (frame[l2] & 0xF) * 4
    total = struct.unpack_from("!H", frame, l2 + 2)[0]
    udp = bytearray(frame[l2 + ihl:l2 + total])
    udp[6:8] = b"\0\0"
    ph = frame[l2 + 12:l2 + 20] + struct.pack("!BBH", 0, 17, len(udp))
    c = checksum(ph + bytes(udp))
    return 0xFFFF if c == 0 else c


def with_ip_options(frame, options, l2=14):
    """The frame's 20-byte IPv4 header followed by `options` (a multiple of
    4 bytes): IHL, total length and header checksum made to agree. The UDP
    checksum does not cover the options: it stays right."""
    f = bytes(frame)
    ihl = 5 + len(options) // 4
    f = f[:l2] + bytes([0x40 | ihl]) + f[l2 + 1:l2 + 20] + options + f[l2 + 20:]
    return ip_cksum_fix(set16(f, l2 + 2, len(f) - l2), l2)


def set16(frame, off, v):
    f = bytearray(frame)
    struct.pack_into("!H", f, off, v)
    return bytes(f)


def xor16(frame, off, mask):
    """The 16-bit field at `off` with `mask` flipped (a checksum made wrong)."""
    return set16(frame, off, struct.unpack_from("!H", frame, off)[0] ^ mask)


# --- the model: primary/frame.c frame_parse() and dataplane.c dispatch() -------------

def ip_be(a):
    return bytes(int(x) for x in a.split("."))


def model_frame(f, served_vlan=0):
    """What the primary does with frame f, as ("drop", reason),
    ("connect?", None) for a CONNECT with session id 0 whose payload the
    primary's challenge step judges (primary/challenge.c),
    or ("answer", kind) for ARP / ICMP echo requests to us.

    An answer is the parser's verdict: the data path then charges ARP and
    echo requests (and first CONNECTs) to the sender's source bucket
    ([limits] source_pps per address; ARP is keyed on the sender's protocol
    address) and drops them as rate_source above it. The bucket is not
    modelled: no frame of the corpus is answered (check() accepts only drop
    and challenge labels), ARP frames in it are refused by the parser before
    any bucket, and the corpus is sent from one address at 2000 frames/s,
    under the default source_pps of 5000 with bursts of 500."""
    n = len(f)
    if n < 14:
        return "drop", "eth_truncated"
    etype = struct.unpack_from("!H", f, 12)[0]
    l2, vid = 14, 0
    if etype == 0x8100:
        if n < 18:
            return "drop", "eth_truncated"
        vid = struct.unpack_from("!H", f, 14)[0] & 0xFFF
        etype = struct.unpack_from("!H", f, 16)[0]
        l2 = 18
        if etype in (0x8100, 0x88A8):
            return "drop", "vlan"
    elif etype == 0x88A8:
        return "drop", "vlan"
    if vid != served_vlan:
        return "drop", "vlan"
    p = f[l2:]
    if etype == 0x0806:
        if (len(p) < 28 or struct.unpack_from("!HHBB", p, 0) != (1, 0x0800, 6, 4)):
            return "drop", "arp_invalid"
        if struct.unpack_from("!H", p, 6)[0] != 1 or p[24:28] != ip_be(SERVER_IP):
            return "drop", "arp_ignored"
        return "answer", "arp"
    if etype != 0x0800:
        return "drop", "ethertype"
    if len(p) < 20:
        return "drop", "ip_truncated"
    if p[0] >> 4 != 4:
        return "drop", "ip_version"
    ihl = (p[0] & 0xF) * 4
    if ihl < 20 or ihl > len(p):
        return "drop", "ip_ihl"
    total = struct.unpack_from("!H", p, 2)[0]
    if total < ihl or total > len(p):
        return "drop", "ip_length"
    if ones_sum(p[:ihl]) != 0xFFFF:
        return "drop", "ip_checksum"
    if struct.unpack_from("!H", p, 6)[0] & 0x3FFF:
        return "drop", "ip_fragment"
    if p[16:20] != ip_be(SERVER_IP):
        return "drop", "ip_not_for_us"
    if p[12] == 0 or p[12] == 127 or p[12] >= 224:  # 0/8, 127/8, 224/4, 240/4
        return "drop", "ip_martian"
    proto, l4 = p[9], p[ihl:total]
    if proto == 1:
        if len(l4) < 8 or ones_sum(l4) != 0xFFFF:
            return "drop", "icmp_invalid"
        if l4[0] != 8 or l4[1] != 0:
            return "drop", "icmp_ignored"
        return "answer", "icmp"
    if proto != 17:
        return "drop", "ip_proto"
    if len(l4) < 8:
        return "drop", "udp_truncated"
    ulen, ucks = struct.unpack_from("!H", l4, 4)[0], struct.unpack_from("!H", l4, 6)[0]
    if ulen != len(l4):
        return "drop", "udp_length"
    if ucks != 0 and ones_sum(p[12:20] + struct.pack("!BBH", 0, 17, ulen) + l4) != 0xFFFF:
        return "drop", "udp_checksum"
    if struct.unpack_from("!H", l4, 2)[0] != GAME_PORT:
        return "drop", "udp_port"
    if ihl != 20:
        return "drop", "ip_options"
    g = l4[8:]
    if len(g) < GS_HDR_LEN:
        return "drop", "gs_truncated"
    magic, version, mtype, sid, _seq, plen, flags = struct.unpack_from("!HBBIIHH", g)
    if magic != GS_MAGIC:
        return "drop", "gs_magic"
    if version != GS_VERSION:
        return "drop", "gs_version"
    if plen > GS_MAX_PAYLOAD or plen != len(g) - GS_HDR_LEN:
        return "drop", "gs_length"
    if flags != 0:
        return "drop", "gs_flags"
    # dispatch(): classification table (deploy/gsnet.ini's classes: session,
    # move 16-31, combat 32-47, replicate 48-63), then the session checks
    if mtype not in (CONNECT, HEARTBEAT, DISCONNECT) and not 16 <= mtype <= 63:
        return "drop", "gs_type"
    if mtype == CONNECT:
        return ("drop", "unknown_session") if sid != 0 else ("connect?", None)
    # No session id of the corpus is open: the players' ids are random 32-bit
    # numbers, so one of them equalling a corpus id is a 1 in ~10^8 event.
    return "drop", "unknown_session"


# --- the corpus ----------------------------------------------------------------------

def corpus(rng):
    """[(kind, reason, description, frame bytes)] in generation order."""
    out = []

    def add(kind, reason, what, frame):
        out.append((kind, reason, what, bytes(frame)))

    def drop(reason, what, frame):
        add("drop", reason, what, frame)

    def challenge(what, frame):
        add("challenge", "-", what, frame)

    def connect_frame(payload, **kw):
        return udp_frame(gs(CONNECT, seq=1, payload=payload), **kw)

    # The base: a valid first CONNECT as a player sends it (token + padding,
    # 220 bytes of payload) whose token does not open: the primary challenges
    # it (it opens no token), and no cookie ever comes back.
    base_pl = connect_payload(220, fake_token(rng))
    base = connect_frame(base_pl)
    base_tagged = connect_frame(base_pl, vlan=0)
    challenge("base CONNECT (token does not open)", base)
    challenge("base CONNECT, priority-tagged (VLAN id 0)", base_tagged)

    # Cut at every length, headers left as they were.
    for n in range(14, len(base)):
        drop("ip_truncated" if n < 34 else "ip_length", f"cut at {n} of {len(base)}",
             base[:n])
    for n in range(14, len(base_tagged)):
        r = "eth_truncated" if n < 18 else "ip_truncated" if n < 38 else "ip_length"
        drop(r, f"priority-tagged, cut at {n} of {len(base_tagged)}", base_tagged[:n])

    # Cut inside the IP payload, total length and header checksum made to agree.
    for k in range(0, len(base) - 34):
        f = set16(base[:34 + k], 16, 20 + k)
        drop("udp_truncated" if k < 8 else "udp_length",
             f"IP payload cut to {k} (IP length fixed)", ip_cksum_fix(f))
    # Cut inside the UDP payload, IP and UDP lengths and both checksums agreeing.
    for m in range(0, len(base) - 42):
        f = set16(base[:42 + m], 16, 28 + m)
        f = ip_cksum_fix(set16(f, 38, 8 + m))
        f = set16(f, 40, udp_cksum(f))
        drop("gs_truncated" if m < GS_HDR_LEN else "gs_length",
             f"UDP payload cut to {m} (IP, UDP lengths fixed)", f)

    g = gs(CONNECT, seq=1)  # a game message that never reaches a handler here
    hb = gs(HEARTBEAT, session=0x0BADC0DE, seq=7, payload=pb_field(1, 42))

    # --- Ethernet / 802.1Q ---
    v6 = IPv6(src="2001:db8::9", dst="2001:db8::2") / UDP(sport=SRC_PORT, dport=GAME_PORT) / g
    drop("ethertype", "IPv6 (0x86dd)", eth(ethertype=0x86DD) / v6)
    drop("ethertype", "priority-tagged IPv6", eth(vlan=0, ethertype=0x86DD) / v6)
    drop("ethertype", "LLDP (0x88cc)", eth(ethertype=0x88CC) / Raw(bytes(46)))
    drop("ethertype", "ethertype 0", eth(ethertype=0) / Raw(bytes(46)))
    drop("ethertype", "802.3 length field (0x05dc)",
         eth(ethertype=0x05DC) / Raw(b"\xaa\xaa\x03" + bytes(43)))
    drop("ethertype", "MPLS (0x8847) with IPv4 inside", eth(ethertype=0x8847) /
         Raw(b"\x00\x01\x01\x40" + udp_frame(g)[14:]))
    drop("ethertype", "0x9100 (old QinQ: not a tag we parse)", eth(ethertype=0x9100) /
         Raw(udp_frame(g)[12:]))
    drop("ethertype", "minimal frame: header only, ethertype 0x1234", eth(ethertype=0x1234))
    drop("vlan", "VLAN 5 (none served)", udp_frame(g, vlan=5))
    drop("vlan", "VLAN 4095", udp_frame(g, vlan=4095))
    drop("vlan", "VLAN 1, priority 7", udp_frame(g, vlan=(7 << 13) | 1))
    drop("vlan", "QinQ: 0x88a8 outer, 0x8100 inner", eth(vlan=5, ethertype=0x8100, outer=0x88A8) /
         Dot1Q(vlan=6) / IP(src=SRC_IP, dst=SERVER_IP) / UDP(sport=SRC_PORT, dport=GAME_PORT) / g)
    drop("vlan", "two 802.1Q tags", eth(vlan=5, ethertype=0x8100) / Dot1Q(vlan=6) /
         IP(src=SRC_IP, dst=SERVER_IP) / UDP(sport=SRC_PORT, dport=GAME_PORT) / g)
    drop("vlan", "priority tag, then 0x88a8", eth(vlan=0, ethertype=0x88A8) / Dot1Q(vlan=6) /
         IP(src=SRC_IP, dst=SERVER_IP) / UDP(sport=SRC_PORT, dport=GAME_PORT) / g)
    drop("vlan", "0x88a8 alone, 14 bytes", eth(ethertype=0x88A8))
    drop("vlan", "VLAN 5 tag around ARP", eth(vlan=5, ethertype=0x0806) /
         ARP(op=1, hwsrc=SRC_MAC, psrc=SRC_IP, pdst=SERVER_IP))
    drop("eth_truncated", "VLAN 5 tag cut at 16 (length before VLAN id)", udp_frame(g, vlan=5)[:16])

    # --- ARP ---
    arp_req = eth(ethertype=0x0806) / ARP(op=1, hwsrc=SRC_MAC, psrc=SRC_IP, pdst=SERVER_IP)
    drop("arp_invalid", "ARP cut to 27 bytes", bytes(arp_req)[:14 + 27])
    drop("arp_invalid", "ARP hardware type 6", eth(ethertype=0x0806) /
         ARP(hwtype=6, op=1, hwsrc=SRC_MAC, psrc=SRC_IP, pdst=SERVER_IP))
    drop("arp_invalid", "ARP protocol IPv6", eth(ethertype=0x0806) /
         ARP(ptype=0x86DD, op=1, hwsrc=SRC_MAC, psrc=SRC_IP, pdst=SERVER_IP))
    drop("arp_invalid", "ARP hlen 8", bytes(arp_req)[:18] + b"\x08" + bytes(arp_req)[19:])
    drop("arp_invalid", "ARP plen 16", bytes(arp_req)[:19] + b"\x10" + bytes(arp_req)[20:])
    drop("arp_ignored", "ARP reply to us", eth(ethertype=0x0806) /
         ARP(op=2, hwsrc=SRC_MAC, psrc=SRC_IP, hwdst=DST_MAC, pdst=SERVER_IP))
    drop("arp_ignored", "ARP request for another address", eth(ethertype=0x0806) /
         ARP(op=1, hwsrc=SRC_MAC, psrc=SRC_IP, pdst=OTHER_IP))
    drop("arp_ignored", "RARP-style opcode 3 for us", eth(ethertype=0x0806) /
         ARP(op=3, hwsrc=SRC_MAC, psrc=SRC_IP, pdst=SERVER_IP))

    # --- IPv4 ---
    def ip_raw(version_ihl=0x45, extra=b""):
        """The base datagram with its first IP byte replaced and `extra`
        bytes inserted after the 20-byte header (checksum recomputed)."""
        p = bytearray(udp_frame(g)[14:])
        p[0] = version_ihl
        p = p[:20] + extra + p[20:]
        return ip_cksum_fix(bytes(eth(ethertype=0x0800)) + bytes(p))

    drop("ip_truncated", "IPv4 ethertype, 19 bytes of header", bytes(eth(ethertype=0x0800)) +
         bytes(udp_frame(g)[14:33]))
    for v in (0, 6, 15):
        drop("ip_version", f"version {v} in an IPv4 ethertype", ip_raw((v << 4) | 5))
    drop("ip_version", "an IPv6 header in an IPv4 ethertype", eth(ethertype=0x0800) / v6)
    for i in range(5):
        drop("ip_ihl", f"IHL {i}", ip_raw(0x40 | i))
    drop("ip_ihl", "IHL 15 (60 bytes) beyond a 52-byte datagram", ip_raw(0x4F))
    drop("ip_ihl", "IHL 6 on a frame with a bare 20-byte header",
         ip_cksum_fix(bytes(eth(ethertype=0x0800)) + bytes([0x46]) + udp_frame(g)[15:34]))
    full = len(udp_frame(g)) - 14
    for t in (full + 1, full + 100, 1500, 65535):
        drop("ip_length", f"total length {t} > {full} in the frame", udp_frame(g, ip_kw={"len": t}))
    for t in (0, 1, 19):
        drop("ip_length", f"total length {t} < IHL", udp_frame(g, ip_kw={"len": t}))
    opts = b"\x01\x01\x01\x00"  # NOP NOP NOP EOL: a valid 4-byte option area
    for t in (20, 23):
        f = ip_raw(0x46, opts)
        drop("ip_length", f"IHL 6, total length {t}", ip_cksum_fix(set16(f, 16, t)))
    f = ip_cksum_fix(set16(ip_raw(0x45), 16, 20))
    drop("udp_truncated", "total length 20: no room for UDP", f)
    for bad in (0x0001, 0x8000, 0xFFFF):
        drop("ip_checksum", f"header checksum ^ {bad:#06x}", xor16(udp_frame(g), 24, bad))
    f = udp_frame(g)
    drop("ip_checksum", "header checksum 0", set16(f, 24, 0))
    f = ip_raw(0x46, opts)
    drop("ip_checksum", "IHL 6 with options, checksum ^ 1", xor16(f, 24, 1))
    drop("ip_fragment", "MF", udp_frame(g, ip_kw={"flags": "MF"}))
    drop("ip_fragment", "DF+MF", udp_frame(g, ip_kw={"flags": "DF+MF"}))
    for off in (1, 185, 8191):
        drop("ip_fragment", f"fragment offset {off}", udp_frame(g, ip_kw={"frag": off}))
    drop("ip_fragment", "MF and offset 1", udp_frame(g, ip_kw={"flags": "MF", "frag": 1}))
    for dst in (OTHER_IP, "198.18.0.1", "198.18.0.255", "255.255.255.255", "0.0.0.0", "224.0.0.1"):
        drop("ip_not_for_us", f"to {dst}", udp_frame(g, ip_kw={"dst": dst}))
    # martian sources, whatever the protocol: never answered nor dispatched
    for src in ("0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "224.0.0.1",
                "239.255.255.250", "240.0.0.1", "255.255.255.255"):
        drop("ip_martian", f"CONNECT from {src}", udp_frame(g, ip_kw={"src": src}))
    for src in ("255.255.255.255", "0.0.0.0", "224.0.0.251", "127.0.0.1"):
        drop("ip_martian", f"echo request from {src}", eth() / IP(src=src, dst=SERVER_IP) /
             ICMP(type=8, id=0x6773, seq=2) / Raw(b"gsnet-corpus"))
    drop("ip_martian", "TCP SYN from 127.0.0.1 to port 22", eth() /
         IP(src="127.0.0.1", dst=SERVER_IP) / TCP(sport=SRC_PORT, dport=22, flags="S"))
    # IPv4 options on a game datagram (the UDP checks before it still come first)
    drop("ip_options", "IHL 6 (NOP NOP NOP EOL), CONNECT", with_ip_options(udp_frame(g), opts))
    drop("ip_options", "IHL 15 (39 NOPs, EOL), CONNECT",
         with_ip_options(udp_frame(g), b"\x01" * 39 + b"\x00"))
    drop("ip_options", "router alert (IHL 6), HEARTBEAT",
         with_ip_options(udp_frame(hb), b"\x94\x04\x00\x00"))
    drop("ip_options", "record route (IHL 7), HEARTBEAT",
         with_ip_options(udp_frame(hb), b"\x07\x07\x04" + bytes(4) + b"\x00"))
    drop("udp_port", "IHL 6, UDP to another port",
         with_ip_options(udp_frame(g, dport=GAME_PORT + 1), opts))
    drop("ip_proto", "TCP SYN to the game port", eth() / IP(src=SRC_IP, dst=SERVER_IP) /
         TCP(sport=SRC_PORT, dport=GAME_PORT, flags="S"))
    for proto in (0, 2, 41, 47, 255):
        drop("ip_proto", f"protocol {proto}", eth() / IP(src=SRC_IP, dst=SERVER_IP, proto=proto) /
             Raw(bytes(32)))
    ping = ICMP(type=8, id=0x6773, seq=1) / Raw(b"gsnet-corpus")
    good = bytes(ping)
    drop("icmp_invalid", "echo request, checksum ^ 0x0101",
         eth() / IP(src=SRC_IP, dst=SERVER_IP, proto=1) / Raw(xor16(good, 2, 0x0101)))
    drop("icmp_invalid", "ICMP of 4 bytes", eth() / IP(src=SRC_IP, dst=SERVER_IP, proto=1) /
         Raw(b"\x08\x00\xf7\xff"))
    drop("icmp_ignored", "echo reply", eth() / IP(src=SRC_IP, dst=SERVER_IP) /
         ICMP(type=0, id=1, seq=1) / Raw(b"x"))
    drop("icmp_ignored", "port unreachable", eth() / IP(src=SRC_IP, dst=SERVER_IP) /
         ICMP(type=3, code=3) / Raw(bytes(28)))
    drop("icmp_ignored", "timestamp request", eth() / IP(src=SRC_IP, dst=SERVER_IP) /
         ICMP(type=13) / Raw(bytes(12)))
    drop("icmp_ignored", "echo request with code 1", eth() / IP(src=SRC_IP, dst=SERVER_IP) /
         ICMP(type=8, code=1, id=1, seq=1) / Raw(b"x"))

    # --- UDP ---
    ulen = 8 + len(g)
    for ul in (0, 7, 8, ulen - 1, ulen + 1, 65535):
        drop("udp_length", f"UDP length {ul} != {ulen}", udp_frame(g, udp_kw={"len": ul}))
    for bad in (0x0001, 0x00F0, 0x8000):
        drop("udp_checksum", f"UDP checksum ^ {bad:#06x}", xor16(udp_frame(g), 40, bad))
    for port in (GAME_PORT + 1, 0, 53, 65535):
        drop("udp_port", f"to port {port}", udp_frame(g, dport=port))
    drop("udp_port", "from the game port to another",
         udp_frame(g, sport=GAME_PORT, dport=GAME_PORT - 1))

    # --- game header ---
    for m in (0x0000, 0x5347, 0x4754, 0xFFFF):
        drop("gs_magic", f"magic {m:#06x}", udp_frame(gs(CONNECT, magic=m)))
    for v in (0, 2, 255):
        drop("gs_version", f"version {v}", udp_frame(gs(CONNECT, version=v)))
    pl = connect_payload(210)
    for plen in (len(pl) + 1, len(pl) - 1, 0, GS_MAX_PAYLOAD, 65535):
        drop("gs_length", f"payload_len {plen}, {len(pl)} bytes follow",
             udp_frame(gs(CONNECT, payload=pl, payload_len=plen)))
    for size in (GS_MAX_PAYLOAD + 1, 1300, 1442):
        drop("gs_length", f"oversized payload: {size} bytes, payload_len {size}",
             udp_frame(gs(CONNECT, payload=connect_payload(size))))
    for fl in (0x0001, 0x8000, 0xFFFF):
        drop("gs_flags", f"flags {fl:#06x}", udp_frame(gs(CONNECT, flags=fl)))
    for t in (0, CONNECT_ACCEPT, HEARTBEAT_ACK, SESSION_ERROR, CHALLENGE, 8, 15, 64, 100, 255):
        drop("gs_type", f"type {t} (no handler class)", udp_frame(gs(t, session=0x01020304)))
    drop("gs_type", "type 2 with session id 0", udp_frame(gs(CONNECT_ACCEPT)))
    for t, sid in ((HEARTBEAT, 0), (DISCONNECT, 0), (MOVE, 0), (ATTACK, 0)):
        drop("unknown_session", f"type {t} with session id 0", udp_frame(gs(t, session=sid, seq=3)))
    for t in (HEARTBEAT, DISCONNECT, MOVE, 19, 31, ATTACK, 33, 47):
        sid = rng.getrandbits(32) | 1
        drop("unknown_session", f"type {t}, unknown session {sid:#010x}",
             udp_frame(gs(t, session=sid, seq=3, payload=pb_field(1, 42))))
    for sid in (1, 0xFFFFFFFF):
        drop("unknown_session", f"CONNECT with session id {sid:#x}",
             udp_frame(gs(CONNECT, session=sid, payload=base_pl)))

    # --- two faults: the first in the parser's order names the reason ---
    f = udp_frame(g, ip_kw={"version": 6, "ihl": 4})
    drop("ip_version", "version 6 and IHL 4", f)
    drop("ip_ihl", "IHL 4 and total length 1", udp_frame(g, ip_kw={"ihl": 4, "len": 1}))
    f = udp_frame(g, ip_kw={"len": 1000, "flags": "MF"})
    drop("ip_length", "total length too long and MF", f)
    f = udp_frame(g, ip_kw={"flags": "MF"})
    drop("ip_checksum", "MF and a bad header checksum", xor16(f, 24, 4))
    drop("ip_fragment", "MF and not for us", udp_frame(g, ip_kw={"flags": "MF", "dst": OTHER_IP}))
    drop("ip_not_for_us", "not for us, bad UDP length",
         udp_frame(g, ip_kw={"dst": OTHER_IP}, udp_kw={"len": 9}))
    drop("ip_not_for_us", "from 0.0.0.0 to 255.255.255.255 (as DHCP's first message)",
         udp_frame(g, ip_kw={"src": "0.0.0.0", "dst": "255.255.255.255"}))
    drop("ip_checksum", "from 127.0.0.1, bad header checksum",
         xor16(udp_frame(g, ip_kw={"src": "127.0.0.1"}), 24, 1))
    drop("ip_martian", "from 224.0.0.1, bad UDP length",
         udp_frame(g, ip_kw={"src": "224.0.0.1"}, udp_kw={"len": 9}))
    drop("udp_checksum", "IP options, bad UDP checksum",
         xor16(with_ip_options(udp_frame(g), opts), 44, 1))
    drop("ip_options", "IP options, bad magic",
         with_ip_options(udp_frame(gs(CONNECT, magic=0x1234)), opts))
    f = udp_frame(g, udp_kw={"len": ulen + 2})
    drop("udp_length", "bad UDP length and a bad checksum", set16(f, 40, 0x1234))
    f = udp_frame(gs(CONNECT, magic=0x1234), dport=GAME_PORT + 1)
    drop("udp_checksum", "bad checksum, wrong port", xor16(f, 40, 2))
    drop("udp_port", "wrong port, bad magic", f)
    drop("gs_magic", "bad magic, bad version", udp_frame(gs(CONNECT, magic=0x1234, version=9)))
    drop("gs_version", "bad version, bad payload_len",
         udp_frame(gs(CONNECT, version=9, payload_len=5)))
    drop("gs_length", "bad payload_len, flags set", udp_frame(gs(CONNECT, payload_len=5, flags=1)))
    drop("gs_flags", "flags set, unknown type", udp_frame(gs(200, flags=1)))
    drop("gs_type", "unknown type, unknown session", udp_frame(gs(200, session=0xDEAD)))
    drop("unknown_session", "HEARTBEAT, unknown session, garbage payload",
         udp_frame(gs(HEARTBEAT, session=0xDEAD, payload=b"\x0f\xff")))

    # --- CONNECTs the primary judges itself (primary/challenge.c) ---
    # connect_payload: gs__connect__unpack() fails. The unpack comes before the
    # length check, so a long garbage payload is bad_payload too.
    bad = [
        ("wire type 7", b"\x0f"),
        ("wire type 6", b"\x0e\x01"),
        ("tag without a value", b"\x08"),
        ("varint cut", b"\x08\x80"),
        ("varint of 11 bytes", b"\x08" + b"\xff" * 10 + b"\x01"),
        ("token length 120, 8 bytes follow", b"\x22\x78GSTOKEN1"),
        ("length-delimited without its length", b"\x22"),
        ("fixed32 cut", b"\x0d\x00\x00\x00"),
        ("fixed64 cut", b"\x09" + bytes(7)),
        ("end-group without a start", b"\x0c"),
        ("field number 0", b"\x00\x01"),
        ("ASCII 'GSTOKEN1...' (G: wire type 7)", b"GSTOKEN1" + bytes(40)),
        ("300 bytes: valid padding, then wire type 7",
         connect_payload(299) + b"\x0f"),
        ("1200 bytes: padding whose length runs past the end",
         b"\x32" + varint(1300) + bytes(GS_MAX_PAYLOAD - 3)),
        ("1200 bytes of 0xff", b"\xff" * GS_MAX_PAYLOAD),
    ]
    for what, p in bad:
        drop("connect_payload", f"CONNECT payload: {what} ({len(p)} B)", connect_frame(p))
    # Accepted by the parser in ways that are easy to get wrong, then refused
    # for the garbage: UDP checksum 0 (none), Ethernet padding
    # after the datagram. (With IP options it never gets there: ip_options.)
    drop("connect_payload", "UDP checksum 0 (none), garbage payload",
           connect_frame(b"\x0f", udp_kw={"chksum": 0}))
    drop("ip_options", "IP options (IHL 6), garbage CONNECT payload",
         with_ip_options(connect_frame(b"\x0f"), opts))
    drop("connect_payload", "18 bytes of Ethernet padding after the datagram",
           connect_frame(b"\x0f") + b"\xee" * 18)
    # connect_short: decodes, but under 200 bytes (checked before the token)
    short = [
        ("empty payload (all defaults)", b""),
        ("client_version only", pb_field(1, 1)),
        ("unknown field 15", pb_field(15, 5)),
        ("the same field twice", pb_field(1, 1) + pb_field(1, 2)),
        ("an empty token", pb_field(4, b"")),
        ("a whole token, 122 bytes", pb_field(4, fake_token(rng))),
        ("199 bytes", connect_payload(CONNECT_MIN_PAYLOAD - 1)),
        ("199 bytes with a token", connect_payload(CONNECT_MIN_PAYLOAD - 1, fake_token(rng))),
    ]
    for what, p in short:
        drop("connect_short", f"CONNECT payload: {what} ({len(p)} B)", connect_frame(p))
    # token_missing: long enough, decodes, no token of 120 bytes
    for size in (CONNECT_MIN_PAYLOAD, 500, GS_MAX_PAYLOAD):
        drop("token_missing", f"CONNECT without a token, {size} B of payload",
             connect_frame(connect_payload(size)))
    for what, tok in (("119 bytes", fake_token(rng, length=TOKEN_LEN - 1)),
                      ("121 bytes", fake_token(rng, length=TOKEN_LEN + 1))):
        drop("token_missing", f"CONNECT token: {what}", connect_frame(connect_payload(260, tok)))
    # a token of 120 bytes that does not open: challenged all the same
    forged = [
        ("random sealed part", fake_token(rng)),
        ("wrong magic", fake_token(rng, magic=b"GSTOKEN2")),
        ("all zeros", bytes(TOKEN_LEN)),
    ]
    for what, tok in forged:
        challenge(f"CONNECT token: {what}", connect_frame(connect_payload(260, tok)))
    return out


def check(items):
    """Each label against the model; returns the number of disagreements."""
    bad = 0
    for i, (kind, reason, what, frame) in enumerate(items, 1):
        verdict, why = model_frame(frame)
        if kind == "drop" and reason in CONNECT_DROPS:
            ok = verdict == "connect?"
        elif kind == "drop":
            ok = verdict == "drop" and why == reason and reason in DROPS
        else:
            ok = kind == "challenge" and verdict == "connect?"
        if not ok:
            bad += 1
            sys.stderr.write(f"gen_corpus: label disagrees with the model: #{i} {kind} {reason} "
                             f"({what}): model says {verdict} {why}; {len(frame)} B "
                             f"{frame[:64].hex()}\n")
    return bad


def write_pcap(path, frames):
    """Classic pcap, microsecond timestamps, LINKTYPE_ETHERNET; bytes as built."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000, len(frame),
                                len(frame)))
            f.write(frame)


def cmd_gen(a):
    rng = random.Random(a.seed)
    items = corpus(rng)
    bad = check(items)
    if bad:
        sys.stderr.write(f"gen_corpus: {bad} label(s) disagree with the model of the parser\n")
        return 1
    for it in items:
        if len(it[3]) > 1514 + 4:
            sys.stderr.write(f"gen_corpus: frame longer than the MTU: {it[2]}\n")
            return 1
    rng.shuffle(items)  # interleave the families: the parser keeps no state
    write_pcap(a.pcap, [it[3] for it in items])
    counts = {}
    with open(a.labels, "w", encoding="ascii") as f:
        for i, (kind, reason, what, _) in enumerate(items, 1):
            f.write(f"{i} {kind} {reason} {what}\n")
            counts[f"{kind} {reason}"] = counts.get(f"{kind} {reason}", 0) + 1
    for kind in ("drop", "challenge"):
        print(f"gen_corpus: {kind}: " + " ".join(
            f"{k.split()[1]}={v}" for k, v in sorted(counts.items()) if k.startswith(kind)))
    print(f"gen_corpus: {len(items)} frames")
    return 0


def mac_bytes(mac):
    b = bytes(int(x, 16) for x in mac.split(":"))
    if len(b) != 6:
        raise ValueError(f"bad MAC {mac}")
    return b


def cmd_send(a):
    from scapy.config import conf
    from scapy.sendrecv import sendp

    dst = mac_bytes(a.dst_mac) if a.dst_mac else None
    frames = []
    for data, _meta in RawPcapReader(a.pcap):
        frames.append(Raw(load=dst + data[6:] if dst and len(data) >= 6 else data))
    t0 = time.monotonic()
    # One socket for all; sendp raises on a failed send. Paced in batches of
    # 20 so that the corpus stays under the primary's rate limits.
    batch = 20
    sock = conf.L2socket(iface=a.iface)
    for i in range(0, len(frames), batch):
        sendp(frames[i:i + batch], socket=sock, verbose=False)
        ahead = t0 + (i + batch) / a.pps - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    sock.close()
    dt = time.monotonic() - t0
    print(f"gen_corpus: sent {len(frames)} frames on {a.iface} in {dt:.2f} s "
          f"({len(frames) / dt:.0f} frames/s)")
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("pcap")
    g.add_argument("labels")
    g.add_argument("--seed", type=int, default=7777)
    s = sub.add_parser("send")
    s.add_argument("pcap")
    s.add_argument("iface")
    s.add_argument("--dst-mac")
    s.add_argument("--pps", type=float, default=2000.0)
    a = ap.parse_args(argv[1:])
    return cmd_gen(a) if a.cmd == "gen" else cmd_send(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
