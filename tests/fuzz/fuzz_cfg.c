/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the config loader gs_cfg_load() (rte_cfgfile underneath)
 * and its -o section.key=value overrides, then gs_cfg_eal_args() on what
 * loaded.
 *
 * Input: the INI text, then optionally NUL-separated overrides:
 *     "<file text>\0<override>\0<override>..."   (at most MAX_OVERRIDES)
 * The text is written to a memfd created once and loaded through its
 * /proc/self/fd path, as a file on disk would be.
 *
 * Checked: the loader returns 0 or -EINVAL with a message; a config it
 * accepts keeps every documented bound and cross-key rule; the EAL argument
 * vector of every role and instance fits the caller's arrays and is
 * NULL-terminated.
 */
#define _GNU_SOURCE /* memfd_create() */
#include <sys/mman.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_config.h>
#include <rte_log.h>

#include "gs_cfg.h"
#include "gs_shm_types.h"

#include "fuzz_common.h"

#define MAX_OVERRIDES 4
#define MAX_ARGS      64

static int ini_fd = -1;
static char ini_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* rte_cfgfile logs every syntax error: keep the fuzzer's output readable */
	if (getenv("GS_FUZZ_VERBOSE") == NULL)
		rte_log_set_global_level(RTE_LOG_EMERG);
	ini_fd = memfd_create("gs_fuzz_cfg", 0);
	CHECK(ini_fd >= 0);
	snprintf(ini_path, sizeof(ini_path), "/proc/self/fd/%d", ini_fd);
	return 0;
}

/* Process @p k of @p cfg: [primary], [stats], [ctl], then each class; NULL past the last. */
static const struct gs_cfg_proc *
proc_k(const struct gs_cfg *cfg, unsigned int k, enum gs_role *role, unsigned int *cls)
{
	*role = k < GS_ROLE_HANDLER ? (enum gs_role)k : GS_ROLE_HANDLER;
	*cls = k < GS_ROLE_HANDLER ? 0 : k - GS_ROLE_HANDLER + 1;
	return gs_cfg_proc_of(cfg, *role, *cls);
}

static void
check_proc(const struct gs_cfg *cfg, unsigned int r)
{
	enum gs_role role;
	unsigned int cls;
	const struct gs_cfg_proc *p = proc_k(cfg, r, &role, &cls);

	CHECK(p->lcore_first >= 1 && p->lcore_count >= 1);
	CHECK(p->lcore_count <= GS_CFG_MAX_LCORES);
	CHECK(p->lcore_first + p->lcore_count <= RTE_MAX_LCORE);
	CHECK(p->instances <= p->lcore_count);
	CHECK(memchr(p->cpus, '\0', sizeof(p->cpus)) != NULL && p->cpus[0] != '\0');
	CHECK(p->idle == GS_IDLE_POLL || p->idle == GS_IDLE_BACKOFF || p->idle == GS_IDLE_WAKE);
	CHECK(p->idle_max_us >= 1 && p->idle_max_us <= 100000);
	for (unsigned int o = 0; o < r; o++) {
		const struct gs_cfg_proc *q = proc_k(cfg, o, &role, &cls);

		CHECK(p->lcore_first >= q->lcore_first + q->lcore_count ||
			q->lcore_first >= p->lcore_first + p->lcore_count);
	}
}

static void
check_world(const struct gs_cfg *cfg)
{
	const struct gs_world_rules *w = &cfg->world;

	CHECK(cfg->max_entities >= cfg->max_sessions);
	for (int i = 0; i < 3; i++)
		CHECK(w->min[i] < w->max[i]);
	CHECK(w->max_speed > 0.0f);
	CHECK(w->max_move_gap_ms >= 1 && w->max_move_gap_ms <= 60000);
	CHECK(w->n_spawns >= 1 && w->n_spawns <= GS_MAX_SPAWNS);
	for (unsigned int s = 0; s < w->n_spawns; s++)
		for (int i = 0; i < 3; i++)
			CHECK(w->spawns[s][i] >= w->min[i] && w->spawns[s][i] <= w->max[i]);
	CHECK(w->n_skills <= GS_MAX_SKILLS);
	for (unsigned int s = 0; s < w->n_skills; s++) {
		CHECK(w->skills[s].range > 0.0f);
		CHECK(w->skills[s].damage > 0);
		CHECK(memchr(w->skills[s].name, '\0', GS_SKILL_NAME) != NULL);
	}
}

