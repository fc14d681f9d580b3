/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_cfg.h"
#include "gs_test.h"

#include "cfg_fixture.h"

/*
 * Each test writes its INI text to a fresh mkstemp() file under /tmp, loads
 * it and removes it. The shipped deploy/gsnet.ini is found through argv[1]
 * (its path) or $GS_SOURCE_DIR (the source tree).
 */
static const char *deploy_ini;

static struct gs_cfg cfg;
static char err[1024];
static char ini_path[FX_CFG_PATH];

/* Load @p text as a config file with overrides @p ov; the file is gone on return. */
static int
load_text(const char *text, char *const *ov, unsigned int n_ov)
{
	return fx_cfg_load_text(&cfg, text, ov, n_ov, ini_path, err, sizeof(err));
}

static char *move_instances_2[] = { "class.move.instances=2" };

/* The settings of class @p name in @p c (fails the test when there is none). */
static const struct gs_cfg_proc *
class_proc(const struct gs_cfg *c, const char *name)
{
	unsigned int k = gs_cfg_class_find(c, name);

	CU_ASSERT_FATAL(k != GS_CLASS_NONE);
	return &c->classes[k].proc;
}

static int
load(const char *text)
{
	return load_text(text, NULL, 0);
}

/* The last error names the temp file, "line N", the section, key and quoted value. */
static void
assert_err_names(unsigned int line, const char *section, const char *key, const char *value)
{
	char want[128];

	CU_ASSERT_PTR_NOT_NULL(strstr(err, ini_path));
	snprintf(want, sizeof(want), "line %u: ", line);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	snprintf(want, sizeof(want), "[%s] %s = \"%s\"", section, key, value);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	if (strstr(err, want) == NULL)
		fprintf(stderr, "\n    error was: %s\n    wanted: line %u, %s\n", err, line, want);
}

/* Every field of @p a equals that of @p b, but path and the vdev list. */
static void
assert_same_settings(const struct gs_cfg *a, const struct gs_cfg *b)
{
	CU_ASSERT_STRING_EQUAL(a->file_prefix, b->file_prefix);
	CU_ASSERT_STRING_EQUAL(a->base_virtaddr, b->base_virtaddr);
	CU_ASSERT_STRING_EQUAL(a->huge_dir, b->huge_dir);
	CU_ASSERT_EQUAL(a->memory_mb, b->memory_mb);
	CU_ASSERT_EQUAL(a->single_file_segments, b->single_file_segments);
	CU_ASSERT_EQUAL(a->n_allow, b->n_allow);
	CU_ASSERT_STRING_EQUAL(a->log_level, b->log_level);
	CU_ASSERT_EQUAL(a->ip, b->ip);
	CU_ASSERT_EQUAL(a->udp_port, b->udp_port);
	CU_ASSERT_EQUAL(a->vlan, b->vlan);
	CU_ASSERT_EQUAL(a->flow_rules, b->flow_rules);
	CU_ASSERT_STRING_EQUAL(a->exception_iface, b->exception_iface);
	CU_ASSERT_EQUAL(a->exception_pps, b->exception_pps);
	CU_ASSERT_EQUAL(a->exception_burst, b->exception_burst);
	CU_ASSERT_EQUAL(a->exception_host_pct, b->exception_host_pct);
	CU_ASSERT_EQUAL(a->burst, b->burst);
	CU_ASSERT_EQUAL(a->rx_desc, b->rx_desc);
	CU_ASSERT_EQUAL(a->tx_desc, b->tx_desc);
	CU_ASSERT_EQUAL(a->mbufs, b->mbufs);
	CU_ASSERT_EQUAL(a->mbuf_cache, b->mbuf_cache);
	CU_ASSERT_EQUAL(a->start_after, b->start_after);
	CU_ASSERT_EQUAL(a->start_timeout_ms, b->start_timeout_ms);
	CU_ASSERT_EQUAL(a->handler_timeout_ms, b->handler_timeout_ms);
	CU_ASSERT_EQUAL(a->ring_size, b->ring_size);
	CU_ASSERT_EQUAL(a->auth_mode, b->auth_mode);
	CU_ASSERT_EQUAL(a->used_tokens, b->used_tokens);
	CU_ASSERT_EQUAL(a->max_token_lifetime_s, b->max_token_lifetime_s);
	CU_ASSERT_EQUAL(a->challenge_ttl_ms, b->challenge_ttl_ms);
	CU_ASSERT_EQUAL(a->max_sessions, b->max_sessions);
	CU_ASSERT_EQUAL(a->idle_timeout_ms, b->idle_timeout_ms);
	CU_ASSERT_EQUAL(a->heartbeat_interval_ms, b->heartbeat_interval_ms);
	CU_ASSERT_EQUAL(a->max_entities, b->max_entities);
	CU_ASSERT_EQUAL(memcmp(&a->world, &b->world, sizeof(a->world)), 0);
	CU_ASSERT_EQUAL_FATAL(a->n_classes, b->n_classes);
	for (unsigned int r = 0; r < GS_ROLE_HANDLER + a->n_classes; r++) {
		const struct gs_cfg_proc *p = r < GS_ROLE_HANDLER ?
						      &a->proc[r] :
						      &a->classes[r - GS_ROLE_HANDLER + 1].proc,
					 *q = r < GS_ROLE_HANDLER ?
						      &b->proc[r] :
						      &b->classes[r - GS_ROLE_HANDLER + 1].proc;

		CU_ASSERT_EQUAL(p->lcore_first, q->lcore_first);
		CU_ASSERT_EQUAL(p->lcore_count, q->lcore_count);
		CU_ASSERT_STRING_EQUAL(p->cpus, q->cpus);
		CU_ASSERT_EQUAL(p->instances, q->instances);
		CU_ASSERT_EQUAL(p->idle, q->idle);
		CU_ASSERT_EQUAL(p->idle_max_us, q->idle_max_us);
	}
}

/* --- loading ----------------------------------------------------------------------------- */

static void
test_deploy_ini_loads_and_matches_the_defaults(void)
{
	struct gs_cfg def;

	if (deploy_ini == NULL) {
		fprintf(stderr, "\n    deploy/gsnet.ini not found: pass its path as argv[1] or "
				"set GS_SOURCE_DIR to the source tree\n");
		CU_FAIL_FATAL("deploy/gsnet.ini not given");
	}
	unsigned int repl;

	CU_ASSERT_EQUAL_FATAL(gs_cfg_load(&cfg, deploy_ini, NULL, 0, err, sizeof(err)), 0);
	/* the file runs the built-in classes and the replication class (its own keys) */
	repl = gs_cfg_class_find(&cfg, "replicate");
	CU_ASSERT_EQUAL_FATAL(repl, 4);
	CU_ASSERT_EQUAL(cfg.classes[repl].proc.lcore_first, 50);
	CU_ASSERT_EQUAL(cfg.classes[repl].n_params, 4);
	memset(&cfg.classes[repl], 0, sizeof(cfg.classes[repl]));
	cfg.n_classes--;
	gs_cfg_defaults(&def);
	assert_same_settings(&cfg, &def);
	CU_ASSERT_STRING_EQUAL(cfg.path, deploy_ini);
	CU_ASSERT_EQUAL(cfg.n_vdevs, 1);
	CU_ASSERT_STRING_EQUAL(cfg.vdevs[0], "net_tap0,iface=gs0");
}

/* deploy/k8s/gsnet.ini, beside deploy/gsnet.ini */
static void
k8s_ini_path(char *out, size_t len)
{
	const char *slash = strrchr(deploy_ini, '/');
	int dir = slash != NULL ? (int)(slash - deploy_ini + 1) : 0;

	snprintf(out, len, "%.*sk8s/gsnet.ini", dir, deploy_ini);
}

