/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <net/if.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cfgfile.h>
#include <rte_config.h>

#include "gs_cfg.h"
#include "gs_parse.h"
#include "gs_shm_types.h"

_Static_assert(GS_CFG_IFNAMSIZ == IFNAMSIZ, "[net] exception_iface holds a kernel interface name");

/*
 * The config is table driven: one row per key, with its type, bounds and
 * place in struct gs_cfg. Unknown sections and keys are errors, so a typo
 * never silently falls back to a default.
 */
enum key_type {
	KT_UINT,
	KT_BOOL,
	KT_STR,
	KT_IPV4,
	KT_PORT,
	KT_IDLE,
	KT_CLASSES,
	KT_CPUS,
	KT_FLOAT,
	KT_POINT, /* "x,y,z" */
	KT_U64,
	KT_AUTH, /* token | open */
	KT_FLOW_RULES,
};

struct key_def {
	const char *key;
	enum key_type type;
	size_t off;  /* offset in struct gs_cfg, or in struct gs_cfg_proc for role keys */
	size_t size; /* KT_STR: buffer size */
	unsigned long min;
	unsigned long max;
};

#define CFG_U(k, field, lo, hi)                                       \
	{                                                             \
		k, KT_UINT, offsetof(struct gs_cfg, field), 0, lo, hi \
	}
#define CFG_S(k, field)                                                                            \
	{                                                                                          \
		k, KT_STR, offsetof(struct gs_cfg, field), sizeof(((struct gs_cfg *)0)->field), 0, \
			0                                                                          \
	}
#define PROC_U(k, field, lo, hi)                                           \
	{                                                                  \
		k, KT_UINT, offsetof(struct gs_cfg_proc, field), 0, lo, hi \
	}

static const struct key_def eal_keys[] = {
	CFG_S("file_prefix", file_prefix),
	CFG_S("base_virtaddr", base_virtaddr),
	CFG_S("huge_dir", huge_dir),
	CFG_U("memory_mb", memory_mb, 16, 1u << 20),
	{ "single_file_segments", KT_BOOL, offsetof(struct gs_cfg, single_file_segments), 0, 0, 0 },
	CFG_S("log_level", log_level),
	{ NULL, 0, 0, 0, 0, 0 },
};

static const struct key_def net_keys[] = {
	{ "ip", KT_IPV4, offsetof(struct gs_cfg, ip), 0, 0, 0 },
	{ "udp_port", KT_PORT, offsetof(struct gs_cfg, udp_port), 0, 1, 65535 },
	{ "vlan", KT_PORT, offsetof(struct gs_cfg, vlan), 0, 0, 4094 },
	{ "flow_rules", KT_FLOW_RULES, offsetof(struct gs_cfg, flow_rules), 0, 0, 0 },
	CFG_S("exception_iface", exception_iface),
	CFG_U("exception_pps", exception_pps, 1, 10000000),
	CFG_U("exception_burst", exception_burst, 1, 1000000),
	CFG_U("exception_host_pct", exception_host_pct, 0, 90),
	{ NULL, 0, 0, 0, 0, 0 },
};

static const struct key_def ring_keys[] = {
	CFG_U("size", ring_size, 64, 65536),
	{ NULL, 0, 0, 0, 0, 0 },
};

static const struct key_def session_keys[] = {
	CFG_U("max", max_sessions, 16, GS_SESSIONS_MAX),
	CFG_U("idle_timeout_ms", idle_timeout_ms, 100, 3600000),
	CFG_U("heartbeat_interval_ms", heartbeat_interval_ms, 10, 60000),
	{ NULL, 0, 0, 0, 0, 0 },
};

#define WORLD_F(k, field)                                            \
	{                                                            \
		k, KT_FLOAT, offsetof(struct gs_cfg, field), 0, 0, 0 \
	}

static const struct key_def world_keys[] = {
	CFG_U("max_entities", max_entities, 16, 1u << 24),
	WORLD_F("min_x", world.min[0]),
	WORLD_F("max_x", world.max[0]),
	WORLD_F("min_y", world.min[1]),
	WORLD_F("max_y", world.max[1]),
	WORLD_F("min_z", world.min[2]),
	WORLD_F("max_z", world.max[2]),
	WORLD_F("max_speed", world.max_speed),
	CFG_U("speed_slack_ms", world.speed_slack_ms, 0, 10000),
	CFG_U("max_move_gap_ms", world.max_move_gap_ms, 1, 60000),
	CFG_U("max_hp", world.max_hp, 1, 1000000),
	CFG_U("respawn_ms", world.respawn_ms, 0, 3600000),
	{ NULL, 0, 0, 0, 0, 0 },
};

/* Keys of a [skill.N] section (offsets in struct gs_skill). */
static const struct key_def skill_keys[] = {
	{ "name", KT_STR, offsetof(struct gs_skill, name), GS_SKILL_NAME, 0, 0 },
	{ "range", KT_FLOAT, offsetof(struct gs_skill, range), 0, 0, 0 },
	{ "damage", KT_UINT, offsetof(struct gs_skill, damage), 0, 1, 1000000 },
	{ "cooldown_ms", KT_UINT, offsetof(struct gs_skill, cooldown_ms), 0, 0,
		GS_MAX_COOLDOWN_MS },
	{ NULL, 0, 0, 0, 0, 0 },
};

