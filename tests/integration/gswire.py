# SPDX-License-Identifier: BSD-3-Clause
"""The gsnet wire format for the Python test tools (docs/PROTOCOL.md): the
game header, protobuf fields by hand, the Internet checksum. No scapy, so
the flood generator stays fast to start."""

import struct

GS_MAGIC = 0x4753
GS_VERSION = 1
GS_HDR_LEN = 24
GS_MAX_PAYLOAD = 1200
TOKEN_LEN = 120
CONNECT, CONNECT_ACCEPT, HEARTBEAT, HEARTBEAT_ACK = 1, 2, 3, 4


def gs(msg_type, session=0, seq=0, payload=b"", payload_len=None, magic=GS_MAGIC,
       version=GS_VERSION, flags=0, tag=bytes(8)):
    """A game message: the 24-byte big-endian header, then the payload."""
    if payload_len is None:
        payload_len = len(payload)
    return struct.pack("!HBBIIHH8s", magic, version, msg_type, session, seq, payload_len,
                       flags, tag) + payload


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def pb_field(num, value):
    """One protobuf field: varint for an int, length-delimited for bytes."""
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    return varint((num << 3) | 2) + varint(len(value)) + value


def ones_sum(b):
    """The 16-bit one's complement sum of @b (odd length padded with a zero)."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s
