/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>

#include <CUnit/CUnit.h>

#include "gs_cfg.h"
#include "gs_class.h"
#include "gs_test.h"
#include "gs_wire.h"

#include "classify.h"

/* RTE_IPV4() of DPDK 22.11 shifts a signed int: undefined for a first byte >= 128 */
#define IPV4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define PEER_IP	  RTE_BE32(IPV4(198, 18, 0, 1))
#define PEER_PORT RTE_BE16(40001)

/* --- the type -> class table ------------------------------------------------------------- */

#define MOVE_ID	  2 /* the built-in classes' ids: the order of the default config */
#define COMBAT_ID 3

/* The class table a primary publishes for @p cfg (its classes, active, by id). */
static void
build_from_cfg(struct classify_table *t, const struct gs_cfg *cfg)
{
	struct gs_class_info table[GS_MAX_CLASSES];

	memset(table, 0, sizeof(table));
	for (unsigned int c = 1; c <= cfg->n_classes; c++) {
		snprintf(table[c].name, sizeof(table[c].name), "%s", cfg->classes[c].name);
		table[c].types = cfg->classes[c].types;
		table[c].state = GS_CLASS_ACTIVE;
	}
	classify_build(t, table);
}

/* The table of the built-in classes (those of the default config). */
static void
classify_init(struct classify_table *t)
{
	struct gs_cfg cfg;

	gs_cfg_defaults(&cfg);
	build_from_cfg(t, &cfg);
}

static void
test_session_requests_map_to_session(void)
{
	struct classify_table t;

	classify_init(&t);
	CU_ASSERT_EQUAL(classify_type(&t, GS_MSG_CONNECT), GS_CLASS_SESSION);
	CU_ASSERT_EQUAL(classify_type(&t, GS_MSG_HEARTBEAT), GS_CLASS_SESSION);
	CU_ASSERT_EQUAL(classify_type(&t, GS_MSG_DISCONNECT), GS_CLASS_SESSION);
}

static void
test_server_to_client_types_map_to_none(void)
{
	struct classify_table t;

	classify_init(&t);
	CU_ASSERT_EQUAL(classify_type(&t, GS_MSG_CONNECT_ACCEPT), GS_CLASS_NONE);
	CU_ASSERT_EQUAL(classify_type(&t, GS_MSG_HEARTBEAT_ACK), GS_CLASS_NONE);
	CU_ASSERT_EQUAL(classify_type(&t, GS_MSG_SESSION_ERROR), GS_CLASS_NONE);
}

static void
test_types_16_to_31_map_to_move(void)
{
	struct classify_table t;

	classify_init(&t);
	for (unsigned int ty = 16; ty <= 31; ty++)
		CU_ASSERT_EQUAL(classify_type(&t, (uint8_t)ty), MOVE_ID);
}

static void
test_types_32_to_47_map_to_combat(void)
{
	struct classify_table t;

	classify_init(&t);
	for (unsigned int ty = 32; ty <= 47; ty++)
		CU_ASSERT_EQUAL(classify_type(&t, (uint8_t)ty), COMBAT_ID);
}

static void
test_unassigned_types_map_to_none(void)
{
	struct classify_table t;

	classify_init(&t);
	CU_ASSERT_EQUAL(classify_type(&t, 0), GS_CLASS_NONE);
	for (unsigned int ty = 7; ty <= 15; ty++)
		CU_ASSERT_EQUAL(classify_type(&t, (uint8_t)ty), GS_CLASS_NONE);
	for (unsigned int ty = 48; ty <= 255; ty++)
		CU_ASSERT_EQUAL(classify_type(&t, (uint8_t)ty), GS_CLASS_NONE);
}

