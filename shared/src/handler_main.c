/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "gs_handler.h"
#include "gs_log.h"

#define ATTACH_WAIT_MS 10000

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* The class section's own keys are the ones the program reads: a typo is an error. */
static int
check_params(const struct gs_handler_prog *prog, const struct gs_app *app)
{
	static const char *const none[] = { NULL };
	char err[512];
	int ret;

	ret = gs_cfg_class_params_check(
		&app->cfg, app->cls, prog->params != NULL ? prog->params : none, err, sizeof(err));
	if (ret < 0)
		fprintf(stderr, "%s: config error: %s\n", prog->name, err);
	return ret;
}

int
gs_handler_main_sdk(
	uint32_t sdk, int argc, char **argv, const struct gs_handler_prog *prog, void *ctx)
{
	static struct gs_handler handler;
	struct gs_app app;
	int ret;

	ret = gs_app_init_handler(&app, argc, argv, prog->class_name);
	if (ret != GS_EXIT_OK)
		return ret < 0 ? GS_EXIT_OK : ret;
	if (prog->single_instance && app.instance != 0) {
		fprintf(stderr, "%s: only instance 0 exists (its state has one writer)\n",
			prog->name);
		gs_app_fini(&app);
		return GS_EXIT_CONFIG;
	}
	if (check_params(prog, &app) < 0) {
		gs_app_fini(&app);
		return GS_EXIT_CONFIG;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	ret = gs_handler_attach_sdk(sdk, &handler, &app, ATTACH_WAIT_MS);
	if (ret < 0) {
		gs_app_fini(&app);
		/* a class the group does not run: a restart would not help */
		return ret == -ESRCH ? GS_EXIT_CONFIG : GS_EXIT_FAILURE;
	}
	gs_handler_events_declare(&handler, prog->events, prog->n_events, ctx);
	ret = prog->init(ctx, &handler, &app.cfg);
	gs_app_attached(&app); /* every lookup done: killable at any instant from here */
	if (ret == 0)
		ret = gs_handler_run(&handler, &prog->ops, ctx, &stop_requested);
	prog->report(ctx, ret);
	gs_handler_detach(&handler);
	gs_app_fini(&app);
	return ret == 0 || ret == -ESHUTDOWN ? GS_EXIT_OK : GS_EXIT_FAILURE;
}
