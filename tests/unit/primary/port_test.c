/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_log.h>

#include <CUnit/CUnit.h>

#include "gs_cfg.h"
#include "gs_test.h"

#include "port.h"
#include "primary.h"

/*
 * Port setup (primary/port.c, and the exception interfaces it creates in
 * primary/exception.c) against a fake ethdev layer: every DPDK call it
 * makes is replaced with -Wl,--wrap (tests/CMakeLists.txt) by the
 * __wrap_* functions below, which keep each port's state (configured,
 * queues, started) and can make the n-th call of any of them fail. No EAL.
 *
 * Two game ports (0 and 1), two primary lcores; exception taps, when the
 * config asks for them, get port ids from TAP_BASE on.
 */
#define N_GAME	 2u
#define N_LCORES 2u
#define TAP_BASE 8u
#define MAX_DESC 512u /* what adjust_nb_rx_tx_desc lowers the config's descriptors to */

struct fake_port {
	bool exists; /* probed, not yet closed (closing releases a port) */
	bool configured;
	bool started;
	bool no_intr; /* configure refuses RX queue interrupts */
	bool no_rss;
	uint16_t max_txq;
	char name[RTE_DEV_NAME_MAX_LEN]; /* taps: the vdev's */
	char args[128];
	uint16_t nrxq, ntxq;
	struct rte_eth_conf conf;
	unsigned int configures; /* calls, failed ones included */
	unsigned int rxq, txq;	 /* queues set up */
	uint16_t rxd, txd;
	struct rte_mempool *pool;
	unsigned int closes, starts, stops;
};

static struct fake_port fp[RTE_MAX_ETHPORTS];
static unsigned int n_taps, n_vdevs;
static unsigned int flows_created, flows_destroyed;
static struct rte_flow *flow_objs[16];

/*
 * Make the nth call (1-based) of wrapped function fn, on port (any if -1),
 * and the times - 1 calls after it (0: 1), return ret.
 */
static struct {
	const char *fn;
	int port;
	unsigned int nth;
	unsigned int times;
	int ret;
	unsigned int seen;
} fail;

static struct primary p;
static struct gs_control ctl;
static struct rte_mempool *const POOL = (struct rte_mempool *)0x5000;

static bool
fails(const char *fn, uint16_t port)
{
	if (fail.fn == NULL || strcmp(fail.fn, fn) != 0 || (fail.port >= 0 && fail.port != port))
		return false;
	++fail.seen;
	return fail.seen >= fail.nth && fail.seen < fail.nth + (fail.times > 0 ? fail.times : 1);
}

static bool
valid(uint16_t port)
{
	return port < RTE_MAX_ETHPORTS && fp[port].exists;
}

/* --- the wrapped DPDK calls -------------------------------------------------------------- */

uint64_t __wrap_rte_eth_find_next_owned_by(uint16_t port_id, const uint64_t owner_id);
int __wrap_rte_eth_dev_info_get(uint16_t port_id, struct rte_eth_dev_info *info);
int __wrap_rte_eth_dev_socket_id(uint16_t port_id);
int __wrap_rte_eth_dev_configure(
	uint16_t port_id, uint16_t nb_rx_q, uint16_t nb_tx_q, const struct rte_eth_conf *conf);
int __wrap_rte_eth_dev_adjust_nb_rx_tx_desc(uint16_t port_id, uint16_t *rxd, uint16_t *txd);
int __wrap_rte_eth_rx_queue_setup(uint16_t port_id, uint16_t q, uint16_t nb_desc,
	unsigned int socket_id, const struct rte_eth_rxconf *rx_conf, struct rte_mempool *mp);
int __wrap_rte_eth_tx_queue_setup(uint16_t port_id, uint16_t q, uint16_t nb_desc,
	unsigned int socket_id, const struct rte_eth_txconf *tx_conf);
