/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_CFG_H
#define GS_CFG_H

/*
 * The one configuration file of a gsnet group (deploy/gsnet.ini), read with
 * DPDK's rte_cfgfile. Every process of the group reads the same file and
 * derives its EAL arguments from it, so the processes cannot disagree on the
 * file prefix, memory flags or lcore ids. Usable before rte_eal_init().
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gs_class.h"
#include "gs_world.h"

#define GS_CFG_DEFAULT_PATH "deploy/gsnet.ini"
#define GS_CFG_MAX_VDEVS    8
#define GS_CFG_MAX_ALLOW    8
#define GS_CFG_STR	    256
#define GS_CFG_MAX_LCORES   8  /* lcore ids of one process */
#define GS_CFG_IFNAMSIZ	    16 /* IFNAMSIZ: a kernel interface name and its NUL */

/*
 * The mbufs a primary lcore holds besides its ports' descriptors
 * (primary/dataplane.c, primary/exception.c): the loader's lower bound of
 * [primary] mbufs counts them.
 */
#define GS_PRIMARY_MAX_BURST	  64 /* an RX burst ([primary] burst at most) or a reply burst */
#define GS_PRIMARY_TX_BUF	  64 /* frames buffered per port before each TX burst */
#define GS_EXC_DESC		  64 /* descriptors of each queue of a kernel exception tap */
/* Lowest [primary] handler_timeout_ms: a few heartbeats, whatever the idle sleeps. */
#define GS_HANDLER_TIMEOUT_MIN_MS 30

/*
 * Process roles: each has its own section and its own lcore-id range. A
 * handler's section is its class's, [class.NAME].
 */
enum gs_role {
	GS_ROLE_PRIMARY = 0,
	GS_ROLE_STATS,
	GS_ROLE_CTL, /* gs-ctl: operator commands, one at a time */
	GS_ROLE_HANDLER,
	GS_ROLE_MAX
};

/** How a loop waits when it found no work. */
enum gs_idle {
	GS_IDLE_POLL = 0, /* spin: dedicated cores in production */
	GS_IDLE_BACKOFF,  /* rte_pause, then bounded sleeps: small or shared hosts */
	GS_IDLE_WAKE,	  /* spin briefly, then sleep until woken by work (the default) */
};

/** Who may open a session ([auth] mode). */
enum gs_auth_mode {
	GS_AUTH_TOKEN = 0, /* connect tokens, challenge, per-packet tags: the default */
	GS_AUTH_OPEN,	   /* anyone may connect, no tags: closed test networks only */
};

/** [net] flow_rules: hardware steering of a port's traffic with rte_flow. */
enum gs_flow_rules {
	GS_FLOW_RULES_AUTO = 0, /* try; where the port cannot, steer in software (logged) */
	GS_FLOW_RULES_OFF,	/* never: RSS and software classification only */
};

struct gs_cfg_proc {
	unsigned int lcore_first; /* first lcore id of the range */
	unsigned int lcore_count; /* ids lcore_first .. lcore_first + count - 1 */
	char cpus[64];		  /* CPU set the ids run on: "1", "0-3", "0,2" */
	unsigned int instances;	  /* handler classes: instances started by default */
	enum gs_idle idle;
	unsigned int idle_max_us; /* backoff: longest sleep */
};

#define GS_CFG_CLASS_PARAMS	 16 /* a class's own keys (its handler's settings) */
#define GS_CFG_CLASS_PARAM_KEY	 32
#define GS_CFG_CLASS_PARAM_VALUE 64

/** A [class.NAME] section: a handler class the group runs. */
struct gs_cfg_class {
	char name[GS_CLASS_NAME_LEN];
	struct gs_type_set types; /* message types dispatched to it */
	struct gs_cfg_proc proc;  /* its instances' lcore ids, CPUs and idle policy */
	/* the section's other keys: the handler's own settings, which it checks */
	char param_key[GS_CFG_CLASS_PARAMS][GS_CFG_CLASS_PARAM_KEY];
	char param_value[GS_CFG_CLASS_PARAMS][GS_CFG_CLASS_PARAM_VALUE];
	unsigned int param_line[GS_CFG_CLASS_PARAMS]; /* 0: set by an -o override */
	unsigned int n_params;
};

struct gs_cfg {
	char path[PATH_MAX];

	/* [eal] */
	char file_prefix[64];
	char base_virtaddr[32];
	char huge_dir[PATH_MAX];
	unsigned int memory_mb;
	bool single_file_segments;
	char vdevs[GS_CFG_MAX_VDEVS][GS_CFG_STR];
	unsigned int n_vdevs;
	char allow[GS_CFG_MAX_ALLOW][64]; /* PCI allow list; empty: --no-pci */
	unsigned int n_allow;
	char log_level[GS_CFG_STR];

	/* [net] */
	uint32_t ip;	   /* network byte order */
	uint16_t udp_port; /* host byte order */
	uint16_t vlan;	   /* 0: untagged frames only */
	enum gs_flow_rules flow_rules;
	/* kernel exception path: the kernel interface created per game port
	 * (empty: none), the rate limit of each direction, and the percentage
	 * of it kept for the host's own lanes (ARP/ND/DHCP, its TCP, DNS, NTP) */
	char exception_iface[GS_CFG_IFNAMSIZ];
	unsigned int exception_pps;
	unsigned int exception_burst;
	unsigned int exception_host_pct;