/* What every accepted config must satisfy (the bounds of cfg.c's key table). */
static void
check_loaded(const struct gs_cfg *cfg)
{
	CHECK(strcmp(cfg->path, ini_path) == 0);
	CHECK(cfg->file_prefix[0] != '\0');
	CHECK(strspn(cfg->file_prefix,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
		strlen(cfg->file_prefix));
	CHECK(cfg->n_vdevs <= GS_CFG_MAX_VDEVS && cfg->n_allow <= GS_CFG_MAX_ALLOW);
	CHECK(cfg->memory_mb >= 16);
	CHECK(cfg->udp_port >= 1 && cfg->vlan <= 4094);
	CHECK(cfg->ip != 0 && cfg->stats_ip != 0 && cfg->stats_port >= 1);
	CHECK(cfg->burst >= 1 && cfg->burst <= 64);
	CHECK(cfg->ring_size >= 64 && cfg->ring_size <= 65536);
	CHECK(cfg->max_sessions >= 16);
	CHECK(cfg->proc[GS_ROLE_PRIMARY].lcore_count <= GS_MAX_PRIMARY_LCORES);
	CHECK(cfg->handler_timeout_ms >= GS_HANDLER_TIMEOUT_MIN_MS);
	CHECK(cfg->n_classes >= 1 && cfg->n_classes < GS_MAX_CLASSES);
	CHECK(strcmp(cfg->classes[GS_CLASS_SESSION].name, "session") == 0);
	for (unsigned int c = 1; c <= cfg->n_classes; c++) {
		CHECK(gs_class_name_valid(cfg->classes[c].name));
		CHECK(!gs_type_set_empty(&cfg->classes[c].types));
		CHECK(cfg->handler_timeout_ms >=
			2 * (GS_HEARTBEAT_MS + (cfg->classes[c].proc.idle_max_us + 999) / 1000));
		for (unsigned int o = 1; o < c; o++)
			CHECK(gs_type_set_overlap(&cfg->classes[c].types, &cfg->classes[o].types) <
				0);
	}
	CHECK((uint64_t)cfg->heartbeat_interval_ms * 3 <= cfg->idle_timeout_ms);
	CHECK((uint64_t)cfg->mbufs >= (uint64_t)(cfg->n_vdevs + cfg->n_allow) *
					      cfg->proc[GS_ROLE_PRIMARY].lcore_count *
					      (cfg->rx_desc + cfg->tx_desc));
	CHECK(cfg->auth_mode == GS_AUTH_TOKEN || cfg->auth_mode == GS_AUTH_OPEN);
	CHECK(cfg->auth_mode != GS_AUTH_TOKEN || cfg->key_file[0] != '\0');
	for (unsigned int r = 0; r < GS_ROLE_HANDLER + cfg->n_classes; r++)
		check_proc(cfg, r);
	check_world(cfg);
}

static void
check_eal_args(const struct gs_cfg *cfg)
{
	static char buf[8192];
	char *argv[MAX_ARGS + 1];

	for (unsigned int r = 0; r < GS_ROLE_HANDLER + cfg->n_classes; r++) {
		enum gs_role role;
		unsigned int cls;
		const struct gs_cfg_proc *p = proc_k(cfg, r, &role, &cls);
		unsigned int n_inst = role == GS_ROLE_PRIMARY ? 1 : p->lcore_count + 1;

		for (unsigned int i = 0; i < n_inst; i++) {
			int argc = gs_cfg_eal_args(
				cfg, role, cls, i, "gs-fuzz", argv, MAX_ARGS, buf, sizeof(buf));

			if (role != GS_ROLE_PRIMARY && i >= p->lcore_count) {
				CHECK(argc == -ERANGE);
				continue;
			}
			CHECK(argc > 0 || argc == -ENOSPC);
			if (argc < 0)
				continue;
			CHECK(argc < MAX_ARGS && argv[argc] == NULL);
			for (int a = 0; a < argc; a++)
				CHECK(argv[a] >= buf &&
					argv[a] + strlen(argv[a]) < buf + sizeof(buf));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *overrides[MAX_OVERRIDES], *copy, *p, *end;
	static struct gs_cfg cfg;
	unsigned int n_over = 0;
	char err[512];
	size_t text_len;
	int ret;

	/* the file text, then the overrides: one copy, NUL-terminated pieces */
	copy = malloc(size + 1);
	CHECK(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	text_len = strlen(copy);
	end = copy + size;
	for (p = copy + text_len + 1; p < end && n_over < MAX_OVERRIDES; p += strlen(p) + 1)
		overrides[n_over++] = p;

	CHECK(ftruncate(ini_fd, 0) == 0);
	CHECK(pwrite(ini_fd, copy, text_len, 0) == (ssize_t)text_len);

	memset(err, 0x5a, sizeof(err)); /* no NUL: the loader must write its own */
	ret = gs_cfg_load(&cfg, ini_path, overrides, n_over, err, sizeof(err));
	if (ret == 0) {
		check_loaded(&cfg);
		check_eal_args(&cfg);
	} else {
		CHECK(ret == -EINVAL);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(strncmp(err, ini_path, strlen(ini_path)) == 0 || strncmp(err, "-o ", 3) == 0);
	}
	free(copy);
	return 0;
}
