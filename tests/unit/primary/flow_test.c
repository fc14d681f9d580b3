/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"

#include "flow.h"

/* RTE_IPV4() of DPDK 22.11 shifts a signed int: undefined for a first byte >= 128 */
#define IPV4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define SERVER_IP RTE_BE32(IPV4(198, 18, 0, 2))
#define GAME_PORT 7777

static struct flow_rules rules;

static struct flow_params
params(uint16_t vlan, uint16_t n_rxq)
{
	return (struct flow_params){
		.ip = SERVER_IP,
		.udp_port = GAME_PORT,
		.vlan = vlan,
		.n_rxq = n_rxq,
	};
}

/* Build for @p vlan and @p n_rxq queues; the build must succeed. */
static void
build(uint16_t vlan, uint16_t n_rxq)
{
	const struct flow_params fp = params(vlan, n_rxq);

	CU_ASSERT_EQUAL_FATAL(flow_build(&fp, &rules), 0);
}

/* Count the items of @p r up to END (at most FLOW_MAX_ITEMS). */
static unsigned int
n_items(const struct flow_rule *r)
{
	unsigned int n = 0;

	while (n < FLOW_MAX_ITEMS && r->pattern[n].type != RTE_FLOW_ITEM_TYPE_END)
		n++;
	return n;
}

/* --- the game rule ----------------------------------------------------------------------- */

static void
test_untagged_game_rule_is_eth_ipv4_udp_end(void)
{
	build(0, 4);
	CU_ASSERT_EQUAL(rules.game.pattern[0].type, RTE_FLOW_ITEM_TYPE_ETH);
	CU_ASSERT_EQUAL(rules.game.pattern[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
	CU_ASSERT_EQUAL(rules.game.pattern[2].type, RTE_FLOW_ITEM_TYPE_UDP);
	CU_ASSERT_EQUAL(rules.game.pattern[3].type, RTE_FLOW_ITEM_TYPE_END);
	CU_ASSERT_EQUAL(n_items(&rules.game), 3);
	for (unsigned int i = 0; i < n_items(&rules.game); i++)
		CU_ASSERT_NOT_EQUAL(rules.game.pattern[i].type, RTE_FLOW_ITEM_TYPE_VLAN);
}

static void
test_tagged_game_rule_is_eth_vlan_ipv4_udp_end(void)
{
	build(100, 4);
	CU_ASSERT_EQUAL(rules.game.pattern[0].type, RTE_FLOW_ITEM_TYPE_ETH);
	CU_ASSERT_EQUAL(rules.game.pattern[1].type, RTE_FLOW_ITEM_TYPE_VLAN);
	CU_ASSERT_EQUAL(rules.game.pattern[2].type, RTE_FLOW_ITEM_TYPE_IPV4);
	CU_ASSERT_EQUAL(rules.game.pattern[3].type, RTE_FLOW_ITEM_TYPE_UDP);
	CU_ASSERT_EQUAL(rules.game.pattern[4].type, RTE_FLOW_ITEM_TYPE_END);
}

static void
test_eth_item_matches_any_ethernet_header(void)
{
	build(100, 4);
	CU_ASSERT_PTR_NULL(rules.game.pattern[0].spec);
	CU_ASSERT_PTR_NULL(rules.game.pattern[0].mask);
	CU_ASSERT_PTR_NULL(rules.game.pattern[0].last);
}

static void
test_vlan_item_matches_the_vid_in_network_order_any_priority(void)
{
	const struct rte_flow_item_vlan *spec, *mask;

	build(0x123, 4); /* VID 291: its two bytes differ */
	spec = rules.game.pattern[1].spec;
	mask = rules.game.pattern[1].mask;
	CU_ASSERT_PTR_NOT_NULL_FATAL(spec);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mask);
	CU_ASSERT_EQUAL(spec->hdr.vlan_tci, RTE_BE16(0x0123));
	CU_ASSERT_EQUAL(((const uint8_t *)&spec->hdr.vlan_tci)[0], 0x01);
	CU_ASSERT_EQUAL(((const uint8_t *)&spec->hdr.vlan_tci)[1], 0x23);
	CU_ASSERT_EQUAL(mask->hdr.vlan_tci, RTE_BE16(0x0fff)); /* PCP and DEI ignored */
	CU_ASSERT_EQUAL(mask->hdr.eth_proto, 0);
	CU_ASSERT_PTR_NULL(rules.game.pattern[1].last);
}

static void
test_ipv4_item_matches_the_server_address_only(void)
{
	const struct rte_flow_item_ipv4 *spec, *mask;

	build(0, 4);
	spec = rules.game.pattern[1].spec;
	mask = rules.game.pattern[1].mask;
	CU_ASSERT_PTR_NOT_NULL_FATAL(spec);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mask);
	CU_ASSERT_EQUAL(spec->hdr.dst_addr, SERVER_IP);
	CU_ASSERT_EQUAL(((const uint8_t *)&spec->hdr.dst_addr)[0], 198);
	CU_ASSERT_EQUAL(((const uint8_t *)&spec->hdr.dst_addr)[3], 2);
	CU_ASSERT_EQUAL(mask->hdr.dst_addr, UINT32_MAX);
	CU_ASSERT_EQUAL(mask->hdr.src_addr, 0); /* any client */
	CU_ASSERT_EQUAL(mask->hdr.next_proto_id, 0);
}

