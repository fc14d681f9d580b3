/* SPDX-License-Identifier: BSD-3-Clause */
#include "gs_pb_arena.h"

static void *
arena_alloc(void *data, size_t size)
{
	struct gs_pb_arena *a = data;
	size_t start = (a->used + 15) & ~(size_t)15;

	if (size > a->cap || start > a->cap - size) {
		a->failures++;
		return NULL; /* protobuf-c turns this into an unpack failure */
	}
	a->used = start + size;
	return a->buf + start;
}

static void
arena_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr; /* released all at once by gs_pb_arena_reset() */
}

void
gs_pb_arena_init(struct gs_pb_arena *a, void *buf, size_t cap)
{
	a->alloc.alloc = arena_alloc;
	a->alloc.free = arena_free;
	a->alloc.allocator_data = a;
	a->buf = buf;
	a->cap = cap;
	a->used = 0;
	a->failures = 0;
}
