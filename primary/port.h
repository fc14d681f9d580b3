/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_PORT_H
#define GS_PRIMARY_PORT_H

/*
 * The game ports: every ethdev port the EAL probed, configured with one TX
 * queue per primary lcore and as many RX queues (RSS) as the port allows,
 * RX interrupts for idle = wake, hardware steering (flow.h) where it
 * works, and each port's kernel exception interface (exception.h). Their
 * state is struct primary's port[] (primary.h).
 */

struct primary;

/*
 * Configure every ethdev port ([primary] lcore_count queues, RSS, RX
 * interrupts for idle = wake) and their kernel exception interfaces.
 * @return 0, -ENODEV (no port), or the failing call's negative errno
 * (logged); on failure every port it configured is closed again and
 * p->n_ports is 0.
 */
int port_init_all(struct primary *p);
/*
 * Start the ports, their rte_flow steering and exception interfaces.
 * @return 0, or the failing call's negative errno (logged); on failure what
 * it started is stopped again (the ports stay configured: port_stop_all()).
 */
int port_start_all(struct primary *p);
/* Stop and close every port and its exception interface (after the handlers left). */
void port_stop_all(struct primary *p);

#endif /* GS_PRIMARY_PORT_H */