static void
test_udp_item_matches_the_game_port_in_network_order(void)
{
	const struct rte_flow_item_udp *spec, *mask;

	build(0, 4);
	spec = rules.game.pattern[2].spec;
	mask = rules.game.pattern[2].mask;
	CU_ASSERT_PTR_NOT_NULL_FATAL(spec);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mask);
	CU_ASSERT_EQUAL(spec->hdr.dst_port, RTE_BE16(GAME_PORT));
	CU_ASSERT_EQUAL(((const uint8_t *)&spec->hdr.dst_port)[0], GAME_PORT >> 8);
	CU_ASSERT_EQUAL(((const uint8_t *)&spec->hdr.dst_port)[1], GAME_PORT & 0xff);
	CU_ASSERT_EQUAL(mask->hdr.dst_port, UINT16_MAX);
	CU_ASSERT_EQUAL(mask->hdr.src_port, 0); /* any client port */
}

static void
test_game_rule_is_ingress_at_a_higher_priority_than_control(void)
{
	build(0, 4);
	CU_ASSERT_EQUAL(rules.game.attr.ingress, 1);
	CU_ASSERT_EQUAL(rules.game.attr.egress, 0);
	CU_ASSERT_EQUAL(rules.game.attr.transfer, 0);
	CU_ASSERT_EQUAL(rules.ctrl.attr.ingress, 1);
	CU_ASSERT_EQUAL(rules.game.attr.group, rules.ctrl.attr.group);
	/* rte_flow: lower value, higher priority */
	CU_ASSERT(rules.game.attr.priority < rules.ctrl.attr.priority);
}

/* --- RSS and queues ---------------------------------------------------------------------- */

static void
test_game_rule_spreads_over_queues_1_to_n_minus_1_by_udp_5_tuple(void)
{
	const struct rte_flow_action_rss *rss;

	build(0, 4);
	CU_ASSERT_EQUAL_FATAL(rules.game.actions[0].type, RTE_FLOW_ACTION_TYPE_RSS);
	CU_ASSERT_EQUAL(rules.game.actions[1].type, RTE_FLOW_ACTION_TYPE_END);
	rss = rules.game.actions[0].conf;
	CU_ASSERT_PTR_NOT_NULL_FATAL(rss);
	CU_ASSERT_EQUAL(rss->types, RTE_ETH_RSS_NONFRAG_IPV4_UDP);
	CU_ASSERT_EQUAL(rss->func, RTE_ETH_HASH_FUNCTION_DEFAULT);
	CU_ASSERT_EQUAL(rss->level, 0);
	CU_ASSERT_EQUAL(rss->key_len, 0);
	CU_ASSERT_PTR_NULL(rss->key);
	CU_ASSERT_EQUAL_FATAL(rss->queue_num, 3);
	CU_ASSERT_EQUAL(rss->queue[0], 1);
	CU_ASSERT_EQUAL(rss->queue[1], 2);
	CU_ASSERT_EQUAL(rss->queue[2], 3);
}

static void
test_rss_of_the_most_queues_leaves_out_only_queue_0(void)
{
	const struct rte_flow_action_rss *rss;

	build(0, FLOW_MAX_QUEUES);
	rss = rules.game.actions[0].conf;
	CU_ASSERT_EQUAL_FATAL(rules.game.actions[0].type, RTE_FLOW_ACTION_TYPE_RSS);
	CU_ASSERT_EQUAL_FATAL(rss->queue_num, FLOW_MAX_QUEUES - 1);
	for (unsigned int i = 0; i < rss->queue_num; i++)
		CU_ASSERT_EQUAL(rss->queue[i], i + 1);
}

static void
test_one_game_queue_is_a_queue_action(void)
{
	const struct rte_flow_action_queue *q;

	build(0, 2); /* queue 0: control, queue 1: game */
	CU_ASSERT_EQUAL_FATAL(rules.game.actions[0].type, RTE_FLOW_ACTION_TYPE_QUEUE);
	q = rules.game.actions[0].conf;
	CU_ASSERT_EQUAL(q->index, 1);
	CU_ASSERT_EQUAL(rules.game.actions[1].type, RTE_FLOW_ACTION_TYPE_END);
}

static void
test_control_queue_is_0_for_1_and_n_queues(void)
{
	CU_ASSERT_EQUAL(flow_ctrl_queue(1), 0);
	CU_ASSERT_EQUAL(flow_ctrl_queue(2), 0);
	CU_ASSERT_EQUAL(flow_ctrl_queue(FLOW_MAX_QUEUES), 0);
}

