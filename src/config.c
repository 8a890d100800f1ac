/*
 * config.c: keel's configuration (see config.h).
 *
 * One table, `keywords`, drives everything: applying a file line or a flag,
 * CONFIG GET formatting and the CONFIG SET rules. Most keywords are generic (an
 * integer, a size, yes/no, one of a list of names, a string) and reach their
 * field in struct config by offset, with an optional `settle` step for a
 * keyword-specific rule; the few others (bind, client-output-buffer-limit,
 * requirepass, save) have their own apply and format functions.
 *
 * requirepass is the one value struct config does not hold: applying it keeps a
 * reference to the argument, which the startup path copies into a static buffer
 * (bounded by a line) and CONFIG SET into the data heap (config_requirepass_keep),
 * so a password has no size limit beyond its argument's and the struct, which
 * CONFIG SET copies on the stack, stays small.
 *
 * Parsing follows Redis 7.0: lines are split by sdssplitargs' rules, sizes by
 * memtoull's units, integers by string2ll, and every reason is Redis's text
 * where Redis has one. A value is applied to a copy of the configuration, so a
 * failed keyword leaves the configuration unchanged.
 *
 * Nothing is allocated: the file reader, a line and its arguments live on the
 * stack, each with a named maximum (CONFIG_LINE_SIZE_MAX bytes per line,
 * CONFIG_ARG_COUNT_MAX arguments per keyword, CONFIG_FILE_LINE_COUNT_MAX lines).
 * The file is read with open/read rather than stdio, which would allocate.
 */
#define _POSIX_C_SOURCE 200809L

#include "config.h"

#include "heap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <unistd.h>

#define CONFIG_LINE_SIZE_MAX 4096u
#define CONFIG_ARG_COUNT_MAX 64u
#define CONFIG_FILE_LINE_COUNT_MAX 1000000u
#define CONFIG_NAME_SHOWN_SIZE_MAX 64u
#define CONFIG_BIND_SIZE_MAX 64u

/* Redis's bound for its int and long long configs. */
#define CONFIG_INT_MAX ((uint64_t)INT_MAX)
#define CONFIG_LLONG_MAX ((uint64_t)LLONG_MAX)

/* keel needs a finite budget: `maxmemory 0` (Redis's "no limit") means this. */
#define CONFIG_MAXMEMORY_DEFAULT GIB

/* Redis accepts any hz and clamps it to this range (CONFIG_MIN_HZ, CONFIG_MAX_HZ). */
#define CONFIG_HZ_MIN 1u
#define CONFIG_HZ_MAX 500u

STATIC_ASSERT(sizeof(((struct config *)NULL)->bind[0]) == CONFIG_BIND_SIZE_MAX,
              "bind entries are CONFIG_BIND_SIZE_MAX bytes");
STATIC_ASSERT(CONFIG_BIND_COUNT_MAX * CONFIG_BIND_SIZE_MAX <= CONFIG_VALUE_SIZE_MAX,
              "a full bind list fits a CONFIG GET value");
STATIC_ASSERT(CONFIG_STRING_SIZE_MAX <= CONFIG_VALUE_SIZE_MAX,
              "a string fits a CONFIG GET value");
STATIC_ASSERT(CONFIG_STRING_SIZE_MAX < CONFIG_LINE_SIZE_MAX, "a string value fits a line");
STATIC_ASSERT(sizeof(enum maxmemory_policy) == sizeof(uint32_t), "enums are stored as u32");
STATIC_ASSERT(sizeof(enum io_backend) == sizeof(uint32_t), "enums are stored as u32");
STATIC_ASSERT(sizeof(enum log_level) == sizeof(uint32_t), "enums are stored as u32");
STATIC_ASSERT(sizeof(enum protected_action) == sizeof(uint32_t), "enums are stored as u32");
STATIC_ASSERT(sizeof(struct config) < UINT16_MAX, "field offsets fit u16");
STATIC_ASSERT(CONFIG_BULK_SIZE_MAX >= MIB, "proto-max-bulk-len's range is not empty");

/* ==== Reasons (Redis's text where Redis has one) ==== */

#define REASON_ARITY "wrong number of arguments"
#define REASON_INTEGER "argument couldn't be parsed into an integer"
#define REASON_MEMORY "argument must be a memory value"
#define REASON_YES_NO "argument must be 'yes' or 'no'"
#define REASON_IMMUTABLE "can't set immutable config"
#define REASON_PROTECTED "can't set protected config"
#define REASON_UNBALANCED "Unbalanced quotes in configuration line"
#define REASON_UNKNOWN "unknown keyword"
#define REASON_TOO_MANY "too many arguments"
#define REASON_TOO_LONG "argument is too long"
#define REASON_NUL "argument must not contain a NUL byte"
#define REASON_OUTPUT_ARITY "Wrong number of arguments in buffer limit configuration."
#define REASON_OUTPUT_CLASS "Invalid client class specified in buffer limit configuration."
#define REASON_OUTPUT_VALUE                                                                    \
    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
#define REASON_SAVE "Invalid save parameters"
#define REASON_BIND_COUNT "Too many bind addresses specified."
#define REASON_BIND_EMPTY "keel needs at least one address to listen on"
#define REASON_PORT_ZERO "keel needs a TCP port (port 0 would disable TCP)"
#define REASON_FOREGROUND "keel runs in the foreground"
#define REASON_APPENDONLY "keel does not implement persistence yet (appendonly yes is refused)"
#define REASON_DBFILENAME "dbfilename can't be a path, just a filename"
#define REASON_LINE_TOO_LONG "line too long"
#define REASON_STDIN "reading the configuration from stdin is not supported"
#define REASON_UNEXPECTED "unexpected argument (flags are --keyword value...)"
#define REASON_FLAG_EMPTY "expected a keyword after --"
#define REASON_POOL_SMALL "must be at least client-input-buffer-size"

/* ==== Keyword table ==== */

enum keyword_kind {
    KIND_INTEGER = 0, /* uint32_t field; string2ll, then [min, max] */
    KIND_SIZE,        /* uint64_t field; memtoull units, then [min, max] */
    KIND_BOOL,        /* bool field; yes or no */
    KIND_ENUM,        /* enum field (u32); one of `names` */
    KIND_STRING,      /* char[CONFIG_STRING_SIZE_MAX] field; no NUL bytes */
    KIND_SPECIAL,     /* own apply and format functions */
    KIND_IGNORED,     /* accepted with any arguments, no effect; CONFIG GET shows `shown` */
};

#define KEYWORD_IMMUTABLE 1u /* CONFIG SET: can't set immutable config */
#define KEYWORD_PROTECTED 2u /* CONFIG SET: can't set protected config */
#define KEYWORD_RESERVED 4u  /* CONFIG SET: may be lowered, never raised above the reservation */
#define KEYWORD_LIST 8u      /* CONFIG SET: the value is split at single spaces, as Redis does */
#define KEYWORD_BORROWED 16u /* apply keeps a reference to the argument (requirepass) */

struct enum_name {
    const char *name;
    uint32_t value;
};

struct keyword {
    const char *name;  /* canonical, lower case */
    const char *alias; /* Redis's alias, or NULL */
    uint8_t kind;      /* enum keyword_kind */
    uint8_t flags;     /* KEYWORD_* */
    uint16_t field_offset;
    uint16_t field_size;
    uint64_t min; /* KIND_INTEGER, KIND_SIZE: inclusive range */
    uint64_t max;
    const struct enum_name *names; /* KIND_ENUM, in the order Redis lists them */
    uint32_t name_count;
    const char *shown; /* KIND_IGNORED: the value CONFIG GET shows (Redis's default) */
    /* After a generic kind stored its value: a keyword-specific rule. */
    bool (*settle)(struct config *config, const struct config *reserved, char *reason);
    /* KIND_SPECIAL. */
    bool (*apply)(struct config *config, const struct slice *values, uint32_t value_count,
                  char *reason);
    void (*format)(const struct config *config, char *value, uint32_t value_size_max);
    /* KIND_SPECIAL kept by reference: CONFIG GET's bytes, of any size (instead of format). */
    struct slice (*view)(const struct config *config);
};

static const struct enum_name policy_names[] = {
    { "volatile-lru", POLICY_VOLATILE_LRU },     { "volatile-lfu", POLICY_VOLATILE_LFU },
    { "volatile-random", POLICY_VOLATILE_RANDOM }, { "volatile-ttl", POLICY_VOLATILE_TTL },
    { "allkeys-lru", POLICY_ALLKEYS_LRU },       { "allkeys-lfu", POLICY_ALLKEYS_LFU },
    { "allkeys-random", POLICY_ALLKEYS_RANDOM }, { "noeviction", POLICY_NOEVICTION },
};

static const struct enum_name loglevel_names[] = {
    { "debug", LOG_DEBUG },     { "verbose", LOG_VERBOSE }, { "notice", LOG_NOTICE },
    { "warning", LOG_WARNING }, { "nothing", LOG_NOTHING },
};

/* Redis's order: CONFIG SET's error lists them as "no, yes, local". */
static const struct enum_name protected_action_names[] = {
    { "no", PROTECTED_ACTION_NO },
    { "yes", PROTECTED_ACTION_YES },
    { "local", PROTECTED_ACTION_LOCAL },
};

static const struct enum_name io_backend_names[] = {
    { "auto", IO_BACKEND_AUTO },
    { "io_uring", IO_BACKEND_IO_URING },
    { "epoll", IO_BACKEND_EPOLL },
};

static bool maxmemory_settle(struct config *config, const struct config *reserved, char *reason);
static bool hz_settle(struct config *config, const struct config *reserved, char *reason);
static bool daemonize_settle(struct config *config, const struct config *reserved, char *reason);
static bool appendonly_settle(struct config *config, const struct config *reserved, char *reason);
static bool dbfilename_settle(struct config *config, const struct config *reserved, char *reason);
static bool bind_apply(struct config *config, const struct slice *values, uint32_t value_count,
                       char *reason);
static void bind_format(const struct config *config, char *value, uint32_t value_size_max);
static bool output_limit_apply(struct config *config, const struct slice *values,
                               uint32_t value_count, char *reason);
static void output_limit_format(const struct config *config, char *value,
                                uint32_t value_size_max);
static bool requirepass_apply(struct config *config, const struct slice *values,
                              uint32_t value_count, char *reason);
static struct slice requirepass_view(const struct config *config);
static bool save_apply(struct config *config, const struct slice *values, uint32_t value_count,
                       char *reason);
static void save_format(const struct config *config, char *value, uint32_t value_size_max);
static bool list_size_apply(struct config *config, const struct slice *values,
                            uint32_t value_count, char *reason);
static void list_size_format(const struct config *config, char *value, uint32_t value_size_max);
static bool slower_than_apply(struct config *config, const struct slice *values,
                              uint32_t value_count, char *reason);
static void slower_than_format(const struct config *config, char *value,
                               uint32_t value_size_max);

#define FIELD(member)                                                                          \
    .field_offset = (uint16_t)offsetof(struct config, member),                                 \
    .field_size = (uint16_t)sizeof(((struct config *)NULL)->member)

#define NAMES(list) .names = (list), .name_count = (uint32_t)ARRAY_COUNT(list)