static const struct key_def auth_keys[] = {
	{ "mode", KT_AUTH, offsetof(struct gs_cfg, auth_mode), 0, 0, 0 },
	CFG_S("key_file", key_file),
	{ "protocol_id", KT_U64, offsetof(struct gs_cfg, protocol_id), 0, 0, 0 },
	CFG_U("used_tokens", used_tokens, 1024, 1u << 24),
	CFG_U("max_token_lifetime_s", max_token_lifetime_s, 10, 7u * 86400u),
	CFG_U("challenge_ttl_ms", challenge_ttl_ms, 100, 60000),
	{ NULL, 0, 0, 0, 0, 0 },
};

static const struct key_def limit_keys[] = {
	CFG_U("source_pps", source_pps, 0, 100000000),
	CFG_U("source_burst", source_burst, 1, 100000000),
	CFG_U("session_pps", session_pps, 0, 100000000),
	CFG_U("session_burst", session_burst, 1, 100000000),
	CFG_U("connect_pps", connect_pps, 0, 100000000),
	CFG_U("connect_burst", connect_burst, 1, 100000000),
	{ NULL, 0, 0, 0, 0, 0 },
};

static const struct key_def stats_keys[] = {
	{ "http_ip", KT_IPV4, offsetof(struct gs_cfg, stats_ip), 0, 0, 0 },
	{ "http_port", KT_PORT, offsetof(struct gs_cfg, stats_port), 0, 1, 65535 },
	{ NULL, 0, 0, 0, 0, 0 },
};

static const struct key_def primary_keys[] = {
	CFG_U("burst", burst, 1, 64),
	CFG_U("rx_desc", rx_desc, 64, 16384),
	CFG_U("tx_desc", tx_desc, 64, 16384),
	CFG_U("mbufs", mbufs, 1023, 1u << 24),
	CFG_U("mbuf_cache", mbuf_cache, 0, 512),
	{ "start_after", KT_CLASSES, offsetof(struct gs_cfg, start_after), 0, 0, 0 },
	CFG_U("start_timeout_ms", start_timeout_ms, 0, 600000),
	CFG_U("handler_timeout_ms", handler_timeout_ms, GS_HANDLER_TIMEOUT_MIN_MS, 60000),
	{ NULL, 0, 0, 0, 0, 0 },
};

/* Keys of every process role section (offsets in struct gs_cfg_proc). */
static const struct key_def role_keys[] = {
	PROC_U("lcore_first", lcore_first, 1, RTE_MAX_LCORE - 1),
	PROC_U("lcore_count", lcore_count, 1, GS_CFG_MAX_LCORES),
	{ "cpus", KT_CPUS, offsetof(struct gs_cfg_proc, cpus),
		sizeof(((struct gs_cfg_proc *)0)->cpus), 0, 0 },
	PROC_U("instances", instances, 0, GS_MAX_INSTANCES),
	{ "idle", KT_IDLE, offsetof(struct gs_cfg_proc, idle), 0, 0, 0 },
	PROC_U("idle_max_us", idle_max_us, 1, 100000),
	{ NULL, 0, 0, 0, 0, 0 },
};

static const char *const role_names[GS_ROLE_MAX] = {
	[GS_ROLE_PRIMARY] = "primary",
	[GS_ROLE_SESSION] = "session",
	[GS_ROLE_MOVE] = "move",
	[GS_ROLE_COMBAT] = "combat",
	[GS_ROLE_STATS] = "stats",
	[GS_ROLE_CTL] = "ctl",
};

const char *
gs_role_name(enum gs_role role)
{
	return (unsigned int)role < GS_ROLE_MAX ? role_names[role] : "?";
}

enum gs_role
gs_role_of_class(enum gs_class cls)
{
	switch (cls) {
	case GS_CLASS_SESSION:
		return GS_ROLE_SESSION;
	case GS_CLASS_MOVE:
		return GS_ROLE_MOVE;
	case GS_CLASS_COMBAT:
		return GS_ROLE_COMBAT;
	default:
		return GS_ROLE_MAX;
	}
}

void
gs_cfg_defaults(struct gs_cfg *cfg)
{
	static const unsigned int first[GS_ROLE_MAX] = { 1, 10, 20, 30, 60, 62 };
	static const unsigned int count[GS_ROLE_MAX] = { 1, 4, 4, 4, 1, 1 };

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
	for (unsigned int r = 0; r < GS_ROLE_MAX; r++) {
		struct gs_cfg_proc *p = &cfg->proc[r];

		p->lcore_first = first[r];
		p->lcore_count = count[r];
		snprintf(p->cpus, sizeof(p->cpus), "%s", r == GS_ROLE_PRIMARY ? "0" : "1");
		p->instances = gs_role_is_handler((enum gs_role)r) ? 1 : 0;
		p->idle = GS_IDLE_WAKE;
		p->idle_max_us = r == GS_ROLE_PRIMARY ? 100 : 200;
	}
}

