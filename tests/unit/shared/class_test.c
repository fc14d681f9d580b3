/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Handler classes as configuration: type lists, [class.NAME] sections, and
 * every refusal naming the file, line, section and key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_cfg.h"
#include "gs_class.h"
#include "gs_test.h"

#include "cfg_fixture.h"

static struct gs_cfg cfg;
static char err[1024];
static char ini_path[FX_CFG_PATH];

/* Load @p text as a config file with overrides @p ov; the file is gone on return. */
static int
load_ov(const char *text, char *const *ov, unsigned int n_ov)
{
	return fx_cfg_load_text(&cfg, text, ov, n_ov, ini_path, err, sizeof(err));
}

static int
load(const char *text)
{
	return load_ov(text, NULL, 0);
}

/* The error names @p what (and says so when it does not). */
static void
assert_err_has(const char *what)
{
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	if (strstr(err, what) == NULL)
		fprintf(stderr, "\n    error was: %s\n    wanted: %s\n", err, what);
}

#define SESSION "[class.session]\n"
#define CHAT	"[class.chat]\ntypes = 64-79, 90\nlcore_first = 40\n"

/* --- type lists ---------------------------------------------------------------------------- */

static void
test_type_lists_parse_numbers_and_ranges(void)
{
	struct gs_type_set s;
	char buf[64];

	CU_ASSERT_EQUAL_FATAL(gs_type_set_parse("64-79, 90,255", &s), 0);
	for (unsigned int t = 0; t < 256; t++)
		CU_ASSERT_EQUAL(
			gs_type_set_has(&s, t), (t >= 64 && t <= 79) || t == 90 || t == 255);
	gs_type_set_format(&s, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "64-79,90,255");
	CU_ASSERT_EQUAL(gs_type_set_parse("7", &s), 0);
	gs_type_set_format(&s, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "7");
}

static void
test_bad_type_lists_are_refused(void)
{
	static const char *const bad[] = { "", "256", "-1", "10-", "-10", "20-10", "1,,2", "x",
		"1 2", "0x10", "64-79,", " " };
	struct gs_type_set s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(gs_type_set_parse(bad[i], &s), -EINVAL);
		if (gs_type_set_parse(bad[i], &s) != -EINVAL)
			fprintf(stderr, "\n    accepted: \"%s\"\n", bad[i]);
	}
}

static void
test_overlap_is_the_lowest_common_type(void)
{
	struct gs_type_set a, b;

	gs_type_set_parse("16-31", &a);
	gs_type_set_parse("40, 30-33", &b);
	CU_ASSERT_EQUAL(gs_type_set_overlap(&a, &b), 30);
	gs_type_set_parse("32-47", &b);
	CU_ASSERT_EQUAL(gs_type_set_overlap(&a, &b), -1);
}

static void
test_class_names_are_checked(void)
{
	CU_ASSERT_TRUE(gs_class_name_valid("chat"));
	CU_ASSERT_TRUE(gs_class_name_valid("trade_2"));
	CU_ASSERT_TRUE(gs_class_name_valid("a23456789012345")); /* 15 characters */
	CU_ASSERT_FALSE(gs_class_name_valid("a234567890123456"));
	CU_ASSERT_FALSE(gs_class_name_valid(""));
	CU_ASSERT_FALSE(gs_class_name_valid("Chat"));
	CU_ASSERT_FALSE(gs_class_name_valid("2chat"));
	CU_ASSERT_FALSE(gs_class_name_valid("chat-room"));
	CU_ASSERT_FALSE(gs_class_name_valid("chat.x"));
}

/* --- [class.NAME] sections ----------------------------------------------------------------- */

static void
test_a_file_without_classes_runs_the_builtin_three(void)
{
	CU_ASSERT_EQUAL_FATAL(load("[net]\nudp_port = 7777\n"), 0);
	CU_ASSERT_EQUAL(cfg.n_classes, 3);
	CU_ASSERT_STRING_EQUAL(cfg.classes[GS_CLASS_SESSION].name, "session");
	CU_ASSERT_STRING_EQUAL(cfg.classes[2].name, "move");
	CU_ASSERT_STRING_EQUAL(cfg.classes[3].name, "combat");
	CU_ASSERT_TRUE(gs_type_set_has(&cfg.classes[2].types, 16));
	CU_ASSERT_TRUE(gs_type_set_has(&cfg.classes[3].types, 47));
}