#define IGNORED(keyword_name, keyword_alias, keyword_flags, redis_default)                      \
    {                                                                                          \
        .name = (keyword_name), .alias = (keyword_alias), .kind = KIND_IGNORED,                \
        .flags = (keyword_flags), .shown = (redis_default)                                     \
    }

/*
 * Every keyword keel knows. Differences from Redis 7.0:
 * - maxmemory 0 means keel's default of 1gb at startup (keel needs a finite
 *   budget) and the reserved maxmemory at run time.
 * - port 0 and an empty bind list are refused by config_validate: keel needs TCP.
 * - daemonize yes and appendonly yes are refused; save is validated as Redis
 *   does and then ignored (CONFIG GET save shows "").
 * - proto-max-bulk-len is at most CONFIG_BULK_SIZE_MAX (4gb - 1).
 * - port, bind, io-backend, lock-memory, client-input-buffer-size and
 *   output-pool-size are immutable: the listeners and the memory plan are
 *   built from them. maxmemory, maxclients, proto-max-bulk-len and
 *   client-query-buffer-limit may be lowered at run time, never raised above
 *   the reservation.
 * - io-backend, lock-memory, client-input-buffer-size, output-pool-size and
 *   input-pool-size are keel's own (input-pool-size is immutable too).
 * - acl-users-max (keel's own, immutable, default 64) is how many ACL users
 *   the plan reserves records for, `default` included; ACL SETUSER refuses to
 *   create one more.
 * - acllog-max-len is at most CONFIG_ACLLOG_MAX_LEN_MAX (Redis: LLONG_MAX) and,
 *   like the sizes above, may be lowered at run time but not raised above the
 *   ACL log entries the plan reserved.
 * - pubsub-channels-max, pubsub-patterns-max and pubsub-subscriptions-max
 *   (keel's own, immutable) size the plan's pub/sub pools; 0 (the default)
 *   derives each from maxclients. (P)SUBSCRIBE past one answers an error.
 * - watched-keys-max (keel's own, immutable) sizes the plan's pool of watched
 *   keys (WATCH); 0 (the default) derives it from maxclients (8 per client).
 *   WATCH past it answers an error.
 * - slowlog-max-len sizes the plan's slowlog ring: at most
 *   CONFIG_SLOWLOG_MAX_LEN_MAX at startup (Redis: LONG_MAX), and like the sizes
 *   above it may be lowered at run time but not raised above the reservation.
 */
static const struct keyword keywords[] = {
    /* Network. */
    { .name = "port", .kind = KIND_INTEGER, .flags = KEYWORD_IMMUTABLE, FIELD(port), .min = 0,
      .max = 65535 },
    { .name = "bind", .kind = KIND_SPECIAL, .flags = KEYWORD_IMMUTABLE | KEYWORD_LIST,
      .apply = bind_apply, .format = bind_format },
    { .name = "tcp-backlog", .kind = KIND_INTEGER, .flags = KEYWORD_IMMUTABLE,
      FIELD(tcp_backlog), .min = 0, .max = CONFIG_INT_MAX },
    { .name = "tcp-keepalive", .kind = KIND_INTEGER, FIELD(tcp_keepalive_seconds), .min = 0,
      .max = CONFIG_INT_MAX },
    { .name = "timeout", .kind = KIND_INTEGER, FIELD(timeout_seconds), .min = 0,
      .max = CONFIG_INT_MAX },
    { .name = "protected-mode", .kind = KIND_BOOL, FIELD(protected_mode) },

    /* Sizes fixed by the reservation. */
    { .name = "maxmemory", .kind = KIND_SIZE, .flags = KEYWORD_RESERVED, FIELD(maxmemory),
      .min = 0, .max = CONFIG_MAXMEMORY_MAX, .settle = maxmemory_settle },
    { .name = "maxclients", .kind = KIND_INTEGER, .flags = KEYWORD_RESERVED, FIELD(maxclients),
      .min = 1, .max = CONFIG_MAXCLIENTS_MAX },
    { .name = "proto-max-bulk-len", .kind = KIND_SIZE, .flags = KEYWORD_RESERVED,
      FIELD(proto_max_bulk_len), .min = MIB, .max = CONFIG_BULK_SIZE_MAX },
    { .name = "client-query-buffer-limit", .kind = KIND_SIZE, .flags = KEYWORD_RESERVED,
      FIELD(client_query_buffer_limit), .min = MIB, .max = CONFIG_LLONG_MAX },
    { .name = "client-output-buffer-limit", .kind = KIND_SPECIAL, .flags = KEYWORD_LIST,
      .apply = output_limit_apply, .format = output_limit_format },
    { .name = "client-input-buffer-size", .kind = KIND_SIZE, .flags = KEYWORD_IMMUTABLE,
      FIELD(client_input_buffer_size), .min = KIB, .max = MIB },
    { .name = "output-pool-size", .kind = KIND_SIZE, .flags = KEYWORD_IMMUTABLE,
      FIELD(output_pool_size), .min = MIB, .max = CONFIG_OUTPUT_POOL_SIZE_MAX },
    { .name = "input-pool-size", .kind = KIND_SIZE, .flags = KEYWORD_IMMUTABLE,
      FIELD(input_pool_size), .min = MIB, .max = CONFIG_INPUT_POOL_SIZE_MAX },
    { .name = "acl-users-max", .kind = KIND_INTEGER, .flags = KEYWORD_IMMUTABLE,
      FIELD(acl_users_max), .min = 1, .max = CONFIG_ACL_USERS_MAX },
    { .name = "acllog-max-len", .kind = KIND_INTEGER, .flags = KEYWORD_RESERVED,
      FIELD(acllog_max_len), .min = 0, .max = CONFIG_ACLLOG_MAX_LEN_MAX },
    { .name = "slowlog-max-len", .kind = KIND_INTEGER, .flags = KEYWORD_RESERVED,
      FIELD(slowlog_max_len), .min = 0, .max = CONFIG_LLONG_MAX },
    { .name = "pubsub-channels-max", .kind = KIND_INTEGER, .flags = KEYWORD_IMMUTABLE,
      FIELD(pubsub_channels_max), .min = 0, .max = CONFIG_PUBSUB_MAX },
    { .name = "pubsub-patterns-max", .kind = KIND_INTEGER, .flags = KEYWORD_IMMUTABLE,
      FIELD(pubsub_patterns_max), .min = 0, .max = CONFIG_PUBSUB_MAX },
    { .name = "pubsub-subscriptions-max", .kind = KIND_INTEGER, .flags = KEYWORD_IMMUTABLE,
      FIELD(pubsub_subscriptions_max), .min = 0, .max = CONFIG_PUBSUB_MAX },
    { .name = "watched-keys-max", .kind = KIND_INTEGER, .flags = KEYWORD_IMMUTABLE,
      FIELD(watched_keys_max), .min = 0, .max = CONFIG_WATCHED_KEYS_MAX },

    /* Behaviour. */
    { .name = "databases", .kind = KIND_INTEGER, .flags = KEYWORD_IMMUTABLE, FIELD(databases),
      .min = 1, .max = CONFIG_DATABASES_MAX },
    { .name = "maxmemory-policy", .kind = KIND_ENUM, FIELD(maxmemory_policy),
      NAMES(policy_names) },
    { .name = "maxmemory-samples", .kind = KIND_INTEGER, FIELD(maxmemory_samples), .min = 1,
      .max = CONFIG_INT_MAX },
    { .name = "slowlog-log-slower-than", .kind = KIND_SPECIAL, .apply = slower_than_apply,
      .format = slower_than_format },
    { .name = "latency-monitor-threshold", .kind = KIND_INTEGER,
      FIELD(latency_monitor_threshold), .min = 0, .max = CONFIG_LLONG_MAX },
    { .name = "lfu-log-factor", .kind = KIND_INTEGER, FIELD(lfu_log_factor), .min = 0,
      .max = CONFIG_INT_MAX },
    { .name = "lfu-decay-time", .kind = KIND_INTEGER, FIELD(lfu_decay_time), .min = 0,
      .max = CONFIG_INT_MAX },
    { .name = "hz", .kind = KIND_INTEGER, FIELD(hz), .min = 0, .max = CONFIG_INT_MAX,
      .settle = hz_settle },
    { .name = "io-backend", .kind = KIND_ENUM, .flags = KEYWORD_IMMUTABLE, FIELD(io_backend),
      NAMES(io_backend_names) },
    { .name = "lock-memory", .kind = KIND_BOOL, .flags = KEYWORD_IMMUTABLE, FIELD(lock_memory) },
    { .name = "loglevel", .kind = KIND_ENUM, FIELD(loglevel), NAMES(loglevel_names) },
    { .name = "logfile", .kind = KIND_STRING, .flags = KEYWORD_IMMUTABLE, FIELD(logfile) },
    { .name = "daemonize", .kind = KIND_BOOL, .flags = KEYWORD_IMMUTABLE, FIELD(daemonize),
      .settle = daemonize_settle },
    { .name = "requirepass", .kind = KIND_SPECIAL, .flags = KEYWORD_BORROWED,
      .apply = requirepass_apply, .view = requirepass_view },
    { .name = "dir", .kind = KIND_STRING, .flags = KEYWORD_PROTECTED, FIELD(dir) },
    { .name = "dbfilename", .kind = KIND_STRING, .flags = KEYWORD_PROTECTED, FIELD(dbfilename),
      .settle = dbfilename_settle },
    { .name = "appendonly", .kind = KIND_BOOL, FIELD(appendonly), .settle = appendonly_settle },
    { .name = "enable-debug-command", .kind = KIND_ENUM, .flags = KEYWORD_IMMUTABLE,
      FIELD(enable_debug_command), NAMES(protected_action_names) },
    { .name = "save", .kind = KIND_SPECIAL, .flags = KEYWORD_LIST, .apply = save_apply,
      .format = save_format },

    /* Encoding thresholds: past them a small packed value converts to its large form. */
    { .name = "hash-max-listpack-entries", .alias = "hash-max-ziplist-entries",
      .kind = KIND_INTEGER, FIELD(hash_max_listpack_entries), .min = 0, .max = CONFIG_INT_MAX },
    { .name = "hash-max-listpack-value", .alias = "hash-max-ziplist-value",
      .kind = KIND_INTEGER, FIELD(hash_max_listpack_value), .min = 0, .max = CONFIG_INT_MAX },
    { .name = "list-max-listpack-size", .alias = "list-max-ziplist-size",
      .kind = KIND_SPECIAL, .apply = list_size_apply, .format = list_size_format },
    { .name = "set-max-intset-entries", .kind = KIND_INTEGER, FIELD(set_max_intset_entries),
      .min = 0, .max = CONFIG_INT_MAX },
    { .name = "set-max-listpack-entries", .kind = KIND_INTEGER,
      FIELD(set_max_listpack_entries), .min = 0, .max = CONFIG_INT_MAX },
    { .name = "set-max-listpack-value", .kind = KIND_INTEGER, FIELD(set_max_listpack_value),
      .min = 0, .max = CONFIG_INT_MAX },
    { .name = "zset-max-listpack-entries", .alias = "zset-max-ziplist-entries",
      .kind = KIND_INTEGER, FIELD(zset_max_listpack_entries), .min = 0, .max = CONFIG_INT_MAX },
    { .name = "zset-max-listpack-value", .alias = "zset-max-ziplist-value",
      .kind = KIND_INTEGER, FIELD(zset_max_listpack_value), .min = 0, .max = CONFIG_INT_MAX },

    /*
     * Accepted with any arguments and ignored: common redis.conf keywords for
     * features keel does not have (persistence tuning, replication, encodings,
     * process management, threads, defragmentation) where doing nothing is
     * harmless. CONFIG GET shows Redis's default; CONFIG SET answers OK (or
     * "can't set immutable config" where Redis does). Keywords whose silent
     * absence would mislead (tls-*, unixsocket, notify-keyspace-events,
     * rename-command, include, cluster-enabled, replicaof, min-replicas-*) are
     * deliberately not here: they are unknown keywords.
     */
    IGNORED("supervised", NULL, KEYWORD_IMMUTABLE, "no"),
    IGNORED("pidfile", NULL, KEYWORD_IMMUTABLE, ""),
    IGNORED("always-show-logo", NULL, KEYWORD_IMMUTABLE, "no"),
    IGNORED("set-proc-title", NULL, KEYWORD_IMMUTABLE, "yes"),
    IGNORED("proc-title-template", NULL, 0, "{title} {listen-addr} {server-mode}"),
    IGNORED("syslog-enabled", NULL, KEYWORD_IMMUTABLE, "no"),
    IGNORED("syslog-ident", NULL, KEYWORD_IMMUTABLE, "redis"),
    IGNORED("syslog-facility", NULL, KEYWORD_IMMUTABLE, "local0"),
    IGNORED("crash-log-enabled", NULL, 0, "yes"),
    IGNORED("crash-memcheck-enabled", NULL, 0, "yes"),
    IGNORED("stop-writes-on-bgsave-error", NULL, 0, "yes"),
    IGNORED("rdbcompression", NULL, 0, "yes"),
    IGNORED("rdbchecksum", NULL, KEYWORD_IMMUTABLE, "yes"),
    IGNORED("sanitize-dump-payload", NULL, 0, "no"),
    IGNORED("rdb-del-sync-files", NULL, 0, "no"),
    IGNORED("rdb-save-incremental-fsync", NULL, 0, "yes"),
    IGNORED("appendfilename", NULL, KEYWORD_IMMUTABLE, "appendonly.aof"),
    IGNORED("appenddirname", NULL, KEYWORD_IMMUTABLE, "appendonlydir"),
    IGNORED("appendfsync", NULL, 0, "everysec"),
    IGNORED("no-appendfsync-on-rewrite", NULL, 0, "no"),
    IGNORED("auto-aof-rewrite-percentage", NULL, 0, "100"),
    IGNORED("auto-aof-rewrite-min-size", NULL, 0, "67108864"),
    IGNORED("aof-load-truncated", NULL, 0, "yes"),
    IGNORED("aof-use-rdb-preamble", NULL, 0, "yes"),
    IGNORED("aof-timestamp-enabled", NULL, 0, "no"),
    IGNORED("aof-rewrite-incremental-fsync", NULL, 0, "yes"),
    IGNORED("lazyfree-lazy-eviction", NULL, 0, "no"),
    IGNORED("lazyfree-lazy-expire", NULL, 0, "no"),
    IGNORED("lazyfree-lazy-server-del", NULL, 0, "no"),
    IGNORED("lazyfree-lazy-user-del", NULL, 0, "no"),
    IGNORED("lazyfree-lazy-user-flush", NULL, 0, "no"),
    IGNORED("replica-lazy-flush", "slave-lazy-flush", 0, "no"),
    IGNORED("replica-serve-stale-data", "slave-serve-stale-data", 0, "yes"),
    IGNORED("replica-read-only", "slave-read-only", 0, "yes"),
    IGNORED("replica-priority", "slave-priority", 0, "100"),
    IGNORED("repl-diskless-sync", NULL, 0, "yes"),
    IGNORED("repl-diskless-sync-delay", NULL, 0, "5"),
    IGNORED("repl-diskless-load", NULL, 0, "disabled"),
    IGNORED("repl-disable-tcp-nodelay", NULL, 0, "no"),
    IGNORED("list-compress-depth", NULL, 0, "0"),
    IGNORED("hll-sparse-max-bytes", NULL, 0, "3000"),
    IGNORED("stream-node-max-bytes", NULL, 0, "4096"),
    IGNORED("stream-node-max-entries", NULL, 0, "100"),
    IGNORED("activerehashing", NULL, 0, "yes"),
    IGNORED("activedefrag", NULL, 0, "no"),
    IGNORED("dynamic-hz", NULL, 0, "yes"),
    IGNORED("jemalloc-bg-thread", NULL, 0, "yes"),
    IGNORED("busy-reply-threshold", "lua-time-limit", 0, "5000"),
    IGNORED("maxmemory-eviction-tenacity", NULL, 0, "10"),
    IGNORED("active-expire-effort", NULL, 0, "1"),
    IGNORED("oom-score-adj", NULL, 0, "no"),
    IGNORED("oom-score-adj-values", NULL, 0, "0 200 800"),
    IGNORED("disable-thp", NULL, KEYWORD_IMMUTABLE, "yes"),
    IGNORED("io-threads", NULL, KEYWORD_IMMUTABLE, "1"),
    IGNORED("io-threads-do-reads", NULL, KEYWORD_IMMUTABLE, "no"),
    IGNORED("enable-protected-configs", NULL, KEYWORD_IMMUTABLE, "no"),
    IGNORED("enable-module-command", NULL, KEYWORD_IMMUTABLE, "no"),
    IGNORED("tracking-table-max-keys", NULL, 0, "1000000"),
};