/* Line of "key" in "[section]" of the file, 0 if not found (e.g. an -o override). */
static unsigned int
find_line(const char *path, const char *section, const char *key)
{
	char line[1024], cur[CFG_NAME_LEN] = "";
	unsigned int lineno = 0, found = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end;
		size_t n;

		lineno++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '[') {
			end = strchr(p, ']');
			if (end != NULL) {
				n = (size_t)(end - p - 1);
				if (n >= sizeof(cur))
					n = sizeof(cur) - 1;
				memcpy(cur, p + 1, n);
				cur[n] = '\0';
			}
			continue;
		}
		if (strcmp(cur, section) != 0)
			continue;
		n = strlen(key);
		if (strncmp(p, key, n) == 0) {
			p += n;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '=')
				found = lineno; /* the last one wins, as in rte_cfgfile */
		}
	}
	fclose(f);
	return found;
}

struct load_ctx {
	const char *path;
	char *err;
	size_t err_len;
	char *const *overrides; /* "section.key=value": a bad one is named as such */
	unsigned int n_over;
};

static bool
is_override(const struct load_ctx *lc, const char *section, const char *key)
{
	size_t sl = strlen(section), kl = strlen(key);

	for (unsigned int i = 0; i < lc->n_over; i++) {
		const char *o = lc->overrides[i];

		if (strncmp(o, section, sl) == 0 && o[sl] == '.' &&
			strncmp(o + sl + 1, key, kl) == 0 && o[sl + 1 + kl] == '=')
			return true;
	}
	return false;
}

/* Whether @p key of @p section was set in the file or by an override. */
static bool
key_given(const struct load_ctx *lc, const char *section, const char *key)
{
	return is_override(lc, section, key) || find_line(lc->path, section, key) > 0;
}

static int __rte_format_printf(5, 6) bad(struct load_ctx *lc, const char *section, const char *key,
	const char *value, const char *fmt, ...)
{
	unsigned int line = 0;
	char why[256];
	char where[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* the last -o wins over the file, as when the values were applied */
	if (is_override(lc, section, key))
		snprintf(where, sizeof(where), "command line (-o)");
	else if ((line = find_line(lc->path, section, key)) > 0)
		snprintf(where, sizeof(where), "line %u", line);
	else
		snprintf(where, sizeof(where), "built-in default");
	snprintf(lc->err, lc->err_len, "%s: %s: [%s] %s = \"%s\": %s", lc->path, where, section,
		key, value, why);
	return -EINVAL;
}

static int
parse_uint(const char *s, unsigned long *out)
{
	uint64_t v = 0;
	int ret = gs_parse_u64(s, 0, 0, ULONG_MAX, &v);

	*out = (unsigned long)v; /* 0 when refused */
	return ret;
}

/* "1.5" or "x,y,z": @p n finite numbers separated by commas. */
static int
parse_floats(const char *s, float *out, unsigned int n)
{
	const char *p = s;

	for (unsigned int i = 0; i < n; i++) {
		char *end;
		double v;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return -EINVAL;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno != 0 || !isfinite(v) || v > 3.0e38 || v < -3.0e38)
			return -EINVAL;
		out[i] = (float)v;
		p = end;
		while (isspace((unsigned char)*p))
			p++;
		if (i + 1 < n) {
			if (*p != ',')
				return -EINVAL;
			p++;
		}
	}
	return *p == '\0' ? 0 : -EINVAL;
}

static int
parse_cpus(const char *s)
{
	/* "1", "0-3", "0,2,4-5": digits, commas and ranges only */
	if (*s == '\0')
		return -EINVAL;
	for (const char *p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && *p != ',' && *p != '-')
			return -EINVAL;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[strlen(s) - 1]))
		return -EINVAL;
	return 0;
}

