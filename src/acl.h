/*
 * acl.h: users and permissions, as Redis 7.0's ACL (root selector only).
 *
 * Users live in a fixed pool carved from the memory plan (acl-users-max
 * records, never grown): a record holds the name, the enabled and nopass
 * flags, up to ACL_PASSWORDS_MAX SHA-256 password hashes, the command
 * permissions as a bitmap over ACL ids, and the key and channel patterns in
 * fixed areas. The `default` user is always record 0 and cannot be deleted;
 * requirepass sets its password.
 *
 * ACL ids: ids [0, command_count) are the rows of src/commands.def in table
 * order; then come the subcommands of the container commands keel has (ACL
 * CONFIG, COMMAND, MEMORY, OBJECT, ...), whose categories, arity and key
 * positions are Redis 7.0.15's (a table in acl.c). The last bit of the
 * bitmap (ACL_ID_FUTURE) records "+@all": commands added later are allowed.
 *
 * The ACL log (ACL LOG) is a ring of acllog-max-len fixed entries from the
 * plan's acl_log pool: newest first, a denial like one of the 10 newest within
 * 60 seconds bumps that entry's count (Redis's addACLLogEntry). Objects and
 * user names longer than ACL_LOG_TEXT_SIZE_MAX are kept as their first bytes
 * (grouping still compares their full size and hash).
 *
 * Protected mode (acl_protected_mode_refuses) lives here too: it depends on
 * whether `default` has a password.
 *
 * Not built (each is refused with a clear error by ACL SETUSER): selectors
 * "(...)", read/write key patterns (%R~, %W~) and first-argument rules such as
 * "+select|0". Channel patterns are stored and shown but not enforced (keel
 * has no pub/sub yet).
 */
#pragma once

#include "base.h"
#include "reply.h"

#include <sys/socket.h>

#define ACL_USER_NAME_SIZE_MAX 128u
#define ACL_PASSWORDS_MAX 8u
#define ACL_HASH_SIZE 32u                /* SHA-256 */
#define ACL_HASH_TEXT_SIZE 64u           /* as lower-case hex */
#define ACL_KEY_AREA_SIZE 2048u          /* key patterns: 2-byte size + bytes each */
#define ACL_CHANNEL_AREA_SIZE 1024u      /* channel patterns, the same layout */
#define ACL_COMMAND_BITS 1024u           /* ACL ids, as Redis's USER_COMMAND_BITS_COUNT */
#define ACL_COMMAND_WORDS (ACL_COMMAND_BITS / 64u)
#define ACL_ID_FUTURE (ACL_COMMAND_BITS - 1u)
#define ACL_ID_NONE UINT32_MAX
#define ACL_CATEGORY_COUNT 21u
#define ACL_USER_DEFAULT 0u              /* the default user's record */
#define ACL_RULES_MAX (ACL_COMMAND_BITS + ACL_CATEGORY_COUNT + 1u)
#define ACL_ID_NAME_SIZE_MAX 80u         /* "container|subcommand" and its NUL */

STATIC_ASSERT(ACL_COMMAND_BITS % 64u == 0, "the command bitmap is whole words");
STATIC_ASSERT(ACL_KEY_AREA_SIZE <= UINT16_MAX, "area offsets fit u16");
STATIC_ASSERT(ACL_CHANNEL_AREA_SIZE <= UINT16_MAX, "area offsets fit u16");

enum acl_sanitize { ACL_SANITIZE_UNSET = 0, ACL_SANITIZE_PAYLOAD, ACL_SANITIZE_SKIP };

/* Patterns packed in an area: [size u16][bytes] [size u16][bytes] ... */
struct acl_patterns {
    uint16_t count;
    uint16_t used_size;
};

struct acl_user {
    bool in_use;
    bool enabled;              /* "on" (new users are "off") */
    bool nopass;
    bool allkeys;              /* "~*" */
    bool allchannels;          /* "&*" */
    bool allcommands;          /* "+@all" and no "-" rule since (Redis's ALLCOMMANDS flag) */
    uint8_t sanitize;          /* enum acl_sanitize: shown by ACL LIST, no effect in keel */
    uint8_t password_count;
    uint32_t name_size;
    uint32_t next_free;        /* free-record link (valid while !in_use) */
    struct acl_patterns keys;
    struct acl_patterns channels;
    char name[ACL_USER_NAME_SIZE_MAX];
    uint8_t passwords[ACL_PASSWORDS_MAX][ACL_HASH_SIZE];
    uint64_t commands[ACL_COMMAND_WORDS];
    uint8_t key_area[ACL_KEY_AREA_SIZE];
    uint8_t channel_area[ACL_CHANNEL_AREA_SIZE];
};