#define KEYWORD_COUNT ((uint32_t)ARRAY_COUNT(keywords))

/* ==== Small helpers ==== */

static void reason_set(char *reason, const char *text) {
    ASSERT(reason != NULL);
    ASSERT(text != NULL);
    int written = snprintf(reason, CONFIG_ERROR_SIZE_MAX, "%s", text);
    ASSERT(written >= 0);
}

static void reason_range(char *reason, uint64_t min, uint64_t max) {
    ASSERT(reason != NULL);
    ASSERT(min <= max);
    int written = snprintf(reason, CONFIG_ERROR_SIZE_MAX,
                           "argument must be between %" PRIu64 " and %" PRIu64 " inclusive",
                           min, max);
    ASSERT(written > 0);
}

/* "<name>: <reason>", the one-line error of config_load and friends. */
static void error_compose(char *error, const char *name, const char *reason) {
    ASSERT(error != NULL);
    ASSERT(name != NULL);
    ASSERT(reason != NULL);
    int written = snprintf(error, CONFIG_ERROR_SIZE_MAX, "%s: %s", name, reason);
    ASSERT(written > 0);
}

/* As error_compose, for a name typed by the user: shortened, non-printable bytes as '?'. */
static void error_compose_slice(char *error, struct slice name, const char *reason) {
    ASSERT(error != NULL);
    ASSERT(name.ptr != NULL || name.size == 0);
    char shown[CONFIG_NAME_SHOWN_SIZE_MAX];
    uint32_t shown_size = MIN(name.size, CONFIG_NAME_SHOWN_SIZE_MAX - 1);
    for (uint32_t index = 0; index < shown_size; index++) {
        uint8_t byte = name.ptr[index];
        shown[index] = (byte >= 0x20 && byte < 0x7f) ? (char)byte : '?';
    }
    shown[shown_size] = '\0';
    error_compose(error, shown, reason);
}

static void error_append_location(char *error, const char *path, uint32_t line_number) {
    ASSERT(path != NULL);
    ASSERT(line_number >= 1);
    size_t used = strnlen(error, CONFIG_ERROR_SIZE_MAX);
    ASSERT(used < CONFIG_ERROR_SIZE_MAX);
    int written = snprintf(error + used, CONFIG_ERROR_SIZE_MAX - used, " (%s:%" PRIu32 ")", path,
                           line_number);
    ASSERT(written > 0);
}

/* Writes `text` into a CONFIG GET value; it must fit (the sizes are STATIC_ASSERTed). */
static void value_write(char *value, uint32_t value_size_max, const char *text) {
    ASSERT(value != NULL);
    ASSERT(text != NULL);
    int written = snprintf(value, value_size_max, "%s", text);
    ASSERT(written >= 0);
    ASSERT((uint32_t)written < value_size_max);
}

static void value_write_u64(char *value, uint32_t value_size_max, uint64_t number) {
    ASSERT(value != NULL);
    int written = snprintf(value, value_size_max, "%" PRIu64, number);
    ASSERT(written > 0);
    ASSERT((uint32_t)written < value_size_max);
}

static struct slice slice_make(const char *text, size_t size) {
    ASSERT(text != NULL);
    ASSERT(size <= UINT32_MAX);
    return (struct slice){ .ptr = (const uint8_t *)text, .size = (uint32_t)size };
}

static bool slice_has_nul(struct slice value) {
    ASSERT(value.ptr != NULL || value.size == 0);
    return value.size > 0 && memchr(value.ptr, 0, value.size) != NULL;
}

/* ==== Numbers ==== */

/* Redis's string2ll (base.h's parse_int64). */
static bool integer_parse(struct slice text, int64_t *result) {
    ASSERT(result != NULL);
    return parse_int64(text.ptr, text.size, result);
}

/*
 * As strtoll with an end check, which Redis uses for save and soft_seconds: an
 * optional sign and any number of digits (none reads as 0). Overflow fails.
 */
static bool integer_parse_loose(struct slice text, int64_t *result) {
    ASSERT(result != NULL);
    ASSERT(text.ptr != NULL || text.size == 0);
    uint32_t index = 0;
    bool negative = false;
    if (text.size > 0 && (text.ptr[0] == '-' || text.ptr[0] == '+')) {
        negative = text.ptr[0] == '-';
        index = 1;
    }
    int64_t magnitude = 0;
    for (; index < text.size; index++) {
        uint8_t digit = text.ptr[index];
        if (digit < '0' || digit > '9' || magnitude > (INT64_MAX - 9) / 10) {
            return false;
        }
        magnitude = magnitude * 10 + (int64_t)(digit - '0');
    }
    *result = negative ? -magnitude : magnitude;
    return true;
}

/* The multiplier of a memtoull unit, or 0 if `unit` is not one. */
static uint64_t size_unit_multiplier(struct slice unit) {
    ASSERT(unit.ptr != NULL || unit.size == 0);
    if (unit.size == 0 || slice_equal_nocase(unit, "b")) {
        return 1;
    }
    static const struct {
        const char *name;
        uint64_t multiplier;
    } units[] = {
        { "k", 1000 }, { "kb", KIB }, { "m", 1000 * 1000 }, { "mb", MIB },
        { "g", 1000 * 1000 * 1000 }, { "gb", GIB },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(units); index++) {
        if (slice_equal_nocase(unit, units[index].name)) {
            return units[index].multiplier;
        }
    }
    return 0;
}

/*
 * Redis's memtoull: digits, then an optional unit (b, k, kb, m, mb, g, gb; any
 * case). Unlike Redis, keel requires a digit and refuses values that overflow.
 */