static int
apply_key(struct load_ctx *lc, void *base, const char *section, const struct key_def *d,
	const char *value)
{
	void *field = (char *)base + d->off;
	unsigned long u;

	switch (d->type) {
	case KT_UINT:
	case KT_PORT:
		if (parse_uint(value, &u) < 0)
			return bad(lc, section, d->key, value, "not an unsigned integer");
		if (u < d->min || u > d->max)
			return bad(lc, section, d->key, value, "out of range %lu..%lu", d->min,
				d->max);
		if (d->type == KT_PORT)
			*(uint16_t *)field = (uint16_t)u;
		else
			*(unsigned int *)field = (unsigned int)u;
		return 0;
	case KT_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
			strcmp(value, "1") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
			 strcmp(value, "0") == 0)
			*(bool *)field = false;
		else
			return bad(lc, section, d->key, value, "expected yes or no");
		return 0;
	case KT_STR:
		if (strlen(value) >= d->size)
			return bad(lc, section, d->key, value, "longer than %zu characters",
				d->size - 1);
		snprintf(field, d->size, "%s", value);
		return 0;
	case KT_CPUS:
		if (parse_cpus(value) < 0)
			return bad(lc, section, d->key, value,
				"expected a CPU list such as 1, 0-3 or 0,2");
		if (strlen(value) >= d->size)
			return bad(lc, section, d->key, value, "too long");
		snprintf(field, d->size, "%s", value);
		return 0;
	case KT_IPV4: {
		struct in_addr a;

		if (inet_pton(AF_INET, value, &a) != 1 || a.s_addr == 0)
			return bad(lc, section, d->key, value, "not an IPv4 address");
		*(uint32_t *)field = a.s_addr;
		return 0;
	}
	case KT_FLOAT: {
		float f;

		if (parse_floats(value, &f, 1) < 0)
			return bad(lc, section, d->key, value, "not a finite number");
		*(float *)field = f;
		return 0;
	}
	case KT_U64:
		if (parse_uint(value, &u) < 0)
			return bad(lc, section, d->key, value, "not an unsigned integer");
		*(uint64_t *)field = (uint64_t)u;
		return 0;
	case KT_AUTH:
		if (strcmp(value, "token") == 0)
			*(enum gs_auth_mode *)field = GS_AUTH_TOKEN;
		else if (strcmp(value, "open") == 0)
			*(enum gs_auth_mode *)field = GS_AUTH_OPEN;
		else
			return bad(lc, section, d->key, value, "expected token or open");
		return 0;
	case KT_POINT:
		if (parse_floats(value, field, 3) < 0)
			return bad(lc, section, d->key, value, "expected x,y,z (three numbers)");
		return 0;
	case KT_IDLE:
		if (strcmp(value, "poll") == 0)
			*(enum gs_idle *)field = GS_IDLE_POLL;
		else if (strcmp(value, "backoff") == 0)
			*(enum gs_idle *)field = GS_IDLE_BACKOFF;
		else if (strcmp(value, "wake") == 0)
			*(enum gs_idle *)field = GS_IDLE_WAKE;
		else
			return bad(lc, section, d->key, value, "expected wake, poll or backoff");
		return 0;
	case KT_FLOW_RULES:
		if (strcmp(value, "auto") == 0)
			*(enum gs_flow_rules *)field = GS_FLOW_RULES_AUTO;
		else if (strcmp(value, "off") == 0)
			*(enum gs_flow_rules *)field = GS_FLOW_RULES_OFF;
		else
			return bad(lc, section, d->key, value, "expected auto or off");
		return 0;
	case KT_CLASSES: {
		char buf[CFG_VALUE_LEN], *tok, *save = NULL;
		unsigned int mask = 0;

		snprintf(buf, sizeof(buf), "%s", value);
		for (tok = strtok_r(buf, " ,", &save); tok != NULL;
			tok = strtok_r(NULL, " ,", &save)) {
			enum gs_class c = gs_class_from_name(tok);

			if (c == GS_CLASS_NONE)
				return bad(lc, section, d->key, value, "unknown handler class '%s'",
					tok);
			mask |= 1u << c;
		}
		*(unsigned int *)field = mask;
		return 0;
	}
	}
	return -EINVAL;
}

static const struct key_def *
find_key(const struct key_def *defs, const char *key)
{
	for (; defs->key != NULL; defs++)
		if (strcmp(defs->key, key) == 0)
			return defs;
	return NULL;
}

/* vdev0..vdev7, pci0..pci7 */
static int
indexed_key(const char *key, const char *stem, unsigned int max)
{
	size_t n = strlen(stem);

	if (strncmp(key, stem, n) != 0 || !isdigit((unsigned char)key[n]) || key[n + 1] != '\0')
		return -1;
	return (unsigned int)(key[n] - '0') < max ? key[n] - '0' : -1;
}

static int
load_eal_list(struct load_ctx *lc, struct gs_cfg *cfg, const char *key, const char *value)
{
	int i;

	if ((i = indexed_key(key, "vdev", GS_CFG_MAX_VDEVS)) >= 0) {
		if (strlen(value) >= GS_CFG_STR)
			return bad(lc, "eal", key, value, "too long");
		snprintf(cfg->vdevs[i], GS_CFG_STR, "%s", value);
		return 0;
	}
	if ((i = indexed_key(key, "pci", GS_CFG_MAX_ALLOW)) >= 0) {
		if (strlen(value) >= sizeof(cfg->allow[0]))
			return bad(lc, "eal", key, value, "too long");
		snprintf(cfg->allow[i], sizeof(cfg->allow[0]), "%s", value);
		return 0;
	}
	return bad(lc, "eal", key, value, "unknown key");
}

