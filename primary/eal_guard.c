/* SPDX-License-Identifier: BSD-3-Clause */
#include "eal_guard.h"

#include <sys/file.h>
#include <sys/mman.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_lcore.h>
#include <rte_memzone.h>
#include <rte_rwlock.h>

#include "gs_app.h"
#include "gs_log.h"

GS_LOG_TYPE(gs.primary.eal_guard);

#define CHECK_PERIOD_US 250000
#define WATCH_SAMPLES	10     /* a held word is watched this many times ... */
#define WATCH_GAP_US	100000 /* ... this far apart (1 s in all), the guard held exclusively */
#define CONFIG_MAP_LEN	4096

/*
 * Where DPDK 22.11's struct rte_mem_config (lib/eal/common/eal_memcfg.h, not
 * installed) keeps the locks: magic, version, nchannel, nrank, then mlock,
 * qlock, mplock, the timer spinlock, memory_hotplug_lock. Each place is confirmed
 * at start by taking the lock through DPDK and seeing the word move (and
 * searched for when it is not there).
 */
static const size_t lock_offset[EAL_LOCK_MAX] = {
	[EAL_LOCK_MEMZONE] = 16,
	[EAL_LOCK_TAILQ] = 20,
	[EAL_LOCK_MEMPOOL] = 24,
	[EAL_LOCK_HOTPLUG] = 32,
};

static const char *const lock_names[EAL_LOCK_MAX] = {
	[EAL_LOCK_MEMZONE] = "memzone",
	[EAL_LOCK_TAILQ] = "tailq",
	[EAL_LOCK_MEMPOOL] = "mempool",
	[EAL_LOCK_HOTPLUG] = "memory hotplug",
};

const char *
eal_lock_name(enum eal_lock l)
{
	return (unsigned int)l < EAL_LOCK_MAX ? lock_names[l] : "?";
}

int32_t
eal_lock_release_value(int32_t first, int32_t last)
{
	if (first != last || last == 0)
		return last;
	return 0;
}

int32_t
eal_lock_stuck_writer_value(int32_t v, uint64_t held_ms)
{
	if ((v & RTE_RWLOCK_MASK) == 0 || held_ms < EAL_STUCK_WRITER_MS)
		return v;
	return v & ~RTE_RWLOCK_MASK;
}

static int32_t
word_load(const int32_t *w)
{
	return __atomic_load_n(w, __ATOMIC_ACQUIRE);
}

/* rte_memzone_walk() calls back with the memzone lock held for reading. */
struct walk_probe {
	const int32_t *word;
	int32_t seen;
	bool done;
};

static void
memzone_probe(const struct rte_memzone *mz, void *arg)
{
	struct walk_probe *w = arg;

	(void)mz;
	if (!w->done)
		w->seen = word_load(w->word);
	w->done = true;
}

/* The word while this thread holds lock @p l for reading, or INT32_MIN. */
static int32_t
word_while_held(enum eal_lock l, const int32_t *w)
{
	struct walk_probe probe = { .word = w };
	int32_t v;

	switch (l) {
	case EAL_LOCK_MEMZONE:
		rte_memzone_walk(memzone_probe, &probe);
		return probe.done ? probe.seen : INT32_MIN;
	case EAL_LOCK_TAILQ:
		rte_mcfg_tailq_read_lock();
		v = word_load(w);
		rte_mcfg_tailq_read_unlock();
		return v;
	case EAL_LOCK_MEMPOOL:
		rte_mcfg_mempool_read_lock();
		v = word_load(w);
		rte_mcfg_mempool_read_unlock();
		return v;
	case EAL_LOCK_HOTPLUG:
		rte_mcfg_mem_read_lock();
		v = word_load(w);
		rte_mcfg_mem_read_unlock();
		return v;
	default:
		return INT32_MIN;
	}
}

/* Whether the word at lock @p l's place moves by one reader when DPDK takes it. */
static bool
confirm_place(enum eal_lock l, const int32_t *w)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		int32_t before = word_load(w), held = word_while_held(l, w);

		if (held - before == RTE_RWLOCK_READ && word_load(w) == before)
			return true;
		usleep(1000); /* another process took it meanwhile: again */
	}
	return false;
}

