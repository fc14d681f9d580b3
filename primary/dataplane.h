/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_DATAPLANE_H
#define GS_PRIMARY_DATAPLANE_H

/*
 * The primary lcores' loop: receive, parse, classify, check and dispatch
 * to the handlers' rings; frame and send their replies; answer ARP and
 * echo requests; hand the host's frames to the kernel (exception.h).
 */

struct primary;

/*
 * Allocate every lcore's state (on its socket) before the lcores are
 * launched, after the shared memory: @return 0, or -ENOMEM / -EINVAL (logged).
 */
int dataplane_init(struct primary *p);
void dataplane_fini(struct primary *p); /* after every lcore returned */
/*
 * One lcore's loop until p->stop (arg: struct primary *; lcore index from
 * rte_lcore_index). An lcore that cannot run sets p->stop, so that every
 * other lcore leaves its loop too, and returns a negative errno (logged).
 */
int dataplane_lcore(void *arg);

#endif /* GS_PRIMARY_DATAPLANE_H */
