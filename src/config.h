/*
 * config.h: keel's configuration. redis.conf keywords from a file (the first
 * argument) and the same keywords as `--keyword value...` flags, flags applied
 * after the file. Every value is validated; an error names the keyword and the
 * reason in one line, before anything is reserved.
 *
 * Strings live in fixed arrays inside struct config (no allocation): a value
 * longer than its array is a configuration error. requirepass is the exception:
 * struct config holds a reference to it (see "requirepass storage" below), so
 * that the struct stays small and the password has no size limit of its own.
 */
#pragma once

#include "base.h"

#define CONFIG_STRING_SIZE_MAX 512u
#define CONFIG_BIND_COUNT_MAX 16u
#define CONFIG_ERROR_SIZE_MAX 512u
/* Upper bounds that keep every plan count within 32 bits (64 KiB heap pages,
 * 16 KiB output chunks) and the plan within a 48-bit address space. */
#define CONFIG_MAXMEMORY_MAX ((uint64_t)1 << 40)          /* 1 TiB */
#define CONFIG_OUTPUT_POOL_SIZE_MAX ((uint64_t)1 << 36)   /* 64 GiB */
#define CONFIG_INPUT_POOL_SIZE_MAX ((uint64_t)1 << 36)    /* 64 GiB */
#define CONFIG_MAXCLIENTS_MAX 1000000u
#define CONFIG_DATABASES_MAX 1024u
#define CONFIG_ACL_USERS_MAX 65536u
#define CONFIG_MAXMEMORY_MIN ((uint64_t)1024 * 1024) /* at startup (the heap is sized from it) */
#define CONFIG_ACLLOG_MAX_LEN_MAX 65536u  /* acllog-max-len (Redis: LLONG_MAX) */
/* slowlog-max-len at startup: the plan reserves that many entries (Redis: LONG_MAX). */
#define CONFIG_SLOWLOG_MAX_LEN_MAX 1000000u
#define CONFIG_PUBSUB_MAX (1u << 26)  /* each pubsub-*-max keyword (PUBSUB_LIMIT_MAX) */
#define CONFIG_WATCHED_KEYS_MAX (1u << 26) /* watched-keys-max */
/*
 * proto-max-bulk-len may not exceed this: slices and item value sizes are
 * 32-bit in keel (Redis allows up to LLONG_MAX).
 */
#define CONFIG_BULK_SIZE_MAX ((uint64_t)UINT32_MAX)

enum maxmemory_policy {
    POLICY_NOEVICTION = 0,
    POLICY_ALLKEYS_LRU,
    POLICY_ALLKEYS_LFU,
    POLICY_ALLKEYS_RANDOM,
    POLICY_VOLATILE_LRU,
    POLICY_VOLATILE_LFU,
    POLICY_VOLATILE_RANDOM,
    POLICY_VOLATILE_TTL,
};

enum io_backend { IO_BACKEND_AUTO = 0, IO_BACKEND_IO_URING, IO_BACKEND_EPOLL };

enum log_level { LOG_DEBUG = 0, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING, LOG_NOTHING };

/* enable-debug-command: Redis's protected_action_enum (who may run DEBUG, src/cmd_debug.c). */
enum protected_action { PROTECTED_ACTION_NO = 0, PROTECTED_ACTION_YES, PROTECTED_ACTION_LOCAL };

struct output_limit {
    uint64_t hard_size;   /* 0: no hard limit beyond the output pool */
    uint64_t soft_size;   /* 0: no soft limit */
    uint64_t soft_seconds;
};

struct config {
    /* Network. */
    uint32_t port;                         /* port 6379; 0 disables TCP (refused: keel needs TCP) */
    char bind[CONFIG_BIND_COUNT_MAX][64];  /* bind 127.0.0.1 -::1 style list; first entries used */
    uint32_t bind_count;
    uint32_t tcp_backlog;                  /* tcp-backlog 511 */
    uint32_t tcp_keepalive_seconds;        /* tcp-keepalive 300 */
    uint32_t timeout_seconds;              /* timeout 0 (idle clients never closed) */
    bool protected_mode;                   /* protected-mode yes */

