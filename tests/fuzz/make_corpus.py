#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Rewrite the seed corpora and dictionaries of tests/fuzz/.

    tests/fuzz/make_corpus.py          # from the repository root or anywhere

Seeds are inputs that reach deep into each target: valid frames (with and
without a VLAN tag, ARP, ICMP echo, every game message), valid game headers,
every protobuf message with all its fields set, the shipped deploy/gsnet.ini
and variants with overrides. Protobuf payloads are encoded from the field
numbers and types in schemas/*.proto, so the seeds follow the schemas.

Needs python3 and scapy (Debian: python3-scapy). Files the script does not
write are left alone, so hand-made seeds can sit next to generated ones.
"""

import os
import re
import struct
import sys

from scapy.all import ARP, ICMP, IP, UDP, Dot1Q, Ether, IPOption, Raw

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(HERE, "corpus")

# The primary the fuzzers configure (fuzz_frame.c): 198.18.0.2, port 7777,
# untagged (selector byte 0) or VLAN 100 (selector byte 1).
OUR_IP, PEER_IP = "198.18.0.2", "198.18.0.1"
OUR_MAC, PEER_MAC = "02:00:00:00:00:02", "02:00:00:00:00:01"
GAME_PORT, PEER_PORT = 7777, 40001
VLAN = 100

GS_MAGIC, GS_VERSION, GS_HDR_LEN, GS_MAX_PAYLOAD = 0x4753, 1, 24, 1200


# --- protobuf encoding from the .proto files -------------------------------------------------

VARINT_TYPES = {"uint32", "uint64", "int32", "int64", "bool"}


def varint(v):
    v &= (1 << 64) - 1  # negative int32/int64: ten bytes, as protobuf encodes them
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(num, wire):
    return varint(num << 3 | wire)


def parse_protos():
    """{message name: [(field type, field name, number, is_enum)]} of schemas/*.proto."""
    messages = {}
    for stem in ("session", "move", "combat"):
        with open(os.path.join(SRC, "schemas", stem + ".proto")) as f:
            text = re.sub(r"//[^\n]*", "", f.read())
        for m in re.finditer(r"\bmessage\s+(\w+)\s*\{", text):
            depth, i = 1, m.end()
            while depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            body = text[m.end() : i - 1]
            enums = set(re.findall(r"\benum\s+(\w+)", body))
            body = re.sub(r"\benum\s+\w+\s*\{[^}]*\}", "", body)
            fields = []
            for ftype, fname, num in re.findall(r"(\w+)\s+(\w+)\s*=\s*(\d+)\s*;", body):
                fields.append((ftype, fname, int(num), ftype in enums))
            messages[m.group(1)] = fields
    return messages


def encode(fields, variant):
    """Every field set: variant 0 plain values, 1 larger and negative ones."""
    out = b""
    for ftype, fname, num, is_enum in fields:
        if is_enum:
            out += key(num, 0) + varint(1 + variant)
        elif ftype == "bool":
            out += key(num, 0) + varint(1)
        elif ftype in ("uint32", "uint64"):
            big = (1 << 32) - 1 if ftype == "uint32" else (1 << 63) + num
            out += key(num, 0) + varint(big if variant else 1000 + num)
        elif ftype in ("int32", "int64"):
            out += key(num, 0) + varint(-25 if variant else 75)
        elif ftype == "float":
            out += key(num, 5) + struct.pack("<f", -1234.5 if variant else 12.5 * num)
        elif ftype == "double":
            out += key(num, 1) + struct.pack("<d", -1234.5 if variant else 12.5 * num)
        elif ftype == "string":
            s = ("detail %d" % num).encode() * (1 + 8 * variant)
            out += key(num, 2) + varint(len(s)) + s
        elif ftype == "bytes":
            n = {"token": 120, "cookie": 24}.get(fname, 16 + 16 * variant)
            b = bytes((num * 16 + i) & 0xFF for i in range(n))
            out += key(num, 2) + varint(len(b)) + b
        else:
            sys.exit("make_corpus.py: field type %s (%s) not handled" % (ftype, fname))
    return out


def wire_types():
    """{"CONNECT_ACCEPT": 2, ...} from the enum of shared/include/gs_wire.h."""
    with open(os.path.join(SRC, "shared", "include", "gs_wire.h")) as f:
        text = f.read()
    return {
        k: int(v)
        for k, v in re.findall(r"\bGS_MSG_(\w+)\s*=\s*(\d+)", text)
        if not k.endswith(("_FIRST", "_LAST"))
    }


def snake_upper(camel):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).upper()


# --- writing -------------------------------------------------------------------------------


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def write_dict(target, tokens):
    with open(os.path.join(HERE, "fuzz_%s.dict" % target), "w") as f:
        f.write("# SPDX-License-Identifier: BSD-3-Clause\n")
        f.write("# libFuzzer dictionary of fuzz_%s, written by make_corpus.py.\n" % target)
        for i, tok in enumerate(tokens):
            esc = "".join(
                chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\' else "\\x%02x" % b
                for b in tok
            )
            f.write('t%d="%s"\n' % (i, esc))


def gs_hdr(mtype, payload, session=0x01020304, seq=7, tag=b"\0" * 8):
    return struct.pack(">HBBIIHH8s", GS_MAGIC, GS_VERSION, mtype, session, seq,
                       len(payload), 0, tag) + payload


def l2(vlan):
    eth = Ether(src=PEER_MAC, dst=OUR_MAC)
    return eth / Dot1Q(vlan=vlan, prio=vlan and 5) if vlan else eth


def frame_seed(pkt, vlan, pad_to=60):
    raw = bytes(pkt)
    if len(raw) < pad_to:
        raw += b"\0" * (pad_to - len(raw))  # Ethernet padding past the IP total length
    return bytes([1 if vlan else 0]) + raw


def game_frame(mtype, payload, vlan=0, options=None, udp_cksum=True):
    ip = IP(src=PEER_IP, dst=OUR_IP, flags="DF", id=0x4242)
    if options is not None:
        ip.options = options
    udp = UDP(sport=PEER_PORT, dport=GAME_PORT)
    if not udp_cksum:
        udp.chksum = 0
    return l2(vlan) / ip / udp / Raw(gs_hdr(mtype, payload))


def main():
    protos = parse_protos()
    types = wire_types()
    with open(os.path.join(HERE, "fuzz_pb.c")) as f:
        harnessed = set(re.findall(r"PB_OPS\(GS_MSG_(\w+)", f.read()))

    payloads = {}  # wire type -> [encoded payloads]
    for name, fields in sorted(protos.items()):
        t = types.get(snake_upper(name))
        if t is None:
            sys.exit("make_corpus.py: no GS_MSG_%s in gs_wire.h for message %s"
                     % (snake_upper(name), name))
        if snake_upper(name) not in harnessed:
            print("make_corpus.py: warning: fuzz_pb.c has no PB_OPS for %s" % name)
        payloads[t] = [encode(fields, 0), encode(fields, 1)]
        lower = snake_upper(name).lower()
        # pb: selector (the wire type), then the payload
        write("pb", "%s_set" % lower, bytes([t]) + payloads[t][0])
        write("pb", "%s_big" % lower, bytes([t]) + payloads[t][1])
        write("pb", "%s_empty" % lower, bytes([t]))
        # wire: the UDP payload, header and protobuf
        write("wire", "%s" % lower, gs_hdr(t, payloads[t][0]))

    # pb: an unknown field of every wire type after the known ones
    unknown = key(99, 0) + varint(5) + key(98, 1) + b"\1" * 8 + key(97, 2) + b"\3abc" + \
        key(96, 5) + b"\2" * 4
    write("pb", "move_unknown_fields", bytes([types["MOVE"]]) + payloads[types["MOVE"]][0] + unknown)

    # pb: tags libprotobuf-c 1.4.1 takes oddly: an over-long encoding of field 0
    # (kept as an unknown field, packed as 00, then refused) and a five-byte tag
    # (an int shifted by 25 bits in parse_tag_and_wiretype)
    write("pb", "attack_result_field0_tag", bytes([types["ATTACK_RESULT"], 0x80, 0x00, 0x00]))
    write("pb", "move_long_tag", bytes([types["MOVE"], 0x20, 0x21]) + b"\xff" * 16)

    # wire: edge lengths
    write("wire", "empty_payload", gs_hdr(types["HEARTBEAT"], b""))
    write("wire", "max_payload", gs_hdr(types["CONNECT"], b"\0" * GS_MAX_PAYLOAD))
    write("wire", "auth_tag", gs_hdr(types["MOVE"], payloads[types["MOVE"]][0],
                                     tag=bytes(range(1, 9))))

    # frame: game messages untagged and on VLAN 100, ARP, ICMP echo
    for t in (types["CONNECT"], types["HEARTBEAT"], types["MOVE"], types["ATTACK"],
              types["DISCONNECT"]):
        name = snake_upper([n for n in protos if types.get(snake_upper(n)) == t][0]).lower()
        write("frame", "udp_%s" % name, frame_seed(game_frame(t, payloads[t][0]), 0))
        write("frame", "udp_%s_vlan100" % name,
              frame_seed(game_frame(t, payloads[t][0], vlan=VLAN), VLAN))
    write("frame", "udp_heartbeat_no_udp_cksum",
          frame_seed(game_frame(types["HEARTBEAT"], payloads[types["HEARTBEAT"]][0],
                                udp_cksum=False), 0))
    write("frame", "udp_move_ip_options",
          frame_seed(game_frame(types["MOVE"], payloads[types["MOVE"]][0],
                                options=[IPOption(b"\x01\x01\x01\x00")]), 0))
    write("frame", "udp_empty_payload",
          frame_seed(game_frame(types["HEARTBEAT"], b""), 0))
    for vlan in (0, VLAN):
        sfx = "_vlan100" if vlan else ""
        arp = l2(vlan) / ARP(op="who-has", hwsrc=PEER_MAC, psrc=PEER_IP, pdst=OUR_IP)
        write("frame", "arp_request" + sfx, frame_seed(arp, vlan))
        icmp = l2(vlan) / IP(src=PEER_IP, dst=OUR_IP) / ICMP(type=8, id=1, seq=1) / \
            Raw(b"gsnet ping")
        write("frame", "icmp_echo" + sfx, frame_seed(icmp, vlan))
    icmp = l2(0) / IP(src=PEER_IP, dst=OUR_IP) / ICMP(type=8, id=2, seq=2) / Raw(b"x" * 501)
    write("frame", "icmp_echo_odd_length", frame_seed(icmp, 0))
    icmp = l2(0) / IP(src=PEER_IP, dst=OUR_IP, proto=1) / Raw(b"\x08\x00\xf7\xff")
    write("frame", "icmp_truncated", frame_seed(icmp, 0))  # 4 bytes, checksum right

    # cfg: the shipped file, with overrides, and variants
    with open(os.path.join(SRC, "deploy", "gsnet.ini"), "rb") as f:
        ini = f.read()
    write("cfg", "deploy_gsnet.ini", ini)
    write("cfg", "deploy_with_overrides",
          ini + b"\0net.vlan=100\0world.spawn4=1,2,3\0primary.idle=poll\0eal.pci0=0000:3b:00.0")
    write("cfg", "empty", b"")
    write("cfg", "bad_override", b"[net]\nip = 10.0.0.1\n\0net.ip=10.0.0.1.5")
    write("cfg", "full.ini", b"""\
; every section, non-default values
[eal]
file_prefix = gs_fuzz-1
base_virtaddr = 0x100000000000
memory_mb = 1024
single_file_segments = yes
huge_dir = /dev/hugepages
vdev0 =
vdev1 = net_null0
pci0 = 0000:3b:00.0
pci1 = 0000:3b:00.1
log_level = gs.*:info lib.eal:debug

[net]
ip = 10.1.2.3
udp_port = 27015
vlan = 100

[rings]
size = 4096

[sessions]
max = 1024
idle_timeout_ms = 30000
heartbeat_interval_ms = 250

[world]
max_entities = 2048
min_x = -500.5
max_x = 500.5
min_y = -1e3
max_y = 1e3
min_z = 0
max_z = 10
max_speed = 7.5
speed_slack_ms = 0
max_hp = 250
respawn_ms = 0
spawn0 = 0,0,0
spawn1 = 1.5, -2.5, 3
spawn2 = -500.5,1000,10
spawn3 =

[skill.1]
name = jab
range = 2
damage = 5
cooldown_ms = 0

[skill.3]
name = arrow
range = 100
damage = 10
cooldown_ms = 900

[auth]
mode = open
key_file = /tmp/gs.key
protocol_id = 0x1122334455667788
used_tokens = 4096
challenge_ttl_ms = 1000

[limits]
source_pps = 0
source_burst = 1
session_pps = 100
session_burst = 10
connect_pps = 50
connect_burst = 5

[primary]
lcore_first = 1
lcore_count = 2
cpus = 0-1
idle = poll
idle_max_us = 1
burst = 64
rx_desc = 4096
tx_desc = 512
mbufs = 1023
mbuf_cache = 0
start_after = session, move combat
start_timeout_ms = 0
handler_timeout_ms = 10

[class.session]
instances = 0
lcore_first = 10
lcore_count = 8
cpus = 0,1

[class.move]
instances = 4
lcore_first = 20
lcore_count = 4
cpus = 1

[class.combat]
instances = 2
lcore_first = 40
lcore_count = 2
cpus = 1
idle = backoff
idle_max_us = 100000

[stats]
lcore_first = 60
lcore_count = 1
http_ip = 10.1.2.4
http_port = 1

[ctl]
lcore_first = 127
lcore_count = 1
""")
    write("cfg", "errors_named.ini",
          b"[world]\nmin_x = 10\nmax_x = -10\n[class.session]\nlcore_first = 1\n"
          b"[skill.2]\nrange = 0\n\0world.max_speed=-1")
    write("cfg", "auth_token_no_key.ini",
          b"[auth]\nmode = token\nkey_file =\n\0auth.mode=open\0auth.mode=token")
    write("cfg", "comments.ini",
          b"; comment\n  [net]  \n ip=198.18.0.9 ; trailing\nudp_port=\t8000\n"
          b"[world]\nspawn0 = 1,1,1\nspawn1 = 2,2,2\n\0sessions.max=16\0world.max_entities=16")

    # dictionaries
    write_dict("frame", [
        b"\x81\x00", b"\x88\xa8", b"\x08\x00", b"\x08\x06",  # 802.1Q, QinQ, IPv4, ARP
        b"\x00\x64",  # VLAN 100
        b"\x45\x00", b"\x46\x00", b"\x40\x00",  # version/IHL, DF
        b"\x11", b"\x01",  # UDP, ICMP
        b"\xc6\x12\x00\x02", b"\x1e\x61",  # our address, game port
        b"\x00\x01\x08\x00\x06\x04\x00\x01",  # ARP request for IPv4 over Ethernet
        b"\x08\x00", b"GS\x01",  # echo request; game magic + version
    ])
    write_dict("wire", [b"GS\x01", b"GS", b"\x04\xb0", b"\x00\x00"] +
               [bytes([t]) for t in sorted(set(types.values()))])
    write_dict("pb", [key(n, w) for n in range(1, 11) for w in (0, 1, 2, 5)] +
               [b"\xff\xff\xff\xff\x0f", b"\xff" * 9 + b"\x01", b"\x80\x00"])
    with open(os.path.join(SRC, "shared", "src", "cfg.c")) as f:
        cfg_c = f.read()
    words = sorted(set(re.findall(r'"([a-z][a-z0-9_]*)"', cfg_c)))  # keys, sections, values
    tokens = [("[%s]\n" % s).encode() for s in
              ("eal", "net", "rings", "sessions", "world", "skill.1", "skill.6", "auth",
               "limits", "primary", "session", "move", "combat", "stats", "ctl")]
    tokens += [(w + " = ").encode() for w in words]
    tokens += [b"spawn0 = ", b"spawn7 = ", b"vdev0 = ", b"pci0 = "]
    tokens += [b"=", b";", b"\\;", b"\n", b"[", b"]", b"0x", b"-1", b"4294967296", b"1e39",
               b"nan", b"inf", b"1,2,3", b"0-3", b"198.18.0.2", b"yes", b"no", b"poll",
               b"backoff", b"token", b"open", b"\0", b"\0net.vlan=", b"\0world.spawn0="]
    write_dict("cfg", tokens)
    print("make_corpus.py: wrote %s" % os.path.relpath(CORPUS))


if __name__ == "__main__":
    main()