/* How an ACL id finds the keys among its arguments. */
enum acl_key_kind {
    ACL_KEYS_RANGE = 0,   /* first/last/step (last < 0 counts from the end) */
    ACL_KEYS_KEYNUM,      /* [store key] numkeys key... (Redis's genericGetKeys) */
    ACL_KEYS_SORT,        /* SORT: the key and the STORE target */
};

struct command;
struct client;
struct config;

struct acl_entry {
    const char *name;          /* the command, or the subcommand ("get" of config|get) */
    const char *container;     /* subcommands: the container's name; commands: NULL */
    int32_t arity;
    uint32_t categories;       /* bit c: category c of acl_category_name(c) */
    uint32_t parent;           /* subcommands: the container's id; commands: ACL_ID_NONE */
    uint32_t sub_first;        /* containers: ids [sub_first, sub_first + sub_count) */
    uint32_t sub_count;
    bool no_auth;              /* AUTH (CMD_NOAUTH): allowed whatever the rules */
    uint8_t key_kind;          /* enum acl_key_kind */
    int32_t first_key;         /* 0: no keys; ACL_KEYS_KEYNUM: where the keys start */
    int32_t last_key;          /* ACL_KEYS_RANGE only */
    int32_t key_step;          /* ACL_KEYS_RANGE only */
    int32_t numkeys_index;     /* ACL_KEYS_KEYNUM: the numkeys argument */
    int32_t store_index;       /* ACL_KEYS_KEYNUM: the destination key, or 0 */
};

struct acl_stats {
    uint64_t denied_auth;
    uint64_t denied_command;
    uint64_t denied_key;
    uint64_t denied_channel;
};

/* ==== The ACL log ==== */

#define ACL_LOG_TEXT_SIZE_MAX 256u         /* bytes kept of an object or a user name */
#define ACL_LOG_CLIENT_INFO_SIZE_MAX 1024u /* CLIENT LIST style line of the client */
#define ACL_LOG_GROUP_SCAN_MAX 10u         /* entries searched for a match (Redis: toscan) */
#define ACL_LOG_GROUP_WINDOW_MS 60000      /* ACL_LOG_GROUPING_MAX_TIME_DELTA */
#define ACL_LOG_REPLY_DEFAULT 10           /* ACL LOG without a count */

enum acl_log_reason { ACL_LOG_AUTH = 0, ACL_LOG_COMMAND, ACL_LOG_KEY, ACL_LOG_CHANNEL };
/* keel has no MULTI or scripts yet: every entry is toplevel. */
enum acl_log_context { ACL_LOG_TOPLEVEL = 0, ACL_LOG_MULTI, ACL_LOG_LUA };

/* A bounded copy of an argument: the first bytes, the full size and a hash of all of it. */
struct acl_log_text {
    uint64_t hash;
    uint32_t size;           /* the whole text's size */
    uint32_t kept_size;      /* bytes in `bytes`: MIN(size, ACL_LOG_TEXT_SIZE_MAX) */
    uint8_t bytes[ACL_LOG_TEXT_SIZE_MAX];
};

struct acl_log_entry {
    uint64_t count;          /* denials grouped into this entry */
    int64_t updated_ms;      /* the last one (age-seconds counts from it) */
    uint8_t reason;          /* enum acl_log_reason */
    uint8_t context;         /* enum acl_log_context */
    uint16_t client_info_size;
    struct acl_log_text object;   /* the command's full name, the key, or AUTH as typed */
    struct acl_log_text username;
    char client_info[ACL_LOG_CLIENT_INFO_SIZE_MAX]; /* the last denied client, CLIENT LIST style */
};

/* Newest first: position i is entries[(head + i) % capacity], i < count. */
struct acl_log {
    struct acl_log_entry *entries; /* capacity entries: the plan's acl_log pool */
    uint32_t capacity;             /* acllog-max-len at startup (CONFIG SET may only lower it) */
    uint32_t length_max;           /* acllog-max-len now: applied at the next add, as Redis */
    uint32_t head;
    uint32_t count;
};

