/* SPDX-License-Identifier: BSD-3-Clause */
#include "port.h"

#include <errno.h>
#include <numa.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "gs_log.h"
#include "gs_names.h"

#include "flow.h"
#include "primary.h"

GS_LOG_TYPE(gs.primary.port);

static void
warn_numa(uint16_t port, int socket)
{
	unsigned int lcore;

	if (socket == SOCKET_ID_ANY || numa_available() < 0 || numa_num_configured_nodes() < 2)
		return;
	RTE_LCORE_FOREACH(lcore) {
		int cpu_node = (int)rte_lcore_to_socket_id(lcore);

		if (cpu_node != socket)
			GS_LOG(WARNING,
				"port %u is on NUMA node %d but lcore %u runs on node %d: every packet crosses the interconnect",
				port, socket, lcore, cpu_node);
	}
}

/* Undo port_init() of @p port: close it (its queues and configuration go with it). */
static void
port_close(struct primary *p, uint16_t port)
{
	int ret = rte_eth_dev_close(port);

	if (ret < 0)
		GS_LOG(WARNING, "rte_eth_dev_close(%u): %s", port, rte_strerror(-ret));
	p->port[port].rx_intr = false;
}

/* Configure @p port and its queues; on failure nothing of it stays configured. */
static int
port_init(struct primary *p, uint16_t port)
{
	const struct gs_cfg *cfg = &p->app.cfg;
	struct port_state *ps = &p->port[port];
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	uint16_t nrxq, ntxq, rxd = (uint16_t)cfg->rx_desc, txd = (uint16_t)cfg->tx_desc;
	int socket = rte_eth_dev_socket_id(port);
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret < 0) {
		GS_LOG(ERR, "rte_eth_dev_info_get(%u): %s", port, rte_strerror(-ret));
		return ret;
	}
	if (info.max_tx_queues < p->n_lcores) {
		GS_LOG(ERR,
			"port %u (%s) has %u TX queues; [primary] lcore_count = %u needs one each",
			port, info.driver_name, info.max_tx_queues, p->n_lcores);
		return -EINVAL;
	}
	ntxq = (uint16_t)p->n_lcores;
	nrxq = (uint16_t)RTE_MIN(p->n_lcores, info.max_rx_queues);
	if (nrxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	} else if (nrxq > 1) {
		GS_LOG(WARNING, "port %u (%s) has no RSS: one RX queue, the other lcores only send",
			port, info.driver_name);
		nrxq = 1;
	}
	conf.rxmode.offloads |= rxts_offload(&info);
	/* the NIC's checksum verdicts: the parser then skips the sums it vouched for */
	conf.rxmode.offloads |= (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM) &
				info.rx_offload_capa;

	ret = wake_port_configure(port, nrxq, ntxq, &conf,
		cfg->proc[GS_ROLE_PRIMARY].idle == GS_IDLE_WAKE, &ps->rx_intr);
	if (ret < 0) {
		GS_LOG(ERR, "rte_eth_dev_configure(%u, %u rxq, %u txq): %s", port, nrxq, ntxq,
			rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (ret < 0) {
		GS_LOG(ERR, "rte_eth_dev_adjust_nb_rx_tx_desc(%u, %u, %u): %s", port, rxd, txd,
			rte_strerror(-ret));
		goto out_close;
	}
	for (uint16_t q = 0; q < nrxq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, rxd, (unsigned int)socket, NULL, p->pool);
		if (ret < 0) {
			GS_LOG(ERR, "rte_eth_rx_queue_setup(%u, %u): %s", port, q,
				rte_strerror(-ret));
			goto out_close;
		}
	}
	for (uint16_t q = 0; q < ntxq; q++) {
		ret = rte_eth_tx_queue_setup(port, q, txd, (unsigned int)socket, NULL);
		if (ret < 0) {
			GS_LOG(ERR, "rte_eth_tx_queue_setup(%u, %u): %s", port, q,
				rte_strerror(-ret));
			goto out_close;
		}
	}
	ret = rte_eth_macaddr_get(port, &mac);
	if (ret < 0) {
		GS_LOG(ERR, "rte_eth_macaddr_get(%u): %s", port, rte_strerror(-ret));
		goto out_close;
	}
	rxts_port_setup(&ps->rxts, port, info.driver_name, conf.rxmode.offloads);

	ps->n_rxq = nrxq;
	ps->driver = info.driver_name;
	ps->rss = conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS;
	ps->fcfg.ip = cfg->ip;
	ps->fcfg.udp_port = rte_cpu_to_be_16(cfg->udp_port);
	ps->fcfg.vlan = cfg->vlan;
	memcpy(ps->fcfg.mac, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	warn_numa(port, socket);
	GS_LOG(NOTICE,
		"port %u: %s, %u rx / %u tx queues, %u / %u descriptors, rss %s, rx checksums %s, mac " RTE_ETHER_ADDR_PRT_FMT,
		port, info.driver_name, nrxq, ntxq, rxd, txd,
		conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS ? "on" : "off",
		(conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0 ? "nic" : "software",
		RTE_ETHER_ADDR_BYTES(&mac));
	return 0;

out_close:
	port_close(p, port);
	return ret;
}

int
port_init_all(struct primary *p)
{
	uint16_t port;
	int ret;

	p->n_ports = 0;
	RTE_ETH_FOREACH_DEV(port) {
		ret = port_init(p, port);
		if (ret < 0)
			goto out_close_ports;
		p->port_ids[p->n_ports++] = port;
	}
	if (p->n_ports == 0) {
		GS_LOG(ERR, "no port: configure [eal] vdev0 (e.g. net_tap0,iface=gs0) or pci0");
		return -ENODEV;
	}
	/* after the game ports were listed: the exception interfaces are ports too */
	ret = exception_init(p);
	if (ret < 0)
		goto out_close_ports;
	return 0;

out_close_ports:
	while (p->n_ports > 0)
		port_close(p, p->port_ids[--p->n_ports]);
	return ret;
}

/* "<what>: <strerror>[: <driver's message>]" of a failed rte_flow call. */
static void
flow_why(char *buf, size_t len, const char *what, int err, const struct rte_flow_error *fe)
{
	const char *e = rte_strerror(err);
	bool more = fe->message != NULL && strcmp(fe->message, e) != 0;

	snprintf(buf, len, "%s: %s%s%s", what, e, more ? ": " : "", more ? fe->message : "");
}

/*
 * Steer the port's traffic in hardware (flow.h: game UDP by RSS over queues
 * 1..N-1, everything else to queue 0) when [net] flow_rules = auto and the
 * port takes both rules. Otherwise say once why not: RSS (when on) spreads
 * everything over the queues and every lcore classifies in software, which
 * is also what happens in between.
 */
static void
flow_apply(struct primary *p, uint16_t port)
{
	const struct gs_cfg *cfg = &p->app.cfg;
	struct port_state *ps = &p->port[port];
	const struct flow_params fp = {
		.ip = cfg->ip,
		.udp_port = cfg->udp_port,
		.vlan = cfg->vlan,
		.n_rxq = (uint16_t)ps->n_rxq,
	};
	static struct flow_rules r; /* the main lcore's, at start only */
	struct rte_flow_error fe = { 0 };
	char why[256];
	int ret;

	if (cfg->flow_rules == GS_FLOW_RULES_OFF) {
		snprintf(why, sizeof(why), "off ([net] flow_rules = off)");
		goto software;
	}
	if (fp.n_rxq < 2) {
		snprintf(why, sizeof(why), "not needed with one RX queue");
		goto software;
	}
	if (strcmp(ps->driver, "net_tap") == 0) {
		/* tap emulates rte_flow with kernel TC rules (and RSS with BPF): it
		 * validates these rules, but whether they steer was never seen
		 * working, so they are not trusted with the game's traffic */
		snprintf(why, sizeof(why), "not used on net_tap (emulated with kernel TC rules)");
		goto software;
	}
	ret = flow_build(&fp, &r);
	if (ret < 0) {
		snprintf(why, sizeof(why), "rules not built: %s", rte_strerror(-ret));
		goto software;
	}
	ret = rte_flow_validate(port, &r.game.attr, r.game.pattern, r.game.actions, &fe);
	if (ret < 0) {
		flow_why(why, sizeof(why), "game rule not valid here", -ret, &fe);
		goto software;
	}
	ret = rte_flow_validate(port, &r.ctrl.attr, r.ctrl.pattern, r.ctrl.actions, &fe);
	if (ret < 0) {
		flow_why(why, sizeof(why), "control rule not valid here", -ret, &fe);
		goto software;
	}
	ps->flow_game = rte_flow_create(port, &r.game.attr, r.game.pattern, r.game.actions, &fe);
	if (ps->flow_game == NULL) {
		flow_why(why, sizeof(why), "game rule not created", rte_errno, &fe);
		goto software;
	}
	ps->flow_ctrl = rte_flow_create(port, &r.ctrl.attr, r.ctrl.pattern, r.ctrl.actions, &fe);
	if (ps->flow_ctrl == NULL) {
		flow_why(why, sizeof(why), "control rule not created", rte_errno, &fe);
		rte_flow_destroy(port, ps->flow_game, &fe);
		ps->flow_game = NULL;
		goto software;
	}
	if (fp.n_rxq == 2)
		snprintf(why, sizeof(why), "RX queue 1");
	else
		snprintf(why, sizeof(why), "RX queues 1-%u (RSS over the 5-tuple)", fp.n_rxq - 1);
	GS_LOG(NOTICE,
		"port %u (%s): rte_flow steering: UDP to the game port %u%s -> %s, everything else -> RX queue 0",
		port, ps->driver, cfg->udp_port, cfg->vlan != 0 ? " on the VLAN" : "", why);
	return;
software:
	GS_LOG(NOTICE, "port %u (%s): rte_flow %s; steering in software (RSS %s)", port, ps->driver,
		why, ps->rss ? "on" : "off");
}

static void
flow_remove(struct primary *p, uint16_t port)
{
	struct port_state *ps = &p->port[port];
	struct rte_flow_error fe = { 0 };

	if (ps->flow_ctrl != NULL && rte_flow_destroy(port, ps->flow_ctrl, &fe) < 0)
		GS_LOG(WARNING, "rte_flow_destroy(%u, control rule): %s", port,
			fe.message != NULL ? fe.message : "failed");
	if (ps->flow_game != NULL && rte_flow_destroy(port, ps->flow_game, &fe) < 0)
		GS_LOG(WARNING, "rte_flow_destroy(%u, game rule): %s", port,
			fe.message != NULL ? fe.message : "failed");
	ps->flow_ctrl = NULL;
	ps->flow_game = NULL;
}

/* Undo the start of @p port (its steering rules, then the port); a port not started is left. */
static void
port_stop(struct primary *p, uint16_t port)
{
	int ret;

	flow_remove(p, port);
	if (!p->port[port].started)
		return;
	ret = rte_eth_dev_stop(port);
	if (ret < 0)
		GS_LOG(WARNING, "rte_eth_dev_stop(%u): %s", port, rte_strerror(-ret));
	p->port[port].started = false;
}

int
port_start_all(struct primary *p)
{
	unsigned int i;
	int ret;

	for (i = 0; i < p->n_ports; i++) {
		uint16_t port = p->port_ids[i];
		struct rte_eth_link link;

		ret = rte_eth_dev_start(port);
		if (ret < 0) {
			GS_LOG(ERR, "rte_eth_dev_start(%u): %s", port, rte_strerror(-ret));
			goto out_stop_ports;
		}
		p->port[port].started = true;
		__atomic_fetch_add(&p->ctl->ports_started, 1, __ATOMIC_RELEASE);
		if (rte_eth_link_get_nowait(port, &link) == 0)
			GS_LOG(NOTICE, "port %u started: link %s, %u Mbps", port,
				link.link_status ? "up" : "down", link.link_speed);
		flow_apply(p, port);
	}
	ret = exception_start(p);
	if (ret < 0)
		goto out_stop_ports;
	return 0;

out_stop_ports:
	while (i-- > 0)
		port_stop(p, p->port_ids[i]);
	return ret;
}

void
port_stop_all(struct primary *p)
{
	for (unsigned int i = 0; i < p->n_ports; i++) {
		port_stop(p, p->port_ids[i]);
		rte_eth_dev_close(p->port_ids[i]);
	}
	exception_stop(p);
}
