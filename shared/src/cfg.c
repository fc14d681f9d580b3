/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <net/if.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
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

#include "cfg_internal.h"

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
	KT_TYPES, /* "16-31, 40": a class's message types */
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
	CFG_S("start_after", start_after_names), /* class names: resolved by validate_classes */
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

/* Keys of a [class.NAME] section besides the role keys (offsets in struct gs_cfg_class). */
static const struct key_def class_keys[] = {
	{ "types", KT_TYPES, offsetof(struct gs_cfg_class, types), 0, 0, 0 },
	{ NULL, 0, 0, 0, 0, 0 },
};

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

/* Line of "[section]" in the file, 0 if not found (e.g. made by an -o override). */
static unsigned int
find_section_line(const char *path, const char *section)
{
	char line[1024], want[CFG_NAME_LEN + 2];
	unsigned int lineno = 0, found = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	snprintf(want, sizeof(want), "[%s]", section);
	while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
		const char *p = line;

		lineno++;
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, want, strlen(want)) == 0)
			found = lineno;
	}
	fclose(f);
	return found;
}

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
bool
cfg_key_given(const struct load_ctx *lc, const char *section, const char *key)
{
	return is_override(lc, section, key) || find_line(lc->path, section, key) > 0;
}

int __rte_format_printf(5, 6) cfg_bad(struct load_ctx *lc, const char *section, const char *key,
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
			return cfg_bad(lc, section, d->key, value, "not an unsigned integer");
		if (u < d->min || u > d->max)
			return cfg_bad(lc, section, d->key, value, "out of range %lu..%lu", d->min,
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
			return cfg_bad(lc, section, d->key, value, "expected yes or no");
		return 0;
	case KT_STR:
		if (strlen(value) >= d->size)
			return cfg_bad(lc, section, d->key, value, "longer than %zu characters",
				d->size - 1);
		snprintf(field, d->size, "%s", value);
		return 0;
	case KT_CPUS:
		if (parse_cpus(value) < 0)
			return cfg_bad(lc, section, d->key, value,
				"expected a CPU list such as 1, 0-3 or 0,2");
		if (strlen(value) >= d->size)
			return cfg_bad(lc, section, d->key, value, "too long");
		snprintf(field, d->size, "%s", value);
		return 0;
	case KT_IPV4: {
		struct in_addr a;

		if (inet_pton(AF_INET, value, &a) != 1 || a.s_addr == 0)
			return cfg_bad(lc, section, d->key, value, "not an IPv4 address");
		*(uint32_t *)field = a.s_addr;
		return 0;
	}
	case KT_FLOAT: {
		float f;

		if (parse_floats(value, &f, 1) < 0)
			return cfg_bad(lc, section, d->key, value, "not a finite number");
		*(float *)field = f;
		return 0;
	}
	case KT_U64:
		if (parse_uint(value, &u) < 0)
			return cfg_bad(lc, section, d->key, value, "not an unsigned integer");
		*(uint64_t *)field = (uint64_t)u;
		return 0;
	case KT_AUTH:
		if (strcmp(value, "token") == 0)
			*(enum gs_auth_mode *)field = GS_AUTH_TOKEN;
		else if (strcmp(value, "open") == 0)
			*(enum gs_auth_mode *)field = GS_AUTH_OPEN;
		else
			return cfg_bad(lc, section, d->key, value, "expected token or open");
		return 0;
	case KT_POINT:
		if (parse_floats(value, field, 3) < 0)
			return cfg_bad(
				lc, section, d->key, value, "expected x,y,z (three numbers)");
		return 0;
	case KT_IDLE:
		if (strcmp(value, "poll") == 0)
			*(enum gs_idle *)field = GS_IDLE_POLL;
		else if (strcmp(value, "backoff") == 0)
			*(enum gs_idle *)field = GS_IDLE_BACKOFF;
		else if (strcmp(value, "wake") == 0)
			*(enum gs_idle *)field = GS_IDLE_WAKE;
		else
			return cfg_bad(
				lc, section, d->key, value, "expected wake, poll or backoff");
		return 0;
	case KT_FLOW_RULES:
		if (strcmp(value, "auto") == 0)
			*(enum gs_flow_rules *)field = GS_FLOW_RULES_AUTO;
		else if (strcmp(value, "off") == 0)
			*(enum gs_flow_rules *)field = GS_FLOW_RULES_OFF;
		else
			return cfg_bad(lc, section, d->key, value, "expected auto or off");
		return 0;
	case KT_TYPES:
		if (gs_type_set_parse(value, field) < 0)
			return cfg_bad(lc, section, d->key, value,
				"expected message types 0-255 and ranges, such as 64-79, 90");
		return 0;
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
			return cfg_bad(lc, "eal", key, value, "too long");
		snprintf(cfg->vdevs[i], GS_CFG_STR, "%s", value);
		return 0;
	}
	if ((i = indexed_key(key, "pci", GS_CFG_MAX_ALLOW)) >= 0) {
		if (strlen(value) >= sizeof(cfg->allow[0]))
			return cfg_bad(lc, "eal", key, value, "too long");
		snprintf(cfg->allow[i], sizeof(cfg->allow[0]), "%s", value);
		return 0;
	}
	return cfg_bad(lc, "eal", key, value, "unknown key");
}