struct acl {
    struct acl_user *users;    /* user_max records: the plan's acl_users pool */
    uint32_t *order;           /* user_count record indexes, sorted by name (bytes) */
    uint32_t user_max;
    uint32_t user_count;
    uint32_t untouched_index;  /* records from here on were never used */
    uint32_t free_head;        /* released records, linked through next_free */
    uint32_t command_count;    /* ids [0, command_count) are commands.def rows */
    uint32_t id_count;         /* commands plus subcommands */
    struct acl_stats stats;
    struct acl_log log;
    struct acl_entry entries[ACL_COMMAND_BITS];
    /* Per category: the ids that carry it, and those "+@category" sets (their
     * subcommands too, as Redis's ACLChangeSelectorPerm does). */
    uint64_t category_members[ACL_CATEGORY_COUNT][ACL_COMMAND_WORDS];
    uint64_t category_reach[ACL_CATEGORY_COUNT][ACL_COMMAND_WORDS];
};

/* Bytes per user record in the plan (the record and its place in the order). */
uint64_t acl_user_unit_size(void);

/* Builds the id table and creates `default` (on, nopass, ~* &* +@all). `memory`
 * holds user_max units of acl_user_unit_size(); records are touched on first use. */
void acl_init(struct acl *acl, void *memory, uint32_t user_max);

/* Bytes per ACL log entry in the plan (the acl_log pool: acllog-max-len entries). */
uint64_t acl_log_entry_size(void);
/* Gives the log its ring (after acl_init): `memory` holds capacity entries, untouched
 * until used. Without it the log keeps nothing (denials are still counted). */
void acl_log_init(struct acl *acl, void *memory, uint32_t capacity);

/* requirepass: a password resets default's passwords to it; size 0 makes it nopass. */
void acl_set_default_password(struct acl *acl, const uint8_t *password, uint32_t size);
/* CONFIG SET hook: applies requirepass to `default` when it changed (as Redis does),
 * and acllog-max-len to the log. */
void acl_config_changed(struct acl *acl, const struct config *before,
                        const struct config *after);

/* ==== Users ==== */

struct acl_user *acl_user_find(const struct acl *acl, struct slice name);
uint32_t acl_user_index(const struct acl *acl, const struct acl_user *user);
/* The i-th user in name order (i < user_count). */
struct acl_user *acl_user_at(const struct acl *acl, uint32_t order_index);

enum acl_setuser_status {
    ACL_SETUSER_OK = 0,
    ACL_SETUSER_BAD_NAME,      /* spaces or NUL in the name */
    ACL_SETUSER_LONG_NAME,     /* longer than ACL_USER_NAME_SIZE_MAX */
    ACL_SETUSER_UNMATCHED,     /* a "(" rule never closed: rule_index says which */
    ACL_SETUSER_BAD_RULE,      /* rule_index and error say which and why */
    ACL_SETUSER_FULL,          /* no free record for a new user */
};

struct acl_setuser_result {
    uint32_t rule_index;       /* ACL_SETUSER_BAD_RULE: the offending rule */
    const char *error;         /* its reason (Redis's text where Redis has one) */
};

/* ACL SETUSER: creates the user if needed and applies every rule, or nothing. */
enum acl_setuser_status acl_setuser(struct acl *acl, struct slice name, const struct slice *rules,
                                    uint32_t rule_count, struct acl_setuser_result *result);
/* Applies one rule to a user record (a staging copy): NULL, or the reason it failed. */
const char *acl_user_apply(const struct acl *acl, struct acl_user *user, struct slice rule);
/* Deletes a user (not `default`); returns whether it existed. Clients
 * authenticated as it are closed (the current one after its reply). */
bool acl_deluser(struct acl *acl, struct slice name, struct client *current);

/* ==== Connections ==== */

/* A new connection is `default`, authenticated iff default is on and nopass.
 * Idempotent per connection (keyed by client->id). */
void acl_client_begin(struct acl *acl, struct client *client);
struct acl_user *acl_client_user(const struct acl *acl, const struct client *client);
/* AUTH: true and the client is now `name`; false leaves the client as it was. */
bool acl_authenticate(struct acl *acl, struct client *client, struct slice name,
                      struct slice password);
/* Whether the password matches (in time independent of which part failed). */
bool acl_check_credentials(const struct acl *acl, struct slice name, struct slice password);
bool acl_default_nopass(const struct acl *acl);

/*
 * Protected mode (Redis 7.0's clientAcceptHandler): with protected-mode yes and
 * no password for `default`, a peer that is not loopback is refused. The bind
 * list plays no part (Redis 6 skipped the check when bind was set; 7.0 does not).
 */
