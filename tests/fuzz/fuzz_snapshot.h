/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_FUZZ_SNAPSHOT_H
#define GS_FUZZ_SNAPSHOT_H

/*
 * The input of fuzz_snapshot and of its seed generator make_snapshot_corpus.c:
 *
 *   byte 0     flags: bit 7 FUZZ_SNAP_CLIENT (a session's stream of snapshots
 *              into libgsclient's gsc_repl); bit 6 FUZZ_SNAP_SMALL (the output
 *              view holds 8 entities); bits 0-5 the baseline's entities (0-63)
 *   bytes 1-4  the baseline's tick, little endian (0: no baseline view)
 *   then       one Snapshot payload; with FUZZ_SNAP_CLIENT, Snapshot payloads
 *              each after its length (2 bytes, little endian)
 *
 * The baseline view is made from the flags and the tick alone
 * (fuzz_snapshot_baseline()), so a seed can hold deltas against it.
 */
#include <stdint.h>

#include "gs_repl.h"

#define FUZZ_SNAP_CLIENT     0x80u
#define FUZZ_SNAP_SMALL	     0x40u
#define FUZZ_SNAP_N_MASK     0x3fu
#define FUZZ_SNAP_HDR	     5u
#define FUZZ_SNAP_SMALL_VIEW 8u

/* Baseline entity i: id 3i + 1, moving and hurt a little with i. */
static inline void
fuzz_snapshot_baseline(unsigned int n, uint32_t tick, struct gs_repl_view *v)
{
	v->tick = tick;
	v->n = n;
	for (unsigned int i = 0; i < n; i++) {
		int32_t k = (int32_t)i;

		v->e[i] = (struct gs_repl_ent){
			.id = 3u * i + 1u,
			.q = { 16 * k, -16 * k, k },
			.v = { k, 0, -k },
			.hp = 100 - k,
			.alive = (int32_t)(i % 2u),
		};
	}
}

#endif /* GS_FUZZ_SNAPSHOT_H */
