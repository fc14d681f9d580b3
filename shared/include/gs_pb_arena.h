/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PB_ARENA_H
#define GS_PB_ARENA_H

/*
 * A bump allocator for protobuf-c unpacking without malloc on the hot path:
 * the arena lives on the caller's stack or in its context, every unpack
 * allocates from it, and gs_pb_arena_reset() frees everything at once.
 */
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct gs_pb_arena {
	ProtobufCAllocator alloc; /* pass &arena->alloc to *__unpack() */
	uint8_t *buf;
	size_t cap;
	size_t used;
	size_t failures; /* allocations refused because the arena was full */
};

/** Use @p buf of @p cap bytes as the arena's memory. */
void gs_pb_arena_init(struct gs_pb_arena *a, void *buf, size_t cap);

/** Forget every allocation (no destructor runs: do not free unpacked messages). */
static inline void
gs_pb_arena_reset(struct gs_pb_arena *a)
{
	a->used = 0;
}

#endif /* GS_PB_ARENA_H */
