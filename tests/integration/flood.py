#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A spoofed-source flood for flood_test.sh, sent as raw Ethernet frames.

  flood.py --iface IF --dst-mac MAC [--server IP:PORT] [--rate PPS]
           [--seconds S] [--count N] [--mix connect=40,heartbeat=30,steal=10,single=20]
           [--spoof NET/LEN] [--single-src IP] [--connect-after N] [--connect-wait S]

Run it in the namespace that holds the tap interface. It sends, paced at
--rate frames per second, until --count frames or --seconds have passed, a
shuffled mix of game datagrams to the server from random source addresses of
--spoof (default 198.18.128.0/17), each with a random source port:

  connect    CONNECT, session id 0, a Connect payload of 260 bytes with a
             120-byte token that has the token magic but does not open:
             each that reaches gs-session costs it an AEAD open
  heartbeat  HEARTBEAT with a random session id (the primary: unknown_session)
  steal      HEARTBEAT carrying the session id of a real player, learned from
             the server's replies seen on the interface (wrong_address)
  single     HEARTBEAT with a random session id from one address, --single-src,
             far above the per-source limit (rate_source)

Until a session id was learned, steal frames are sent as heartbeat frames;
with --connect-after N, connect frames are too until N session ids were
learned (the players connected) or --connect-wait seconds passed.

