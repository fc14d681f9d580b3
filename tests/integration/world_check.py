#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare what gs-client players were told (--world-out) with the server's
world memory (gs-ctl world --json --all).

usage: world_check.py CLIENT_WORLD CTL_WORLD MAX_HP

For every player: the world's entity exists and belongs to the player's
session; its position is the last one the server told the player (a move
answer, or the respawn point of a DAMAGED that killed it); its HP is the one
of the last DAMAGED (full HP when never hit, or killed: the server must have
respawned every killed entity by the time gs-ctl ran).
Prints one line per mismatch and exits 1 if there is any.
"""
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def main():
    client, ctl, max_hp = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
    world = {e["entity"]: e for e in ctl}
    bad = 0
    for p in client:
        e = world.get(p["entity"])
        who = f"player {p['player']} entity {p['entity']}"
        if e is None:
            print(f"{who}: not in the world")
            bad += 1
            continue
        if e["owner"] != p["session"]:
            print(f"{who}: owned by session {e['owner']}, the player's is {p['session']}")
            bad += 1
        killed = p["killed"]
        want_pos = [p["x"], p["y"], p["z"]]
        got_pos = [e["x"], e["y"], e["z"]]
        if want_pos != got_pos:
            print(f"{who}: world position {got_pos}, client expected {want_pos}"
                  f" (killed={killed})")
            bad += 1
        want_hp = max_hp if killed or p["hp"] < 0 else p["hp"]
        if e["hp"] != want_hp or not e["alive"]:
            print(f"{who}: world hp {e['hp']} alive={e['alive']}, client expected {want_hp}")
            bad += 1
    print(f"world_check: {len(client)} players compared, {bad} mismatches")
    return 1 if bad or not client else 0


if __name__ == "__main__":
    sys.exit(main())
