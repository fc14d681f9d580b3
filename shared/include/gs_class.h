/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_CLASS_H
#define GS_CLASS_H

/*
 * Handler classes. A class is a kind of secondary that consumes one stream
 * of classified messages; each class may run several instances.
 * Append only: the numbering is part of the shared-memory layout.
 */
#define GS_FOREACH_CLASS(_)   \
	_(SESSION, "session") \
	_(MOVE, "move")       \
	_(COMBAT, "combat")

enum gs_class {
	GS_CLASS_NONE = 0, /* classification result: drop */
#define GS_CLASS_ENUM(sym, name) GS_CLASS_##sym,
	GS_FOREACH_CLASS(GS_CLASS_ENUM)
#undef GS_CLASS_ENUM
	GS_CLASS_MAX
};

/** Most instances of one class the layout has room for. */
#define GS_MAX_INSTANCES 4

/** Name of a class ("session"); "none" for GS_CLASS_NONE, NULL when out of range. */
const char *gs_class_name(enum gs_class c);

/** Class named @p name, or GS_CLASS_NONE. */
enum gs_class gs_class_from_name(const char *name);

#endif /* GS_CLASS_H */