int __wrap_rte_eth_macaddr_get(uint16_t port_id, struct rte_ether_addr *mac);
int __wrap_rte_eth_dev_close(uint16_t port_id);
int __wrap_rte_eth_dev_start(uint16_t port_id);
int __wrap_rte_eth_dev_stop(uint16_t port_id);
int __wrap_rte_eth_link_get_nowait(uint16_t port_id, struct rte_eth_link *link);
int __wrap_rte_vdev_init(const char *name, const char *args);
int __wrap_rte_vdev_uninit(const char *name);
int __wrap_rte_eth_dev_get_port_by_name(const char *name, uint16_t *port_id);
int __wrap_rte_flow_validate(uint16_t port_id, const struct rte_flow_attr *attr,
	const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
	struct rte_flow_error *error);
struct rte_flow *__wrap_rte_flow_create(uint16_t port_id, const struct rte_flow_attr *attr,
	const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
	struct rte_flow_error *error);
int __wrap_rte_flow_destroy(uint16_t port_id, struct rte_flow *flow, struct rte_flow_error *error);

/* RTE_ETH_FOREACH_DEV: the game ports (the taps are created after the loop) */
uint64_t
__wrap_rte_eth_find_next_owned_by(uint16_t port_id, const uint64_t owner_id)
{
	(void)owner_id;
	for (; port_id < N_GAME; port_id++)
		if (fp[port_id].exists)
			return port_id;
	return RTE_MAX_ETHPORTS;
}

int
__wrap_rte_eth_dev_info_get(uint16_t port_id, struct rte_eth_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!valid(port_id))
		return -ENODEV;
	if (fails("rte_eth_dev_info_get", port_id))
		return fail.ret;
	info->driver_name = port_id >= TAP_BASE ? "net_tap" : "net_fake";
	info->max_rx_queues = 4;
	info->max_tx_queues = fp[port_id].max_txq;
	info->flow_type_rss_offloads =
		fp[port_id].no_rss ? 0 : RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
				RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	return 0;
}

int
__wrap_rte_eth_dev_socket_id(uint16_t port_id)
{
	(void)port_id;
	return SOCKET_ID_ANY;
}

int
__wrap_rte_eth_dev_configure(
	uint16_t port_id, uint16_t nb_rx_q, uint16_t nb_tx_q, const struct rte_eth_conf *conf)
{
	struct fake_port *f = &fp[port_id];

	if (!valid(port_id))
		return -ENODEV;
	f->configures++;
	if (fails("rte_eth_dev_configure", port_id))
		return fail.ret;
	if (conf->intr_conf.rxq && f->no_intr)
		return -ENOTSUP;
	f->configured = true;
	f->nrxq = nb_rx_q;
	f->ntxq = nb_tx_q;
	f->conf = *conf;
	f->rxq = f->txq = 0;
	return 0;
}

int
__wrap_rte_eth_dev_adjust_nb_rx_tx_desc(uint16_t port_id, uint16_t *rxd, uint16_t *txd)
{
	if (!valid(port_id) || !fp[port_id].configured)
		return -EINVAL;
	if (fails("rte_eth_dev_adjust_nb_rx_tx_desc", port_id))
		return fail.ret;
	*rxd = (uint16_t)RTE_MIN(*rxd, MAX_DESC);
	*txd = (uint16_t)RTE_MIN(*txd, MAX_DESC);
	return 0;
}

int
__wrap_rte_eth_rx_queue_setup(uint16_t port_id, uint16_t q, uint16_t nb_desc,
	unsigned int socket_id, const struct rte_eth_rxconf *rx_conf, struct rte_mempool *mp)
{
	struct fake_port *f = &fp[port_id];

	(void)socket_id;
	(void)rx_conf;
	if (!valid(port_id) || !f->configured || q >= f->nrxq)
		return -EINVAL;
	if (fails("rte_eth_rx_queue_setup", port_id))
		return fail.ret;
	f->rxq++;
	f->rxd = nb_desc;
	f->pool = mp;
	return 0;
}

