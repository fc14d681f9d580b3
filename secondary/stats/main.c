/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-stats: the stats exporter secondary. Reads every counter of the group
 * from shared memory and ethdev, never touching the primary's data path, and
 *   - serves Prometheus text on http://[stats] http_ip:http_port/metrics and
 *     the same figures as /stats.json (libmicrohttpd), or
 *   - prints an operator's table once (--once) or every second (--top), or
 *     the JSON once (--json).
 * It exits cleanly when the primary stops, dies or restarts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>

#include "gs_app.h"
#include "gs_handler.h"
#include "gs_log.h"

#include "snapshot.h"

GS_LOG_TYPE(gs.stats.main);

#define ATTACH_WAIT_MS 10000

enum mode {
	MODE_SERVE,
	MODE_ONCE,
	MODE_TOP,
	MODE_JSON
};

static volatile sig_atomic_t stop_requested;
static struct stats_src src;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: gs-stats [-c FILE] [-o section.key=value]... [--once | --top | --json]\n"
		   "  (no option)  serve /metrics and /stats.json on [stats] http_ip:http_port\n"
		   "  --once       print the operator's table (rates over one second) and exit\n"
		   "  --top        refresh the table in place every second\n"
		   "  --json       print the JSON of /stats.json once and exit\n");
}

/* Why to stop watching the primary, or NULL while it runs. */
static const char *
primary_gone(void)
{
	uint64_t epoch = __atomic_load_n(&src.ctl->epoch, __ATOMIC_ACQUIRE);

	/* a stopping primary clears its epoch */
	if (__atomic_load_n(&src.ctl->stopping, __ATOMIC_ACQUIRE) || epoch == 0)
		return "the primary is stopping";
	if (epoch != src.epoch)
		return "the primary restarted (new epoch)";
	if (!rte_eal_primary_proc_alive(NULL))
		return "the primary is gone";
	return NULL;
}

/* Render @p what ("metrics" or "json") of a fresh snapshot into a malloc'd buffer. */
static char *
render(bool prometheus, size_t *len)
{
	static struct snapshot snap; /* one request at a time (MHD's single thread) */
	struct timespec a, b;
	char *buf = NULL;
	FILE *f;

	clock_gettime(CLOCK_MONOTONIC, &a);
	snapshot_take(&src, &snap);
	clock_gettime(CLOCK_MONOTONIC, &b);
	f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	if (prometheus)
		export_prometheus(f, &snap,
			(double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	else
		export_json(f, &snap);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_len, void **req_cls)
{
	static const char index_page[] = "gs-stats: /metrics (Prometheus), /stats.json\n";
	struct MHD_Response *resp;
	const char *type = "text/plain; version=0.0.4; charset=utf-8";
	unsigned int status = MHD_HTTP_OK;
	enum MHD_Result ret;
	char *body = NULL;
	size_t len = 0;

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return MHD_NO;
	if (strcmp(url, "/metrics") == 0) {
		body = render(true, &len);
	} else if (strcmp(url, "/stats.json") == 0) {
		body = render(false, &len);
		type = "application/json";
	} else {
		status = strcmp(url, "/") == 0 ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND;
		resp = MHD_create_response_from_buffer(
			sizeof(index_page) - 1, (void *)index_page, MHD_RESPMEM_PERSISTENT);
		goto send;
	}
	if (body == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
send:
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int
serve(const struct gs_cfg *cfg)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(cfg->stats_port),
		.sin_addr.s_addr = cfg->stats_ip,
	};
	struct MHD_Daemon *d;
	const char *why = NULL;
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
	/* one internal thread: requests are answered one after the other */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, cfg->stats_port,
		NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (d == NULL) {
		GS_LOG(ERR, "cannot serve HTTP on %s:%u (in use? set [stats] http_port)", ip,
			cfg->stats_port);
		return GS_EXIT_FAILURE;
	}
	GS_LOG(NOTICE, "gs-stats serving http://%s:%u/metrics and /stats.json", ip,
		cfg->stats_port);
	/* 20 ms: gone before the primary, which stops its handlers first, closes ports */
	while (!stop_requested && (why = primary_gone()) == NULL)
		usleep(20000);
	MHD_stop_daemon(d);
	GS_LOG(NOTICE, "gs-stats exiting: %s", why != NULL ? why : "stop requested");
	return GS_EXIT_OK;
}

static int
table(bool top)
{
	static struct snapshot a, b;
	struct snapshot *prev = &a, *cur = &b, *t;
	const char *why = NULL;

	snapshot_take(&src, prev);
	do {
		for (int i = 0; i < 10 && !stop_requested; i++)
			usleep(100000);
		if (stop_requested || (why = primary_gone()) != NULL)
			break;
		snapshot_take(&src, cur);
		if (top)
			fputs("\033[H\033[2J", stdout); /* home, clear */
		export_table(stdout, cur, prev);
		fflush(stdout);
		t = prev;
		prev = cur;
		cur = t;
	} while (top);
	if (why != NULL)
		fprintf(stderr, "gs-stats: %s\n", why);
	return why != NULL && !top ? GS_EXIT_FAILURE : GS_EXIT_OK;
}

int
main(int argc, char **argv)
{
	enum mode mode = MODE_SERVE;
	struct gs_control *ctl;
	struct gs_app app;
	int ret;

	ret = gs_app_init(&app, argc, argv, GS_ROLE_STATS);
	if (ret != GS_EXIT_OK)
		return ret < 0 ? GS_EXIT_OK : ret;
	for (int i = 0; i < app.n_args; i++) {
		if (strcmp(app.args[i], "--once") == 0) {
			mode = MODE_ONCE;
		} else if (strcmp(app.args[i], "--top") == 0) {
			mode = MODE_TOP;
		} else if (strcmp(app.args[i], "--json") == 0) {
			mode = MODE_JSON;
		} else {
			fprintf(stderr, "gs-stats: unknown argument '%s'\n", app.args[i]);
			usage(stderr);
			gs_app_fini(&app);
			return GS_EXIT_CONFIG;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (gs_control_attach(&app, ATTACH_WAIT_MS, &ctl) < 0 || stats_src_init(&src, ctl) < 0) {
		gs_app_fini(&app);
		return GS_EXIT_FAILURE;
	}
	gs_app_attached(&app); /* every lookup done: killable at any instant from here */
	switch (mode) {
	case MODE_SERVE:
		ret = serve(&app.cfg);
		break;
	case MODE_ONCE:
	case MODE_TOP:
		ret = table(mode == MODE_TOP);
		break;
	case MODE_JSON: {
		size_t len;
		char *body = render(false, &len);

		ret = body != NULL && fwrite(body, 1, len, stdout) == len ? GS_EXIT_OK :
									    GS_EXIT_FAILURE;
		free(body);
		break;
	}
	}
	gs_app_fini(&app);
	return ret;
}
