/*
 * cmd_info.c: INFO, CONFIG and COMMAND: the commands that describe keel.
 *
 * INFO text is built in a fixed buffer on the stack (INFO_TEXT_SIZE_MAX),
 * except the sections whose length grows with the command table
 * (commandstats, errorstats): those are written twice, once to count their
 * bytes and once straight into the reply, a line at a time. Their counters do
 * not change in between (nothing else runs), which the second pass asserts.
 */
#include "commands.h"

#include "blocking.h"
#include "clientinfo.h"
#include "cmd_client.h"
#include "cmdstats.h"
#include "errorstats.h"
#include "glob.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/utsname.h>
#include <unistd.h>

#define INFO_TEXT_SIZE_MAX ((uint32_t)(32 * 1024))
#define INFO_LINE_SIZE_MAX 512u          /* one line of a streamed section */
#define INFO_SECTIONS_MAX 16u
#define KEEL_VERSION "0.1.0"

/*
 * Where a section's text goes: the buffer `data`, or (data NULL) nowhere but
 * its size, plus the reply when `reply` is set (a streamed section).
 */
struct text {
    char *data;
    uint32_t size;
    uint32_t capacity;
    struct reply *reply;
};

static void text_printf(struct text *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void text_printf(struct text *text, const char *format, ...) {
    ASSERT(text->size <= text->capacity || text->data == NULL);
    va_list arguments;
    va_start(arguments, format);
    if (text->data == NULL) {
        char line[INFO_LINE_SIZE_MAX];
        int size = vsnprintf(line, sizeof(line), format, arguments);
        va_end(arguments);
        ASSERT(size >= 0 && (uint32_t)size < sizeof(line));
        if (text->reply != NULL) {
            reply_raw(text->reply, line, (uint64_t)size);
        }
        text->size += (uint32_t)size;
        return;
    }
    int written = vsnprintf(text->data + text->size, text->capacity - text->size, format,
                            arguments);
    va_end(arguments);
    ASSERT(written >= 0);
    text->size = MIN(text->capacity - 1, text->size + (uint32_t)written);
}

static void format_human(char *buffer, uint32_t size, uint64_t bytes) {
    double value = (double)bytes;
    if (bytes < 1024) {
        snprintf(buffer, size, "%lluB", (unsigned long long)bytes);
    } else if (bytes < MIB) {
        snprintf(buffer, size, "%.2fK", value / 1024);
    } else if (bytes < GIB) {
        snprintf(buffer, size, "%.2fM", value / (1024.0 * 1024));
    } else {
        snprintf(buffer, size, "%.2fG", value / (1024.0 * 1024 * 1024));
    }
}

/* Resident set size from /proc (read with plain system calls: no stdio buffers). */
static uint64_t process_rss_bytes(void) {
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    char buffer[128];
    ssize_t size = read(fd, buffer, sizeof(buffer) - 1);
    close(fd);
    if (size <= 0) {
        return 0;
    }
    buffer[size] = 0;
    unsigned long long pages_total = 0;
    unsigned long long pages_resident = 0;
    if (sscanf(buffer, "%llu %llu", &pages_total, &pages_resident) != 2) {
        return 0;
    }
    return pages_resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void info_server(struct text *text) {
    struct utsname name;
    uname(&name);
    int64_t uptime_s = (server.now_ms - server.start_ms) / 1000;
    text_printf(text, "# Server\r\nredis_version:%s\r\nkeel_version:%s\r\nredis_mode:standalone\r\n"
                "os:%s %s %s\r\narch_bits:64\r\nmultiplexing_api:%s\r\n"
                "process_id:%ld\r\nrun_id:%s\r\ntcp_port:%u\r\nuptime_in_seconds:%lld\r\n"
                "uptime_in_days:%lld\r\nhz:%u\r\nexecutable:%s\r\nconfig_file:%s\r\n",
                REDIS_COMPATIBLE_VERSION, KEEL_VERSION, name.sysname, name.release,
                name.machine, io_kind_name(&server.io), (long)getpid(), server.run_id,
                server.config.port,
                (long long)uptime_s, (long long)(uptime_s / 86400), server.config.hz,
                server.executable, server.config_file);
}

/* Redis 7.0.15's fields (src/clientinfo.c says what the buffer peaks are in keel). */
static void info_clients(struct text *text) {
    uint64_t input_peak = 0;
    uint64_t output_peak = 0;
    clientinfo_buffer_peaks(&input_peak, &output_peak);
    /* blocked_clients: blocking commands and commands held by CLIENT PAUSE (as 7.0). */
    text_printf(text, "# Clients\r\nconnected_clients:%u\r\ncluster_connections:0\r\n"
                "maxclients:%u\r\nclient_recent_max_input_buffer:%llu\r\n"
                "client_recent_max_output_buffer:%llu\r\nblocked_clients:%u\r\n"
                "tracking_clients:0\r\nclients_in_timeout_table:%u\r\n",
                server.connected_count, server.config.maxclients,
                (unsigned long long)input_peak, (unsigned long long)output_peak,
                blocking_blocked_count() + clientcmd_postponed_count(),
                blocking_timeout_count());
}

static void info_memory(struct text *text) {
    char used_human[32];
    char peak_human[32];
    char max_human[32];
    char rss_human[32];
    uint64_t rss = process_rss_bytes();
    format_human(used_human, sizeof(used_human), server.heap.used_size);
    format_human(peak_human, sizeof(peak_human), server.heap.used_size_peak);
    format_human(max_human, sizeof(max_human), server.config.maxmemory);
    format_human(rss_human, sizeof(rss_human), rss);
    uint64_t held = (uint64_t)(server.heap.page_count - server.heap.free_page_count) *
                    HEAP_PAGE_SIZE;
    double fragmentation = server.heap.used_size == 0
                               ? 1.0 : (double)held / (double)server.heap.used_size;
    text_printf(text, "# Memory\r\nused_memory:%llu\r\nused_memory_human:%s\r\n"
                "used_memory_rss:%llu\r\nused_memory_rss_human:%s\r\nused_memory_peak:%llu\r\n"
                "used_memory_peak_human:%s\r\nmaxmemory:%llu\r\nmaxmemory_human:%s\r\n"
                "maxmemory_policy:%s\r\nmem_fragmentation_ratio:%.2f\r\n"
                "heap_pages_total:%u\r\nheap_pages_free:%u\r\nheap_objects:%llu\r\n"
                "output_chunks_total:%u\r\noutput_chunks_free:%u\r\n"
                "allocations_after_ready:%llu\r\n",
                (unsigned long long)server.heap.used_size, used_human,
                (unsigned long long)rss, rss_human,
                (unsigned long long)server.heap.used_size_peak, peak_human,
                (unsigned long long)server.config.maxmemory, max_human,
                config_policy_name(server.config.maxmemory_policy), fragmentation,
                server.heap.page_count, server.heap.free_page_count,
                (unsigned long long)server.heap.object_count, server.output_pool.chunk_count,
                server.output_pool.free_count,
                (unsigned long long)arena_allocations_after_seal());
    for (uint32_t index = 0; index < server.plan.pool_count; index++) {
        const struct plan_pool *pool = &server.plan.pools[index];
        text_printf(text, "plan_%s:count=%llu,unit=%llu,bytes=%llu\r\n", pool->name,
                    (unsigned long long)pool->count, (unsigned long long)pool->unit_size,
                    (unsigned long long)pool->size);
    }
    text_printf(text, "plan_total_bytes:%llu\r\n", (unsigned long long)server.plan.total_size);
}

static void info_stats(struct text *text) {
    const struct server_stats *stats = &server.stats;
    text_printf(text, "# Stats\r\ntotal_connections_received:%llu\r\n"
                "total_commands_processed:%llu\r\ntotal_net_input_bytes:%llu\r\n"
                "total_net_output_bytes:%llu\r\nrejected_connections:%llu\r\n"
                "expired_keys:%llu\r\nevicted_keys:%llu\r\nkeyspace_hits:%llu\r\n"
                "keyspace_misses:%llu\r\npubsub_channels:%u\r\npubsub_patterns:%u\r\n"
                "pubsubshard_channels:0\r\ntotal_error_replies:%llu\r\n"
                "client_query_buffer_limit_disconnections:%llu\r\n"
                "client_output_buffer_limit_disconnections:%llu\r\n"
                "acl_access_denied_auth:%llu\r\nacl_access_denied_cmd:%llu\r\n"
                "acl_access_denied_key:%llu\r\n",
                (unsigned long long)stats->connections_received,
                (unsigned long long)stats->commands_processed,
                (unsigned long long)stats->net_input_bytes,
                (unsigned long long)stats->net_output_bytes,
                (unsigned long long)stats->connections_rejected,
                (unsigned long long)server.keyspace.expired_keys,
                (unsigned long long)server.keyspace.evicted_keys,
                (unsigned long long)server.keyspace.keyspace_hits,
                (unsigned long long)server.keyspace.keyspace_misses,
                pubsub_global.spaces[PUBSUB_CHANNEL].count,
                pubsub_global.spaces[PUBSUB_PATTERN].count,
                (unsigned long long)errorstats_global.total,
                (unsigned long long)stats->query_limit_disconnections,
                (unsigned long long)stats->output_limit_disconnections,
                (unsigned long long)server.acl.stats.denied_auth,
                (unsigned long long)server.acl.stats.denied_command,
                (unsigned long long)server.acl.stats.denied_key);
}

static void info_keyspace(struct text *text) {
    text_printf(text, "# Keyspace\r\n");
    for (uint32_t index = 0; index < server.keyspace.db_count; index++) {
        const struct db *db = &server.keyspace.dbs[index];
        if (db->index.count == 0) {
            continue;
        }
        text_printf(text, "db%u:keys=%llu,expires=%llu,avg_ttl=0\r\n", index,
                    (unsigned long long)db->index.count, (unsigned long long)db->expires_count);
    }
}

/* One line per (sub)command that ran or was refused: Redis's genRedisInfoCommandStatsString. */
static void info_commandstat(struct text *text, uint32_t acl_id) {
    if (!cmdstats_any(&cmdstats_global, acl_id)) {
        return;
    }
    const struct cmdstats_record *record = &cmdstats_global.records[acl_id];
    char name[ACL_ID_NAME_SIZE_MAX];
    acl_id_name(&server.acl, acl_id, name, sizeof(name));
    text_printf(text, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
                "failed_calls=%llu\r\n", name, (unsigned long long)record->calls,
                (unsigned long long)record->usec, cmdstats_usec_per_call(record),
                (unsigned long long)record->rejected_calls,
                (unsigned long long)record->failed_calls);
}

/* Each command, then its subcommands ("config|get"), as Redis walks its command table. */
static void info_commandstats(struct text *text) {
    text_printf(text, "# Commandstats\r\n");
    uint32_t count = commands_count();
    ASSERT(count <= server.acl.command_count);
    for (uint32_t index = 0; index < count; index++) {
        info_commandstat(text, index);
        const struct acl_entry *entry = &server.acl.entries[index];
        for (uint32_t sub = 0; sub < entry->sub_count; sub++) {
            ASSERT(entry->sub_first + sub < server.acl.id_count);
            info_commandstat(text, entry->sub_first + sub);
        }
    }
}

/* Error codes in byte order, as Redis's rax of errors. */
static void info_errorstats(struct text *text) {
    const struct errorstats *stats = &errorstats_global;
    ASSERT(stats->code_count <= ERRORSTATS_CODES_MAX);
    text_printf(text, "# Errorstats\r\n");
    for (uint32_t index = 0; index < stats->code_count; index++) {
        const struct errorstats_code *code = &stats->codes[index];
        text_printf(text, "errorstat_%.*s:count=%llu\r\n", (int)code->size, code->name,
                    (unsigned long long)code->count);
    }
}

struct info_section {
    const char *name;
    void (*write)(struct text *text);
    bool in_default;
    bool streamed;   /* counted first, then written straight into the reply */
};

/* Redis 7.0's order; "default" leaves out commandstats (and latencystats, not kept). */
static const struct info_section info_sections[] = {
    { "server", info_server, true, false },
    { "clients", info_clients, true, false },
    { "memory", info_memory, true, false },
    { "stats", info_stats, true, false },
    { "commandstats", info_commandstats, false, true },
    { "errorstats", info_errorstats, true, true },
    { "keyspace", info_keyspace, true, false },
};
STATIC_ASSERT(ARRAY_COUNT(info_sections) <= INFO_SECTIONS_MAX, "INFO parts fit their array");

static bool info_wanted(const struct client *client, const struct info_section *section) {
    if (client->argv.count == 1) {
        return section->in_default;
    }
    for (uint32_t index = 1; index < client->argv.count; index++) {
        struct slice name = client_arg(client, index);
        if (slice_equal_nocase(name, section->name) || slice_equal_nocase(name, "all") ||
            slice_equal_nocase(name, "everything") ||
            (section->in_default && slice_equal_nocase(name, "default"))) {
            return true;
        }
    }
    return false;
}

/* A wanted section: its bytes in the buffer, or (streamed) only its size. */
struct info_part {
    const struct info_section *section;
    uint32_t start;
    uint32_t size;
};

void cmd_info(struct client *client) {
    char buffer[INFO_TEXT_SIZE_MAX];
    struct text text = { .data = buffer, .size = 0, .capacity = INFO_TEXT_SIZE_MAX };
    struct info_part parts[INFO_SECTIONS_MAX];
    uint32_t part_count = 0;
    uint64_t total = 0;
    buffer[0] = 0;
    for (uint32_t index = 0; index < ARRAY_COUNT(info_sections); index++) {
        const struct info_section *section = &info_sections[index];
        if (!info_wanted(client, section)) {
            continue;
        }
        struct info_part *part = &parts[part_count++];
        *part = (struct info_part){ .section = section, .start = text.size, .size = 0 };
        struct text counter = { .data = NULL, .size = part_count > 1 ? 2u : 0u };
        struct text *target = section->streamed ? &counter : &text;
        if (!section->streamed && part_count > 1) {
            text_printf(&text, "\r\n");
        }
        section->write(target);
        part->size = section->streamed ? counter.size : text.size - part->start;
        total += part->size;
    }
    reply_verbatim_header(&client->reply, total, "txt");
    for (uint32_t index = 0; index < part_count; index++) {
        const struct info_part *part = &parts[index];
        if (!part->section->streamed) {
            reply_raw(&client->reply, buffer + part->start, part->size);
            continue;
        }
        struct text stream = { .data = NULL, .size = index > 0 ? 2u : 0u,
                               .reply = &client->reply };
        if (index > 0) {
            reply_raw(&client->reply, "\r\n", 2);
        }
        part->section->write(&stream);
        ASSERT(stream.size == part->size);
    }
    reply_bulk_trailer(&client->reply);
}

/* ==== CONFIG ==== */

#define CONFIG_MATCHES_MAX 512u

struct config_match {
    uint32_t keyword;
    struct slice name;   /* as the client typed it for an exact name, else canonical */
};

static bool config_has_glob(struct slice pattern) {
    for (uint32_t index = 0; index < pattern.size; index++) {
        uint8_t c = pattern.ptr[index];
        if (c == '*' || c == '?' || c == '[') {
            return true;
        }
    }
    return false;
}

static void config_match_add(struct config_match *matches, uint32_t *count, uint32_t keyword,
                             struct slice name) {
    for (uint32_t index = 0; index < *count; index++) {
        if (matches[index].keyword == keyword) {
            return;
        }
    }
    ASSERT(*count < CONFIG_MATCHES_MAX);
    matches[(*count)++] = (struct config_match){ .keyword = keyword, .name = name };
}

static void config_get(struct client *client) {
    if (client->argv.count < 3) {
        command_reply_arity(client, "config|get");
        return;
    }
    struct config_match matches[CONFIG_MATCHES_MAX];
    uint32_t count = 0;
    uint32_t keyword_count = config_keyword_count();
    ASSERT(keyword_count <= CONFIG_MATCHES_MAX);
    for (uint32_t index = 2; index < client->argv.count; index++) {
        struct slice pattern = client_arg(client, index);
        if (!config_has_glob(pattern)) {
            /* An exact name (or alias) answers under the name as typed, as Redis does. */
            uint32_t keyword = config_keyword_find((const char *)pattern.ptr, pattern.size);
            if (keyword != UINT32_MAX) {
                config_match_add(matches, &count, keyword, pattern);
            }
            continue;
        }
        for (uint32_t keyword = 0; keyword < keyword_count; keyword++) {
            struct slice name = slice_from_cstr(config_keyword_name(keyword));
            if (glob_match(pattern, name, true)) {
                config_match_add(matches, &count, keyword, name);
            }
        }
    }
    reply_map(&client->reply, count);
    for (uint32_t index = 0; index < count; index++) {
        reply_bulk_slice(&client->reply, matches[index].name);
        struct slice view;
        if (config_keyword_view(&server.config, matches[index].keyword, &view)) {
            reply_bulk_slice(&client->reply, view); /* requirepass: any size, straight out */
            continue;
        }
        char value[CONFIG_VALUE_SIZE_MAX];
        config_keyword_format(&server.config, matches[index].keyword, value, sizeof(value));
        reply_bulk_cstr(&client->reply, value);
    }
}

static void config_set_reply_failed(struct client *client, struct slice name,
                                    const char *reason) {
    ASSERT(reason != NULL);
    ASSERT(name.ptr != NULL || name.size == 0);
    reply_errorf(&client->reply, "ERR CONFIG SET failed (possibly related to argument '%.*s') - "
                 "%s", (int)MIN(name.size, 128u), (const char *)name.ptr, reason);
}

/*
 * The name a CONFIG SET pair is known by: the keyword's, or its alias's when the client
 * typed that (Redis 7.0 keeps an alias as a config of its own, so its errors name it, and
 * `hash-max-ziplist-entries` with `hash-max-listpack-entries` is no duplicate).
 */
static const char *config_set_name(struct slice typed, uint32_t keyword) {
    const char *alias = config_keyword_alias(keyword);
    if (alias != NULL && slice_equal_nocase(typed, alias)) {
        return alias;
    }
    ASSERT(slice_equal_nocase(typed, config_keyword_name(keyword)));
    return config_keyword_name(keyword);
}

/*
 * CONFIG SET's first pass, as Redis 7.0's: an unknown name, an immutable or
 * protected keyword, or a name given twice fails the command before any value
 * is parsed; the first of them is the one answered. A name can pass only once,
 * so the loop runs at most 2 x keywords + 1 times whatever the argument count.
 */
static bool config_set_names_ok(struct client *client) {
    bool seen[2 * CONFIG_MATCHES_MAX];
    memset(seen, 0, sizeof(seen));
    ASSERT(config_keyword_count() <= CONFIG_MATCHES_MAX);
    for (uint32_t index = 2; index < client->argv.count; index += 2) {
        struct slice name = client_arg(client, index);
        uint32_t keyword = config_keyword_find((const char *)name.ptr, name.size);
        if (keyword == UINT32_MAX) {
            reply_errorf(&client->reply, "ERR Unknown option or number of arguments for "
                         "CONFIG SET - '%.*s'", (int)MIN(name.size, 128u),
                         (const char *)name.ptr);
            return false;
        }
        char error[CONFIG_ERROR_SIZE_MAX];
        if (config_set_allowed(keyword, error) != CONFIG_SET_OK) {
            config_set_reply_failed(client, name, error);
            return false;
        }
        bool by_alias = config_set_name(name, keyword) != config_keyword_name(keyword);
        uint32_t seen_index = keyword * 2 + (by_alias ? 1u : 0u);
        if (seen[seen_index]) {
            config_set_reply_failed(client, name, "duplicate parameter");
            return false;
        }
        seen[seen_index] = true;
    }
    return true;
}

/*
 * The argument a new requirepass refers to, when it is a big argument (a data-heap
 * object the connection allocated) that the configuration may adopt; else 0.
 */
static uint32_t config_set_adoptable(const struct client *client,
                                     const struct config *candidate) {
    ASSERT(candidate != NULL);
    if (candidate->requirepass == NULL || candidate->requirepass == server.config.requirepass) {
        return 0;
    }
    for (uint32_t index = 3; index < client->argv.count; index += 2) {
        if (client->argv.items[index].ptr == candidate->requirepass) {
            return client_arg_owned(client, index) ? index : 0;
        }
    }
    ASSERT(false && "a new requirepass refers to its argument");
    return 0;
}

/*
 * Commits a validated candidate. A new requirepass is adopted (a big argument)
 * or copied into the heap first: with no room, -OOM and nothing changes (Redis
 * cannot fail here; CONFIG is not a denyoom command, so a full maxmemory alone
 * does not refuse it). The replaced password's object is freed.
 */
static void config_set_commit(struct client *client, struct config *candidate) {
    ASSERT(candidate != NULL);
    uint32_t adopted = config_set_adoptable(client, candidate);
    if (!config_requirepass_keep(candidate, &server.config, &server.heap, adopted != 0)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    if (adopted != 0 && candidate->requirepass == client->argv.items[adopted].ptr) {
        client->argv.items[adopted].ptr = NULL; /* the configuration owns it now */
    }
    if (candidate->requirepass != NULL) {
        ASSERT(heap_contains(&server.heap, candidate->requirepass));
    }
    acl_config_changed(&server.acl, &server.config, candidate); /* requirepass -> default */
    config_requirepass_release(&server.config, candidate, &server.heap);
    server.config = *candidate;
    server_config_changed();
    reply_ok(&client->reply);
}

static void config_set_command(struct client *client) {
    if (client->argv.count < 4 || client->argv.count % 2 != 0) {
        command_reply_arity(client, "config|set");
        return;
    }
    if (!config_set_names_ok(client)) {
        return;
    }
    ASSERT(client->argv.count <= 2 + 4 * config_keyword_count()); /* distinct names only */
    /* The second pass parses the values into a copy: the first error leaves all unchanged. */
    struct config candidate = server.config;
    for (uint32_t index = 2; index < client->argv.count; index += 2) {
        struct slice name = client_arg(client, index);
        uint32_t keyword = config_keyword_find((const char *)name.ptr, name.size);
        ASSERT(keyword != UINT32_MAX);
        char error[CONFIG_ERROR_SIZE_MAX];
        if (config_set_bytes(&candidate, &server.reserved, keyword, client_arg(client, index + 1),
                             error) != CONFIG_SET_OK) {
            config_set_reply_failed(client, slice_from_cstr(config_set_name(name, keyword)),
                                    error);
            return;
        }
    }
    config_set_commit(client, &candidate);
}

/* CONFIG RESETSTAT: Redis's resetServerStats, resetCommandTableStats, resetErrorTableStats. */
static void config_resetstat(void) {
    memset(&server.stats, 0, sizeof(server.stats));
    server.keyspace.expired_keys = 0;
    server.keyspace.evicted_keys = 0;
    server.keyspace.keyspace_hits = 0;
    server.keyspace.keyspace_misses = 0;
    memset(&server.acl.stats, 0, sizeof(server.acl.stats));
    cmdstats_reset(&cmdstats_global);
    errorstats_reset(&errorstats_global);
    ASSERT(errorstats_global.total == 0);
}

void cmd_config(struct client *client) {
    struct slice sub = client_arg(client, 1);
    if (slice_equal_nocase(sub, "get")) {
        config_get(client);
    } else if (slice_equal_nocase(sub, "set")) {
        config_set_command(client);
    } else if (slice_equal_nocase(sub, "resetstat")) {
        config_resetstat();
        reply_ok(&client->reply);
    } else if (slice_equal_nocase(sub, "rewrite")) {
        reply_error(&client->reply, "ERR Rewriting config file is not supported by keel");
    } else if (slice_equal_nocase(sub, "help")) {
        reply_array(&client->reply, 4);
        reply_simple(&client->reply, "CONFIG <subcommand> [<arg> [value] [opt] ...]. "
                     "Subcommands are:");
        reply_simple(&client->reply, "GET <pattern>");
        reply_simple(&client->reply, "SET <directive> <value>");
        reply_simple(&client->reply, "RESETSTAT");
    } else {
        reply_errorf(&client->reply, "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
                     (int)MIN(sub.size, 128u), (const char *)sub.ptr);
    }
}
