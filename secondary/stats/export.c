/* SPDX-License-Identifier: BSD-3-Clause */
/* gs-stats' three outputs of a snapshot: Prometheus text, JSON, a table. */
#include <inttypes.h>

#include "gs_stats.h"

#include "snapshot.h"

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP gsnet_%s %s\n# TYPE gsnet_%s %s\n", name, help, name, type);
}

/*
 * A name a handler wrote in its slot, escaped for one output. The slot is
 * another process's memory: the name may hold any byte and lack its NUL,
 * so at most GS_HANDLER_EVENT_NAME bytes are read, a byte outside ASCII is
 * written '?' (the outputs are UTF-8) and each output's special characters
 * are escaped. ESCAPED_NAME holds the longest result.
 */
#define ESCAPED_NAME (6 * GS_HANDLER_EVENT_NAME + 1)

/* @p name as a Prometheus label value (text format 0.0.4): \\, \" and \n. */
static const char *
prom_name(char out[ESCAPED_NAME], const char *name)
{
	size_t o = 0;

	for (size_t k = 0; k < GS_HANDLER_EVENT_NAME && name[k] != '\0'; k++) {
		unsigned char c = (unsigned char)name[k];

		if (c == '\\' || c == '"' || c == '\n')
			out[o++] = '\\';
		out[o++] = c == '\n' ? 'n' : c >= 0x80 ? '?' : (char)c;
	}
	out[o] = '\0';
	return out;
}

/* @p name as the inside of a JSON string (RFC 8259): \\, \" and \u00XX for a control character. */
static const char *
json_name(char out[ESCAPED_NAME], const char *name)
{
	size_t o = 0;

	for (size_t k = 0; k < GS_HANDLER_EVENT_NAME && name[k] != '\0'; k++) {
		unsigned char c = (unsigned char)name[k];

		if (c < 0x20)
			o += (size_t)snprintf(out + o, ESCAPED_NAME - o, "\\u%04x", c);
		else if (c == '\\' || c == '"')
			o += (size_t)snprintf(out + o, ESCAPED_NAME - o, "\\%c", c);
		else
			out[o++] = c >= 0x80 ? '?' : (char)c;
	}
	out[o] = '\0';
	return out;
}

/* --- Prometheus ------------------------------------------------------------------------ */

#define FOR_LCORES(s, l) for (unsigned int l = 0; l < (s)->n_lcores; l++)
#define FOR_SLOTS(s, c, i)                                          \
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)           \
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) \
			if (snap_slot_used(s, c, i))

static void
lcore_counter(FILE *f, const struct snapshot *s, const char *name, const char *help, size_t off)
{
	family(f, name, "counter", help);
	FOR_LCORES(s, l)
	fprintf(f, "gsnet_%s{lcore=\"%u\"} %" PRIu64 "\n", name, l,
		*(const uint64_t *)((const char *)&s->lc[l] + off));
}

static void
port_counter(FILE *f, const struct snapshot *s, const char *name, const char *help, size_t off)
{
	family(f, name, "counter", help);
	for (unsigned int k = 0; k < s->n_ports; k++)
		if (s->ports[k].ok)
			fprintf(f, "gsnet_%s{port=\"%u\",name=\"%s\"} %" PRIu64 "\n", name,
				s->ports[k].id, s->ports[k].name,
				*(const uint64_t *)((const char *)&s->ports[k].st + off));
}

#define SLOT_LABELS "class=\"%s\",instance=\"%u\""

/* gsnet_<name>{class,instance}: a counter of every instance ever claimed. */
static void
slot_counter(FILE *f, const struct snapshot *s, const char *name, const char *help, size_t off)
{
	family(f, name, "counter", help);
	FOR_SLOTS(s, c, i)
	fprintf(f, "gsnet_%s{" SLOT_LABELS "} %" PRIu64 "\n", name, gs_class_label(s->classes, c),
		i, *(const uint64_t *)((const char *)&s->hs[c][i] + off));
}

static const uint64_t residence_bounds_ns[GS_RESIDENCE_BUCKETS] = GS_RESIDENCE_BOUNDS_NS;
static const uint64_t handler_hist_bounds_ns[GS_HANDLER_HIST_BUCKETS] = GS_HANDLER_HIST_BOUNDS_NS;

