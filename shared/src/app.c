/* SPDX-License-Identifier: BSD-3-Clause */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "gs_app.h"

#define EAL_MAX_ARGS  64
#define GUARD_WAIT_MS 2000 /* the primary holds the guard for ~100 ms while it repairs */

static void
usage(const char *prog, enum gs_role role)
{
	fprintf(stderr,
		"usage: %s [-c FILE] [-o section.key=value]...%s\n"
		"  -c FILE   configuration file (default %s)\n"
		"  -o S.K=V  override key K of section [S], e.g. -o eal.file_prefix=gs1\n"
		"%s"
		"  -h        this help\n",
		prog, role != GS_ROLE_HANDLER ? "" : " [-i INSTANCE]", GS_CFG_DEFAULT_PATH,
		role != GS_ROLE_HANDLER ?
			"" :
			"  -i N      handler instance, 0 .. lcore_count-1 of its class (default 0)\n");
}

static int
parse_args(struct gs_app *app, int argc, char **argv)
{
	bool tool = app->role == GS_ROLE_CTL || app->role == GS_ROLE_STATS;
	int n_common = argc, c;
	char *end;

	/* tools: their own "--long" options and command words follow the common ones */
	for (int i = 1; tool && i < argc; i++)
		if (strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0') {
			n_common = i;
			break;
		}
	optind = 1;
	/* "+": stop at the first non-option (gs-ctl's command) */
	while ((c = getopt(n_common, argv, "+c:o:i:h")) != -1) {
		switch (c) {
		case 'c':
			app->cfg_path = optarg;
			break;
		case 'o':
			if (app->n_over == GS_APP_MAX_OVERRIDES) {
				fprintf(stderr, "%s: at most %d -o options\n", argv[0],
					GS_APP_MAX_OVERRIDES);
				return GS_EXIT_CONFIG;
			}
			app->overrides[app->n_over++] = optarg;
			break;
		case 'i':
			errno = 0;
			app->instance = (unsigned int)strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || *optarg == '\0' || *optarg == '-') {
				fprintf(stderr, "%s: -i %s: not an instance number\n", argv[0],
					optarg);
				return GS_EXIT_CONFIG;
			}
			break;
		case 'h':
			usage(argv[0], app->role);
			return -1;
		default:
			usage(argv[0], app->role);
			return GS_EXIT_CONFIG;
		}
	}
	if (tool) {
		app->args = argv + optind;
		app->n_args = argc - optind;
		return GS_EXIT_OK;
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		return GS_EXIT_CONFIG;
	}
	return GS_EXIT_OK;
}

