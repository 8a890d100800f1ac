/*
 * test_slowlog.c: unit tests for the slow log ring (src/slowlog.c), the error
 * counters (src/errorstats.c) and the latency monitor (src/latency.c): ring
 * order and wrap, trimming, argument and byte truncation at their limits and
 * one past, redaction, error codes as Redis finds them and their byte order,
 * latency samples per second and the sparkline of LATENCY GRAPH.
 */
#include "errorstats.h"
#include "latency.h"
#include "slowlog.h"

#include <criterion/criterion.h>

#define TEST_CAPACITY 4u

static struct slowlog_entry entries[TEST_CAPACITY];
static struct slowlog log_under_test;

static void setup(void) {
    memset(entries, 0xa5, sizeof(entries));
    slowlog_init(&log_under_test, entries, TEST_CAPACITY);
}

TestSuite(slowlog, .init = setup);

static void push_words(const char *const *words, uint32_t count, uint32_t redacted) {
    struct slice argv[64];
    cr_assert_leq(count, 64);
    for (uint32_t index = 0; index < count; index++) {
        argv[index] = slice_from_cstr(words[index]);
    }
    struct slowlog_record record = { .argv = argv, .argc = count, .redacted_mask = redacted,
                                     .duration_us = 7, .time_s = 1000, .peer = "1.2.3.4:5",
                                     .name = "n" };
    slowlog_push(&log_under_test, &record);
}

static void push_word(const char *word) {
    push_words(&word, 1, 0);
}

/* The argument as SLOWLOG GET shows it. */
static void arg_text(const struct slowlog_entry *entry, uint32_t index, char *text) {
    char suffix[SLOWLOG_SUFFIX_SIZE_MAX];
    uint32_t suffix_size = slowlog_arg_suffix(&entry->args[index], suffix);
    memcpy(text, entry->text[index], entry->args[index].size);
    memcpy(text + entry->args[index].size, suffix, suffix_size);
    text[entry->args[index].size + suffix_size] = 0;
}

Test(slowlog, newest_first_and_wrap) {
    const char *words[] = { "a", "b", "c", "d", "e", "f" };
    for (uint32_t index = 0; index < 6; index++) {
        push_word(words[index]);
        cr_assert_eq(log_under_test.length, MIN(index + 1, TEST_CAPACITY));
    }
    char text[256];
    for (uint32_t age = 0; age < TEST_CAPACITY; age++) {
        const struct slowlog_entry *entry = slowlog_get(&log_under_test, age);
        cr_assert_eq(entry->id, 5 - age);
        arg_text(entry, 0, text);
        cr_assert_str_eq(text, words[5 - age]);
        cr_assert_str_eq(entry->peer, "1.2.3.4:5");
        cr_assert_str_eq(entry->name, "n");
        cr_assert_eq(entry->duration_us, 7);
    }
}

Test(slowlog, trim_and_reset_keep_ids) {
    push_word("a");
    push_word("b");
    push_word("c");
    slowlog_trim(&log_under_test, 1);
    cr_assert_eq(log_under_test.length, 1);
    cr_assert_eq(slowlog_get(&log_under_test, 0)->id, 2);
    slowlog_trim(&log_under_test, TEST_CAPACITY);
    cr_assert_eq(log_under_test.length, 1);
    slowlog_trim(&log_under_test, 0);
    cr_assert_eq(log_under_test.length, 0);
    push_word("d");
    cr_assert_eq(slowlog_get(&log_under_test, 0)->id, 3);
    slowlog_reset(&log_under_test);
    cr_assert_eq(log_under_test.length, 0);
    push_word("e");
    cr_assert_eq(slowlog_get(&log_under_test, 0)->id, 4);
}

Test(slowlog, argument_count_limit) {
    const char *words[40];
    char storage[40][8];
    for (uint32_t index = 0; index < 40; index++) {
        snprintf(storage[index], sizeof(storage[index]), "w%u", index);
        words[index] = storage[index];
    }
    char text[256];
    push_words(words, SLOWLOG_ARGC_MAX, 0);   /* at the limit: all kept */
    const struct slowlog_entry *entry = slowlog_get(&log_under_test, 0);
    cr_assert_eq(entry->argc, SLOWLOG_ARGC_MAX);
    arg_text(entry, SLOWLOG_ARGC_MAX - 1, text);
    cr_assert_str_eq(text, "w31");
    push_words(words, SLOWLOG_ARGC_MAX + 1, 0);   /* one past: the last two become a note */
    entry = slowlog_get(&log_under_test, 0);
    cr_assert_eq(entry->argc, SLOWLOG_ARGC_MAX);
    arg_text(entry, SLOWLOG_ARGC_MAX - 2, text);
    cr_assert_str_eq(text, "w30");
    arg_text(entry, SLOWLOG_ARGC_MAX - 1, text);
    cr_assert_str_eq(text, "... (2 more arguments)");
    push_words(words, 40, 0);
    arg_text(slowlog_get(&log_under_test, 0), SLOWLOG_ARGC_MAX - 1, text);
    cr_assert_str_eq(text, "... (9 more arguments)");
}