static void
test_shipped_configs_with_their_overrides_keep_the_cross_key_rules(void)
{
	/* the k8s entrypoint's pod values; the exception-path test's lcores and tap */
	char *k8s_ov[] = { "eal.pci0=0000:3b:02.1", "net.ip=192.0.2.11", "primary.cpus=2-3" };
	char *exc_ov[] = { "eal.vdev0=net_tap0,iface=gsei1", "net.exception_iface=gsx1",
		"primary.lcore_count=2", "primary.cpus=0-1" };
	char k8s[PATH_MAX];

	CU_ASSERT_PTR_NOT_NULL_FATAL(deploy_ini);
	k8s_ini_path(k8s, sizeof(k8s));
	err[0] = '\0';
	CU_ASSERT_EQUAL(gs_cfg_load(&cfg, k8s, k8s_ov, 3, err, sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "\n    %s\n", err);
	err[0] = '\0';
	CU_ASSERT_EQUAL(gs_cfg_load(&cfg, deploy_ini, exc_ov, 4, err, sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "\n    %s\n", err);
}

static void
test_empty_vdev0_removes_the_built_in_tap(void)
{
	CU_ASSERT_EQUAL_FATAL(load("[eal]\nvdev0 =\npci0 = 0000:3b:00.0\n"), 0);
	CU_ASSERT_EQUAL(cfg.n_vdevs, 0);
	CU_ASSERT_EQUAL(cfg.n_allow, 1);
}

static void
test_empty_file_gives_the_defaults(void)
{
	struct gs_cfg def;

	CU_ASSERT_EQUAL_FATAL(load("; nothing set\n"), 0);
	gs_cfg_defaults(&def);
	assert_same_settings(&cfg, &def);
	/* the built-in virtual NIC */
	CU_ASSERT_EQUAL(cfg.n_vdevs, 1);
	CU_ASSERT_STRING_EQUAL(cfg.vdevs[0], "net_tap0,iface=gs0");
	CU_ASSERT_STRING_EQUAL(cfg.path, ini_path);
}

static void
test_absent_keys_keep_their_defaults(void)
{
	struct gs_cfg def;

	CU_ASSERT_EQUAL_FATAL(load_text("[net]\nip = 10.1.2.3\n", move_instances_2, 1), 0);
	gs_cfg_defaults(&def);
	CU_ASSERT_EQUAL(cfg.ip, htonl(0x0a010203));
	CU_ASSERT_EQUAL(class_proc(&cfg, "move")->instances, 2);
	def.ip = cfg.ip;
	def.classes[gs_cfg_class_find(&def, "move")].proc.instances = 2;
	assert_same_settings(&cfg, &def);
}

static void
test_builtin_defaults_are_the_documented_values(void)
{
	struct gs_cfg def;

	gs_cfg_defaults(&def);
	CU_ASSERT_STRING_EQUAL(def.file_prefix, "gsnet");
	CU_ASSERT_EQUAL(def.ip, htonl(0xc6120002)); /* 198.18.0.2 */
	CU_ASSERT_EQUAL(def.udp_port, 7777);
	CU_ASSERT_EQUAL(def.vlan, 0);
	CU_ASSERT_EQUAL(def.flow_rules, GS_FLOW_RULES_AUTO);
	CU_ASSERT_STRING_EQUAL(def.exception_iface, ""); /* no kernel exception path */
	CU_ASSERT_EQUAL(def.exception_pps, 10000);
	CU_ASSERT_EQUAL(def.exception_burst, 2000);
	CU_ASSERT_EQUAL(def.exception_host_pct, 20);
	CU_ASSERT_EQUAL(def.memory_mb, 512);
	CU_ASSERT_EQUAL(def.ring_size, 1024);
	CU_ASSERT_EQUAL(def.max_sessions, 65536);
	CU_ASSERT_EQUAL(def.used_tokens, 131072);
	CU_ASSERT_EQUAL(def.max_token_lifetime_s, 3600);
	CU_ASSERT_EQUAL(def.proc[GS_ROLE_PRIMARY].lcore_first, 1);
	CU_ASSERT_EQUAL(def.n_classes, 3);
	CU_ASSERT_EQUAL(gs_cfg_class_find(&def, "session"), GS_CLASS_SESSION);
	CU_ASSERT_EQUAL(class_proc(&def, "session")->lcore_first, 10);
	CU_ASSERT_EQUAL(class_proc(&def, "move")->lcore_first, 20);
	CU_ASSERT_EQUAL(class_proc(&def, "combat")->lcore_first, 30);
	CU_ASSERT_EQUAL(def.proc[GS_ROLE_STATS].lcore_first, 60);
	CU_ASSERT_EQUAL(def.proc[GS_ROLE_CTL].lcore_first, 62);
}

static void
test_every_kind_of_value_is_parsed(void)
{
	CU_ASSERT_EQUAL_FATAL(load("[eal]\n"
				   "single_file_segments = yes\n"
				   "huge_dir = /dev/hugepages\n"
				   "vdev3 = net_null0\n"
				   "pci0 = 0000:3b:00.0\n"
				   "[net]\n"
				   "vlan = 4094\n"
				   "udp_port = 0x1e62\n"
				   "[primary]\n"
				   "start_after = session, combat\n"
				   "[class.combat]\n"
				   "idle = poll\n"
				   "cpus = 0,2-3\n"
				   "[class.session]\n"),
		0);
	CU_ASSERT_TRUE(cfg.single_file_segments);
	CU_ASSERT_STRING_EQUAL(cfg.huge_dir, "/dev/hugepages");
	CU_ASSERT_EQUAL(cfg.n_vdevs, 2); /* the default tap and net_null0 */
	CU_ASSERT_STRING_EQUAL(cfg.vdevs[3], "net_null0");
	CU_ASSERT_EQUAL(cfg.n_allow, 1);
	CU_ASSERT_STRING_EQUAL(cfg.allow[0], "0000:3b:00.0");
	CU_ASSERT_EQUAL(cfg.vlan, 4094);
	CU_ASSERT_EQUAL(cfg.udp_port, 7778);
	/* the file's classes are the group's: session (always id 1) and combat */
	CU_ASSERT_EQUAL(cfg.n_classes, 2);
	CU_ASSERT_EQUAL(gs_cfg_class_find(&cfg, "move"), GS_CLASS_NONE);
	CU_ASSERT_EQUAL(cfg.start_after, (1u << GS_CLASS_SESSION) | (1u << 2));
	CU_ASSERT_EQUAL(class_proc(&cfg, "combat")->idle, GS_IDLE_POLL);
	CU_ASSERT_STRING_EQUAL(class_proc(&cfg, "combat")->cpus, "0,2-3");
}

static void
test_missing_file_is_enoent(void)
{
	CU_ASSERT_EQUAL(
		gs_cfg_load(&cfg, "/nonexistent/gsnet.ini", NULL, 0, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/gsnet.ini"));
}

/* --- bad values -------------------------------------------------------------------------- */
static void
test_min_x_not_below_max_x_names_world_max_x_and_its_line(void)
{
	CU_ASSERT_EQUAL(load("[world]\nmin_x = 5\nmax_x = 5\n"), -EINVAL);
	assert_err_names(3, "world", "max_x", "5");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "min_x"));
	CU_ASSERT_EQUAL(load("[world]\nmax_x = -20000\n"), -EINVAL);
	assert_err_names(2, "world", "max_x", "-20000");
	CU_ASSERT_EQUAL(load("[world]\nmax_y = 1\nmin_y = 2\n"), -EINVAL);
	assert_err_names(2, "world", "max_y", "1");
	CU_ASSERT_EQUAL(load("[world]\n; flat\nmin_z = 0\nmax_z = 0\n"), -EINVAL);
	assert_err_names(4, "world", "max_z", "0");
}

static void
test_max_speed_not_above_0_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[world]\nmax_speed = 0\n"), -EINVAL);
	assert_err_names(2, "world", "max_speed", "0");
	CU_ASSERT_EQUAL(load("[world]\nmax_speed = -1\n"), -EINVAL);
	assert_err_names(2, "world", "max_speed", "-1");
}

static void
test_spawn_outside_the_bounds_names_the_spawn(void)
{
	CU_ASSERT_EQUAL(load("[world]\nspawn0 = 0,0,0\nspawn1 = 0,20000,0\n"), -EINVAL);
	assert_err_names(3, "world", "spawn1", "0,20000,0");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, " y"));
	CU_ASSERT_EQUAL(load("[world]\nmin_z = 0\nspawn0 = 0,0,-1\n"), -EINVAL);
	assert_err_names(3, "world", "spawn0", "0,0,-1");
}

