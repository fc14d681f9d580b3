/* SPDX-License-Identifier: BSD-3-Clause */
#include "shm.h"

#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_version.h>

#include "gs_log.h"
#include "gs_names.h"
#include "gs_sdk_version.h"
#include "gs_world_shm.h"

#include "primary.h"

GS_LOG_TYPE(gs.primary.shm);

/* NUMA node of the first port: pools and rings live next to the NIC. */
static int
data_socket(void)
{
	uint16_t port;

	RTE_ETH_FOREACH_DEV(port) {
		int s = rte_eth_dev_socket_id(port);

		if (s >= 0)
			return s;
	}
	return (int)rte_socket_id();
}

static struct rte_ring *
ring_create(bool to_handler, unsigned int l, unsigned int c, unsigned int i, unsigned int size,
	int socket)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	if (to_handler)
		snprintf(name, sizeof(name), GS_RING_P2H_FMT, l, c, i);
	else
		snprintf(name, sizeof(name), GS_RING_H2P_FMT, l, c, i);
	/* a primary's EAL memory is its own: no earlier run's ring can exist */
	r = rte_ring_create_elem(name, sizeof(struct gs_msg), size, socket,
		RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (r == NULL)
		GS_LOG(ERR, "rte_ring_create_elem(%s, %u x %zu B): %s", name, size,
			sizeof(struct gs_msg), rte_strerror(rte_errno));
	return r;
}

void
shm_class_rings_free(struct primary *p, unsigned int c)
{
	p->class_on[c] = false;
	for (unsigned int l = 0; l < GS_MAX_PRIMARY_LCORES; l++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			rte_ring_free(p->p2h[l][c][i]);
			rte_ring_free(p->h2p[l][c][i]);
			p->p2h[l][c][i] = NULL;
			p->h2p[l][c][i] = NULL;
		}
}

/* One per (primary lcore, instance), next to the NIC. */
int
shm_class_rings_create(struct primary *p, unsigned int c)
{
	int socket = data_socket();

	for (unsigned int l = 0; l < p->n_lcores; l++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			p->p2h[l][c][i] = ring_create(true, l, c, i, p->app.cfg.ring_size, socket);
			p->h2p[l][c][i] = ring_create(false, l, c, i, p->app.cfg.ring_size, socket);
			if (p->p2h[l][c][i] == NULL || p->h2p[l][c][i] == NULL) {
				shm_class_rings_free(p, c);
				return -ENOMEM;
			}
		}
	p->class_on[c] = true;
	return 0;
}

/*
 * The class table the handlers attach by (their class's id, by name) and
 * the tools label by; rings only for the classes the config runs.
 */
static int
classes_create(struct primary *p)
{
	const struct gs_cfg *cfg = &p->app.cfg;
	int ret;

	for (unsigned int c = 1; c <= cfg->n_classes; c++) {
		struct gs_class_info *k = &p->ctl->classes[c];

		snprintf(k->name, sizeof(k->name), "%s", cfg->classes[c].name);
		k->types = cfg->classes[c].types;
		k->instances = cfg->classes[c].proc.instances;
		k->state = GS_CLASS_ACTIVE;
		ret = shm_class_rings_create(p, c);
		if (ret < 0)
			return ret;
	}
	classify_build(&p->classify[0], p->ctl->classes);
	return 0;
}

static void
rings_free(struct primary *p)
{
	for (unsigned int c = 0; c < GS_MAX_CLASSES; c++)
		shm_class_rings_free(p, c);
}

void
shm_ctl_stamp(struct gs_control *ctl)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->magic = GS_SHM_MAGIC;
	ctl->layout_version = GS_SHM_VERSION;
	ctl->ctl_size = sizeof(struct gs_control);
	ctl->msg_size = sizeof(struct gs_msg);
	ctl->slot_size = sizeof(struct gs_handler_slot);
	ctl->session_size = sizeof(struct gs_session);
	ctl->lcore_stats_size = sizeof(struct gs_lcore_stats);
	snprintf(ctl->dpdk_version, sizeof(ctl->dpdk_version), "%s", rte_version());
	snprintf(ctl->gsnet_version, sizeof(ctl->gsnet_version), "%s", GSNET_VERSION);
	ctl->sdk_version = GS_SDK_VERSION_OF(GS_SDK_VERSION_MAJOR, GS_SDK_VERSION_MINOR);
}

