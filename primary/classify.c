/* SPDX-License-Identifier: BSD-3-Clause */
#include "classify.h"

#include <string.h>

#include "gs_wire.h"

void
classify_init(struct classify_table *t)
{
	memset(t->cls, GS_CLASS_NONE, sizeof(t->cls));
	t->cls[GS_MSG_CONNECT] = GS_CLASS_SESSION;
	t->cls[GS_MSG_HEARTBEAT] = GS_CLASS_SESSION;
	t->cls[GS_MSG_DISCONNECT] = GS_CLASS_SESSION;
	for (unsigned int ty = GS_MSG_MOVE_FIRST; ty <= GS_MSG_MOVE_LAST; ty++)
		t->cls[ty] = GS_CLASS_MOVE;
	for (unsigned int ty = GS_MSG_COMBAT_FIRST; ty <= GS_MSG_COMBAT_LAST; ty++)
		t->cls[ty] = GS_CLASS_COMBAT;
}

static inline uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

int
classify_instance(uint32_t session_id, uint32_t src_ip, uint16_t src_port, uint32_t live)
{
	unsigned int n = (unsigned int)__builtin_popcount(live), pick;
	uint32_t key = session_id != 0 ? session_id : mix32(src_ip) ^ src_port;

	if (n == 0)
		return -1;
	/* the pick-th live instance: stable while the set of live instances is */
	pick = mix32(key) % n;
	for (unsigned int i = 0; i < 32; i++) {
		if ((live & (1u << i)) == 0)
			continue;
		if (pick-- == 0)
			return (int)i;
	}
	return -1;
}