static void
test_the_files_classes_are_the_groups(void)
{
	/* session is id 1 wherever it stands; the others in the file's order */
	CU_ASSERT_EQUAL_FATAL(load(CHAT "[class.move]\n" SESSION), 0);
	CU_ASSERT_EQUAL(cfg.n_classes, 3);
	CU_ASSERT_EQUAL(gs_cfg_class_find(&cfg, "session"), GS_CLASS_SESSION);
	CU_ASSERT_EQUAL(gs_cfg_class_find(&cfg, "chat"), 2);
	CU_ASSERT_EQUAL(gs_cfg_class_find(&cfg, "move"), 3);
	CU_ASSERT_EQUAL(gs_cfg_class_find(&cfg, "combat"), GS_CLASS_NONE);
	/* a built-in name starts from its built-in row */
	CU_ASSERT_TRUE(gs_type_set_has(&cfg.classes[3].types, 16));
	CU_ASSERT_EQUAL(cfg.classes[3].proc.lcore_first, 20);
	CU_ASSERT_EQUAL(cfg.classes[2].proc.lcore_first, 40);
	CU_ASSERT_EQUAL(cfg.classes[2].proc.lcore_count, 4);
	CU_ASSERT_EQUAL(cfg.classes[2].proc.instances, 1);
}

static void
test_an_override_adds_to_the_builtin_classes(void)
{
	char *ov[] = { "class.chat.types=64-79", "class.chat.lcore_first=40",
		"class.move.instances=2" };

	CU_ASSERT_EQUAL_FATAL(load_ov("[net]\nudp_port = 7777\n", ov, 3), 0);
	CU_ASSERT_EQUAL(cfg.n_classes, 4);
	CU_ASSERT_EQUAL(cfg.classes[gs_cfg_class_find(&cfg, "move")].proc.instances, 2);
	CU_ASSERT_NOT_EQUAL(gs_cfg_class_find(&cfg, "chat"), GS_CLASS_NONE);
}

static void
test_overlapping_types_name_both_classes_and_the_line(void)
{
	CU_ASSERT_EQUAL(
		load(SESSION "[class.move]\n[class.chat]\ntypes = 30-40\nlcore_first = 40\n"),
		-EINVAL);
	assert_err_has("line 4: [class.chat] types = \"30-40\"");
	assert_err_has("type 30 is also [class.move]'s");
}

static void
test_session_types_are_the_protocols(void)
{
	CU_ASSERT_EQUAL(load("[class.session]\ntypes = 1,3\n"), -EINVAL);
	assert_err_has("line 2: [class.session] types = \"1,3\"");
	assert_err_has("1,3,5");
}

static void
test_other_classes_keep_off_the_session_protocols_types(void)
{
	CU_ASSERT_EQUAL(load(SESSION "[class.chat]\ntypes = 7, 64\nlcore_first = 40\n"), -EINVAL);
	assert_err_has("[class.chat] types = \"7,64\"");
	assert_err_has("type 7: types 0-15 are the session protocol's");
}

static void
test_a_new_class_needs_types_and_lcores(void)
{
	CU_ASSERT_EQUAL(load(SESSION "[class.chat]\nlcore_first = 40\n"), -EINVAL);
	assert_err_has("[class.chat] types");
	assert_err_has("required");
	CU_ASSERT_EQUAL(load(SESSION "[class.chat]\ntypes = 64\n"), -EINVAL);
	assert_err_has("[class.chat] lcore_first");
	assert_err_has("required");
}

static void
test_the_session_class_is_required(void)
{
	CU_ASSERT_EQUAL(load("[class.move]\n"), -EINVAL);
	assert_err_has(ini_path);
	assert_err_has("no [class.session] section");
}

static void
test_bad_class_names_are_refused_with_the_line(void)
{
	CU_ASSERT_EQUAL(load("[net]\nvlan = 0\n[class.Chat]\ntypes = 64\n"), -EINVAL);
	assert_err_has("line 3: section [class.Chat]");
	CU_ASSERT_EQUAL(load("[class.chat-room]\ntypes = 64\n"), -EINVAL);
	assert_err_has("section [class.chat-room]");
}

static void
test_too_many_classes_are_refused(void)
{
	char text[4096];
	size_t off = 0;

	off += (size_t)snprintf(text + off, sizeof(text) - off, SESSION);
	/* session and 14 others fit; the 15th other is one too many */
	for (unsigned int k = 0; k < GS_MAX_CLASSES - 1; k++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
			"[class.c%u]\ntypes = %u\nlcore_first = %u\nlcore_count = 1\n", k, 100 + k,
			70 + k);
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	assert_err_has("[class.c14]");
	assert_err_has("at most 15 classes");
}

static void
test_fifteen_classes_fit(void)
{
	char text[4096];
	size_t off = 0;

	off += (size_t)snprintf(text + off, sizeof(text) - off, SESSION);
	for (unsigned int k = 0; k < GS_MAX_CLASSES - 2; k++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
			"[class.c%u]\ntypes = %u\nlcore_first = %u\nlcore_count = 1\n", k, 100 + k,
			70 + k);
	CU_ASSERT_EQUAL(load(text), 0);
	CU_ASSERT_EQUAL(cfg.n_classes, GS_MAX_CLASSES - 1);
}

static void
test_start_after_names_a_configured_class(void)
{
	CU_ASSERT_EQUAL(load("[primary]\nstart_after = session, chat\n" SESSION CHAT), 0);
	CU_ASSERT_EQUAL(cfg.start_after, (1u << GS_CLASS_SESSION) | (1u << 2));
	CU_ASSERT_EQUAL(load("[primary]\nstart_after = session, combat\n" SESSION CHAT), -EINVAL);
	assert_err_has("line 2: [primary] start_after");
	assert_err_has("no class 'combat'");
}