static int
load_section(struct load_ctx *lc, struct rte_cfgfile *f, struct gs_cfg *cfg, const char *section)
{
	const struct key_def *defs = NULL;
	void *base = cfg;
	int n, ret;

	if (strcmp(section, "eal") == 0)
		defs = eal_keys;
	else if (strcmp(section, "net") == 0)
		defs = net_keys;
	else if (strcmp(section, "rings") == 0)
		defs = ring_keys;
	else if (strcmp(section, "sessions") == 0)
		defs = session_keys;
	else if (strcmp(section, "world") == 0)
		defs = world_keys;
	else if (strcmp(section, "auth") == 0)
		defs = auth_keys;
	else if (strcmp(section, "limits") == 0)
		defs = limit_keys;
	else if (strncmp(section, "skill.", 6) == 0) {
		unsigned long k;

		if (parse_uint(section + 6, &k) < 0 || k < 1 || k > GS_MAX_SKILLS) {
			snprintf(lc->err, lc->err_len,
				"%s: section [%s]: skills are numbered [skill.1] .. [skill.%d]",
				lc->path, section, GS_MAX_SKILLS);
			return -EINVAL;
		}
		defs = skill_keys;
		base = &cfg->world.skills[k - 1];
		cfg->skill_mask |= 1u << (k - 1);
	}
	for (unsigned int r = 0; defs == NULL && r < GS_ROLE_MAX; r++)
		if (strcmp(section, role_names[r]) == 0) {
			defs = role_keys;
			base = &cfg->proc[r];
		}
	if (defs == NULL) {
		snprintf(lc->err, lc->err_len, "%s: unknown section [%s]", lc->path, section);
		return -EINVAL;
	}

	n = rte_cfgfile_section_num_entries(f, section);
	if (n <= 0)
		return 0;
	struct rte_cfgfile_entry *e = calloc((size_t)n, sizeof(*e));

	if (e == NULL)
		return -ENOMEM;
	n = rte_cfgfile_section_entries(f, section, e, n);
	ret = 0;
	for (int i = 0; i < n && ret == 0; i++) {
		const struct key_def *d = find_key(defs, e[i].name);

		if (d != NULL)
			ret = apply_key(lc, base, section, d, e[i].value);
		else if (defs == eal_keys)
			ret = load_eal_list(lc, cfg, e[i].name, e[i].value);
		else if (defs == world_keys &&
			 indexed_key(e[i].name, "spawn", GS_MAX_SPAWNS) >= 0) {
			int k = indexed_key(e[i].name, "spawn", GS_MAX_SPAWNS);

			cfg->spawns_given = true;
			if (e[i].value[0] == '\0') { /* "spawnN =" removes it */
				memset(cfg->world.spawns[k], 0, sizeof(cfg->world.spawns[k]));
				cfg->spawn_mask &= ~(1u << k);
				continue;
			}
			if (parse_floats(e[i].value, cfg->world.spawns[k], 3) < 0)
				ret = bad(lc, section, e[i].name, e[i].value,
					"expected x,y,z (three numbers)");
			cfg->spawn_mask |= 1u << k;
		} else if (base == &cfg->proc[GS_ROLE_PRIMARY] &&
			   (d = find_key(primary_keys, e[i].name)) != NULL)
			ret = apply_key(lc, cfg, section, d, e[i].value);
		else if (base == &cfg->proc[GS_ROLE_STATS] &&
			 (d = find_key(stats_keys, e[i].name)) != NULL)
			ret = apply_key(lc, cfg, section, d, e[i].value);
		else
			ret = bad(lc, section, e[i].name, e[i].value, "unknown key");
	}
	free(e);
	return ret;
}

static int
apply_override(struct load_ctx *lc, struct rte_cfgfile *f, const char *ov)
{
	char sec[CFG_NAME_LEN], key[CFG_NAME_LEN];
	const char *eq = strchr(ov, '='), *dot = NULL;

	/* the last dot before '=': keys have none, sections may ([skill.1]) */
	for (const char *c = ov; eq != NULL && c < eq; c++)
		if (*c == '.')
			dot = c;
	if (dot == NULL || eq == NULL || dot > eq || dot == ov || eq == dot + 1 ||
		(size_t)(dot - ov) >= sizeof(sec) || (size_t)(eq - dot - 1) >= sizeof(key)) {
		snprintf(lc->err, lc->err_len, "-o %s: expected section.key=value", ov);
		return -EINVAL;
	}
	snprintf(sec, sizeof(sec), "%.*s", (int)(dot - ov), ov);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - dot - 1), dot + 1);
	if (strlen(eq + 1) >= CFG_VALUE_LEN) {
		snprintf(lc->err, lc->err_len, "-o %s: value too long", ov);
		return -EINVAL;
	}
	if (!rte_cfgfile_has_section(f, sec) && rte_cfgfile_add_section(f, sec) < 0)
		return -ENOMEM;
	if (rte_cfgfile_has_entry(f, sec, key))
		return rte_cfgfile_set_entry(f, sec, key, eq + 1) < 0 ? -ENOMEM : 0;
	return rte_cfgfile_add_entry(f, sec, key, eq + 1) < 0 ? -ENOMEM : 0;
}

static const char *const axis[3] = { "x", "y", "z" };

