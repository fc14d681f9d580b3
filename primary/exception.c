/* SPDX-License-Identifier: BSD-3-Clause */
#include "exception.h"

#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "gs_log.h"
#include "gs_stats.h"

#include "primary.h"

GS_LOG_TYPE(gs.primary.exception);

#define EXC_DESC      GS_EXC_DESC /* tap RX: mbufs held per queue (one frame per read) */
#define EXC_CAS_TRIES 8		  /* bucket updates lost to other lcores before giving up */

void
exc_bucket_init(struct exc_bucket *b, uint64_t hz, uint32_t pps, uint32_t burst)
{
	/* [net] exception_pps is at least 1: this bucket always limits */
	b->rate = gs_rate_of(hz, pps > 0 ? pps : 1, burst);
	b->tat = 0;
}

bool
exc_bucket_take(struct exc_bucket *b, uint64_t now)
{
	uint64_t tat = __atomic_load_n(&b->tat, __ATOMIC_RELAXED);

	for (int i = 0; i < EXC_CAS_TRIES; i++) {
		uint64_t next;

		if (!gs_gcra_next(tat, now, &b->rate, &next))
			return false; /* the bucket is empty */
		if (__atomic_compare_exchange_n(
			    &b->tat, &tat, next, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return true;
		/* another lcore took a token: tat was reloaded, look again */
	}
	return false;
}

/* lane shares of the reserve, in quarters: LINK 1, TCP 2, UDP the rest */
static const uint32_t lane_quarters[EXC_LANE_MAX] = {
	[EXC_LANE_LINK] = 1,
	[EXC_LANE_TCP] = 2,
};

void
exc_limit_init(struct exc_limit *l, uint64_t hz, uint32_t pps, uint32_t burst, uint32_t host_pct)
{
	uint32_t rpps = (uint32_t)((uint64_t)pps * host_pct / 100);
	uint32_t rburst = (uint32_t)((uint64_t)burst * host_pct / 100);
	uint32_t left_pps = rpps, left_burst = rburst;

	memset(l, 0, sizeof(*l));
	exc_bucket_init(&l->shared, hz, pps - rpps, burst - rburst);
	for (unsigned int k = EXC_LANE_LINK; k < EXC_LANE_MAX; k++) {
		uint32_t lp = k == EXC_LANE_MAX - 1 ? left_pps : rpps * lane_quarters[k] / 4;
		uint32_t lb = k == EXC_LANE_MAX - 1 ? left_burst : rburst * lane_quarters[k] / 4;

		left_pps -= lp;
		left_burst -= lb;
		/* 0 pps: no reserve; a burst under 1 is 1 (gs_rate_of) */
		l->reserve[k].rate = gs_rate_of(hz, lp, lb);
	}
}

bool
exc_limit_take(struct exc_limit *l, enum exc_lane lane, uint64_t now)
{
	if (lane > EXC_LANE_OTHER && lane < EXC_LANE_MAX && l->reserve[lane].rate.interval != 0 &&
		exc_bucket_take(&l->reserve[lane], now))
		return true;
	return exc_bucket_take(&l->shared, now);
}

#define PORT_DNS	  53
#define PORT_DHCP_SERVER  67
#define PORT_DHCP_CLIENT  68
#define PORT_NTP	  123
#define PORT_DHCP6_CLIENT 546
#define PORT_DHCP6_SERVER 547
#define TCP_SYN		  0x02
#define TCP_RST		  0x04
#define TCP_ACK		  0x10

static inline uint16_t
be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The lane of a TCP or UDP header at @p l4 (@p len bytes to the frame's end). */
static enum exc_lane
l4_lane(uint8_t proto, const uint8_t *l4, uint32_t len, bool to_kernel, bool v6)
{
	if (proto == IPPROTO_TCP && len >= 14) {
		uint8_t flags = l4[13];

		if (to_kernel) { /* in: anything but a connection request */
			if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
				return EXC_LANE_OTHER;
			return EXC_LANE_TCP;
		}
		/* out: anything but the answers to one, SYN-ACK or reset */
		if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) || (flags & TCP_RST) != 0)
			return EXC_LANE_OTHER;
		return EXC_LANE_TCP;
	}
	if (proto == IPPROTO_UDP && len >= 8) {
		uint16_t sport = be16_at(l4), dport = be16_at(l4 + 2);
		uint16_t peer = to_kernel ? sport : dport, ours = to_kernel ? dport : sport;

		if (!v6 && peer == PORT_DHCP_SERVER && ours == PORT_DHCP_CLIENT)
			return EXC_LANE_LINK;
		if (v6 && peer == PORT_DHCP6_SERVER && ours == PORT_DHCP6_CLIENT)
			return EXC_LANE_LINK;
		if (peer == PORT_DNS || peer == PORT_NTP)
			return EXC_LANE_UDP;
	}
	return EXC_LANE_OTHER;
}

enum exc_lane
exc_lane_of(const uint8_t *frame, uint32_t len, bool to_kernel)
{
	uint32_t l2 = RTE_ETHER_HDR_LEN;
	uint16_t type;

	if (len < RTE_ETHER_HDR_LEN)
		return EXC_LANE_OTHER;
	type = be16_at(frame + 12);
	if (type == RTE_ETHER_TYPE_VLAN) {
		if (len < RTE_ETHER_HDR_LEN + 4)
			return EXC_LANE_OTHER;
		type = be16_at(frame + 16);
		l2 += 4;
	}
	if (type == RTE_ETHER_TYPE_ARP)
		return EXC_LANE_LINK;
	if (type == RTE_ETHER_TYPE_IPV4 && len >= l2 + 20) {
		const uint8_t *ip = frame + l2;
		uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;

		if ((ip[0] >> 4) != 4 || ihl < 20 || len < l2 + ihl ||
			(be16_at(ip + 6) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)
			return EXC_LANE_OTHER; /* a fragment: no L4 header to judge by */
		return l4_lane(ip[9], ip + ihl, len - l2 - ihl, to_kernel, false);
	}
	if (type == RTE_ETHER_TYPE_IPV6 && len >= l2 + 40) {
		const uint8_t *ip = frame + l2;
		uint8_t next = ip[6], hop_limit = ip[7];

		if (next == IPPROTO_ICMPV6) {
			/* router and neighbour discovery, which no router forwarded */
			if (len >= l2 + 41 && ip[40] >= 133 && ip[40] <= 137 && hop_limit == 255)
				return EXC_LANE_LINK;
			return EXC_LANE_OTHER;
		}
		return l4_lane(next, ip + 40, len - l2 - 40, to_kernel, true);
	}
	return EXC_LANE_OTHER;
}

bool
exc_wanted(
	const uint8_t *frame, uint32_t len, const struct frame_cfg *fc, const struct frame_info *fi)
{
	const struct rte_ipv4_hdr *ip;

	switch (fi->drop) {
	case GS_DROP_ETHERTYPE:	   /* IPv6, LLDP, ... */
	case GS_DROP_ARP_IGNORED:  /* replies; requests for the kernel's other addresses */
	case GS_DROP_IP_PROTO:	   /* TCP, ... to our address */
	case GS_DROP_UDP_PORT:	   /* UDP to our address, another port */
	case GS_DROP_ICMP_IGNORED: /* unreachables (path MTU), echo replies, ... */
		return true;
	case GS_DROP_IP_FRAGMENT:
		/* the header was checked up to the fragment flags: dst is there */
		if (len < fi->l2_len + sizeof(*ip))
			return false;
		ip = (const struct rte_ipv4_hdr *)(frame + fi->l2_len);
		return ip->dst_addr == fc->ip;
	case GS_DROP_IP_NOT_FOR_US:
		/* not a router: only what was sent to everyone (DHCP, IGMP, mDNS) */
		return len >= RTE_ETHER_HDR_LEN && (frame[0] & 0x01) != 0;
	default:
		return false;
	}
}

/* The kernel interface name of the i-th game port: "<name>", then "<name>_<i>". */
static int
iface_name(const char *base, unsigned int i, char *out, size_t len)
{
	int n = i == 0 ? snprintf(out, len, "%s", base) : snprintf(out, len, "%s_%u", base, i);

	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* The name of the net_tap vdev of game port @p port. */
static void
tap_vdev_name(uint16_t port, char *out, size_t len)
{
	snprintf(out, len, "net_tap_gsx%u", port);
}

/*
 * Create, configure and set up the exception interface of the i-th game
 * port @p port; on failure nothing of it stays (no vdev, no kernel interface).
 */
static int
tap_create(struct primary *p, unsigned int i, uint16_t port)
{
	const struct gs_cfg *cfg = &p->app.cfg;
	struct exc_port *e = &p->port[port].exc;
	struct rte_eth_conf conf = { 0 };
	uint16_t nq = (uint16_t)p->n_lcores, rxd = EXC_DESC, txd = EXC_DESC;
	char vname[RTE_DEV_NAME_MAX_LEN], args[128], mac[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_ether_addr addr;
	int socket = rte_eth_dev_socket_id(port);
	int ret;

	if (iface_name(cfg->exception_iface, i, e->iface, sizeof(e->iface)) < 0) {
		GS_LOG(ERR,
			"[net] exception_iface = \"%s\": the name for game port %u (\"%s_%u\") is longer than %d characters",
			cfg->exception_iface, port, cfg->exception_iface, i, GS_CFG_IFNAMSIZ - 1);
		return -ENAMETOOLONG;
	}
	if (if_nametoindex(e->iface) != 0) {
		/* never take over (or fail on) an interface the host already has */
		GS_LOG(ERR,
			"[net] exception_iface = \"%s\": the host already has an interface named %s: choose another name",
			cfg->exception_iface, e->iface);
		return -EEXIST;
	}
	tap_vdev_name(port, vname, sizeof(vname));
	/* the port's MAC: frames to the port are the kernel interface's too */
	memcpy(addr.addr_bytes, p->port[port].fcfg.mac, RTE_ETHER_ADDR_LEN);
	rte_ether_format_addr(mac, sizeof(mac), &addr);
	snprintf(args, sizeof(args), "iface=%s,mac=%s", e->iface, mac);
	ret = rte_vdev_init(vname, args);
	if (ret < 0) {
		GS_LOG(ERR,
			"rte_vdev_init(%s, %s): %s: cannot create the kernel exception interface of port %u ([net] exception_iface = \"%s\")",
			vname, args, rte_strerror(-ret), port, cfg->exception_iface);
		return ret;
	}
	ret = rte_eth_dev_get_port_by_name(vname, &e->tap);
	if (ret < 0) {
		GS_LOG(ERR, "rte_eth_dev_get_port_by_name(%s): %s", vname, rte_strerror(-ret));
		goto out_uninit;
	}
	/* one queue pair per lcore: the tap needs as many RX as TX queues, and the
	 * kernel spreads what it sends over them, so every lcore reads its own */
	ret = wake_port_configure(e->tap, nq, nq, &conf,
		cfg->proc[GS_ROLE_PRIMARY].idle == GS_IDLE_WAKE, &e->rx_intr);
	if (ret < 0) {
		GS_LOG(ERR, "rte_eth_dev_configure(%u, %u queues) of %s: %s", e->tap, nq, e->iface,
			rte_strerror(-ret));
		goto out_uninit;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(e->tap, &rxd, &txd);
	if (ret < 0) {
		GS_LOG(ERR, "rte_eth_dev_adjust_nb_rx_tx_desc(%u) of %s: %s", e->tap, e->iface,
			rte_strerror(-ret));
		goto out_close;
	}
	for (uint16_t q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(e->tap, q, rxd, (unsigned int)socket, NULL, p->pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(e->tap, q, txd, (unsigned int)socket, NULL);
		if (ret < 0) {
			GS_LOG(ERR, "queue %u of %s: %s", q, e->iface, rte_strerror(-ret));
			goto out_close;
		}
	}
	exc_limit_init(&e->to_kernel, rte_get_timer_hz(), cfg->exception_pps, cfg->exception_burst,
		cfg->exception_host_pct);
	exc_limit_init(&e->from_kernel, rte_get_timer_hz(), cfg->exception_pps,
		cfg->exception_burst, cfg->exception_host_pct);
	GS_LOG(NOTICE,
		"port %u: kernel exception interface %s (port %u, mac %s), at most %u frames/s each way, bursts of %u, %u%% of both kept for the host's ARP/ND/DHCP, TCP connections, DNS and NTP",
		port, e->iface, e->tap, mac, cfg->exception_pps, cfg->exception_burst,
		cfg->exception_host_pct);
	e->on = true; /* exception_stop() closes it */
	return 0;

out_close:
	rte_eth_dev_close(e->tap); /* the kernel interface goes with it */
	e->rx_intr = false;
out_uninit:
	rte_vdev_uninit(vname);
	return ret;
}

/* Undo tap_create() of game port @p port's interface (not started). */
static void
tap_destroy(struct primary *p, uint16_t port)
{
	struct exc_port *e = &p->port[port].exc;
	char vname[RTE_DEV_NAME_MAX_LEN];

	if (!e->on)
		return;
	rte_eth_dev_close(e->tap);
	e->rx_intr = false;
	e->on = false;
	tap_vdev_name(port, vname, sizeof(vname));
	rte_vdev_uninit(vname);
}

int
exception_init(struct primary *p)
{
	unsigned int i;
	int ret;

	if (p->app.cfg.exception_iface[0] == '\0') {
		GS_LOG(NOTICE, "kernel exception path off ([net] exception_iface is empty)");
		return 0;
	}
	for (i = 0; i < p->n_ports; i++) {
		ret = tap_create(p, i, p->port_ids[i]);
		if (ret < 0)
			goto out_destroy;
	}
	return 0;

out_destroy:
	while (i-- > 0)
		tap_destroy(p, p->port_ids[i]);
	return ret;
}

/* Stop exception interface @p e if it was started. */
static void
tap_stop(struct exc_port *e)
{
	int ret;

	if (!e->on || !e->started)
		return;
	ret = rte_eth_dev_stop(e->tap);
	if (ret < 0)
		GS_LOG(WARNING, "rte_eth_dev_stop(%u) of %s: %s", e->tap, e->iface,
			rte_strerror(-ret));
	e->started = false;
}

int
exception_start(struct primary *p)
{
	unsigned int i;
	int ret;

	for (i = 0; i < p->n_ports; i++) {
		struct exc_port *e = &p->port[p->port_ids[i]].exc;

		if (!e->on)
			continue;
		ret = rte_eth_dev_start(e->tap);
		if (ret < 0) {
			GS_LOG(ERR, "rte_eth_dev_start(%u) of exception interface %s: %s", e->tap,
				e->iface, rte_strerror(-ret));
			goto out_stop;
		}
		e->started = true;
	}
	return 0;

out_stop:
	while (i-- > 0)
		tap_stop(&p->port[p->port_ids[i]].exc);
	return ret;
}

void
exception_stop(struct primary *p)
{
	for (unsigned int i = 0; i < p->n_ports; i++) {
		struct exc_port *e = &p->port[p->port_ids[i]].exc;

		if (!e->on)
			continue;
		tap_stop(e);
		rte_eth_dev_close(e->tap); /* the kernel interface goes with it */
		e->on = false;
	}
}

bool
exception_to_kernel(struct primary *p, unsigned int lcore, struct gs_lcore_stats *st, uint16_t port,
	struct rte_mbuf *m, const struct frame_info *fi, uint64_t now)
{
	struct port_state *ps = &p->port[port];
	struct exc_port *e = &ps->exc;
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);

	if (likely(!e->on) || !exc_wanted(frame, m->data_len, &ps->fcfg, fi))
		return false;
	if (!exc_limit_take(&e->to_kernel, exc_lane_of(frame, m->data_len, true), now)) {
		gs_ctr_add(&st->drops[GS_DROP_EXCEPTION_RATE], 1);
		rte_pktmbuf_free(m);
		return true;
	}
	if (rte_eth_tx_burst(e->tap, (uint16_t)lcore, &m, 1) == 0) {
		gs_ctr_add(&st->drops[GS_DROP_EXCEPTION_FULL], 1);
		rte_pktmbuf_free(m);
		return true;
	}
	gs_ctr_add(&st->exception_rx, 1);
	return true;
}

/* The lane of a frame the kernel sends: its own connections, or its answers to others. */
static inline enum exc_lane
lane_out(const struct rte_mbuf *m)
{
	return exc_lane_of(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, false);
}

uint16_t
exception_from_kernel(struct primary *p, unsigned int lcore, struct gs_lcore_stats *st,
	uint16_t port, struct rte_mbuf **out, uint16_t max, uint64_t now, unsigned int *seen)
{
	struct exc_port *e = &p->port[port].exc;
	uint16_t n, k = 0;

	*seen = 0;
	if (likely(!e->on))
		return 0;
	n = rte_eth_rx_burst(e->tap, (uint16_t)lcore, out, max);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = out[i];

		if (m->nb_segs > 1) {
			gs_ctr_add(&st->drops[GS_DROP_FRAME_SEGMENTED], 1);
			rte_pktmbuf_free(m);
		} else if (!exc_limit_take(&e->from_kernel, lane_out(m), now)) {
			gs_ctr_add(&st->drops[GS_DROP_EXCEPTION_RATE], 1);
			rte_pktmbuf_free(m);
		} else {
			out[k++] = m;
		}
	}
	gs_ctr_add(&st->exception_tx, k);
	*seen = n;
	return k;
}