static void
test_class_lcores_must_not_overlap_another_process(void)
{
	CU_ASSERT_EQUAL(load(SESSION "[class.chat]\ntypes = 64\nlcore_first = 12\n"), -EINVAL);
	assert_err_has("[class.chat] lcore_first = \"12\"");
	assert_err_has("[class.session]");
}

static void
test_class_eal_args_use_the_class_lcores(void)
{
	char *argv[64], buf[4096];
	int argc;
	bool found = false;

	CU_ASSERT_EQUAL_FATAL(load(SESSION CHAT), 0);
	argc = gs_cfg_eal_args(&cfg, GS_ROLE_HANDLER, gs_cfg_class_find(&cfg, "chat"), 1, "gs-chat",
		argv, 63, buf, sizeof(buf));
	CU_ASSERT_FATAL(argc > 0);
	for (int a = 0; a < argc; a++)
		found |= strcmp(argv[a], "--lcores=41@(1)") == 0;
	CU_ASSERT_TRUE(found);
	CU_ASSERT_EQUAL(
		gs_cfg_eal_args(&cfg, GS_ROLE_HANDLER, 9, 0, "x", argv, 63, buf, sizeof(buf)),
		-EINVAL);
}

static void
test_a_class_keeps_its_handlers_own_keys(void)
{
	static const char *const known[] = { "radius", "say_pps", NULL };
	static const char *const fewer[] = { "say_pps", NULL };
	unsigned int chat;
	uint64_t v = 0;

	CU_ASSERT_EQUAL_FATAL(load(SESSION CHAT "radius = 30\nsay_pps = 5\n"), 0);
	chat = gs_cfg_class_find(&cfg, "chat");
	CU_ASSERT_EQUAL(gs_cfg_class_params_check(&cfg, chat, known, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(
		gs_cfg_class_param_u64(&cfg, chat, "radius", 1, 1000, 50, &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(v, 30);
	CU_ASSERT_EQUAL(
		gs_cfg_class_param_u64(&cfg, chat, "max_text", 1, 1000, 200, &v, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(v, 200); /* not set: the handler's default */
	/* a key the handler does not read is refused with its line */
	CU_ASSERT_EQUAL(gs_cfg_class_params_check(&cfg, chat, fewer, err, sizeof(err)), -EINVAL);
	assert_err_has(
		"line 5: [class.chat] radius = \"30\": unknown key (the chat handler knows: say_pps)");
	/* out of the handler's range */
	CU_ASSERT_EQUAL(
		gs_cfg_class_param_u64(&cfg, chat, "radius", 1, 10, 50, &v, err, sizeof(err)),
		-EINVAL);
	assert_err_has(
		"line 5: [class.chat] radius = \"30\": expected an unsigned integer in 1..10");
}

static void
test_builtin_classes_have_no_own_keys(void)
{
	CU_ASSERT_EQUAL(load(SESSION "[class.move]\nradius = 30\n"), -EINVAL);
	assert_err_has("line 3: [class.move] radius = \"30\": unknown key");
}

static CU_TestInfo type_tests[] = {
	{ "type lists parse numbers and ranges", test_type_lists_parse_numbers_and_ranges },
	{ "bad type lists are refused", test_bad_type_lists_are_refused },
	{ "overlap is the lowest common type", test_overlap_is_the_lowest_common_type },
	{ "class names are checked", test_class_names_are_checked },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo section_tests[] = {
	{ "a file without classes runs the built-in three",
		test_a_file_without_classes_runs_the_builtin_three },
	{ "the file's classes are the group's", test_the_files_classes_are_the_groups },
	{ "an override adds to the built-in classes",
		test_an_override_adds_to_the_builtin_classes },
	{ "overlapping types name both classes and the line",
		test_overlapping_types_name_both_classes_and_the_line },
	{ "session's types are the protocol's", test_session_types_are_the_protocols },
	{ "other classes keep off the session protocol's types",
		test_other_classes_keep_off_the_session_protocols_types },
	{ "a new class needs types and lcores", test_a_new_class_needs_types_and_lcores },
	{ "the session class is required", test_the_session_class_is_required },
	{ "bad class names are refused with the line",
		test_bad_class_names_are_refused_with_the_line },
	{ "too many classes are refused", test_too_many_classes_are_refused },
	{ "fifteen classes fit", test_fifteen_classes_fit },
	{ "start_after names a configured class", test_start_after_names_a_configured_class },
	{ "class lcores must not overlap another process",
		test_class_lcores_must_not_overlap_another_process },
	{ "class EAL args use the class's lcores", test_class_eal_args_use_the_class_lcores },
	{ "a class keeps its handler's own keys", test_a_class_keeps_its_handlers_own_keys },
	{ "built-in classes have no own keys", test_builtin_classes_have_no_own_keys },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "type lists", .pTests = type_tests },
	{ .pName = "class sections", .pTests = section_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