bool acl_protected_mode_refuses(const struct acl *acl, const struct config *config,
                                const struct sockaddr_storage *peer);
/* 127.0.0.0/8 or ::1 (an IPv4-mapped ::ffff:127.x is not, as in Redis). */
bool acl_address_loopback(const struct sockaddr_storage *address);

/* ==== Checks ==== */

/* The id that argv runs: the command's, or its subcommand's. *known (if not
 * NULL) is false for a container with an unknown subcommand (dispatch answers
 * those); the container's id is returned then. */
uint32_t acl_resolve(const struct acl *acl, const struct command *command,
                     const struct slice *argv, uint32_t argc, bool *known);
bool acl_arity_ok(const struct acl *acl, uint32_t id, uint32_t argc);
/* "get" or "config|get". */
void acl_id_name(const struct acl *acl, uint32_t id, char *buffer, uint32_t size);

enum acl_verdict { ACL_ALLOWED = 0, ACL_DENIED_COMMAND, ACL_DENIED_KEY };
/* May `user` run id with these arguments? On ACL_DENIED_KEY, *key_index is the key. */
enum acl_verdict acl_check(const struct acl *acl, const struct acl_user *user, uint32_t id,
                           const struct slice *argv, uint32_t argc, uint32_t *key_index);
bool acl_key_allowed(const struct acl_user *user, struct slice key);
bool acl_command_bit(const struct acl_user *user, uint32_t id);

/* ==== The ACL log ==== */

/*
 * Counts a denial and records it in the log (Redis's addACLLogEntry): the
 * entry is grouped with a like one (same reason, context, object and user,
 * within ACL_LOG_GROUP_WINDOW_MS) among the newest ACL_LOG_GROUP_SCAN_MAX,
 * else added at the head and the log trimmed to acllog-max-len.
 */
void acl_log_add(struct acl *acl, const struct client *client, enum acl_log_reason reason,
                 struct slice object, struct slice username);
/* A NOPERM from the ACL check: object is the command's full name, or the denied key. */
void acl_log_denied(struct acl *acl, const struct client *client, enum acl_verdict verdict,
                    uint32_t id, uint32_t key_index);
/* ACL LOG RESET. */
void acl_log_reset(struct acl *acl);
/* The i-th newest entry (i < acl->log.count). */
const struct acl_log_entry *acl_log_at(const struct acl *acl, uint32_t position);
const char *acl_log_reason_name(enum acl_log_reason reason);
const char *acl_log_context_name(enum acl_log_context context);

/* ==== Categories ==== */

const char *acl_category_name(uint32_t category);
/* ACL_CATEGORY_COUNT if there is no such category (case-insensitive). */
uint32_t acl_category_find(struct slice name);

/* ==== Descriptions (ACL LIST, ACL GETUSER) ==== */

/* A sink for text: counts every byte; writes to the reply if set, else to the buffer. */
struct acl_text {
    struct reply *reply;
    char *buffer;
    uint32_t capacity;
    uint64_t size;
};

/* The command rules that rebuild a user's bitmap, as Redis 7.0 derives them. */
struct acl_rules {
    uint32_t count;
    uint16_t rules[ACL_RULES_MAX]; /* ACL_RULE_* bits and an index */
};
#define ACL_RULE_ALLOW 0x8000u
#define ACL_RULE_CATEGORY 0x4000u
#define ACL_RULE_ALL 0x2000u
#define ACL_RULE_INDEX_MASK 0x1fffu

void acl_describe_commands(const struct acl *acl, const struct acl_user *user,
                           struct acl_rules *rules);
void acl_text_put(struct acl_text *text, const void *bytes, uint64_t size);
void acl_text_rules(const struct acl *acl, const struct acl_rules *rules, struct acl_text *text);
void acl_text_keys(const struct acl_user *user, struct acl_text *text);     /* "~a ~b" */
void acl_text_channels(const struct acl_user *user, struct acl_text *text); /* "&a &b" */
/* ACL LIST's line: "user <name> on nopass ~* &* +@all" (rules: the user's, described). */
void acl_text_user(const struct acl *acl, const struct acl_user *user,
                   const struct acl_rules *rules, struct acl_text *text);
/* A password hash as lower-case hex (ACL_HASH_TEXT_SIZE characters, no NUL). */
void acl_hash_text(const uint8_t *hash, char *text);
