#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Test of the Wireshark dissector tools/wireshark/gsnet.lua with tshark.

  dissector_test.py [WORKDIR]

No DPDK, no root, no network: it writes pcaps with scapy into WORKDIR (a
temporary directory by default) and reads them with
`tshark -X lua_script:tools/wireshark/gsnet.lua`. It checks what a user
would look at:

  messages   one frame of every message type of schemas/*.proto with every
             field of its payload set (values drawn from the .proto files'
             types: 64-bit numbers past 2^53, negative int32s, floats,
             enums, bytes, strings), the same types with an empty payload,
             and MOVEs with positions (fractions, negatives, the world's
             bounds): the type's name (shared/src/wire.c's), every header
             field, the tag or connect nonce, the direction, and every
             payload field by its name with the value sent (floats to the
             bit), no field more or less, no expert info at all;
  malformed  one frame per header drop reason and frames wrong in two ways:
             exactly that reason's expert info (Malformed, Error, named
             like the primary's counter) and gsnet.drop, also in
             `tshark -z expert`; each label checked first against the model
             of the primary in tests/integration/gen_corpus.py;
  corpus     the malformed-frame corpus of gen_corpus.py (some 1,250
             frames): every frame the primary drops as gs_* is flagged with
             that reason, every frame it lets past the header checks with
             none, and no frame raises a Lua error;
  port       the preference gsnet.udp_port moves the dissector to another
             port, Decode As adds one;
  install    tools/wireshark/install.sh puts it where tshark finds it
             without -X.

Exit 0 on success, 1 on a failure, 77 (skipped) when tshark is not
installed (deploy/setup.sh deps installs it).
"""
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LUA = os.path.join(ROOT, "tools", "wireshark", "gsnet.lua")
INSTALL = os.path.join(ROOT, "tools", "wireshark", "install.sh")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

SKIP = 77
TSHARK = os.environ.get("GS_TSHARK") or shutil.which("tshark")
if TSHARK is None:
    print("SKIP: tshark not found: the dissector test needs it "
          "(Debian package tshark; deploy/setup.sh deps installs it)")
    sys.exit(SKIP)

try:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    import gen_corpus
    from gswire import GS_MAGIC, GS_VERSION, gs, pb_field, varint
except ImportError as e:
    sys.exit(f"FAIL: {e}: run with /usr/bin/python3 and Debian's python3-scapy "
             "(deploy/setup.sh deps)")

GAME_PORT = 7777
SERVER_IP, CLIENT_IP = gen_corpus.SERVER_IP, "198.18.0.1"
CLIENT_PORT = 40001  # above the game port: UDP tries the lower port first

failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}")


# --- what the tree says the protocol is ----------------------------------------

def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def parse_protos():
    """{message: {"type": N, "to_server": bool, "fields": [(num, name, type)],
    "enums": {enum: {value: name}}}} from schemas/*.proto (the subset of
    proto3 they use: messages with scalar and nested-enum fields, repeated
    scalars and repeated messages, typed "repeated T"). A message that is
    only a part of others (replicate.proto's EntityState) has type None."""
    msgs = {}
    for fn in sorted(os.listdir(os.path.join(ROOT, "schemas"))):
        if not fn.endswith(".proto"):
            continue
        msg = enum = None
        for line in read("schemas", fn).splitlines():
            code, _, comment = line.partition("//")
            m = re.match(r"\s*message\s+(\w+)\s*\{", code)
            if m:
                t = re.search(r"type (\d+)", comment)
                msg = msgs[m.group(1)] = {"type": int(t.group(1)) if t else None,
                                          "to_server": "client -> server" in comment,
                                          "fields": [], "enums": {}}
                continue
            m = re.match(r"\s*enum\s+(\w+)\s*\{", code)
            if m and msg is not None:
                enum = msg["enums"][m.group(1)] = {}
                continue
            if re.match(r"\s*\}", code):
                if enum is not None:
                    enum = None
                else:
                    msg = None
                continue
            m = re.match(r"\s*(\w+)\s*=\s*(\d+)\s*;", code)
            if m and enum is not None:
                enum[int(m.group(2))] = m.group(1)
                continue
            m = re.match(r"\s*(repeated\s+)?(\w+)\s+(\w+)\s*=\s*(\d+)\s*;", code)
            if m and msg is not None:
                ftype = ("repeated " if m.group(1) else "") + m.group(2)
                msg["fields"].append((int(m.group(4)), m.group(3), ftype))
    for name, m in msgs.items():
        if m["type"] is None and not any(f[2].split()[-1] == name
                                         for o in msgs.values() for f in o["fields"]):
            raise SystemExit(f"FAIL: message {name}: no '// type N' comment, and no message "
                             "holds it")
    return msgs


def has_class(t):
    """The types the primary dispatches with deploy/gsnet.ini's classes (session, move, combat, replicate)."""
    return t in (1, 3, 5) or 16 <= t <= 63


def parse_type_names():
    """{type: name} as gs_msg_type_str (shared/src/wire.c) names them."""
    values = dict((n, int(v)) for n, v in
                  re.findall(r"GS_MSG_(\w+)\s*=\s*(\d+)", read("shared", "include", "gs_wire.h")))
    names = {}
    wire_c = read("shared", "src", "wire.c")
    for sym, name in re.findall(r"\[GS_MSG_(\w+)\]\s*=\s*\"(\w+)\"", wire_c):
        names[values[sym]] = name
    return names


def snake(name):
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def float_text(v):
    """The shortest %g that reads back as the float32 v (the dissector's text)."""
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    for p in range(6, 9):
        s = "%.*g" % (p, v)
        if f32(float(s)) == v:
            return s
    return "%.9g" % v


# --- frames --------------------------------------------------------------------

def frame(payload, to_server=True, sport=None, dport=None):
    """Ethernet / IPv4 / UDP from the client to the game port (or back)."""
    if to_server:
        ip = IP(src=CLIENT_IP, dst=SERVER_IP)
        udp = UDP(sport=sport or CLIENT_PORT, dport=dport or GAME_PORT)
    else:
        ip = IP(src=SERVER_IP, dst=CLIENT_IP)
        udp = UDP(sport=sport or GAME_PORT, dport=dport or CLIENT_PORT)
    return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ip / udp /
                 Raw(payload))


def write_pcap(path, frames):
    gen_corpus.write_pcap(path, frames)


def zigzag32(v):
    return ((v << 1) ^ (v >> 31)) & 0xFFFFFFFF


def encode_field(num, ftype, value, msgs=None):
    if ftype.startswith("repeated "):
        elem = ftype.split()[1]
        if msgs is not None and elem in msgs:  # messages: one length-delimited field each
            return b"".join(pb_field(num, encode_msg(msgs, elem, v)) for v in value)
        body = b"".join(encode_field(0, elem, v)[1:] for v in value)  # packed: no keys
        return varint((num << 3) | 2) + varint(len(body)) + body
    if ftype == "sint32":
        return varint(num << 3) + varint(zigzag32(value))
    if ftype == "float":
        return varint((num << 3) | 5) + struct.pack("<f", value)
    if ftype in ("string", "bytes"):
        return pb_field(num, value.encode() if ftype == "string" else value)
    if ftype == "bool":
        return pb_field(num, int(value))
    # uint32, uint64, int32 and enums: varints (a negative int32 takes 10 bytes)
    return varint(num << 3) + varint(value & (2**64 - 1))


def encode_msg(msgs, mname, values):
    return b"".join(encode_field(num, ftype, values[name], msgs)
                    for num, name, ftype in msgs[mname]["fields"] if name in values)


def draw(rng, msg, name, ftype, i, msgs=None):
    """A value of ftype that is not the field's default (a repeated field: a
    list of 1 to 3; a message: every field set)."""
    if ftype.startswith("repeated "):
        elem = ftype.split()[1]
        return [draw(rng, msg, name, elem, i + k, msgs) for k in range(rng.randrange(1, 4))]
    if msgs is not None and ftype in msgs:
        sub = msgs[ftype]
        return {n: draw(rng, sub, n, t, j, msgs) for j, (_num, n, t) in enumerate(sub["fields"])}
    if ftype == "sint32":
        return rng.randrange(-(1 << 31), -1) if i % 2 == 0 else rng.randrange(1, 1 << 31)
    if ftype == "uint32":
        return rng.choice((rng.randrange(1, 1 << 7), rng.randrange(1 << 14, 1 << 21),
                           rng.randrange(1 << 28, 1 << 32)))
    if ftype == "uint64":
        return rng.randrange(1 << 60, 1 << 64)  # past a double's 53 bits
    if ftype == "int32":
        return rng.randrange(-(1 << 31), -1) if i % 2 == 0 else rng.randrange(1, 1 << 31)
    if ftype == "bool":
        return True
    if ftype == "float":
        return f32(rng.uniform(-10000.0, 10000.0))
    if ftype == "string":
        return "detail " + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(12))
    if ftype == "bytes":
        return rng.randbytes(120 if name == "token" else rng.randrange(1, 48))
    if ftype in msg["enums"]:
        return rng.choice([v for v in msg["enums"][ftype] if v != 0])
    raise SystemExit(f"FAIL: no test value for type {ftype} of field {name}")


# --- tshark ----------------------------------------------------------------------

def tshark_env(home):
    """A user with no Wireshark configuration and no personal plugins."""
    env = dict(os.environ)
    env.pop("XDG_CONFIG_HOME", None)
    env["HOME"] = home
    env["WIRESHARK_CONFIG_DIR"] = os.path.join(home, "wireshark-config")
    return env


def tshark(args, env, lua=True):
    cmd = [TSHARK] + (["-X", f"lua_script:{LUA}"] if lua else []) + args
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    noise = [ln for ln in r.stderr.splitlines()
             if ln.strip() and not ln.startswith("Running as user")]
    if r.returncode != 0 or noise:
        fail(f"{' '.join(cmd)}: exit {r.returncode}: {' / '.join(noise)[:2000]}")
    return r.stdout


def pdml_packets(xml_text):
    """Per packet: {"fields": {name: [attrs]} of the gsnet layer, "experts":
    [(abbrev, message, severity, group)] of the whole packet, "names": every
    field and proto name in the packet}."""
    out = []
    for pkt in ET.fromstring(xml_text).iter("packet"):
        fields, experts, names = {}, [], set()
        for el in pkt.iter():
            if el.tag in ("field", "proto"):
                names.add(el.get("name"))
        for proto in pkt.iter("proto"):
            if proto.get("name") != "gsnet":
                continue
            for el in proto.iter("field"):
                fields.setdefault(el.get("name"), []).append(el.attrib)
        for ex in pkt.iter("field"):
            if ex.get("name") != "_ws.expert":
                continue
            kids = list(ex)
            sub = {k.get("name"): k.attrib for k in kids}
            experts.append((kids[0].get("name") if kids else "",
                            sub.get("_ws.expert.message", {}).get("show", ""),
                            sub.get("_ws.expert.severity", {}).get("showname", ""),
                            sub.get("_ws.expert.group", {}).get("showname", "")))
        out.append({"fields": fields, "experts": experts, "names": names})
    return out


def one(pkt, name, n):
    got = pkt["fields"].get(name, [])
    if len(got) != 1:
        fail(f"frame {n}: {name} appears {len(got)} times, not once")
        return {}
    return got[0]


# --- messages ----------------------------------------------------------------------

def check_messages(work, env, msgs, type_names):
    rng = random.Random(7777)
    cases = []  # (frame bytes, header dict, message, {field: value} or None)

    def add(mname, values, session=None, seq=None, tag=None):
        m = msgs[mname]
        payload = encode_msg(msgs, mname, values)
        session = rng.randrange(1, 1 << 32) if session is None else session
        seq = rng.randrange(0, 1 << 32) if seq is None else seq
        tag = rng.randbytes(8) if tag is None else tag
        hdr = {"type": m["type"], "session": session, "seq": seq, "tag": tag,
               "len": len(payload), "to_server": m["to_server"]}
        cases.append((frame(gs(m["type"], session=session, seq=seq, payload=payload, tag=tag),
                            m["to_server"]), hdr, mname, values))

    typed = sorted((k for k in msgs if msgs[k]["type"] is not None), key=lambda k: msgs[k]["type"])
    # every type, every field set
    for mname in typed:
        m = msgs[mname]
        values = {name: draw(rng, m, name, ftype, i, msgs)
                  for i, (_num, name, ftype) in enumerate(m["fields"])}
        # CONNECT and its answers of session 0 carry the connect nonce
        add(mname, values, session=0 if mname in ("Connect", "Challenge", "SessionError") else None)
    # every type with an empty payload: every field at its default, none shown
    for mname in typed:
        add(mname, {})
    # MOVEs: positions as players send them, fractions and the world's bounds
    for x, y, z in ((0.1, -0.1, 1e-3), (10000.0, -10000.0, 1000.0), (-9999.125, 1234.5678, -0.0),
                    (3.4028234663852886e38, 1.401298464324817e-45, 2.5), (12.75, -873.0625, 99.99)):
        add("Move", {"entity_id": rng.randrange(1, 1 << 20), "x": f32(x), "y": f32(y),
                     "z": f32(z), "seq": rng.randrange(1, 1 << 16),
                     "client_time_ns": rng.randrange(1 << 60, 1 << 64)})

    path = os.path.join(work, "messages.pcap")
    write_pcap(path, [c[0] for c in cases])
    pkts = pdml_packets(tshark(["-r", path, "-T", "pdml"], env))
    info = tshark(["-r", path, "-T", "fields", "-e", "_ws.col.Info"], env).splitlines()
    if len(pkts) != len(cases) or len(info) != len(cases):
        fail(f"messages: tshark shows {len(pkts)} packets, {len(cases)} written")
        return
    moves = 0
    for n, ((_f, hdr, mname, values), pkt, line) in enumerate(zip(cases, pkts, info), 1):
        m = msgs[mname]
        name = type_names[hdr["type"]]
        if "gsnet" not in pkt["names"]:
            fail(f"frame {n} ({name}): not decoded as gsnet")
            continue
        want = {"gsnet.magic": f"{GS_MAGIC:#06x}", "gsnet.version": str(GS_VERSION),
                "gsnet.type": str(hdr["type"]), "gsnet.session_id": str(hdr["session"]),
                "gsnet.sequence": str(hdr["seq"]), "gsnet.payload_len": str(hdr["len"]),
                "gsnet.flags": "0x0000",
                "gsnet.direction": "client -> server" if hdr["to_server"] else "server -> client"}
        for fname, show in want.items():
            got = one(pkt, fname, n).get("show")
            if got != show:
                fail(f"frame {n} ({name}): {fname} = {got!r}, sent {show!r}")
        showname = one(pkt, "gsnet.type", n).get("showname")
        if showname != f"Type: {name} ({hdr['type']})":
            fail(f"frame {n}: type shown as {showname!r}, not 'Type: {name} ({hdr['type']})'")
        tagfield = "gsnet.connect_nonce" if hdr["session"] == 0 else "gsnet.auth_tag"
        if one(pkt, tagfield, n).get("value") != hdr["tag"].hex():
            fail(f"frame {n} ({name}): {tagfield} is not the tag sent ({hdr['tag'].hex()})")
        if not line.startswith(f"{name} session={hdr['session']} seq={hdr['seq']}"):
            fail(f"frame {n} ({name}): Info column {line!r}")

        prefix = f"gsnet.{snake(mname)}."
        prefixes = (prefix, "gsnet.pb.") + tuple(
            f"gsnet.{snake(t.split()[-1])}." for _n, _f, t in m["fields"] if t.split()[-1] in msgs)
        shown = {k for k in pkt["fields"] if k.startswith(prefixes)}
        expected = {prefix + name_ for name_ in values}
        # the fields of messages in repeated fields, every value in sending order
        nested = {}
        for _num, fname, ftype in m["fields"]:
            elem = ftype.split()[-1]
            if fname in values and elem in msgs:
                for v in values[fname]:
                    for _sn, sname, _st in msgs[elem]["fields"]:
                        if sname in v:
                            nested.setdefault(f"gsnet.{snake(elem)}.{sname}", []).append(v[sname])
        expected |= set(nested)
        if shown != expected:
            fail(f"frame {n} ({name}): payload fields shown {sorted(shown)}, "
                 f"sent {sorted(expected)}")
        for fname_, sent in nested.items():
            got = [a.get("show") for a in pkt["fields"].get(fname_, [])]
            if got != [str(v) for v in sent]:
                fail(f"frame {n} ({name}): {fname_} shown as {got}, sent {sent}")
        for _num, fname, ftype in m["fields"]:
            if fname not in values:
                continue
            if ftype.startswith("repeated "):
                got = pkt["fields"].get(prefix + fname, [])
                if ftype.split()[1] in msgs:
                    ok = len(got) == len(values[fname])
                else:
                    ok = [a.get("show") for a in got] == [str(v) for v in values[fname]]
                if not ok:
                    fail(f"frame {n} ({name}): {prefix}{fname} shown as "
                         f"{[a.get('show') for a in got]}, sent {values[fname]!r}")
                continue
            v, a = values[fname], one(pkt, prefix + fname, n)
            show, showname = a.get("show"), a.get("showname")
            if ftype == "float":
                ok = (show is not None and f32(float(show)) == v and
                      showname == f"{fname}: {float_text(v)}")
            elif ftype in m["enums"]:
                ok = show == str(v) and showname == f"{fname}: {m['enums'][ftype][v]} ({v})"
            elif ftype == "bool":
                ok = show == "1" and showname == f"{fname}: True"
            elif ftype == "bytes":
                ok = a.get("value") == v.hex()
            else:
                ok = show == str(v)
            if not ok:
                fail(f"frame {n} ({name}): {prefix}{fname} shown as {show!r} / {showname!r}, "
                     f"sent {v!r}")
        if mname == "Move" and values:
            moves += 1
        # a client's message of a type no class of the default config takes: gs_type only
        want_experts = ["gsnet.drop.gs_type"] if hdr["to_server"] and not has_class(hdr["type"]) \
            else []
        if [e[0] for e in pkt["experts"]] != want_experts or "_ws.lua.error" in pkt["names"] \
                or ("_ws.malformed" in pkt["names"] and not want_experts):
            fail(f"frame {n} ({name}): expert info {pkt['experts']}, expected {want_experts}")
    print(f"messages: {len(cases)} frames, {len(msgs)} types with every field and empty, "
          f"{moves} MOVEs' positions")


# --- malformed headers -----------------------------------------------------------

def malformed_cases():
    """[(reason or None, description, frame, to_server)]"""
    hb = pb_field(1, 42)
    c = []

    def bad(reason, what, payload, to_server=True):
        c.append((reason, what, frame(payload, to_server), to_server))

    for n in (0, 1, 10, 23):
        bad("gs_truncated", f"{n} bytes", gs(3, session=5, payload=hb)[:n])
    bad("gs_magic", "magic 0x4754", gs(3, session=5, payload=hb, magic=0x4754))
    bad("gs_magic", "magic 0x5347 (byte-swapped)", gs(3, session=5, payload=hb, magic=0x5347))
    bad("gs_version", "version 2", gs(3, session=5, payload=hb, version=2))
    bad("gs_version", "version 0", gs(3, session=5, payload=hb, version=0))
    bad("gs_length", "payload_len 5, 2 bytes follow", gs(3, session=5, payload=hb, payload_len=5))
    bad("gs_length", "payload_len 0, 2 bytes follow", gs(3, session=5, payload=hb, payload_len=0))
    bad("gs_length", "1201 bytes of payload", gs(3, session=5, payload=bytes(1201)))
    bad("gs_flags", "flags 0x0001", gs(3, session=5, payload=hb, flags=1))
    bad("gs_flags", "flags 0x8000", gs(3, session=5, payload=hb, flags=0x8000))
    for t in (0, 2, 4, 6, 7, 8, 15, 64, 255):
        bad("gs_type", f"type {t} to the server", gs(t, session=5))
    # wrong in two ways: the first check of gs_hdr_decode names it
    bad("gs_magic", "bad magic and version", gs(3, session=5, magic=0x1234, version=9))
    bad("gs_version", "bad version and length", gs(3, session=5, version=9, payload_len=7))
    bad("gs_length", "bad length and flags", gs(3, session=5, payload_len=7, flags=1))
    bad("gs_flags", "flags set, type unknown", gs(200, session=5, flags=1))
    # header checks hold both ways; gs_type only for what the server receives
    bad("gs_magic", "magic 0x4754 from the server", gs(4, session=5, magic=0x4754), False)
    for t in (2, 4, 6, 7, 17, 33, 34, 200):
        bad(None, f"type {t} from the server", gs(t, session=5), False)
    bad(None, "1200 bytes of payload (the most)", gs(16, session=5, payload=bytes(1200)))
    return c


def check_malformed(work, env):
    cases = malformed_cases()
    for reason, what, f, to_server in cases:
        if to_server and reason is not None:
            verdict = gen_corpus.model_frame(f)
            if verdict != ("drop", reason):
                fail(f"malformed: '{what}' labelled {reason}, the primary's model says {verdict}")
    path = os.path.join(work, "malformed.pcap")
    write_pcap(path, [c[2] for c in cases])
    pkts = pdml_packets(tshark(["-r", path, "-T", "pdml"], env))
    if len(pkts) != len(cases):
        fail(f"malformed: tshark shows {len(pkts)} packets, {len(cases)} written")
        return
    for n, ((reason, what, _f, _ts), pkt) in enumerate(zip(cases, pkts), 1):
        if "gsnet" not in pkt["names"]:
            fail(f"frame {n} ({what}): not decoded as gsnet")
            continue
        drops = [a.get("show") for a in pkt["fields"].get("gsnet.drop", [])]
        errors = [e for e in pkt["experts"] if "Error" in e[2]]
        if reason is None:
            if drops or errors:
                fail(f"frame {n} ({what}): flagged {drops} {errors}, the primary drops nothing")
            continue
        if drops != [reason]:
            fail(f"frame {n} ({what}): gsnet.drop is {drops}, want [{reason!r}]")
        want = [e for e in errors
                if e[0] == f"gsnet.drop.{reason}" and e[1].startswith(f"{reason}: ")
                and e[2] == "Severity level: Error" and e[3] == "Group: Malformed"]
        if len(want) != 1 or len(errors) != 1:
            fail(f"frame {n} ({what}): want exactly one Error/Malformed expert '{reason}: ...', "
                 f"got {pkt['experts']}")
        if "_ws.lua.error" in pkt["names"]:
            fail(f"frame {n} ({what}): Lua error")

    # what `tshark -q -z expert` prints: Errors, group Malformed, per reason
    counts = {}
    for reason, _w, _f, _t in cases:
        if reason:
            counts[reason] = counts.get(reason, 0) + 1
    seen = {}
    out = tshark(["-r", path, "-q", "-z", "expert,error"], env)
    for m in re.finditer(r"^\s+(\d+)\s+Malformed\s+\S+\s+(gs_\w+): ", out, re.M):
        seen[m.group(2)] = seen.get(m.group(2), 0) + int(m.group(1))
    if seen != counts:
        fail(f"tshark -z expert,error: Malformed errors by reason {seen}, want {counts}\n{out}")
    print(f"malformed: {len(cases)} frames, reasons {counts}")


# --- the corpus of malformed_corpus_test ------------------------------------------

def check_corpus(work, env):
    items = gen_corpus.corpus(random.Random(7777))
    if gen_corpus.check(items):
        fail("corpus: gen_corpus's labels disagree with its model")
        return
    path = os.path.join(work, "corpus.pcap")
    write_pcap(path, [it[3] for it in items])
    out = tshark(["-r", path, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|",
                  "-e", "frame.number", "-e", "gsnet.drop", "-e", "gsnet.type",
                  "-e", "_ws.expert.message"], env)
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        rows[int(cols[0])] = cols[1:]
    judged = {"gs": 0, "past": 0}
    for n, (kind, reason, what, _f) in enumerate(items, 1):
        drops, types, messages = rows.get(n, ["", "", ""])
        drops = [d for d in drops.split("|") if d]
        if "Lua Error" in messages:
            fail(f"corpus frame {n} ({kind} {reason}: {what}): {messages}")
        if kind == "drop" and reason.startswith("gs_"):
            judged["gs"] += 1
            if drops != [reason]:
                fail(f"corpus frame {n} ({what}): flagged {drops}, "
                     f"the primary drops it as {reason}")
        elif kind == "challenge" or reason in gen_corpus.CONNECT_DROPS or \
                reason == "unknown_session":
            judged["past"] += 1  # the header passed every check of the primary
            if not types or drops:
                fail(f"corpus frame {n} ({kind} {reason}: {what}): gsnet type {types!r}, "
                     f"flagged {drops}")
    print(f"corpus: {len(items)} frames, {judged['gs']} dropped as gs_*, "
          f"{judged['past']} past the header checks")


# --- preference, Decode As, install -----------------------------------------------

def check_port(work, env):
    path = os.path.join(work, "ports.pcap")
    hb = gs(3, session=9, seq=1, payload=pb_field(1, 42))
    write_pcap(path, [frame(hb, dport=7777), frame(hb, dport=7778)])

    def decoded(*args):
        out = tshark(["-r", path, "-T", "fields", "-e", "frame.number", "-e", "gsnet.type"]
                     + list(args), env)
        return [ln.split("\t")[0] for ln in out.splitlines() if ln.split("\t")[1:] == ["3"]]

    for args, want in (((), ["1"]), (("-o", "gsnet.udp_port:7778"), ["2"]),
                       (("-d", "udp.port==7778,gsnet"), ["1", "2"])):
        got = decoded(*args)
        if got != want:
            fail(f"port: with {' '.join(args) or 'defaults'} frames {got} decoded, want {want}")
    print("port: preference gsnet.udp_port and Decode As")


def check_install(work, env):
    home = env["HOME"]
    r = subprocess.run([INSTALL], capture_output=True, text=True, env=env, check=False)
    target = os.path.join(home, ".local", "lib", "wireshark", "plugins", "gsnet.lua")
    if r.returncode != 0 or not os.path.isfile(target):
        fail(f"install.sh: exit {r.returncode}, {target} missing: {r.stdout}{r.stderr}")
        return
    path = os.path.join(work, "messages.pcap")
    out = tshark(["-r", path, "-c", "1", "-T", "fields", "-e", "gsnet.type"], env, lua=False)
    if out.strip() != "1":
        fail(f"install.sh: tshark without -X does not decode gsnet after install: {out!r}")
    subprocess.run([INSTALL, "--uninstall"], capture_output=True, env=env, check=False)
    if os.path.exists(target):
        fail("install.sh --uninstall left the plugin")
    print(f"install: install.sh into {os.path.dirname(target)}")


def main(argv):
    msgs = parse_protos()
    type_names = parse_type_names()
    proto_types = sorted(m["type"] for m in msgs.values() if m["type"] is not None)
    if proto_types != sorted(type_names):
        raise SystemExit(f"FAIL: the types of schemas/*.proto {proto_types} and of "
                         f"shared/src/wire.c {sorted(type_names)} differ")
    work = argv[1] if len(argv) > 1 else tempfile.mkdtemp(prefix="gsnet-dissector-")
    os.makedirs(work, exist_ok=True)
    home = os.path.join(work, "home")  # fresh: no plugin left by an earlier run
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    env = tshark_env(home)

    # a gsnet.lua installed globally is loaded as well as -X's: two protocols gsnet
    out = subprocess.run([TSHARK, "-G", "protocols"], capture_output=True, text=True,
                         env=env, check=False).stdout
    if re.search(r"^gsnet game protocol\t", out, re.M):
        raise SystemExit("FAIL: tshark already loads a gsnet dissector from its global plugin "
                         "folder (tshark -G folders): it clashes with the tree's; remove it "
                         "(tools/wireshark/install.sh --uninstall --global)")

    check_messages(work, env, msgs, type_names)
    check_malformed(work, env)
    check_corpus(work, env)
    check_port(work, env)
    check_install(work, env)
    if len(argv) <= 1:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"dissector_test: {len(failures)} failure(s)")
        return 1
    print("dissector_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