Test(slowlog, argument_size_limit) {
    char exact[SLOWLOG_ARG_SIZE_MAX + 1];
    char longer[SLOWLOG_ARG_SIZE_MAX + 2];
    memset(exact, 'x', SLOWLOG_ARG_SIZE_MAX);
    exact[SLOWLOG_ARG_SIZE_MAX] = 0;
    memset(longer, 'y', SLOWLOG_ARG_SIZE_MAX + 1);
    longer[SLOWLOG_ARG_SIZE_MAX + 1] = 0;
    const char *words[] = { "echo", exact, longer, "" };
    push_words(words, 4, 0);
    const struct slowlog_entry *entry = slowlog_get(&log_under_test, 0);
    char text[256];
    arg_text(entry, 1, text);
    cr_assert_str_eq(text, exact);
    arg_text(entry, 2, text);
    cr_assert_eq(strlen(text), SLOWLOG_ARG_SIZE_MAX + strlen("... (1 more bytes)"));
    cr_assert_str_eq(text + SLOWLOG_ARG_SIZE_MAX, "... (1 more bytes)");
    arg_text(entry, 3, text);
    cr_assert_str_eq(text, "");
}

Test(slowlog, redaction) {
    const char *words[] = { "auth", "user", "password" };
    push_words(words, 3, 0x6);
    const struct slowlog_entry *entry = slowlog_get(&log_under_test, 0);
    char text[256];
    arg_text(entry, 0, text);
    cr_assert_str_eq(text, "auth");
    arg_text(entry, 1, text);
    cr_assert_str_eq(text, "(redacted)");
    arg_text(entry, 2, text);
    cr_assert_str_eq(text, "(redacted)");
}

/* ==== errorstats ==== */

static struct errorstats errors;

static void record_error(const char *text) {
    errorstats_record(&errors, text, (uint32_t)strlen(text));
}

Test(errorstats, codes_in_byte_order) {
    memset(&errors, 0, sizeof(errors));
    record_error("WRONGTYPE Operation against a key holding the wrong kind of value");
    record_error("ERR syntax error");
    record_error("NOAUTH Authentication required.");
    record_error("ERR x");
    record_error("NOPERM this user ...");
    cr_assert_eq(errors.total, 5);
    cr_assert_eq(errors.code_count, 4);
    const char *expected[] = { "ERR", "NOAUTH", "NOPERM", "WRONGTYPE" };
    for (uint32_t index = 0; index < 4; index++) {
        cr_assert_eq(errors.codes[index].size, strlen(expected[index]));
        cr_assert(memcmp(errors.codes[index].name, expected[index],
                         errors.codes[index].size) == 0);
    }
    cr_assert_eq(errors.codes[0].count, 2);
    errorstats_reset(&errors);
    cr_assert_eq(errors.total, 0);
    cr_assert_eq(errors.code_count, 0);
}

Test(errorstats, code_window) {
    memset(&errors, 0, sizeof(errors));
    /* Redis looks for the space in the first 32 bytes of "-<text>": a code of up to 30
     * bytes is kept; a longer one, or no space at all, counts as "ERR". */
    record_error("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 x");    /* 30-byte code: kept */
    record_error("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234 x");   /* 31 bytes: ERR */
    record_error("NOSPACE");
    cr_assert_eq(errors.code_count, 2);
    cr_assert_eq(errors.codes[0].size, 30);
    cr_assert_eq(errors.codes[1].size, 3);
    cr_assert(memcmp(errors.codes[1].name, "ERR", 3) == 0);
    cr_assert_eq(errors.codes[1].count, 2);
}