static void
test_a_configured_class_gets_its_types_and_nothing_else(void)
{
	struct classify_table t;
	struct gs_cfg cfg;
	unsigned int chat;

	gs_cfg_defaults(&cfg);
	chat = ++cfg.n_classes;
	snprintf(cfg.classes[chat].name, sizeof(cfg.classes[chat].name), "chat");
	CU_ASSERT_EQUAL_FATAL(gs_type_set_parse("64-79, 90", &cfg.classes[chat].types), 0);
	build_from_cfg(&t, &cfg);
	for (unsigned int ty = 64; ty <= 79; ty++)
		CU_ASSERT_EQUAL(classify_type(&t, (uint8_t)ty), chat);
	CU_ASSERT_EQUAL(classify_type(&t, 90), chat);
	CU_ASSERT_EQUAL(classify_type(&t, 63), GS_CLASS_NONE);
	CU_ASSERT_EQUAL(classify_type(&t, 80), GS_CLASS_NONE);
	CU_ASSERT_EQUAL(classify_type(&t, 89), GS_CLASS_NONE);
	/* the others keep theirs */
	CU_ASSERT_EQUAL(classify_type(&t, GS_MSG_MOVE), MOVE_ID);
	CU_ASSERT_EQUAL(classify_type(&t, GS_MSG_CONNECT), GS_CLASS_SESSION);
}

static void
test_a_class_left_out_of_the_config_gets_nothing(void)
{
	struct classify_table t;
	struct gs_cfg cfg;

	/* a config of session and move only (combat's row gone) */
	gs_cfg_defaults(&cfg);
	memset(&cfg.classes[COMBAT_ID], 0, sizeof(cfg.classes[COMBAT_ID]));
	cfg.n_classes = MOVE_ID;
	build_from_cfg(&t, &cfg);
	for (unsigned int ty = 32; ty <= 47; ty++)
		CU_ASSERT_EQUAL(classify_type(&t, (uint8_t)ty), GS_CLASS_NONE);
	CU_ASSERT_EQUAL(classify_type(&t, GS_MSG_MOVE), MOVE_ID);
}

static void
test_a_draining_class_gets_nothing(void)
{
	struct gs_class_info table[GS_MAX_CLASSES];
	struct classify_table t;

	memset(table, 0, sizeof(table));
	snprintf(table[4].name, sizeof(table[4].name), "chat");
	gs_type_set_parse("64-79", &table[4].types);
	table[4].state = GS_CLASS_DRAINING; /* removed by a reload, its instances leaving */
	classify_build(&t, table);
	CU_ASSERT_EQUAL(classify_type(&t, 64), GS_CLASS_NONE);
	table[4].state = GS_CLASS_ACTIVE;
	classify_build(&t, table);
	CU_ASSERT_EQUAL(classify_type(&t, 64), 4);
}

/* --- instance choice --------------------------------------------------------------------- */

static void
test_no_live_instance_gives_minus_one(void)
{
	CU_ASSERT_EQUAL(classify_instance(1234, PEER_IP, PEER_PORT, 0), -1);
	CU_ASSERT_EQUAL(classify_instance(0, PEER_IP, PEER_PORT, 0), -1);
}

static void
test_pick_is_always_a_live_instance(void)
{
	static const uint32_t masks[] = { 0x1, 0x2, 0x5, 0x8, 0xa, 0xe, 0xf, 0x80000000u,
		0x80000001u, 0xffffffffu };

	for (unsigned int m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
		for (uint32_t id = 0; id < 2000; id++) {
			int inst = classify_instance(id, PEER_IP + id, PEER_PORT, masks[m]);

			CU_ASSERT_FATAL(inst >= 0 && inst < 32);
			CU_ASSERT_FATAL((masks[m] & (1u << inst)) != 0);
		}
	}
}

static void
test_single_live_instance_takes_everything(void)
{
	for (uint32_t id = 0; id < 1000; id++)
		CU_ASSERT_EQUAL(classify_instance(id, PEER_IP, (uint16_t)id, 0x4), 2);
}

static void
test_same_session_gives_same_instance_from_any_address(void)
{
	for (uint32_t id = 1; id < 1000; id++) {
		int first = classify_instance(id, PEER_IP, PEER_PORT, 0xf);

		CU_ASSERT_EQUAL(classify_instance(id, PEER_IP, PEER_PORT, 0xf), first);
		CU_ASSERT_EQUAL(classify_instance(id, PEER_IP + 1, PEER_PORT + 7, 0xf), first);
	}
}

