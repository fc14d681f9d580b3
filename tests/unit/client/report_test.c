/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"

#include "client.h"
#include "gsc_repl.h"
#include "replicate.pb-c.h"
#include "report.h"

/*
 * gs-client's --views reporting (client/report.c): the view line of
 * --view-out, the view kept as a player's play ends, the others it saw,
 * and the summary's views line and object. The views are made by
 * libgsclient from Snapshot payloads built here.
 */

#define MS	UINT64_C(1000000) /* ns */
#define PLAYERS 4u

static struct client c; /* histograms: not on the stack */
static struct player pl[PLAYERS];
static struct gsc_repl *repl[PLAYERS]; /* 370 KiB each: on the heap */

/* An entity of a Snapshot: position in 1/16 unit. */
struct ent {
	uint32_t id;
	int32_t x, y, z;
	int32_t hp;
	bool alive;
};

/* Apply a full Snapshot of @p n entities at @p tick (cut @p cut) to player @p i's view. */
static void
apply_full(unsigned int i, uint32_t tick, const struct ent *e, size_t n, uint32_t cut)
{
	Gs__EntityState st[8], *full[8];
	Gs__Snapshot s = GS__SNAPSHOT__INIT;
	struct gsc_snapshot_info info;
	uint8_t buf[1024];
	size_t k, len;

	CU_ASSERT_FATAL(n <= 8);
	for (k = 0; k < n; k++) {
		gs__entity_state__init(&st[k]);
		st[k].id = e[k].id;
		st[k].x = e[k].x;
		st[k].y = e[k].y;
		st[k].z = e[k].z;
		st[k].hp = e[k].hp;
		st[k].alive = e[k].alive ? 1 : 0;
		full[k] = &st[k];
	}
	s.tick = tick;
	s.n_full = n;
	s.full = full;
	s.cut = cut;
	len = gs__snapshot__pack(&s, buf);
	CU_ASSERT_EQUAL_FATAL(gsc_repl_input(pl[i].repl, buf, len, tick * MS, &info), 0);
	CU_ASSERT_FATAL(info.applied);
}

/*
 * The views of the tests. The players' entities are 5, 7, 20 and 11: player 1
 * sees 3 and 9 at tick 5, and 11, 12, 13 more at tick 6; player 2 is in neither.
 */
static const struct ent view5[] = {
	{ .id = 9, .x = -16, .y = 8, .z = 0, .hp = 0, .alive = false },
	{ .id = 7, .x = 24, .y = -32, .z = 1, .hp = 100, .alive = true },
	{ .id = 3, .x = 161, .y = 0, .z = 0, .hp = 55, .alive = true },
};
static const struct ent view6[] = {
	{ .id = 9, .x = -16, .y = 8, .z = 0, .hp = 0, .alive = false },
	{ .id = 7, .x = 24, .y = -32, .z = 1, .hp = 100, .alive = true },
	{ .id = 3, .x = 161, .y = 0, .z = 0, .hp = 55, .alive = true },
	{ .id = 11, .x = 0, .y = 0, .z = 0, .hp = 10, .alive = true },
	{ .id = 12, .x = 0, .y = 0, .z = 0, .hp = 10, .alive = true },
	{ .id = 13, .x = 0, .y = 0, .z = 0, .hp = 10, .alive = true },
};

/* a player's own state before any DAMAGED, without --fight */
#define OWN0                                                                                   \
	"\"auth\":[0,0,0],\"hp\":0,\"hp_prev\":0,\"dead\":false,\"deaths\":0,\"state_ms\":-1," \
	"\"partner\":0,\"partner_deaths_seen\":0,"

#define LINE5                                                                                  \
	"{\"player\":1,\"session\":42,\"entity\":7,\"tick\":5,\"views_applied\":1,\"full\":1," \
	"\"delta\":0,\"dropped\":0,\"acks\":0,\"cut\":2,\"saw\":2," OWN0 "\"view\":["          \
	"{\"id\":3,\"x\":10.0625,\"y\":0,\"z\":0,\"hp\":55,\"alive\":true},"                   \
	"{\"id\":7,\"x\":1.5,\"y\":-2,\"z\":0.0625,\"hp\":100,\"alive\":true},"                \
	"{\"id\":9,\"x\":-1,\"y\":0.5,\"z\":0,\"hp\":0,\"alive\":false}]}\n"

