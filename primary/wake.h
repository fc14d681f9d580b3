/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_WAKE_H
#define GS_PRIMARY_WAKE_H

/*
 * A primary lcore with nothing to do ([primary] idle = wake) sleeps until a
 * frame arrives on one of its RX queues (the port's RX interrupts, as DPDK's
 * l3fwd-power does) or a handler puts a reply in one of its rings (an
 * eventfd per lcore, handed to each handler at attach over DPDK's
 * multi-process channel), and at the latest until its next tick. A port
 * without RX interrupts leaves its lcores on the backoff sleeps (said at
 * start). gs_wake.h says why no wake-up is lost.
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_epoll.h>
#include <rte_ethdev.h>

#include "gs_idle.h"

struct primary;

#define LCORE_SLEEP_MAX_QUEUES (2 * RTE_MAX_ETHPORTS)

struct lcore_sleep {
	bool armed; /* every RX queue of the lcore interrupts, and the eventfd is watched */
	unsigned int n_q;
	uint16_t port[LCORE_SLEEP_MAX_QUEUES];
	uint16_t queue[LCORE_SLEEP_MAX_QUEUES];
	int efd;
	struct rte_epoll_event efd_ev;
};

/**
 * The configuration @p conf of a port for idle = wake: RX queue interrupts
 * when the port has them. Tries with them, then without.
 *
 * @return rte_eth_dev_configure()'s result; *@p intr says whether they are on.
 */
int wake_port_configure(uint16_t port, uint16_t nrxq, uint16_t ntxq, struct rte_eth_conf *conf,
	bool want, bool *intr);

/** Create the lcores' eventfds and serve them to handlers (main thread, before launch). */
int wake_init(struct primary *p);

/** Close them (after the lcores stopped). */
void wake_fini(struct primary *p);

/**
 * On lcore @p idx, before its loop: add its RX queues and its eventfd to the
 * thread's epoll. Logs why when it cannot (then it falls back to backoff).
 */
void lcore_sleep_init(struct primary *p, unsigned int idx, struct lcore_sleep *s);

/**
 * Sleep until RX, a handler's reply or the tick at @p next (TSC). The caller
 * has found no work in its last passes; @p replies_pending is its last look
 * at its reply rings, made after the lcore said it sleeps. How the sleep
 * ended adapts @p idle's spin (gs_idle_slept).
 *
 * @return true if it slept.
 */
bool lcore_sleep(struct primary *p, unsigned int idx, struct lcore_sleep *s, uint64_t next,
	bool (*replies_pending)(void *), void *arg, struct gs_idle_state *idle);

#endif /* GS_PRIMARY_WAKE_H */