/* Class @p c's residence buckets summed over the primary's lcores, and their sum in ns. */
static uint64_t
residence_of(const struct snapshot *s, unsigned int c, uint64_t counts[GS_RESIDENCE_BUCKETS])
{
	uint64_t ns = 0;

	memset(counts, 0, sizeof(uint64_t) * GS_RESIDENCE_BUCKETS);
	FOR_LCORES(s, l)
	{
		for (unsigned int b = 0; b < GS_RESIDENCE_BUCKETS; b++)
			counts[b] += s->lc[l].residence[c][b];
		ns += s->lc[l].residence_ns[c];
	}
	return ns;
}

/*
 * The samples of Prometheus histogram gsnet_<name>, labelled @p labels: its
 * cumulative buckets (le: @p bounds_ns in seconds; UINT64_MAX, the last, is
 * +Inf) of the @p n counts, its sum (@p sum_ns in seconds) and its count.
 */
static void
histogram_samples(FILE *f, const char *name, const char *labels, const uint64_t *bounds_ns,
	const uint64_t *counts, unsigned int n, uint64_t sum_ns)
{
	uint64_t cum = 0;

	for (unsigned int b = 0; b < n; b++) {
		cum += counts[b];
		if (bounds_ns[b] == UINT64_MAX)
			fprintf(f, "gsnet_%s_bucket{%s,le=\"+Inf\"} %" PRIu64 "\n", name, labels,
				cum);
		else
			fprintf(f, "gsnet_%s_bucket{%s,le=\"%g\"} %" PRIu64 "\n", name, labels,
				(double)bounds_ns[b] / 1e9, cum);
	}
	fprintf(f, "gsnet_%s_sum{%s} %.9f\n", name, labels, (double)sum_ns / 1e9);
	fprintf(f, "gsnet_%s_count{%s} %" PRIu64 "\n", name, labels, cum);
}

/* gsnet_residence_seconds{class}: a Prometheus histogram (cumulative buckets). */
static void
residence_histogram(FILE *f, const struct snapshot *s)
{
	char labels[64];

	family(f, "residence_seconds", "histogram",
		"Time a request spent inside gsnet, from its arrival to the transmission of the reply that answers it.");
	GS_FOREACH_CLASS_ID(c, s->classes)
	{
		uint64_t counts[GS_RESIDENCE_BUCKETS];
		uint64_t ns = residence_of(s, c, counts);

		snprintf(labels, sizeof(labels), "class=\"%s\"", gs_class_label(s->classes, c));
		histogram_samples(f, "residence_seconds", labels, residence_bounds_ns, counts,
			GS_RESIDENCE_BUCKETS, ns);
	}
}

/* gsnet_handler_duration_seconds{class,instance,name}: each declared duration histogram. */
static void
handler_duration_histogram(FILE *f, const struct snapshot *s)
{
	char labels[128], name[ESCAPED_NAME];

	family(f, "handler_duration_seconds", "histogram",
		"Durations a handler measures itself (gs-replicate's tick), in the histogram it names (name).");
	FOR_SLOTS(s, c, i)
	{
		const struct gs_handler_slot *h = &s->hs[c][i];

		if (h->hist_name[0] == '\0')
			continue;
		snprintf(labels, sizeof(labels), SLOT_LABELS ",name=\"%s\"",
			gs_class_label(s->classes, c), i, prom_name(name, h->hist_name));
		histogram_samples(f, "handler_duration_seconds", labels, handler_hist_bounds_ns,
			h->hist, GS_HANDLER_HIST_BUCKETS, h->hist_ns);
	}
}

