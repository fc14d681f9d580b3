/* SPDX-License-Identifier: BSD-3-Clause */
/* The EAL argument vector of each process of a group, from the one config. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "gs_cfg.h"

struct argbuf {
	char **argv;
	int argc;
	int max;
	char *buf;
	size_t used;
	size_t len;
};

static int __rte_format_printf(2, 3) push(struct argbuf *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->argc + 1 >= a->max)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, a->len - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= a->len - a->used)
		return -ENOSPC;
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
	return 0;
}

int
gs_cfg_eal_args(const struct gs_cfg *cfg, enum gs_role role, unsigned int cls,
	unsigned int instance, const char *argv0, char **argv, int max_args, char *buf,
	size_t buf_len)
{
	struct argbuf a = { .argv = argv, .max = max_args, .buf = buf, .len = buf_len };
	const struct gs_cfg_proc *p = gs_cfg_proc_of(cfg, role, cls);
	char lcores[GS_CFG_MAX_LCORES * (sizeof("127@(),") + sizeof(p->cpus))];
	size_t off = 0;
	int ret = 0, n;

	if (p == NULL)
		return -EINVAL;
	if (role == GS_ROLE_PRIMARY) {
		for (unsigned int i = 0; i < p->lcore_count; i++) {
			n = snprintf(lcores + off, sizeof(lcores) - off, "%s%u@(%s)", i ? "," : "",
				p->lcore_first + i, p->cpus);
			if (n < 0 || (size_t)n >= sizeof(lcores) - off)
				return -ENOSPC;
			off += (size_t)n;
		}
	} else {
		if (instance >= p->lcore_count)
			return -ERANGE;
		snprintf(lcores, sizeof(lcores), "%u@(%s)", p->lcore_first + instance, p->cpus);
	}

	ret |= push(&a, "%s", argv0);
	ret |= push(&a, "--proc-type=%s", role == GS_ROLE_PRIMARY ? "primary" : "secondary");
	ret |= push(&a, "--file-prefix=%s", cfg->file_prefix);
	ret |= push(&a, "--lcores=%s", lcores);
	if (role == GS_ROLE_PRIMARY)
		ret |= push(&a, "--main-lcore=%u", p->lcore_first);
	if (cfg->base_virtaddr[0] != '\0')
		ret |= push(&a, "--base-virtaddr=%s", cfg->base_virtaddr);
	if (cfg->huge_dir[0] != '\0')
		ret |= push(&a, "--huge-dir=%s", cfg->huge_dir);
	if (cfg->single_file_segments)
		ret |= push(&a, "--single-file-segments");
	if (cfg->n_allow == 0)
		ret |= push(&a, "--no-pci");
	for (unsigned int i = 0; i < GS_CFG_MAX_ALLOW; i++)
		if (cfg->allow[i][0] != '\0')
			ret |= push(&a, "--allow=%s", cfg->allow[i]);
	if (role == GS_ROLE_PRIMARY) {
		ret |= push(&a, "-m");
		ret |= push(&a, "%u", cfg->memory_mb);
		for (unsigned int i = 0; i < GS_CFG_MAX_VDEVS; i++)
			if (cfg->vdevs[i][0] != '\0')
				ret |= push(&a, "--vdev=%s", cfg->vdevs[i]);
	} else {
		ret |= push(&a, "--no-telemetry");
	}
	if (cfg->log_level[0] != '\0') {
		char lv[GS_CFG_STR], *tok, *save = NULL;

		snprintf(lv, sizeof(lv), "%s", cfg->log_level);
		for (tok = strtok_r(lv, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
			ret |= push(&a, "--log-level=%s", tok);
	}
	return ret < 0 ? -ENOSPC : a.argc;
}
