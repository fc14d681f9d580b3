/* SPDX-License-Identifier: BSD-3-Clause */
#include "classify.h"

#include <string.h>

void
classify_build(struct classify_table *t, const struct gs_class_info classes[GS_MAX_CLASSES])
{
	memset(t->cls, GS_CLASS_NONE, sizeof(t->cls));
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		if (classes[c].state == GS_CLASS_ACTIVE)
			for (unsigned int ty = 0; ty < 256; ty++)
				if (gs_type_set_has(&classes[c].types, ty))
					t->cls[ty] = (uint8_t)c;
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
	uint32_t key = session_id != 0 ? session_id : mix32(src_ip) ^ src_port, best = 0;
	int pick = -1;

	/*
	 * Rendezvous hashing: the live instance with the highest weight for the
	 * key. When an instance comes or goes, only the sessions it wins or
	 * held move; every other session stays where it was.
	 */
	for (unsigned int i = 0; i < 32 && (live >> i) != 0; i++) {
		uint32_t w;

		if ((live & (1u << i)) == 0)
			continue;
		w = mix32(key ^ mix32(i + 1u));
		if (pick < 0 || w > best) {
			best = w;
			pick = (int)i;
		}
	}
	return pick;
}