void
export_prometheus(FILE *f, const struct snapshot *s, double scrape_s)
{
	char name[ESCAPED_NAME];

	family(f, "primary_info", "gauge", "The running primary: version, DPDK, pid.");
	fprintf(f, "gsnet_primary_info{version=\"%s\",dpdk=\"%s\",pid=\"%d\"} 1\n",
		s->gsnet_version, s->dpdk_version, s->primary_pid);
	family(f, "primary_ports_started", "gauge",
		"rte_eth_dev_start calls that succeeded since the primary started (1 per port: never restarted).");
	fprintf(f, "gsnet_primary_ports_started %u\n", s->ports_started);
	family(f, "tsc_hz", "gauge", "TSC cycles per second: what busy_cycles count at 100 %.");
	fprintf(f, "gsnet_tsc_hz %" PRIu64 "\n", s->tsc_hz);

#define LCORE_COUNTER(name, help) \
	lcore_counter(f, s, #name "_total", help, offsetof(struct gs_lcore_stats, name));
	GS_FOREACH_LCORE_COUNTER(LCORE_COUNTER)
#undef LCORE_COUNTER
	residence_histogram(f, s);

	family(f, "drops_total", "counter", "Frames and messages dropped, by reason.");
	FOR_LCORES(s, l)
	for (unsigned int d = 1; d < GS_DROP_MAX; d++)
		fprintf(f, "gsnet_drops_total{lcore=\"%u\",reason=\"%s\"} %" PRIu64 "\n", l,
			gs_drop_name(d), s->lc[l].drops[d]);
	family(f, "dispatched_total", "counter", "Messages queued to a handler class.");
	FOR_LCORES(s, l)
	GS_FOREACH_CLASS_ID(c, s->classes)
	fprintf(f, "gsnet_dispatched_total{lcore=\"%u\",class=\"%s\"} %" PRIu64 "\n", l,
		gs_class_label(s->classes, c), s->lc[l].dispatched[c]);
	family(f, "replies_total", "counter", "Replies of a handler class framed and sent.");
	FOR_LCORES(s, l)
	GS_FOREACH_CLASS_ID(c, s->classes)
	fprintf(f, "gsnet_replies_total{lcore=\"%u\",class=\"%s\"} %" PRIu64 "\n", l,
		gs_class_label(s->classes, c), s->lc[l].replies[c]);

	family(f, "ring_enqueued_total", "counter",
		"Messages the primary queued on a handler instance's ring.");
	FOR_LCORES(s, l)
	FOR_SLOTS(s, c, i)
	fprintf(f, "gsnet_ring_enqueued_total{lcore=\"%u\"," SLOT_LABELS "} %" PRIu64 "\n", l,
		gs_class_label(s->classes, c), i, s->lc[l].ring_enq[c][i]);
	family(f, "ring_full_total", "counter",
		"Messages dropped because a handler instance's ring was full.");
	FOR_LCORES(s, l)
	FOR_SLOTS(s, c, i)
	fprintf(f, "gsnet_ring_full_total{lcore=\"%u\"," SLOT_LABELS "} %" PRIu64 "\n", l,
		gs_class_label(s->classes, c), i, s->lc[l].ring_full[c][i]);
	family(f, "ring_depth", "gauge", "Messages waiting in a ring.");
	FOR_LCORES(s, l)
	FOR_SLOTS(s, c, i)
	{
		fprintf(f,
			"gsnet_ring_depth{lcore=\"%u\"," SLOT_LABELS
			",direction=\"to_handler\"} %u\n",
			l, gs_class_label(s->classes, c), i, s->depth_p2h[l][c][i]);
		fprintf(f,
			"gsnet_ring_depth{lcore=\"%u\"," SLOT_LABELS
			",direction=\"to_primary\"} %u\n",
			l, gs_class_label(s->classes, c), i, s->depth_h2p[l][c][i]);
	}
	family(f, "ring_capacity", "gauge", "Slots of every ring.");
	fprintf(f, "gsnet_ring_capacity %u\n", s->ring_capacity);

	family(f, "handler_up", "gauge", "1 while the primary dispatches to the instance.");
	FOR_SLOTS(s, c, i)
	fprintf(f, "gsnet_handler_up{" SLOT_LABELS "} %u\n", gs_class_label(s->classes, c), i,
		s->hs[c][i].up);
	family(f, "handler_state", "gauge", "The instance's state (1 for the current one).");
	FOR_SLOTS(s, c, i)
	for (unsigned int st = 0; st < GS_SLOT_STATE_MAX; st++)
		fprintf(f, "gsnet_handler_state{" SLOT_LABELS ",state=\"%s\"} %d\n",
			gs_class_label(s->classes, c), i, gs_slot_state_name(st),
			s->hs[c][i].state == st);
	family(f, "handler_pid", "gauge", "Process id of the instance.");
	FOR_SLOTS(s, c, i)
	fprintf(f, "gsnet_handler_pid{" SLOT_LABELS "} %d\n", gs_class_label(s->classes, c), i,
		s->hs[c][i].pid);
	family(f, "handler_generation", "gauge",
		"Attaches of the instance since the primary started.");
	FOR_SLOTS(s, c, i)
	fprintf(f, "gsnet_handler_generation{" SLOT_LABELS "} %u\n", gs_class_label(s->classes, c),
		i, s->hs[c][i].generation);
	family(f, "handler_restarts_total", "counter", "Attaches after the first one.");
	FOR_SLOTS(s, c, i)
	fprintf(f, "gsnet_handler_restarts_total{" SLOT_LABELS "} %u\n",
		gs_class_label(s->classes, c), i, s->hs[c][i].restarts);
	family(f, "handler_downs_total", "counter", "Times the primary found the instance gone.");
	FOR_SLOTS(s, c, i)
	fprintf(f, "gsnet_handler_downs_total{" SLOT_LABELS "} %u\n", gs_class_label(s->classes, c),
		i, s->hs[c][i].downs);
	family(f, "handler_heartbeat_age_seconds", "gauge",
		"Time since the instance's last heartbeat.");
	FOR_SLOTS(s, c, i)
	fprintf(f, "gsnet_handler_heartbeat_age_seconds{" SLOT_LABELS "} %.6f\n",
		gs_class_label(s->classes, c), i, s->hb_age[c][i]);
#define HANDLER_COUNTER(name, help) \
	slot_counter(f, s, "handler_" #name "_total", help, offsetof(struct gs_handler_slot, name));
	GS_FOREACH_HANDLER_COUNTER(HANDLER_COUNTER)
#undef HANDLER_COUNTER
	family(f, "handler_rejected_total", "counter", "Messages the instance refused, by reason.");
	FOR_SLOTS(s, c, i)
	for (unsigned int r = 0; r < GS_HANDLER_REJECTS; r++)
		if (gs_slot_reject_name(&s->hs[c][i], r) != NULL)
			fprintf(f,
				"gsnet_handler_rejected_total{" SLOT_LABELS
				",reason=\"%s\"} %" PRIu64 "\n",
				gs_class_label(s->classes, c), i,
				prom_name(name, gs_slot_reject_name(&s->hs[c][i], r)),
				s->hs[c][i].rejected[r]);
	family(f, "handler_events_total", "counter",
		"The handler's own counts, named by the handler (gs-session's connects, gs-combat's kills, ...).");
	FOR_SLOTS(s, c, i)
	for (unsigned int e = 0; e < GS_HANDLER_EVENTS; e++)
		if (s->hs[c][i].event_names[e][0] != '\0')
			fprintf(f,
				"gsnet_handler_events_total{" SLOT_LABELS ",event=\"%s\"} %" PRIu64
				"\n",
				gs_class_label(s->classes, c), i,
				prom_name(name, s->hs[c][i].event_names[e]), s->hs[c][i].events[e]);
	handler_duration_histogram(f, s);

	family(f, "mempool_size", "gauge", "Mbufs in the pool.");
	fprintf(f, "gsnet_mempool_size{pool=\"gs_pkt\"} %u\n", s->pool_size);
	family(f, "mempool_available", "gauge", "Mbufs free (ring and lcore caches).");
	fprintf(f, "gsnet_mempool_available{pool=\"gs_pkt\"} %u\n", s->pool_avail);
	family(f, "mempool_in_use", "gauge", "Mbufs held (ports' rings, the primary's bursts).");
	fprintf(f, "gsnet_mempool_in_use{pool=\"gs_pkt\"} %u\n", s->pool_in_use);
	family(f, "sessions", "gauge", "Session slots in use (active or closing).");
	fprintf(f, "gsnet_sessions %u\n", s->sessions);
	family(f, "sessions_max", "gauge", "Session slots.");
	fprintf(f, "gsnet_sessions_max %u\n", s->sessions_max);

	port_counter(f, s, "port_rx_packets_total", "Packets the port received (ethdev).",
		offsetof(struct rte_eth_stats, ipackets));
	port_counter(f, s, "port_tx_packets_total", "Packets the port sent (ethdev).",
		offsetof(struct rte_eth_stats, opackets));
	port_counter(f, s, "port_rx_bytes_total", "Bytes the port received (ethdev).",
		offsetof(struct rte_eth_stats, ibytes));
	port_counter(f, s, "port_tx_bytes_total", "Bytes the port sent (ethdev).",
		offsetof(struct rte_eth_stats, obytes));
	port_counter(f, s, "port_rx_missed_total", "Packets the port dropped: RX queue full.",
		offsetof(struct rte_eth_stats, imissed));
	port_counter(f, s, "port_rx_errors_total", "Erroneous packets received.",
		offsetof(struct rte_eth_stats, ierrors));
	port_counter(f, s, "port_tx_errors_total", "Packets the port failed to send.",
		offsetof(struct rte_eth_stats, oerrors));
	port_counter(f, s, "port_rx_nombuf_total", "RX mbuf allocation failures.",
		offsetof(struct rte_eth_stats, rx_nombuf));

	family(f, "port_xstat", "untyped",
		"The driver's extended statistics (rte_eth_xstats), by name.");
	for (unsigned int k = 0; k < s->n_ports; k++)
		for (unsigned int x = 0; x < s->ports[k].n_xstats; x++)
			fprintf(f,
				"gsnet_port_xstat{port=\"%u\",name=\"%s\",stat=\"%s\"} %" PRIu64
				"\n",
				s->ports[k].id, s->ports[k].name, s->ports[k].xname[x].name,
				s->ports[k].xvalue[x]);

	family(f, "exporter_scrape_duration_seconds", "gauge", "Time gs-stats took to collect.");
	fprintf(f, "gsnet_exporter_scrape_duration_seconds %.6f\n", scrape_s);
}

/* --- JSON -------------------------------------------------------------------------------- */

/* A histogram's buckets' upper bounds @p bounds_ns, as an array in µs (null: the last, any). */
static void
json_bounds_us(FILE *f, const uint64_t *bounds_ns, unsigned int n)
{
	fputc('[', f);
	for (unsigned int b = 0; b < n; b++)
		if (bounds_ns[b] == UINT64_MAX)
			fprintf(f, "%snull", b ? "," : "");
		else
			fprintf(f, "%s%.12g", b ? "," : "", (double)bounds_ns[b] / 1e3);
	fputc(']', f);
}

/* A histogram as an object: its count, sum, p50 and p99 (µs) and its @p n buckets' counts. */
static void
json_histogram(
	FILE *f, const uint64_t *bounds_ns, const uint64_t *counts, unsigned int n, uint64_t sum_ns)
{
	fprintf(f,
		"{\"count\":%" PRIu64
		",\"sum_s\":%.9f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"buckets\":[",
		gs_hist_count(counts, n), (double)sum_ns / 1e9,
		gs_hist_quantile(bounds_ns, counts, n, 0.5) / 1e3,
		gs_hist_quantile(bounds_ns, counts, n, 0.99) / 1e3);
	for (unsigned int b = 0; b < n; b++)
		fprintf(f, "%s%" PRIu64, b ? "," : "", counts[b]);
	fputs("]}", f);
}

void
export_json(FILE *f, const struct snapshot *s)
{
	const unsigned int first_class = gs_class_next(s->classes, 0);
	char name[ESCAPED_NAME];

	fprintf(f,
		"{\"primary\":{\"pid\":%d,\"version\":\"%s\",\"dpdk\":\"%s\",\"ports_started\":%u,"
		"\"tsc_hz\":%" PRIu64 "},",
		s->primary_pid, s->gsnet_version, s->dpdk_version, s->ports_started, s->tsc_hz);
	fputs("\"lcores\":[", f);
	FOR_LCORES(s, l)
	{
		const struct gs_lcore_stats *c = &s->lc[l];

		fprintf(f, "%s{\"lcore\":%u", l ? "," : "", l);
#define JSON_COUNTER(name, help) fprintf(f, ",\"" #name "\":%" PRIu64, c->name);
		GS_FOREACH_LCORE_COUNTER(JSON_COUNTER)
#undef JSON_COUNTER
		fputs(",\"drops\":{", f);
		for (unsigned int d = 1; d < GS_DROP_MAX; d++)
			fprintf(f, "%s\"%s\":%" PRIu64, d > 1 ? "," : "", gs_drop_name(d),
				c->drops[d]);
		fputs("},\"dispatched\":{", f);
		GS_FOREACH_CLASS_ID(k, s->classes)
		fprintf(f, "%s\"%s\":%" PRIu64, k > first_class ? "," : "", s->classes[k].name,
			c->dispatched[k]);
		fputs("},\"replies\":{", f);
		GS_FOREACH_CLASS_ID(k, s->classes)
		fprintf(f, "%s\"%s\":%" PRIu64, k > first_class ? "," : "", s->classes[k].name,
			c->replies[k]);
		fputs("}}", f);
	}
	fputs("],\"residence_bounds_us\":", f);
	json_bounds_us(f, residence_bounds_ns, GS_RESIDENCE_BUCKETS);
	fputs(",\"handler_duration_bounds_us\":", f);
	json_bounds_us(f, handler_hist_bounds_ns, GS_HANDLER_HIST_BUCKETS);
	fputs(",\"residence\":{", f);
	GS_FOREACH_CLASS_ID(c, s->classes)
	{
		uint64_t counts[GS_RESIDENCE_BUCKETS];
		uint64_t ns = residence_of(s, c, counts);

		fprintf(f, "%s\"%s\":", c > first_class ? "," : "", gs_class_label(s->classes, c));
		json_histogram(f, residence_bounds_ns, counts, GS_RESIDENCE_BUCKETS, ns);
	}
	fputs("},\"handlers\":[", f);
	bool first = true;

	FOR_SLOTS(s, c, i)
	{
		const struct gs_handler_slot *h = &s->hs[c][i];

		fprintf(f,
			"%s{\"class\":\"%s\",\"instance\":%u,\"state\":\"%s\",\"up\":%u,\"pid\":%d,"
			"\"generation\":%u,\"restarts\":%u,\"downs\":%u,\"heartbeat_age_s\":%.6f",
			first ? "" : ",", gs_class_label(s->classes, c), i,
			gs_slot_state_name(h->state), h->up, h->pid, h->generation, h->restarts,
			h->downs, s->hb_age[c][i]);
#define JSON_COUNTER(name, help) fprintf(f, ",\"" #name "\":%" PRIu64, h->name);
		GS_FOREACH_HANDLER_COUNTER(JSON_COUNTER)
#undef JSON_COUNTER
		fputs(",\"rejected\":{", f);
		for (unsigned int r = 0; r < GS_HANDLER_REJECTS; r++)
			if (gs_slot_reject_name(h, r) != NULL)
				fprintf(f, "%s\"%s\":%" PRIu64, r ? "," : "",
					json_name(name, gs_slot_reject_name(h, r)), h->rejected[r]);
		fputs("},\"events\":{", f);
		for (unsigned int e = 0, n = 0; e < GS_HANDLER_EVENTS; e++)
			if (h->event_names[e][0] != '\0')
				fprintf(f, "%s\"%s\":%" PRIu64, n++ ? "," : "",
					json_name(name, h->event_names[e]), h->events[e]);
		fputs("},\"durations\":{", f);
		if (h->hist_name[0] != '\0') {
			fprintf(f, "\"%s\":", json_name(name, h->hist_name));
			json_histogram(f, handler_hist_bounds_ns, h->hist, GS_HANDLER_HIST_BUCKETS,
				h->hist_ns);
		}
		fputs("},\"rings\":[", f);
		FOR_LCORES(s, l)
		fprintf(f,
			"%s{\"lcore\":%u,\"enqueued\":%" PRIu64 ",\"full\":%" PRIu64
			",\"depth_to_handler\":%u,\"depth_to_primary\":%u}",
			l ? "," : "", l, s->lc[l].ring_enq[c][i], s->lc[l].ring_full[c][i],
			s->depth_p2h[l][c][i], s->depth_h2p[l][c][i]);
		fputs("]}", f);
		first = false;
	}
	fprintf(f,
		"],\"mempool\":{\"size\":%u,\"available\":%u,\"in_use\":%u},"
		"\"sessions\":{\"used\":%u,\"max\":%u},\"ring_capacity\":%u,\"ports\":[",
		s->pool_size, s->pool_avail, s->pool_in_use, s->sessions, s->sessions_max,
		s->ring_capacity);
	for (unsigned int k = 0; k < s->n_ports; k++) {
		const struct rte_eth_stats *st = &s->ports[k].st;

		fprintf(f,
			"%s{\"port\":%u,\"name\":\"%s\",\"ok\":%s,\"rx_packets\":%" PRIu64
			",\"tx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
			",\"rx_missed\":%" PRIu64 ",\"rx_errors\":%" PRIu64
			",\"tx_errors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 "}",
			k ? "," : "", s->ports[k].id, s->ports[k].name,
			s->ports[k].ok ? "true" : "false", st->ipackets, st->opackets, st->ibytes,
			st->obytes, st->imissed, st->ierrors, st->oerrors, st->rx_nombuf);
	}
	fputs("]}\n", f);
}

/* --- the operator's table ---------------------------------------------------------------- */

static double
rate(uint64_t now, uint64_t before, double dt)
{
	return dt > 0 && now >= before ? (double)(now - before) / dt : 0.0;
}

/* The kernel exception path's totals and rates, when it carried anything. */
static void
exception_line(FILE *f, const struct snapshot *s, const struct snapshot *p, double dt)
{
	uint64_t xr = 0, xt = 0, pxr = 0, pxt = 0;

	FOR_LCORES(s, l)
	{
		xr += s->lc[l].exception_rx;
		xt += s->lc[l].exception_tx;
		pxr += p->lc[l].exception_rx;
		pxt += p->lc[l].exception_tx;
	}
	if (xr != 0 || xt != 0)
		fprintf(f,
			"\nkernel exception path: to the kernel %" PRIu64
			" (%.0f/s), from the kernel %" PRIu64 " (%.0f/s)",
			xr, rate(xr, pxr, dt), xt, rate(xt, pxt, dt));
}

/* Counter @p off of the lcores' blocks, summed. */
static uint64_t
lcore_total(const struct snapshot *s, size_t off)
{
	uint64_t v = 0;

	FOR_LCORES(s, l)
	v += *(const uint64_t *)((const char *)&s->lc[l] + off);
	return v;
}

/*
 * Under an instance's row: its counters (GS_FOREACH_HANDLER_COUNTER's, downs,
 * its rings' enqueues), its own counts (as gs-ctl status shows them), its
 * duration histogram's count, p50 and p99, and its non-zero reject reasons,
 * the declared ones too.
 */
static void
handler_details(FILE *f, const struct gs_handler_slot *h, uint64_t enqueued)
{
	unsigned int n = 0;

	fputs("        ", f);
#define TABLE_COUNTER(name, help) fprintf(f, " " #name "=%" PRIu64, h->name);
	GS_FOREACH_HANDLER_COUNTER(TABLE_COUNTER)
#undef TABLE_COUNTER
	fprintf(f, " downs=%u enqueued=%" PRIu64 "\n", h->downs, enqueued);
	for (unsigned int e = 0; e < GS_HANDLER_EVENTS; e++)
		if (h->event_names[e][0] != '\0')
			fprintf(f, "%s %.*s=%" PRIu64,
				n++ ? "" : "         events:", GS_HANDLER_EVENT_NAME,
				h->event_names[e], h->events[e]);
	if (n > 0)
		fputc('\n', f);
	if (h->hist_name[0] != '\0')
		fprintf(f, "         %.*s: count=%" PRIu64 " p50=%.1f p99=%.1f us\n",
			GS_HANDLER_EVENT_NAME, h->hist_name,
			gs_hist_count(h->hist, GS_HANDLER_HIST_BUCKETS),
			gs_handler_hist_quantile(h->hist, 0.5) / 1e3,
			gs_handler_hist_quantile(h->hist, 0.99) / 1e3);
	n = 0;
	for (unsigned int r = 0; r < GS_HANDLER_REJECTS; r++)
		if (h->rejected[r] != 0 && gs_slot_reject_name(h, r) != NULL)
			fprintf(f, "%s %.*s=%" PRIu64,
				n++ ? "" : "         rejected:", GS_HANDLER_EVENT_NAME,
				gs_slot_reject_name(h, r), h->rejected[r]);
	if (n > 0)
		fputc('\n', f);
}

void
export_table(FILE *f, const struct snapshot *s, const struct snapshot *prev)
{
	double dt = prev != NULL ? s->t - prev->t : 0.0;
	const struct snapshot *p = prev != NULL ? prev : s;

	fprintf(f,
		"gsnet %s on %s, primary pid %d, ports started %u, sessions %u/%u, mbufs in use %u/%u\n",
		s->gsnet_version, s->dpdk_version, s->primary_pid, s->ports_started, s->sessions,
		s->sessions_max, s->pool_in_use, s->pool_size);
	fprintf(f, "\n%-6s %-16s %12s %10s %12s %10s %10s %8s\n", "port", "name", "rx", "rx/s",
		"tx", "tx/s", "missed", "errors");
	for (unsigned int k = 0; k < s->n_ports; k++) {
		const struct rte_eth_stats *a = &s->ports[k].st, *b = &p->ports[k].st;

		fprintf(f,
			"%-6u %-16.16s %12" PRIu64 " %10.0f %12" PRIu64 " %10.0f %10" PRIu64
			" %8" PRIu64 "\n",
			s->ports[k].id, s->ports[k].name, a->ipackets,
			rate(a->ipackets, b->ipackets, dt), a->opackets,
			rate(a->opackets, b->opackets, dt), a->imissed, a->ierrors + a->oerrors);
	}
	fprintf(f, "\n%-6s %12s %10s %12s %10s %12s %10s\n", "lcore", "rx", "rx/s", "tx", "tx/s",
		"dropped", "drop/s");
	FOR_LCORES(s, l)
	{
		uint64_t d = 0, pd = 0;

		for (unsigned int r = 1; r < GS_DROP_MAX; r++) {
			d += s->lc[l].drops[r];
			pd += p->lc[l].drops[r];
		}
		fprintf(f, "%-6u %12" PRIu64 " %10.0f %12" PRIu64 " %10.0f %12" PRIu64 " %10.0f\n",
			l, s->lc[l].rx_packets, rate(s->lc[l].rx_packets, p->lc[l].rx_packets, dt),
			s->lc[l].tx_packets, rate(s->lc[l].tx_packets, p->lc[l].tx_packets, dt), d,
			rate(d, pd, dt));
	}
	/* every lcore counter, summed: one made from GS_FOREACH_LCORE_COUNTER later shows too */
	fputs("\nlcore totals:", f);
#define TABLE_COUNTER(name, help) \
	fprintf(f, " " #name "=%" PRIu64, lcore_total(s, offsetof(struct gs_lcore_stats, name)));
	GS_FOREACH_LCORE_COUNTER(TABLE_COUNTER)
#undef TABLE_COUNTER
	fputs("\n\ndrops by reason (non-zero):", f);
	for (unsigned int r = 1; r < GS_DROP_MAX; r++) {
		uint64_t d = 0;

		FOR_LCORES(s, l)
		d += s->lc[l].drops[r];
		if (d != 0)
			fprintf(f, " %s=%" PRIu64, gs_drop_name(r), d);
	}
	exception_line(f, s, p, dt);
	fprintf(f, "\n\n%-15s %12s %10s %12s %10s %12s %10s %10s\n", "class", "dispatched",
		"disp/s", "replies", "reply/s", "residence", "p50 us", "p99 us");
	GS_FOREACH_CLASS_ID(c, s->classes)
	{
		uint64_t counts[GS_RESIDENCE_BUCKETS], n;
		uint64_t disp = 0, pdisp = 0, rep = 0, prep = 0;

		residence_of(s, c, counts);
		n = gs_hist_count(counts, GS_RESIDENCE_BUCKETS);
		FOR_LCORES(s, l)
		{
			disp += s->lc[l].dispatched[c];
			pdisp += p->lc[l].dispatched[c];
			rep += s->lc[l].replies[c];
			prep += p->lc[l].replies[c];
		}
		fprintf(f,
			"%-15s %12" PRIu64 " %10.0f %12" PRIu64 " %10.0f %12" PRIu64
			" %10.1f %10.1f\n",
			gs_class_label(s->classes, c), disp, rate(disp, pdisp, dt), rep,
			rate(rep, prep, dt), n, gs_residence_quantile(counts, 0.5) / 1e3,
			gs_residence_quantile(counts, 0.99) / 1e3);
	}
	fprintf(f, "\n%-8s %4s %-9s %3s %8s %4s %4s %9s %12s %10s %10s %9s %6s\n", "class", "inst",
		"state", "up", "pid", "gen", "rst", "hb_age", "processed", "proc/s", "rejected",
		"ring", "full");
	FOR_SLOTS(s, c, i)
	{
		const struct gs_handler_slot *h = &s->hs[c][i];
		uint64_t rej = 0, full = 0, enq = 0;
		uint32_t depth = 0;

		/* every reason: GS_FOREACH_REJECT's and those the handler declared */
		for (unsigned int r = 0; r < GS_HANDLER_REJECTS; r++)
			rej += h->rejected[r];
		FOR_LCORES(s, l)
		{
			depth += s->depth_p2h[l][c][i];
			full += s->lc[l].ring_full[c][i];
			enq += s->lc[l].ring_enq[c][i];
		}
		fprintf(f,
			"%-8s %4u %-9s %3s %8d %4u %4u %7.0fms %12" PRIu64 " %10.0f %10" PRIu64
			" %4u/%-4u %6" PRIu64 "\n",
			gs_class_label(s->classes, c), i, gs_slot_state_name(h->state),
			h->up ? "yes" : "no", h->pid, h->generation, h->restarts,
			s->hb_age[c][i] * 1e3, h->processed,
			rate(h->processed, p->hs[c][i].processed, dt), rej, depth, s->ring_capacity,
			full);
		handler_details(f, h, enq);
	}
}