static void
test_default_spawn_outside_shrunk_bounds_is_refused(void)
{
	/* the built-in (50,-50,0) is beyond max_x = 10 */
	CU_ASSERT_EQUAL(load("[world]\nmax_x = 10\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[world] spawn1 = \"50,-50,0\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "built-in default"));
}

static void
test_spawn_gap_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[world]\nspawn0 = 0,0,0\nspawn2 = 1,1,0\n"), -EINVAL);
	assert_err_names(3, "world", "spawn2", "");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "spawn0"));
	/* no spawn0 at all */
	CU_ASSERT_EQUAL(load("[world]\nspawn1 = 1,1,0\n"), -EINVAL);
	assert_err_names(2, "world", "spawn1", "");
}

static void
test_skill_section_beyond_1_to_6_is_refused_naming_it(void)
{
	CU_ASSERT_EQUAL(load("[skill.7]\nname = x\nrange = 1\ndamage = 1\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ini_path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[skill.7]"));
	CU_ASSERT_EQUAL(load("[skill.0]\nname = x\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[skill.0]"));
	CU_ASSERT_EQUAL(load("[skill.x]\nname = x\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[skill.x]"));
	CU_ASSERT_EQUAL(load("[skill.]\nname = x\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[skill.]"));
	/* [skill.6] is the last one */
	CU_ASSERT_EQUAL(
		load("[skill.3]\nrange = 1\ndamage = 1\n[skill.4]\nrange = 1\ndamage = 1\n"
		     "[skill.5]\nrange = 1\ndamage = 1\n[skill.6]\nrange = 1\ndamage = 1\n"),
		0);
	CU_ASSERT_EQUAL(cfg.world.n_skills, 6);
}

static void
test_skill_with_range_0_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[skill.1]\nrange = 0\n"), -EINVAL);
	assert_err_names(2, "skill.1", "range", "0");
	CU_ASSERT_EQUAL(load("[skill.2]\nname = zap\nrange = -3\n"), -EINVAL);
	assert_err_names(3, "skill.2", "range", "-3");
}

static void
test_skill_with_damage_0_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[skill.1]\ndamage = 0\n"), -EINVAL);
	assert_err_names(2, "skill.1", "damage", "0");
}

static void
test_new_skill_without_range_or_damage_is_refused(void)
{
	/* a new skill starts with nothing: range and damage must be given */
	CU_ASSERT_EQUAL(load("[skill.3]\nname = poke\ndamage = 5\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[skill.3] range"));
	CU_ASSERT_EQUAL(load("[skill.3]\nname = poke\nrange = 5\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[skill.3] damage"));
	/* skills are numbered without gaps: [skill.4] alone leaves [skill.3] empty */
	CU_ASSERT_EQUAL(load("[skill.4]\nname = poke\nrange = 5\ndamage = 5\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[skill.3]"));
}

static void
test_max_entities_below_sessions_max_is_refused_naming_max_entities(void)
{
	CU_ASSERT_EQUAL(load("[sessions]\nmax = 1024\n[world]\nmax_entities = 1000\n"), -EINVAL);
	assert_err_names(4, "world", "max_entities", "1000");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1024"));
	/* equal is enough */
	CU_ASSERT_EQUAL(load("[sessions]\nmax = 1024\n[world]\nmax_entities = 1024\n"), 0);
}

static void
test_bad_float_or_point_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[world]\nmax_speed = abc\n"), -EINVAL);
	assert_err_names(2, "world", "max_speed", "abc");
	CU_ASSERT_EQUAL(load("[world]\nmin_x = 1,5\n"), -EINVAL);
	assert_err_names(2, "world", "min_x", "1,5");
	CU_ASSERT_EQUAL(load("[world]\nmax_speed = nan\n"), -EINVAL);
	assert_err_names(2, "world", "max_speed", "nan");
	CU_ASSERT_EQUAL(load("[world]\nmax_x = inf\n"), -EINVAL);
	assert_err_names(2, "world", "max_x", "inf");
	CU_ASSERT_EQUAL(load("[world]\nmax_x = 1e39\n"), -EINVAL);
	assert_err_names(2, "world", "max_x", "1e39");
	CU_ASSERT_EQUAL(load("[skill.1]\nrange = 5m\n"), -EINVAL);
	assert_err_names(2, "skill.1", "range", "5m");
	CU_ASSERT_EQUAL(load("[world]\nspawn0 = 1,2\n"), -EINVAL);
	assert_err_names(2, "world", "spawn0", "1,2");
	CU_ASSERT_EQUAL(load("[world]\nspawn0 = 1,2,3,4\n"), -EINVAL);
	assert_err_names(2, "world", "spawn0", "1,2,3,4");
	CU_ASSERT_EQUAL(load("[world]\nspawn0 = 1,,3\n"), -EINVAL);
	assert_err_names(2, "world", "spawn0", "1,,3");
	CU_ASSERT_EQUAL(load("[world]\nspawn0 = x,y,z\n"), -EINVAL);
	assert_err_names(2, "world", "spawn0", "x,y,z");
}

static void
test_unknown_world_key_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[world]\nspawn8 = 0,0,0\n"), -EINVAL);
	assert_err_names(2, "world", "spawn8", "0,0,0");
	CU_ASSERT_EQUAL(load("[skill.1]\nspeed = 3\n"), -EINVAL);
	assert_err_names(2, "skill.1", "speed", "3");
}

static void
test_bad_uint_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(load("; sizes\n"
			     "[eal]\n"
			     "memory_mb = 64\n"
			     "\n"
			     "[rings]\n"
			     "; slots per ring\n"
			     "size = 12abc\n"),
		-EINVAL);
	assert_err_names(7, "rings", "size", "12abc");
}

static void
test_negative_uint_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[sessions]\nidle_timeout_ms = -1\n"), -EINVAL);
	assert_err_names(2, "sessions", "idle_timeout_ms", "-1");
}

static void
test_uint_out_of_range_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(load("[sessions]\nidle_timeout_ms = 1000\nmax = 8\n"), -EINVAL);
	assert_err_names(3, "sessions", "max", "8");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "range"));
}

static void
test_port_out_of_range_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[net]\nudp_port = 65536\n"), -EINVAL);
	assert_err_names(2, "net", "udp_port", "65536");
	CU_ASSERT_EQUAL(load("[net]\nvlan = 4095\n"), -EINVAL);
	assert_err_names(2, "net", "vlan", "4095");
}

static void
test_bad_bool_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(load("[eal]\nsingle_file_segments = maybe\n"), -EINVAL);
	assert_err_names(2, "eal", "single_file_segments", "maybe");
}

static void
test_bad_ip_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(load("[net]\nudp_port = 7777\nip = 198.18.0.256\n"), -EINVAL);
	assert_err_names(3, "net", "ip", "198.18.0.256");
}

static void
test_unspecified_ip_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[net]\nip = 0.0.0.0\n"), -EINVAL);
	assert_err_names(2, "net", "ip", "0.0.0.0");
}

static void
test_bad_idle_mode_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(
		load("[class.session]\ninstances = 1\n[class.move]\nidle = spin\n"), -EINVAL);
	assert_err_names(4, "class.move", "idle", "spin");
}

static void
test_override_of_a_dotted_section_sets_its_key(void)
{
	char *ov[] = { "skill.1.damage=10", "skill.2.range=7.5" };

	CU_ASSERT_EQUAL(load_text("[skill.1]\nname = a\nrange = 3\ndamage = 40\n", ov, 2), 0);
	CU_ASSERT_EQUAL(cfg.world.skills[0].damage, 10);
	CU_ASSERT_DOUBLE_EQUAL(cfg.world.skills[1].range, 7.5, 1e-6);
}

static void
test_auth_and_limit_keys_are_parsed(void)
{
	CU_ASSERT_EQUAL(load("[auth]\nmode = open\nprotocol_id = 0x1234\nused_tokens = 2048\n"
			     "max_token_lifetime_s = 600\n"
			     "[limits]\nsource_pps = 0\nsession_pps = 60\nconnect_burst = 7\n"),
		0);
	CU_ASSERT_EQUAL(cfg.auth_mode, GS_AUTH_OPEN);
	CU_ASSERT_EQUAL(cfg.protocol_id, 0x1234);
	CU_ASSERT_EQUAL(cfg.used_tokens, 2048);
	CU_ASSERT_EQUAL(cfg.max_token_lifetime_s, 600);
	CU_ASSERT_EQUAL(cfg.source_pps, 0);
	CU_ASSERT_EQUAL(cfg.session_pps, 60);
	CU_ASSERT_EQUAL(cfg.connect_burst, 7);
	CU_ASSERT_EQUAL(load(""), 0);
	CU_ASSERT_EQUAL(cfg.auth_mode, GS_AUTH_TOKEN); /* the default: tokens */
	CU_ASSERT_STRING_EQUAL(cfg.key_file, "/etc/gsnet/server.key");
}