Frames are built once (pools of pre-built frames with valid IPv4 and UDP
checksums) and sent in a loop over one AF_PACKET socket; a second one reads
the server's replies. At the end it prints one JSON line: frames sent, by
kind, seconds, achieved rate, when the CONNECT and single-source parts ran,
session ids learned, send errors and the interface's tx_dropped growth.
"""
import argparse
import ipaddress
import json
import random
import socket
import struct
import sys
import time

from gswire import (CONNECT, CONNECT_ACCEPT, GS_MAGIC, HEARTBEAT, HEARTBEAT_ACK, TOKEN_LEN,
                    gs, ones_sum as ones, pb_field)

ETH_P_IP = 0x0800
SOL_PACKET = 263
PACKET_IGNORE_OUTGOING = 23
POOL = 1024


class Builder:
    """Ethernet / IPv4 / UDP frames to the server with valid checksums."""

    def __init__(self, src_mac, dst_mac, server_ip, server_port):
        self.eth = dst_mac + src_mac + struct.pack("!H", ETH_P_IP)
        self.dst = socket.inet_aton(server_ip)
        self.dport = server_port
        self.ip_id = 0

    def frame(self, src_ip, sport, payload):
        src = socket.inet_aton(src_ip) if isinstance(src_ip, str) else src_ip
        ulen = 8 + len(payload)
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, self.ip_id, 0x4000, 64, 17, 0,
                          src, self.dst)
        iph = iph[:10] + struct.pack("!H", ~ones(iph) & 0xFFFF) + iph[12:]
        udp = struct.pack("!HHHH", sport, self.dport, ulen, 0) + payload
        c = ~ones(src + self.dst + struct.pack("!BBH", 0, 17, ulen) + udp) & 0xFFFF
        udp = udp[:6] + struct.pack("!H", c or 0xFFFF) + udp[8:]
        return self.eth + iph + udp


def connect_payload(rng):
    """gs.Connect of 260 bytes: version, client time, a token with the magic
    and a random sealed part (never opens), padding."""
    now = int(time.time())
    token = (b"GSTOKEN1" + struct.pack("!QQQ", 0x47534E4554, now, now + 60) +
             rng.randbytes(TOKEN_LEN - 32))
    body = pb_field(1, 1) + pb_field(3, rng.getrandbits(56)) + pb_field(4, token)
    pad = 260 - len(body) - 3  # field 6: tag, 2-byte length, zeros
    return body + pb_field(6, bytes(pad))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst-mac", required=True)
    ap.add_argument("--server", default="198.18.0.2:7777")
    ap.add_argument("--rate", type=float, default=12000.0)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--mix", default="connect=40,heartbeat=30,steal=10,single=20")
    ap.add_argument("--spoof", default="198.18.128.0/17")
    ap.add_argument("--single-src", default="198.18.0.66")
    ap.add_argument("--connect-after", type=int, default=0)
    ap.add_argument("--connect-wait", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv[1:])
    if a.rate <= 0 or a.seconds <= 0 or a.seconds > 60 or a.count <= 0:
        ap.error("--rate, --seconds (at most 60) and --count must be positive")

    rng = random.Random(a.seed)
    server_ip, server_port = a.server.rsplit(":", 1)
    server_port = int(server_port)
    with open(f"/sys/class/net/{a.iface}/address", encoding="ascii") as f:
        src_mac = bytes.fromhex(f.read().strip().replace(":", ""))
    b = Builder(src_mac, bytes.fromhex(a.dst_mac.replace(":", "")), server_ip, server_port)
    net = ipaddress.ip_network(a.spoof)
    base, span = int(net.network_address), net.num_addresses

    def spoofed():
        return struct.pack("!I", base + rng.randrange(1, span - 1))

    def sport():
        return rng.randrange(1024, 65536)

    def heartbeat(sid):
        return gs(HEARTBEAT, sid, rng.getrandbits(32), pb_field(1, rng.getrandbits(60)))

    pools = {
        "connect": [b.frame(spoofed(), sport(), gs(CONNECT, 0, 0, connect_payload(rng)))
                    for _ in range(POOL)],
        "heartbeat": [b.frame(spoofed(), sport(), heartbeat(rng.getrandbits(32) | 1))
                      for _ in range(POOL)],
        "single": [b.frame(a.single_src, sport(), heartbeat(rng.getrandbits(32) | 1))
                   for _ in range(256)],
        "steal": [],
    }
    weights = dict((k, int(v)) for k, v in (kv.split("=") for kv in a.mix.split(",")))
    if set(weights) - set(pools):
        ap.error(f"--mix: kinds are {', '.join(pools)}")
    pattern = [k for k, w in weights.items() for _ in range(w)]
    rng.shuffle(pattern)
    if not pattern:
        ap.error("--mix: nothing to send")

    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    tx.bind((a.iface, 0))
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    rx.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    rx.bind((a.iface, ETH_P_IP))
    rx.setblocking(False)
    server = socket.inet_aton(server_ip)
    learned = []

    def learn():
        """Session ids from the server's replies (CONNECT_ACCEPT, HEARTBEAT_ACK)."""
        for _ in range(256):
            try:
                f = rx.recv(2048)
            except BlockingIOError:
                return
            if (len(f) < 14 + 20 + 8 + 24 or f[12:14] != b"\x08\x00" or f[23] != 17 or
                    f[26:30] != server):
                continue
            ihl = (f[14] & 0xF) * 4
            u = 14 + ihl
            if struct.unpack_from("!H", f, u)[0] != server_port:
                continue
            magic, _v, mtype, sid = struct.unpack_from("!HBBI", f, u + 8)
            if magic != GS_MAGIC or mtype not in (CONNECT_ACCEPT, HEARTBEAT_ACK) or sid == 0:
                continue
            if sid not in learned and len(learned) < 64:
                learned.append(sid)
                pools["steal"].extend(b.frame(spoofed(), sport(), heartbeat(sid))
                                      for _ in range(64))

    def tx_dropped():
        with open(f"/sys/class/net/{a.iface}/statistics/tx_dropped", encoding="ascii") as f:
            return int(f.read())

    sent = {k: 0 for k in pools}
    first, last = {}, {}
    idx = {k: 0 for k in pools}
    errors = 0
    connect_on = a.connect_after == 0
    drop0 = tx_dropped()
    t0 = time.monotonic()
    end = t0 + a.seconds
    total = 0
    slot = 0
    print(f"flood: {a.rate:.0f} frames/s for {a.seconds} s (at most {a.count} frames), "
          f"mix {a.mix}, spoofed from {a.spoof}, single source {a.single_src}", flush=True)
    send = tx.send
    while total < a.count:
        now = time.monotonic()
        if now >= end:
            break
        learn()
        if not connect_on and (len(learned) >= a.connect_after or now - t0 >= a.connect_wait):
            connect_on = True
            print(f"flood: CONNECTs on at +{now - t0:.2f} s, {len(learned)} session ids "
                  "learned", flush=True)
        due = min(int((now - t0) * a.rate) - total, 64, a.count - total)
        if due <= 0:
            time.sleep(0.0005)
            continue
        for _ in range(due):
            kind = pattern[slot % len(pattern)]
            slot += 1
            if (kind == "connect" and not connect_on) or (kind == "steal" and not learned):
                kind = "heartbeat"
            pool = pools[kind]
            try:
                send(pool[idx[kind] % len(pool)])
            except OSError:  # ENOBUFS: the qdisc is full; counted, not retried
                errors += 1
                continue
            idx[kind] += 1
            sent[kind] += 1
            total += 1
            first.setdefault(kind, now)
            last[kind] = now
    dt = time.monotonic() - t0
    learn()
    span_s = {k: round(last[k] - first[k], 3) for k in first}
    print(json.dumps({
        "sent": total, "by_kind": sent, "seconds": round(dt, 3),
        "pps": round(total / dt) if dt > 0 else 0, "rate": a.rate,
        "kind_seconds": span_s, "learned": len(learned), "send_errors": errors,
        "tx_dropped": tx_dropped() - drop0}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
