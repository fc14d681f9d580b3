/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "gs_drop.h"

static const char *const drop_names[GS_DROP_MAX] = { [GS_DROP_NONE] = "none",
#define GS_DROP_NAME(sym, name) [GS_DROP_##sym] = name,
	GS_FOREACH_DROP(GS_DROP_NAME)
#undef GS_DROP_NAME
};

const char *
gs_drop_name(enum gs_drop d)
{
	if ((unsigned int)d >= GS_DROP_MAX)
		return "?";
	return drop_names[d];
}