    /* Sizes fixed by the reservation (can be lowered at run time, never raised). */
    uint64_t maxmemory;                    /* maxmemory 1gb (keel's default; 0 = the default) */
    uint32_t maxclients;                   /* maxclients 10000 */
    uint64_t proto_max_bulk_len;           /* proto-max-bulk-len 512mb (min 1mb) */
    uint64_t client_query_buffer_limit;    /* client-query-buffer-limit 1gb (min 1mb) */
    struct output_limit output_limit_normal; /* client-output-buffer-limit normal 256mb 0 0 */
    struct output_limit output_limit_pubsub; /* client-output-buffer-limit pubsub 32mb 8mb 60 */
    struct output_limit output_limit_replica; /* ... replica 256mb 64mb 60 (accepted, unused) */
    uint64_t client_input_buffer_size;     /* client-input-buffer-size 16kb (keel) */
    uint64_t output_pool_size;             /* output-pool-size 256mb (keel) */
    uint64_t input_pool_size;              /* input-pool-size 64mb (keel): query buffers, argv */
    uint32_t acl_users_max;                /* acl-users-max 64 (keel): ACL user records */
    uint32_t acllog_max_len;               /* acllog-max-len 128: ACL LOG entries */
    uint64_t slowlog_max_len;              /* slowlog-max-len 128: SLOWLOG ring entries */
    /* pubsub-channels-max / -patterns-max / -subscriptions-max (keel): 0 derives them from
     * maxclients (8, 1 and 16 per client; see pubsub_limit). */
    uint32_t pubsub_channels_max;
    uint32_t pubsub_patterns_max;
    uint32_t pubsub_subscriptions_max;
    uint32_t watched_keys_max;             /* watched-keys-max 0 (keel): 0 = 8 per client */

    /* Behaviour. */
    uint32_t databases;                    /* databases 16 */
    enum maxmemory_policy maxmemory_policy;/* maxmemory-policy noeviction */
    int64_t slowlog_log_slower_than;       /* slowlog-log-slower-than 10000 (us; -1: off) */
    uint64_t latency_monitor_threshold;    /* latency-monitor-threshold 0 (ms; 0: off) */
    uint32_t maxmemory_samples;            /* maxmemory-samples 5 */
    uint32_t lfu_log_factor;               /* lfu-log-factor 10 */
    uint32_t lfu_decay_time;               /* lfu-decay-time 1 (minutes) */
    uint32_t hz;                           /* hz 10 (clamped to 1..500, as Redis does) */
    enum io_backend io_backend;            /* io-backend auto (keel) */
    bool lock_memory;                      /* lock-memory no (keel) */
    enum log_level loglevel;               /* loglevel notice */
    char logfile[CONFIG_STRING_SIZE_MAX];  /* logfile "" (stdout) */
    bool daemonize;                        /* daemonize no (yes is refused) */
    /* requirepass "" (binary safe; size 0: no password), by reference: see
     * "requirepass storage" below. NULL when requirepass_size is 0. */
    const uint8_t *requirepass;
    uint32_t requirepass_size;
    char dir[CONFIG_STRING_SIZE_MAX];      /* dir ./ (accepted, unused until persistence) */
    char dbfilename[CONFIG_STRING_SIZE_MAX]; /* dbfilename dump.rdb (accepted) */
    bool appendonly;                       /* appendonly no (yes refused until persistence) */
    enum protected_action enable_debug_command; /* enable-debug-command no (immutable) */

    /* Encoding thresholds (Redis 7.2's names and defaults; aliases *-ziplist-*). */
    uint32_t hash_max_listpack_entries;    /* 512 */
    uint32_t hash_max_listpack_value;      /* 64 */
    int32_t list_max_listpack_size;        /* -2: 8 KiB per node; > 0: entries per node */
    uint32_t set_max_intset_entries;       /* 512 */
    uint32_t set_max_listpack_entries;     /* 128 */
    uint32_t set_max_listpack_value;       /* 64 */
    uint32_t zset_max_listpack_entries;    /* 128 */
    uint32_t zset_max_listpack_value;      /* 64 */
};

/* Fills `config` with keel's defaults. */
void config_defaults(struct config *config);

/*
 * Applies argv[1..argc) as Redis does: an optional config file first (an
 * argument not starting with "-"), then `--keyword value...` flags. A flag's
 * arguments are the entries after it up to the next one starting with "--"
 * (so `--save ""` passes one empty argument). A keyword Redis takes as a list
 * (bind, save, client-output-buffer-limit) given exactly one non-empty argument,
 * in a file or as a flag, has it split again like a line, as Redis 7.0 does:
 * `--client-output-buffer-limit "normal 1mb 0 0"`. Also recognises `--check-plan`,
 * `--version`/`-v` and `--help`/`-h` (reported in *flags; on --version or
 * --help it returns at once, with the rest of argv unapplied).
 * Returns true on success; otherwise writes one line "<keyword>: <reason>"
 * into error (CONFIG_ERROR_SIZE_MAX bytes) and returns false. An error in the
 * file ends with " (<path>:<line>)". Does not call config_validate.
 */
struct config_flags {
    bool check_plan;
    bool version;
    bool help;
};
bool config_load(struct config *config, int argc, char **argv, struct config_flags *flags,
                 char *error);

/* Applies one line of redis.conf syntax (keyword and arguments, quotes honoured). */
bool config_apply_line(struct config *config, const char *line, char *error);