/* The world's rules: bounds, spawn points, skills. */
static int
validate_world(struct load_ctx *lc, struct gs_cfg *cfg)
{
	struct gs_world_rules *w = &cfg->world;
	char v[64], k[16];

	for (int i = 0; i < 3; i++)
		if (!(w->min[i] < w->max[i])) {
			/* blame the bound the operator set (max_ when both or neither) */
			snprintf(k, sizeof(k), "max_%s", axis[i]);
			if (!key_given(lc, "world", k)) {
				snprintf(k, sizeof(k), "min_%s", axis[i]);
				if (key_given(lc, "world", k)) {
					snprintf(v, sizeof(v), "%g", (double)w->min[i]);
					return bad(lc, "world", k, v,
						"must be less than max_%s (%g)", axis[i],
						(double)w->max[i]);
				}
				snprintf(k, sizeof(k), "max_%s", axis[i]);
			}
			snprintf(v, sizeof(v), "%g", (double)w->max[i]);
			return bad(lc, "world", k, v, "must be greater than min_%s (%g)", axis[i],
				(double)w->min[i]);
		}
	if (!(w->max_speed > 0.0f)) {
		snprintf(v, sizeof(v), "%g", (double)w->max_speed);
		return bad(lc, "world", "max_speed", v, "must be greater than 0");
	}
	if (cfg->max_entities < cfg->max_sessions) {
		snprintf(v, sizeof(v), "%u", cfg->max_entities);
		return bad(lc, "world", "max_entities", v,
			"must be at least [sessions] max (%u): every session owns an entity",
			cfg->max_sessions);
	}
	if (cfg->spawns_given && cfg->spawn_mask == 0)
		return bad(lc, "world", "spawn0", "", "the world needs at least one spawn point");
	if (cfg->spawn_mask != 0) {
		/* the file's spawn points replace the built-in ones: spawn0 .. spawnN-1
		 * (an empty "spawnN =" removes one) */
		unsigned int n = 32u - (unsigned int)__builtin_clz(cfg->spawn_mask);

		if (cfg->spawn_mask != (1u << n) - 1u) {
			snprintf(k, sizeof(k), "spawn%u", n - 1);
			return bad(lc, "world", k, "",
				"spawn points are numbered from spawn0 without gaps");
		}
		w->n_spawns = n;
	}
	for (unsigned int s = 0; s < w->n_spawns; s++)
		for (int i = 0; i < 3; i++)
			if (!(w->spawns[s][i] >= w->min[i] && w->spawns[s][i] <= w->max[i])) {
				snprintf(k, sizeof(k), "spawn%u", s);
				snprintf(v, sizeof(v), "%g,%g,%g", (double)w->spawns[s][0],
					(double)w->spawns[s][1], (double)w->spawns[s][2]);
				return bad(lc, "world", k, v, "outside the world's bounds on %s",
					axis[i]);
			}
	if (cfg->skill_mask != 0) {
		unsigned int n = 32u - (unsigned int)__builtin_clz(cfg->skill_mask);

		if (n > w->n_skills)
			w->n_skills = n;
	}
	for (unsigned int s = 0; s < w->n_skills; s++) {
		char sec[32];

		snprintf(sec, sizeof(sec), "skill.%u", s + 1);
		if (!(w->skills[s].range > 0.0f)) {
			snprintf(v, sizeof(v), "%g", (double)w->skills[s].range);
			return bad(lc, sec, "range", v, "every skill needs a range greater than 0");
		}
		if (w->skills[s].damage <= 0)
			return bad(
				lc, sec, "damage", "0", "every skill needs damage greater than 0");
	}
	return 0;
}

/*
 * A handler's heartbeat is GS_HEARTBEAT_MS apart, plus the longest sleep of
 * its idle backoff: the primary must wait twice that before it calls the
 * handler down, or an idle handler flaps. Every handler role counts, polling
 * ones too: a handler's own -o may turn its backoff on.
 */
static int
validate_handler_timeout(struct load_ctx *lc, const struct gs_cfg *cfg)
{
	enum gs_role worst = GS_ROLE_SESSION;
	unsigned int sleep_ms, need;
	char v[16];

	for (unsigned int r = 0; r < GS_ROLE_MAX; r++)
		if (gs_role_is_handler((enum gs_role)r) &&
			cfg->proc[r].idle_max_us > cfg->proc[worst].idle_max_us)
			worst = (enum gs_role)r;
	sleep_ms = (cfg->proc[worst].idle_max_us + 999) / 1000;
	need = 2 * (GS_HEARTBEAT_MS + sleep_ms);
	if (need < GS_HANDLER_TIMEOUT_MIN_MS)
		need = GS_HANDLER_TIMEOUT_MIN_MS;
	if (cfg->handler_timeout_ms >= need)
		return 0;
	snprintf(v, sizeof(v), "%u", cfg->handler_timeout_ms);
	return bad(lc, "primary", "handler_timeout_ms", v,
		"must be at least %u: 2 x (a handler's %d ms heartbeat + its longest idle sleep, [%s] idle_max_us = %u, %u ms)",
		need, GS_HEARTBEAT_MS, gs_role_name(worst), cfg->proc[worst].idle_max_us, sleep_ms);
}

