/*
 * cmd_slowlog.c: SLOWLOG (GET, LEN, RESET, HELP) and LATENCY (LATEST, HISTORY,
 * RESET, DOCTOR, GRAPH, HELP) with Redis 7.0's replies. The records come from
 * src/slowlog.c and src/latency.c; the dispatch (commands.c) fills them.
 *
 * The subcommand and its arity were checked by the dispatch (acl.c's table);
 * what is left here is what Redis's handlers check themselves.
 * LATENCY HISTOGRAM is refused: keel keeps no per-command latency histograms.
 */
#include "commands.h"

#include "latency.h"
#include "slowlog.h"

#define HELP_NAME_SIZE_MAX 16u

/* Redis's addReplySubcommandSyntaxError: the subcommand as typed, the command upper-cased. */
static void reply_subcommand_syntax(struct client *client, const char *upper_name) {
    struct slice sub = client_arg(client, 1);
    const uint8_t *nul = sub.size == 0 ? NULL : memchr(sub.ptr, 0, sub.size);
    uint32_t shown = nul == NULL ? sub.size : (uint32_t)(nul - sub.ptr);
    reply_errorf(&client->reply, "ERR unknown subcommand or wrong number of arguments for "
                 "'%.*s'. Try %s HELP.", (int)MIN(shown, 128u), (const char *)sub.ptr,
                 upper_name);
}

/* Redis's addReplyHelp: the title line, the lines, then HELP's own two lines. */
static void reply_help(struct client *client, const char *upper_name, const char *const *lines,
                       uint32_t line_count) {
    char title[HELP_NAME_SIZE_MAX + 64];
    int size = snprintf(title, sizeof(title), "%s <subcommand> [<arg> [value] [opt] ...]. "
                        "Subcommands are:", upper_name);
    ASSERT(size > 0 && (uint32_t)size < sizeof(title));
    reply_array(&client->reply, line_count + 3);
    reply_simple(&client->reply, title);
    for (uint32_t index = 0; index < line_count; index++) {
        reply_simple(&client->reply, lines[index]);
    }
    reply_simple(&client->reply, "HELP");
    reply_simple(&client->reply, "    Prints this help.");
}

/* A bulk string from a NUL-terminated field of a fixed size. */
static void reply_bulk_field(struct client *client, const char *field, uint32_t size_max) {
    reply_bulk(&client->reply, field, strnlen(field, size_max));
}

/* ==== SLOWLOG ==== */

static void slowlog_reply_entry(struct client *client, const struct slowlog_entry *entry) {
    ASSERT(entry->argc >= 1);
    ASSERT(entry->argc <= SLOWLOG_ARGC_MAX);
    reply_array(&client->reply, 6);
    reply_integer(&client->reply, (int64_t)entry->id);
    reply_integer(&client->reply, entry->time_s);
    reply_integer(&client->reply, entry->duration_us);
    reply_array(&client->reply, entry->argc);
    for (uint32_t index = 0; index < entry->argc; index++) {
        const struct slowlog_arg *arg = &entry->args[index];
        char suffix[SLOWLOG_SUFFIX_SIZE_MAX];
        uint32_t suffix_size = slowlog_arg_suffix(arg, suffix);
        reply_bulk_header(&client->reply, (uint64_t)arg->size + suffix_size);
        reply_raw(&client->reply, entry->text[index], arg->size);
        reply_raw(&client->reply, suffix, suffix_size);
        reply_bulk_trailer(&client->reply);
    }
    reply_bulk_field(client, entry->peer, SLOWLOG_PEER_SIZE_MAX);
    reply_bulk_field(client, entry->name, SLOWLOG_NAME_SIZE_MAX);
}

/* SLOWLOG GET [count]: the newest `count` entries (10 by default, -1: all). */
static void slowlog_get_command(struct client *client) {
    int64_t count = 10;
    if (client->argv.count == 3 &&
        (!argument_int64(client_arg(client, 2), &count) || count < -1)) {
        reply_error(&client->reply, "ERR count should be greater than or equal to -1");
        return;
    }
    const struct slowlog *log = &slowlog_global;
    uint64_t sent = count < 0 ? log->length : MIN((uint64_t)count, log->length);
    reply_array(&client->reply, sent);
    for (uint64_t age = 0; age < sent; age++) {
        slowlog_reply_entry(client, slowlog_get(log, age));
    }
}

static const char *const slowlog_help_lines[] = {
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
};

void cmd_slowlog(struct client *client) {
    struct slice sub = client_arg(client, 1);
    uint32_t argc = client->argv.count;
    if (argc == 2 && slice_equal_nocase(sub, "reset")) {
        slowlog_reset(&slowlog_global);
        reply_ok(&client->reply);
    } else if (argc == 2 && slice_equal_nocase(sub, "len")) {
        reply_integer(&client->reply, (int64_t)slowlog_global.length);
    } else if ((argc == 2 || argc == 3) && slice_equal_nocase(sub, "get")) {
        slowlog_get_command(client);
    } else if (argc == 2 && slice_equal_nocase(sub, "help")) {
        reply_help(client, "SLOWLOG", slowlog_help_lines,
                   (uint32_t)ARRAY_COUNT(slowlog_help_lines));
    } else {
        reply_subcommand_syntax(client, "SLOWLOG");
    }
}

