/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_FLOW_H
#define GS_PRIMARY_FLOW_H

/*
 * The rte_flow rules that steer a port's traffic in hardware, built from the
 * configuration alone: no port access, no EAL, so the rules are unit-tested
 * as data. port.c validates and creates them (flow_apply) and falls back to
 * software classification where the port cannot.
 *
 * Queue plan of a port with N RX queues (RX queue q is polled by primary
 * lcore index q):
 *   - N == 1: queue 0 carries everything (game and control traffic);
 *   - N >= 2: queue 0, the main lcore's, is the control queue: ARP, ICMP,
 *     and everything for the kernel exception path; queues 1 .. N-1 carry the
 *     game's UDP, spread by RSS over the 5-tuple (one client address always
 *     hashes to one queue, so a session stays on one lcore). A flood of
 *     anything but game traffic then only fills the control queue.
 */
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_flow.h>

#include "gs_shm_types.h"

#define FLOW_MAX_ITEMS	 5 /* ETH, VLAN, IPV4, UDP, END */
#define FLOW_MAX_ACTIONS 2 /* RSS or QUEUE, END */
#define FLOW_MAX_QUEUES	 GS_MAX_PRIMARY_LCORES

/* rte_flow: a lower value is a higher priority */
#define FLOW_PRIO_GAME 0
#define FLOW_PRIO_CTRL 1

/** RSS hash types of the game rule: IPv4 addresses and UDP ports (the 5-tuple). */
#define FLOW_RSS_TYPES RTE_ETH_RSS_NONFRAG_IPV4_UDP

/** What the rules match and where they send it. */
struct flow_params {
	uint32_t ip;	   /* the server's IPv4 address, network order */
	uint16_t udp_port; /* the game port, host order */
	uint16_t vlan;	   /* VLAN id served (host order); 0: untagged */
	uint16_t n_rxq;	   /* RX queues of the port, 1 .. FLOW_MAX_QUEUES */
};

/** One rule: what rte_flow_validate() / rte_flow_create() take. */
struct flow_rule {
	struct rte_flow_attr attr;
	struct rte_flow_item pattern[FLOW_MAX_ITEMS];	  /* ends with RTE_FLOW_ITEM_TYPE_END */
	struct rte_flow_action actions[FLOW_MAX_ACTIONS]; /* ends with RTE_FLOW_ACTION_TYPE_END */
};

/**
 * The two rules of a port and the storage their items and actions point
 * into. Built in place by flow_build(): never copy a built struct (the
 * copies would point into the original).
 */
struct flow_rules {
	/* ETH [/ VLAN vid] / IPV4 dst=ip / UDP dst=port -> RSS over the game queues
	 * (QUEUE when there is only one game queue) */
	struct flow_rule game;
	/* ETH (anything else) -> QUEUE control queue, at a lower priority */
	struct flow_rule ctrl;

	struct rte_flow_item_vlan vlan_spec, vlan_mask;
	struct rte_flow_item_ipv4 ipv4_spec, ipv4_mask;
	struct rte_flow_item_udp udp_spec, udp_mask;
	struct rte_flow_action_rss rss;
	struct rte_flow_action_queue game_queue;
	struct rte_flow_action_queue ctrl_queue;
	uint16_t queues[FLOW_MAX_QUEUES]; /* the game queues */
	uint16_t n_game_queues;
};

/** The control queue of a port with @p n_rxq RX queues (0: the main lcore's). */
uint16_t flow_ctrl_queue(uint16_t n_rxq);

/**
 * The game queues of a port with @p n_rxq RX queues, written to @p queues
 * (room for FLOW_MAX_QUEUES): queue 0 alone when n_rxq is 1, else 1 .. n_rxq-1.
 *
 * @return how many, or 0 if @p n_rxq is 0 or above FLOW_MAX_QUEUES.
 */
uint16_t flow_game_queues(uint16_t n_rxq, uint16_t *queues);

/**
 * Build the game rule and the control catch-all for @p fp into @p out.
 *
 * @return 0, or -EINVAL (n_rxq out of 1 .. FLOW_MAX_QUEUES, ip 0, udp_port 0
 *         or vlan above 4094).
 */
int flow_build(const struct flow_params *fp, struct flow_rules *out);

#endif /* GS_PRIMARY_FLOW_H */
