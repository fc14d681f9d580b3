/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config's cross-key checks (gs_cfg_load runs them after every key
 * parsed): lcore ranges, classes, timers, the pool, tokens, the world.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cfgfile.h>
#include <rte_config.h>

#include "gs_shm_types.h"

#include "cfg_internal.h"

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
			if (!cfg_key_given(lc, "world", k)) {
				snprintf(k, sizeof(k), "min_%s", axis[i]);
				if (cfg_key_given(lc, "world", k)) {
					snprintf(v, sizeof(v), "%g", (double)w->min[i]);
					return cfg_bad(lc, "world", k, v,
						"must be less than max_%s (%g)", axis[i],
						(double)w->max[i]);
				}
				snprintf(k, sizeof(k), "max_%s", axis[i]);
			}
			snprintf(v, sizeof(v), "%g", (double)w->max[i]);
			return cfg_bad(lc, "world", k, v, "must be greater than min_%s (%g)",
				axis[i], (double)w->min[i]);
		}
	if (!(w->max_speed > 0.0f)) {
		snprintf(v, sizeof(v), "%g", (double)w->max_speed);
		return cfg_bad(lc, "world", "max_speed", v, "must be greater than 0");
	}
	if (cfg->max_entities < cfg->max_sessions) {
		snprintf(v, sizeof(v), "%u", cfg->max_entities);
		return cfg_bad(lc, "world", "max_entities", v,
			"must be at least [sessions] max (%u): every session owns an entity",
			cfg->max_sessions);
	}
	if (cfg->spawns_given && cfg->spawn_mask == 0)
		return cfg_bad(
			lc, "world", "spawn0", "", "the world needs at least one spawn point");
	if (cfg->spawn_mask != 0) {
		/* the file's spawn points replace the built-in ones: spawn0 .. spawnN-1
		 * (an empty "spawnN =" removes one) */
		unsigned int n = 32u - (unsigned int)__builtin_clz(cfg->spawn_mask);

		if (cfg->spawn_mask != (1u << n) - 1u) {
			snprintf(k, sizeof(k), "spawn%u", n - 1);
			return cfg_bad(lc, "world", k, "",
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
				return cfg_bad(lc, "world", k, v,
					"outside the world's bounds on %s", axis[i]);
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
			return cfg_bad(
				lc, sec, "range", v, "every skill needs a range greater than 0");
		}
		if (w->skills[s].damage <= 0)
			return cfg_bad(
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
	unsigned int worst = GS_CLASS_SESSION, sleep_ms, need;
	char v[16];

	for (unsigned int c = 1; c <= cfg->n_classes; c++)
		if (cfg->classes[c].proc.idle_max_us > cfg->classes[worst].proc.idle_max_us)
			worst = c;
	sleep_ms = (cfg->classes[worst].proc.idle_max_us + 999) / 1000;
	need = 2 * (GS_HEARTBEAT_MS + sleep_ms);
	if (need < GS_HANDLER_TIMEOUT_MIN_MS)
		need = GS_HANDLER_TIMEOUT_MIN_MS;
	if (cfg->handler_timeout_ms >= need)
		return 0;
	snprintf(v, sizeof(v), "%u", cfg->handler_timeout_ms);
	return cfg_bad(lc, "primary", "handler_timeout_ms", v,
		"must be at least %u: 2 x (a handler's %d ms heartbeat + its longest idle sleep, [class.%s] idle_max_us = %u, %u ms)",
		need, GS_HEARTBEAT_MS, cfg->classes[worst].name,
		cfg->classes[worst].proc.idle_max_us, sleep_ms);
}

/* A client heartbeats 3 times per idle timeout: two lost ones do not end its session. */
static int
validate_heartbeat(struct load_ctx *lc, const struct gs_cfg *cfg)
{
	char v[16];

	if ((unsigned long)cfg->heartbeat_interval_ms * 3 <= cfg->idle_timeout_ms)
		return 0;
	/* blame the key the operator set (heartbeat_interval_ms when both or neither) */
	if (!cfg_key_given(lc, "sessions", "heartbeat_interval_ms") &&
		cfg_key_given(lc, "sessions", "idle_timeout_ms")) {
		snprintf(v, sizeof(v), "%u", cfg->idle_timeout_ms);
		return cfg_bad(lc, "sessions", "idle_timeout_ms", v,
			"must be at least %lu: 3 x heartbeat_interval_ms (%u), so that two lost heartbeats do not end a session",
			(unsigned long)cfg->heartbeat_interval_ms * 3, cfg->heartbeat_interval_ms);
	}
	snprintf(v, sizeof(v), "%u", cfg->heartbeat_interval_ms);
	return cfg_bad(lc, "sessions", "heartbeat_interval_ms", v,
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
	return cfg_bad(lc, "primary", "mbufs", v,
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
	if (!cfg_key_given(lc, "auth", "used_tokens") &&
		cfg_key_given(lc, "auth", "max_token_lifetime_s")) {
		snprintf(v, sizeof(v), "%u", cfg->max_token_lifetime_s);
		return cfg_bad(lc, "auth", "max_token_lifetime_s", v,
			"must be at most used_tokens (%u): " USED_TOKENS_RULE, cfg->used_tokens);
	}
	snprintf(v, sizeof(v), "%u", cfg->used_tokens);
	return cfg_bad(lc, "auth", "used_tokens", v,
		"must be at least max_token_lifetime_s (%u): " USED_TOKENS_RULE,
		cfg->max_token_lifetime_s);
}

/* The section of process @p k: [primary], each [class.NAME], [stats], [ctl]; NULL past them. */
static const struct gs_cfg_proc *
proc_k(const struct gs_cfg *cfg, unsigned int k, char *section, size_t len)
{
	static const enum gs_role tail[] = { GS_ROLE_STATS, GS_ROLE_CTL };

	if (k == 0) {
		snprintf(section, len, "%s", gs_role_name(GS_ROLE_PRIMARY));
		return &cfg->proc[GS_ROLE_PRIMARY];
	}
	if (k <= cfg->n_classes) {
		snprintf(section, len, "class.%s", cfg->classes[k].name);
		return &cfg->classes[k].proc;
	}
	k -= cfg->n_classes + 1;
	if (k >= sizeof(tail) / sizeof(tail[0]))
		return NULL;
	snprintf(section, len, "%s", gs_role_name(tail[k]));
	return &cfg->proc[tail[k]];
}

/* Every process's lcore ids: within DPDK's range, its own, one per instance. */
static int
validate_lcores(struct load_ctx *lc, const struct gs_cfg *cfg)
{
	char sec[CFG_NAME_LEN], osec[CFG_NAME_LEN], v[16];
	const struct gs_cfg_proc *p, *q;

	for (unsigned int k = 0; (p = proc_k(cfg, k, sec, sizeof(sec))) != NULL; k++) {
		snprintf(v, sizeof(v), "%u", p->lcore_count);
		if (p->lcore_first + p->lcore_count > RTE_MAX_LCORE)
			return cfg_bad(lc, sec, "lcore_count", v, "lcore ids beyond %d",
				RTE_MAX_LCORE - 1);
		if (p->instances > p->lcore_count) {
			snprintf(v, sizeof(v), "%u", p->instances);
			return cfg_bad(lc, sec, "instances", v,
				"more instances than lcore ids (lcore_count = %u)", p->lcore_count);
		}
		for (unsigned int o = 0; o < k; o++) {
			q = proc_k(cfg, o, osec, sizeof(osec));
			if (p->lcore_first < q->lcore_first + q->lcore_count &&
				q->lcore_first < p->lcore_first + p->lcore_count) {
				snprintf(v, sizeof(v), "%u", p->lcore_first);
				return cfg_bad(lc, sec, "lcore_first", v,
					"lcore ids %u-%u overlap those of [%s] (%u-%u): every process needs its own lcore ids",
					p->lcore_first, p->lcore_first + p->lcore_count - 1, osec,
					q->lcore_first, q->lcore_first + q->lcore_count - 1);
			}
		}
	}
	return 0;
}

/*
 * The classes: session's types are the protocol's; every other class has
 * types of its own above the session protocol's range and its lcore ids;
 * no type goes to two classes. Then [primary] start_after by name.
 */
static int
validate_classes(struct load_ctx *lc, struct gs_cfg *cfg)
{
	struct gs_type_set session_types = { { 0 } };
	char sec[CFG_NAME_LEN], v[CFG_VALUE_LEN], *tok, *save = NULL;

	gs_type_set_parse(GS_BUILTIN_SESSION_TYPES, &session_types);
	if (cfg->classes[GS_CLASS_SESSION].name[0] == '\0') {
		snprintf(lc->err, lc->err_len,
			"%s: no [class.session] section: every group runs the session class (CONNECT, HEARTBEAT, DISCONNECT)",
			lc->path);
		return -EINVAL;
	}
	for (unsigned int c = 1; c <= cfg->n_classes; c++) {
		const struct gs_cfg_class *k = &cfg->classes[c];
		int t;

		snprintf(sec, sizeof(sec), "class.%s", k->name);
		gs_type_set_format(&k->types, v, sizeof(v));
		if (c == GS_CLASS_SESSION) {
			if (memcmp(&k->types, &session_types, sizeof(session_types)) != 0)
				return cfg_bad(lc, sec, "types", v,
					"session's types are the protocol's: " GS_BUILTIN_SESSION_TYPES);
			continue;
		}
		if (gs_type_set_empty(&k->types))
			return cfg_bad(lc, sec, "types", v,
				"required: the message types of the class, such as 64-79");
		for (t = 0; t < GS_CLASS_TYPE_BASE; t++)
			if (gs_type_set_has(&k->types, (unsigned int)t))
				return cfg_bad(lc, sec, "types", v,
					"type %d: types 0-%d are the session protocol's", t,
					GS_CLASS_TYPE_BASE - 1);
		if (k->proc.lcore_first == 0)
			return cfg_bad(lc, sec, "lcore_first", "",
				"required: the first of the class's lcore ids (one per instance, its own)");
		for (unsigned int o = 1; o < c; o++) {
			t = gs_type_set_overlap(&k->types, &cfg->classes[o].types);
			if (t >= 0)
				return cfg_bad(lc, sec, "types", v,
					"type %d is also [class.%s]'s: a type goes to one class", t,
					cfg->classes[o].name);
		}
	}
	cfg->start_after = 0;
	snprintf(v, sizeof(v), "%s", cfg->start_after_names);
	for (tok = strtok_r(v, " ,", &save); tok != NULL; tok = strtok_r(NULL, " ,", &save)) {
		unsigned int c = gs_cfg_class_find(cfg, tok);

		if (c == GS_CLASS_NONE)
			return cfg_bad(lc, "primary", "start_after", cfg->start_after_names,
				"no class '%s' in this config", tok);
		cfg->start_after |= 1u << c;
	}
	return 0;
}

/* Cross-key checks: lcore ranges, instance counts, timers, the pool, the world. */
int
cfg_validate(struct load_ctx *lc, struct gs_cfg *cfg)
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
		return cfg_bad(lc, "eal", "file_prefix", "", "must not be empty");
	for (const char *p = cfg->file_prefix; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return cfg_bad(lc, "eal", "file_prefix", cfg->file_prefix,
				"only letters, digits, '_' and '-'");
	/* it becomes a devargs value (iface=NAME,mac=...) and a kernel interface name */
	for (const char *p = cfg->exception_iface; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return cfg_bad(lc, "net", "exception_iface", cfg->exception_iface,
				"only letters, digits, '_', '-' and '.' (a kernel interface name)");
	if (cfg->proc[GS_ROLE_PRIMARY].lcore_count > GS_MAX_PRIMARY_LCORES) {
		char v[16];

		snprintf(v, sizeof(v), "%u", cfg->proc[GS_ROLE_PRIMARY].lcore_count);
		return cfg_bad(
			lc, "primary", "lcore_count", v, "at most %d", GS_MAX_PRIMARY_LCORES);
	}
	ret = validate_classes(lc, cfg);
	if (ret < 0)
		return ret;
	ret = validate_lcores(lc, cfg);
	if (ret < 0)
		return ret;
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
		return cfg_bad(lc, "auth", "key_file", "",
			"required with mode = token (`gs-token keygen FILE` writes one)");
	ret = validate_used_tokens(lc, cfg);
	if (ret < 0)
		return ret;
	ret = validate_world(lc, cfg);
	return ret;
}