static void
test_bad_auth_mode_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(load("[auth]\nkey_file = /k\nmode = none\n"), -EINVAL);
	assert_err_names(3, "auth", "mode", "none");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "token or open"));
}

static void
test_token_mode_without_key_file_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[auth]\nmode = token\nkey_file =\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[auth] key_file"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "gs-token keygen"));
	CU_ASSERT_EQUAL(load("[auth]\nmode = open\nkey_file =\n"), 0); /* open needs none */
}

static void
test_bad_limit_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(load("[limits]\nsession_pps = 100\nsession_burst = 0\n"), -EINVAL);
	assert_err_names(3, "limits", "session_burst", "0");
}

static void
test_unknown_class_in_start_after_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(load("[primary]\nstart_after = session dance\n"), -EINVAL);
	assert_err_names(2, "primary", "start_after", "session dance");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'dance'"));
}

static void
test_bad_cpus_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(load("[class.session]\ncpus = 1-\n"), -EINVAL);
	assert_err_names(2, "class.session", "cpus", "1-");
	CU_ASSERT_EQUAL(load("[stats]\ncpus = all\n"), -EINVAL);
	assert_err_names(2, "stats", "cpus", "all");
}

static void
test_same_key_in_another_section_does_not_move_the_line(void)
{
	CU_ASSERT_EQUAL(load("[class.session]\n"
			     "idle = poll\n"
			     "[class.move]\n"
			     "lcore_count = 2\n"
			     "idle = nap\n"),
		-EINVAL);
	assert_err_names(5, "class.move", "idle", "nap");
}

static void
test_unknown_section_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[net]\nvlan = 0\n[bogus]\nx = 1\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ini_path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[bogus]"));
}

static void
test_unknown_key_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(load("[net]\nvlan = 0\nport = 7777\n"), -EINVAL);
	assert_err_names(3, "net", "port", "7777");
	CU_ASSERT_EQUAL(load("[eal]\nvdev8 = net_null0\n"), -EINVAL);
	assert_err_names(2, "eal", "vdev8", "net_null0");
}

static void
test_primary_keys_are_unknown_in_handler_sections(void)
{
	CU_ASSERT_EQUAL(load("[class.move]\nburst = 32\n"), -EINVAL);
	assert_err_names(2, "class.move", "burst", "32");
}

static void
test_overlapping_lcore_ranges_name_both_sections(void)
{
	CU_ASSERT_EQUAL(load("[class.session]\nlcore_first = 10\n[class.move]\nlcore_first = 12\n"),
		-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[class.move]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[class.session]"));
	assert_err_names(4, "class.move", "lcore_first", "12");
}

static void
test_overlap_from_file_values_is_not_blamed_on_the_command_line(void)
{
	/* [class.session] 19-22 runs into [class.move]'s default 20-23; no -o was given */
	CU_ASSERT_EQUAL(load("[class.session]\nlcore_first = 19\n[class.move]\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[class.move]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[class.session]"));
	CU_ASSERT_PTR_NULL(strstr(err, "command line"));
	if (strstr(err, "command line") != NULL)
		fprintf(stderr, "\n    error was: %s\n", err);
}

static void
test_more_instances_than_lcores_is_refused(void)
{
	CU_ASSERT_EQUAL(
		load("[class.combat]\nlcore_count = 2\ninstances = 3\n[class.session]\n"), -EINVAL);
	assert_err_names(3, "class.combat", "instances", "3");
}

static void
test_bad_file_prefix_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[eal]\nfile_prefix = gs/net\n"), -EINVAL);
	assert_err_names(2, "eal", "file_prefix", "gs/net");
}

static void
test_net_steering_and_exception_keys_are_parsed(void)
{
	CU_ASSERT_EQUAL_FATAL(load("[net]\n"
				   "flow_rules = off\n"
				   "exception_iface = gsx0\n"
				   "exception_pps = 500\n"
				   "exception_burst = 50\n"
				   "exception_host_pct = 0\n"),
		0);
	CU_ASSERT_EQUAL(cfg.flow_rules, GS_FLOW_RULES_OFF);
	CU_ASSERT_STRING_EQUAL(cfg.exception_iface, "gsx0");
	CU_ASSERT_EQUAL(cfg.exception_pps, 500);
	CU_ASSERT_EQUAL(cfg.exception_burst, 50);
	CU_ASSERT_EQUAL(cfg.exception_host_pct, 0);
	CU_ASSERT_EQUAL_FATAL(load("[net]\nflow_rules = auto\nexception_iface =\n"), 0);
	CU_ASSERT_EQUAL(cfg.flow_rules, GS_FLOW_RULES_AUTO);
	CU_ASSERT_STRING_EQUAL(cfg.exception_iface, "");
}

static void
test_bad_flow_rules_names_file_line_section_key_value(void)
{
	CU_ASSERT_EQUAL(load("[net]\nflow_rules = on\n"), -EINVAL);
	assert_err_names(2, "net", "flow_rules", "on");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "auto or off"));
}

static void
test_bad_exception_iface_is_refused(void)
{
	/* 16 characters: one more than a kernel interface name holds */
	CU_ASSERT_EQUAL(load("[net]\nexception_iface = gsx0123456789abc\n"), -EINVAL);
	assert_err_names(2, "net", "exception_iface", "gsx0123456789abc");
	/* it goes into the tap's devargs: no ',' or '=' */
	CU_ASSERT_EQUAL(load("[net]\nip = 198.18.0.2\nexception_iface = gsx,mac=1\n"), -EINVAL);
	assert_err_names(3, "net", "exception_iface", "gsx,mac=1");
	CU_ASSERT_EQUAL(load("[net]\nexception_iface = gs/x\n"), -EINVAL);
	assert_err_names(2, "net", "exception_iface", "gs/x");
}

static void
test_exception_rate_out_of_range_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[net]\nexception_pps = 0\n"), -EINVAL);
	assert_err_names(2, "net", "exception_pps", "0");
	CU_ASSERT_EQUAL(load("[net]\nexception_burst = 0\n"), -EINVAL);
	assert_err_names(2, "net", "exception_burst", "0");
	/* the shared bucket keeps at least a tenth */
	CU_ASSERT_EQUAL(load("[net]\nexception_host_pct = 91\n"), -EINVAL);
	assert_err_names(2, "net", "exception_host_pct", "91");
}

/* --- cross-key rules: timers and the pool ------------------------------------------------ */

static void
test_handler_timeout_under_30_ms_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[primary]\nhandler_timeout_ms = 20\n"), -EINVAL);
	assert_err_names(2, "primary", "handler_timeout_ms", "20");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "30"));
	CU_ASSERT_EQUAL(load("[primary]\nhandler_timeout_ms = 30\n"), 0);
}

static void
test_handler_timeout_below_twice_heartbeat_and_idle_sleep_is_refused(void)
{
	/* [class.combat] sleeps up to 100 ms: 2 x (10 + 100) = 220 */
	CU_ASSERT_EQUAL(load("[primary]\n"
			     "handler_timeout_ms = 219\n"
			     "[class.combat]\n"
			     "idle_max_us = 100000\n"
			     "[class.session]\n"),
		-EINVAL);
	assert_err_names(2, "primary", "handler_timeout_ms", "219");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at least 220"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[class.combat] idle_max_us = 100000"));
	CU_ASSERT_EQUAL(
		load("[primary]\nhandler_timeout_ms = 220\n[class.combat]\nidle_max_us = 100000\n"
		     "[class.session]\n"),
		0);
	/* the built-in 100 ms is too short for it, and said to be the default */
	CU_ASSERT_EQUAL(load("[class.session]\nidle_max_us = 50000\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(err, "built-in default: [primary] handler_timeout_ms = \"100\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at least 120"));
	/* a sleep's part of a millisecond counts as a whole one: 2 x (10 + 11) */
	CU_ASSERT_EQUAL(
		load("[primary]\nhandler_timeout_ms = 41\n[class.move]\nidle_max_us = 10001\n"
		     "[class.session]\n"),
		-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at least 42"));
	CU_ASSERT_EQUAL(
		load("[primary]\nhandler_timeout_ms = 42\n[class.move]\nidle_max_us = 10001\n"
		     "[class.session]\n"),
		0);
	/* a polling role counts too: its handler's own -o may turn backoff on */
	CU_ASSERT_EQUAL(
		load("[class.move]\nidle = poll\nidle_max_us = 50000\n[class.session]\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[primary] handler_timeout_ms"));
}

