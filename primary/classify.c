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

int
classify_instance(uint32_t session_id, uint32_t src_ip, uint16_t src_port, uint32_t live)
{
	/* a CONNECT (no session yet) by its source address */
	uint32_t key = session_id != 0 ? session_id : gs_mix32(src_ip) ^ src_port;

	return gs_rendezvous(key, live);
}
