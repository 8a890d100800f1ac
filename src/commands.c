/*
 * commands.c: the command table, dispatch and what handlers share.
 */
#include "commands.h"

#include "blocking.h"
#include "cmd_client.h"
#include "cmd_debug.h"
#include "cmdstats.h"
#include "evict.h"
#include "latency.h"
#include "multi.h"
#include "slowlog.h"

#include <errno.h>
#include <math.h>

const char ERROR_SYNTAX[] = "ERR syntax error";
const char ERROR_WRONGTYPE[] = "WRONGTYPE Operation against a key holding the wrong kind of value";
const char ERROR_NOT_INTEGER[] = "ERR value is not an integer or out of range";
const char ERROR_NOT_FLOAT[] = "ERR value is not a valid float";
const char ERROR_OOM[] = "OOM command not allowed when used memory > 'maxmemory'.";
const char ERROR_OVERFLOW[] = "ERR increment or decrement would overflow";
const char ERROR_NOAUTH[] = "NOAUTH Authentication required.";
const char ERROR_NOPERM_KEYS[] =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
const char ERROR_OUT_OF_RANGE_POSITIVE[] = "ERR value is out of range, must be positive";
const char ERROR_DB_INDEX[] = "ERR DB index is out of range";
const char ERROR_STRING_TOO_LONG[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
const char ERROR_INVALID_CURSOR[] = "ERR invalid cursor";

#define COMMAND_NAME_SIZE_MAX 32u
#define UNKNOWN_ARGS_SIZE_MAX 128u
#define DOUBLE_TEXT_SIZE_MAX 5120u

static struct command command_table[] = {
#define COMMAND(name, handler, arity, flags, first, last, step, categories, group, since, \
                summary) \
    { name, handler, arity, flags, first, last, step, categories, group, since, summary, 0 },
#include "commands.def"
#undef COMMAND
};

void commands_init(void) {
    uint32_t count = (uint32_t)ARRAY_COUNT(command_table);
    ASSERT(count > 0);
    for (uint32_t index = 0; index < count; index++) {
        const struct command *command = &command_table[index];
        ASSERT(strlen(command->name) < COMMAND_NAME_SIZE_MAX);
        ASSERT(command->arity != 0);
        ASSERT(command->handler != NULL);
        if (index > 0) {
            /* Sorted and unique: lookup is a binary search. */
            ASSERT(strcmp(command_table[index - 1].name, command->name) < 0);
        }
    }
}

uint32_t commands_count(void) {
    return (uint32_t)ARRAY_COUNT(command_table);
}

struct command *commands_get(uint32_t index) {
    ASSERT(index < commands_count());
    return &command_table[index];
}

