/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_SHM_H
#define GS_PRIMARY_SHM_H

/*
 * What the primary creates in hugepages for the group: the control memzone
 * (struct gs_control: the class table, handler slots, counters), the packet
 * mempool, each class's ring pairs, the session table, the used-token
 * table, the replay windows and the world; on the NUMA node of the first port.
 */

struct gs_control;
struct primary;

/*
 * Zero @p ctl and fill in what a secondary compares with its own build before
 * it attaches (magic, layout version, struct sizes) and the versions it
 * reports (DPDK, gsnet, handler SDK). The primary's run-time fields (pid,
 * lcores, config limits, cookie key, TSC rate) are left for the caller.
 * Tests that stand in for the primary stamp their header with it too, so
 * the handlers see the same header as from a real primary.
 */
void shm_ctl_stamp(struct gs_control *ctl);

/*
 * Create the group's shared memory for the config, with rings for its
 * classes and their classify table. @return 0, or a negative errno
 * (logged); what was made stays for shm_free().
 */
int shm_create(struct primary *p);
/* Free what shm_create() made; only once no handler is attached (they would fault). */
void shm_free(struct primary *p);
/* The ring pairs of class id @p c: @return 0, or -ENOMEM with those made freed again. */
int shm_class_rings_create(struct primary *p, unsigned int c);
void shm_class_rings_free(struct primary *p, unsigned int c);

#endif /* GS_PRIMARY_SHM_H */