static bool size_parse(struct slice text, uint64_t *size) {
    ASSERT(size != NULL);
    ASSERT(text.ptr != NULL || text.size == 0);
    uint64_t number = 0;
    uint32_t index = 0;
    for (; index < text.size && text.ptr[index] >= '0' && text.ptr[index] <= '9'; index++) {
        uint64_t digit = (uint64_t)(text.ptr[index] - '0');
        if (number > (UINT64_MAX - digit) / 10) {
            return false;
        }
        number = number * 10 + digit;
    }
    if (index == 0) {
        return false;
    }
    struct slice unit = { .ptr = text.ptr + index, .size = text.size - index };
    uint64_t multiplier = size_unit_multiplier(unit);
    if (multiplier == 0 || number > UINT64_MAX / multiplier) {
        return false;
    }
    *size = number * multiplier;
    return true;
}

bool config_parse_size(const char *text, uint64_t *size) {
    ASSERT(text != NULL);
    ASSERT(size != NULL);
    size_t length = strnlen(text, CONFIG_LINE_SIZE_MAX);
    if (length == CONFIG_LINE_SIZE_MAX) {
        return false;
    }
    return size_parse(slice_make(text, length), size);
}

/* ==== Generic values ==== */

static bool value_parse_integer(struct slice text, const struct keyword *keyword,
                                uint64_t *result, char *reason) {
    ASSERT(keyword->kind == KIND_INTEGER);
    ASSERT(keyword->min <= keyword->max);
    int64_t number = 0;
    if (!integer_parse(text, &number)) {
        reason_set(reason, REASON_INTEGER);
        return false;
    }
    if (number < 0 || (uint64_t)number < keyword->min || (uint64_t)number > keyword->max) {
        reason_range(reason, keyword->min, keyword->max);
        return false;
    }
    *result = (uint64_t)number;
    return true;
}

static bool value_parse_size(struct slice text, const struct keyword *keyword, uint64_t *result,
                             char *reason) {
    ASSERT(keyword->kind == KIND_SIZE);
    ASSERT(keyword->min <= keyword->max);
    uint64_t size = 0;
    if (!size_parse(text, &size)) {
        reason_set(reason, REASON_MEMORY);
        return false;
    }
    if (size < keyword->min || size > keyword->max) {
        reason_range(reason, keyword->min, keyword->max);
        return false;
    }
    *result = size;
    return true;
}

static bool value_parse_bool(struct slice text, bool *result, char *reason) {
    ASSERT(result != NULL);
    ASSERT(reason != NULL);
    if (slice_equal_nocase(text, "yes")) {
        *result = true;
        return true;
    }
    if (slice_equal_nocase(text, "no")) {
        *result = false;
        return true;
    }
    reason_set(reason, REASON_YES_NO);
    return false;
}

static bool value_parse_enum(struct slice text, const struct keyword *keyword, uint64_t *result,
                             char *reason) {
    ASSERT(keyword->kind == KIND_ENUM);
    ASSERT(keyword->name_count > 0);
    for (uint32_t index = 0; index < keyword->name_count; index++) {
        if (slice_equal_nocase(text, keyword->names[index].name)) {
            *result = keyword->names[index].value;
            return true;
        }
    }
    int used = snprintf(reason, CONFIG_ERROR_SIZE_MAX,
                        "argument(s) must be one of the following: ");
    ASSERT(used > 0);
    for (uint32_t index = 0; index < keyword->name_count; index++) {
        ASSERT((uint32_t)used < CONFIG_ERROR_SIZE_MAX);
        int written = snprintf(reason + used, CONFIG_ERROR_SIZE_MAX - (uint32_t)used, "%s%s",
                               index == 0 ? "" : ", ", keyword->names[index].name);
        ASSERT(written > 0);
        used += written;
    }
    ASSERT((uint32_t)used < CONFIG_ERROR_SIZE_MAX);
    return false;
}

static const char *enum_name_of(const struct enum_name *names, uint32_t name_count,
                                uint32_t value) {
    ASSERT(names != NULL);
    ASSERT(name_count > 0);
    for (uint32_t index = 0; index < name_count; index++) {
        if (names[index].value == value) {
            return names[index].name;
        }
    }
    ASSERT(false && "enum value without a name");
    return "";
}

/* Copies a string value into a char[CONFIG_STRING_SIZE_MAX] field, NUL-padded. */
static bool value_copy_string(struct slice text, char *target, char *reason) {
    ASSERT(target != NULL);
    ASSERT(reason != NULL);
    if (text.size >= CONFIG_STRING_SIZE_MAX) {
        reason_set(reason, REASON_TOO_LONG);
        return false;
    }
    if (slice_has_nul(text)) {
        reason_set(reason, REASON_NUL);
        return false;
    }
    memset(target, 0, CONFIG_STRING_SIZE_MAX);
    if (text.size > 0) {
        memcpy(target, text.ptr, text.size);
    }
    return true;
}

/* ==== Fields by offset ==== */

static uint64_t field_read(const struct config *config, const struct keyword *keyword) {
    ASSERT(config != NULL);
    ASSERT(keyword->field_offset + keyword->field_size <= sizeof(struct config));
    const uint8_t *field = (const uint8_t *)config + keyword->field_offset;
    if (keyword->field_size == sizeof(bool)) {
        bool flag = false;
        memcpy(&flag, field, sizeof(flag));
        return flag ? 1u : 0u;
    }
    if (keyword->field_size == sizeof(uint32_t)) {
        uint32_t number = 0;
        memcpy(&number, field, sizeof(number));
        return number;
    }
    ASSERT(keyword->field_size == sizeof(uint64_t));
    uint64_t number = 0;
    memcpy(&number, field, sizeof(number));
    return number;
}

static void field_write(struct config *config, const struct keyword *keyword, uint64_t number) {
    ASSERT(config != NULL);
    ASSERT(keyword->field_offset + keyword->field_size <= sizeof(struct config));
    uint8_t *field = (uint8_t *)config + keyword->field_offset;
    if (keyword->field_size == sizeof(bool)) {
        ASSERT(number <= 1);
        bool flag = number == 1;
        memcpy(field, &flag, sizeof(flag));
        return;
    }
    if (keyword->field_size == sizeof(uint32_t)) {
        ASSERT(number <= UINT32_MAX);
        uint32_t narrow = (uint32_t)number;
        memcpy(field, &narrow, sizeof(narrow));
        return;
    }
    ASSERT(keyword->field_size == sizeof(uint64_t));
    memcpy(field, &number, sizeof(number));
    VERIFY(field_read(config, keyword) == number);
}

/* ==== Keyword-specific rules ==== */

static bool maxmemory_settle(struct config *config, const struct config *reserved, char *reason) {
    ASSERT(config != NULL);
    ASSERT(reason != NULL);
    if (config->maxmemory == 0) {
        config->maxmemory = reserved != NULL ? reserved->maxmemory : CONFIG_MAXMEMORY_DEFAULT;
    }
    ASSERT(config->maxmemory > 0);
    /* At startup the budget also sizes the heap, which needs room for the databases' empty
     * indexes; lowering it later with CONFIG SET only refuses writes, as in Redis. */
    if (reserved == NULL && config->maxmemory < CONFIG_MAXMEMORY_MIN) {
        reason_set(reason, "keel needs a maxmemory of at least 1mb to start");
        return false;
    }
    return true;
}

static bool hz_settle(struct config *config, const struct config *reserved, char *reason) {
    ASSERT(config != NULL);
    ASSERT(reason != NULL);
    (void)reserved;
    config->hz = MAX(config->hz, CONFIG_HZ_MIN);
    config->hz = MIN(config->hz, CONFIG_HZ_MAX);
    return true;
}

static bool daemonize_settle(struct config *config, const struct config *reserved, char *reason) {
    ASSERT(config != NULL);
    ASSERT(reason != NULL);
    (void)reserved;
    if (config->daemonize) {
        reason_set(reason, REASON_FOREGROUND);
        return false;
    }
    return true;
}

static bool appendonly_settle(struct config *config, const struct config *reserved,
                              char *reason) {
    ASSERT(config != NULL);
    ASSERT(reason != NULL);
    (void)reserved;
    if (config->appendonly) {
        reason_set(reason, REASON_APPENDONLY);
        return false;
    }
    return true;
}

static bool dbfilename_settle(struct config *config, const struct config *reserved,
                              char *reason) {
    ASSERT(config != NULL);
    ASSERT(reason != NULL);
    (void)reserved;
    if (memchr(config->dbfilename, '/', CONFIG_STRING_SIZE_MAX) != NULL) {
        reason_set(reason, REASON_DBFILENAME);
        return false;
    }
    return true;
}

/* bind: 1..16 addresses ("-" prefix: optional); a single "" means none, as in Redis. */
static bool bind_apply(struct config *config, const struct slice *values, uint32_t value_count,
                       char *reason) {
    ASSERT(config != NULL);
    ASSERT(values != NULL || value_count == 0);
    if (value_count > CONFIG_BIND_COUNT_MAX) {
        reason_set(reason, REASON_BIND_COUNT);
        return false;
    }
    if (value_count == 1 && values[0].size == 0) {
        value_count = 0;
    }
    memset(config->bind, 0, sizeof(config->bind));
    for (uint32_t index = 0; index < value_count; index++) {
        if (values[index].size == 0 || values[index].size >= CONFIG_BIND_SIZE_MAX) {
            int written = snprintf(reason, CONFIG_ERROR_SIZE_MAX,
                                   "address must be 1 to %u bytes", CONFIG_BIND_SIZE_MAX - 1);
            ASSERT(written > 0);
            return false;
        }
        if (slice_has_nul(values[index])) {
            reason_set(reason, REASON_NUL);
            return false;
        }
        memcpy(config->bind[index], values[index].ptr, values[index].size);
    }
    config->bind_count = value_count;
    return true;
}

static void bind_format(const struct config *config, char *value, uint32_t value_size_max) {
    ASSERT(config->bind_count <= CONFIG_BIND_COUNT_MAX);
    ASSERT(value_size_max > 0);
    uint32_t used = 0;
    value[0] = '\0';
    for (uint32_t index = 0; index < config->bind_count; index++) {
        ASSERT(used < value_size_max);
        int written = snprintf(value + used, value_size_max - used, "%s%.*s",
                               index == 0 ? "" : " ", (int)(CONFIG_BIND_SIZE_MAX - 1),
                               config->bind[index]);
        ASSERT(written > 0);
        used += (uint32_t)written;
    }
    ASSERT(used < value_size_max);
}

/* Redis's getClientTypeByName, without master (refused as in Redis). */
static struct output_limit *output_limit_of(struct config *config, struct slice class_name) {
    ASSERT(config != NULL);
    ASSERT(class_name.ptr != NULL || class_name.size == 0);
    if (slice_equal_nocase(class_name, "normal")) {
        return &config->output_limit_normal;
    }
    if (slice_equal_nocase(class_name, "replica") || slice_equal_nocase(class_name, "slave")) {
        return &config->output_limit_replica;
    }
    if (slice_equal_nocase(class_name, "pubsub")) {
        return &config->output_limit_pubsub;
    }
    return NULL;
}