struct command *commands_lookup(struct slice name) {
    if (name.size == 0 || name.size >= COMMAND_NAME_SIZE_MAX) {
        return NULL;
    }
    char lower[COMMAND_NAME_SIZE_MAX];
    for (uint32_t index = 0; index < name.size; index++) {
        uint8_t c = name.ptr[index];
        lower[index] = (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
    }
    lower[name.size] = 0;
    uint32_t low = 0;
    uint32_t high = commands_count();
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        int order = strcmp(command_table[middle].name, lower);
        if (order == 0) {
            return &command_table[middle];
        }
        if (order < 0) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return NULL;
}

static void command_reply_unknown(struct client *client) {
    /* Redis quotes up to 128 bytes of arguments; %s stops at a NUL byte. */
    char arguments[UNKNOWN_ARGS_SIZE_MAX + 8];
    uint32_t size = 0;
    arguments[0] = 0;
    for (uint32_t index = 1; index < client->argv.count && size < UNKNOWN_ARGS_SIZE_MAX;
         index++) {
        struct slice argument = client_arg(client, index);
        int room = (int)(UNKNOWN_ARGS_SIZE_MAX - size);
        int precision = (int)MIN((uint32_t)room, argument.size);
        int written = snprintf(arguments + size, sizeof(arguments) - size, "'%.*s' ",
                               precision, (const char *)argument.ptr);
        ASSERT(written >= 0);
        size = (uint32_t)MIN((uint32_t)written + size, (uint32_t)sizeof(arguments) - 1);
    }
    struct slice name = client_arg(client, 0);
    reply_errorf(&client->reply, "ERR unknown command '%.*s', with args beginning with: %s",
                 (int)MIN(name.size, 128u), (const char *)name.ptr, arguments);
}

/* Redis's commandCheckExistence for a container: "Try CONFIG HELP." */
static void command_reply_unknown_subcommand(struct client *client, const char *container) {
    char upper[COMMAND_NAME_SIZE_MAX];
    uint32_t size = 0;
    for (; container[size] != 0 && size + 1 < sizeof(upper); size++) {
        char c = container[size];
        upper[size] = (char)((c >= 'a' && c <= 'z') ? c - ('a' - 'A') : c);
    }
    upper[size] = 0;
    struct slice sub = client_arg(client, 1);
    const uint8_t *nul = sub.size == 0 ? NULL : memchr(sub.ptr, 0, sub.size);
    uint32_t shown = nul == NULL ? sub.size : (uint32_t)(nul - sub.ptr);
    reply_errorf(&client->reply, "ERR unknown subcommand '%.*s'. Try %s HELP.",
                 (int)MIN(shown, 128u), (const char *)sub.ptr, upper);
}

void command_reply_arity(struct client *client, const char *full_name) {
    reply_errorf(&client->reply, "ERR wrong number of arguments for '%s' command", full_name);
}

static bool command_arity_ok(const struct command *command, uint32_t argc) {
    if (command->arity > 0) {
        return argc == (uint32_t)command->arity;
    }
    return argc >= (uint32_t)(-command->arity);
}

/*
 * Bytes a write may add: its arguments, except big arguments, which are already
 * in the heap. Redis checks used memory before running a denyoom command.
 */
static uint64_t command_incoming_size(const struct client *client) {
    uint64_t incoming = 0;
    for (uint32_t index = 1; index < client->argv.count; index++) {
        if (!client_arg_owned(client, index)) {
            incoming += client->argv.items[index].size;
        }
    }
    return incoming;
}

/*
 * As Redis's performEvictions before every command: when the budget is passed,
 * evict by policy (a bounded batch) down to a little under maxmemory, so pages
 * free up for the classes that need them. True when a denyoom command may run.
 */
/*
 * In a small budget the pages can run out before used_memory reaches maxmemory
 * (each size class in use holds a partly used slab). When free pages are below
 * the compaction watermark even after the compaction step, an evicting policy
 * makes room before a write by evicting a little (the command's arguments, at
 * least 4 KiB or 1/256 of maxmemory): the holes let compaction give pages
 * back, so the write is not refused where Redis would have evicted.
 */
static void command_evict_for_pages(const struct command *command, uint64_t incoming) {
    if ((command->flags & CMD_DENYOOM) == 0 ||
        server.config.maxmemory_policy == POLICY_NOEVICTION ||
        server.heap.free_page_count >= server.heap.compact_free_pages_min) {
        return; /* (compaction, which runs first, found nothing to move or not enough) */
    }
    /* Enough holes for compaction to gather pages from, over a few writes. */
    uint64_t room = MAX(incoming, MAX((uint64_t)4096, server.config.maxmemory / 256));
    if (server.heap.used_size > room) {
        evict_until(&server.keyspace, server.config.maxmemory_policy,
                    server.config.maxmemory_samples, server.heap.used_size - room, 0);
    }
}

static bool command_memory_ok(const struct client *client, const struct command *command) {
    if ((command->flags & CMD_DENYOOM) && heap_compaction_wanted(&server.heap)) {
        /* Pages are scarce but slabs of other sizes are sparse: move items first. */
        db_compact_step(&server.keyspace, DB_COMPACT_MOVES_PER_COMMAND);
    }
    uint64_t incoming = (command->flags & CMD_DENYOOM) ? command_incoming_size(client) : 0;
    uint64_t maxmemory = server.config.maxmemory;
    if (server.heap.used_size + incoming <= maxmemory) {
        command_evict_for_pages(command, incoming);
        return true;
    }
    if (server.config.maxmemory_policy != POLICY_NOEVICTION) {
        uint64_t target = maxmemory - maxmemory / EVICT_HEADROOM_FRACTION;
        evict_until(&server.keyspace, server.config.maxmemory_policy,
                    server.config.maxmemory_samples, target, incoming);
    }
    bool denyoom = (command->flags & CMD_DENYOOM) != 0 ||
                   (client->multi_flags != 0 && multi_denyoom(client, command));
    return !denyoom || server.heap.used_size + incoming <= maxmemory;
}

/* An HTTP request sent to keel (cross-protocol scripting): close, say nothing. */
static bool command_is_http(struct slice name) {
    return slice_equal_nocase(name, "post") || slice_equal_nocase(name, "host:");
}

/*
 * The ACL check (after NOAUTH, as Redis's processCommand): the command or
 * subcommand must be allowed, then every key it names must match a pattern.
 * Commands flagged no-auth (AUTH) are always allowed.
 */
static bool command_permitted(struct client *client, uint32_t acl_id) {
    const struct acl_user *user = acl_client_user(&server.acl, client);
    uint32_t key_index = 0;
    enum acl_verdict verdict = acl_check(&server.acl, user, acl_id, client->argv.items,
                                         client->argv.count, &key_index);
    if (verdict == ACL_ALLOWED) {
        return true;
    }
    /* Counted and recorded in the ACL log (ACL LOG), as Redis's addACLLogEntry. */
    acl_log_denied(&server.acl, client, verdict, acl_id, key_index);
    if (verdict == ACL_DENIED_COMMAND) {
        char name[ACL_ID_NAME_SIZE_MAX];
        acl_id_name(&server.acl, acl_id, name, sizeof(name));
        reply_errorf(&client->reply, "NOPERM this user has no permissions to run the '%s' "
                     "command", name);
    } else {
        ASSERT(key_index > 0);
        reply_error(&client->reply, ERROR_NOPERM_KEYS);
    }
    return false;
}

/*
 * The checks after the (sub)command is known, in Redis's processCommand order:
 * its arity, NOAUTH, the ACL, then memory. False when it was refused (the
 * error is written).
 */
static bool command_admitted(struct client *client, struct command *command, uint32_t acl_id) {
    if (!acl_arity_ok(&server.acl, acl_id, client->argv.count)) {
        char name[ACL_ID_NAME_SIZE_MAX];
        acl_id_name(&server.acl, acl_id, name, sizeof(name));
        command_reply_arity(client, name);
        return false;
    }
    acl_client_begin(&server.acl, client);
    if (!client->authenticated && (command->flags & CMD_NOAUTH) == 0) {
        if (!multi_reject(client, command, ERROR_NOAUTH)) {
            reply_error(&client->reply, ERROR_NOAUTH);
        }
        return false;
    }
    if (!multi_allowed(client, command)) {
        return false; /* no-multi inside MULTI */
    }
    if (!command_permitted(client, acl_id)) {
        return false;
    }
    if (client->command_discarding || !command_memory_ok(client, command)) {
        if (!multi_reject(client, command, ERROR_OOM)) {
            reply_error(&client->reply, ERROR_OOM);
        }
        return false;
    }
    if (!pubsub_command_allowed(client, command, acl_id)) {
        return false; /* RESP2 subscribed mode (src/pubsub.c) */
    }
    return true;
}

/*
 * Arguments Redis shows as "(redacted)" in the slow log: AUTH's password (and
 * user, in its 1- and 2-argument forms), everything of ACL SETUSER from the
 * user name on, and CONFIG SET's value for requirepass. Bit i: argument i.
 */
static uint32_t command_redacted_mask(const struct command *command,
                                      const struct slice *arguments, uint32_t argc) {
    ASSERT(argc >= 1);
    uint32_t kept = MIN(argc, SLOWLOG_ARGC_MAX);
    uint32_t mask = 0;
    if (command->handler == cmd_auth) {
        return argc <= 3 ? (((uint32_t)1 << argc) - 1) & ~(uint32_t)1 : 0;
    }
    if (command->handler == cmd_hello) {
        return hello_redacted_mask(arguments, argc, kept);
    }
    if (command->handler == cmd_acl && argc >= 3 &&
        slice_equal_nocase(arguments[1], "setuser")) {
        for (uint32_t index = 2; index < kept; index++) {
            mask |= (uint32_t)1 << index;
        }
    } else if (command->handler == cmd_config && argc >= 4 && argc % 2 == 0 &&
               slice_equal_nocase(arguments[1], "set")) {
        for (uint32_t index = 2; index + 1 < kept; index += 2) {
            if (slice_equal_nocase(arguments[index], "requirepass")) {
                mask |= (uint32_t)1 << (index + 1);
            }
        }
    }
    return mask;
}

/* Adds the command to the slow log (off the hot path: only slow commands get here). */
__attribute__((noinline, cold)) static void command_log_slow(const struct client *client,
                                                              const struct command *command,
                                                              const struct slice *arguments,
                                                              uint64_t duration_us) {
    uint32_t argc = client->argv.count;
    ASSERT(argc >= 1);
    struct slowlog_record record = {
        .argv = arguments,
        .argc = argc,
        .redacted_mask = command_redacted_mask(command, arguments, argc),
        .duration_us = (int64_t)duration_us,
        .time_s = clock_now_us() / 1000000,
        .peer = client->address,
        .name = client->name,
    };
    slowlog_push(&slowlog_global, &record);
}

/*
 * As Redis's slowlogPushEntryIfNeeded, after every command that ran: log it if
 * it was slow enough, then drop what a lowered slowlog-max-len no longer keeps.
 */
static inline void command_slowlog(const struct client *client, const struct command *command,
                                   const struct slice *arguments, uint64_t duration_us) {
    int64_t slower_than = server.config.slowlog_log_slower_than;
    if (slower_than < 0) {
        return;
    }
    if (UNLIKELY(duration_us >= (uint64_t)slower_than)) {
        command_log_slow(client, command, arguments, duration_us);
    }
    if (UNLIKELY(slowlog_global.length > server.config.slowlog_max_len)) {
        slowlog_trim(&slowlog_global, server.config.slowlog_max_len);
    }
}

/*
 * Runs the handler, timed with two monotonic clock reads, then updates what
 * Redis's call() updates: commandstats (a failed call is one that replied an
 * error), the slow log and the latency monitor ("fast-command" for commands
 * flagged fast; Redis's subcommands never are). The first arguments are kept
 * aside first: a handler may adopt a big argument (its slice then loses the
 * pointer), and the slow log still shows it.
 */
static void command_run(struct client *client, struct command *command, uint32_t acl_id) {
    struct slice arguments[SLOWLOG_ARGC_MAX];
    uint32_t kept = MIN(client->argv.count, SLOWLOG_ARGC_MAX);
    memcpy(arguments, client->argv.items, kept * sizeof(arguments[0]));
    uint64_t errors_before = client->reply.error_count;
    uint64_t start_ns = cmdstats_clock_ns();
    command->handler(client);
    uint64_t duration_us = (cmdstats_clock_ns() - start_ns) / 1000;
    command->calls++;
    /* EXEC fails only by its own error, not by those of the commands it ran (Redis). */
    uint64_t own_errors = client->reply.error_count - errors_before - client->exec_error_count;
    client->exec_error_count = 0;
    cmdstats_ran(&cmdstats_global, acl_id, duration_us, own_errors != 0);
    if ((command->flags & CMD_SKIP_SLOWLOG) == 0) {
        command_slowlog(client, command, arguments, duration_us);
    }
    uint64_t threshold_ms = server.config.latency_monitor_threshold;
    if (threshold_ms != 0 && duration_us / 1000 >= threshold_ms) {
        latency_add_sample(&latency_global,
                           (command->flags & CMD_FAST) ? "fast-command" : "command",
                           duration_us / 1000, clock_now_us() / 1000000);
    }
    if (UNLIKELY(server.monitor_count > 0)) {
        clientcmd_monitor_feed(client, acl_id, arguments, kept,
                               command_redacted_mask(command, arguments, client->argv.count));
    }
}

void commands_dispatch(struct client *client) {
    ASSERT(client->argv.count > 0);
    if (command_is_http(client_arg(client, 0))) {
        server_log(LOG_WARNING, "Possible SECURITY ATTACK detected. It looks like somebody "
                   "is sending POST or Host: commands to keel. Connection aborted.");
        client_close_now(client);
        return;
    }
    struct command *command = commands_lookup(client_arg(client, 0));
    if (command == NULL) {
        command_reply_unknown(client);
        multi_reject(client, NULL, NULL);
        return;
    }
    uint32_t command_id = (uint32_t)(command - command_table);
    if (!command_arity_ok(command, client->argv.count)) {
        cmdstats_rejected(&cmdstats_global, command_id);
        if (!multi_reject_arity(client, command)) {
            command_reply_arity(client, command->name);
        }
        return;
    }
    /* A container's subcommand (CONFIG GET): known, with its own arity, before NOAUTH.
     * An unknown subcommand is not counted anywhere, as in Redis. */
    bool known = true;
    uint32_t acl_id = acl_resolve(&server.acl, command, client->argv.items, client->argv.count,
                                  &known);
    if (!known) {
        command_reply_unknown_subcommand(client, command->name);
        multi_reject(client, command, NULL);
        return;
    }
    client->last_command_index = acl_id + 1; /* CLIENT LIST's cmd= */
    if (UNLIKELY(command->handler == cmd_debug) && !debug_command_allowed(client)) {
        /* Redis's CMD_PROTECTED check: after the arity, before NOAUTH and the ACL. */
        cmdstats_rejected(&cmdstats_global, acl_id);
        reply_error(&client->reply, ERROR_DEBUG_NOT_ALLOWED);
        multi_reject(client, command, NULL);
        return;
    }
    if (!command_admitted(client, command, acl_id)) {
        cmdstats_rejected(&cmdstats_global, acl_id);
        multi_reject(client, command, NULL);
        return;
    }
    if (UNLIKELY(server.pause_type != 0 || client->monitor) &&
        !clientcmd_may_run(client, command)) {
        if (!client->postponed) {
            cmdstats_rejected(&cmdstats_global, acl_id); /* a monitor touching keys */
        }
        return; /* or held by CLIENT PAUSE (src/cmd_client.c) */
    }
    if (UNLIKELY(client->multi_flags & MULTI_ACTIVE) && multi_queues(client, command)) {
        multi_queue(client, command, acl_id);
        return;
    }
    command_run(client, command, acl_id);
    blocking_serve_ready(); /* keys it filled wake blocked clients (after EXEC: all of it) */
}

void commands_call(struct client *client, struct command *command, uint32_t acl_id) {
    command_run(client, command, acl_id);
}

/* ==== Argument helpers ==== */

bool argument_int64(struct slice text, int64_t *value) {
    return parse_int64(text.ptr, text.size, value);
}

bool argument_cursor(struct slice text, uint64_t *cursor) {
    ASSERT(cursor != NULL);
    ASSERT(text.ptr != NULL || text.size == 0);
    uint8_t head = text.size > 0 ? text.ptr[0] : 0;
    if (head == ' ' || (head >= '\t' && head <= '\r')) {
        return false; /* isspace */
    }
    uint32_t index = (head == '+' || head == '-') ? 1u : 0u;
    uint32_t digits_start = index;
    uint64_t value = 0;
    for (; index < text.size && text.ptr[index] >= '0' && text.ptr[index] <= '9'; index++) {
        uint64_t digit = (uint64_t)(text.ptr[index] - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            return false; /* ERANGE */
        }
        value = value * 10 + digit;
    }
    if (index == digits_start) {
        /* strtoul consumed nothing: its end pointer stays at the start. */
        *cursor = 0;
        return text.size == 0 || head == 0;
    }
    if (index < text.size && text.ptr[index] != 0) {
        return false;
    }
    *cursor = head == '-' ? (uint64_t)0 - value : value;
    return true;
}

bool argument_int64_or_reply(struct client *client, struct slice text, int64_t *value) {
    if (argument_int64(text, value)) {
        return true;
    }
    reply_error(&client->reply, ERROR_NOT_INTEGER);
    return false;
}

bool argument_double(struct slice text, double *value) {
    ASSERT(value != NULL);
    if (text.size == 0 || text.size >= DOUBLE_TEXT_SIZE_MAX) {
        return false;
    }
    char buffer[DOUBLE_TEXT_SIZE_MAX];
    memcpy(buffer, text.ptr, text.size);
    buffer[text.size] = 0;
    if (buffer[0] == ' ' || buffer[0] == '\t' || buffer[0] == '\n' || buffer[0] == '\r' ||
        buffer[0] == '\v' || buffer[0] == '\f') {
        return false;
    }
    char *end = NULL;
    errno = 0;
    double parsed = strtod(buffer, &end);
    if ((uint32_t)(end - buffer) != text.size || isnan(parsed)) {
        return false;
    }
    if (errno == ERANGE && (parsed == HUGE_VAL || parsed == -HUGE_VAL || parsed == 0)) {
        return false;
    }
    *value = parsed;
    return true;
}

struct item *command_find(struct client *client, struct slice key, uint64_t *hash) {
    ASSERT(hash != NULL);
    *hash = index_hash(key);
    struct item *item = db_find(&server.keyspace, client->db, key, *hash);
    if (item == NULL) {
        server.keyspace.keyspace_misses++;
    } else {
        server.keyspace.keyspace_hits++;
    }
    return item;
}

struct item *command_find_write(struct client *client, struct slice key, uint64_t hash) {
    ASSERT(client->db != NULL);
    VERIFY(hash == index_hash(key));
    return db_find(&server.keyspace, client->db, key, hash);
}

bool command_check_type(struct client *client, const struct item *item, uint8_t type) {
    if (item == NULL || item->type == type) {
        return true;
    }
    reply_error(&client->reply, ERROR_WRONGTYPE);
    return false;
}