/* A client heartbeats 3 times per idle timeout: two lost ones do not end its session. */
static int
validate_heartbeat(struct load_ctx *lc, const struct gs_cfg *cfg)
{
	char v[16];

	if ((unsigned long)cfg->heartbeat_interval_ms * 3 <= cfg->idle_timeout_ms)
		return 0;
	/* blame the key the operator set (heartbeat_interval_ms when both or neither) */
	if (!key_given(lc, "sessions", "heartbeat_interval_ms") &&
		key_given(lc, "sessions", "idle_timeout_ms")) {
		snprintf(v, sizeof(v), "%u", cfg->idle_timeout_ms);
		return bad(lc, "sessions", "idle_timeout_ms", v,
			"must be at least %lu: 3 x heartbeat_interval_ms (%u), so that two lost heartbeats do not end a session",
			(unsigned long)cfg->heartbeat_interval_ms * 3, cfg->heartbeat_interval_ms);
	}
	snprintf(v, sizeof(v), "%u", cfg->heartbeat_interval_ms);
	return bad(lc, "sessions", "heartbeat_interval_ms", v,
		"must be at most %u: idle_timeout_ms (%u) / 3, so that two lost heartbeats do not end a session",
		cfg->idle_timeout_ms / 3, cfg->idle_timeout_ms);
}

/*
 * The pool must outlast what can sit outside it at once (primary/port.c,
 * dataplane.c, exception.c): every port has up to one RX queue per primary
 * lcore (RSS) and one TX queue per lcore, each full of mbufs; with the
 * exception path, a tap per port with a queue pair per lcore; each lcore's
 * mempool cache (up to 1.5 times mbuf_cache before it flushes); and per
 * lcore an RX burst, a reply burst and a TX buffer per port in flight.
 */
static int
validate_mbufs(struct load_ctx *lc, const struct gs_cfg *cfg)
{
	unsigned long lcores = cfg->proc[GS_ROLE_PRIMARY].lcore_count;
	unsigned long ports = cfg->n_vdevs + cfg->n_allow;
	unsigned long queues = ports * lcores * (cfg->rx_desc + cfg->tx_desc);
	unsigned long taps = cfg->exception_iface[0] != '\0' ? ports * lcores * 2 * GS_EXC_DESC : 0;
	unsigned long caches = lcores * (cfg->mbuf_cache * 3ul / 2);
	unsigned long flight =
		lcores * (cfg->burst + GS_PRIMARY_MAX_BURST + ports * GS_PRIMARY_TX_BUF);
	unsigned long need = queues + taps + caches + flight;
	char v[16], tap[48] = "";

	if (cfg->mbufs >= need)
		return 0;
	if (taps != 0)
		snprintf(tap, sizeof(tap), " + exception taps %lu", taps);
	snprintf(v, sizeof(v), "%u", cfg->mbufs);
	return bad(lc, "primary", "mbufs", v,
		"must be at least %lu: %lu port(s) x %lu lcore(s) x (rx_desc %u + tx_desc %u)%s + caches %lu (1.5 x mbuf_cache %u per lcore) + bursts in flight %lu",
		need, ports, lcores, cfg->rx_desc, cfg->tx_desc, tap, caches, cfg->mbuf_cache,
		flight);
}

/*
 * A used token is remembered until it expires, at most max_token_lifetime_s
 * (and the clock skew) from its use: used_tokens / max_token_lifetime_s
 * connects a second can go on for ever, more only for a while (then every
 * CONNECT is refused as tokens_full until tokens expire). Less than one a
 * second is a mistake: size used_tokens as connects/s x max_token_lifetime_s.
 */
#define USED_TOKENS_RULE \
	"a used token is remembered until it expires, so used_tokens / max_token_lifetime_s connects a second can last (size used_tokens as connects/s x max_token_lifetime_s)"

static int
validate_used_tokens(struct load_ctx *lc, const struct gs_cfg *cfg)
{
	char v[16];

	if (cfg->auth_mode != GS_AUTH_TOKEN || cfg->used_tokens >= cfg->max_token_lifetime_s)
		return 0;
	/* blame the key the operator set (used_tokens when both or neither) */
	if (!key_given(lc, "auth", "used_tokens") &&
		key_given(lc, "auth", "max_token_lifetime_s")) {
		snprintf(v, sizeof(v), "%u", cfg->max_token_lifetime_s);
		return bad(lc, "auth", "max_token_lifetime_s", v,
			"must be at most used_tokens (%u): " USED_TOKENS_RULE, cfg->used_tokens);
	}
	snprintf(v, sizeof(v), "%u", cfg->used_tokens);
	return bad(lc, "auth", "used_tokens", v,
		"must be at least max_token_lifetime_s (%u): " USED_TOKENS_RULE,
		cfg->max_token_lifetime_s);
}

