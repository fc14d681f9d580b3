/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_TEST_COUNTERS_FIXTURE_H
#define GS_TEST_COUNTERS_FIXTURE_H

/*
 * A group's counters for the tests that check every counter appears in
 * every output (unit/primary/counters_test.c, unit/secondary/stats/
 * export_test.c): every counter of the lists (GS_FOREACH_LCORE_COUNTER,
 * GS_FOREACH_DROP, GS_FOREACH_REJECT, GS_FOREACH_HANDLER_COUNTER, a slot's
 * declared reasons, own counts and duration histogram, the per-class and
 * per-instance arrays)
 * gets its own value, so a counter added to a list later is filled, and
 * checked, without a change here.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gs_shm_types.h"

#define FX_LCORES     2 /* primary lcores */
#define FX_CHAT	      4 /* the non-built-in class's id */
#define FX_TSC_HZ     1000000000ull
#define FX_NOW_TSC    (1000ull * FX_TSC_HZ)
#define FX_RING_SLOTS 63       /* every ring's capacity: rings of 64 */
#define FX_HIST_NAME  "handle" /* chat's duration histogram (the other classes have none) */

/**
 * The class table: session (1), move (2), combat (3), and chat (FX_CHAT), a
 * class of the handler SDK whose instances declare their own counts, reject
 * reasons and duration histogram (FX_HIST_NAME); the other ids are free.
 */
void fx_classes(struct gs_class_info classes[GS_MAX_CLASSES]);

/** Whether instance @p i of class @p c is used (claimed once) in the fixture. */
bool fx_slot_used(unsigned int c, unsigned int i);

/** Lcore @p l's counter block: every counter its own value (the block not being written). */
void fx_lcore(struct gs_lcore_stats *st, unsigned int l);

/**
 * Handler slot (@p c, @p i): identity, liveness, every counter (every reject
 * reason it has: GS_FOREACH_REJECT's and those it declares), its own counts,
 * its duration histogram (chat's);
 * left zeroed when fx_slot_used() says it is not used.
 */
void fx_slot(struct gs_handler_slot *s, unsigned int c, unsigned int i);

/** Ring depths: of the request ring (@p to_handler) or the reply ring of (@p l, @p c, @p i). */
uint32_t fx_depth(unsigned int l, unsigned int c, unsigned int i, bool to_handler);

/** The number of reject reasons of slot @p s: GS_REJECT_MAX and those it declared. */
unsigned int fx_slot_rejects(const struct gs_handler_slot *s);

/** gs_slot_reject_name(), "?" for a reason @p s has not. */
static inline const char *
fx_reject_name(const struct gs_handler_slot *s, unsigned int r)
{
	const char *n = gs_slot_reject_name(s, r);

	return n != NULL ? n : "?";
}

/** The sums over @p n lcore blocks of @p lc (as the primary's outputs show them). */
void fx_sum(const struct gs_lcore_stats *lc, unsigned int n, struct gs_lcore_stats *sum);

/**
 * A failed check of @p what, described by @p fmt: recorded as a CUnit failure
 * at @p file:@p line with the description, so that the report names the
 * counter and the output.
 */
void fx_fail(const char *file, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define FX_CHECK(cond, ...)                                       \
	do {                                                      \
		if (!(cond))                                      \
			fx_fail(__FILE__, __LINE__, __VA_ARGS__); \
		else                                              \
			CU_PASS(#cond);                           \
	} while (0)

#endif /* GS_TEST_COUNTERS_FIXTURE_H */