static void
test_heartbeat_interval_over_a_third_of_idle_timeout_is_refused(void)
{
	/* the built-in idle_timeout_ms is 10000 */
	CU_ASSERT_EQUAL(load("[sessions]\nheartbeat_interval_ms = 3334\n"), -EINVAL);
	assert_err_names(2, "sessions", "heartbeat_interval_ms", "3334");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most 3333"));
	CU_ASSERT_EQUAL(load("[sessions]\nheartbeat_interval_ms = 3333\n"), 0);
	/* only idle_timeout_ms given: it is the one named (the heartbeat is 100) */
	CU_ASSERT_EQUAL(load("[sessions]\nidle_timeout_ms = 299\n"), -EINVAL);
	assert_err_names(2, "sessions", "idle_timeout_ms", "299");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at least 300"));
	CU_ASSERT_EQUAL(load("[sessions]\nidle_timeout_ms = 300\n"), 0);
	/* both given: the heartbeat */
	CU_ASSERT_EQUAL(
		load("[sessions]\nidle_timeout_ms = 1000\nheartbeat_interval_ms = 500\n"), -EINVAL);
	assert_err_names(3, "sessions", "heartbeat_interval_ms", "500");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most 333"));
}

static void
test_max_token_lifetime_out_of_range_is_refused(void)
{
	CU_ASSERT_EQUAL(load("[auth]\nmax_token_lifetime_s = 9\n"), -EINVAL);
	assert_err_names(2, "auth", "max_token_lifetime_s", "9");
	CU_ASSERT_EQUAL(
		load("[auth]\nused_tokens = 1048576\nmax_token_lifetime_s = 604801\n"), -EINVAL);
	assert_err_names(3, "auth", "max_token_lifetime_s", "604801");
	CU_ASSERT_EQUAL(load("[auth]\nused_tokens = 1048576\nmax_token_lifetime_s = 604800\n"), 0);
	CU_ASSERT_EQUAL(cfg.max_token_lifetime_s, 604800);
}

/* A used token is remembered up to max_token_lifetime_s: fewer than one connect a second lasts. */
static void
test_used_tokens_fewer_than_max_token_lifetime_are_refused(void)
{
	/* the built-in used_tokens is 131072, max_token_lifetime_s 3600 */
	CU_ASSERT_EQUAL(load("[auth]\nused_tokens = 2048\n"), -EINVAL);
	assert_err_names(2, "auth", "used_tokens", "2048");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at least max_token_lifetime_s (3600)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "connects/s x max_token_lifetime_s"));
	CU_ASSERT_EQUAL(load("[auth]\nused_tokens = 3600\n"), 0);
	/* only max_token_lifetime_s given: it is the one named */
	CU_ASSERT_EQUAL(load("[auth]\nmax_token_lifetime_s = 604800\n"), -EINVAL);
	assert_err_names(2, "auth", "max_token_lifetime_s", "604800");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most used_tokens (131072)"));
	/* a week's tokens need 604800 entries for one connect a second */
	CU_ASSERT_EQUAL(load("[auth]\nmax_token_lifetime_s = 604800\nused_tokens = 604800\n"), 0);
	/* mode = open remembers no token */
	CU_ASSERT_EQUAL(load("[auth]\nmode = open\nused_tokens = 2048\n"), 0);
}

static void
test_heartbeat_interval_override_is_named_as_command_line(void)
{
	char *ov[] = { "sessions.heartbeat_interval_ms=5000" };

	CU_ASSERT_EQUAL(load_text("; nothing set\n", ov, 1), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "command line (-o): [sessions] heartbeat_interval_ms"));
}

static void
test_mbufs_fewer_than_queues_caches_and_bursts_hold_are_refused(void)
{
	/* 1 port x 1 lcore x (1024 + 1024) + 1.5 x 256 + (32 + 64 + 64) = 2592 */
	CU_ASSERT_EQUAL(load("[primary]\nmbufs = 2591\n"), -EINVAL);
	assert_err_names(2, "primary", "mbufs", "2591");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at least 2592"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rx_desc 1024"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mbuf_cache 256"));
	CU_ASSERT_EQUAL(load("[primary]\nmbufs = 2592\n"), 0);
}

static void
test_mbufs_count_every_port_lcore_and_exception_tap(void)
{
	/* 2 ports x 2 lcores x 2048 = 8192 + 2 x 384 + 2 x (32 + 64 + 2 x 64) = 9408 */
	CU_ASSERT_EQUAL(load("[eal]\npci0 = 0000:3b:00.0\n"
			     "[primary]\nlcore_count = 2\nmbufs = 9407\n"),
		-EINVAL);
	assert_err_names(5, "primary", "mbufs", "9407");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at least 9408"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "2 port(s) x 2 lcore(s)"));
	CU_ASSERT_EQUAL(load("[eal]\npci0 = 0000:3b:00.0\n"
			     "[primary]\nlcore_count = 2\nmbufs = 9408\n"),
		0);
	/* the exception path: a tap per port, a queue pair of 64 per lcore: + 2 x 2 x 2 x 64 */
	CU_ASSERT_EQUAL(load("[eal]\npci0 = 0000:3b:00.0\n"
			     "[net]\nexception_iface = gsx0\n"
			     "[primary]\nlcore_count = 2\nmbufs = 9919\n"),
		-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at least 9920"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "exception taps 512"));
	/* raised descriptors with the built-in mbufs: the default is named */
	CU_ASSERT_EQUAL(load("[primary]\nrx_desc = 8192\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "built-in default: [primary] mbufs = \"8191\""));
}

/* --- -o overrides ------------------------------------------------------------------------ */

static void
test_override_replaces_a_file_value(void)
{
	char *ov[] = { "net.udp_port=9000" };

	CU_ASSERT_EQUAL_FATAL(load_text("[net]\nudp_port = 7777\n", ov, 1), 0);
	CU_ASSERT_EQUAL(cfg.udp_port, 9000);
}

static void
test_override_adds_a_key_and_section_absent_from_the_file(void)
{
	char *ov[] = { "rings.size=2048", "class.move.idle=poll" };

	CU_ASSERT_EQUAL_FATAL(load_text("[net]\nudp_port = 7777\n", ov, 2), 0);
	CU_ASSERT_EQUAL(cfg.ring_size, 2048);
	CU_ASSERT_EQUAL(class_proc(&cfg, "move")->idle, GS_IDLE_POLL);
}

static void
test_bad_override_of_a_new_key_is_named_as_command_line(void)
{
	char *ov[] = { "rings.size=abc" };

	CU_ASSERT_EQUAL(load_text("[net]\nudp_port = 7777\n", ov, 1), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "command line"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[rings] size = \"abc\""));
}

static void
test_bad_override_of_a_file_key_is_named_as_command_line(void)
{
	char *ov[] = { "net.udp_port=abc" };

	CU_ASSERT_EQUAL(load_text("[net]\nvlan = 0\nudp_port = 7777\n", ov, 1), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[net] udp_port = \"abc\""));
	/* the bad value came from -o, not from line 3 of the file */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "command line"));
	CU_ASSERT_PTR_NULL(strstr(err, "line 3"));
	if (strstr(err, "command line") == NULL)
		fprintf(stderr, "\n    error was: %s\n", err);
}

static void
test_malformed_override_is_refused(void)
{
	static char *const bad_ov[] = { "net.udp_port", "udp_port=1", ".udp_port=1", "net.=1",
		"net=udp_port.1" };

	for (unsigned int i = 0; i < sizeof(bad_ov) / sizeof(bad_ov[0]); i++) {
		CU_ASSERT_EQUAL(load_text("[net]\nvlan = 0\n", &bad_ov[i], 1), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad_ov[i]));
	}
}

/* --- EAL arguments ----------------------------------------------------------------------- */

#define MAX_ARGS 64
static char *eal_argv[MAX_ARGS];
static char eal_buf[4096];

