/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_CLASSIFY_H
#define GS_PRIMARY_CLASSIFY_H

/*
 * Classification: a 256-entry table from game message type to handler
 * class. Types with no class (replies, unassigned numbers) are dropped as
 * gs_type.
 */
#include <stdint.h>

#include "gs_class.h"

struct classify_table {
	uint8_t cls[256]; /* enum gs_class */
};

/** The protocol's table: 1, 3, 5 -> session; 16..31 -> move; 32..47 -> combat. */
void classify_init(struct classify_table *t);

static inline enum gs_class
classify_type(const struct classify_table *t, uint8_t type)
{
	return (enum gs_class)t->cls[type];
}

/**
 * Pick the instance of a class for a message: by session so one session's
 * messages stay in order on one instance; a CONNECT (session 0) by its
 * source address. Rendezvous hashing: a change of the live set moves only
 * the sessions of the instance that left (or that the new one wins).
 *
 * @param live  bit mask of live instances of the class
 * @return the instance, or -1 when none is live.
 */
int classify_instance(uint32_t session_id, uint32_t src_ip, uint16_t src_port, uint32_t live);

#endif /* GS_PRIMARY_CLASSIFY_H */