int
eal_guard_init(struct eal_guard *g, const char *prefix, const char *run_dir)
{
	char path[PATH_MAX];
	int fd;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	g->cfg_fd = -1;
	snprintf(g->run_dir, sizeof(g->run_dir), "%s", run_dir);
	g->fd = gs_attach_guard_open(prefix, path, sizeof(path));
	if (g->fd < 0) {
		GS_LOG(ERR, "cannot open the attach guard %s: %s", path, strerror(-g->fd));
		return g->fd;
	}
	snprintf(path, sizeof(path), "%s/config", run_dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		GS_LOG(ERR, "cannot open the EAL's memory config %s: %s", path, strerror(errno));
		return -errno;
	}
	/* kept open until the primary stops: closing any descriptor of the file would
	 * drop the primary's fcntl() lock on it, by which secondaries know it runs */
	g->cfg_fd = fd;
	g->map = mmap(NULL, CONFIG_MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		GS_LOG(ERR, "cannot map %s: %s", path, strerror(errno));
		return -ENOMEM;
	}
	if (*(const uint32_t *)g->map != RTE_MAGIC) {
		GS_LOG(WARNING, "%s does not start with DPDK's magic: EAL locks not watched", path);
		return 0;
	}
	for (unsigned int l = 0; l < EAL_LOCK_MAX; l++) {
		int32_t *w = (int32_t *)((char *)g->map + lock_offset[l]);

		if (confirm_place(l, w)) {
			g->word[l] = w;
			continue;
		}
		/* a build with another layout: the one word that moves */
		for (size_t off = 8; off < 256 && g->word[l] == NULL; off += 4) {
			w = (int32_t *)((char *)g->map + off);
			if (confirm_place(l, w)) {
				g->word[l] = w;
				GS_LOG(NOTICE,
					"the EAL's %s lock is at offset %zu of the memory config",
					lock_names[l], off);
			}
		}
		if (g->word[l] == NULL)
			GS_LOG(WARNING,
				"the EAL's %s lock is not where DPDK 22.11 keeps it: not watched (a secondary killed while attaching may block the next ones)",
				lock_names[l]);
	}
	return 0;
}

/* "mp_socket_PID_x" or "fbarray_NAME_PID" of a process that is gone: its pid, else 0. */
static pid_t
dead_owner(const char *name)
{
	const char *digits = NULL, *us;
	char *end;
	long pid;

	if (strncmp(name, "mp_socket_", 10) == 0)
		digits = name + 10;
	else if (strncmp(name, "fbarray_", 8) == 0 && (us = strrchr(name, '_')) != NULL)
		digits = us + 1;
	if (digits == NULL || *digits < '1' || *digits > '9')
		return 0;
	pid = strtol(digits, &end, 10);
	if (pid <= 0 || pid > INT32_MAX || (*end != '\0' && *end != '_'))
		return 0;
	if (pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
		return 0;
	return (pid_t)pid;
}

/* The socket and memseg list files of secondaries that died without rte_eal_cleanup(). */
static void
remove_dead_files(struct eal_guard *g)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(g->run_dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (dead_owner(e->d_name) == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", g->run_dir, e->d_name) >=
			(int)sizeof(path))
			continue;
		if (unlink(path) == 0)
			g->files_removed++;
	}
	closedir(d);
}

/*
 * Without the guard: a writer's bit that has not moved for EAL_STUCK_WRITER_MS
 * (readers queue behind it, holding the guard) belongs to no live writer.
 */
