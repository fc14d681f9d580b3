/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_CLIENT_SIM_H
#define GS_CLIENT_SIM_H

#include "client.h"

/**
 * Play the whole run on @p c (set up by main()): every player connects,
 * plays for the duration and disconnects, or gives up, driven by one epoll
 * loop and the players' timers; then linger up to 200 ms for the answers
 * still in flight. Returns early (after saying goodbye) once *c->stop is
 * set, and at the hard deadline.
 */
void sim_run(struct client *c);

#endif /* GS_CLIENT_SIM_H */