/*
 * client-output-buffer-limit <class> <hard> <soft> <soft_seconds> [<class> ...].
 * Applied to a copy by the caller, so an error in a later class leaves nothing
 * half-set, as Redis's check-everything-first does.
 */
static bool output_limit_apply(struct config *config, const struct slice *values,
                               uint32_t value_count, char *reason) {
    ASSERT(config != NULL);
    ASSERT(values != NULL || value_count == 0);
    if (value_count % 4 != 0) {
        reason_set(reason, REASON_OUTPUT_ARITY);
        return false;
    }
    for (uint32_t index = 0; index < value_count; index += 4) {
        struct output_limit *limit = output_limit_of(config, values[index]);
        if (limit == NULL) {
            reason_set(reason, REASON_OUTPUT_CLASS);
            return false;
        }
        struct output_limit parsed = { 0, 0, 0 };
        int64_t seconds = 0;
        if (!size_parse(values[index + 1], &parsed.hard_size) ||
            !size_parse(values[index + 2], &parsed.soft_size) ||
            !integer_parse_loose(values[index + 3], &seconds) || seconds < 0 ||
            (uint64_t)seconds > CONFIG_INT_MAX) {
            reason_set(reason, REASON_OUTPUT_VALUE);
            return false;
        }
        parsed.soft_seconds = (uint64_t)seconds;
        *limit = parsed;
    }
    return true;
}

static void output_limit_format(const struct config *config, char *value,
                                uint32_t value_size_max) {
    ASSERT(config != NULL);
    ASSERT(value != NULL);
    const struct output_limit *normal = &config->output_limit_normal;
    const struct output_limit *replica = &config->output_limit_replica;
    const struct output_limit *pubsub = &config->output_limit_pubsub;
    int written = snprintf(value, value_size_max,
                           "normal %" PRIu64 " %" PRIu64 " %" PRIu64 " slave %" PRIu64 " %" PRIu64
                           " %" PRIu64 " pubsub %" PRIu64 " %" PRIu64 " %" PRIu64,
                           normal->hard_size, normal->soft_size, normal->soft_seconds,
                           replica->hard_size, replica->soft_size, replica->soft_seconds,
                           pubsub->hard_size, pubsub->soft_size, pubsub->soft_seconds);
    ASSERT(written > 0);
    ASSERT((uint32_t)written < value_size_max);
}

/*
 * requirepass: binary safe (NUL bytes allowed), any size; "" means no password.
 * Keeps a reference to the argument (KEYWORD_BORROWED): the caller gives it
 * lasting storage before the argument goes away.
 */
static bool requirepass_apply(struct config *config, const struct slice *values,
                              uint32_t value_count, char *reason) {
    ASSERT(config != NULL);
    ASSERT(values != NULL || value_count == 0);
    if (value_count != 1) {
        reason_set(reason, REASON_ARITY);
        return false;
    }
    ASSERT(values[0].ptr != NULL || values[0].size == 0);
    config->requirepass = values[0].size > 0 ? values[0].ptr : NULL;
    config->requirepass_size = values[0].size;
    return true;
}

/* CONFIG GET shows every byte, NUL bytes included, as Redis 7.0's sdsdup does. */
static struct slice requirepass_view(const struct config *config) {
    ASSERT(config != NULL);
    ASSERT(config->requirepass != NULL || config->requirepass_size == 0);
    return (struct slice){ .ptr = config->requirepass, .size = config->requirepass_size };
}

/* list-max-listpack-size: a signed int (negative: a size class, positive: entries). */
static bool list_size_apply(struct config *config, const struct slice *values,
                            uint32_t value_count, char *reason) {
    ASSERT(config != NULL);
    ASSERT(values != NULL || value_count == 0);
    if (value_count != 1) {
        reason_set(reason, REASON_ARITY);
        return false;
    }
    int64_t number = 0;
    if (!integer_parse(values[0], &number)) {
        reason_set(reason, REASON_INTEGER);
        return false;
    }
    if (number < INT32_MIN || number > INT32_MAX) {
        reason_set(reason, "argument must be between -2147483648 and 2147483647 inclusive");
        return false;
    }
    config->list_max_listpack_size = (int32_t)number;
    return true;
}

static void list_size_format(const struct config *config, char *value,
                             uint32_t value_size_max) {
    ASSERT(value != NULL);
    int written = snprintf(value, value_size_max, "%d", (int)config->list_max_listpack_size);
    ASSERT(written > 0 && (uint32_t)written < value_size_max);
}

/* slowlog-log-slower-than: microseconds, -1 (Redis's minimum) turns the slowlog off. */
static bool slower_than_apply(struct config *config, const struct slice *values,
                              uint32_t value_count, char *reason) {
    ASSERT(config != NULL);
    ASSERT(values != NULL || value_count == 0);
    if (value_count != 1) {
        reason_set(reason, REASON_ARITY);
        return false;
    }
    int64_t number = 0;
    if (!integer_parse(values[0], &number)) {
        reason_set(reason, REASON_INTEGER);
        return false;
    }
    if (number < -1) {
        reason_set(reason, "argument must be between -1 and 9223372036854775807 inclusive");
        return false;
    }
    config->slowlog_log_slower_than = number;
    return true;
}

static void slower_than_format(const struct config *config, char *value,
                               uint32_t value_size_max) {
    ASSERT(value != NULL);
    ASSERT(config->slowlog_log_slower_than >= -1);
    int written = snprintf(value, value_size_max, "%" PRId64, config->slowlog_log_slower_than);
    ASSERT(written > 0 && (uint32_t)written < value_size_max);
}

/* save: validated as Redis does (pairs of seconds >= 1 and changes >= 0), then ignored. */
static bool save_apply(struct config *config, const struct slice *values, uint32_t value_count,
                       char *reason) {
    ASSERT(config != NULL);
    ASSERT(values != NULL || value_count == 0);
    if (value_count == 1 && values[0].size == 0) {
        value_count = 0;
    }
    if (value_count % 2 != 0) {
        reason_set(reason, REASON_SAVE);
        return false;
    }
    for (uint32_t index = 0; index < value_count; index++) {
        int64_t number = 0;
        int64_t lowest = index % 2 == 0 ? 1 : 0;
        if (!integer_parse_loose(values[index], &number) || number < lowest) {
            reason_set(reason, REASON_SAVE);
            return false;
        }
    }
    return true;
}

/* keel does not snapshot, so CONFIG GET save shows "" whatever was configured. */
static void save_format(const struct config *config, char *value, uint32_t value_size_max) {
    ASSERT(config != NULL);
    ASSERT(value_size_max > 0);
    value[0] = '\0';
}

/* ==== Applying a keyword ==== */

static bool keyword_apply_generic(struct config *config, const struct keyword *keyword,
                                  struct slice text, char *reason) {
    ASSERT(keyword->kind <= KIND_STRING);
    ASSERT(keyword->field_size > 0);
    uint64_t number = 0;
    bool flag = false;
    switch (keyword->kind) {
    case KIND_INTEGER:
        if (!value_parse_integer(text, keyword, &number, reason)) {
            return false;
        }
        break;
    case KIND_SIZE:
        if (!value_parse_size(text, keyword, &number, reason)) {
            return false;
        }
        break;
    case KIND_BOOL:
        if (!value_parse_bool(text, &flag, reason)) {
            return false;
        }
        number = flag ? 1u : 0u;
        break;
    case KIND_ENUM:
        if (!value_parse_enum(text, keyword, &number, reason)) {
            return false;
        }
        break;
    default:
        ASSERT(keyword->kind == KIND_STRING);
        ASSERT(keyword->field_size == CONFIG_STRING_SIZE_MAX);
        return value_copy_string(text, (char *)config + keyword->field_offset, reason);
    }
    field_write(config, keyword, number);
    return true;
}

/*
 * Applies one keyword's values to `config`, which the caller discards on
 * failure. `reserved` is NULL at startup and the reservation at run time.
 */
static bool keyword_apply(struct config *config, const struct config *reserved,
                          const struct keyword *keyword, const struct slice *values,
                          uint32_t value_count, char *reason) {
    ASSERT(config != NULL);
    ASSERT(keyword != NULL);
    ASSERT(value_count <= CONFIG_ARG_COUNT_MAX);
    if (keyword->kind == KIND_IGNORED) {
        return true;
    }
    if (keyword->kind == KIND_SPECIAL) {
        ASSERT(keyword->apply != NULL);
        return keyword->apply(config, values, value_count, reason);
    }
    if (value_count != 1) {
        reason_set(reason, REASON_ARITY);
        return false;
    }
    if (!keyword_apply_generic(config, keyword, values[0], reason)) {
        return false;
    }
    if (keyword->settle != NULL) {
        return keyword->settle(config, reserved, reason);
    }
    return true;
}

static uint32_t keyword_find_slice(struct slice name) {
    ASSERT(name.ptr != NULL || name.size == 0);
    ASSERT(KEYWORD_COUNT > 0);
    for (uint32_t index = 0; index < KEYWORD_COUNT; index++) {
        const struct keyword *keyword = &keywords[index];
        if (slice_equal_nocase(name, keyword->name)) {
            return index;
        }
        if (keyword->alias != NULL && slice_equal_nocase(name, keyword->alias)) {
            return index;
        }
    }
    return UINT32_MAX;
}

/* ==== Splitting a line (Redis's sdssplitargs) ==== */

/* A line's arguments: slices into `storage`, which holds them unquoted. */
struct args {
    uint32_t count;
    uint32_t storage_used;
    struct slice items[CONFIG_ARG_COUNT_MAX];
    uint8_t storage[CONFIG_LINE_SIZE_MAX];
};

enum split_status { SPLIT_OK = 0, SPLIT_UNBALANCED, SPLIT_TOO_MANY };

/* The text as a C string would read: '\0' past the end. */
static char text_at(const char *text, uint32_t size, uint32_t position) {
    ASSERT(text != NULL);
    ASSERT(size < CONFIG_LINE_SIZE_MAX);
    return position < size ? text[position] : '\0';
}

/* isspace() in the C locale, which sdssplitargs uses between arguments. */
static bool split_is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool split_is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static uint8_t split_hex_value(char c) {
    ASSERT(split_is_hex(c));
    if (c >= '0' && c <= '9') {
        return (uint8_t)(c - '0');
    }
    if (c >= 'a' && c <= 'f') {
        return (uint8_t)(c - 'a' + 10);
    }
    return (uint8_t)(c - 'A' + 10);
}

static uint8_t split_escape(char c) {
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return (uint8_t)c;
    }
}

static void args_push_byte(struct args *args, uint8_t byte) {
    ASSERT(args != NULL);
    ASSERT(args->storage_used < CONFIG_LINE_SIZE_MAX);
    args->storage[args->storage_used] = byte;
    args->storage_used++;
}

/* A closing quote must be followed by a blank or the end of the line. */
static bool split_quote_closes(const char *text, uint32_t size, uint32_t position) {
    char next = text_at(text, size, position + 1);
    return next == '\0' || split_is_blank(next);
}