/* Cross-key checks: lcore ranges, instance counts, timers, the pool, the world. */
static int
validate(struct load_ctx *lc, struct gs_cfg *cfg)
{
	int ret;

	cfg->n_vdevs = 0;
	for (unsigned int i = 0; i < GS_CFG_MAX_VDEVS; i++)
		if (cfg->vdevs[i][0] != '\0')
			cfg->n_vdevs++;
	cfg->n_allow = 0;
	for (unsigned int i = 0; i < GS_CFG_MAX_ALLOW; i++)
		if (cfg->allow[i][0] != '\0')
			cfg->n_allow++;
	if (cfg->file_prefix[0] == '\0')
		return bad(lc, "eal", "file_prefix", "", "must not be empty");
	for (const char *p = cfg->file_prefix; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return bad(lc, "eal", "file_prefix", cfg->file_prefix,
				"only letters, digits, '_' and '-'");
	/* it becomes a devargs value (iface=NAME,mac=...) and a kernel interface name */
	for (const char *p = cfg->exception_iface; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return bad(lc, "net", "exception_iface", cfg->exception_iface,
				"only letters, digits, '_', '-' and '.' (a kernel interface name)");
	if (cfg->proc[GS_ROLE_PRIMARY].lcore_count > GS_MAX_PRIMARY_LCORES) {
		char v[16];

		snprintf(v, sizeof(v), "%u", cfg->proc[GS_ROLE_PRIMARY].lcore_count);
		return bad(lc, "primary", "lcore_count", v, "at most %d", GS_MAX_PRIMARY_LCORES);
	}
	for (unsigned int r = 0; r < GS_ROLE_MAX; r++) {
		const struct gs_cfg_proc *p = &cfg->proc[r];
		char v[16];

		snprintf(v, sizeof(v), "%u", p->lcore_count);
		if (p->lcore_first + p->lcore_count > RTE_MAX_LCORE)
			return bad(lc, role_names[r], "lcore_count", v, "lcore ids beyond %d",
				RTE_MAX_LCORE - 1);
		if (p->instances > p->lcore_count) {
			snprintf(v, sizeof(v), "%u", p->instances);
			return bad(lc, role_names[r], "instances", v,
				"more instances than lcore ids (lcore_count = %u)", p->lcore_count);
		}
		for (unsigned int o = 0; o < r; o++) {
			const struct gs_cfg_proc *q = &cfg->proc[o];

			if (p->lcore_first < q->lcore_first + q->lcore_count &&
				q->lcore_first < p->lcore_first + p->lcore_count) {
				snprintf(v, sizeof(v), "%u", p->lcore_first);
				return bad(lc, role_names[r], "lcore_first", v,
					"lcore ids %u-%u overlap those of [%s] (%u-%u): every process needs its own lcore ids",
					p->lcore_first, p->lcore_first + p->lcore_count - 1,
					role_names[o], q->lcore_first,
					q->lcore_first + q->lcore_count - 1);
			}
		}
	}
	ret = validate_handler_timeout(lc, cfg);
	if (ret < 0)
		return ret;
	ret = validate_heartbeat(lc, cfg);
	if (ret < 0)
		return ret;
	ret = validate_mbufs(lc, cfg);
	if (ret < 0)
		return ret;
	if (cfg->auth_mode == GS_AUTH_TOKEN && cfg->key_file[0] == '\0')
		return bad(lc, "auth", "key_file", "",
			"required with mode = token (`gs-token keygen FILE` writes one)");
	ret = validate_used_tokens(lc, cfg);
	if (ret < 0)
		return ret;
	ret = validate_world(lc, cfg);
	return ret;
}

int
gs_cfg_load(struct gs_cfg *cfg, const char *path, char *const *overrides, unsigned int n_over,
	char *err, size_t err_len)
{
	struct load_ctx lc = {
		.path = path,
		.err = err,
		.err_len = err_len,
		.overrides = overrides,
		.n_over = n_over,
	};
	struct rte_cfgfile *f;
	char **sections = NULL;
	int n, ret = 0;

	gs_cfg_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	f = rte_cfgfile_load(path, CFG_FLAG_EMPTY_VALUES);
	if (f == NULL) {
		FILE *probe = fopen(path, "r");

		if (probe == NULL) {
			snprintf(err, err_len, "%s: %s", path, strerror(errno));
			return -ENOENT;
		}
		fclose(probe);
		snprintf(err, err_len,
			"%s: syntax error (see the CFGFILE message above for the line)", path);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n_over; i++) {
		ret = apply_override(&lc, f, overrides[i]);
		if (ret < 0)
			goto out;
	}

	n = rte_cfgfile_num_sections(f, NULL, 0);
	if (n > 0) {
		sections = calloc((size_t)n, sizeof(*sections));
		if (sections == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		for (int i = 0; i < n; i++) {
			sections[i] = malloc(CFG_NAME_LEN);
			if (sections[i] == NULL) {
				ret = -ENOMEM;
				goto out;
			}
		}
		n = rte_cfgfile_sections(f, sections, n);
		for (int i = 0; i < n && ret == 0; i++)
			ret = load_section(&lc, f, cfg, sections[i]);
		if (ret < 0)
			goto out;
	}
	ret = validate(&lc, cfg);
out:
	if (sections != NULL) {
		for (int i = 0; i < rte_cfgfile_num_sections(f, NULL, 0); i++)
			free(sections[i]);
		free(sections);
	}
	rte_cfgfile_close(f);
	return ret;
}

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
gs_cfg_eal_args(const struct gs_cfg *cfg, enum gs_role role, unsigned int instance,
	const char *argv0, char **argv, int max_args, char *buf, size_t buf_len)
{
	struct argbuf a = { .argv = argv, .max = max_args, .buf = buf, .len = buf_len };
	const struct gs_cfg_proc *p = &cfg->proc[role];
	char lcores[GS_CFG_MAX_LCORES * (sizeof("127@(),") + sizeof(p->cpus))];
	size_t off = 0;
	int ret = 0, n;

	if ((unsigned int)role >= GS_ROLE_MAX)
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
