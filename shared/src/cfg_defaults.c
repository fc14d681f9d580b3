/* SPDX-License-Identifier: BSD-3-Clause */
/* The config's built-in values: every key's default, the built-in classes, the roles. */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "gs_shm_types.h"

#include "cfg_internal.h"

static const char *const role_names[GS_ROLE_MAX] = {
	[GS_ROLE_PRIMARY] = "primary",
	[GS_ROLE_STATS] = "stats",
	[GS_ROLE_CTL] = "ctl",
	[GS_ROLE_HANDLER] = "class",
};

const char *
gs_role_name(enum gs_role role)
{
	return (unsigned int)role < GS_ROLE_MAX ? role_names[role] : "?";
}

unsigned int
gs_cfg_class_find(const struct gs_cfg *cfg, const char *name)
{
	for (unsigned int c = 1; c <= cfg->n_classes; c++)
		if (strcmp(cfg->classes[c].name, name) == 0)
			return c;
	return GS_CLASS_NONE;
}

const struct gs_cfg_proc *
gs_cfg_proc_of(const struct gs_cfg *cfg, enum gs_role role, unsigned int cls)
{
	if (role == GS_ROLE_HANDLER)
		return cls >= 1 && cls <= cfg->n_classes ? &cfg->classes[cls].proc : NULL;
	return (unsigned int)role < GS_ROLE_HANDLER ? &cfg->proc[role] : NULL;
}

/*
 * The built-in classes: the rows of the default config. A [class.NAME]
 * section of one of these names starts from its row; any other class
 * starts empty (its types and lcore_first are required).
 */
static const struct {
	const char *name;
	const char *types;
	unsigned int lcore_first;
} builtin_classes[] = {
	{ "session", GS_BUILTIN_SESSION_TYPES, 10 },
	{ "move", GS_BUILTIN_MOVE_TYPES, 20 },
	{ "combat", GS_BUILTIN_COMBAT_TYPES, 30 },
};

#define CLASS_LCORES 4 /* lcore ids of a class by default: one per instance */

static void
proc_defaults(struct gs_cfg_proc *p, enum gs_role role, unsigned int first, unsigned int count)
{
	memset(p, 0, sizeof(*p));
	p->lcore_first = first;
	p->lcore_count = count;
	snprintf(p->cpus, sizeof(p->cpus), "%s", role == GS_ROLE_PRIMARY ? "0" : "1");
	p->instances = role == GS_ROLE_HANDLER ? 1 : 0;
	p->idle = GS_IDLE_WAKE;
	p->idle_max_us = role == GS_ROLE_PRIMARY ? 100 : 200;
}

/* Class @p name as a new row @p c: from its built-in row if it has one. */
void
cfg_class_defaults(struct gs_cfg_class *k, const char *name)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	proc_defaults(&k->proc, GS_ROLE_HANDLER, 0, CLASS_LCORES);
	for (size_t b = 0; b < sizeof(builtin_classes) / sizeof(builtin_classes[0]); b++)
		if (strcmp(name, builtin_classes[b].name) == 0) {
			gs_type_set_parse(builtin_classes[b].types, &k->types);
			k->proc.lcore_first = builtin_classes[b].lcore_first;
		}
}

void
gs_cfg_defaults(struct gs_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", GS_CFG_DEFAULT_PATH);
	snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "gsnet");
	snprintf(cfg->base_virtaddr, sizeof(cfg->base_virtaddr), "0x200000000000");
	cfg->memory_mb = 512;
	snprintf(cfg->vdevs[0], sizeof(cfg->vdevs[0]), "net_tap0,iface=gs0"); /* built-in NIC */
	cfg->ip = htonl(0xc6120002);					      /* 198.18.0.2 */
	cfg->udp_port = 7777;
	cfg->flow_rules = GS_FLOW_RULES_AUTO;
	cfg->exception_pps = 10000;
	cfg->exception_burst = 2000;
	cfg->exception_host_pct = 20;
	cfg->burst = 32;
	cfg->rx_desc = 1024;
	cfg->tx_desc = 1024;
	cfg->mbufs = 8191;
	cfg->mbuf_cache = 256;
	cfg->start_timeout_ms = 10000;
	cfg->handler_timeout_ms = 100;
	cfg->ring_size = 1024;
	cfg->max_sessions = 65536;
	cfg->idle_timeout_ms = 10000;
	cfg->heartbeat_interval_ms = 100;
	cfg->max_entities = 1000000;
	cfg->auth_mode = GS_AUTH_TOKEN;
	snprintf(cfg->key_file, sizeof(cfg->key_file), "/etc/gsnet/server.key");
	cfg->protocol_id = 0x47534e4554ull; /* "GSNET" */
	cfg->used_tokens = 131072;
	cfg->max_token_lifetime_s = GS_TOKEN_MAX_LIFETIME_S;
	cfg->challenge_ttl_ms = 5000;
	cfg->source_pps = 5000;
	cfg->source_burst = 500;
	cfg->session_pps = 250;
	cfg->session_burst = 50;
	cfg->connect_pps = 2000;
	cfg->connect_burst = 200;
	cfg->stats_ip = htonl(0x7f000001); /* 127.0.0.1: never exposed by default */
	cfg->stats_port = 9477;
	gs_world_rules_default(&cfg->world);
	proc_defaults(&cfg->proc[GS_ROLE_PRIMARY], GS_ROLE_PRIMARY, 1, 1);
	proc_defaults(&cfg->proc[GS_ROLE_STATS], GS_ROLE_STATS, 60, 1);
	proc_defaults(&cfg->proc[GS_ROLE_CTL], GS_ROLE_CTL, 62, 1);
	for (size_t b = 0; b < sizeof(builtin_classes) / sizeof(builtin_classes[0]); b++)
		cfg_class_defaults(&cfg->classes[++cfg->n_classes], builtin_classes[b].name);
}

bool
cfg_class_is_builtin(const char *name)
{
	for (size_t b = 0; b < sizeof(builtin_classes) / sizeof(builtin_classes[0]); b++)
		if (strcmp(name, builtin_classes[b].name) == 0)
			return true;
	return false;
}