/* From just after an opening '"' to just after its closing one; false if unbalanced. */
static bool split_double_quoted(const char *text, uint32_t size, uint32_t *position,
                                struct args *args) {
    ASSERT(position != NULL);
    ASSERT(*position <= size);
    uint32_t at = *position;
    for (uint32_t step = 0; step <= size; step++) {
        char c = text_at(text, size, at);
        char next = text_at(text, size, at + 1);
        if (c == '\0') {
            return false;
        }
        if (c == '"') {
            *position = at + 1;
            return split_quote_closes(text, size, at);
        }
        if (c == '\\' && next == 'x' && split_is_hex(text_at(text, size, at + 2)) &&
            split_is_hex(text_at(text, size, at + 3))) {
            uint8_t high = split_hex_value(text_at(text, size, at + 2));
            uint8_t low = split_hex_value(text_at(text, size, at + 3));
            args_push_byte(args, (uint8_t)(high * 16 + low));
            at += 4;
        } else if (c == '\\' && next != '\0') {
            args_push_byte(args, split_escape(next));
            at += 2;
        } else {
            args_push_byte(args, (uint8_t)c);
            at += 1;
        }
    }
    ASSERT(false && "a quoted section ends within the line");
    return false;
}

/* From just after an opening '\'' to just after its closing one; only \' is an escape. */
static bool split_single_quoted(const char *text, uint32_t size, uint32_t *position,
                                struct args *args) {
    ASSERT(position != NULL);
    ASSERT(*position <= size);
    uint32_t at = *position;
    for (uint32_t step = 0; step <= size; step++) {
        char c = text_at(text, size, at);
        if (c == '\0') {
            return false;
        }
        if (c == '\'') {
            *position = at + 1;
            return split_quote_closes(text, size, at);
        }
        if (c == '\\' && text_at(text, size, at + 1) == '\'') {
            args_push_byte(args, '\'');
            at += 2;
        } else {
            args_push_byte(args, (uint8_t)c);
            at += 1;
        }
    }
    ASSERT(false && "a quoted section ends within the line");
    return false;
}

/* One argument from text[*position], which is not blank. A quote ends it. */
static enum split_status split_token(const char *text, uint32_t size, uint32_t *position,
                                     struct args *args) {
    ASSERT(*position < size);
    ASSERT(args->count <= CONFIG_ARG_COUNT_MAX);
    if (args->count == CONFIG_ARG_COUNT_MAX) {
        return SPLIT_TOO_MANY;
    }
    uint32_t start = args->storage_used;
    uint32_t at = *position;
    for (uint32_t step = 0; step <= size; step++) {
        char c = text_at(text, size, at);
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {
            break;
        }
        at++;
        bool closed = true;
        if (c == '"') {
            closed = split_double_quoted(text, size, &at, args);
        } else if (c == '\'') {
            closed = split_single_quoted(text, size, &at, args);
        } else {
            args_push_byte(args, (uint8_t)c);
            continue;
        }
        if (!closed) {
            return SPLIT_UNBALANCED;
        }
        break;
    }
    args->items[args->count] = (struct slice){ .ptr = args->storage + start,
                                               .size = args->storage_used - start };
    args->count++;
    *position = at;
    return SPLIT_OK;
}

static enum split_status split_line(const char *text, uint32_t size, struct args *args) {
    ASSERT(text != NULL);
    ASSERT(size < CONFIG_LINE_SIZE_MAX);
    args->count = 0;
    args->storage_used = 0;
    uint32_t at = 0;
    for (uint32_t step = 0; step <= size; step++) {
        for (; at < size && split_is_blank(text[at]); at++) {
        }
        if (at >= size) {
            return SPLIT_OK;
        }
        enum split_status status = split_token(text, size, &at, args);
        if (status != SPLIT_OK) {
            return status;
        }
    }
    ASSERT(at >= size);
    return SPLIT_OK;
}

/* The first blank-delimited word of a line, to name it in an error. */
static struct slice first_word(const char *text, uint32_t size) {
    ASSERT(text != NULL);
    uint32_t start = 0;
    for (; start < size && split_is_blank(text[start]); start++) {
    }
    uint32_t end = start;
    for (; end < size && !split_is_blank(text[end]); end++) {
    }
    ASSERT(start <= end);
    return slice_make(text + start, end - start);
}

/*
 * As Redis 7.0's loadServerConfigFromString: a list keyword given exactly one
 * non-empty argument has it split again like a line, so `--save "900 1 300 10"`
 * and `client-output-buffer-limit "normal 1mb 0 0"` (in a file too) work. The
 * argument reads as a C string (sdssplitargs stops at a NUL byte), and unbalanced
 * quotes leave no argument at all, as sdssplitargs's NULL does in Redis. False
 * past CONFIG_ARG_COUNT_MAX arguments.
 */
static bool list_resplit(const struct keyword *keyword, const struct slice **values,
                         uint32_t *value_count, struct args *split) {
    ASSERT(keyword != NULL);
    ASSERT(*value_count <= CONFIG_ARG_COUNT_MAX);
    if ((keyword->flags & KEYWORD_LIST) == 0 || *value_count != 1 || (*values)[0].size == 0) {
        return true;
    }
    struct slice single = (*values)[0];
    ASSERT(single.size < CONFIG_LINE_SIZE_MAX); /* a line's or an argv entry's bytes */
    const uint8_t *nul = memchr(single.ptr, 0, single.size);
    uint32_t size = nul == NULL ? single.size : (uint32_t)(nul - single.ptr);
    enum split_status status = split_line((const char *)single.ptr, size, split);
    if (status == SPLIT_TOO_MANY) {
        return false;
    }
    if (status == SPLIT_UNBALANCED) {
        split->count = 0;
    }
    *values = split->items;
    *value_count = split->count;
    return true;
}

/* Where a password from the file or the flags is kept (config.h, "requirepass storage"). */
static uint8_t requirepass_startup[CONFIG_LINE_SIZE_MAX];

/* At startup: copies the requirepass just applied (a line's or argv's bytes) to lasting storage. */
static void requirepass_keep_startup(struct config *config) {
    ASSERT(config->requirepass != NULL || config->requirepass_size == 0);
    ASSERT(config->requirepass_size < CONFIG_LINE_SIZE_MAX);
    if (config->requirepass_size == 0) {
        return;
    }
    memmove(requirepass_startup, config->requirepass, config->requirepass_size);
    config->requirepass = requirepass_startup;
}

/* Applies args (keyword first) to a copy of config; on success the copy replaces it. */
static bool apply_args(struct config *config, const struct args *args, char *error) {
    ASSERT(config != NULL);
    ASSERT(args->count >= 1);
    struct slice name = args->items[0];
    uint32_t keyword_index = keyword_find_slice(name);
    if (keyword_index == UINT32_MAX) {
        error_compose_slice(error, name, REASON_UNKNOWN);
        return false;
    }
    const struct keyword *keyword = &keywords[keyword_index];
    const struct slice *values = args->items + 1;
    uint32_t value_count = args->count - 1;
    struct args split;
    if (!list_resplit(keyword, &values, &value_count, &split)) {
        error_compose(error, keyword->name, REASON_TOO_MANY);
        return false;
    }
    struct config candidate = *config;
    char reason[CONFIG_ERROR_SIZE_MAX];
    reason[0] = '\0';
    if (!keyword_apply(&candidate, NULL, keyword, values, value_count, reason)) {
        error_compose(error, keyword->name, reason);
        return false;
    }
    if ((keyword->flags & KEYWORD_BORROWED) != 0) {
        requirepass_keep_startup(&candidate);
    }
    *config = candidate;
    return true;
}

static bool split_error(char *error, const char *text, uint32_t size, enum split_status status) {
    ASSERT(status != SPLIT_OK);
    ASSERT(error != NULL);
    struct slice name = first_word(text, size);
    error_compose_slice(error, name, status == SPLIT_UNBALANCED ? REASON_UNBALANCED
                                                                : REASON_TOO_MANY);
    return false;
}

bool config_apply_line(struct config *config, const char *line, char *error) {
    ASSERT(config != NULL);
    ASSERT(line != NULL);
    ASSERT(error != NULL);
    error[0] = '\0';
    size_t length = strnlen(line, CONFIG_LINE_SIZE_MAX);
    if (length == CONFIG_LINE_SIZE_MAX) {
        struct slice name = first_word(line, CONFIG_LINE_SIZE_MAX - 1);
        error_compose_slice(error, name, REASON_LINE_TOO_LONG);
        return false;
    }
    /* Redis trims " \t\r\n" from both ends, then skips blank and '#' lines. */
    uint32_t start = 0;
    uint32_t end = (uint32_t)length;
    for (; start < end && strchr(" \t\r\n", line[start]) != NULL; start++) {
    }
    for (; end > start && strchr(" \t\r\n", line[end - 1]) != NULL; end--) {
    }
    if (start == end || line[start] == '#') {
        return true;
    }
    struct args args;
    enum split_status status = split_line(line + start, end - start, &args);
    if (status != SPLIT_OK) {
        return split_error(error, line + start, end - start, status);
    }
    if (args.count == 0) {
        return true; /* a line of empty quotes only, as `""`, names no keyword */
    }
    return apply_args(config, &args, error);
}

/* ==== Loading: file and flags ==== */

struct line_reader {
    int fd;
    uint32_t start; /* first unconsumed byte of buffer */
    uint32_t end;   /* bytes read into buffer */
    bool end_of_file;
    char buffer[CONFIG_LINE_SIZE_MAX];
};

enum read_status { READ_LINE = 0, READ_END, READ_TOO_LONG, READ_FAILED };

static void line_reader_take(struct line_reader *reader, uint32_t size, uint32_t consumed,
                             char *line) {
    ASSERT(size < CONFIG_LINE_SIZE_MAX);
    ASSERT(reader->start + consumed <= reader->end);
    memcpy(line, reader->buffer + reader->start, size);
    line[size] = '\0';
    reader->start += consumed;
}

/* The next line (without its '\n') into line[CONFIG_LINE_SIZE_MAX]. */
static enum read_status line_reader_next(struct line_reader *reader, char *line) {
    ASSERT(reader->start <= reader->end);
    ASSERT(reader->end <= CONFIG_LINE_SIZE_MAX);
    /* Each turn finds a line, or reads at least one byte, or meets the end. */
    for (uint32_t turn = 0; turn < CONFIG_LINE_SIZE_MAX + 2; turn++) {
        uint32_t pending = reader->end - reader->start;
        const char *newline = memchr(reader->buffer + reader->start, '\n', pending);
        if (newline != NULL) {
            uint32_t size = (uint32_t)(newline - (reader->buffer + reader->start));
            line_reader_take(reader, size, size + 1, line);
            return READ_LINE;
        }
        if (reader->end_of_file) {
            if (pending == 0) {
                return READ_END;
            }
            line_reader_take(reader, pending, pending, line);
            return READ_LINE;
        }
        memmove(reader->buffer, reader->buffer + reader->start, pending);
        reader->start = 0;
        reader->end = pending;
        if (reader->end == CONFIG_LINE_SIZE_MAX) {
            return READ_TOO_LONG;
        }
        ssize_t got = read(reader->fd, reader->buffer + reader->end,
                           CONFIG_LINE_SIZE_MAX - reader->end);
        if (got < 0 && errno != EINTR) {
            return READ_FAILED;
        }
        if (got == 0) {
            reader->end_of_file = true;
        }
        if (got > 0) {
            ASSERT((size_t)got <= CONFIG_LINE_SIZE_MAX - reader->end);
            reader->end += (uint32_t)got;
        }
    }
    errno = EINTR;
    return READ_FAILED;
}