static void
test_with_one_queue_game_and_control_share_queue_0(void)
{
	const struct rte_flow_action_queue *g, *c;
	uint16_t q[FLOW_MAX_QUEUES];

	CU_ASSERT_EQUAL(flow_game_queues(1, q), 1);
	CU_ASSERT_EQUAL(q[0], 0);
	build(0, 1);
	CU_ASSERT_EQUAL_FATAL(rules.game.actions[0].type, RTE_FLOW_ACTION_TYPE_QUEUE);
	CU_ASSERT_EQUAL_FATAL(rules.ctrl.actions[0].type, RTE_FLOW_ACTION_TYPE_QUEUE);
	g = rules.game.actions[0].conf;
	c = rules.ctrl.actions[0].conf;
	CU_ASSERT_EQUAL(g->index, 0);
	CU_ASSERT_EQUAL(c->index, 0);
}

static void
test_with_n_queues_the_game_never_lands_on_the_control_queue(void)
{
	uint16_t q[FLOW_MAX_QUEUES];

	for (uint16_t n = 2; n <= FLOW_MAX_QUEUES; n++) {
		uint16_t got = flow_game_queues(n, q);

		CU_ASSERT_EQUAL(got, n - 1);
		for (uint16_t i = 0; i < got; i++)
			CU_ASSERT_NOT_EQUAL(q[i], flow_ctrl_queue(n));
	}
}

/* --- the control rule -------------------------------------------------------------------- */

static void
test_control_rule_takes_any_ethernet_frame_to_the_control_queue(void)
{
	const struct rte_flow_action_queue *c;

	build(100, 4);
	CU_ASSERT_EQUAL(rules.ctrl.pattern[0].type, RTE_FLOW_ITEM_TYPE_ETH);
	CU_ASSERT_PTR_NULL(rules.ctrl.pattern[0].spec);
	CU_ASSERT_PTR_NULL(rules.ctrl.pattern[0].mask);
	CU_ASSERT_EQUAL(rules.ctrl.pattern[1].type, RTE_FLOW_ITEM_TYPE_END);
	CU_ASSERT_EQUAL_FATAL(rules.ctrl.actions[0].type, RTE_FLOW_ACTION_TYPE_QUEUE);
	CU_ASSERT_EQUAL(rules.ctrl.actions[1].type, RTE_FLOW_ACTION_TYPE_END);
	c = rules.ctrl.actions[0].conf;
	CU_ASSERT_EQUAL(c->index, 0);
}

/* --- refused parameters ------------------------------------------------------------------ */

static void
test_bad_parameters_are_einval(void)
{
	struct flow_params fp = params(0, 0);

	CU_ASSERT_EQUAL(flow_build(&fp, &rules), -EINVAL);
	fp = params(0, FLOW_MAX_QUEUES + 1);
	CU_ASSERT_EQUAL(flow_build(&fp, &rules), -EINVAL);
	fp = params(4095, 2);
	CU_ASSERT_EQUAL(flow_build(&fp, &rules), -EINVAL);
	fp = params(0, 2);
	fp.ip = 0;
	CU_ASSERT_EQUAL(flow_build(&fp, &rules), -EINVAL);
	fp = params(0, 2);
	fp.udp_port = 0;
	CU_ASSERT_EQUAL(flow_build(&fp, &rules), -EINVAL);
	CU_ASSERT_EQUAL(flow_game_queues(0, (uint16_t[FLOW_MAX_QUEUES]){ 0 }), 0);
}

static CU_TestInfo game_tests[] = {
	{ "untagged game rule is eth / ipv4 / udp / end",
		test_untagged_game_rule_is_eth_ipv4_udp_end },
	{ "tagged game rule is eth / vlan / ipv4 / udp / end",
		test_tagged_game_rule_is_eth_vlan_ipv4_udp_end },
	{ "eth item matches any ethernet header", test_eth_item_matches_any_ethernet_header },
	{ "vlan item matches the vid in network order, any priority",
		test_vlan_item_matches_the_vid_in_network_order_any_priority },
	{ "ipv4 item matches the server address only",
		test_ipv4_item_matches_the_server_address_only },
	{ "udp item matches the game port in network order",
		test_udp_item_matches_the_game_port_in_network_order },
	{ "game rule is ingress at a higher priority than control",
		test_game_rule_is_ingress_at_a_higher_priority_than_control },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo queue_tests[] = {
	{ "game rule spreads over queues 1..n-1 by the udp 5-tuple",
		test_game_rule_spreads_over_queues_1_to_n_minus_1_by_udp_5_tuple },
	{ "rss of the most queues leaves out only queue 0",
		test_rss_of_the_most_queues_leaves_out_only_queue_0 },
	{ "one game queue is a queue action", test_one_game_queue_is_a_queue_action },
	{ "control queue is 0 for 1 and n queues", test_control_queue_is_0_for_1_and_n_queues },
	{ "with one queue game and control share queue 0",
		test_with_one_queue_game_and_control_share_queue_0 },
	{ "with n queues the game never lands on the control queue",
		test_with_n_queues_the_game_never_lands_on_the_control_queue },
	{ "control rule takes any ethernet frame to the control queue",
		test_control_rule_takes_any_ethernet_frame_to_the_control_queue },
	{ "bad parameters are -EINVAL", test_bad_parameters_are_einval },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "flow game rule", .pTests = game_tests },
	{ .pName = "flow queues and control rule", .pTests = queue_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
