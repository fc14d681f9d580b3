/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_CLIENT_REPORT_H
#define GS_CLIENT_REPORT_H

#include <stdint.h>

#include "client.h"

/** What the summary reports, summed over the players. */
struct totals {
	struct gsc_stats s; /* summed over players */
	uint64_t hb_sent;
	uint64_t hb_lost;
	uint64_t connect_retx;
	uint64_t moves;
	uint64_t moves_lost;
	uint64_t attacks;
	uint64_t attacks_lost;
	uint64_t lost;
};

/** Sum the players' figures of @p c into @p t (lost: everything unanswered, failed connects). */
void report_sum_up(const struct client *c, struct totals *t);

/** The summary as text lines on stdout (the default). */
void report_print_text(const struct client *c, const struct totals *t);

/** The summary as one JSON object on stdout (--json). */
void report_print_json(const struct client *c, const struct totals *t);

/**
 * --world-out: one JSON line per connected player with the last position the
 * server answered (and that answer's MOVE seq), its hp from the last DAMAGED
 * (-1: never hit), whether that killed it and whether it has respawned by @p now.
 *
 * @return 0, or -EIO (said on stderr).
 */
int report_write_world(const struct client *c, uint64_t now);

#endif /* GS_CLIENT_REPORT_H */
