/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_memzone.h>

#include "gs_log.h"
#include "gs_names.h"
#include "gs_world_shm.h"

GS_LOG_TYPE(gs.world);

struct gs_world *
gs_world_create(const struct gs_cfg *cfg, int socket_id)
{
	size_t len = gs_world_size(cfg->max_entities);
	const struct rte_memzone *mz;
	struct gs_world *w;

	/* a primary's EAL memory is its own: no earlier run's memzone can exist */
	mz = rte_memzone_reserve_aligned(GS_MZ_WORLD, len, socket_id, 0, RTE_CACHE_LINE_SIZE);
	if (mz == NULL) {
		GS_LOG(ERR,
			"rte_memzone_reserve(%s, %zu MiB for %u entities): %s: lower [world] max_entities or raise [eal] memory_mb",
			GS_MZ_WORLD, len >> 20, cfg->max_entities, rte_strerror(rte_errno));
		return NULL;
	}
	w = mz->addr;
	gs_world_init(
		w, cfg->max_entities, &cfg->world, rte_get_timer_hz(), rte_get_timer_cycles());
	return w;
}

void
gs_world_free(void)
{
	const struct rte_memzone *mz = rte_memzone_lookup(GS_MZ_WORLD);

	if (mz != NULL)
		rte_memzone_free(mz);
}

struct gs_world *
gs_world_attach(char *err, size_t err_len)
{
	const struct rte_memzone *mz = rte_memzone_lookup(GS_MZ_WORLD);
	struct gs_world *w;

	if (mz == NULL) {
		snprintf(err, err_len, "the primary has no world memzone (%s)", GS_MZ_WORLD);
		return NULL;
	}
	w = mz->addr;
	if (mz->len < sizeof(*w)) {
		snprintf(err, err_len, "world memzone of %zu bytes is too small", mz->len);
		return NULL;
	}
	if (gs_world_check(w, err, err_len) < 0)
		return NULL;
	if (mz->len < gs_world_size(w->max_entities)) {
		snprintf(err, err_len, "world memzone of %zu bytes cannot hold %u entities",
			mz->len, w->max_entities);
		return NULL;
	}
	return w;
}

int
gs_world_attach_game(const char *who, struct gs_session_tbl *tbl, struct gs_world **world)
{
	unsigned int repaired, placed = 0;
	struct gs_world *w;
	char err[256];

	if (gs_session_tbl_attach(tbl) < 0) {
		GS_LOG(ERR, "%s: the primary has no session table", who);
		return -ENOENT;
	}
	w = gs_world_attach(err, sizeof(err));
	if (w == NULL) {
		GS_LOG(ERR, "%s: %s", who, err);
		return -EPROTO;
	}
	repaired = gs_world_repair(w);
	for (uint32_t id = 1; id <= tbl->max && id <= w->max_entities; id++) {
		const struct gs_session *s = gs_session_of_entity(tbl, id);

		if (s != NULL && gs_world_entity(w, id)->m.owner == s->session_id)
			placed++;
	}
	GS_LOG(NOTICE,
		"%s: world of %u entities, %u live sessions with a position, %u locks of dead writers released",
		who, w->max_entities, placed, repaired);
	*world = w;
	return 0;
}
