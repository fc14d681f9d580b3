/* SPDX-License-Identifier: BSD-3-Clause */
#include "counters_fixture.h"

#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

/* Every counter's value: distinct, so that a value found belongs to one counter. */
static uint64_t next_value = 100000;

static uint64_t
value(void)
{
	next_value += 7;
	return next_value;
}

static const char *const class_names[GS_MAX_CLASSES] = {
	[GS_CLASS_SESSION] = "session",
	[2] = "move",
	[3] = "combat",
	[FX_CHAT] = "chat",
};

/* The own counts each class's instances declare (chat: an SDK handler's). */
static const char *const event_names[GS_MAX_CLASSES][GS_HANDLER_EVENTS] = {
	[GS_CLASS_SESSION] = { "connects", "heartbeats", "expired" },
	[2] = { "accepted", "too_fast" },
	[3] = { "hits", "kills", "damaged_sent" },
	[FX_CHAT] = { "says", "channel_says", "heard_sent", "heard_dropped", "joins" },
};

/* The reject reasons chat declares besides GS_FOREACH_REJECT's. */
static const char *const chat_rejects[] = { "rate", "too_long", "bad_channel", "not_in_channel" };

void
fx_classes(struct gs_class_info classes[GS_MAX_CLASSES])
{
	memset(classes, 0, sizeof(classes[0]) * GS_MAX_CLASSES);
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		if (class_names[c] != NULL) {
			snprintf(classes[c].name, sizeof(classes[c].name), "%s", class_names[c]);
			gs_type_set_add(&classes[c].types, GS_CLASS_TYPE_BASE + 16 * c);
			classes[c].instances = 1;
			classes[c].state = GS_CLASS_ACTIVE;
		}
}

bool
fx_slot_used(unsigned int c, unsigned int i)
{
	/* instance 0 of each class, 1 of move and chat; the others were never
	 * claimed (an output must not show them) */
	if (c >= GS_MAX_CLASSES || class_names[c] == NULL)
		return false;
	return i == 0 || (i == 1 && (c == 2 || c == FX_CHAT));
}

void
fx_lcore(struct gs_lcore_stats *st, unsigned int l)
{
	(void)l;
	memset(st, 0, sizeof(*st));
#define FILL(name, help) st->name = value();
	GS_FOREACH_LCORE_COUNTER(FILL)
#undef FILL
	for (unsigned int d = 1; d < GS_DROP_MAX; d++)
		st->drops[d] = value();
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++) {
		if (class_names[c] == NULL)
			continue;
		st->dispatched[c] = value();
		st->replies[c] = value();
		for (unsigned int b = 0; b < GS_RESIDENCE_BUCKETS; b++)
			st->residence[c][b] = value();
		st->residence_ns[c] = value();
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++)
			if (fx_slot_used(c, i)) {
				st->ring_enq[c][i] = value();
				st->ring_full[c][i] = value();
			}
	}
}

void
fx_slot(struct gs_handler_slot *s, unsigned int c, unsigned int i)
{
	memset(s, 0, sizeof(*s));
	if (!fx_slot_used(c, i))
		return;
	s->state = i == 0 ? GS_SLOT_RUNNING : GS_SLOT_DEAD;
	s->pid = (int32_t)(4000 + 10 * c + i);
	s->generation = 3 + c;
	s->restarts = 2 + c;
	s->heartbeat_tsc = FX_NOW_TSC - (uint64_t)(10 * c + i + 1) * FX_TSC_HZ / 1000;
	s->up = i == 0;
	s->downs = (uint32_t)(20 + c * 4 + i);
	for (unsigned int e = 0; e < GS_HANDLER_EVENTS; e++)
		if (event_names[c][e] != NULL) {
			snprintf(s->event_names[e], sizeof(s->event_names[e]), "%s",
				event_names[c][e]);
			s->events[e] = value();
		}
	if (c == FX_CHAT) {
		for (unsigned int k = 0; k < RTE_DIM(chat_rejects); k++)
			snprintf(s->reject_names[k], sizeof(s->reject_names[k]), "%s",
				chat_rejects[k]);
		/* its duration histogram; few in the last bucket, so that p99
		 * falls inside a bounded one */
		snprintf(s->hist_name, sizeof(s->hist_name), "%s", FX_HIST_NAME);
		for (unsigned int b = 0; b + 1 < GS_HANDLER_HIST_BUCKETS; b++)
			s->hist[b] = value();
		s->hist[GS_HANDLER_HIST_BUCKETS - 1] = 3 + i;
		s->hist_ns = value();
	}
	s->stats_seq = 2; /* even: not being written */
#define FILL(name, help) s->name = value();
	GS_FOREACH_HANDLER_COUNTER(FILL)
#undef FILL
	for (unsigned int r = 0; r < fx_slot_rejects(s); r++)
		s->rejected[r] = value();
}

uint32_t
fx_depth(unsigned int l, unsigned int c, unsigned int i, bool to_handler)
{
	/* a ring's depth, and its sum over the lcores, below FX_RING_SLOTS */
	return 1 + l * 8 + c * 3 + i * 2 + (to_handler ? 1 : 0);
}

unsigned int
fx_slot_rejects(const struct gs_handler_slot *s)
{
	unsigned int n = GS_REJECT_MAX;

	while (n < GS_HANDLER_REJECTS && gs_slot_reject_name(s, n) != NULL)
		n++;
	return n;
}

void
fx_sum(const struct gs_lcore_stats *lc, unsigned int n, struct gs_lcore_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int l = 0; l < n; l++) {
#define ADD(name, help) sum->name += lc[l].name;
		GS_FOREACH_LCORE_COUNTER(ADD)
#undef ADD
		for (unsigned int d = 0; d < GS_DROP_MAX; d++)
			sum->drops[d] += lc[l].drops[d];
		for (unsigned int c = 0; c < GS_MAX_CLASSES; c++) {
			sum->dispatched[c] += lc[l].dispatched[c];
			sum->replies[c] += lc[l].replies[c];
			for (unsigned int b = 0; b < GS_RESIDENCE_BUCKETS; b++)
				sum->residence[c][b] += lc[l].residence[c][b];
			sum->residence_ns[c] += lc[l].residence_ns[c];
			for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
				sum->ring_enq[c][i] += lc[l].ring_enq[c][i];
				sum->ring_full[c][i] += lc[l].ring_full[c][i];
			}
		}
	}
}

void
fx_fail(const char *file, unsigned int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* CUnit copies the text into its failure record */
	CU_assertImplementation(CU_FALSE, line, msg, file, "", CU_FALSE);
}
