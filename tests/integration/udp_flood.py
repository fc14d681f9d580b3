#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send COUNT UDP datagrams to HOST:PORT, paced evenly over SECONDS.

Bounded twice: at most COUNT datagrams, and it stops after 2 x SECONDS
whatever was sent. Prints "udp_flood: sent=N seconds=T".
"""
import socket
import sys
import time


def main() -> int:
    if len(sys.argv) != 5:
        print("usage: udp_flood.py HOST PORT COUNT SECONDS", file=sys.stderr)
        return 2
    host, port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"not a game datagram"
    ticks = max(1, int(seconds * 100))  # paced in 10 ms steps
    per_tick = max(1, count // ticks)
    start = time.monotonic()
    hard_stop = start + 2 * seconds
    sent = 0
    tick = 0
    while sent < count and time.monotonic() < hard_stop:
        for _ in range(min(per_tick, count - sent)):
            try:
                sock.sendto(payload, (host, port))
                sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass  # an ICMP unreachable reported back; keep going
        tick += 1
        delay = start + tick * seconds / ticks - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(f"udp_flood: sent={sent} seconds={time.monotonic() - start:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
