/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include "gsc_timers.h"

#define NOT_ARMED UINT32_MAX

int
gsc_timers_init(struct gsc_timers *t, uint32_t cap)
{
	if (t == NULL || cap == 0 || cap == NOT_ARMED)
		return -EINVAL;
	t->n = 0;
	t->cap = cap;
	t->heap = calloc(cap, sizeof(*t->heap));
	t->pos = malloc((size_t)cap * sizeof(*t->pos));
	if (t->heap == NULL || t->pos == NULL) {
		gsc_timers_free(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cap; i++)
		t->pos[i] = NOT_ARMED;
	return 0;
}

void
gsc_timers_free(struct gsc_timers *t)
{
	free(t->heap);
	t->heap = NULL;
	free(t->pos);
	t->pos = NULL;
	t->n = 0;
	t->cap = 0;
}

static bool
less(const struct gsc_timers *t, uint32_t a, uint32_t b)
{
	return t->heap[a].due < t->heap[b].due;
}

static void
swap(struct gsc_timers *t, uint32_t a, uint32_t b)
{
	struct gsc_timer x = t->heap[a];

	t->heap[a] = t->heap[b];
	t->heap[b] = x;
	t->pos[t->heap[a].id] = a;
	t->pos[t->heap[b].id] = b;
}

static void
up(struct gsc_timers *t, uint32_t i)
{
	while (i > 0 && less(t, i, (i - 1) / 2)) {
		swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
down(struct gsc_timers *t, uint32_t i)
{
	uint32_t l, m;

	for (;;) {
		l = 2 * i + 1;
		if (l >= t->n)
			return;
		m = l + 1 < t->n && less(t, l + 1, l) ? l + 1 : l;
		if (!less(t, m, i))
			return;
		swap(t, i, m);
		i = m;
	}
}

int
gsc_timers_set(struct gsc_timers *t, uint32_t id, uint64_t due)
{
	uint32_t i;

	if (id >= t->cap)
		return -EINVAL;
	i = t->pos[id];
	if (i == NOT_ARMED) {
		i = t->n++;
		t->heap[i].id = id;
		t->pos[id] = i;
	}
	t->heap[i].due = due;
	up(t, i);
	down(t, t->pos[id]);
	return 0;
}

void
gsc_timers_cancel(struct gsc_timers *t, uint32_t id)
{
	uint32_t i;

	if (!gsc_timers_is_armed(t, id))
		return;
	i = t->pos[id];
	t->pos[id] = NOT_ARMED;
	t->n--;
	if (i == t->n)
		return;
	/* the last element fills the hole, and may belong above it or below */
	t->heap[i] = t->heap[t->n];
	t->pos[t->heap[i].id] = i;
	up(t, i);
	down(t, i);
}

bool
gsc_timers_is_armed(const struct gsc_timers *t, uint32_t id)
{
	return id < t->cap && t->pos[id] != NOT_ARMED;
}

bool
gsc_timers_first(const struct gsc_timers *t, uint32_t *id, uint64_t *due)
{
	if (t->n == 0)
		return false;
	if (id != NULL)
		*id = t->heap[0].id;
	if (due != NULL)
		*due = t->heap[0].due;
	return true;
}
