/* SPDX-License-Identifier: BSD-3-Clause */
#include "wake.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "gs_log.h"
#include "gs_wake.h"

#include "primary.h"

GS_LOG_TYPE(gs.primary.wake);

int
wake_port_configure(uint16_t port, uint16_t nrxq, uint16_t ntxq, struct rte_eth_conf *conf,
	bool want, bool *intr)
{
	int ret;

	*intr = false;
	if (want) {
		conf->intr_conf.rxq = 1;
		ret = rte_eth_dev_configure(port, nrxq, ntxq, conf);
		if (ret == 0) {
			*intr = true;
			return 0;
		}
		conf->intr_conf.rxq = 0;
	}
	return rte_eth_dev_configure(port, nrxq, ntxq, conf);
}

static struct primary *wake_primary; /* for the multi-process action */

/* A handler asks for the eventfds of the primary's lcores (in lcore index order). */
static int
serve_fds(const struct rte_mp_msg *msg, const void *peer)
{
	struct primary *p = __atomic_load_n(&wake_primary, __ATOMIC_ACQUIRE);
	struct rte_mp_msg reply;

	memset(&reply, 0, sizeof(reply));
	snprintf(reply.name, sizeof(reply.name), "%s", msg->name);
	for (unsigned int l = 0; p != NULL && l < p->n_lcores && l < RTE_MP_MAX_FD_NUM; l++)
		reply.fds[reply.num_fds++] = p->wake_efd[l];
	return rte_mp_reply(&reply, peer);
}

int
wake_init(struct primary *p)
{
	for (unsigned int l = 0; l < GS_MAX_PRIMARY_LCORES; l++)
		p->wake_efd[l] = -1;
	if (p->n_lcores > RTE_MP_MAX_FD_NUM)
		GS_LOG(WARNING, "%u lcores: handlers wake the first %d only (the others tick)",
			p->n_lcores, RTE_MP_MAX_FD_NUM);
	for (unsigned int l = 0; l < p->n_lcores; l++) {
		p->wake_efd[l] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (p->wake_efd[l] < 0) {
			GS_LOG(ERR, "eventfd: %s", strerror(errno));
			return -errno;
		}
	}
	__atomic_store_n(&wake_primary, p, __ATOMIC_RELEASE);
	if (rte_mp_action_register(GS_WAKE_MP_NAME, serve_fds) < 0 && rte_errno != EEXIST) {
		GS_LOG(ERR, "rte_mp_action_register(%s): %s", GS_WAKE_MP_NAME,
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

void
wake_fini(struct primary *p)
{
	rte_mp_action_unregister(GS_WAKE_MP_NAME);
	__atomic_store_n(&wake_primary, NULL, __ATOMIC_RELEASE);
	for (unsigned int l = 0; l < GS_MAX_PRIMARY_LCORES; l++) {
		if (p->wake_efd[l] >= 0)
			close(p->wake_efd[l]);
		p->wake_efd[l] = -1;
	}
}

static int
add_queue(struct lcore_sleep *s, uint16_t port, uint16_t q)
{
	int ret;

	if (s->n_q == LCORE_SLEEP_MAX_QUEUES)
		return -ENOSPC;
	ret = rte_eth_dev_rx_intr_ctl_q(port, q, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD, NULL);
	if (ret < 0)
		return ret;
	s->port[s->n_q] = port;
	s->queue[s->n_q++] = q;
	return 0;
}

void
lcore_sleep_init(struct primary *p, unsigned int idx, struct lcore_sleep *s)
{
	const char *why = NULL;
	int ret;

	memset(s, 0, sizeof(*s));
	s->efd = p->wake_efd[idx];
	if (p->app.cfg.proc[GS_ROLE_PRIMARY].idle != GS_IDLE_WAKE)
		return;
	for (unsigned int i = 0; i < p->n_ports && why == NULL; i++) {
		uint16_t port = p->port_ids[i];
		const struct port_state *ps = &p->port[port];
		const struct exc_port *e = &ps->exc;

		if (idx < ps->n_rxq) {
			if (!ps->rx_intr)
				why = ps->driver;
			else if ((ret = add_queue(s, port, (uint16_t)idx)) < 0)
				why = rte_strerror(-ret);
		}
		if (why == NULL && e->on) {
			if (!e->rx_intr)
				why = "the exception interface (net_tap)";
			else if ((ret = add_queue(s, e->tap, (uint16_t)idx)) < 0)
				why = rte_strerror(-ret);
		}
	}
	if (why == NULL && s->efd >= 0) {
		s->efd_ev.epdata.event = EPOLLIN;
		if (rte_epoll_ctl(RTE_EPOLL_PER_THREAD, EPOLL_CTL_ADD, s->efd, &s->efd_ev) < 0)
			why = "the reply eventfd";
	}
	if (why != NULL) {
		GS_LOG(NOTICE,
			"lcore %u (index %u): no RX interrupts (%s): idle backoff instead of wake-ups",
			rte_lcore_id(), idx, why);
		return;
	}
	s->armed = true;
	GS_LOG(NOTICE,
		"lcore %u (index %u): sleeps on RX interrupts of %u queue(s) and handler replies",
		rte_lcore_id(), idx, s->n_q);
}

bool
lcore_sleep(struct primary *p, unsigned int idx, struct lcore_sleep *s, uint64_t next,
	bool (*replies_pending)(void *), void *arg, struct gs_idle_state *idle)
{
	struct gs_lcore_wake *w = &p->ctl->lcore_wake[idx];
	struct rte_epoll_event ev[8];
	uint64_t now, hz = rte_get_timer_hz(), drained;
	bool slept = false;
	int timeout_ms;

	if (!s->armed)
		return false;
	gs_wake_announce(&w->sleeping);
	for (unsigned int q = 0; q < s->n_q; q++)
		rte_eth_dev_rx_intr_enable(s->port[q], s->queue[q]);
	now = rte_get_timer_cycles();
	if (now < next && !replies_pending(arg)) {
		int n;

		timeout_ms = (int)(((next - now) * 1000 + hz - 1) / hz);
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, RTE_DIM(ev), timeout_ms);
		if (idle != NULL)
			gs_idle_slept(idle, n > 0, (rte_get_timer_cycles() - now) * 1000000u / hz);
		slept = true;
	}
	for (unsigned int q = 0; q < s->n_q; q++)
		rte_eth_dev_rx_intr_disable(s->port[q], s->queue[q]);
	gs_wake_done(&w->sleeping);
	if (s->efd >= 0 && read(s->efd, &drained, sizeof(drained)) < 0 && errno != EAGAIN)
		GS_LOG_RL(WARNING, "eventfd read: %s", strerror(errno));
	return slept;
}
