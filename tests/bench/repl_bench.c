/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-bench-repl: what world replication costs per snapshot, how many players
 * one replication core serves at 20 Hz, and the same replication sent with
 * kernel sockets. No DPDK runs: gs_repl, the world and the wire are gs_core's,
 * and the primary's reply framing (primary/frame.c) is compiled in from its
 * source (it needs DPDK's headers only).
 *
 * The world: --sessions N sessions, each with its entity (id = position + 1,
 * as gs-session gives them), uniform at random on the ground in a square
 * sized so that a session expects --view entities (its own included) within
 * --radius (edge effects counted: the square's pair-distance law), inside
 * the default world bounds. --moving percent of them walk at 1 to 5 units/s
 * in a random direction (bouncing off the square's sides), the rest stand
 * still. Before each tick the simulation writes the moves into the world's
 * move lines as gs-move does (seqlock writes, not timed).
 *
 * Each tick does what gs-replicate's tick does (secondary/replicate/
 * replicate.c), with its defaults (view_max 128, a ring of 16 views per
 * session, budget 1200 bytes, the grid's cells of aoi_radius over the world
 * bounds), timed with the TSC:
 *   read   gs_repl_read() of every entity: the world's lock-free reads, quantised;
 *   grid   gs_repl_grid_build();
 *   then per session: gs_repl_aoi() (nearest first), gs_repl_gather(),
 *   gs_repl_sess_snapshot() against its baseline, and the handoff to the
 *   primary: the message copied into a slot as gs_handler_send_raw() does
 *   (here an array of 1024 struct gs_msg, the reply ring's default size;
 *   the ring's head and tail updates and the cache-line transfer to the
 *   primary's core are not in it).
 * Acks: before the tick's snapshots each session's client acks the tick
 * before last (its SnapshotAck unpacked from the wire bytes and given to
 * gs_repl_sess_ack(), as repl_burst() does), so every delta is against a
 * view two ticks old. Ack handling is timed apart: gs-replicate does it in
 * its bursts between ticks, not in the tick.
 *
 * With --kernel, the same replication is sent with kernel sockets, ticks
 * taken in turn with gsnet's (the same sessions and world): each snapshot
 * is encoded straight into a datagram buffer after its game header, the
 * header is written and SipHash-tagged (gs_tag_sign, as the primary does),
 * and every 128 datagrams (gs-kserver's batch) go out in one sendmmsg() on
 * one UDP socket, each to its own address 127.1.x.y on loopback (all of
 * 127/8 is local) and one of 4 receiving sockets' ports; a thread on
 * another CPU drains them (recvmmsg, non-blocking, napping when empty, so
 * the sender never wakes a sleeper). On loopback the receiving half of the
 * stack (IP and UDP input, the socket queue) runs in the sender's softirq,
 * inside its sendmmsg(): the kernel figure includes it, where a NIC's
 * driver would stand instead.
 *
 * The primary's side of gsnet's send, measured after the ticks without
 * DPDK: its send_reply() steps (primary/dataplane.c) over the snapshots the
 * handoff slots hold: header, sequence number, the session's key,
 * frame_build_udp_tagged() (Ethernet, IPv4 and its checksum, UDP, the game
 * header, the payload copy, the SipHash tag, the UDP checksum in software)
 * into 2 KiB buffers; and the same at a fixed 500-byte payload. The ring
 * dequeue, mbuf allocation and rte_eth_tx_burst() are not in it.
 *
 * Cycles are TSC cycles (__rdtsc), the TSC's rate calibrated against
 * CLOCK_MONOTONIC_RAW over 200 ms; a tick's figure is over the whole tick,
 * and the per-phase split inside the per-session loop times every 16th
 * session only. Per-snapshot figures are medians over the measured ticks
 * (means beside them). Timing thresholds never go into the test suite: these
 * figures are reported.
 *
 *   gs-bench-repl [--sessions N] [--ticks T] [--moving PCT] [--radius R] [--view K]
 *                 [--kernel] [--json] [--cpu C] [--seed S]
 * prints one line of key=value pairs (or one JSON object) per run; notes on
 * what each figure includes go to stderr.
 */
#define _GNU_SOURCE /* sendmmsg, recvmmsg, CPU_SET, pthread_setaffinity_np */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "gs_auth.h"
#include "gs_pb_arena.h"
#include "gs_repl.h"
#include "gs_seqlock.h"
#include "gs_wire.h"
#include "gs_world.h"

#include "bench_udp.h"
#include "frame.h"
#include "replicate.pb-c.h"

#define TICK_HZ	      20u
#define VIEW_MAX      128u /* gs-replicate's view_max default */
#define REPL_RING     16u  /* gs-replicate's ring of sent views (replicate.h) */
#define WARMUP	      4u   /* ticks before the acks reach their steady state */
#define SAMPLE	      16u  /* every 16th session's phases are timed apart */
#define HANDOFF_SLOTS 1024u
#define BATCH	      128u /* datagrams per sendmmsg (gs-kserver's KS_TX_MAX) */
#define N_RX	      4u   /* receiving sockets of the kernel baseline */
#define RX_BURST      64u
#define SOCK_BUF      (32 << 20)
#define FRAME_ROUNDS  11u
#define MBUF_ROOM     2048u			   /* RTE_MBUF_DEFAULT_DATAROOM */
#define WIRE_HDRS     (GS_WIRE_HDR_LEN + 8u + 20u) /* game header, UDP, IPv4 */

enum mode {
	MODE_GSNET,
	MODE_KERNEL,
	MODE_MAX
};

struct opts {
	uint32_t sessions;
	uint32_t ticks;
	double moving_pct;
	double radius;
	double view;
	bool kernel;
	bool json;
	int cpu;
	uint64_t seed;
};

/* One session of the replication handler and what its client is. */
struct sess {
	uint32_t id; /* session id */
	uint32_t tx_seq;
	struct gs_repl_sess *s;
	struct gs_peer peer; /* its address, for the primary's framing */
	uint8_t key[GS_PKT_KEY_LEN];
	struct sockaddr_in to; /* its address in the kernel baseline */
};

/* The kernel baseline's sending side. */
struct ksend {
	int fd;
	uint32_t n;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to[BATCH];
	uint8_t buf[BATCH][GS_WIRE_HDR_LEN + GS_WIRE_MAX_PAYLOAD];
	uint64_t sys_cycles; /* inside sendmmsg() */
	uint64_t calls;
	uint64_t sent;
	uint64_t failed;
};

/* The kernel baseline's receiving thread. */
struct krecv {
	int fd[N_RX];
	uint16_t port[N_RX]; /* network order */
	int cpu;	     /* -1: anywhere */
	pthread_t thread;
	uint64_t got; /* datagrams read (atomic) */
	int stop;     /* atomic */
};

/* Figures of one mode over its measured ticks. */
struct acc {
	uint64_t *tick;	    /* cycles of each measured tick */
	uint64_t *per_snap; /* ... divided by its snapshots (cycles) */
	uint64_t *ack;	    /* ack handling of each tick, per ack */
	uint32_t n_ticks;
	uint64_t snapshots, bytes, in_view, held, delta, full_ents, cut, full_snaps, errors;
	uint64_t read, grid, acks;
	uint64_t s_aoi, s_enc, s_send, s_n; /* sampled sessions */
	uint64_t sys_cycles, sys_sent;	    /* kernel: sendmmsg */
};

struct bench {
	struct opts o;
	uint64_t tsc_hz;
	double side; /* of the square the entities live in */
	struct gs_world *w;
	float (*pos)[2];
	float (*vel)[2];
	uint8_t *moving;
	struct sess *sess;
	struct gs_repl_ent *ents;
	uint32_t *owner;
	struct gs_repl_grid *grid;
	struct gs_repl_enc *enc;
	struct gs_repl_hit hits[VIEW_MAX];
	struct gs_repl_ent cand[VIEW_MAX];
	uint8_t out[GS_WIRE_MAX_PAYLOAD];
	struct gs_msg *handoff;
	uint64_t handoff_n;
	struct gs_pb_arena arena;
	uint8_t arena_buf[1024];
	uint8_t ack_wire[16];
	size_t ack_len;
	uint32_t tick;
	uint64_t rng;
	struct ksend *ks;
	struct krecv kr;
	struct acc acc[MODE_MAX];
};

/* --- small helpers ----------------------------------------------------------------------- */

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t x = *s; /* xorshift64* */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ull;
}

/* Uniform in [0, 1). */
static double
rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The TSC's rate against CLOCK_MONOTONIC_RAW over 200 ms. */
static uint64_t
tsc_calibrate(void)
{
	struct timespec nap = { .tv_sec = 0, .tv_nsec = 200000000 };
	uint64_t n0 = mono_ns(), t0 = __rdtsc(), n1, t1;

	nanosleep(&nap, NULL);
	n1 = mono_ns();
	t1 = __rdtsc();
	return (uint64_t)((double)(t1 - t0) * 1e9 / (double)(n1 - n0));
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Quantile @p q of @p n values (sorted in place; nearest rank). */
static uint64_t
quantile(uint64_t *v, uint32_t n, double q)
{
	uint32_t k;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	k = (uint32_t)ceil(q * n);
	return v[k == 0 ? 0 : k - 1];
}

static double
mean(const uint64_t *v, uint32_t n)
{
	double s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += (double)v[i];
	return n ? s / n : 0;
}

static int
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

/* --- the world ----------------------------------------------------------------------------- */

/*
 * Entities expected within @p r of an entity, its own included, for @p n
 * uniform in a square of side @p l (r <= l): 1 + (n - 1) P(d <= r), with the
 * distance law of two uniform points in a square.
 */
static double
expected_in_view(double n, double r, double l)
{
	double p = (M_PI * r * r - 8.0 * r * r * r / (3.0 * l) + r * r * r * r / (2.0 * l * l)) /
		   (l * l);

	return 1.0 + (n - 1.0) * (p > 1.0 ? 1.0 : p);
}

/* The square's side for --view entities in view (bisection; it shrinks as the count grows). */
static double
square_side(double n, double r, double view)
{
	double lo = r, hi = 1e7;

	if (expected_in_view(n, r, lo) <= view)
		return lo; /* too few sessions: all of them in one radius */
	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;

		if (expected_in_view(n, r, mid) > view)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* Write entity @p i's position and velocity as gs-move writes an accepted move. */
static void
world_write(struct bench *b, uint32_t i, uint64_t now)
{
	struct gs_entity *e = gs_world_entity(b->w, i + 1);
	static int32_t me;

	if (me == 0)
		me = (int32_t)getpid();
	(void)gs_seq_write_lock(&e->m.lock, me, GS_SEQ_WRITE_SPINS);
	e->m.owner = b->sess[i].id;
	e->m.life = 0;
	e->m.pos[0] = b->pos[i][0];
	e->m.pos[1] = b->pos[i][1];
	e->m.pos[2] = 0.0f;
	e->m.vel[0] = b->vel[i][0];
	e->m.vel[1] = b->vel[i][1];
	e->m.vel[2] = 0.0f;
	e->m.seq++;
	e->m.moves++;
	e->m.tsc = now;
	gs_seq_write_unlock(&e->m.lock);
}

static int
world_create(struct bench *b)
{
	struct gs_world_rules rules;
	const uint32_t n = b->o.sessions;
	const double h = b->side / 2;
	uint64_t now = __rdtsc();

	gs_world_rules_default(&rules);
	if (h >= rules.max[0] || -h <= rules.min[0])
		return -ERANGE;
	b->w = aligned_alloc(64, (gs_world_size(n) + 63) & ~(size_t)63);
	b->pos = calloc(n, sizeof(*b->pos));
	b->vel = calloc(n, sizeof(*b->vel));
	b->moving = calloc(n, 1);
	b->sess = calloc(n, sizeof(*b->sess));
	b->ents = calloc(n, sizeof(*b->ents));
	b->owner = calloc(n, sizeof(*b->owner));
	b->handoff = calloc(HANDOFF_SLOTS, sizeof(*b->handoff));
	if (b->w == NULL || b->pos == NULL || b->vel == NULL || b->moving == NULL ||
		b->sess == NULL || b->ents == NULL || b->owner == NULL || b->handoff == NULL)
		return -ENOMEM;
	gs_world_init(b->w, n, &rules, b->tsc_hz, now);
	for (uint32_t i = 0; i < n; i++) {
		struct sess *s = &b->sess[i];
		struct gs_entity *e = gs_world_entity(b->w, i + 1);

		/* a session id as gs-session makes them: a generation above the slot */
		s->id = (uint32_t)((rng_next(&b->rng) & 0x7f) + 1) << 24 | (i + 1);
		s->s = gs_repl_sess_create(REPL_RING, VIEW_MAX);
		if (s->s == NULL)
			return -ENOMEM;
		/* touched once here, as a handler's are after their first 16 ticks */
		memset(s->s->ents, 0, sizeof(*s->s->ents) * REPL_RING * VIEW_MAX);
		for (unsigned int k = 0; k < GS_PKT_KEY_LEN; k++)
			s->key[k] = (uint8_t)rng_next(&b->rng);
		s->peer.ip = htonl(0xc6130000u + i); /* 198.19/16 and on */
		s->peer.port = htons((uint16_t)(1024 + i % 60000));
		s->peer.mac[0] = 0x02;
		s->peer.mac[5] = (uint8_t)i;
		b->pos[i][0] = (float)((rng_unit(&b->rng) - 0.5) * b->side);
		b->pos[i][1] = (float)((rng_unit(&b->rng) - 0.5) * b->side);
		if (rng_unit(&b->rng) * 100.0 < b->o.moving_pct) {
			double speed = 1.0 + 4.0 * rng_unit(&b->rng);
			double dir = 2.0 * M_PI * rng_unit(&b->rng);

			b->moving[i] = 1;
			b->vel[i][0] = (float)(speed * cos(dir));
			b->vel[i][1] = (float)(speed * sin(dir));
		}
		e->c.owner = s->id;
		e->c.hp = rules.max_hp;
		world_write(b, i, now);
	}
	return 0;
}

/* One tick of walking: the moving entities' new positions, written as gs-move would. */
static void
world_step(struct bench *b)
{
	const float h = (float)(b->side / 2);
	uint64_t now = __rdtsc();

	for (uint32_t i = 0; i < b->o.sessions; i++) {
		if (!b->moving[i])
			continue;
		for (unsigned int a = 0; a < 2; a++) {
			float x = b->pos[i][a] + b->vel[i][a] / (float)TICK_HZ;

			if (x > h || x < -h) { /* bounce off the square's side */
				x = x > h ? 2 * h - x : -2 * h - x;
				b->vel[i][a] = -b->vel[i][a];
			}
			b->pos[i][a] = x;
		}
		world_write(b, i, now);
	}
}

/* --- the kernel baseline's sockets ---------------------------------------------------------- */

static void *
krecv_main(void *arg)
{
	struct krecv *kr = arg;
	static uint8_t bufs[RX_BURST][GS_WIRE_HDR_LEN + GS_WIRE_MAX_PAYLOAD];
	struct mmsghdr m[RX_BURST];
	struct iovec iov[RX_BURST];
	struct timespec nap = { .tv_sec = 0, .tv_nsec = 50000 };

	if (kr->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(kr->cpu, &set);
		(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	for (;;) {
		uint64_t got = 0;

		for (unsigned int f = 0; f < N_RX; f++) {
			int r;

			do {
				for (unsigned int k = 0; k < RX_BURST; k++) {
					iov[k].iov_base = bufs[k];
					iov[k].iov_len = sizeof(bufs[k]);
					memset(&m[k].msg_hdr, 0, sizeof(m[k].msg_hdr));
					m[k].msg_hdr.msg_iov = &iov[k];
					m[k].msg_hdr.msg_iovlen = 1;
				}
				r = recvmmsg(kr->fd[f], m, RX_BURST, MSG_DONTWAIT, NULL);
				if (r > 0)
					got += (uint64_t)r;
			} while (r == (int)RX_BURST);
		}
		if (got > 0) {
			__atomic_fetch_add(&kr->got, got, __ATOMIC_RELAXED);
			continue;
		}
		if (__atomic_load_n(&kr->stop, __ATOMIC_ACQUIRE))
			return NULL;
		nanosleep(&nap, NULL); /* nobody waits on the sockets: the sender wakes no one */
	}
}

static int
kernel_open(struct bench *b)
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct krecv *kr = &b->kr;
	struct ksend *ks;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		return -ENOMEM;
	b->ks = ks;
	ks->fd = bench_udp_open(&any, 0, SOCK_BUF);
	if (ks->fd < 0)
		return -errno;
	for (unsigned int f = 0; f < N_RX; f++) {
		struct sockaddr_in a;
		socklen_t alen = sizeof(a);

		kr->fd[f] = bench_udp_open(&any, SOCK_BUF, 0);
		if (kr->fd[f] < 0 || getsockname(kr->fd[f], (struct sockaddr *)&a, &alen) < 0)
			return -errno;
		kr->port[f] = a.sin_port;
	}
	for (uint32_t i = 0; i < b->o.sessions; i++) {
		struct sockaddr_in *to = &b->sess[i].to;

		to->sin_family = AF_INET;
		to->sin_addr.s_addr = htonl(0x7f010000u + i); /* 127.1.0.0 and on: all local */
		to->sin_port = kr->port[i % N_RX];
	}
	kr->cpu = b->o.cpu >= 0 && ncpu > 1 ? (b->o.cpu == 0 ? 1 : 0) : -1;
	return -pthread_create(&kr->thread, NULL, krecv_main, kr);
}

/* Send the queued datagrams: one sendmmsg() per batch (a refused one is skipped). */
static void
kernel_flush(struct ksend *ks)
{
	uint32_t done = 0;
	uint64_t t0 = __rdtsc();

	while (done < ks->n) {
		int r = sendmmsg(ks->fd, ks->msgs + done, ks->n - done, 0);

		if (r > 0) {
			done += (uint32_t)r;
			ks->sent += (uint32_t)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else {
			done++;
			ks->failed++;
		}
		ks->calls++;
	}
	ks->sys_cycles += __rdtsc() - t0;
	ks->n = 0;
}

/* Wait until the receiver has read all that was sent (or 1 s without progress), stop it. */
static uint64_t
kernel_close(struct bench *b)
{
	struct timespec nap = { .tv_sec = 0, .tv_nsec = 10000000 };
	uint64_t last = UINT64_MAX, got;
	int still = 0;

	for (;;) {
		got = __atomic_load_n(&b->kr.got, __ATOMIC_RELAXED);
		if (got >= b->ks->sent || still >= 100)
			break;
		still = got == last ? still + 1 : 0;
		last = got;
		nanosleep(&nap, NULL);
	}
	__atomic_store_n(&b->kr.stop, 1, __ATOMIC_RELEASE);
	pthread_join(b->kr.thread, NULL);
	for (unsigned int f = 0; f < N_RX; f++)
		close(b->kr.fd[f]);
	close(b->ks->fd);
	return __atomic_load_n(&b->kr.got, __ATOMIC_RELAXED);
}

/* --- one tick --------------------------------------------------------------------------------- */

/* gs-replicate's read_world(): every entity, read lock-free and quantised. */
static uint32_t
read_world(struct bench *b, uint64_t now)
{
	uint32_t n = 0;

	for (uint32_t pos = 0; pos < b->o.sessions; pos++) {
		if (gs_repl_read(b->w, pos + 1, b->sess[pos].id, now, &b->ents[n]) < 0)
			continue;
		b->owner[n] = pos;
		n++;
	}
	return n;
}

/* What gs_handler_send_raw() does with a snapshot: a message in the primary's reply ring. */
static void
handoff(struct bench *b, uint32_t pos, const uint8_t *payload, size_t len)
{
	struct gs_msg *r = &b->handoff[b->handoff_n++ % HANDOFF_SLOTS];
	const struct sess *s = &b->sess[pos];

	r->peer = s->peer;
	r->session_slot = pos + 1;
	r->rx_tsc = 0;
	r->rx_nic_ts = 0;
	r->rx_ts_src = 0;
	memset(&r->hdr, 0, sizeof(r->hdr));
	r->hdr.type = GS_MSG_SNAPSHOT;
	r->hdr.session_id = s->id;
	memcpy(r->payload, payload, len);
	r->hdr.payload_len = (uint16_t)len;
}

/* The kernel server's send of one snapshot, already packed after its header's room. */
static void
kernel_queue(struct bench *b, uint32_t pos, size_t len)
{
	struct ksend *ks = b->ks;
	struct sess *s = &b->sess[pos];
	uint8_t *buf = ks->buf[ks->n];
	struct gs_hdr h = { .magic = GS_WIRE_MAGIC,
		.version = GS_WIRE_VERSION,
		.type = GS_MSG_SNAPSHOT,
		.session_id = s->id,
		.sequence = s->tx_seq++,
		.payload_len = (uint16_t)len };

	gs_hdr_encode(&h, buf, GS_WIRE_HDR_LEN);
	gs_tag_sign(s->key, buf, GS_WIRE_HDR_LEN + len);
	ks->to[ks->n] = s->to;
	ks->iov[ks->n].iov_base = buf;
	ks->iov[ks->n].iov_len = GS_WIRE_HDR_LEN + len;
	memset(&ks->msgs[ks->n].msg_hdr, 0, sizeof(ks->msgs[ks->n].msg_hdr));
	ks->msgs[ks->n].msg_hdr.msg_name = &ks->to[ks->n];
	ks->msgs[ks->n].msg_hdr.msg_namelen = sizeof(ks->to[ks->n]);
	ks->msgs[ks->n].msg_hdr.msg_iov = &ks->iov[ks->n];
	ks->msgs[ks->n].msg_hdr.msg_iovlen = 1;
	ks->n++;
}

/* Each client acks the tick before last: its SnapshotAck, as repl_burst() handles it. */
static void
acks(struct bench *b)
{
	for (uint32_t i = 0; i < b->o.sessions; i++) {
		Gs__SnapshotAck *ack;

		gs_pb_arena_reset(&b->arena);
		ack = gs__snapshot_ack__unpack(&b->arena.alloc, b->ack_len, b->ack_wire);
		if (ack != NULL)
			(void)gs_repl_sess_ack(b->sess[i].s, ack->tick);
	}
}

/* One replication tick in @p mode; its figures go to b->acc[mode] when @p measured. */
static int
tick(struct bench *b, enum mode mode, bool measured)
{
	struct acc *a = &b->acc[mode];
	Gs__SnapshotAck ack = GS__SNAPSHOT_ACK__INIT;
	uint64_t t0, t1, t2, t3, t4, sys0 = b->ks != NULL ? b->ks->sys_cycles : 0;
	uint64_t snaps = 0, bytes = 0, in_view = 0, held = 0, delta = 0, fulls = 0, cut = 0;
	uint64_t full_snaps = 0, errors = 0, s_aoi = 0, s_enc = 0, s_send = 0, s_n = 0;
	uint32_t n;

	world_step(b);
	b->tick++;
	ack.tick = b->tick - 2; /* the client's, on the wire */
	b->ack_len = gs__snapshot_ack__pack(&ack, b->ack_wire);

	t0 = __rdtsc();
	acks(b);
	t1 = __rdtsc();
	n = read_world(b, t1);
	t2 = __rdtsc();
	if (gs_repl_grid_build(b->grid, b->ents, n) < 0)
		return -1;
	t3 = __rdtsc();
	for (uint32_t k = 0; k < n; k++) {
		const uint32_t pos = b->owner[k];
		struct gs_repl_sess *rs = b->sess[pos].s;
		const bool sampled = k % SAMPLE == 0;
		uint64_t full_before = rs->stats.full, ts0 = 0, ts1 = 0, ts2 = 0;
		struct gs_repl_enc_res res;
		uint8_t *out =
			mode == MODE_KERNEL ? b->ks->buf[b->ks->n] + GS_WIRE_HDR_LEN : b->out;
		uint32_t m;

		if (sampled)
			ts0 = __rdtsc();
		m = gs_repl_aoi(
			b->grid, b->ents[k].q, gs_repl_q((float)b->o.radius), b->hits, VIEW_MAX);
		gs_repl_gather(b->grid, b->hits, m, b->cand);
		if (sampled)
			ts1 = __rdtsc();
		if (gs_repl_sess_snapshot(rs, b->enc, b->cand, m, b->tick, GS_REPL_BUDGET, out,
			    GS_WIRE_MAX_PAYLOAD, &res) < 0) {
			errors++;
			continue;
		}
		if (sampled)
			ts2 = __rdtsc();
		if (mode == MODE_KERNEL)
			kernel_queue(b, pos, res.len);
		else
			handoff(b, pos, out, res.len);
		if (sampled) {
			uint64_t ts3 = __rdtsc();

			s_aoi += ts1 - ts0;
			s_enc += ts2 - ts1;
			s_send += ts3 - ts2;
			s_n++;
		}
		if (mode == MODE_KERNEL && b->ks->n == BATCH)
			kernel_flush(b->ks);
		snaps++;
		bytes += res.len;
		in_view += m;
		held += res.n_full + res.n_delta + res.n_unchanged;
		delta += res.n_delta;
		fulls += res.n_full;
		cut += res.cut;
		full_snaps += rs->stats.full - full_before;
	}
	if (mode == MODE_KERNEL && b->ks->n > 0)
		kernel_flush(b->ks);
	t4 = __rdtsc();
	if (!measured)
		return 0;
	a->tick[a->n_ticks] = t4 - t1;
	a->per_snap[a->n_ticks] = snaps ? (t4 - t1) / snaps : 0;
	a->ack[a->n_ticks] = (t1 - t0) / b->o.sessions;
	a->n_ticks++;
	a->snapshots += snaps;
	a->bytes += bytes;
	a->in_view += in_view;
	a->held += held;
	a->delta += delta;
	a->full_ents += fulls;
	a->cut += cut;
	a->full_snaps += full_snaps;
	a->errors += errors;
	a->acks += t1 - t0;
	a->read += t2 - t1;
	a->grid += t3 - t2;
	a->s_aoi += s_aoi;
	a->s_enc += s_enc;
	a->s_send += s_send;
	a->s_n += s_n;
	if (b->ks != NULL) {
		a->sys_cycles += b->ks->sys_cycles - sys0;
		a->sys_sent += snaps;
	}
	return 0;
}

/* --- the primary's framing ---------------------------------------------------------------- */

/*
 * The primary's send_reply() for each message of the handoff slots (or, with
 * @p fixed_len, each with a payload of that many bytes): the median over
 * FRAME_ROUNDS rounds of cycles per frame.
 */
static double
primary_framing(struct bench *b, uint16_t fixed_len)
{
	static uint8_t mbufs[HANDOFF_SLOTS][MBUF_ROOM];
	const struct frame_cfg fc = {
		.ip = htonl(0xc6120002u), .udp_port = htons(7777), .mac = { 0x02, 0, 0, 0, 0, 1 }
	};
	uint32_t slots = b->handoff_n < HANDOFF_SLOTS ? (uint32_t)b->handoff_n : HANDOFF_SLOTS;
	uint64_t fig[FRAME_ROUNDS];
	uint16_t ip_id = 0;

	if (slots == 0)
		return 0;
	if (fixed_len > 0)
		for (uint32_t k = 0; k < slots; k++) {
			b->handoff[k].hdr.payload_len = fixed_len;
			memset(b->handoff[k].payload, 0x5a, fixed_len);
		}
	for (unsigned int round = 0; round < FRAME_ROUNDS; round++) {
		uint64_t t0 = __rdtsc(), bad = 0;

		for (uint32_t k = 0; k < slots; k++) {
			struct gs_msg *r = &b->handoff[k];
			struct sess *s = &b->sess[r->session_slot - 1];

			frame_reply_hdr(&r->hdr);
			r->peer = s->peer;
			r->hdr.sequence = __atomic_fetch_add(&s->tx_seq, 1, __ATOMIC_RELAXED);
			bad += frame_build_udp_tagged(mbufs[k], MBUF_ROOM, &fc, &r->peer, ip_id++,
				       &r->hdr, r->payload, s->key) == 0;
		}
		fig[round] = (__rdtsc() - t0) / slots;
		if (bad > 0)
			return -1;
	}
	return (double)quantile(fig, FRAME_ROUNDS, 0.5);
}

/* --- output ---------------------------------------------------------------------------------- */

struct kv {
	char key[40];
	char val[64];
	bool str;
};

static struct kv kvs[96];
static unsigned int n_kv;

static void
put_f(const char *key, double v, int prec)
{
	if (n_kv == sizeof(kvs) / sizeof(kvs[0]))
		return;
	snprintf(kvs[n_kv].key, sizeof(kvs[n_kv].key), "%s", key);
	snprintf(kvs[n_kv].val, sizeof(kvs[n_kv].val), "%.*f", prec, v);
	kvs[n_kv++].str = false;
}

static void
put_s(const char *key, const char *v)
{
	if (n_kv == sizeof(kvs) / sizeof(kvs[0]))
		return;
	snprintf(kvs[n_kv].key, sizeof(kvs[n_kv].key), "%s", key);
	snprintf(kvs[n_kv].val, sizeof(kvs[n_kv].val), "%s", v);
	kvs[n_kv++].str = true;
}

static void
print_kvs(bool json)
{
	if (json) {
		printf("{");
		for (unsigned int i = 0; i < n_kv; i++)
			printf(kvs[i].str ? "%s\"%s\": \"%s\"" : "%s\"%s\": %s", i ? ", " : "",
				kvs[i].key, kvs[i].val);
		printf("}\n");
		return;
	}
	printf("repl");
	for (unsigned int i = 0; i < n_kv; i++)
		printf(" %s=%s", kvs[i].key, kvs[i].val);
	printf("\n");
}

static void
report(struct bench *b, uint64_t grid_fixed, double framing, double framing_500,
	uint64_t k_received)
{
	const struct acc *g = &b->acc[MODE_GSNET], *k = &b->acc[MODE_KERNEL];
	const double hz = (double)b->tsc_hz, snaps = (double)g->snapshots;
	const double budget = hz / TICK_HZ;
	uint64_t tmp[2][4096];
	double per_snap, per_snap_mean, ack, tick_p50, tick_p99, tick_max, per_player;
	double per_player_p99, handler_total, gsnet_total;

	memcpy(tmp[0], g->per_snap, g->n_ticks * sizeof(uint64_t));
	per_snap = (double)quantile(tmp[0], g->n_ticks, 0.5);
	per_snap_mean = mean(g->tick, g->n_ticks) * g->n_ticks / snaps;
	memcpy(tmp[0], g->ack, g->n_ticks * sizeof(uint64_t));
	ack = (double)quantile(tmp[0], g->n_ticks, 0.5);
	memcpy(tmp[0], g->tick, g->n_ticks * sizeof(uint64_t));
	tick_p50 = (double)quantile(tmp[0], g->n_ticks, 0.5);
	tick_p99 = (double)quantile(tmp[0], g->n_ticks, 0.99);
	tick_max = (double)tmp[0][g->n_ticks - 1];
	/* the core's work per tick: grid_fixed + players x (snapshot + ack) */
	per_player = (tick_p50 - (double)grid_fixed) * g->n_ticks / snaps + ack;
	per_player_p99 = (tick_p99 - (double)grid_fixed) * g->n_ticks / snaps + ack;
	handler_total = per_snap;
	gsnet_total = handler_total + framing;

	put_f("sessions", b->o.sessions, 0);
	put_f("ticks", g->n_ticks, 0);
	put_f("moving_pct", b->o.moving_pct, 0);
	put_f("radius", b->o.radius, 0);
	put_f("square_side", b->side, 0);
	put_f("in_view", (double)g->in_view / snaps, 1);
	put_f("entities_per_snapshot", (double)g->held / snaps, 1);
	put_f("delta_per_snapshot", (double)g->delta / snaps, 1);
	put_f("new_per_snapshot", (double)g->full_ents / snaps, 2);
	put_f("cut_per_snapshot", (double)g->cut / snaps, 2);
	put_f("full_snapshots", (double)g->full_snaps, 0);
	put_f("bytes_per_player_tick", (double)g->bytes / snaps, 1);
	put_f("wire_bytes_per_player_tick", (double)g->bytes / snaps + WIRE_HDRS, 1);
	put_f("handler_cycles", per_snap, 0);
	put_f("handler_mean_cycles", per_snap_mean, 0);
	put_f("read_cycles", (double)g->read / snaps, 0);
	put_f("grid_cycles", (double)g->grid / snaps, 0);
	put_f("aoi_cycles", g->s_n ? (double)g->s_aoi / g->s_n : 0, 0);
	put_f("encode_cycles", g->s_n ? (double)g->s_enc / g->s_n : 0, 0);
	put_f("handoff_cycles", g->s_n ? (double)g->s_send / g->s_n : 0, 0);
	put_f("ack_cycles", ack, 0);
	put_f("grid_fixed_cycles", (double)grid_fixed, 0);
	put_f("tick_p50_ms", tick_p50 * 1e3 / hz, 2);
	put_f("tick_p99_ms", tick_p99 * 1e3 / hz, 2);
	put_f("tick_max_ms", tick_max * 1e3 / hz, 2);
	put_f("players_per_core", floor((budget - (double)grid_fixed) / per_player), 0);
	put_f("players_per_core_p99", floor((budget - (double)grid_fixed) / per_player_p99), 0);
	put_f("primary_framing_cycles", framing, 0);
	put_f("primary_framing_500_cycles", framing_500, 0);
	put_f("gsnet_cycles", gsnet_total, 0);
	if (b->o.kernel) {
		double ksnaps = (double)k->snapshots, kper;

		memcpy(tmp[1], k->per_snap, k->n_ticks * sizeof(uint64_t));
		kper = (double)quantile(tmp[1], k->n_ticks, 0.5);
		put_f("kernel_cycles", kper, 0);
		put_f("kernel_sendmmsg_cycles", (double)k->sys_cycles / (double)k->sys_sent, 0);
		put_f("kernel_frame_cycles", k->s_n ? (double)k->s_send / k->s_n : 0, 0);
		put_f("kernel_encode_cycles", k->s_n ? (double)k->s_enc / k->s_n : 0, 0);
		put_f("kernel_aoi_cycles", k->s_n ? (double)k->s_aoi / k->s_n : 0, 0);
		put_f("kernel_read_cycles", (double)k->read / ksnaps, 0);
		put_f("kernel_grid_cycles", (double)k->grid / ksnaps, 0);
		memcpy(tmp[1], k->tick, k->n_ticks * sizeof(uint64_t));
		put_f("kernel_tick_p50_ms", (double)quantile(tmp[1], k->n_ticks, 0.5) * 1e3 / hz,
			2);
		put_f("kernel_tick_p99_ms", (double)quantile(tmp[1], k->n_ticks, 0.99) * 1e3 / hz,
			2);
		put_f("kernel_sent", (double)b->ks->sent, 0);
		put_f("kernel_received", (double)k_received, 0);
		put_f("kernel_send_failed", (double)b->ks->failed, 0);
		put_f("ratio", gsnet_total / kper, 3);
		put_f("send_ratio",
			((g->s_n ? (double)g->s_send / g->s_n : 0) + framing) /
				((k->s_n ? (double)k->s_send / k->s_n : 0) +
					(double)k->sys_cycles / (double)k->sys_sent),
			3);
	}
	put_f("errors", (double)(g->errors + k->errors), 0);
	put_f("tsc_hz", hz, 0);
	put_s("clock", "rdtsc");
	put_s("gsnet_includes", "read,grid,aoi,encode,handoff_copy");
	put_s("primary_framing_includes", "hdr,seq,eth_ipv4_udp,siphash_tag,checksums");
	put_s("primary_excludes", "ring_dequeue,mbuf_alloc,tx_burst");
	if (b->o.kernel)
		put_s("kernel_includes", "read,grid,aoi,encode,hdr,siphash_tag,sendmmsg+lo_rx");
	print_kvs(b->o.json);
	fflush(stdout);

	fprintf(stderr,
		"# gs-bench-repl: %u sessions, %u ticks measured per mode after %u, TSC %.3f GHz "
		"(rdtsc, calibrated against CLOCK_MONOTONIC_RAW)\n"
		"# handler_cycles: gs-replicate's tick (world reads, grid, AOI, encode, copy into "
		"the reply ring's slot) per snapshot, median of the ticks; ack_cycles (its acks, "
		"between ticks) apart.\n"
		"# primary_framing_cycles: the primary's send_reply() framing + SipHash tag + "
		"checksums per snapshot at this run's sizes (_500: at 500 bytes); NOT included: "
		"reply ring dequeue, mbuf alloc, rte_eth_tx_burst and the NIC driver.\n",
		b->o.sessions, g->n_ticks, WARMUP, hz / 1e9);
	if (b->o.kernel)
		fprintf(stderr,
			"# kernel_cycles: the same replication, header + SipHash tag in user "
			"space and sendmmsg() (128 a call) per snapshot; on loopback the receiving "
			"half of the stack runs inside the sender's syscall (a NIC driver would "
			"instead). ratio = (handler + primary framing) / kernel.\n");
}

/* --- main ------------------------------------------------------------------------------------ */

static void
usage(FILE *f, const char *argv0)
{
	fprintf(f,
		"usage: %s [--sessions N] [--ticks T] [--moving PCT] [--radius R] [--view K] "
		"[--kernel] [--json] [--cpu C] [--seed S]\n"
		"  --sessions N  sessions, one entity each (10000)\n"
		"  --ticks T     ticks measured (per mode with --kernel; 100, at most 4096)\n"
		"  --moving PCT  percent of the entities walking, 1-5 units/s (100)\n"
		"  --radius R    aoi_radius, world units (50)\n"
		"  --view K      entities expected within the radius, own included (50)\n"
		"  --kernel      also send with kernel sockets (sendmmsg on loopback), ticks in turn\n"
		"  --json        one JSON object instead of key=value pairs\n"
		"  --cpu C       pin to CPU C (the kernel baseline's receiver takes another)\n"
		"  --seed S      random seed (1)\n",
		argv0);
}

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "sessions", required_argument, NULL, 'n' },
		{ "ticks", required_argument, NULL, 't' },
		{ "moving", required_argument, NULL, 'm' },
		{ "radius", required_argument, NULL, 'r' },
		{ "view", required_argument, NULL, 'v' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .sessions = 10000,
		.ticks = 100,
		.moving_pct = 100,
		.radius = 50,
		.view = 50,
		.cpu = -1,
		.seed = 1 };
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->sessions = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 't':
			o->ticks = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			o->moving_pct = strtod(optarg, NULL);
			break;
		case 'r':
			o->radius = strtod(optarg, NULL);
			break;
		case 'v':
			o->view = strtod(optarg, NULL);
			break;
		case 'k':
			o->kernel = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'c':
			o->cpu = (int)strtol(optarg, NULL, 0);
			break;
		case 's':
			o->seed = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (optind < argc || o->sessions < 2 || o->sessions > 16000000 || o->ticks < 1 ||
		o->ticks > 4096 || !(o->moving_pct >= 0 && o->moving_pct <= 100) ||
		!(o->radius >= 1 && o->radius <= 1000) || !(o->view >= 1 && o->view <= VIEW_MAX)) {
		fprintf(stderr,
			"%s: need 2 <= sessions <= 16000000, 1 <= ticks <= 4096, 0 <= moving <= "
			"100, 1 <= radius <= 1000, 1 <= view <= %u\n",
			argv[0], VIEW_MAX);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct bench b;
	struct gs_world_rules rules;
	uint64_t grid_fixed, gfig[9], k_received = 0;
	double framing, framing_500;
	int ret;

	if (parse(argc, argv, &b.o) < 0)
		return 2;
	if (b.o.cpu >= 0 && (ret = pin(b.o.cpu)) < 0) {
		fprintf(stderr, "%s: cannot pin to CPU %d: %s\n", argv[0], b.o.cpu, strerror(-ret));
		return 1;
	}
	b.rng = b.o.seed * 0x9e3779b97f4a7c15ull + 1;
	b.tsc_hz = tsc_calibrate();
	b.side = square_side(b.o.sessions, b.o.radius, b.o.view);
	ret = world_create(&b);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot build the world: %s\n", argv[0], strerror(-ret));
		return 1;
	}
	gs_world_rules_default(&rules);
	b.grid = gs_repl_grid_create(rules.min, rules.max, (float)b.o.radius, b.o.sessions);
	b.enc = gs_repl_enc_create(VIEW_MAX);
	gs_pb_arena_init(&b.arena, b.arena_buf, sizeof(b.arena_buf));
	for (unsigned int m = 0; m < MODE_MAX; m++) {
		b.acc[m].tick = calloc(b.o.ticks, sizeof(uint64_t));
		b.acc[m].per_snap = calloc(b.o.ticks, sizeof(uint64_t));
		b.acc[m].ack = calloc(b.o.ticks, sizeof(uint64_t));
		if (b.acc[m].tick == NULL || b.acc[m].per_snap == NULL || b.acc[m].ack == NULL)
			b.grid = NULL;
	}
	if (b.grid == NULL || b.enc == NULL) {
		fprintf(stderr, "%s: no memory for the grid, encoder or figures\n", argv[0]);
		return 1;
	}
	/* the grid's cost that does not grow with players: a build of no entity, its cells alone */
	for (unsigned int k = 0; k < 9; k++) {
		uint64_t t0 = __rdtsc();

		gs_repl_grid_build(b.grid, b.ents, 0);
		gfig[k] = __rdtsc() - t0;
	}
	grid_fixed = quantile(gfig, 9, 0.5);
	if (b.o.kernel && (ret = kernel_open(&b)) < 0) {
		fprintf(stderr, "%s: kernel sockets: %s\n", argv[0], strerror(-ret));
		return 1;
	}
	/* ticks numbered from the TSC as gs-replicate numbers them */
	b.tick = (uint32_t)(__rdtsc() / (b.tsc_hz / TICK_HZ));
	{
		const unsigned int n_modes = b.o.kernel ? 2 : 1;
		const uint32_t total = (WARMUP + b.o.ticks) * n_modes;

		for (uint32_t j = 0; j < total; j++)
			if (tick(&b, (enum mode)(j % n_modes), j >= WARMUP * n_modes) < 0) {
				fprintf(stderr, "%s: a tick failed\n", argv[0]);
				return 1;
			}
	}
	if (b.o.kernel)
		k_received = kernel_close(&b);
	framing = primary_framing(&b, 0);
	framing_500 = primary_framing(&b, 500);
	if (framing < 0 || framing_500 < 0) {
		fprintf(stderr, "%s: the primary's framing refused a snapshot\n", argv[0]);
		return 1;
	}
	report(&b, grid_fixed, framing, framing_500, k_received);
	return 0;
}