static void
stuck_writers(struct eal_guard *g)
{
	uint64_t now = rte_get_timer_cycles(), hz = rte_get_timer_hz();

	for (unsigned int l = 0; l < EAL_LOCK_MAX; l++) {
		int32_t v, want;

		if (g->word[l] == NULL)
			continue;
		v = word_load(g->word[l]);
		if ((v & RTE_RWLOCK_MASK) == 0 || v != g->stuck_value[l] ||
			g->stuck_since[l] == 0) {
			g->stuck_value[l] = v;
			g->stuck_since[l] = (v & RTE_RWLOCK_MASK) != 0 ? now : 0;
			continue;
		}
		want = eal_lock_stuck_writer_value(v, (now - g->stuck_since[l]) * 1000 / hz);
		if (want != v && __atomic_compare_exchange_n(g->word[l], &v, want, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			g->repairs++;
			g->stuck_since[l] = 0;
			GS_LOG(WARNING,
				"the EAL's %s lock kept a writer's bit (%#" PRIx32
				") for %d ms with readers waiting: a tool killed while it wrote or left; cleared",
				lock_names[l], (uint32_t)v, EAL_STUCK_WRITER_MS);
		}
	}
}

int
eal_guard_check(struct eal_guard *g, unsigned int wait_ms)
{
	int32_t first[EAL_LOCK_MAX], last[EAL_LOCK_MAX];
	int held = 0;

	remove_dead_files(g);
	for (unsigned int l = 0; l < EAL_LOCK_MAX; l++)
		if (g->word[l] != NULL && word_load(g->word[l]) != 0)
			held++;
	if (held == 0)
		return 0;
	if (gs_flock_wait(g->fd, LOCK_EX, wait_ms) < 0) {
		stuck_writers(g); /* a secondary is attaching, or waiting behind a dead writer */
		return held;
	}
	memset(g->stuck_since, 0, sizeof(g->stuck_since));

	/* no gsnet secondary can be inside the EAL now: what stays held is dead */
	for (unsigned int l = 0; l < EAL_LOCK_MAX; l++)
		first[l] = g->word[l] != NULL ? word_load(g->word[l]) : 0;
	memcpy(last, first, sizeof(last));
	for (int s = 0; s < WATCH_SAMPLES; s++) {
		usleep(WATCH_GAP_US);
		for (unsigned int l = 0; l < EAL_LOCK_MAX; l++)
			if (g->word[l] != NULL && word_load(g->word[l]) != last[l])
				last[l] = first[l] = INT32_MIN; /* moved: in use */
	}
	held = 0;
	for (unsigned int l = 0; l < EAL_LOCK_MAX; l++) {
		int32_t want = eal_lock_release_value(first[l], last[l]);
		int32_t seen = last[l];

		if (g->word[l] == NULL || want == last[l]) {
			held += g->word[l] != NULL && word_load(g->word[l]) != 0;
			continue;
		}
		if (__atomic_compare_exchange_n(
			    g->word[l], &seen, want, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			g->repairs++;
			GS_LOG(WARNING,
				"the EAL's %s lock was held (%#" PRIx32
				") by no live process, left by a secondary killed while attaching or leaving: released",
				lock_names[l], (uint32_t)seen);
		} else {
			held++;
		}
	}
	flock(g->fd, LOCK_UN);
	return held;
}

static void *
guard_thread(void *arg)
{
	struct eal_guard *g = arg;

	while (!g->stop) {
		eal_guard_check(g, 0);
		usleep(CHECK_PERIOD_US);
	}
	return NULL;
}

int
eal_guard_start(struct eal_guard *g)
{
	int ret;

	if (g->fd < 0)
		return -EBADF;
	g->stop = false;
	ret = rte_ctrl_thread_create(&g->thread, "gs-eal-guard", NULL, guard_thread, g);
	if (ret != 0) {
		GS_LOG(ERR, "cannot start the EAL lock guard thread: %s", strerror(ret));
		return -ret;
	}
	g->thread_running = true;
	return 0;
}

#define STOP_WAIT_MS 2000

int
eal_guard_stop(struct eal_guard *g)
{
	int held = 0;

	if (g->thread_running) {
		g->stop = true;
		pthread_join(g->thread, NULL);
		g->thread_running = false;
	}
	if (g->fd >= 0 && g->map != NULL)
		held = eal_guard_check(g, STOP_WAIT_MS);
	if (held > 0)
		GS_LOG(ERR,
			"%d EAL lock(s) held by a live or unknown process: leaving shared memory and the EAL as they are (freeing them would wait for ever)",
			held);
	if (g->repairs > 0 || g->files_removed > 0)
		GS_LOG(NOTICE,
			"EAL guard: %" PRIu64 " lock(s) released, %" PRIu64
			" file(s) of dead secondaries removed",
			g->repairs, g->files_removed);
	if (g->map != NULL)
		munmap(g->map, CONFIG_MAP_LEN);
	g->map = NULL;
	memset(g->word, 0, sizeof(g->word));
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	if (g->cfg_fd >= 0)
		close(g->cfg_fd);
	g->cfg_fd = -1;
	return held > 0 ? -EBUSY : 0;
}