/* Index of @p arg in eal_argv[0..argc), or -1. */
static int
find_arg(int argc, const char *arg)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(eal_argv[i], arg) == 0)
			return i;
	return -1;
}

/* Index of the first argument starting with @p prefix, or -1. */
static int
find_prefix(int argc, const char *prefix)
{
	for (int i = 0; i < argc; i++)
		if (strncmp(eal_argv[i], prefix, strlen(prefix)) == 0)
			return i;
	return -1;
}

static void
test_primary_eal_args_have_prefix_lcores_memory_and_vdevs(void)
{
	int argc, m;

	gs_cfg_defaults(&cfg);
	snprintf(cfg.vdevs[0], sizeof(cfg.vdevs[0]), "net_null0");
	argc = gs_cfg_eal_args(&cfg, GS_ROLE_PRIMARY, 0, 0, "gs-primary", eal_argv, MAX_ARGS,
		eal_buf, sizeof(eal_buf));
	CU_ASSERT_FATAL(argc > 0);
	CU_ASSERT_STRING_EQUAL(eal_argv[0], "gs-primary");
	CU_ASSERT_PTR_NULL(eal_argv[argc]);
	CU_ASSERT(find_arg(argc, "--proc-type=primary") > 0);
	CU_ASSERT(find_arg(argc, "--file-prefix=gsnet") > 0);
	CU_ASSERT(find_arg(argc, "--lcores=1@(0)") > 0);
	CU_ASSERT(find_arg(argc, "--main-lcore=1") > 0);
	CU_ASSERT(find_arg(argc, "--no-pci") > 0);
	CU_ASSERT(find_arg(argc, "--vdev=net_null0") > 0);
	m = find_arg(argc, "-m");
	CU_ASSERT_FATAL(m > 0 && m + 1 < argc);
	CU_ASSERT_STRING_EQUAL(eal_argv[m + 1], "512");
}

static void
test_primary_with_several_lcores_lists_them_all(void)
{
	int argc;

	gs_cfg_defaults(&cfg);
	cfg.proc[GS_ROLE_PRIMARY].lcore_count = 3;
	snprintf(cfg.proc[GS_ROLE_PRIMARY].cpus, sizeof(cfg.proc[0].cpus), "0-1");
	argc = gs_cfg_eal_args(&cfg, GS_ROLE_PRIMARY, 0, 0, "gs-primary", eal_argv, MAX_ARGS,
		eal_buf, sizeof(eal_buf));
	CU_ASSERT_FATAL(argc > 0);
	CU_ASSERT(find_arg(argc, "--lcores=1@(0-1),2@(0-1),3@(0-1)") > 0);
}

static void
test_primary_lcores_with_long_cpu_list_are_not_truncated(void)
{
	char want[1024];
	size_t off;
	int argc, i;

	gs_cfg_defaults(&cfg);
	cfg.proc[GS_ROLE_PRIMARY].lcore_count = GS_CFG_MAX_LCORES;
	/* 63 characters, the most cpus holds */
	snprintf(cfg.proc[GS_ROLE_PRIMARY].cpus, sizeof(cfg.proc[0].cpus), "%s",
		"0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44");
	CU_ASSERT_EQUAL_FATAL(strlen(cfg.proc[GS_ROLE_PRIMARY].cpus), 63);
	off = (size_t)snprintf(want, sizeof(want), "--lcores=");
	for (unsigned int l = 0; l < GS_CFG_MAX_LCORES; l++)
		off += (size_t)snprintf(want + off, sizeof(want) - off, "%s%u@(%s)", l ? "," : "",
			1 + l, cfg.proc[GS_ROLE_PRIMARY].cpus);
	argc = gs_cfg_eal_args(&cfg, GS_ROLE_PRIMARY, 0, 0, "gs-primary", eal_argv, MAX_ARGS,
		eal_buf, sizeof(eal_buf));
	/* either the whole list or -ENOSPC: never a silently cut --lcores */
	if (argc == -ENOSPC)
		return;
	CU_ASSERT_FATAL(argc > 0);
	i = find_prefix(argc, "--lcores=");
	CU_ASSERT_FATAL(i > 0);
	CU_ASSERT_STRING_EQUAL(eal_argv[i], want);
}

static void
test_handler_eal_args_are_secondary_on_its_own_lcore(void)
{
	int argc;

	gs_cfg_defaults(&cfg);
	snprintf(cfg.vdevs[0], sizeof(cfg.vdevs[0]), "net_null0");
	argc = gs_cfg_eal_args(&cfg, GS_ROLE_HANDLER, gs_cfg_class_find(&cfg, "move"), 2, "gs-move",
		eal_argv, MAX_ARGS, eal_buf, sizeof(eal_buf));
	CU_ASSERT_FATAL(argc > 0);
	CU_ASSERT_STRING_EQUAL(eal_argv[0], "gs-move");
	CU_ASSERT(find_arg(argc, "--proc-type=secondary") > 0);
	CU_ASSERT(find_arg(argc, "--file-prefix=gsnet") > 0);
	CU_ASSERT(find_arg(argc, "--lcores=22@(1)") > 0); /* lcore_first 20 + instance 2 */
	CU_ASSERT(find_arg(argc, "--no-pci") > 0);
	CU_ASSERT_EQUAL(find_prefix(argc, "--vdev"), -1);
	CU_ASSERT_EQUAL(find_arg(argc, "-m"), -1);
	CU_ASSERT_EQUAL(find_prefix(argc, "--main-lcore"), -1);
}

static void
test_handler_instance_beyond_lcore_count_is_erange(void)
{
	gs_cfg_defaults(&cfg);
	CU_ASSERT(gs_cfg_eal_args(&cfg, GS_ROLE_HANDLER, GS_CLASS_SESSION, 3, "gs-session",
			  eal_argv, MAX_ARGS, eal_buf, sizeof(eal_buf)) > 0);
	CU_ASSERT_EQUAL(gs_cfg_eal_args(&cfg, GS_ROLE_HANDLER, GS_CLASS_SESSION, 4, "gs-session",
				eal_argv, MAX_ARGS, eal_buf, sizeof(eal_buf)),
		-ERANGE);
}

static void
test_pci_allow_list_replaces_no_pci(void)
{
	int argc;

	gs_cfg_defaults(&cfg);
	snprintf(cfg.allow[0], sizeof(cfg.allow[0]), "0000:3b:00.0");
	cfg.n_allow = 1;
	argc = gs_cfg_eal_args(&cfg, GS_ROLE_HANDLER, gs_cfg_class_find(&cfg, "combat"), 0,
		"gs-combat", eal_argv, MAX_ARGS, eal_buf, sizeof(eal_buf));
	CU_ASSERT_FATAL(argc > 0);
	CU_ASSERT(find_arg(argc, "--allow=0000:3b:00.0") > 0);
	CU_ASSERT_EQUAL(find_arg(argc, "--no-pci"), -1);
}

static void
test_log_level_gives_one_arg_per_word(void)
{
	int argc;

	gs_cfg_defaults(&cfg);
	snprintf(cfg.log_level, sizeof(cfg.log_level), "gs.*:info lib.eal:debug");
	argc = gs_cfg_eal_args(&cfg, GS_ROLE_PRIMARY, 0, 0, "gs-primary", eal_argv, MAX_ARGS,
		eal_buf, sizeof(eal_buf));
	CU_ASSERT_FATAL(argc > 0);
	CU_ASSERT(find_arg(argc, "--log-level=gs.*:info") > 0);
	CU_ASSERT(find_arg(argc, "--log-level=lib.eal:debug") > 0);
}

static void
test_eal_args_too_small_is_enospc(void)
{
	gs_cfg_defaults(&cfg);
	CU_ASSERT_EQUAL(gs_cfg_eal_args(&cfg, GS_ROLE_PRIMARY, 0, 0, "gs-primary", eal_argv, 3,
				eal_buf, sizeof(eal_buf)),
		-ENOSPC);
	CU_ASSERT_EQUAL(gs_cfg_eal_args(&cfg, GS_ROLE_PRIMARY, 0, 0, "gs-primary", eal_argv,
				MAX_ARGS, eal_buf, 40),
		-ENOSPC);
}

/* --- world and ctl ----------------------------------------------------------------------- */