static bool load_lines(struct config *config, struct line_reader *reader, const char *path,
                       char *error) {
    ASSERT(reader->fd >= 0);
    ASSERT(path != NULL);
    char line[CONFIG_LINE_SIZE_MAX];
    for (uint32_t line_number = 1; line_number <= CONFIG_FILE_LINE_COUNT_MAX; line_number++) {
        enum read_status status = line_reader_next(reader, line);
        if (status == READ_END) {
            return true;
        }
        if (status == READ_TOO_LONG) {
            int written = snprintf(error, CONFIG_ERROR_SIZE_MAX,
                                   "%s: line %" PRIu32 " is too long (at most %u bytes)", path,
                                   line_number, CONFIG_LINE_SIZE_MAX - 1);
            ASSERT(written > 0);
            return false;
        }
        if (status == READ_FAILED) {
            error_compose(error, path, strerror(errno));
            return false;
        }
        ASSERT(status == READ_LINE);
        if (!config_apply_line(config, line, error)) {
            error_append_location(error, path, line_number);
            return false;
        }
    }
    int written = snprintf(error, CONFIG_ERROR_SIZE_MAX, "%s: more than %u lines", path,
                           CONFIG_FILE_LINE_COUNT_MAX);
    ASSERT(written > 0);
    return false;
}

static bool load_file(struct config *config, const char *path, char *error) {
    ASSERT(config != NULL);
    ASSERT(path != NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int written = snprintf(error, CONFIG_ERROR_SIZE_MAX, "%s: can't open config file: %s",
                               path, strerror(errno));
        ASSERT(written > 0);
        return false;
    }
    struct line_reader reader;
    reader.fd = fd;
    reader.start = 0;
    reader.end = 0;
    reader.end_of_file = false;
    bool loaded = load_lines(config, &reader, path, error);
    /* A read-only descriptor has nothing to flush: a failed close loses nothing. */
    int closed = close(fd);
    (void)closed;
    return loaded;
}

static bool is_flag(const char *argument) {
    ASSERT(argument != NULL);
    return argument[0] == '-' && argument[1] == '-';
}

/*
 * One `--keyword value...` flag: argv[flag_index] after its "--" is split like
 * a line (so "--port 6380" in one entry works, as in Redis), and the entries
 * up to end_index are appended as arguments, byte for byte.
 */
static bool load_flag(struct config *config, char **argv, uint32_t flag_index,
                      uint32_t end_index, char *error) {
    ASSERT(flag_index < end_index);
    ASSERT(is_flag(argv[flag_index]));
    const char *name = argv[flag_index] + 2;
    size_t name_size = strnlen(name, CONFIG_LINE_SIZE_MAX);
    if (name_size == CONFIG_LINE_SIZE_MAX) {
        error_compose_slice(error, first_word(name, CONFIG_LINE_SIZE_MAX - 1), REASON_TOO_LONG);
        return false;
    }
    struct args args;
    enum split_status status = split_line(name, (uint32_t)name_size, &args);
    if (status != SPLIT_OK) {
        return split_error(error, name, (uint32_t)name_size, status);
    }
    if (args.count == 0) {
        error_compose(error, argv[flag_index], REASON_FLAG_EMPTY);
        return false;
    }
    for (uint32_t index = flag_index + 1; index < end_index; index++) {
        size_t size = strnlen(argv[index], CONFIG_LINE_SIZE_MAX);
        if (args.count == CONFIG_ARG_COUNT_MAX || size == CONFIG_LINE_SIZE_MAX) {
            error_compose_slice(error, args.items[0],
                                size == CONFIG_LINE_SIZE_MAX ? REASON_TOO_LONG
                                                             : REASON_TOO_MANY);
            return false;
        }
        args.items[args.count] = slice_make(argv[index], size);
        args.count++;
    }
    return apply_args(config, &args, error);
}

/* Applies argv[index..count) as flags. Returns early on --version or --help. */
static bool load_flags(struct config *config, char **argv, uint32_t index, uint32_t count,
                       struct config_flags *flags, char *error) {
    ASSERT(index >= 1);
    ASSERT(index <= count);
    for (uint32_t turn = 0; turn < count && index < count; turn++) {
        const char *entry = argv[index];
        if (!is_flag(entry)) {
            error_compose(error, entry,
                          strcmp(entry, "-") == 0
                              ? REASON_STDIN
                              : REASON_UNEXPECTED);
            return false;
        }
        uint32_t end = index + 1;
        for (; end < count && !is_flag(argv[end]); end++) {
        }
        if (strcmp(entry, "--version") == 0 || strcmp(entry, "--help") == 0) {
            flags->version = flags->version || strcmp(entry, "--version") == 0;
            flags->help = flags->help || strcmp(entry, "--help") == 0;
            return true;
        }
        if (strcmp(entry, "--check-plan") == 0) {
            flags->check_plan = true;
            if (end != index + 1) {
                error_compose(error, "check-plan", REASON_ARITY);
                return false;
            }
        } else if (!load_flag(config, argv, index, end, error)) {
            return false;
        }
        index = end;
    }
    ASSERT(index == count);
    return true;
}

bool config_load(struct config *config, int argc, char **argv, struct config_flags *flags,
                 char *error) {
    ASSERT(config != NULL);
    ASSERT(argv != NULL);
    ASSERT(flags != NULL);
    ASSERT(error != NULL);
    ASSERT(argc >= 1);
    flags->check_plan = false;
    flags->version = false;
    flags->help = false;
    error[0] = '\0';
    uint32_t count = (uint32_t)argc;
    if (count == 1) {
        return true;
    }
    /* As Redis: -v, --version, -h and --help are recognised first. */
    if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0) {
        flags->version = true;
        return true;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        flags->help = true;
        return true;
    }
    uint32_t index = 1;
    if (argv[1][0] != '-') {
        if (!load_file(config, argv[1], error)) {
            return false;
        }
        index = 2;
    }
    return load_flags(config, argv, index, count, flags, error);
}

/* ==== Defaults and validation ==== */

void config_defaults(struct config *config) {
    ASSERT(config != NULL);
    memset(config, 0, sizeof(*config));
    config->port = 6379;
    memcpy(config->bind[0], "127.0.0.1", sizeof("127.0.0.1"));
    config->bind_count = 1;
    config->tcp_backlog = 511;
    config->tcp_keepalive_seconds = 300;
    config->timeout_seconds = 0;
    config->protected_mode = true;
    config->maxmemory = CONFIG_MAXMEMORY_DEFAULT;
    config->maxclients = 10000;
    config->proto_max_bulk_len = 512 * MIB;
    config->client_query_buffer_limit = GIB;
    config->output_limit_normal = (struct output_limit){ 256 * MIB, 0, 0 };
    config->output_limit_replica = (struct output_limit){ 256 * MIB, 64 * MIB, 60 };
    config->output_limit_pubsub = (struct output_limit){ 32 * MIB, 8 * MIB, 60 };
    config->client_input_buffer_size = 16 * KIB;
    config->output_pool_size = 256 * MIB;
    config->input_pool_size = 64 * MIB;
    config->acl_users_max = 64;
    config->acllog_max_len = 128;
    config->slowlog_max_len = 128;
    config->slowlog_log_slower_than = 10000;
    config->latency_monitor_threshold = 0;
    config->lfu_log_factor = 10;
    config->lfu_decay_time = 1;
    config->hash_max_listpack_entries = 512;
    config->hash_max_listpack_value = 64;
    config->list_max_listpack_size = -2;
    config->set_max_intset_entries = 512;
    config->set_max_listpack_entries = 128;
    config->set_max_listpack_value = 64;
    config->zset_max_listpack_entries = 128;
    config->zset_max_listpack_value = 64;
    config->databases = 16;
    config->maxmemory_policy = POLICY_NOEVICTION;
    config->maxmemory_samples = 5;
    config->hz = 10;
    config->io_backend = IO_BACKEND_AUTO;
    config->lock_memory = false;
    config->loglevel = LOG_NOTICE;
    config->daemonize = false;
    config->requirepass = NULL;
    config->requirepass_size = 0;
    memcpy(config->dir, "./", sizeof("./"));
    memcpy(config->dbfilename, "dump.rdb", sizeof("dump.rdb"));
    config->appendonly = false;
    config->enable_debug_command = PROTECTED_ACTION_NO;
    VERIFY(config_validate(config, (char[CONFIG_ERROR_SIZE_MAX]){ 0 }));
}

static bool validate_network(const struct config *config, const char **name, char *reason) {
    ASSERT(config != NULL);
    ASSERT(name != NULL);
    if (config->port == 0 || config->port > 65535) {
        *name = "port";
        if (config->port == 0) {
            reason_set(reason, REASON_PORT_ZERO);
        } else {
            reason_range(reason, 0, 65535);
        }
        return false;
    }
    if (config->bind_count == 0 || config->bind_count > CONFIG_BIND_COUNT_MAX) {
        *name = "bind";
        reason_set(reason, config->bind_count == 0 ? REASON_BIND_EMPTY : REASON_BIND_COUNT);
        return false;
    }
    return true;
}

/* A value that must lie in [min, max]; on failure names it. */
static bool validate_range(uint64_t value, uint64_t min, uint64_t max, const char *keyword_name,
                           const char **name, char *reason) {
    ASSERT(min <= max);
    ASSERT(keyword_name != NULL);
    if (value < min || value > max) {
        *name = keyword_name;
        reason_range(reason, min, max);
        return false;
    }
    return true;
}

static bool validate_sizes(const struct config *config, const char **name, char *reason) {
    ASSERT(config != NULL);
    ASSERT(name != NULL);
    if (!validate_range(config->maxmemory, 1, CONFIG_MAXMEMORY_MAX, "maxmemory", name, reason) ||
        !validate_range(config->maxclients, 1, CONFIG_MAXCLIENTS_MAX, "maxclients", name,
                        reason) ||
        !validate_range(config->proto_max_bulk_len, MIB, CONFIG_BULK_SIZE_MAX,
                        "proto-max-bulk-len", name, reason) ||
        !validate_range(config->client_query_buffer_limit, MIB, CONFIG_LLONG_MAX,
                        "client-query-buffer-limit", name, reason) ||
        !validate_range(config->client_input_buffer_size, KIB, MIB, "client-input-buffer-size",
                        name, reason) ||
        !validate_range(config->output_pool_size, MIB, CONFIG_OUTPUT_POOL_SIZE_MAX,
                        "output-pool-size", name, reason) ||
        !validate_range(config->input_pool_size, MIB, CONFIG_INPUT_POOL_SIZE_MAX,
                        "input-pool-size", name, reason) ||
        !validate_range(config->slowlog_max_len, 0, CONFIG_SLOWLOG_MAX_LEN_MAX,
                        "slowlog-max-len", name, reason)) {
        return false;
    }
    /* The output pool must at least hold one input buffer's worth of replies. */
    if (config->output_pool_size < config->client_input_buffer_size) {
        *name = "output-pool-size";
        reason_set(reason, REASON_POOL_SMALL);
        return false;
    }
    return true;
}