	/* [primary] */
	unsigned int burst;
	unsigned int rx_desc;
	unsigned int tx_desc;
	unsigned int mbufs;
	unsigned int mbuf_cache;
	char start_after_names[GS_CFG_STR]; /* "session, move": as written */
	unsigned int start_after; /* bit mask of class ids to wait for before ports start */
	unsigned int start_timeout_ms;
	unsigned int handler_timeout_ms; /* heartbeat age after which an instance is down */

	/* [rings] */
	unsigned int ring_size;

	/* [sessions] */
	unsigned int max_sessions;
	unsigned int idle_timeout_ms;
	unsigned int heartbeat_interval_ms;

	/* [auth] */
	enum gs_auth_mode auth_mode;
	char key_file[PATH_MAX];	   /* the server key, shared with the game's backend */
	uint64_t protocol_id;		   /* the game: tokens name it */
	unsigned int used_tokens;	   /* tokens remembered as used until they expire */
	unsigned int max_token_lifetime_s; /* longer-lived tokens are refused */
	unsigned int challenge_ttl_ms;	   /* how long a challenge cookie is good for */

	/* [limits]: rates per second and bursts; a rate of 0 turns the limit off */
	unsigned int source_pps;
	unsigned int source_burst;
	unsigned int session_pps;
	unsigned int session_burst;
	unsigned int connect_pps;
	unsigned int connect_burst;

	/* [stats] */
	uint32_t stats_ip;   /* network byte order: gs-stats' HTTP address */
	uint16_t stats_port; /* host byte order */

	/* [world], [skill.N] */
	unsigned int max_entities;
	struct gs_world_rules world;
	uint32_t spawn_mask; /* spawnN keys given in the file or on the command line */
	bool spawns_given;   /* any spawnN key, even an empty one */
	uint32_t skill_mask; /* [skill.N] sections given */

	struct gs_cfg_proc proc[GS_ROLE_HANDLER]; /* [primary], [stats], [ctl] */

	/*
	 * [class.NAME]: the handler classes, by id: [GS_CLASS_SESSION] is
	 * session's, then the others in the file's order (ids 1 .. n_classes).
	 * A file without any [class.NAME] section runs the built-in session,
	 * move and combat classes.
	 */
	struct gs_cfg_class classes[GS_MAX_CLASSES];
	unsigned int n_classes;
};

/**
 * A handler's own settings: the keys of its [class.NAME] section that are not
 * the loader's (radius = 50, say_pps = 5, ...). The loader keeps them as
 * text; the handler checks them at start with these, and refuses a key it
 * does not know, so a typo never silently falls back to a default.
 */

/**
 * Every own key of class @p cls (an id) is one of @p known (NULL-ended).
 * @return 0, or -EINVAL with "FILE: line N: [class.NAME] key = "value":
 *         unknown key (known: ...)" in @p err.
 */
int gs_cfg_class_params_check(const struct gs_cfg *cfg, unsigned int cls, const char *const *known,
	char *err, size_t err_len);

/**
 * Own key @p key of class @p cls as an unsigned integer in [@p min, @p max];
 * @p def when the section does not set it.
 * @return 0 and *@p out, or -EINVAL with the file, line, key and bounds in @p err.
 */
int gs_cfg_class_param_u64(const struct gs_cfg *cfg, unsigned int cls, const char *key,
	uint64_t min, uint64_t max, uint64_t def, uint64_t *out, char *err, size_t err_len);

/** Section name of a role ("primary", "stats", "ctl"; "class" for handlers). */
const char *gs_role_name(enum gs_role role);

/** The id (1 .. n_classes) of class @p name, or GS_CLASS_NONE. */
unsigned int gs_cfg_class_find(const struct gs_cfg *cfg, const char *name);

/** The process settings of @p role (of class id @p cls for GS_ROLE_HANDLER), or NULL. */
const struct gs_cfg_proc *gs_cfg_proc_of(
	const struct gs_cfg *cfg, enum gs_role role, unsigned int cls);

/** Fill @p cfg with the built-in defaults (those of deploy/gsnet.ini). */
void gs_cfg_defaults(struct gs_cfg *cfg);

/**
 * Load and validate @p path over the defaults, then apply @p n_over overrides
 * "section.key=value" (the -o options of every binary).
 *
 * On error, writes a message naming the file, line, section, key and value
 * into @p err.
 *
 * @return 0, -ENOENT (no such file), -EINVAL (syntax or a bad value).
 */
int gs_cfg_load(struct gs_cfg *cfg, const char *path, char *const *overrides, unsigned int n_over,
	char *err, size_t err_len);

/**
 * Build the EAL argument vector of @p role (for GS_ROLE_HANDLER: instance
 * @p instance of class id @p cls) into @p argv, using @p buf for the strings.
 *
 * @return argc, or -ENOSPC if @p max_args or @p buf_len is too small,
 *         -ERANGE if the instance has no lcore id in the role's range,
 *         -EINVAL for an unknown role or class.
 */
int gs_cfg_eal_args(const struct gs_cfg *cfg, enum gs_role role, unsigned int cls,
	unsigned int instance, const char *argv0, char **argv, int max_args, char *buf,
	size_t buf_len);

#endif /* GS_CFG_H */
