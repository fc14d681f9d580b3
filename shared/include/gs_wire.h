/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_WIRE_H
#define GS_WIRE_H

/*
 * The gsnet game header (docs/PROTOCOL.md). This header and wire.c need no
 * DPDK: the client library and the kernel baseline compile them too.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_WIRE_MAGIC	    0x4753u /* "GS" */
#define GS_WIRE_VERSION	    1u
#define GS_WIRE_HDR_LEN	    24u
#define GS_WIRE_MAX_PAYLOAD 1200u
#define GS_WIRE_AUTH_LEN    8u
#define GS_WIRE_AUTH_OFF    16u /* auth_tag: a session's tag, or a CONNECT's nonce and its echo */

enum gs_msg_type {
	GS_MSG_CONNECT = 1,
	GS_MSG_CONNECT_ACCEPT = 2,
	GS_MSG_HEARTBEAT = 3,
	GS_MSG_HEARTBEAT_ACK = 4,
	GS_MSG_DISCONNECT = 5,
	GS_MSG_SESSION_ERROR = 6,
	GS_MSG_CHALLENGE = 7, /* server -> client: echo this cookie in CONNECT */
	GS_MSG_MOVE_FIRST = 16,
	GS_MSG_MOVE = 16,	 /* client -> server: Move */
	GS_MSG_MOVE_ACK = 17,	 /* server -> client: MoveAck */
	GS_MSG_MOVE_REJECT = 18, /* server -> client: MoveReject */
	GS_MSG_MOVE_LAST = 31,
	GS_MSG_COMBAT_FIRST = 32,
	GS_MSG_ATTACK = 32,	   /* client -> server: Attack */
	GS_MSG_ATTACK_RESULT = 33, /* server -> attacker: AttackResult */
	GS_MSG_DAMAGED = 34,	   /* server -> target: Damaged */
	GS_MSG_COMBAT_LAST = 47,
	GS_MSG_REPL_FIRST = 48,
	GS_MSG_SNAPSHOT = 48,	  /* server -> client: Snapshot (replicate.proto) */
	GS_MSG_SNAPSHOT_ACK = 49, /* client -> server: SnapshotAck */
	GS_MSG_REPL_LAST = 63,
};

/** The game header in host byte order. */
struct gs_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t type;
	uint32_t session_id;
	uint32_t sequence;
	uint16_t payload_len;
	uint16_t flags;
	/* a session's SipHash tag; in CONNECT the connect nonce, echoed by its answers of session 0 */
	uint8_t auth_tag[GS_WIRE_AUTH_LEN];
};

/** Why a game header was refused. 0 means accepted. */
enum gs_hdr_err {
	GS_HDR_OK = 0,
	GS_HDR_TRUNCATED,   /* fewer than GS_WIRE_HDR_LEN bytes */
	GS_HDR_BAD_MAGIC,   /* magic != 0x4753 */
	GS_HDR_BAD_VERSION, /* version != 1 */
	GS_HDR_BAD_LENGTH,  /* payload_len > 1200 or != bytes after the header */
	GS_HDR_BAD_FLAGS,   /* flags != 0: reserved */
};

/**
 * Decode and validate the game header at the start of a UDP payload.
 *
 * @param buf  the UDP payload
 * @param len  its length; the header's payload_len must equal len - 24
 * @param out  filled on success (host byte order)
 * @return GS_HDR_OK or the reason the header is refused.
 */
enum gs_hdr_err gs_hdr_decode(const uint8_t *buf, size_t len, struct gs_hdr *out);

/**
 * Encode @p h (host byte order) into the first 24 bytes of @p buf.
 *
 * @return GS_WIRE_HDR_LEN, or 0 if @p cap is too small or h->payload_len > 1200.
 */
size_t gs_hdr_encode(const struct gs_hdr *h, uint8_t *buf, size_t cap);

/** Human-readable name of a header error, for logs and tests. */
const char *gs_hdr_err_str(enum gs_hdr_err err);

/** Name of a message type ("CONNECT"; "MOVE_RANGE", "COMBAT_RANGE" for unassigned types of a class; "?"). */
const char *gs_msg_type_str(uint8_t type);

#endif /* GS_WIRE_H */
