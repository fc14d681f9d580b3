/* SPDX-License-Identifier: BSD-3-Clause */
#include <unistd.h>

#include <rte_pause.h>

#include "gs_idle.h"

/* Empty passes spent spinning before the first sleep, and the most under wake. */
#define IDLE_SPIN_PASSES     256
#define IDLE_SPIN_PASSES_MAX (IDLE_SPIN_PASSES * 64)

const char *
gs_idle_name(enum gs_idle mode)
{
	switch (mode) {
	case GS_IDLE_POLL:
		return "poll";
	case GS_IDLE_BACKOFF:
		return "backoff";
	case GS_IDLE_WAKE:
		return "wake";
	}
	return "?";
}

void
gs_idle_slept(struct gs_idle_state *s, bool woken, uint64_t slept_us)
{
	if (woken && slept_us < GS_IDLE_SHORT_SLEEP_US)
		s->spin = s->spin * 2 > IDLE_SPIN_PASSES_MAX ? IDLE_SPIN_PASSES_MAX : s->spin * 2;
	else
		s->spin = IDLE_SPIN_PASSES;
	s->misses = 0;
}

void
gs_idle_init(struct gs_idle_state *s, enum gs_idle mode, unsigned int max_us)
{
	s->mode = mode;
	s->max_us = max_us > 0 ? max_us : 1;
	s->spin = IDLE_SPIN_PASSES;
	gs_idle_reset(s);
}

bool
gs_idle_wait(struct gs_idle_state *s)
{
	if (s->mode == GS_IDLE_POLL || ++s->misses < s->spin) {
		rte_pause();
		return false;
	}
	if (s->mode == GS_IDLE_WAKE)
		return true;
	s->sleep_us = s->sleep_us == 0 ? 1 : s->sleep_us * 2;
	if (s->sleep_us > s->max_us)
		s->sleep_us = s->max_us;
	usleep(s->sleep_us);
	return false;
}