Test(errorstats, full_table_still_counts_the_total) {
    memset(&errors, 0, sizeof(errors));
    char text[32];
    for (uint32_t index = 0; index < ERRORSTATS_CODES_MAX + 1; index++) {
        snprintf(text, sizeof(text), "E%03u x", index);
        record_error(text);
    }
    cr_assert_eq(errors.code_count, ERRORSTATS_CODES_MAX);
    cr_assert_eq(errors.total, ERRORSTATS_CODES_MAX + 1);
    record_error("E000 again");
    cr_assert_eq(errors.codes[0].count, 2);
}

/* ==== latency ==== */

static struct latency monitor;

Test(latency, one_sample_per_second) {
    memset(&monitor, 0, sizeof(monitor));
    latency_add_sample(&monitor, "command", 5, 100);
    latency_add_sample(&monitor, "command", 3, 100);
    latency_add_sample(&monitor, "command", 9, 100);
    const struct latency_series *series = latency_find(&monitor, slice_from_cstr("command"));
    cr_assert_not_null(series);
    cr_assert_eq(latency_latest(series)->latency_ms, 9);
    cr_assert_eq(series->max_ms, 9);
    latency_add_sample(&monitor, "command", 2, 101);
    cr_assert_eq(latency_latest(series)->latency_ms, 2);
    cr_assert_eq(latency_latest(series)->time_s, 101);
    cr_assert_eq(series->max_ms, 9);
    cr_assert_null(latency_find(&monitor, slice_from_cstr("COMMAND")));
    struct slice upper = slice_from_cstr("COMMAND");
    cr_assert_eq(latency_reset(&monitor, &upper), 1);
    cr_assert_eq(latency_event_count(&monitor), 0);
}

Test(latency, ring_keeps_the_latest_160) {
    memset(&monitor, 0, sizeof(monitor));
    for (uint32_t second = 1; second <= LATENCY_TS_LEN + 10; second++) {
        latency_add_sample(&monitor, "command", second, second);
    }
    const struct latency_series *series = latency_find(&monitor, slice_from_cstr("command"));
    uint32_t oldest = UINT32_MAX;
    for (uint32_t index = 0; index < LATENCY_TS_LEN; index++) {
        oldest = MIN(oldest, series->samples[index].latency_ms);
    }
    cr_assert_eq(oldest, 11);
    cr_assert_eq(latency_latest(series)->latency_ms, LATENCY_TS_LEN + 10);
}

Test(latency, graph_sparkline) {
    memset(&monitor, 0, sizeof(monitor));
    latency_add_sample(&monitor, "command", 1, 1000);
    latency_add_sample(&monitor, "command", 5, 1001);
    latency_add_sample(&monitor, "command", 10, 1002);
    const struct latency_series *series = latency_find(&monitor, slice_from_cstr("command"));
    char graph[LATENCY_GRAPH_SIZE_MAX];
    uint32_t size = latency_graph(series, 1002, graph);
    /* Redis's sparkline: min 1, max 10, 12 steps over 4 rows of "_o#", '|' below a mark. */
    char expected[1024];
    int written = snprintf(expected, sizeof(expected),
                           "command - high 10 ms, low 1 ms (all time high 10 ms)\n%s\n"
                           "  #\n  |\n #|\n_||\n   \n210\nsss\n",
                           "----------------------------------------"
                           "----------------------------------------");
    cr_assert_gt(written, 0);
    cr_assert_eq(size, strlen(expected));
    cr_assert_str_eq(graph, expected);
}

Test(latency, doctor_texts) {
    memset(&monitor, 0, sizeof(monitor));
    struct latency_settings settings = { .slowlog_log_slower_than = 10000,
                                         .latency_monitor_threshold = 0, .hz = 10,
                                         .huge_pages = false };
    char report[LATENCY_DOCTOR_SIZE_MAX];
    latency_doctor(&monitor, &settings, 100, report);
    cr_assert(strncmp(report, "I'm sorry, Dave", 15) == 0);
    settings.latency_monitor_threshold = 1;
    latency_doctor(&monitor, &settings, 100, report);
    cr_assert(strncmp(report, "Dave, no latency spike", 22) == 0);
    latency_add_sample(&monitor, "command", 4, 100);
    latency_add_sample(&monitor, "command", 8, 102);
    latency_doctor(&monitor, &settings, 104, report);
    cr_assert(strstr(report, "1. command: 2 latency spikes (average 6ms, mean deviation 2ms, "
                             "period 2.00 sec). Worst all time event 8ms.\n") != NULL);
    cr_assert(strstr(report, "'CONFIG SET slowlog-log-slower-than 1000'") != NULL);
}