/* A fresh client of PLAYERS players, each with an empty view, none with views on. */
static void
reset(void)
{
	static const uint32_t entity[PLAYERS] = { 5, 7, 20, 11 };
	unsigned int i;

	for (i = 0; i < PLAYERS; i++)
		free(pl[i].end.line);
	memset(&c, 0, sizeof(c));
	memset(pl, 0, sizeof(pl));
	c.p = pl;
	c.o.players = PLAYERS;
	for (i = 0; i < PLAYERS; i++) {
		gsc_repl_init(repl[i]);
		pl[i].repl = repl[i];
		pl[i].s.session_id = 40 + i + 1;
		pl[i].s.entity_id = entity[i];
	}
}

/* What report_view_line() writes for player @p i, in a malloc()ed string. */
static char *
view_line(unsigned int i)
{
	char *out = NULL;
	size_t size;
	FILE *f = open_memstream(&out, &size);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(report_view_line(f, i, &pl[i], NULL, 0), 0);
	fclose(f);
	return out;
}

/* What @p fn printed on stdout, in a malloc()ed string. */
static char *
stdout_of(void (*fn)(const struct client *, const struct totals *), const struct totals *t)
{
	FILE *tmp = tmpfile();
	char *out;
	long n;
	int saved;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	CU_ASSERT_FATAL(saved >= 0);
	dup2(fileno(tmp), STDOUT_FILENO);
	fn(&c, t);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = ftell(tmp);
	out = calloc(1, (size_t)n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	rewind(tmp);
	CU_ASSERT_EQUAL(fread(out, 1, (size_t)n, tmp), (size_t)n);
	fclose(tmp);
	return out;
}

static void
test_view_line_lists_the_view_by_id_in_world_units(void)
{
	char *line;

	reset();
	apply_full(1, 5, view5, 3, 2);
	report_note_view(&pl[1]);
	line = view_line(1);
	CU_ASSERT_STRING_EQUAL(line, LINE5);
	free(line);
}

static void
test_view_line_without_a_snapshot_has_tick_0_and_an_empty_view(void)
{
	char *line;

	reset();
	line = view_line(0);
	CU_ASSERT_STRING_EQUAL(line,
		"{\"player\":0,\"session\":41,\"entity\":5,\"tick\":0,\"views_applied\":0,"
		"\"full\":0,\"delta\":0,\"dropped\":0,\"acks\":0,\"cut\":0,\"saw\":0," OWN0
		"\"view\":[]}\n");
	free(line);
}

static void
test_view_line_states_the_players_own_state_and_partner(void)
{
	const uint64_t now = 10000000000ull; /* 10 s */
	char *out = NULL, *own;
	size_t size;
	FILE *f;

	reset();
	pl[1].auth[0] = 12.5f;
	pl[1].auth[1] = -3.0f;
	pl[1].hp = 0;
	pl[1].hp_prev = 25;
	pl[1].deaths = 2;
	pl[1].dead = true;
	pl[1].respawn_ns = now + 1000000000ull;
	pl[1].damaged_ns = now - 250000000ull; /* killed 250 ms ago */
	pl[1].partner_deaths_seen = 3;
	f = open_memstream(&out, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(report_view_line(f, 1, &pl[1], &pl[0], now), 0);
	fclose(f);
	own = strstr(out, "\"auth\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(own);
	CU_ASSERT_NSTRING_EQUAL(own,
		"\"auth\":[12.5,-3,0],\"hp\":0,\"hp_prev\":25,\"dead\":true,\"deaths\":2,"
		"\"state_ms\":250,\"partner\":5,\"partner_deaths_seen\":3,\"view\":[",
		strlen("\"auth\":[12.5,-3,0],\"hp\":0,\"hp_prev\":25,\"dead\":true,\"deaths\":2,"
		       "\"state_ms\":250,\"partner\":5,\"partner_deaths_seen\":3,\"view\":["));
	free(out);

	/* 2 s later it has respawned: alive, its state changed when it came back (1 s ago) */
	out = NULL;
	f = open_memstream(&out, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(report_view_line(f, 1, &pl[1], &pl[0], now + 2000000000ull), 0);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"dead\":false,\"deaths\":2,\"state_ms\":1000,"));
	free(out);
}

static void
test_saw_counts_others_and_keeps_the_most(void)
{
	reset();
	apply_full(1, 5, view5, 3, 0);
	report_note_view(&pl[1]);
	CU_ASSERT_EQUAL(pl[1].saw, 2); /* 3 and 9, not its own 7 */
	apply_full(1, 6, view6, 6, 0);
	report_note_view(&pl[1]);
	CU_ASSERT_EQUAL(pl[1].saw, 5);
	apply_full(1, 7, view5, 3, 0);
	report_note_view(&pl[1]);
	CU_ASSERT_EQUAL(pl[1].saw, 5); /* the most of any view */

	/* its own entity not in view: every entity is another */
	apply_full(2, 5, view5, 3, 0);
	report_note_view(&pl[2]);
	CU_ASSERT_EQUAL(pl[2].saw, 3);
}

static void
test_take_view_keeps_the_view_as_play_ended(void)
{
	reset();
	c.o.views = true;
	c.o.view_out = "unused";
	apply_full(1, 5, view5, 3, 2);
	report_note_view(&pl[1]);
	CU_ASSERT_EQUAL(report_take_view(&c, &pl[1]), 0);
	CU_ASSERT(pl[1].end.taken);
	CU_ASSERT_EQUAL(pl[1].end.tick, 5);
	CU_ASSERT_EQUAL(pl[1].end.saw, 2);
	CU_ASSERT_EQUAL(pl[1].end.st.applied, 1);
	CU_ASSERT_EQUAL(pl[1].end.st.cut, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl[1].end.line);
	CU_ASSERT_STRING_EQUAL(pl[1].end.line, LINE5);

	/* a snapshot after (in flight at DISCONNECT) changes nothing kept */
	apply_full(1, 6, view6, 6, 0);
	report_note_view(&pl[1]);
	CU_ASSERT_EQUAL(report_take_view(&c, &pl[1]), 0);
	CU_ASSERT_EQUAL(pl[1].end.tick, 5);
	CU_ASSERT_EQUAL(pl[1].end.saw, 2);
	CU_ASSERT_EQUAL(pl[1].end.st.applied, 1);
	CU_ASSERT_STRING_EQUAL(pl[1].end.line, LINE5);
}

static void
test_take_view_without_view_out_keeps_no_line(void)
{
	reset();
	c.o.views = true;
	apply_full(1, 5, view5, 3, 0);
	CU_ASSERT_EQUAL(report_take_view(&c, &pl[1]), 0);
	CU_ASSERT(pl[1].end.taken);
	CU_ASSERT_EQUAL(pl[1].end.tick, 5);
	CU_ASSERT_PTR_NULL(pl[1].end.line);

	/* no gsc_repl (no --views): nothing kept */
	pl[2].repl = NULL;
	CU_ASSERT_EQUAL(report_take_view(&c, &pl[2]), 0);
	CU_ASSERT(!pl[2].end.taken);
}

/* Players 1 and 3 with views (saw 2 and 5), 2 without one (a snapshot refused), 0 never played. */
static void
three_played(void)
{
	reset();
	c.o.views = true;
	apply_full(1, 5, view5, 3, 2);
	report_note_view(&pl[1]);
	apply_full(3, 6, view6, 6, 1);
	report_note_view(&pl[3]); /* entity 11: 5 others */
	repl[3]->stats.dropped_old = 2;
	repl[3]->stats.dropped_no_baseline = 1;
	repl[3]->stats.acks_sent = 3;
	repl[2]->stats.dropped_bad = 1; /* no view, but counted */
	CU_ASSERT_EQUAL(report_take_view(&c, &pl[1]), 0);
	CU_ASSERT_EQUAL(report_take_view(&c, &pl[2]), 0);
	CU_ASSERT_EQUAL(report_take_view(&c, &pl[3]), 0);
}

static void
test_sum_up_counts_players_with_a_view(void)
{
	struct totals t;

	three_played();
	report_sum_up(&c, &t);
	CU_ASSERT_EQUAL(t.view_players, 2);
	CU_ASSERT_EQUAL(t.view.applied, 2);
	CU_ASSERT_EQUAL(t.view.full, 2);
	CU_ASSERT_EQUAL(t.view.delta, 0);
	CU_ASSERT_EQUAL(t.view_dropped, 4);
	CU_ASSERT_EQUAL(t.view.dropped_bad, 1);
	CU_ASSERT_EQUAL(t.view.acks_sent, 3);
	CU_ASSERT_EQUAL(t.view.cut, 3);
	CU_ASSERT_EQUAL(t.saw_min, 2);
	CU_ASSERT_EQUAL(t.saw_max, 5);
	CU_ASSERT_EQUAL(t.saw_sum, 7);

	c.o.views = false;
	report_sum_up(&c, &t);
	CU_ASSERT_EQUAL(t.view_players, 0);
	CU_ASSERT_EQUAL(t.view.applied, 0);
}

static void
test_summary_has_a_views_line_only_with_views(void)
{
	struct totals t;
	char *out;

	three_played();
	report_sum_up(&c, &t);
	out = stdout_of(report_print_text, &t);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(out, "\n  views:     players=2 snapshots=2 full=2 delta=0 dropped=4 acks=3 "
			    "cut=3 others_seen min=2 mean=3.5 max=5\n"));
	free(out);
	out = stdout_of(report_print_json, &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(out,
		",\"views\":{\"players\":2,\"snapshots\":2,\"full\":2,\"delta\":0,\"dropped\":4,"
		"\"dropped_by_reason\":{\"old\":2,\"no_baseline\":1,\"bad\":1},\"acks\":3,\"cut\":3,"
		"\"others_seen\":{\"min\":2,\"mean\":3.5,\"max\":5}}}\n"));
	free(out);

	c.o.views = false;
	report_sum_up(&c, &t);
	out = stdout_of(report_print_text, &t);
	CU_ASSERT_PTR_NULL(strstr(out, "views"));
	free(out);
	out = stdout_of(report_print_json, &t);
	CU_ASSERT_PTR_NULL(strstr(out, "views"));
	free(out);
}

static void
test_write_views_writes_the_kept_lines_by_player(void)
{
	char path[] = "/tmp/gs_report_test_XXXXXX", buf[4096];
	size_t n;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	reset();
	c.o.views = true;
	c.o.view_out = path;
	apply_full(1, 5, view5, 3, 2);
	report_note_view(&pl[1]);
	CU_ASSERT_EQUAL(report_take_view(&c, &pl[2]), 0); /* taken first, written second */
	CU_ASSERT_EQUAL(report_take_view(&c, &pl[1]), 0);
	CU_ASSERT_EQUAL(report_write_views(&c), 0);

	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf,
		LINE5 "{\"player\":2,\"session\":43,\"entity\":20,\"tick\":0,\"views_applied\":0,"
		      "\"full\":0,\"delta\":0,\"dropped\":0,\"acks\":0,\"cut\":0,\"saw\":0," OWN0
		      "\"view\":[]}\n");

	/* a line lost to memory: the rest written, the run told */
	free(pl[2].end.line);
	pl[2].end.line = NULL;
	CU_ASSERT_EQUAL(report_write_views(&c), -EIO);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, LINE5);
	unlink(path);
}

