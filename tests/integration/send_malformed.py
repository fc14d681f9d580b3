#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send malformed game datagrams from a kernel UDP socket.

  send_malformed.py SERVER_IP PORT [ROUNDS]

Each round sends one datagram per case; the primary must drop them as
drop_gs_magic, drop_gs_version, drop_gs_length, drop_unknown_session (a
HEARTBEAT for a session that does not exist) and drop_udp_port (PORT + 1).
"""
import socket
import struct
import sys


def hdr(msg_type, session=0, seq=0, payload_len=0, magic=0x4753, version=1, flags=0):
    return struct.pack("!HBBIIHH8s", magic, version, msg_type, session, seq,
                       payload_len, flags, bytes(8))


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    server, port = argv[1], int(argv[2])
    rounds = int(argv[3]) if len(argv) == 4 else 3
    cases = [
        ("gs_magic", hdr(1, magic=0x1234), port),
        ("gs_version", hdr(1, version=7), port),
        ("gs_length", hdr(1, payload_len=10), port),  # no payload follows
        ("unknown_session", hdr(3, session=0x0BADC0DE, seq=1), port),
        ("udp_port", hdr(1), port + 1),
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(rounds):
            for _, data, dport in cases:
                s.sendto(data, (server, dport))
    print(f"sent {rounds} x {len(cases)} malformed datagrams: "
          + " ".join(name for name, _, _ in cases))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
