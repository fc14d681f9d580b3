/* SPDX-License-Identifier: BSD-3-Clause */
#include <unistd.h>

#include <rte_pause.h>

#include "gs_idle.h"

/* Empty passes spent spinning before the first sleep. */
#define IDLE_SPIN_PASSES 256

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
gs_idle_init(struct gs_idle_state *s, enum gs_idle mode, unsigned int max_us)
{
	s->mode = mode;
	s->max_us = max_us > 0 ? max_us : 1;
	gs_idle_reset(s);
}

bool
gs_idle_wait(struct gs_idle_state *s)
{
	if (s->mode == GS_IDLE_POLL || ++s->misses < IDLE_SPIN_PASSES) {
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
