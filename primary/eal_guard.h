/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_EAL_GUARD_H
#define GS_PRIMARY_EAL_GUARD_H

/*
 * The EAL's shared locks, kept free of the dead. DPDK's memory config, shared
 * by every process of the group, holds reader-writer locks with no owner: the
 * memzone lock, the tailq lock, the mempool lock and the memory hotplug lock.
 * A secondary killed while attaching (inside rte_eal_init()'s memory attach or
 * a lookup) leaves its read count behind for ever; the next writer (the
 * primary freeing its rings at stop, a secondary's rte_eal_cleanup()) then
 * waits for ever, and from the moment it waits no process can attach.
 *
 * gsnet's secondaries hold the attach guard (gs_app.h) while they attach.
 * A control thread of the primary watches the lock words; one that stays
 * held while the primary holds the guard exclusively (no secondary is
 * attaching, and the primary's own threads hold these locks for
 * microseconds) is held by a dead process: it is released, and the
 * repair logged. The same runs once more at stop, before the primary frees
 * its shared memory.
 *
 * One case needs no guard: a writer's bit (held or waiting) left by a DPDK
 * tool that takes no guard (dpdk-dumpcap reserving its ring, dpdk-proc-info
 * in rte_eal_cleanup) and was killed there. gsnet secondaries attaching
 * behind it then hold the guard while they wait, so it cannot be taken; a
 * writer's bit that stays exactly as it is for EAL_STUCK_WRITER_MS while
 * readers queue behind it is no live writer's (DPDK holds these locks for
 * microseconds to a few milliseconds), and it is cleared, the readers' count
 * kept.
 */
#define EAL_STUCK_WRITER_MS 2000
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum eal_lock {
	EAL_LOCK_MEMZONE,
	EAL_LOCK_TAILQ,
	EAL_LOCK_MEMPOOL,
	EAL_LOCK_HOTPLUG,
	EAL_LOCK_MAX
};

struct eal_guard {
	int fd;				    /* the attach guard */
	int cfg_fd;			    /* the memory config file, open while mapped */
	void *map;			    /* the group's memory config, mapped again */
	int32_t *word[EAL_LOCK_MAX];	    /* each lock's counter in it; NULL: not watched */
	char run_dir[256];		    /* for the files dead secondaries leave */
	uint64_t repairs;		    /* locks released */
	int32_t stuck_value[EAL_LOCK_MAX];  /* a writer's bit seen while the guard was busy */
	uint64_t stuck_since[EAL_LOCK_MAX]; /* since when (TSC), 0: not seen */
	uint64_t files_removed;		    /* runtime files of dead secondaries */
	pthread_t thread;
	bool thread_running;
	volatile bool stop;
};

/** The name of lock @p l ("memzone", "tailq", "mempool", "memory hotplug"). */
const char *eal_lock_name(enum eal_lock l);

/**
 * The value to store over a writer's bit that has stayed @p v for @p held_ms
 * without the guard: @p v without RTE_RWLOCK_WAIT | RTE_RWLOCK_WRITE once
 * held_ms reaches EAL_STUCK_WRITER_MS, else @p v itself. Pure.
 */
int32_t eal_lock_stuck_writer_value(int32_t v, uint64_t held_ms);

/**
 * What to do with a lock word that read @p first, then @p last after the
 * observation (the attach guard held exclusively throughout): the value to
 * replace it with, or @p last itself when it is to be left alone.
 * Pure: a word that changed, or is free, is in use by the living.
 */
int32_t eal_lock_release_value(int32_t first, int32_t last);

/**
 * Open the attach guard and find the lock words in the memory config of
 * the running EAL (the primary's, after rte_eal_init()). A word whose place
 * cannot be confirmed (another DPDK layout) is not watched, and said so.
 *
 * @return 0, or -errno when the guard or the config cannot be opened.
 */
int eal_guard_init(struct eal_guard *g, const char *prefix, const char *run_dir);

/**
 * One pass: when a watched lock is held, take the guard exclusively
 * (without waiting, or for up to @p wait_ms), watch it for a moment and
 * release what stays held; remove the files of dead secondaries.
 *
 * @return the number of locks still held by someone alive or unknown
 *         (0: every watched lock is free).
 */
int eal_guard_check(struct eal_guard *g, unsigned int wait_ms);

/** Run eal_guard_check() every quarter second on a control thread. */
int eal_guard_start(struct eal_guard *g);

/**
 * At stop, before the primary frees its shared memory: stop the thread, run a
 * last check (waiting up to 2 s for secondaries still attaching) and close
 * everything.
 *
 * @return 0 when every watched lock is free, -EBUSY when one stays held by a
 *         live or unknown process: freeing memzones and rings, or
 *         rte_eal_cleanup(), would then wait for ever.
 */
int eal_guard_stop(struct eal_guard *g);

#endif /* GS_PRIMARY_EAL_GUARD_H */