int
gs_attach_guard_path(const char *prefix, char *buf, size_t len)
{
	/* as DPDK's eal_create_runtime_dir() chooses it */
	const char *base = getuid() == 0 ? "/var/run" : getenv("XDG_RUNTIME_DIR");
	int n;

	if (base == NULL)
		base = "/tmp";
	n = snprintf(buf, len, "%s/dpdk/%s/%s", base, prefix, GS_ATTACH_GUARD_FILE);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
gs_attach_guard_open(const char *prefix, char *path, size_t len)
{
	int fd;

	if (gs_attach_guard_path(prefix, path, len) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

int
gs_flock_wait(int fd, int op, unsigned int wait_ms)
{
	for (unsigned int waited = 0;; waited += 10) {
		if (flock(fd, op | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK || waited >= wait_ms)
			return -errno;
		usleep(10000);
	}
}

/*
 * Take the attach guard for reading (see gs_app.h). Without a runtime
 * directory there is no primary, and rte_eal_init() says so; a guard the
 * primary keeps exclusive for longer than GUARD_WAIT_MS is not waited for.
 */
static int
guard_take(const char *prog, const char *prefix)
{
	char path[PATH_MAX];
	int fd = gs_attach_guard_open(prefix, path, sizeof(path)), ret;

	if (fd < 0)
		return -1;
	ret = gs_flock_wait(fd, LOCK_SH, GUARD_WAIT_MS);
	if (ret < 0) {
		fprintf(stderr, "%s: %s: %s: attaching without the guard\n", prog, path,
			ret == -EWOULDBLOCK ? "held by the primary" : strerror(-ret));
		close(fd);
		return -1;
	}
	return fd;
}

void
gs_app_attached(struct gs_app *app)
{
	if (app->guard_fd >= 0)
		close(app->guard_fd); /* drops the flock */
	app->guard_fd = -1;
}

static int
app_init(struct gs_app *app, int argc, char **argv, enum gs_role role, const char *class_name)
{
	const struct gs_cfg_proc *proc;
	char *eal_argv[EAL_MAX_ARGS + 1];
	char eal_buf[4096], err[1024];
	int eal_argc, ret;

	memset(app, 0, sizeof(*app));
	app->guard_fd = -1;
	app->role = role;
	app->class_name = class_name;
	app->cfg_path = GS_CFG_DEFAULT_PATH;
	ret = parse_args(app, argc, argv);
	if (ret != GS_EXIT_OK)
		return ret;

	ret = gs_cfg_load(&app->cfg, app->cfg_path, app->overrides, app->n_over, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s: config error: %s\n", argv[0], err);
		return GS_EXIT_CONFIG;
	}
	if (role == GS_ROLE_HANDLER) {
		app->cls = gs_cfg_class_find(&app->cfg, class_name);
		if (app->cls == GS_CLASS_NONE) {
			fprintf(stderr,
				"%s: %s has no [class.%s] section: add one (its types, instances and lcore ids; docs/CONFIG.md) to run this handler\n",
				argv[0], app->cfg.path, class_name);
			return GS_EXIT_CONFIG;
		}
	}
	proc = gs_cfg_proc_of(&app->cfg, role, app->cls);
	if (role != GS_ROLE_PRIMARY && app->instance >= proc->lcore_count) {
		fprintf(stderr,
			"%s: -i %u: [%s%s] lcore_count = %u gives instances 0..%u their lcore ids\n",
			argv[0], app->instance, role == GS_ROLE_HANDLER ? "class." : "",
			role == GS_ROLE_HANDLER ? class_name : gs_role_name(role),
			proc->lcore_count, proc->lcore_count - 1);
		return GS_EXIT_CONFIG;
	}

	eal_argc = gs_cfg_eal_args(&app->cfg, role, app->cls, app->instance, argv[0], eal_argv,
		EAL_MAX_ARGS, eal_buf, sizeof(eal_buf));
	if (eal_argc < 0) {
		fprintf(stderr, "%s: cannot build EAL arguments: %s\n", argv[0],
			strerror(-eal_argc));
		return GS_EXIT_CONFIG;
	}
	if (role != GS_ROLE_PRIMARY)
		app->guard_fd = guard_take(argv[0], app->cfg.file_prefix);
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init: %s\n", argv[0], rte_strerror(rte_errno));
		gs_app_attached(app);
		return GS_EXIT_FAILURE;
	}
	return GS_EXIT_OK;
}

int
gs_app_init(struct gs_app *app, int argc, char **argv, enum gs_role role)
{
	return app_init(app, argc, argv, role, NULL);
}

int
gs_app_init_handler(struct gs_app *app, int argc, char **argv, const char *class_name)
{
	return app_init(app, argc, argv, GS_ROLE_HANDLER, class_name);
}

void
gs_app_fini(struct gs_app *app)
{
	if (app->role == GS_ROLE_PRIMARY)
		rte_eal_cleanup();
	gs_app_attached(app);
}

bool
gs_pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

bool
gs_pid_running(int32_t pid)
{
	char state;

	if (!gs_pid_alive(pid))
		return false;
	state = gs_pid_state(pid);
	return state != 'Z' && state != 'X';
}

char
gs_pid_state(int32_t pid)
{
	char path[64], buf[512];
	const char *close_paren;
	size_t n;
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')' */
	close_paren = strrchr(buf, ')');
	if (close_paren == NULL || close_paren[1] != ' ' || close_paren[2] == '\0')
		return 0;
	return close_paren[2];
}
