/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_WORLD_SHM_H
#define GS_WORLD_SHM_H

/* The world memzone: created by the primary, looked up by the handlers. */
#include <stddef.h>

#include "gs_cfg.h"
#include "gs_session_tbl.h"
#include "gs_world.h"

/**
 * Create the world from @p cfg (primary), replacing a stale one of the same
 * name: every entity fresh.
 *
 * @return the world, or NULL (logged: not enough hugepage memory).
 */
struct gs_world *gs_world_create(const struct gs_cfg *cfg, int socket_id);

/** Free the world (primary, at shutdown, when no handler is attached). */
void gs_world_free(void);

/**
 * Look the world up and check its layout (handlers, tools).
 *
 * @return the world, or NULL with the reason in @p err (no world, or a layout
 *         this build does not know).
 */
struct gs_world *gs_world_attach(char *err, size_t err_len);

/**
 * What a game handler (gs-move, gs-combat) attaches to: the session table
 * and the world; releases the entity locks of writers that no longer exist
 * and logs what it found, as @p who.
 *
 * @return 0, -ENOENT (no session table), -EPROTO (no usable world).
 */
int gs_world_attach_game(const char *who, struct gs_session_tbl *tbl, struct gs_world **world);

#endif /* GS_WORLD_SHM_H */
