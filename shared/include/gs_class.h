/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_CLASS_H
#define GS_CLASS_H

/*
 * Handler classes. A class is a kind of secondary that consumes the game
 * messages of its types; each class may run several instances. Classes are
 * configuration ([class.NAME] sections, docs/CONFIG.md), not layout: the
 * shared memory has room for GS_MAX_CLASSES of them, and the primary
 * publishes which ones a group runs (struct gs_class_info in the control
 * memzone). A class is known by its name; its id (1 ..
 * GS_MAX_CLASSES - 1, the index of its rings and slots) is the primary's
 * choice, except for session's.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_MAX_CLASSES	   16 /* class ids 0 (none) .. 15 */
#define GS_CLASS_NONE	   0  /* classification result: drop */
#define GS_CLASS_SESSION   1  /* the CONNECT path: always id 1 */
#define GS_CLASS_NAME_LEN  16 /* a class name and its NUL */
#define GS_CLASS_TYPE_BASE 16 /* types 0-15 are the session protocol's */

/** Most instances of one class the layout has room for. */
#define GS_MAX_INSTANCES 4

/** A set of message types (0-255). */
struct gs_type_set {
	uint32_t w[8];
};

static inline void
gs_type_set_add(struct gs_type_set *s, unsigned int type)
{
	s->w[(type >> 5) & 7] |= 1u << (type & 31);
}

static inline bool
gs_type_set_has(const struct gs_type_set *s, unsigned int type)
{
	return type < 256 && (s->w[type >> 5] >> (type & 31)) & 1u;
}

static inline bool
gs_type_set_empty(const struct gs_type_set *s)
{
	for (unsigned int i = 0; i < 8; i++)
		if (s->w[i] != 0)
			return false;
	return true;
}

/** The lowest type in both sets, or -1 when they have none in common. */
int gs_type_set_overlap(const struct gs_type_set *a, const struct gs_type_set *b);

/**
 * Parse a type list: "16-31", "64-79, 90": numbers 0-255 and ranges joined
 * by commas. @return 0, or -EINVAL (nothing parsed, a bad number, a reversed
 * range).
 */
int gs_type_set_parse(const char *s, struct gs_type_set *out);

/** Write @p s as a type list ("16-31,40") into @p buf; "" when empty. */
void gs_type_set_format(const struct gs_type_set *s, char *buf, unsigned int len);

/**
 * Whether @p name is 1 to @p size - 1 characters of a-z, 0-9 and '_' (it
 * fits a buffer of @p size; safe in a label value, a telemetry key and a
 * DPDK object's name).
 */
bool gs_label_valid(const char *name, size_t size);

/**
 * Whether @p name may name a class: gs_label_valid() within
 * GS_CLASS_NAME_LEN (1-15 characters), starting with a letter (it becomes
 * part of section, process and label names).
 */
bool gs_class_name_valid(const char *name);

static inline uint32_t
gs_mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/**
 * The instance of a class a key (a session id) belongs to among the live
 * instances @p live (bit mask), by rendezvous hashing: the live instance
 * with the highest weight for the key. When an instance comes or goes, only
 * the keys it wins or held move. The primary dispatches with it; a handler
 * that sends on its own (replication) finds its sessions with it.
 *
 * @return the instance, or -1 when none is live.
 */
static inline int
gs_rendezvous(uint32_t key, uint32_t live)
{
	uint32_t best = 0;
	int pick = -1;

	for (unsigned int i = 0; i < 32 && (live >> i) != 0; i++) {
		uint32_t w;

		if ((live & (1u << i)) == 0)
			continue;
		w = gs_mix32(key ^ gs_mix32(i + 1u));
		if (pick < 0 || w > best) {
			best = w;
			pick = (int)i;
		}
	}
	return pick;
}

/* The classes a fresh install runs: their default config (deploy/gsnet.ini). */
#define GS_BUILTIN_SESSION_TYPES "1,3,5"
#define GS_BUILTIN_MOVE_TYPES	 "16-31"
#define GS_BUILTIN_COMBAT_TYPES	 "32-47"

#endif /* GS_CLASS_H */