/*
 * The row of [class.NAME]: its own if an earlier section made it, else a new
 * one (session's is always id 1). NULL when the name is bad or the layout
 * has no room (the error names the section).
 */
static struct gs_cfg_class *
class_row(struct load_ctx *lc, struct gs_cfg *cfg, const char *section)
{
	const char *name = section + 6;
	unsigned int c = gs_cfg_class_find(cfg, name);

	if (c != GS_CLASS_NONE)
		return &cfg->classes[c];
	if (!gs_class_name_valid(name)) {
		snprintf(lc->err, lc->err_len,
			"%s: line %u: section [%s]: a class name is 1-%d characters of a-z, 0-9 and '_', starting with a letter",
			lc->path, find_section_line(lc->path, section), section,
			GS_CLASS_NAME_LEN - 1);
		return NULL;
	}
	if (strcmp(name, "session") == 0)
		c = GS_CLASS_SESSION;
	else if (cfg->n_classes + 1 < GS_MAX_CLASSES)
		c = ++cfg->n_classes;
	else {
		snprintf(lc->err, lc->err_len,
			"%s: line %u: section [%s]: at most %d classes (session and %d others)",
			lc->path, find_section_line(lc->path, section), section, GS_MAX_CLASSES - 1,
			GS_MAX_CLASSES - 2);
		return NULL;
	}
	cfg_class_defaults(&cfg->classes[c], name);
	return &cfg->classes[c];
}

/* Keep a [class.NAME] key the loader does not know: the handler's own setting. */
static int
class_param(struct load_ctx *lc, struct gs_cfg_class *cls, const char *section, const char *key,
	const char *value)
{
	unsigned int k;

	if (cfg_class_is_builtin(cls->name)) /* they have no own keys */
		return cfg_bad(lc, section, key, value, "unknown key");
	for (k = 0; k < cls->n_params; k++)
		if (strcmp(cls->param_key[k], key) == 0)
			break;
	if (strlen(key) >= GS_CFG_CLASS_PARAM_KEY ||
		strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(key))
		return cfg_bad(lc, section, key, value,
			"unknown key (a handler's own key is at most %d characters of a-z, 0-9 and '_')",
			GS_CFG_CLASS_PARAM_KEY - 1);
	if (strlen(value) >= GS_CFG_CLASS_PARAM_VALUE)
		return cfg_bad(lc, section, key, value, "longer than %d characters",
			GS_CFG_CLASS_PARAM_VALUE - 1);
	if (k == GS_CFG_CLASS_PARAMS)
		return cfg_bad(lc, section, key, value, "a class has room for %d own keys",
			GS_CFG_CLASS_PARAMS);
	if (k == cls->n_params)
		cls->n_params++;
	snprintf(cls->param_key[k], sizeof(cls->param_key[k]), "%s", key);
	snprintf(cls->param_value[k], sizeof(cls->param_value[k]), "%s", value);
	cls->param_line[k] = is_override(lc, section, key) ? 0 : find_line(lc->path, section, key);
	return 0;
}

/* Where own key @p p of @p k was set: "line N" or "command line (-o)". */
static void
param_where(const struct gs_cfg_class *k, unsigned int p, char *buf, size_t len)
{
	if (k->param_line[p] > 0)
		snprintf(buf, len, "line %u", k->param_line[p]);
	else
		snprintf(buf, len, "command line (-o)");
}