static int
ctl_create(struct primary *p, int socket)
{
	const struct rte_memzone *mz;
	struct gs_control *ctl;

	mz = rte_memzone_reserve_aligned(
		GS_MZ_CONTROL, sizeof(*ctl), socket, 0, RTE_CACHE_LINE_SIZE);
	if (mz == NULL) {
		GS_LOG(ERR, "rte_memzone_reserve(%s): %s", GS_MZ_CONTROL, rte_strerror(rte_errno));
		return -rte_errno;
	}
	ctl = mz->addr;
	shm_ctl_stamp(ctl);
	ctl->primary_pid = getpid();
	ctl->n_lcores = p->n_lcores;
	ctl->ring_size = p->app.cfg.ring_size;
	ctl->max_sessions = p->app.cfg.max_sessions;
	ctl->auth_mode = p->app.cfg.auth_mode;
	/* the kernel's CSPRNG: a cookie key must not be guessable */
	if (getrandom(ctl->cookie_key, sizeof(ctl->cookie_key), 0) != sizeof(ctl->cookie_key)) {
		GS_LOG(ERR, "getrandom: %s", strerror(errno));
		return -EIO;
	}
	ctl->tsc_hz = rte_get_timer_hz();
	p->ctl = ctl;
	return 0;
}

int
shm_create(struct primary *p)
{
	const struct gs_cfg *cfg = &p->app.cfg;
	int socket = data_socket();
	int ret;

	ret = ctl_create(p, socket);
	if (ret < 0)
		return ret;
	p->pool = rte_pktmbuf_pool_create(
		GS_POOL_PKT, cfg->mbufs, cfg->mbuf_cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (p->pool == NULL) {
		GS_LOG(ERR,
			"rte_pktmbuf_pool_create(%s, %u mbufs): %s: raise [eal] memory_mb or reserve more hugepages",
			GS_POOL_PKT, cfg->mbufs, rte_strerror(rte_errno));
		return -rte_errno;
	}
	ret = classes_create(p);
	if (ret < 0)
		return ret;
	ret = gs_session_tbl_create(&p->sessions, cfg->max_sessions, socket);
	if (ret < 0)
		return ret;
	p->sessions_ok = true;
	ret = gs_tokens_used_create(&p->tokens, cfg->used_tokens, socket);
	if (ret < 0)
		return ret;
	p->tokens_ok = true;
	p->rx = rte_zmalloc_socket("gs_sess_rx", (size_t)cfg->max_sessions * sizeof(*p->rx),
		RTE_CACHE_LINE_SIZE, socket);
	if (p->rx == NULL) {
		GS_LOG(ERR, "no hugepage memory for the replay windows of %u sessions",
			cfg->max_sessions);
		return -ENOMEM;
	}
	p->world = gs_world_create(cfg, socket);
	if (p->world == NULL)
		return -ENOMEM;
	GS_LOG(NOTICE,
		"shared memory on socket %d: %u mbufs, %u x %u rings of %u x %zu B, %u sessions, %u entities (%zu MiB)",
		socket, cfg->mbufs, p->n_lcores * cfg->n_classes * GS_MAX_INSTANCES, 2u,
		cfg->ring_size, sizeof(struct gs_msg), cfg->max_sessions, cfg->max_entities,
		gs_world_size(cfg->max_entities) >> 20);
	return 0;
}

/* Only once no handler is attached (they would fault on freed memory). */
void
shm_free(struct primary *p)
{
	const struct rte_memzone *mz;

	if (p->sessions_ok)
		gs_session_tbl_free(&p->sessions);
	p->sessions_ok = false;
	if (p->tokens_ok)
		gs_tokens_used_free(&p->tokens);
	p->tokens_ok = false;
	rte_free(p->rx);
	p->rx = NULL;
	if (p->world != NULL)
		gs_world_free();
	p->world = NULL;
	rings_free(p);
	rte_mempool_free(p->pool);
	p->pool = NULL;
	mz = rte_memzone_lookup(GS_MZ_CONTROL);
	if (mz != NULL)
		rte_memzone_free(mz);
	p->ctl = NULL;
}