int
__wrap_rte_eth_tx_queue_setup(uint16_t port_id, uint16_t q, uint16_t nb_desc,
	unsigned int socket_id, const struct rte_eth_txconf *tx_conf)
{
	struct fake_port *f = &fp[port_id];

	(void)socket_id;
	(void)tx_conf;
	if (!valid(port_id) || !f->configured || q >= f->ntxq)
		return -EINVAL;
	if (fails("rte_eth_tx_queue_setup", port_id))
		return fail.ret;
	f->txq++;
	f->txd = nb_desc;
	return 0;
}

int
__wrap_rte_eth_macaddr_get(uint16_t port_id, struct rte_ether_addr *mac)
{
	static const struct rte_ether_addr m = { { 0x02, 0, 0, 0, 0x77, 0 } };

	if (!valid(port_id))
		return -ENODEV;
	if (fails("rte_eth_macaddr_get", port_id))
		return fail.ret;
	*mac = m;
	mac->addr_bytes[5] = (uint8_t)port_id;
	return 0;
}

/* Closing releases the port (RTE_ETH_DEV_CLOSE_REMOVE): queues and configuration go. */
int
__wrap_rte_eth_dev_close(uint16_t port_id)
{
	struct fake_port *f = &fp[port_id];

	if (!valid(port_id))
		return -ENODEV;
	f->closes++;
	f->exists = false;
	f->configured = false;
	f->started = false;
	f->rxq = f->txq = 0;
	return 0;
}

int
__wrap_rte_eth_dev_start(uint16_t port_id)
{
	struct fake_port *f = &fp[port_id];

	if (!valid(port_id) || !f->configured || f->rxq != f->nrxq || f->txq != f->ntxq)
		return -EINVAL;
	if (fails("rte_eth_dev_start", port_id))
		return fail.ret;
	f->starts++;
	f->started = true;
	return 0;
}

int
__wrap_rte_eth_dev_stop(uint16_t port_id)
{
	struct fake_port *f = &fp[port_id];

	if (!valid(port_id))
		return -ENODEV;
	f->stops++;
	f->started = false;
	return 0;
}

int
__wrap_rte_eth_link_get_nowait(uint16_t port_id, struct rte_eth_link *link)
{
	if (!valid(port_id))
		return -ENODEV;
	memset(link, 0, sizeof(*link));
	return 0;
}

int
__wrap_rte_vdev_init(const char *name, const char *args)
{
	struct fake_port *f;

	if (fails("rte_vdev_init", -1))
		return fail.ret;
	CU_ASSERT_FATAL(TAP_BASE + n_taps < RTE_MAX_ETHPORTS);
	f = &fp[TAP_BASE + n_taps++];
	memset(f, 0, sizeof(*f));
	f->exists = true;
	f->max_txq = 16;
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->args, sizeof(f->args), "%s", args);
	n_vdevs++;
	return 0;
}

/* The vdev goes, and its port if it was not closed. */
int
__wrap_rte_vdev_uninit(const char *name)
{
	for (unsigned int t = 0; t < n_taps; t++) {
		struct fake_port *f = &fp[TAP_BASE + t];

		if (strcmp(f->name, name) == 0) {
			f->name[0] = '\0';
			f->exists = false;
			f->configured = false;
			n_vdevs--;
			return 0;
		}
	}
	return -ENOENT;
}

int
__wrap_rte_eth_dev_get_port_by_name(const char *name, uint16_t *port_id)
{
	if (fails("rte_eth_dev_get_port_by_name", -1))
		return fail.ret;
	for (unsigned int t = 0; t < n_taps; t++)
		if (fp[TAP_BASE + t].exists && strcmp(fp[TAP_BASE + t].name, name) == 0) {
			*port_id = (uint16_t)(TAP_BASE + t);
			return 0;
		}
	return -ENODEV;
}