int
gs_cfg_class_params_check(const struct gs_cfg *cfg, unsigned int cls, const char *const *known,
	char *err, size_t err_len)
{
	const struct gs_cfg_class *k = &cfg->classes[cls];
	char section[CFG_NAME_LEN], where[32], list[256];
	size_t off = 0;

	list[0] = '\0';
	for (const char *const *n = known; *n != NULL; n++)
		off += (size_t)snprintf(list + off, off < sizeof(list) ? sizeof(list) - off : 0,
			"%s%s", n == known ? "" : ", ", *n);
	snprintf(section, sizeof(section), "class.%s", k->name);
	for (unsigned int p = 0; p < k->n_params; p++) {
		const char *const *n = known;

		while (*n != NULL && strcmp(*n, k->param_key[p]) != 0)
			n++;
		if (*n != NULL)
			continue;
		param_where(k, p, where, sizeof(where));
		snprintf(err, err_len,
			"%s: %s: [%s] %s = \"%s\": unknown key (the %s handler knows: %s)",
			cfg->path, where, section, k->param_key[p], k->param_value[p], k->name,
			list[0] != '\0' ? list : "none");
		return -EINVAL;
	}
	return 0;
}

int
gs_cfg_class_param_u64(const struct gs_cfg *cfg, unsigned int cls, const char *key, uint64_t min,
	uint64_t max, uint64_t def, uint64_t *out, char *err, size_t err_len)
{
	const struct gs_cfg_class *k = &cfg->classes[cls];
	char section[CFG_NAME_LEN], where[32];

	for (unsigned int p = 0; p < k->n_params; p++) {
		if (strcmp(k->param_key[p], key) != 0)
			continue;
		if (gs_parse_u64(k->param_value[p], 10, min, max, out) == 0)
			return 0;
		snprintf(section, sizeof(section), "class.%s", k->name);
		param_where(k, p, where, sizeof(where));
		snprintf(err, err_len,
			"%s: %s: [%s] %s = \"%s\": expected an unsigned integer in %" PRIu64
			"..%" PRIu64,
			cfg->path, where, section, key, k->param_value[p], min, max);
		return -EINVAL;
	}
	*out = def;
	return 0;
}

static int
load_section(struct load_ctx *lc, struct rte_cfgfile *f, struct gs_cfg *cfg, const char *section)
{
	const struct key_def *defs = NULL;
	struct gs_cfg_class *cls = NULL;
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
	} else if (strncmp(section, "class.", 6) == 0) {
		cls = class_row(lc, cfg, section);
		if (cls == NULL)
			return -EINVAL;
		defs = role_keys;
		base = &cls->proc;
	}
	for (unsigned int r = 0; defs == NULL && r < GS_ROLE_HANDLER; r++)
		if (strcmp(section, gs_role_name((enum gs_role)r)) == 0) {
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
		else if (cls != NULL && (d = find_key(class_keys, e[i].name)) != NULL)
			ret = apply_key(lc, cls, section, d, e[i].value);
		else if (cls != NULL)
			ret = class_param(lc, cls, section, e[i].name, e[i].value);
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
				ret = cfg_bad(lc, section, e[i].name, e[i].value,
					"expected x,y,z (three numbers)");
			cfg->spawn_mask |= 1u << k;
		} else if (base == &cfg->proc[GS_ROLE_PRIMARY] &&
			   (d = find_key(primary_keys, e[i].name)) != NULL)
			ret = apply_key(lc, cfg, section, d, e[i].value);
		else if (base == &cfg->proc[GS_ROLE_STATS] &&
			 (d = find_key(stats_keys, e[i].name)) != NULL)
			ret = apply_key(lc, cfg, section, d, e[i].value);
		else
			ret = cfg_bad(lc, section, e[i].name, e[i].value, "unknown key");
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
	/* a file that names classes runs those only (session's row stays id 1) */
	if (rte_cfgfile_num_sections(f, "class.", 6) > 0) {
		memset(cfg->classes, 0, sizeof(cfg->classes));
		cfg->n_classes = GS_CLASS_SESSION;
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
	ret = cfg_validate(&lc, cfg);
out:
	if (sections != NULL) {
		for (int i = 0; i < rte_cfgfile_num_sections(f, NULL, 0); i++)
			free(sections[i]);
		free(sections);
	}
	rte_cfgfile_close(f);
	return ret;
}
