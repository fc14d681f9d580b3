/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_MONITOR_H
#define GS_PRIMARY_MONITOR_H

/*
 * Handler liveness and retirement (liveness.h has the rules): which
 * instances are up (struct primary's live[] and claimed[] masks) and which
 * must be retired, their rings reset by the lcores that own them.
 */
#include <stdint.h>

struct primary;

/* On the main lcore every tick (TSC @p now): publish the masks, retire the gone. */
void monitor_tick(struct primary *p, uint64_t now);

#endif /* GS_PRIMARY_MONITOR_H */