int
__wrap_rte_flow_validate(uint16_t port_id, const struct rte_flow_attr *attr,
	const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
	struct rte_flow_error *error)
{
	(void)attr;
	(void)pattern;
	(void)actions;
	(void)error;
	return valid(port_id) && fp[port_id].started ? 0 : -EINVAL;
}

struct rte_flow *
__wrap_rte_flow_create(uint16_t port_id, const struct rte_flow_attr *attr,
	const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
	struct rte_flow_error *error)
{
	(void)port_id;
	(void)attr;
	(void)pattern;
	(void)actions;
	(void)error;
	CU_ASSERT_FATAL(flows_created < RTE_DIM(flow_objs));
	return (struct rte_flow *)&flow_objs[flows_created++];
}

int
__wrap_rte_flow_destroy(uint16_t port_id, struct rte_flow *flow, struct rte_flow_error *error)
{
	(void)port_id;
	(void)flow;
	(void)error;
	flows_destroyed++;
	return 0;
}

/* --- fixtures ---------------------------------------------------------------------------- */

/* Two probed game ports, the default config with idle = wake and no exception path. */
static void
setup(void)
{
	memset(fp, 0, sizeof(fp));
	memset(&fail, 0, sizeof(fail));
	n_taps = n_vdevs = 0;
	flows_created = flows_destroyed = 0;
	for (unsigned int i = 0; i < N_GAME; i++) {
		fp[i].exists = true;
		fp[i].max_txq = 8;
	}
	memset(&p, 0, sizeof(p));
	memset(&ctl, 0, sizeof(ctl));
	gs_cfg_defaults(&p.app.cfg);
	p.app.cfg.proc[GS_ROLE_PRIMARY].idle = GS_IDLE_WAKE;
	p.app.cfg.exception_iface[0] = '\0';
	p.ctl = &ctl;
	p.pool = POOL;
	p.n_lcores = N_LCORES;
}

static void
with_exception_path(void)
{
	snprintf(p.app.cfg.exception_iface, sizeof(p.app.cfg.exception_iface), "gsut%u",
		(unsigned int)getpid() % 1000);
}

/* After a failed port_init_all(): no port configured or started, no vdev left, none listed. */
static void
assert_nothing_built(void)
{
	for (unsigned int port = 0; port < RTE_MAX_ETHPORTS; port++) {
		CU_ASSERT_FALSE(fp[port].configured);
		CU_ASSERT_FALSE(fp[port].started);
		CU_ASSERT_FALSE(p.port[port].rx_intr);
		CU_ASSERT_FALSE(p.port[port].exc.on);
		CU_ASSERT_FALSE(p.port[port].exc.rx_intr); /* its tap's */
	}
	CU_ASSERT_EQUAL(n_vdevs, 0);
	CU_ASSERT_EQUAL(p.n_ports, 0);
}

/* --- port_init_all ----------------------------------------------------------------------- */

