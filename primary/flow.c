/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow.h"

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>

uint16_t
flow_ctrl_queue(uint16_t n_rxq)
{
	(void)n_rxq; /* the main lcore's queue, whatever the count */
	return 0;
}

uint16_t
flow_game_queues(uint16_t n_rxq, uint16_t *queues)
{
	uint16_t n = 0;

	if (n_rxq == 0 || n_rxq > FLOW_MAX_QUEUES)
		return 0;
	if (n_rxq == 1) {
		queues[0] = 0;
		return 1;
	}
	for (uint16_t q = 1; q < n_rxq; q++)
		queues[n++] = q;
	return n;
}

static void
item(struct rte_flow_item *it, enum rte_flow_item_type type, const void *spec, const void *mask)
{
	it->type = type;
	it->spec = spec;
	it->last = NULL;
	it->mask = mask;
}

int
flow_build(const struct flow_params *fp, struct flow_rules *out)
{
	struct flow_rule *g = &out->game, *c = &out->ctrl;
	unsigned int n = 0;

	if (fp->n_rxq == 0 || fp->n_rxq > FLOW_MAX_QUEUES || fp->ip == 0 || fp->udp_port == 0 ||
		fp->vlan > 4094)
		return -EINVAL;
	memset(out, 0, sizeof(*out));

	/* game: ETH [/ VLAN vid] / IPV4 dst / UDP dst, any source */
	g->attr.ingress = 1;
	g->attr.priority = FLOW_PRIO_GAME;
	item(&g->pattern[n++], RTE_FLOW_ITEM_TYPE_ETH, NULL, NULL);
	if (fp->vlan != 0) {
		out->vlan_spec.hdr.vlan_tci = rte_cpu_to_be_16(fp->vlan);
		out->vlan_mask.hdr.vlan_tci = RTE_BE16(0x0fff); /* the VID, any priority */
		item(&g->pattern[n++], RTE_FLOW_ITEM_TYPE_VLAN, &out->vlan_spec, &out->vlan_mask);
	}
	out->ipv4_spec.hdr.dst_addr = fp->ip;
	out->ipv4_mask.hdr.dst_addr = RTE_BE32(UINT32_MAX);
	item(&g->pattern[n++], RTE_FLOW_ITEM_TYPE_IPV4, &out->ipv4_spec, &out->ipv4_mask);
	out->udp_spec.hdr.dst_port = rte_cpu_to_be_16(fp->udp_port);
	out->udp_mask.hdr.dst_port = RTE_BE16(UINT16_MAX);
	item(&g->pattern[n++], RTE_FLOW_ITEM_TYPE_UDP, &out->udp_spec, &out->udp_mask);
	item(&g->pattern[n], RTE_FLOW_ITEM_TYPE_END, NULL, NULL);

	out->n_game_queues = flow_game_queues(fp->n_rxq, out->queues);
	if (out->n_game_queues == 1) {
		/* RSS over one queue is a QUEUE, which more devices accept */
		out->game_queue.index = out->queues[0];
		g->actions[0].type = RTE_FLOW_ACTION_TYPE_QUEUE;
		g->actions[0].conf = &out->game_queue;
	} else {
		out->rss.func = RTE_ETH_HASH_FUNCTION_DEFAULT;
		out->rss.level = 0;
		out->rss.types = FLOW_RSS_TYPES;
		out->rss.key_len = 0; /* the device's default key */
		out->rss.key = NULL;
		out->rss.queue_num = out->n_game_queues;
		out->rss.queue = out->queues;
		g->actions[0].type = RTE_FLOW_ACTION_TYPE_RSS;
		g->actions[0].conf = &out->rss;
	}
	g->actions[1].type = RTE_FLOW_ACTION_TYPE_END;

	/* control: whatever the game rule did not take */
	c->attr.ingress = 1;
	c->attr.priority = FLOW_PRIO_CTRL;
	item(&c->pattern[0], RTE_FLOW_ITEM_TYPE_ETH, NULL, NULL);
	item(&c->pattern[1], RTE_FLOW_ITEM_TYPE_END, NULL, NULL);
	out->ctrl_queue.index = flow_ctrl_queue(fp->n_rxq);
	c->actions[0].type = RTE_FLOW_ACTION_TYPE_QUEUE;
	c->actions[0].conf = &out->ctrl_queue;
	c->actions[1].type = RTE_FLOW_ACTION_TYPE_END;
	return 0;
}