static bool validate_behaviour(const struct config *config, const char **name, char *reason) {
    ASSERT(config->maxmemory_policy <= POLICY_VOLATILE_TTL);
    ASSERT(config->loglevel <= LOG_NOTHING);
    ASSERT(config->io_backend <= IO_BACKEND_EPOLL);
    ASSERT(config->requirepass != NULL || config->requirepass_size == 0);
    if (!validate_range(config->databases, 1, CONFIG_DATABASES_MAX, "databases", name, reason) ||
        !validate_range(config->maxmemory_samples, 1, CONFIG_INT_MAX, "maxmemory-samples", name,
                        reason) ||
        !validate_range(config->hz, CONFIG_HZ_MIN, CONFIG_HZ_MAX, "hz", name, reason)) {
        return false;
    }
    if (config->daemonize) {
        *name = "daemonize";
        reason_set(reason, REASON_FOREGROUND);
        return false;
    }
    if (config->appendonly) {
        *name = "appendonly";
        reason_set(reason, REASON_APPENDONLY);
        return false;
    }
    return true;
}

static bool validate_reason(const struct config *config, const char **name, char *reason) {
    ASSERT(config != NULL);
    ASSERT(reason != NULL);
    return validate_network(config, name, reason) && validate_sizes(config, name, reason) &&
           validate_behaviour(config, name, reason);
}

bool config_validate(const struct config *config, char *error) {
    ASSERT(config != NULL);
    ASSERT(error != NULL);
    const char *name = NULL;
    char reason[CONFIG_ERROR_SIZE_MAX];
    reason[0] = '\0';
    if (!validate_reason(config, &name, reason)) {
        ASSERT(name != NULL);
        error_compose(error, name, reason);
        return false;
    }
    error[0] = '\0';
    return true;
}

/* ==== CONFIG GET and CONFIG SET ==== */

uint32_t config_keyword_count(void) {
    ASSERT(KEYWORD_COUNT > 0);
    ASSERT(KEYWORD_COUNT < UINT32_MAX);
    return KEYWORD_COUNT;
}

const char *config_keyword_name(uint32_t keyword_index) {
    ASSERT(keyword_index < KEYWORD_COUNT);
    ASSERT(keywords[keyword_index].name != NULL);
    return keywords[keyword_index].name;
}

const char *config_keyword_alias(uint32_t keyword_index) {
    ASSERT(keyword_index < KEYWORD_COUNT);
    ASSERT(keywords[keyword_index].name != NULL);
    return keywords[keyword_index].alias;
}

uint32_t config_keyword_find(const char *name, uint32_t name_size) {
    ASSERT(name != NULL || name_size == 0);
    ASSERT(name_size < UINT32_MAX);
    struct slice slice = { .ptr = (const uint8_t *)name, .size = name_size };
    return keyword_find_slice(slice);
}

void config_keyword_format(const struct config *config, uint32_t keyword_index, char *value,
                           uint32_t value_size_max) {
    ASSERT(config != NULL);
    ASSERT(keyword_index < KEYWORD_COUNT);
    ASSERT(value != NULL);
    ASSERT(value_size_max > 0);
    const struct keyword *keyword = &keywords[keyword_index];
    ASSERT(keyword->view == NULL); /* its value may not fit: see config_keyword_view */
    switch (keyword->kind) {
    case KIND_INTEGER:
    case KIND_SIZE:
        value_write_u64(value, value_size_max, field_read(config, keyword));
        break;
    case KIND_BOOL:
        value_write(value, value_size_max, field_read(config, keyword) == 1 ? "yes" : "no");
        break;
    case KIND_ENUM:
        value_write(value, value_size_max,
                    enum_name_of(keyword->names, keyword->name_count,
                                 (uint32_t)field_read(config, keyword)));
        break;
    case KIND_STRING:
        ASSERT(keyword->field_size == CONFIG_STRING_SIZE_MAX);
        ASSERT(((const char *)config)[keyword->field_offset + CONFIG_STRING_SIZE_MAX - 1] == 0);
        value_write(value, value_size_max, (const char *)config + keyword->field_offset);
        break;
    case KIND_SPECIAL:
        ASSERT(keyword->format != NULL);
        keyword->format(config, value, value_size_max);
        break;
    default:
        ASSERT(keyword->kind == KIND_IGNORED);
        value_write(value, value_size_max, keyword->shown);
        break;
    }
}

bool config_keyword_view(const struct config *config, uint32_t keyword_index,
                         struct slice *value) {
    ASSERT(config != NULL);
    ASSERT(keyword_index < KEYWORD_COUNT);
    const struct keyword *keyword = &keywords[keyword_index];
    if (keyword->view == NULL) {
        return false;
    }
    ASSERT(keyword->kind == KIND_SPECIAL);
    *value = keyword->view(config);
    return true;
}

/* CONFIG SET's value as arguments: a list keyword splits at single spaces, as Redis does. */
static bool set_split(const struct keyword *keyword, const char *value, uint32_t size,
                      struct slice *values, uint32_t *count) {
    ASSERT(value != NULL);
    ASSERT(count != NULL);
    *count = 0;
    if ((keyword->flags & KEYWORD_LIST) == 0) {
        values[0] = slice_make(value, size);
        *count = 1;
        return true;
    }
    uint32_t start = 0;
    for (uint32_t at = 0; size > 0 && at <= size; at++) {
        if (at < size && value[at] != ' ') {
            continue;
        }
        if (*count == CONFIG_ARG_COUNT_MAX) {
            return false;
        }
        values[*count] = slice_make(value + start, at - start);
        *count += 1;
        start = at + 1;
    }
    return true;
}

static enum config_set_status set_above_reserved(const struct keyword *keyword, uint64_t limit,
                                                 char *error) {
    ASSERT((keyword->flags & KEYWORD_RESERVED) != 0);
    ASSERT(error != NULL);
    const char *unit = keyword->kind == KIND_SIZE ? " bytes" : "";
    int written = snprintf(error, CONFIG_ERROR_SIZE_MAX,
                           "value exceeds the %s reserved at startup (%" PRIu64 "%s)",
                           keyword->kind == KIND_SIZE ? "size" : "number", limit, unit);
    ASSERT(written > 0);
    return CONFIG_SET_ABOVE_RESERVED;
}

enum config_set_status config_set(struct config *config, const struct config *reserved,
                                  uint32_t keyword_index, const char *value, char *error) {
    ASSERT(value != NULL);
    /* The whole string: a requirepass may be longer than a line. */
    size_t size = strlen(value);
    ASSERT(size <= UINT32_MAX);
    return config_set_bytes(config, reserved, keyword_index, slice_make(value, (uint32_t)size),
                            error);
}

enum config_set_status config_set_allowed(uint32_t keyword_index, char *error) {
    ASSERT(keyword_index < KEYWORD_COUNT);
    ASSERT(error != NULL);
    error[0] = '\0';
    const struct keyword *keyword = &keywords[keyword_index];
    if ((keyword->flags & KEYWORD_IMMUTABLE) != 0) {
        reason_set(error, REASON_IMMUTABLE);
        return CONFIG_SET_IMMUTABLE;
    }
    if ((keyword->flags & KEYWORD_PROTECTED) != 0) {
        reason_set(error, REASON_PROTECTED);
        return CONFIG_SET_PROTECTED;
    }
    return CONFIG_SET_OK;
}

enum config_set_status config_set_bytes(struct config *config, const struct config *reserved,
                                        uint32_t keyword_index, struct slice value,
                                        char *error) {
    ASSERT(config != NULL);
    ASSERT(reserved != NULL);
    ASSERT(keyword_index < KEYWORD_COUNT);
    ASSERT(value.ptr != NULL || value.size == 0);
    ASSERT(error != NULL);
    const struct keyword *keyword = &keywords[keyword_index];
    enum config_set_status allowed = config_set_allowed(keyword_index, error);
    if (allowed != CONFIG_SET_OK) {
        return allowed;
    }
    struct slice values[CONFIG_ARG_COUNT_MAX];
    uint32_t value_count = 0;
    /* Only a list is bounded here (a line's worth): any other value, a password of any
     * size included, goes to its parser whole, as in Redis. */
    bool too_long = (keyword->flags & KEYWORD_LIST) != 0 && value.size >= CONFIG_LINE_SIZE_MAX;
    if (too_long || !set_split(keyword, (const char *)value.ptr, value.size, values,
                               &value_count)) {
        reason_set(error, too_long ? REASON_TOO_LONG : REASON_TOO_MANY);
        return CONFIG_SET_INVALID;
    }
    struct config candidate = *config;
    if (!keyword_apply(&candidate, reserved, keyword, values, value_count, error)) {
        return CONFIG_SET_INVALID;
    }
    if ((keyword->flags & KEYWORD_RESERVED) != 0 &&
        field_read(&candidate, keyword) > field_read(reserved, keyword)) {
        return set_above_reserved(keyword, field_read(reserved, keyword), error);
    }
    const char *name = NULL;
    if (!validate_reason(&candidate, &name, error)) {
        return CONFIG_SET_INVALID;
    }
    *config = candidate;
    return CONFIG_SET_OK;
}

const char *config_policy_name(enum maxmemory_policy policy) {
    ASSERT(policy <= POLICY_VOLATILE_TTL);
    ASSERT(ARRAY_COUNT(policy_names) == POLICY_VOLATILE_TTL + 1);
    return enum_name_of(policy_names, (uint32_t)ARRAY_COUNT(policy_names), (uint32_t)policy);
}

/* ==== requirepass storage ==== */

bool config_requirepass_keep(struct config *candidate, const struct config *current,
                             struct heap *heap, bool adopt) {
    ASSERT(candidate != NULL);
    ASSERT(heap != NULL);
    ASSERT(candidate->requirepass != NULL || candidate->requirepass_size == 0);
    if (current != NULL && candidate->requirepass == current->requirepass) {
        ASSERT(candidate->requirepass_size == current->requirepass_size);
        return true; /* not set, or set to the same object */
    }
    if (candidate->requirepass_size == 0) {
        candidate->requirepass = NULL;
        return true;
    }
    if (current != NULL && current->requirepass_size == candidate->requirepass_size &&
        memcmp(current->requirepass, candidate->requirepass, candidate->requirepass_size) == 0) {
        candidate->requirepass = current->requirepass; /* the same password: no allocation */
        return true;
    }
    if (adopt) {
        ASSERT(heap_contains(heap, candidate->requirepass));
        ASSERT(heap_usable_size(heap, candidate->requirepass) >= candidate->requirepass_size);
        return true;
    }
    uint8_t *copy = heap_alloc(heap, candidate->requirepass_size);
    if (copy == NULL) {
        return false;
    }
    memcpy(copy, candidate->requirepass, candidate->requirepass_size);
    candidate->requirepass = copy;
    ASSERT(heap_contains(heap, candidate->requirepass));
    return true;
}

void config_requirepass_release(const struct config *previous, const struct config *next,
                                struct heap *heap) {
    ASSERT(previous != NULL);
    ASSERT(next != NULL);
    if (previous->requirepass == NULL || previous->requirepass == next->requirepass) {
        return;
    }
    ASSERT(heap_contains(heap, previous->requirepass));
    heap_free(heap, (void *)(uintptr_t)previous->requirepass);
}