static void
test_every_port_is_configured_as_the_config_says(void)
{
	const struct gs_cfg *cfg = &p.app.cfg;

	setup();
	CU_ASSERT_EQUAL_FATAL(port_init_all(&p), 0);
	CU_ASSERT_EQUAL(p.n_ports, N_GAME);
	for (uint16_t port = 0; port < N_GAME; port++) {
		const struct fake_port *f = &fp[port];

		CU_ASSERT_EQUAL(p.port_ids[port], port);
		CU_ASSERT_TRUE(f->configured);
		CU_ASSERT_FALSE(f->started); /* port_start_all()'s */
		/* a queue pair per lcore, RSS over the RX queues */
		CU_ASSERT_EQUAL(f->nrxq, N_LCORES);
		CU_ASSERT_EQUAL(f->ntxq, N_LCORES);
		CU_ASSERT_EQUAL(f->rxq, N_LCORES);
		CU_ASSERT_EQUAL(f->txq, N_LCORES);
		CU_ASSERT_EQUAL(f->conf.rxmode.mq_mode, RTE_ETH_MQ_RX_RSS);
		CU_ASSERT_EQUAL(
			f->conf.rx_adv_conf.rss_conf.rss_hf, RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
		CU_ASSERT_TRUE(p.port[port].rss);
		/* the NIC's checksum verdicts, and nothing the parser does not use */
		CU_ASSERT_EQUAL(f->conf.rxmode.offloads,
			RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
		/* idle = wake: RX queue interrupts */
		CU_ASSERT_EQUAL(f->conf.intr_conf.rxq, 1);
		CU_ASSERT_TRUE(p.port[port].rx_intr);
		/* descriptors as [primary] asks, as far as the port takes them; the mbufs' pool */
		CU_ASSERT_EQUAL(f->rxd, RTE_MIN(cfg->rx_desc, MAX_DESC));
		CU_ASSERT_EQUAL(f->txd, RTE_MIN(cfg->tx_desc, MAX_DESC));
		CU_ASSERT_PTR_EQUAL(f->pool, POOL);
		/* what the data path frames replies with */
		CU_ASSERT_EQUAL(p.port[port].n_rxq, N_LCORES);
		CU_ASSERT_STRING_EQUAL(p.port[port].driver, "net_fake");
		CU_ASSERT_EQUAL(p.port[port].fcfg.ip, cfg->ip);
		CU_ASSERT_EQUAL(p.port[port].fcfg.udp_port, rte_cpu_to_be_16(cfg->udp_port));
		CU_ASSERT_EQUAL(p.port[port].fcfg.vlan, cfg->vlan);
		CU_ASSERT_EQUAL(p.port[port].fcfg.mac[4], 0x77);
		CU_ASSERT_EQUAL(p.port[port].fcfg.mac[5], port);
	}
	CU_ASSERT_EQUAL(n_vdevs, 0); /* no exception path configured */
}

/* A port without RX interrupts is configured without them (its lcores back off instead). */
static void
test_a_port_without_rx_interrupts_is_configured_without(void)
{
	setup();
	fp[1].no_intr = true;
	CU_ASSERT_EQUAL_FATAL(port_init_all(&p), 0);
	CU_ASSERT_TRUE(p.port[0].rx_intr);
	CU_ASSERT_FALSE(p.port[1].rx_intr);
	CU_ASSERT_EQUAL(fp[1].configures, 2); /* with, then without */
	CU_ASSERT_EQUAL(fp[1].conf.intr_conf.rxq, 0);
	CU_ASSERT_TRUE(fp[1].configured);
	/* idle = poll never asks for them */
	setup();
	p.app.cfg.proc[GS_ROLE_PRIMARY].idle = GS_IDLE_POLL;
	CU_ASSERT_EQUAL_FATAL(port_init_all(&p), 0);
	CU_ASSERT_EQUAL(fp[0].configures, 1);
	CU_ASSERT_EQUAL(fp[0].conf.intr_conf.rxq, 0);
	CU_ASSERT_FALSE(p.port[0].rx_intr);
}

static void
test_a_port_without_rss_gets_one_rx_queue(void)
{
	setup();
	fp[0].no_rss = true;
	CU_ASSERT_EQUAL_FATAL(port_init_all(&p), 0);
	CU_ASSERT_EQUAL(fp[0].nrxq, 1);
	CU_ASSERT_EQUAL(fp[0].rxq, 1);
	CU_ASSERT_EQUAL(fp[0].ntxq, N_LCORES); /* every lcore still sends */
	CU_ASSERT_EQUAL(fp[0].conf.rxmode.mq_mode, RTE_ETH_MQ_RX_NONE);
	CU_ASSERT_FALSE(p.port[0].rss);
	CU_ASSERT_EQUAL(p.port[0].n_rxq, 1);
	CU_ASSERT_EQUAL(fp[1].nrxq, N_LCORES);
}

static void
test_no_port_is_enodev(void)
{
	setup();
	for (unsigned int i = 0; i < N_GAME; i++)
		fp[i].exists = false;
	CU_ASSERT_EQUAL(port_init_all(&p), -ENODEV);
	assert_nothing_built();
}

/* The second port has too few TX queues: refused, and the first is closed again. */
static void
test_too_few_tx_queues_is_einval_and_closes_the_ports_before(void)
{
	setup();
	fp[1].max_txq = N_LCORES - 1;
	CU_ASSERT_EQUAL(port_init_all(&p), -EINVAL);
	assert_nothing_built();
	CU_ASSERT_EQUAL(fp[0].closes, 1);
	CU_ASSERT_EQUAL(fp[1].configures, 0); /* refused before anything was set */
	CU_ASSERT_EQUAL(fp[1].closes, 0);
}

static void
test_the_exception_interfaces_are_created_after_the_game_ports(void)
{
	char want[128];

	setup();
	with_exception_path();
	CU_ASSERT_EQUAL_FATAL(port_init_all(&p), 0);
	CU_ASSERT_EQUAL(n_vdevs, N_GAME);
	for (uint16_t port = 0; port < N_GAME; port++) {
		const struct exc_port *e = &p.port[port].exc;
		const struct fake_port *t;

		CU_ASSERT_TRUE_FATAL(e->on);
		CU_ASSERT_EQUAL_FATAL(e->tap, TAP_BASE + port);
		t = &fp[e->tap];
		snprintf(want, sizeof(want), "net_tap_gsx%u", port);
		CU_ASSERT_STRING_EQUAL(t->name, want);
		/* "<name>" for the first port, "<name>_1" ...; the game port's MAC */
		if (port == 0)
			snprintf(want, sizeof(want), "iface=%s,mac=02:00:00:00:77:00",
				p.app.cfg.exception_iface);
		else
			snprintf(want, sizeof(want), "iface=%s_%u,mac=02:00:00:00:77:%02X",
				p.app.cfg.exception_iface, port, port);
		CU_ASSERT_STRING_EQUAL(t->args, want);
		CU_ASSERT_TRUE(t->configured);
		CU_ASSERT_EQUAL(t->nrxq, N_LCORES);
		CU_ASSERT_EQUAL(t->ntxq, N_LCORES);
		CU_ASSERT_EQUAL(t->rxq, N_LCORES);
		CU_ASSERT_EQUAL(t->txq, N_LCORES);
		CU_ASSERT_PTR_EQUAL(t->pool, POOL);
		CU_ASSERT_TRUE(e->rx_intr);
	}
}

/*
 * Every call port_init_all() makes, failing in turn (on the first port, on
 * the second, on an exception interface): port_init_all() returns that
 * call's error, and nothing it built is left: every port it configured is
 * closed, every vdev it created removed, no port listed.
 */
static void
test_any_failing_call_fails_the_setup_and_undoes_it(void)
{
	static const struct {
		const char *fn;
		int port;
		unsigned int nth;
		bool exception_path;
		unsigned int times;
	} cases[] = {
		{ "rte_eth_dev_info_get", 0, 1, false, 1 },
		{ "rte_eth_dev_info_get", 1, 1, false, 1 },
		/* with RX interrupts, then without */
		{ "rte_eth_dev_configure", 0, 1, false, 2 },
		{ "rte_eth_dev_configure", 1, 1, false, 2 },
		{ "rte_eth_dev_adjust_nb_rx_tx_desc", 0, 1, false, 1 },
		{ "rte_eth_dev_adjust_nb_rx_tx_desc", 1, 1, false, 1 },
		{ "rte_eth_rx_queue_setup", 0, 2, false, 1 },
		{ "rte_eth_rx_queue_setup", 1, 1, false, 1 },
		{ "rte_eth_tx_queue_setup", 0, 1, false, 1 },
		{ "rte_eth_tx_queue_setup", 1, 2, false, 1 },
		{ "rte_eth_macaddr_get", 0, 1, false, 1 },
		{ "rte_eth_macaddr_get", 1, 1, false, 1 },
		{ "rte_vdev_init", -1, 1, true, 1 },
		{ "rte_vdev_init", -1, 2, true, 1 },
		{ "rte_eth_dev_get_port_by_name", -1, 2, true, 1 },
		{ "rte_eth_dev_configure", TAP_BASE + 1, 1, true, 2 },
		{ "rte_eth_dev_adjust_nb_rx_tx_desc", TAP_BASE, 1, true, 1 },
		{ "rte_eth_rx_queue_setup", TAP_BASE + 1, 2, true, 1 },
		{ "rte_eth_tx_queue_setup", TAP_BASE, 1, true, 1 },
	};

	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		int ret;

		setup();
		if (cases[i].exception_path)
			with_exception_path();
		fail.fn = cases[i].fn;
		fail.port = cases[i].port;
		fail.nth = cases[i].nth;
		fail.times = cases[i].times;
		fail.ret = -(int)(100 + i); /* an error of its own */
		ret = port_init_all(&p);
		if (ret != fail.ret || fail.seen < fail.nth)
			fprintf(stderr, "\n    case %u: %s (port %d, call %u): returned %d\n", i,
				cases[i].fn, cases[i].port, cases[i].nth, ret);
		CU_ASSERT(fail.seen >= cases[i].nth); /* it was reached */
		CU_ASSERT_EQUAL(ret, fail.ret);
		assert_nothing_built();
	}
}

/* --- port_start_all, port_stop_all ------------------------------------------------------- */

/* Ports set up by port_init_all(), exception interfaces included. */
static void
setup_ready(void)
{
	setup();
	with_exception_path();
	CU_ASSERT_EQUAL_FATAL(port_init_all(&p), 0);
}

static void
test_start_starts_every_port_its_steering_and_interfaces(void)
{
	setup_ready();
	CU_ASSERT_EQUAL_FATAL(port_start_all(&p), 0);
	for (uint16_t port = 0; port < N_GAME; port++) {
		CU_ASSERT_TRUE(fp[port].started);
		CU_ASSERT_TRUE(p.port[port].started);
		/* two RX queues, not a tap: the rte_flow rules (game, control) */
		CU_ASSERT_PTR_NOT_NULL(p.port[port].flow_game);
		CU_ASSERT_PTR_NOT_NULL(p.port[port].flow_ctrl);
		CU_ASSERT_TRUE(fp[p.port[port].exc.tap].started);
		CU_ASSERT_TRUE(p.port[port].exc.started);
	}
	CU_ASSERT_EQUAL(ctl.ports_started, N_GAME);
	CU_ASSERT_EQUAL(flows_created, 2 * N_GAME);
}

/* The second port does not start: the first is stopped again, its steering removed. */
static void
test_a_port_that_does_not_start_stops_those_started(void)
{
	setup_ready();
	fail.fn = "rte_eth_dev_start";
	fail.port = 1;
	fail.nth = 1;
	fail.ret = -EIO;
	CU_ASSERT_EQUAL(port_start_all(&p), -EIO);
	for (uint16_t port = 0; port < N_GAME; port++) {
		CU_ASSERT_FALSE(fp[port].started);
		CU_ASSERT_FALSE(p.port[port].started);
		CU_ASSERT_PTR_NULL(p.port[port].flow_game);
		CU_ASSERT_PTR_NULL(p.port[port].flow_ctrl);
		CU_ASSERT_TRUE(fp[port].configured); /* closed by port_stop_all() */
		CU_ASSERT_FALSE(fp[p.port[port].exc.tap].started);
	}
	CU_ASSERT_EQUAL(fp[0].stops, 1);
	CU_ASSERT_EQUAL(flows_destroyed, flows_created);
}

/* An exception interface that does not start: the one before and every game port stopped. */
static void
test_an_interface_that_does_not_start_stops_everything_started(void)
{
	setup_ready();
	fail.fn = "rte_eth_dev_start";
	fail.port = TAP_BASE + 1;
	fail.nth = 1;
	fail.ret = -EIO;
	CU_ASSERT_EQUAL(port_start_all(&p), -EIO);
	for (uint16_t port = 0; port < N_GAME; port++) {
		const struct exc_port *e = &p.port[port].exc;

		CU_ASSERT_FALSE(fp[port].started);
		CU_ASSERT_FALSE(p.port[port].started);
		CU_ASSERT_FALSE(fp[e->tap].started);
		CU_ASSERT_FALSE(e->started);
		CU_ASSERT_TRUE(e->on); /* still there: port_stop_all() closes it */
	}
	CU_ASSERT_EQUAL(fp[TAP_BASE].stops, 1);
	CU_ASSERT_EQUAL(flows_destroyed, flows_created);
	/* the stop after the failure closes what is left, once */
	port_stop_all(&p);
	for (uint16_t port = 0; port < N_GAME; port++) {
		CU_ASSERT_EQUAL(fp[port].closes, 1);
		CU_ASSERT_EQUAL(fp[TAP_BASE + port].closes, 1);
		CU_ASSERT_EQUAL(fp[port].stops, 1); /* by the failed start, not again */
	}
}

static void
test_stop_stops_and_closes_every_port_and_interface(void)
{
	setup_ready();
	CU_ASSERT_EQUAL_FATAL(port_start_all(&p), 0);
	port_stop_all(&p);
	for (uint16_t port = 0; port < N_GAME; port++) {
		const struct exc_port *e = &p.port[port].exc;

		CU_ASSERT_EQUAL(fp[port].stops, 1);
		CU_ASSERT_EQUAL(fp[port].closes, 1);
		CU_ASSERT_FALSE(fp[port].exists);
		CU_ASSERT_FALSE(p.port[port].started);
		CU_ASSERT_EQUAL(fp[e->tap].stops, 1);
		CU_ASSERT_EQUAL(fp[e->tap].closes, 1);
		CU_ASSERT_FALSE(e->on);
		CU_ASSERT_FALSE(e->started);
	}
	CU_ASSERT_EQUAL(flows_destroyed, 2 * N_GAME);
}

static CU_TestInfo init_tests[] = {
	{ "every port is configured as the config says",
		test_every_port_is_configured_as_the_config_says },
	{ "a port without rx interrupts is configured without",
		test_a_port_without_rx_interrupts_is_configured_without },
	{ "a port without rss gets one rx queue", test_a_port_without_rss_gets_one_rx_queue },
	{ "no port is -ENODEV", test_no_port_is_enodev },
	{ "too few tx queues is -EINVAL and closes the ports before",
		test_too_few_tx_queues_is_einval_and_closes_the_ports_before },
	{ "the exception interfaces are created after the game ports",
		test_the_exception_interfaces_are_created_after_the_game_ports },
	{ "any failing call fails the setup and undoes it",
		test_any_failing_call_fails_the_setup_and_undoes_it },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo start_tests[] = {
	{ "start starts every port, its steering and interfaces",
		test_start_starts_every_port_its_steering_and_interfaces },
	{ "a port that does not start stops those started",
		test_a_port_that_does_not_start_stops_those_started },
	{ "an interface that does not start stops everything started",
		test_an_interface_that_does_not_start_stops_everything_started },
	{ "stop stops and closes every port and interface",
		test_stop_stops_and_closes_every_port_and_interface },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "port setup", .pTests = init_tests },
	{ .pName = "port start and stop", .pTests = start_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	/* the errors each failure logs stay: they are part of what is tested (by eye) */
	rte_log_set_global_level(RTE_LOG_ERR);
	return gs_test_run(suites);
}