static CU_TestInfo view_tests[] = {
	{ "view line lists the view by id in world units",
		test_view_line_lists_the_view_by_id_in_world_units },
	{ "view line without a snapshot has tick 0 and an empty view",
		test_view_line_without_a_snapshot_has_tick_0_and_an_empty_view },
	{ "the view line states the player's own state and partner",
		test_view_line_states_the_players_own_state_and_partner },
	{ "saw counts others and keeps the most", test_saw_counts_others_and_keeps_the_most },
	{ "take view keeps the view as play ended", test_take_view_keeps_the_view_as_play_ended },
	{ "take view without view-out keeps no line",
		test_take_view_without_view_out_keeps_no_line },
	{ "sum up counts players with a view", test_sum_up_counts_players_with_a_view },
	{ "summary has a views line only with views",
		test_summary_has_a_views_line_only_with_views },
	{ "write views writes the kept lines by player",
		test_write_views_writes_the_kept_lines_by_player },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "report views", .pTests = view_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < PLAYERS; i++) {
		repl[i] = malloc(sizeof(*repl[i]));
		if (repl[i] == NULL)
			return 1;
	}
	ret = gs_test_run(suites);
	for (i = 0; i < PLAYERS; i++) {
		free(pl[i].end.line);
		free(repl[i]);
	}
	return ret;
}
