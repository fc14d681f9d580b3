/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-loadgen's result. tests/bench/ scripts read the line and the JSON
 * object: change no format without them.
 */
#include <inttypes.h>
#include <stdio.h>

#include "loadgen.h"

static double
pct_us(const struct gsc_hist *h, double p)
{
	return (double)gsc_hist_percentile(h, p) / 1e3;
}

void
report_print(const struct lg *g, int status)
{
	const struct counters *c = &g->c;
	uint64_t sent = total_sent(g);
	uint64_t lost = sent > c->answered ? sent - c->answered : 0;
	double tx_pps = g->tx_secs > 0 ? (double)sent / g->tx_secs : 0;
	double rx_pps = g->tx_secs > 0 ? (double)g->rx_window / g->tx_secs : 0;
	const struct gsc_hist *h = &g->lat;
	char mac[RTE_ETHER_ADDR_FMT_SIZE] = "";

	if (g->arp_ok)
		print_mac(mac, sizeof(mac), &g->server_mac);
	if (!g->o.json) {
		if (!g->o.quiet)
			fprintf(stderr,
				"gs-loadgen: offered %" PRIu64 " pps for %.2f s over %u sessions "
				"(mix %u:%u:%u); sent hb=%" PRIu64 " move=%" PRIu64
				" attack=%" PRIu64 "; answers hb_ack=%" PRIu64 " move_ack=%" PRIu64
				" move_reject=%" PRIu64 " attack_result=%" PRIu64
				" (out_of_range=%" PRIu64 "); damaged=%" PRIu64
				" unmatched=%" PRIu64 " tx_full=%" PRIu64 " rx_other=%" PRIu64 "\n",
				g->o.rate, g->tx_secs, g->n_live, g->o.mix[0], g->o.mix[1],
				g->o.mix[2], c->sent[REQ_HEARTBEAT], c->sent[REQ_MOVE],
				c->sent[REQ_ATTACK], c->by_type[GS_MSG_HEARTBEAT_ACK],
				c->by_type[GS_MSG_MOVE_ACK], c->by_type[GS_MSG_MOVE_REJECT],
				c->by_type[GS_MSG_ATTACK_RESULT],
				c->attack_result[GS__ATTACK_RESULT__RESULT__OUT_OF_RANGE],
				c->by_type[GS_MSG_DAMAGED], c->unmatched, c->tx_full, c->rx_other);
		printf("gs-loadgen: sent=%" PRIu64 " answered=%" PRIu64 " lost=%" PRIu64
		       " tx_pps=%.0f rx_pps=%.0f lat_us p50=%.1f p90=%.1f p99=%.1f p999=%.1f "
		       "max=%.1f offered_pps=%" PRIu64 " connects=%u/%u arp=%s\n",
			sent, c->answered, lost, tx_pps, rx_pps, pct_us(h, 50), pct_us(h, 90),
			pct_us(h, 99), pct_us(h, 99.9), (double)h->max / 1e3, g->o.rate, g->n_live,
			g->o.sessions, g->arp_ok ? mac : "failed");
		fflush(stdout);
		return;
	}
	printf("{\"status\":%d,\"offered_pps\":%" PRIu64 ",\"duration_s\":%.3f,\"sessions\":%u,"
	       "\"mix\":{\"heartbeat\":%u,\"move\":%u,\"attack\":%u},\"window_cpu_s\":%.6f,",
		status, g->o.rate, g->tx_secs, g->o.sessions, g->o.mix[0], g->o.mix[1], g->o.mix[2],
		g->window_cpu_s);
	printf("\"arp\":{\"ok\":%s,\"mac\":\"%s\",\"requests\":%u,\"ms\":%.3f},",
		g->arp_ok ? "true" : "false", mac, g->arp_tries, g->arp_ms);
	printf("\"warmup\":{\"sent\":%" PRIu64 ",\"answered\":%" PRIu64 ",\"ms\":%.3f},",
		g->warm_sent, g->warm_answered, g->warm_ms);
	printf("\"connect\":{\"connected\":%u,\"failed\":%u,\"sent\":%" PRIu64
	       ",\"session_errors\":%" PRIu64 ",\"ms\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
	       "\"max_us\":%.1f},",
		g->n_live, g->o.sessions - g->n_live, c->connect_sent, c->session_errors,
		g->connect_ms, pct_us(&g->connect_lat, 50), pct_us(&g->connect_lat, 99),
		(double)g->connect_lat.max / 1e3);
	printf("\"sent\":%" PRIu64 ",\"answered\":%" PRIu64 ",\"lost\":%" PRIu64
	       ",\"unmatched\":%" PRIu64 ",\"bad_echo\":%" PRIu64 ",\"tx_full\":%" PRIu64
	       ",\"alloc_fail\":%" PRIu64 ",\"tx_pps\":%.1f,\"rx_pps\":%.1f,",
		sent, c->answered, lost, c->unmatched, c->bad_echo, c->tx_full, c->alloc_fail,
		tx_pps, rx_pps);
	printf("\"sent_by_type\":{\"heartbeat\":%" PRIu64 ",\"move\":%" PRIu64
	       ",\"attack\":%" PRIu64 "},",
		c->sent[REQ_HEARTBEAT], c->sent[REQ_MOVE], c->sent[REQ_ATTACK]);
	printf("\"replies\":{\"connect_accept\":%" PRIu64 ",\"heartbeat_ack\":%" PRIu64
	       ",\"move_ack\":%" PRIu64 ",\"move_reject\":%" PRIu64 ",\"attack_result\":%" PRIu64
	       ",\"damaged\":%" PRIu64 ",\"disconnect\":%" PRIu64 ",\"session_error\":%" PRIu64
	       ",\"bad\":%" PRIu64 ",\"other_frames\":%" PRIu64 "},",
		c->by_type[GS_MSG_CONNECT_ACCEPT], c->by_type[GS_MSG_HEARTBEAT_ACK],
		c->by_type[GS_MSG_MOVE_ACK], c->by_type[GS_MSG_MOVE_REJECT],
		c->by_type[GS_MSG_ATTACK_RESULT], c->by_type[GS_MSG_DAMAGED],
		c->by_type[GS_MSG_DISCONNECT], c->by_type[GS_MSG_SESSION_ERROR], c->rx_bad,
		c->rx_other);
	printf("\"move_reject\":{\"too_fast\":%" PRIu64 ",\"out_of_bounds\":%" PRIu64
	       ",\"dead\":%" PRIu64 ",\"other\":%" PRIu64 "},",
		c->move_reject[GS__MOVE_REJECT__REASON__TOO_FAST],
		c->move_reject[GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS],
		c->move_reject[GS__MOVE_REJECT__REASON__DEAD],
		c->move_reject[GS__MOVE_REJECT__REASON__UNKNOWN] +
			c->move_reject[GS__MOVE_REJECT__REASON__NOT_OWNER] +
			c->move_reject[GS__MOVE_REJECT__REASON__BUSY] + c->move_reject[REASONS]);
	printf("\"attack_result\":{\"hit\":%" PRIu64 ",\"killed\":%" PRIu64
	       ",\"out_of_range\":%" PRIu64 ",\"cooldown\":%" PRIu64 ",\"other\":%" PRIu64 "},",
		c->attack_result[GS__ATTACK_RESULT__RESULT__HIT],
		c->attack_result[GS__ATTACK_RESULT__RESULT__KILLED],
		c->attack_result[GS__ATTACK_RESULT__RESULT__OUT_OF_RANGE],
		c->attack_result[GS__ATTACK_RESULT__RESULT__COOLDOWN],
		c->attack_result[GS__ATTACK_RESULT__RESULT__ATTACKER_DEAD] +
			c->attack_result[GS__ATTACK_RESULT__RESULT__TARGET_DEAD] +
			c->attack_result[GS__ATTACK_RESULT__RESULT__NO_TARGET] +
			c->attack_result[GS__ATTACK_RESULT__RESULT__BAD_SKILL] +
			c->attack_result[GS__ATTACK_RESULT__RESULT__NOT_OWNER] +
			c->attack_result[GS__ATTACK_RESULT__RESULT__BUSY] +
			c->attack_result[RESULTS]);
	printf("\"latency_us\":{\"count\":%" PRIu64 ",\"min\":%.1f,\"mean\":%.1f,\"p50\":%.1f,"
	       "\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}}\n",
		h->count, h->count ? (double)h->min / 1e3 : 0.0,
		h->count ? (double)h->sum / (double)h->count / 1e3 : 0.0, pct_us(h, 50),
		pct_us(h, 90), pct_us(h, 99), pct_us(h, 99.9), (double)h->max / 1e3);
	fflush(stdout);
}