/* ==== LATENCY ==== */

static void latency_history_command(struct client *client) {
    const struct latency_series *series = latency_find(&latency_global, client_arg(client, 2));
    if (series == NULL) {
        reply_empty_array(&client->reply);
        return;
    }
    uint32_t count = 0;
    for (uint32_t index = 0; index < LATENCY_TS_LEN; index++) {
        count += series->samples[index].time_s != 0 ? 1u : 0u;
    }
    reply_array(&client->reply, count);
    for (uint32_t turn = 0; turn < LATENCY_TS_LEN; turn++) {
        const struct latency_sample *sample =
            &series->samples[(series->next + turn) % LATENCY_TS_LEN];
        if (sample->time_s != 0) {
            reply_array(&client->reply, 2);
            reply_integer(&client->reply, sample->time_s);
            reply_integer(&client->reply, sample->latency_ms);
        }
    }
}

static void latency_latest_command(struct client *client) {
    uint32_t count = latency_event_count(&latency_global);
    reply_array(&client->reply, count);
    for (uint32_t index = 0; index < count; index++) {
        const struct latency_series *series = latency_event(&latency_global, index);
        const struct latency_sample *latest = latency_latest(series);
        reply_array(&client->reply, 4);
        reply_bulk_cstr(&client->reply, series->name);
        reply_integer(&client->reply, latest->time_s);
        reply_integer(&client->reply, latest->latency_ms);
        reply_integer(&client->reply, series->max_ms);
    }
}

static void latency_doctor_command(struct client *client) {
    struct latency_settings settings = {
        .slowlog_log_slower_than = server.config.slowlog_log_slower_than,
        .latency_monitor_threshold = server.config.latency_monitor_threshold,
        .hz = server.config.hz,
        .huge_pages = latency_huge_pages_used(),
    };
    char report[LATENCY_DOCTOR_SIZE_MAX];
    uint32_t size = latency_doctor(&latency_global, &settings, clock_now_us() / 1000000,
                                   report);
    reply_verbatim(&client->reply, report, size, "txt");
}

static void latency_graph_command(struct client *client) {
    struct slice name = client_arg(client, 2);
    const struct latency_series *series = latency_find(&latency_global, name);
    if (series == NULL) {
        const uint8_t *nul = name.size == 0 ? NULL : memchr(name.ptr, 0, name.size);
        uint32_t shown = nul == NULL ? name.size : (uint32_t)(nul - name.ptr);
        reply_errorf(&client->reply, "ERR No samples available for event '%.*s'",
                     (int)MIN(shown, 400u), (const char *)name.ptr);
        return;
    }
    char graph[LATENCY_GRAPH_SIZE_MAX];
    uint32_t size = latency_graph(series, clock_now_us() / 1000000, graph);
    reply_verbatim(&client->reply, graph, size, "txt");
}

static void latency_reset_command(struct client *client) {
    if (client->argv.count == 2) {
        reply_integer(&client->reply, latency_reset(&latency_global, NULL));
        return;
    }
    int64_t resets = 0;
    for (uint32_t index = 2; index < client->argv.count; index++) {
        struct slice name = client_arg(client, index);
        resets += latency_reset(&latency_global, &name);
    }
    reply_integer(&client->reply, resets);
}

/* One line in Redis's help (kept whole here so no split literal looks like a lost comma). */
#define LATENCY_HELP_HISTOGRAM                                                                 \
    ("    Return a cumulative distribution of latencies in the format of a histogram for the " \
     "specified command names.")

static const char *const latency_help_lines[] = {
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    LATENCY_HELP_HISTOGRAM,
    "    If no commands are specified then all histograms are replied.",
};

void cmd_latency(struct client *client) {
    struct slice sub = client_arg(client, 1);
    uint32_t argc = client->argv.count;
    if (argc == 3 && slice_equal_nocase(sub, "history")) {
        latency_history_command(client);
    } else if (argc == 3 && slice_equal_nocase(sub, "graph")) {
        latency_graph_command(client);
    } else if (argc == 2 && slice_equal_nocase(sub, "latest")) {
        latency_latest_command(client);
    } else if (argc == 2 && slice_equal_nocase(sub, "doctor")) {
        latency_doctor_command(client);
    } else if (argc >= 2 && slice_equal_nocase(sub, "reset")) {
        latency_reset_command(client);
    } else if (argc >= 2 && slice_equal_nocase(sub, "histogram")) {
        reply_error(&client->reply, "ERR LATENCY HISTOGRAM is not supported by keel "
                    "(no per-command latency histograms are kept)");
    } else if (argc == 2 && slice_equal_nocase(sub, "help")) {
        reply_help(client, "LATENCY", latency_help_lines,
                   (uint32_t)ARRAY_COUNT(latency_help_lines));
    } else {
        reply_subcommand_syntax(client, "LATENCY");
    }
}
