/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_CLASSIFY_H
#define GS_PRIMARY_CLASSIFY_H

/*
 * Classification: a 256-entry table from game message type to handler
 * class id, built from the classes' types. Types with no class (replies,
 * unassigned numbers) are dropped as gs_type.
 */
#include <stdint.h>

#include "gs_class.h"
#include "gs_shm_types.h"

struct classify_table {
	uint8_t cls[256]; /* class id; GS_CLASS_NONE: drop */
};

/**
 * The table of the active classes of @p classes (the control memzone's, by
 * id): each type to the class whose types hold it. The loader refused
 * overlapping types: a type has one class at most.
 */
void classify_build(struct classify_table *t, const struct gs_class_info classes[GS_MAX_CLASSES]);

static inline unsigned int
classify_type(const struct classify_table *t, uint8_t type)
{
	return t->cls[type];
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
