/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "gs_class.h"
#include "gs_drop.h"

static const char *const drop_names[GS_DROP_MAX] = { [GS_DROP_NONE] = "none",
#define GS_DROP_NAME(sym, name) [GS_DROP_##sym] = name,
	GS_FOREACH_DROP(GS_DROP_NAME)
#undef GS_DROP_NAME
};

static const char *const class_names[GS_CLASS_MAX] = { [GS_CLASS_NONE] = "none",
#define GS_CLASS_NAME(sym, name) [GS_CLASS_##sym] = name,
	GS_FOREACH_CLASS(GS_CLASS_NAME)
#undef GS_CLASS_NAME
};

const char *
gs_drop_name(enum gs_drop d)
{
	if ((unsigned int)d >= GS_DROP_MAX)
		return "?";
	return drop_names[d];
}

const char *
gs_class_name(enum gs_class c)
{
	if ((unsigned int)c >= GS_CLASS_MAX)
		return NULL;
	return class_names[c];
}

enum gs_class
gs_class_from_name(const char *name)
{
	for (unsigned int c = 1; c < GS_CLASS_MAX; c++)
		if (strcmp(name, class_names[c]) == 0)
			return (enum gs_class)c;
	return GS_CLASS_NONE;
}