static void
test_connect_is_keyed_by_source_address(void)
{
	unsigned int hits[4] = { 0 };

	for (uint16_t port = 1000; port < 2000; port++) {
		int inst = classify_instance(0, PEER_IP, rte_cpu_to_be_16(port), 0xf);

		CU_ASSERT_FATAL(inst >= 0 && inst < 4);
		CU_ASSERT_EQUAL(classify_instance(0, PEER_IP, rte_cpu_to_be_16(port), 0xf), inst);
		hits[inst]++;
	}
	/* the address, not a constant, picks: every instance gets some CONNECTs */
	for (unsigned int i = 0; i < 4; i++)
		CU_ASSERT(hits[i] > 0);
}

static void
test_sessions_spread_over_four_instances(void)
{
	unsigned int hits[32] = { 0 };

	for (uint32_t id = 1; id <= 10000; id++) {
		int inst = classify_instance(id, PEER_IP, PEER_PORT, 0x0f);

		CU_ASSERT_FATAL(inst >= 0 && inst < 4);
		hits[inst]++;
	}
	for (unsigned int i = 0; i < 4; i++)
		CU_ASSERT(hits[i] >= 1500); /* 15% of 10000 */
}

static void
test_sessions_spread_over_sparse_live_mask(void)
{
	unsigned int hits[32] = { 0 };

	for (uint32_t id = 1; id <= 10000; id++)
		hits[classify_instance(id, PEER_IP, PEER_PORT, 0x29)]++; /* 0, 3, 5 */
	CU_ASSERT(hits[0] >= 2000);
	CU_ASSERT(hits[3] >= 2000);
	CU_ASSERT(hits[5] >= 2000);
	CU_ASSERT_EQUAL(hits[0] + hits[3] + hits[5], 10000);
}

static CU_TestInfo table_tests[] = {
	{ "session requests map to session", test_session_requests_map_to_session },
	{ "server-to-client types map to none", test_server_to_client_types_map_to_none },
	{ "types 16..31 map to move", test_types_16_to_31_map_to_move },
	{ "types 32..47 map to combat", test_types_32_to_47_map_to_combat },
	{ "unassigned types map to none", test_unassigned_types_map_to_none },
	{ "a configured class gets its types and nothing else",
		test_a_configured_class_gets_its_types_and_nothing_else },
	{ "a class left out of the config gets nothing",
		test_a_class_left_out_of_the_config_gets_nothing },
	{ "a draining class gets nothing", test_a_draining_class_gets_nothing },
	CU_TEST_INFO_NULL,
};

/* An instance leaving moves only its own sessions; one coming back takes only its own. */
static void
test_live_set_change_moves_only_the_changed_instances_sessions(void)
{
	unsigned int moved_from_others = 0, moved_from_gone = 0, took = 0;

	for (uint32_t id = 1; id <= 20000; id++) {
		int all = classify_instance(id, 0, 0, 0xfu);
		int without2 = classify_instance(id, 0, 0, 0xfu & ~(1u << 2));

		if (all == 2) {
			moved_from_gone++;
			CU_ASSERT_NOT_EQUAL(without2, 2);
		} else if (without2 != all) {
			moved_from_others++;
		}
		/* instance 2 back: exactly its sessions return to it */
		if (classify_instance(id, 0, 0, 0xfu) == 2 && without2 != 2)
			took++;
	}
	CU_ASSERT_EQUAL(moved_from_others, 0);
	CU_ASSERT_EQUAL(took, moved_from_gone);
	/* about a quarter of the sessions were instance 2's */
	CU_ASSERT(moved_from_gone > 4000 && moved_from_gone < 6000);
}

static CU_TestInfo instance_tests[] = {
	{ "live set change moves only the changed instance's sessions",
		test_live_set_change_moves_only_the_changed_instances_sessions },
	{ "no live instance gives -1", test_no_live_instance_gives_minus_one },
	{ "pick is always a live instance", test_pick_is_always_a_live_instance },
	{ "single live instance takes everything", test_single_live_instance_takes_everything },
	{ "same session gives same instance from any address",
		test_same_session_gives_same_instance_from_any_address },
	{ "connect is keyed by source address", test_connect_is_keyed_by_source_address },
	{ "sessions spread over four instances", test_sessions_spread_over_four_instances },
	{ "sessions spread over sparse live mask", test_sessions_spread_over_sparse_live_mask },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "classify table", .pTests = table_tests },
	{ .pName = "classify instance", .pTests = instance_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