static void
test_builtin_world_defaults_are_the_documented_values(void)
{
	struct gs_cfg def;

	gs_cfg_defaults(&def);
	CU_ASSERT_EQUAL(def.max_entities, 1000000);
	CU_ASSERT_DOUBLE_EQUAL(def.world.min[0], -10000.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(def.world.max[0], 10000.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(def.world.min[1], -10000.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(def.world.max[1], 10000.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(def.world.min[2], -1000.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(def.world.max[2], 1000.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(def.world.max_speed, 20.0, 0.0);
	CU_ASSERT_EQUAL(def.world.speed_slack_ms, 100);
	CU_ASSERT_EQUAL(def.world.max_move_gap_ms, 1000);
	CU_ASSERT_EQUAL(def.world.max_hp, 100);
	CU_ASSERT_EQUAL(def.world.respawn_ms, 3000);
	CU_ASSERT_EQUAL(def.world.n_skills, 2);
	CU_ASSERT_STRING_EQUAL(def.world.skills[0].name, "slash");
	CU_ASSERT_DOUBLE_EQUAL(def.world.skills[0].range, 5.0, 0.0);
	CU_ASSERT_EQUAL(def.world.skills[0].damage, 25);
	CU_ASSERT_EQUAL(def.world.skills[0].cooldown_ms, 500);
	CU_ASSERT_STRING_EQUAL(def.world.skills[1].name, "fireball");
	CU_ASSERT_DOUBLE_EQUAL(def.world.skills[1].range, 30.0, 0.0);
	CU_ASSERT_EQUAL(def.world.skills[1].damage, 15);
	CU_ASSERT_EQUAL(def.world.skills[1].cooldown_ms, 1500);
	CU_ASSERT_EQUAL(def.world.n_spawns, 4);
	CU_ASSERT_DOUBLE_EQUAL(def.world.spawns[0][0], -50.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(def.world.spawns[2][1], 50.0, 0.0);
	CU_ASSERT_EQUAL(def.spawn_mask, 0);
	CU_ASSERT_EQUAL(def.skill_mask, 0);
	CU_ASSERT(def.max_entities >= def.max_sessions);
}

static void
test_ctl_role_has_its_own_section_and_lcore(void)
{
	struct gs_cfg def;
	int argc;

	gs_cfg_defaults(&def);
	CU_ASSERT_STRING_EQUAL(gs_role_name(GS_ROLE_CTL), "ctl");
	CU_ASSERT_EQUAL(def.proc[GS_ROLE_CTL].lcore_first, 62);
	CU_ASSERT_EQUAL(def.proc[GS_ROLE_CTL].lcore_count, 1);
	CU_ASSERT_EQUAL(def.proc[GS_ROLE_CTL].instances, 0);
	CU_ASSERT_EQUAL_FATAL(load("[ctl]\nidle = poll\nlcore_first = 63\n"), 0);
	CU_ASSERT_EQUAL(cfg.proc[GS_ROLE_CTL].idle, GS_IDLE_POLL);
	CU_ASSERT_EQUAL(cfg.proc[GS_ROLE_CTL].lcore_first, 63);
	argc = gs_cfg_eal_args(
		&cfg, GS_ROLE_CTL, 0, 0, "gs-ctl", eal_argv, MAX_ARGS, eal_buf, sizeof(eal_buf));
	CU_ASSERT_FATAL(argc > 0);
	CU_ASSERT(find_arg(argc, "--proc-type=secondary") > 0);
	CU_ASSERT(find_arg(argc, "--lcores=63@(1)") > 0);
	/* its lcore ids are checked against the others' like any role */
	CU_ASSERT_EQUAL(load("[ctl]\nlcore_first = 60\n"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[stats]"));
	assert_err_names(2, "ctl", "lcore_first", "60");
}

static void
test_world_and_skill_3_sections_load(void)
{
	const struct gs_world_rules *w = &cfg.world;

	CU_ASSERT_EQUAL_FATAL(load("[sessions]\n"
				   "max = 1024\n"
				   "[world]\n"
				   "max_entities = 2048\n"
				   "min_x = -500.5\n"
				   "max_x = 500.5\n"
				   "min_z = -10\n"
				   "max_z = 10\n"
				   "max_speed = 12.5\n"
				   "speed_slack_ms = 50\n"
				   "max_move_gap_ms = 250\n"
				   "max_hp = 250\n"
				   "respawn_ms = 0\n"
				   "[skill.3]\n"
				   "name = bite\n"
				   "range = 1.5\n"
				   "damage = 40\n"
				   "cooldown_ms = 2000\n"),
		0);
	CU_ASSERT_EQUAL(cfg.max_entities, 2048);
	CU_ASSERT_DOUBLE_EQUAL(w->min[0], -500.5, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(w->max[0], 500.5, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(w->min[1], -10000.0, 0.0); /* absent: default */
	CU_ASSERT_DOUBLE_EQUAL(w->min[2], -10.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(w->max[2], 10.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(w->max_speed, 12.5, 0.0);
	CU_ASSERT_EQUAL(w->speed_slack_ms, 50);
	CU_ASSERT_EQUAL(w->max_move_gap_ms, 250);
	CU_ASSERT_EQUAL(w->max_hp, 250);
	CU_ASSERT_EQUAL(w->respawn_ms, 0);
	CU_ASSERT_EQUAL(w->n_skills, 3);
	CU_ASSERT_STRING_EQUAL(w->skills[2].name, "bite");
	CU_ASSERT_DOUBLE_EQUAL(w->skills[2].range, 1.5, 0.0);
	CU_ASSERT_EQUAL(w->skills[2].damage, 40);
	CU_ASSERT_EQUAL(w->skills[2].cooldown_ms, 2000);
	/* skills 1 and 2 keep the built-in ones */
	CU_ASSERT_STRING_EQUAL(w->skills[0].name, "slash");
	CU_ASSERT_STRING_EQUAL(w->skills[1].name, "fireball");
	/* the default spawn points are inside the new bounds and stay */
	CU_ASSERT_EQUAL(w->n_spawns, 4);
}

static void
test_skill_section_changes_only_the_keys_it_gives(void)
{
	CU_ASSERT_EQUAL_FATAL(load("[skill.1]\ndamage = 30\n"), 0);
	CU_ASSERT_EQUAL(cfg.world.n_skills, 2);
	CU_ASSERT_STRING_EQUAL(cfg.world.skills[0].name, "slash");
	CU_ASSERT_DOUBLE_EQUAL(cfg.world.skills[0].range, 5.0, 0.0);
	CU_ASSERT_EQUAL(cfg.world.skills[0].damage, 30);
	CU_ASSERT_EQUAL(cfg.world.skills[0].cooldown_ms, 500);
}

static void
test_spawn0_alone_replaces_the_default_spawn_points(void)
{
	CU_ASSERT_EQUAL_FATAL(load("[world]\nspawn0 = 1.5, -2,3\n"), 0);
	CU_ASSERT_EQUAL(cfg.world.n_spawns, 1);
	CU_ASSERT_DOUBLE_EQUAL(cfg.world.spawns[0][0], 1.5, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(cfg.world.spawns[0][1], -2.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(cfg.world.spawns[0][2], 3.0, 0.0);
	CU_ASSERT_EQUAL_FATAL(load("[world]\nspawn0 = 0,0,0\nspawn1 = 1,1,1\nspawn2 = 2,2,2\n"), 0);
	CU_ASSERT_EQUAL(cfg.world.n_spawns, 3);
	CU_ASSERT_DOUBLE_EQUAL(cfg.world.spawns[2][1], 2.0, 0.0);
}

static void
test_world_override_sets_a_spawn_point(void)
{
	char *ov[] = { "world.spawn0=7,8,9", "world.max_speed=3" };

	CU_ASSERT_EQUAL_FATAL(load_text("[world]\nmax_speed = 20\n", ov, 2), 0);
	CU_ASSERT_EQUAL(cfg.world.n_spawns, 1);
	CU_ASSERT_DOUBLE_EQUAL(cfg.world.spawns[0][2], 9.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(cfg.world.max_speed, 3.0, 0.0);
}

static CU_TestInfo load_tests[] = {
	{ "deploy/gsnet.ini loads and matches the defaults",
		test_deploy_ini_loads_and_matches_the_defaults },
	{ "empty file gives the defaults", test_empty_file_gives_the_defaults },
	{ "empty vdev0 removes the built-in tap", test_empty_vdev0_removes_the_built_in_tap },
	{ "shipped configs with their overrides keep the cross-key rules",
		test_shipped_configs_with_their_overrides_keep_the_cross_key_rules },
	{ "absent keys keep their defaults", test_absent_keys_keep_their_defaults },
	{ "built-in defaults are the documented values",
		test_builtin_defaults_are_the_documented_values },
	{ "every kind of value is parsed", test_every_kind_of_value_is_parsed },
	{ "missing file is -ENOENT", test_missing_file_is_enoent },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo world_tests[] = {
	{ "built-in world defaults are the documented values",
		test_builtin_world_defaults_are_the_documented_values },
	{ "ctl role has its own section and lcore", test_ctl_role_has_its_own_section_and_lcore },
	{ "[world] and [skill.3] sections load", test_world_and_skill_3_sections_load },
	{ "skill section changes only the keys it gives",
		test_skill_section_changes_only_the_keys_it_gives },
	{ "spawn0 alone replaces the default spawn points",
		test_spawn0_alone_replaces_the_default_spawn_points },
	{ "world override sets a spawn point", test_world_override_sets_a_spawn_point },
	{ "min_x not below max_x names [world] max_x and its line",
		test_min_x_not_below_max_x_names_world_max_x_and_its_line },
	{ "max_speed not above 0 is refused", test_max_speed_not_above_0_is_refused },
	{ "spawn outside the bounds names the spawn",
		test_spawn_outside_the_bounds_names_the_spawn },
	{ "default spawn outside shrunk bounds is refused",
		test_default_spawn_outside_shrunk_bounds_is_refused },
	{ "spawn gap is refused", test_spawn_gap_is_refused },
	{ "skill section beyond 1..6 is refused naming it",
		test_skill_section_beyond_1_to_6_is_refused_naming_it },
	{ "skill with range 0 is refused", test_skill_with_range_0_is_refused },
	{ "skill with damage 0 is refused", test_skill_with_damage_0_is_refused },
	{ "new skill without range or damage is refused",
		test_new_skill_without_range_or_damage_is_refused },
	{ "max_entities below [sessions] max is refused naming max_entities",
		test_max_entities_below_sessions_max_is_refused_naming_max_entities },
	{ "bad float or point is refused", test_bad_float_or_point_is_refused },
	{ "unknown world key is refused", test_unknown_world_key_is_refused },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo error_tests[] = {
	{ "bad uint names file, line, section, key, value",
		test_bad_uint_names_file_line_section_key_value },
	{ "negative uint is refused", test_negative_uint_is_refused },
	{ "uint out of range names file, line, section, key, value",
		test_uint_out_of_range_names_file_line_section_key_value },
	{ "port out of range is refused", test_port_out_of_range_is_refused },
	{ "bad bool names file, line, section, key, value",
		test_bad_bool_names_file_line_section_key_value },
	{ "bad ip names file, line, section, key, value",
		test_bad_ip_names_file_line_section_key_value },
	{ "unspecified ip is refused", test_unspecified_ip_is_refused },
	{ "auth and limit keys are parsed", test_auth_and_limit_keys_are_parsed },
	{ "override of a dotted section sets its key",
		test_override_of_a_dotted_section_sets_its_key },
	{ "bad auth mode names file, line, section, key, value",
		test_bad_auth_mode_names_file_line_section_key_value },
	{ "token mode without key_file is refused", test_token_mode_without_key_file_is_refused },
	{ "bad limit names file, line, section, key, value",
		test_bad_limit_names_file_line_section_key_value },
	{ "bad idle mode names file, line, section, key, value",
		test_bad_idle_mode_names_file_line_section_key_value },
	{ "unknown class in start_after names file, line, section, key, value",
		test_unknown_class_in_start_after_names_file_line_section_key_value },
	{ "bad cpus names file, line, section, key, value",
		test_bad_cpus_names_file_line_section_key_value },
	{ "same key in another section does not move the line",
		test_same_key_in_another_section_does_not_move_the_line },
	{ "unknown section is refused", test_unknown_section_is_refused },
	{ "unknown key names file, line, section, key, value",
		test_unknown_key_names_file_line_section_key_value },
	{ "primary keys are unknown in handler sections",
		test_primary_keys_are_unknown_in_handler_sections },
	{ "overlapping lcore ranges name both sections",
		test_overlapping_lcore_ranges_name_both_sections },
	{ "overlap from file values is not blamed on the command line",
		test_overlap_from_file_values_is_not_blamed_on_the_command_line },
	{ "more instances than lcores is refused", test_more_instances_than_lcores_is_refused },
	{ "bad file prefix is refused", test_bad_file_prefix_is_refused },
	{ "[net] steering and exception keys are parsed",
		test_net_steering_and_exception_keys_are_parsed },
	{ "bad flow_rules names file, line, section, key, value",
		test_bad_flow_rules_names_file_line_section_key_value },
	{ "bad exception_iface is refused", test_bad_exception_iface_is_refused },
	{ "exception rate out of range is refused", test_exception_rate_out_of_range_is_refused },
	{ "handler_timeout_ms under 30 ms is refused",
		test_handler_timeout_under_30_ms_is_refused },
	{ "handler_timeout_ms below 2 x (heartbeat + idle sleep) is refused",
		test_handler_timeout_below_twice_heartbeat_and_idle_sleep_is_refused },
	{ "heartbeat_interval_ms over a third of idle_timeout_ms is refused",
		test_heartbeat_interval_over_a_third_of_idle_timeout_is_refused },
	{ "max_token_lifetime_s out of range is refused",
		test_max_token_lifetime_out_of_range_is_refused },
	{ "used_tokens fewer than max_token_lifetime_s are refused",
		test_used_tokens_fewer_than_max_token_lifetime_are_refused },
	{ "heartbeat_interval_ms override is named as command line",
		test_heartbeat_interval_override_is_named_as_command_line },
	{ "mbufs fewer than queues, caches and bursts hold are refused",
		test_mbufs_fewer_than_queues_caches_and_bursts_hold_are_refused },
	{ "mbufs count every port, lcore and exception tap",
		test_mbufs_count_every_port_lcore_and_exception_tap },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo override_tests[] = {
	{ "override replaces a file value", test_override_replaces_a_file_value },
	{ "override adds a key and section absent from the file",
		test_override_adds_a_key_and_section_absent_from_the_file },
	{ "bad override of a new key is named as command line",
		test_bad_override_of_a_new_key_is_named_as_command_line },
	{ "bad override of a file key is named as command line",
		test_bad_override_of_a_file_key_is_named_as_command_line },
	{ "malformed override is refused", test_malformed_override_is_refused },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo eal_tests[] = {
	{ "primary args have prefix, lcores, memory and vdevs",
		test_primary_eal_args_have_prefix_lcores_memory_and_vdevs },
	{ "primary with several lcores lists them all",
		test_primary_with_several_lcores_lists_them_all },
	{ "primary lcores with long cpu list are not truncated",
		test_primary_lcores_with_long_cpu_list_are_not_truncated },
	{ "handler args are secondary on its own lcore",
		test_handler_eal_args_are_secondary_on_its_own_lcore },
	{ "handler instance beyond lcore_count is -ERANGE",
		test_handler_instance_beyond_lcore_count_is_erange },
	{ "pci allow list replaces --no-pci", test_pci_allow_list_replaces_no_pci },
	{ "log_level gives one arg per word", test_log_level_gives_one_arg_per_word },
	{ "too small argv or buffer is -ENOSPC", test_eal_args_too_small_is_enospc },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "cfg load", .pTests = load_tests },
	{ .pName = "cfg errors", .pTests = error_tests },
	{ .pName = "cfg world", .pTests = world_tests },
	{ .pName = "cfg overrides", .pTests = override_tests },
	{ .pName = "cfg eal args", .pTests = eal_tests },
	CU_SUITE_INFO_NULL,
};

/* usage: cfg_test [path/to/deploy/gsnet.ini]; else $GS_SOURCE_DIR/deploy/gsnet.ini */
int
main(int argc, char **argv)
{
	static char from_env[PATH_MAX];
	const char *src = getenv("GS_SOURCE_DIR");

	if (argc > 1) {
		deploy_ini = argv[1];
	} else if (src != NULL && src[0] != '\0') {
		snprintf(from_env, sizeof(from_env), "%s/%s", src, GS_CFG_DEFAULT_PATH);
		deploy_ini = from_env;
	}
	return gs_test_run(suites);
}