/* Parses "100", "1k", "1kb", "5mb", "2gb" (case-insensitive; k=1000, kb=1024, as Redis). */
bool config_parse_size(const char *text, uint64_t *size);

/* Cross-field validation after everything is applied (for example maxclients >= 1). */
bool config_validate(const struct config *config, char *error);

/*
 * CONFIG GET / CONFIG SET support. The keyword table is public so that
 * CONFIG GET can match glob patterns against the names.
 */
#define CONFIG_VALUE_SIZE_MAX 1100u
uint32_t config_keyword_count(void);
const char *config_keyword_name(uint32_t keyword_index);
/*
 * Formats the current value as CONFIG GET shows it (e.g. "100mb" shown as bytes "104857600").
 * Not for a keyword config_keyword_view answers.
 */
void config_keyword_format(const struct config *config, uint32_t keyword_index, char *value,
                           uint32_t value_size_max);
/*
 * CONFIG GET's value of a keyword kept by reference (requirepass: any size, NUL bytes
 * included, as Redis shows it): true with the bytes in *value, valid until the config
 * changes. False for every other keyword: format those with config_keyword_format.
 */
bool config_keyword_view(const struct config *config, uint32_t keyword_index,
                         struct slice *value);
/* Finds a keyword by name, case-insensitively, including aliases; UINT32_MAX if absent. */
uint32_t config_keyword_find(const char *name, uint32_t name_size);
/* The keyword's alias (Redis 7 lists aliases in CONFIG GET too), or NULL if it has none. */
const char *config_keyword_alias(uint32_t keyword_index);

enum config_set_status {
    CONFIG_SET_OK = 0,
    CONFIG_SET_UNKNOWN,        /* no such keyword */
    CONFIG_SET_IMMUTABLE,      /* can't set immutable config */
    CONFIG_SET_INVALID,        /* the value does not parse or is out of range */
    CONFIG_SET_ABOVE_RESERVED, /* raising a size past the reservation made at startup */
    CONFIG_SET_PROTECTED,      /* can't set protected config (dir, dbfilename, as Redis) */
};
/*
 * Sets one keyword at run time. `reserved` is the configuration the memory
 * plan was built from: sizes fixed by the reservation may not exceed it
 * (`maxmemory 0` sets the reserved maxmemory). Keywords Redis takes as a list
 * (bind, save, client-output-buffer-limit) split `value` at single spaces.
 * On failure the config is unchanged and error holds Redis's reason text
 * (what follows " - " in Redis's reply), without the keyword.
 */
enum config_set_status config_set(struct config *config, const struct config *reserved,
                                  uint32_t keyword_index, const char *value, char *error);

/*
 * The check CONFIG SET makes for every name before it parses any value, as Redis 7.0
 * does: CONFIG_SET_IMMUTABLE or CONFIG_SET_PROTECTED (error holds Redis's reason), else
 * CONFIG_SET_OK. config_set and config_set_bytes make it too.
 */
enum config_set_status config_set_allowed(uint32_t keyword_index, char *error);

/* As config_set, for a binary value (CONFIG SET: requirepass may hold NUL bytes). */
enum config_set_status config_set_bytes(struct config *config, const struct config *reserved,
                                        uint32_t keyword_index, struct slice value,
                                        char *error);

const char *config_policy_name(enum maxmemory_policy policy);

/*
 * ==== requirepass storage ====
 *
 * Applying requirepass (a file line, a flag, config_set_bytes) makes the config
 * refer to the argument's own bytes. Whoever applies it gives them lasting storage:
 * - config_load and config_apply_line copy them into a static startup buffer: at
 *   startup the password is bounded by a line (CONFIG_LINE_SIZE_MAX - 1 bytes);
 * - config_requirepass_keep puts them in the data heap: main does once the heap
 *   exists, CONFIG SET after every value was validated and before it commits (so a
 *   CONFIG SET that fails allocates nothing and keeps the old password);
 * - config_requirepass_release frees the object of a configuration that was replaced.
 * While the server runs, server.config.requirepass is NULL or a data-heap object owned
 * by server.config (Redis counts its requirepass in used_memory too). server.reserved
 * may still refer to the startup buffer, which lives as long as the process.
 */
struct heap;

/*
 * Gives `candidate`'s requirepass lasting storage before it replaces `current` (NULL at
 * startup). A value current already has keeps current's object; an empty one needs none;
 * with `adopt`, the candidate's bytes are already a heap object of at least their size
 * which the caller hands over (a big argument); otherwise they are copied into a new
 * object. Returns false when the heap has no room: nothing was allocated and `candidate`
 * is unchanged.
 */
bool config_requirepass_keep(struct config *candidate, const struct config *current,
                             struct heap *heap, bool adopt);

/* After `next` replaced `previous`: frees previous's password object unless next shares it. */
void config_requirepass_release(const struct config *previous, const struct config *next,
                                struct heap *heap);
