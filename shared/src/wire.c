/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "gs_wire.h"

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

enum gs_hdr_err
gs_hdr_decode(const uint8_t *buf, size_t len, struct gs_hdr *out)
{
	if (len < GS_WIRE_HDR_LEN)
		return GS_HDR_TRUNCATED;
	out->magic = rd16(buf);
	if (out->magic != GS_WIRE_MAGIC)
		return GS_HDR_BAD_MAGIC;
	out->version = buf[2];
	if (out->version != GS_WIRE_VERSION)
		return GS_HDR_BAD_VERSION;
	out->type = buf[3];
	out->session_id = rd32(buf + 4);
	out->sequence = rd32(buf + 8);
	out->payload_len = rd16(buf + 12);
	out->flags = rd16(buf + 14);
	memcpy(out->auth_tag, buf + 16, GS_WIRE_AUTH_LEN);
	if (out->payload_len > GS_WIRE_MAX_PAYLOAD || out->payload_len != len - GS_WIRE_HDR_LEN)
		return GS_HDR_BAD_LENGTH;
	if (out->flags != 0)
		return GS_HDR_BAD_FLAGS;
	return GS_HDR_OK;
}

size_t
gs_hdr_encode(const struct gs_hdr *h, uint8_t *buf, size_t cap)
{
	if (cap < GS_WIRE_HDR_LEN || h->payload_len > GS_WIRE_MAX_PAYLOAD)
		return 0;
	wr16(buf, h->magic);
	buf[2] = h->version;
	buf[3] = h->type;
	wr32(buf + 4, h->session_id);
	wr32(buf + 8, h->sequence);
	wr16(buf + 12, h->payload_len);
	wr16(buf + 14, h->flags);
	memcpy(buf + 16, h->auth_tag, GS_WIRE_AUTH_LEN);
	return GS_WIRE_HDR_LEN;
}

const char *
gs_hdr_err_str(enum gs_hdr_err err)
{
	switch (err) {
	case GS_HDR_OK:
		return "ok";
	case GS_HDR_TRUNCATED:
		return "truncated";
	case GS_HDR_BAD_MAGIC:
		return "bad magic";
	case GS_HDR_BAD_VERSION:
		return "bad version";
	case GS_HDR_BAD_LENGTH:
		return "bad payload length";
	case GS_HDR_BAD_FLAGS:
		return "reserved flags set";
	}
	return "?";
}

const char *
gs_msg_type_str(uint8_t type)
{
	static const char *const names[] = {
		[GS_MSG_CONNECT] = "CONNECT",
		[GS_MSG_CONNECT_ACCEPT] = "CONNECT_ACCEPT",
		[GS_MSG_HEARTBEAT] = "HEARTBEAT",
		[GS_MSG_HEARTBEAT_ACK] = "HEARTBEAT_ACK",
		[GS_MSG_DISCONNECT] = "DISCONNECT",
		[GS_MSG_SESSION_ERROR] = "SESSION_ERROR",
		[GS_MSG_CHALLENGE] = "CHALLENGE",
		[GS_MSG_MOVE] = "MOVE",
		[GS_MSG_MOVE_ACK] = "MOVE_ACK",
		[GS_MSG_MOVE_REJECT] = "MOVE_REJECT",
		[GS_MSG_ATTACK] = "ATTACK",
		[GS_MSG_ATTACK_RESULT] = "ATTACK_RESULT",
		[GS_MSG_DAMAGED] = "DAMAGED",
		[GS_MSG_SNAPSHOT] = "SNAPSHOT",
		[GS_MSG_SNAPSHOT_ACK] = "SNAPSHOT_ACK",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type] != NULL)
		return names[type];
	if (type >= GS_MSG_MOVE_FIRST && type <= GS_MSG_MOVE_LAST)
		return "MOVE_RANGE";
	if (type >= GS_MSG_COMBAT_FIRST && type <= GS_MSG_COMBAT_LAST)
		return "COMBAT_RANGE";
	if (type >= GS_MSG_REPL_FIRST && type <= GS_MSG_REPL_LAST)
		return "REPL_RANGE";
	return "?";
}
