/*
 * acl.c: users, rules and permission checks (see acl.h).
 *
 * Rules follow Redis 7.0.15's ACLSetUser/ACLSetSelector: the same rule
 * grammar, the same error reasons and the same way of describing a command
 * bitmap back as rules (ACLDescribeSelectorCommandRules: start from +@all or
 * -@all, add the best-fitting categories, then single commands). Redis walks
 * its command dictionary in hash order; keel walks commands.def order, so the
 * single-command rules of ACL LIST come out in table order.
 *
 * Keys are found as Redis 7.0 finds them for ACL checks: first/last/step for
 * most commands, genericGetKeys (atoi'd numkeys, no keys when it is out of
 * range) for the numkeys commands, and sortGetKeys for SORT's STORE target.
 * Commands whose keys follow a keyword (XREAD STREAMS, GEORADIUS STORE,
 * MIGRATE KEYS) need a rule here when they join commands.def.
 *
 * The ACL log is a ring over the plan's acl_log pool (see acl.h); an entry
 * keeps a bounded copy of its object and user name plus the full size and an
 * XXH3 hash, so grouping compares them exactly. Its client-info line is
 * CLIENT LIST's (src/clientinfo.c: one formatter for both).
 *
 * Passwords are SHA-256 hashes (libnettle: stack-only, no allocation).
 * Credentials are checked in time independent of whether the user exists, is
 * disabled or has a different password: the password is always hashed and
 * compared with every password slot of a user record.
 *
 * Limits: acl-users-max users, ACL_USER_NAME_SIZE_MAX bytes per name,
 * ACL_PASSWORDS_MAX passwords, ACL_KEY_AREA_SIZE / ACL_CHANNEL_AREA_SIZE
 * bytes of patterns per user; each answers a clear error when reached.
 */
#include "acl.h"

#include "clientinfo.h"
#include "commands.h"
#include "config.h"
#include "glob.h"
#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nettle/sha2.h>
#include <xxhash.h>

STATIC_ASSERT(SHA256_DIGEST_SIZE == ACL_HASH_SIZE, "password hashes are SHA-256");
STATIC_ASSERT(ACL_RULES_MAX <= ACL_RULE_INDEX_MASK, "rule indexes fit the rule mask");
STATIC_ASSERT(sizeof(struct acl_user) % 8 == 0, "the order array after the records is aligned");
STATIC_ASSERT(ACL_LOG_TEXT_SIZE_MAX >= ACL_USER_NAME_SIZE_MAX, "log entries keep whole names");
STATIC_ASSERT(ACL_LOG_CLIENT_INFO_SIZE_MAX <= UINT16_MAX, "client_info_size fits u16");
STATIC_ASSERT(CONFIG_ACLLOG_MAX_LEN_MAX <= UINT32_MAX / 2, "ring positions fit u32");

/* ==== Reasons (Redis 7.0.15's ACLSetUserStringError texts, then keel's) ==== */

static const char REASON_UNKNOWN[] = "Unknown command or category name in ACL";
static const char REASON_SYNTAX[] = "Syntax error";
static const char REASON_KEYS_AFTER_ALL[] =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns";
static const char REASON_CHANNELS_AFTER_ALL[] =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels";
static const char REASON_NO_SUCH_PASSWORD[] =
    "The password you are trying to remove from the user does not exist";
static const char REASON_BAD_HASH[] =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";
static const char REASON_SUBCOMMAND_FIRST_ARG[] =
    "Allowing first-arg of a subcommand is not supported";
static const char REASON_FIRST_ARG[] =
    "Allowing first-arg of an otherwise blocked command is not supported by keel";
static const char REASON_SELECTORS[] = "Selectors are not supported by keel";
static const char REASON_READ_WRITE_KEYS[] =
    "Read/write key permissions (%R~, %W~, %RW~) are not supported by keel";
static const char REASON_PASSWORDS_FULL[] = "A user can have at most 8 passwords in keel";
static const char REASON_KEYS_FULL[] =
    "No room for more key patterns (keel keeps up to 2048 bytes of them per user)";
static const char REASON_CHANNELS_FULL[] =
    "No room for more channel patterns (keel keeps up to 1024 bytes of them per user)";

STATIC_ASSERT(ACL_PASSWORDS_MAX == 8, "REASON_PASSWORDS_FULL names the limit");
STATIC_ASSERT(ACL_KEY_AREA_SIZE == 2048, "REASON_KEYS_FULL names the limit");
STATIC_ASSERT(ACL_CHANNEL_AREA_SIZE == 1024, "REASON_CHANNELS_FULL names the limit");

/* ==== Tables ==== */

/* Redis's ACLCommandCategories, in its order (ACL CAT lists them so). */
static const char *const category_names[ACL_CATEGORY_COUNT] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
    "connection", "transaction", "scripting",
};

struct subcommand_row {
    const char *container;
    const char *name;
    int32_t arity;
    int32_t first_key;
    int32_t last_key;
    int32_t key_step;
    const char *categories;
};

/*
 * Every subcommand of Redis 7.0.15 (COMMAND INFO), grouped by container. Only
 * the containers present in commands.def get ids; the others wait here so a
 * container added later is split into its subcommands at once.
 */
static const struct subcommand_row subcommand_rows[] = {
    { "acl", "cat", -2, 0, 0, 0, "@slow" },
    { "acl", "deluser", -3, 0, 0, 0, "@admin @slow @dangerous" },
    { "acl", "dryrun", -4, 0, 0, 0, "@admin @slow @dangerous" },
    { "acl", "genpass", -2, 0, 0, 0, "@slow" },
    { "acl", "getuser", 3, 0, 0, 0, "@admin @slow @dangerous" },
    { "acl", "help", 2, 0, 0, 0, "@slow" },
    { "acl", "list", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "acl", "load", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "acl", "log", -2, 0, 0, 0, "@admin @slow @dangerous" },
    { "acl", "save", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "acl", "setuser", -3, 0, 0, 0, "@admin @slow @dangerous" },
    { "acl", "users", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "acl", "whoami", 2, 0, 0, 0, "@slow" },
    { "client", "caching", 3, 0, 0, 0, "@slow @connection" },
    { "client", "getname", 2, 0, 0, 0, "@slow @connection" },
    { "client", "getredir", 2, 0, 0, 0, "@slow @connection" },
    { "client", "help", 2, 0, 0, 0, "@slow @connection" },
    { "client", "id", 2, 0, 0, 0, "@slow @connection" },
    { "client", "info", 2, 0, 0, 0, "@slow @connection" },
    { "client", "kill", -3, 0, 0, 0, "@admin @slow @dangerous @connection" },
    { "client", "list", -2, 0, 0, 0, "@admin @slow @dangerous @connection" },
    { "client", "no-evict", 3, 0, 0, 0, "@admin @slow @dangerous @connection" },
    { "client", "pause", -3, 0, 0, 0, "@admin @slow @dangerous @connection" },
    { "client", "reply", 3, 0, 0, 0, "@slow @connection" },
    { "client", "setname", 3, 0, 0, 0, "@slow @connection" },
    { "client", "tracking", -3, 0, 0, 0, "@slow @connection" },
    { "client", "trackinginfo", 2, 0, 0, 0, "@slow @connection" },
    { "client", "unblock", -3, 0, 0, 0, "@admin @slow @dangerous @connection" },
    { "client", "unpause", 2, 0, 0, 0, "@admin @slow @dangerous @connection" },
    { "cluster", "addslots", -3, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "addslotsrange", -4, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "bumpepoch", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "count-failure-reports", 3, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "countkeysinslot", 3, 0, 0, 0, "@slow" },
    { "cluster", "delslots", -3, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "delslotsrange", -4, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "failover", -2, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "flushslots", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "forget", 3, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "getkeysinslot", 4, 0, 0, 0, "@slow" },
    { "cluster", "help", 2, 0, 0, 0, "@slow" },
    { "cluster", "info", 2, 0, 0, 0, "@slow" },
    { "cluster", "keyslot", 3, 0, 0, 0, "@slow" },
    { "cluster", "links", 2, 0, 0, 0, "@slow" },
    { "cluster", "meet", -4, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "myid", 2, 0, 0, 0, "@slow" },
    { "cluster", "nodes", 2, 0, 0, 0, "@slow" },
    { "cluster", "replicas", 3, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "replicate", 3, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "reset", -2, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "saveconfig", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "set-config-epoch", 3, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "setslot", -4, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "shards", 2, 0, 0, 0, "@slow" },
    { "cluster", "slaves", 3, 0, 0, 0, "@admin @slow @dangerous" },
    { "cluster", "slots", 2, 0, 0, 0, "@slow" },
    { "command", "count", 2, 0, 0, 0, "@slow @connection" },
    { "command", "docs", -2, 0, 0, 0, "@slow @connection" },
    { "command", "getkeys", -4, 0, 0, 0, "@slow @connection" },
    { "command", "getkeysandflags", -4, 0, 0, 0, "@slow @connection" },
    { "command", "help", 2, 0, 0, 0, "@slow @connection" },
    { "command", "info", -2, 0, 0, 0, "@slow @connection" },
    { "command", "list", -2, 0, 0, 0, "@slow @connection" },
    { "config", "get", -3, 0, 0, 0, "@admin @slow @dangerous" },
    { "config", "help", 2, 0, 0, 0, "@slow" },
    { "config", "resetstat", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "config", "rewrite", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "config", "set", -4, 0, 0, 0, "@admin @slow @dangerous" },
    { "function", "delete", 3, 0, 0, 0, "@write @slow @scripting" },
    { "function", "dump", 2, 0, 0, 0, "@slow @scripting" },
    { "function", "flush", -2, 0, 0, 0, "@write @slow @scripting" },
    { "function", "help", 2, 0, 0, 0, "@slow @scripting" },
    { "function", "kill", 2, 0, 0, 0, "@slow @scripting" },
    { "function", "list", -2, 0, 0, 0, "@slow @scripting" },
    { "function", "load", -3, 0, 0, 0, "@write @slow @scripting" },
    { "function", "restore", -3, 0, 0, 0, "@write @slow @scripting" },
    { "function", "stats", 2, 0, 0, 0, "@slow @scripting" },
    { "latency", "doctor", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "latency", "graph", 3, 0, 0, 0, "@admin @slow @dangerous" },
    { "latency", "help", 2, 0, 0, 0, "@slow" },
    { "latency", "histogram", -2, 0, 0, 0, "@admin @slow @dangerous" },
    { "latency", "history", 3, 0, 0, 0, "@admin @slow @dangerous" },
    { "latency", "latest", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "latency", "reset", -2, 0, 0, 0, "@admin @slow @dangerous" },
    { "memory", "doctor", 2, 0, 0, 0, "@slow" },
    { "memory", "help", 2, 0, 0, 0, "@slow" },
    { "memory", "malloc-stats", 2, 0, 0, 0, "@slow" },
    { "memory", "purge", 2, 0, 0, 0, "@slow" },
    { "memory", "stats", 2, 0, 0, 0, "@slow" },
    { "memory", "usage", -3, 2, 2, 1, "@read @slow" },
    { "module", "help", 2, 0, 0, 0, "@slow" },
    { "module", "list", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "module", "load", -3, 0, 0, 0, "@admin @slow @dangerous" },
    { "module", "loadex", -3, 0, 0, 0, "@admin @slow @dangerous" },
    { "module", "unload", 3, 0, 0, 0, "@admin @slow @dangerous" },
    { "object", "encoding", 3, 2, 2, 1, "@keyspace @read @slow" },
    { "object", "freq", 3, 2, 2, 1, "@keyspace @read @slow" },
    { "object", "help", 2, 0, 0, 0, "@keyspace @slow" },
    { "object", "idletime", 3, 2, 2, 1, "@keyspace @read @slow" },
    { "object", "refcount", 3, 2, 2, 1, "@keyspace @read @slow" },
    { "pubsub", "channels", -2, 0, 0, 0, "@pubsub @slow" },
    { "pubsub", "help", 2, 0, 0, 0, "@slow" },
    { "pubsub", "numpat", 2, 0, 0, 0, "@pubsub @slow" },
    { "pubsub", "numsub", -2, 0, 0, 0, "@pubsub @slow" },
    { "pubsub", "shardchannels", -2, 0, 0, 0, "@pubsub @slow" },
    { "pubsub", "shardnumsub", -2, 0, 0, 0, "@pubsub @slow" },
    { "script", "debug", 3, 0, 0, 0, "@slow @scripting" },
    { "script", "exists", -3, 0, 0, 0, "@slow @scripting" },
    { "script", "flush", -2, 0, 0, 0, "@slow @scripting" },
    { "script", "help", 2, 0, 0, 0, "@slow @scripting" },
    { "script", "kill", 2, 0, 0, 0, "@slow @scripting" },
    { "script", "load", 3, 0, 0, 0, "@slow @scripting" },
    { "slowlog", "get", -2, 0, 0, 0, "@admin @slow @dangerous" },
    { "slowlog", "help", 2, 0, 0, 0, "@slow" },
    { "slowlog", "len", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "slowlog", "reset", 2, 0, 0, 0, "@admin @slow @dangerous" },
    { "xgroup", "create", -5, 2, 2, 1, "@write @stream @slow" },
    { "xgroup", "createconsumer", 5, 2, 2, 1, "@write @stream @slow" },
    { "xgroup", "delconsumer", 5, 2, 2, 1, "@write @stream @slow" },
    { "xgroup", "destroy", 4, 2, 2, 1, "@write @stream @slow" },
    { "xgroup", "help", 2, 0, 0, 0, "@stream @slow" },
    { "xgroup", "setid", -5, 2, 2, 1, "@write @stream @slow" },
    { "xinfo", "consumers", 4, 2, 2, 1, "@read @stream @slow" },
    { "xinfo", "groups", 3, 2, 2, 1, "@read @stream @slow" },
    { "xinfo", "help", 2, 0, 0, 0, "@stream @slow" },
    { "xinfo", "stream", -3, 2, 2, 1, "@read @stream @slow" },
};

/* Commands whose keys follow a numkeys argument: genericGetKeys(store, count, first). */
struct keynum_row {
    const char *name;
    int32_t store_index;
    int32_t count_index;
    int32_t first_index;
};

static const struct keynum_row keynum_rows[] = {
    { "blmpop", 0, 2, 3 },     { "bzmpop", 0, 2, 3 },      { "eval", 0, 2, 3 },
    { "eval_ro", 0, 2, 3 },    { "evalsha", 0, 2, 3 },     { "evalsha_ro", 0, 2, 3 },
    { "fcall", 0, 2, 3 },      { "fcall_ro", 0, 2, 3 },    { "lmpop", 0, 1, 2 },
    { "sintercard", 0, 1, 2 }, { "zdiff", 0, 1, 2 },       { "zdiffstore", 1, 2, 3 },
    { "zinter", 0, 1, 2 },     { "zintercard", 0, 1, 2 },  { "zinterstore", 1, 2, 3 },
    { "zmpop", 0, 1, 2 },      { "zunion", 0, 1, 2 },      { "zunionstore", 1, 2, 3 },
};

/* ==== Bitmaps ==== */

static bool bit_get(const uint64_t *words, uint32_t id) {
    ASSERT(id < ACL_COMMAND_BITS);
    return (words[id / 64] >> (id % 64)) & 1u;
}

static void bit_set(uint64_t *words, uint32_t id, bool value) {
    ASSERT(id < ACL_COMMAND_BITS);
    uint64_t mask = (uint64_t)1 << (id % 64);
    if (value) {
        words[id / 64] |= mask;
    } else {
        words[id / 64] &= ~mask;
    }
}

static uint32_t bits_count_and(const uint64_t *a, const uint64_t *b) {
    uint32_t count = 0;
    for (uint32_t word = 0; word < ACL_COMMAND_WORDS; word++) {
        count += (uint32_t)__builtin_popcountll(a[word] & b[word]);
    }
    ASSERT(count <= ACL_COMMAND_BITS);
    return count;
}

static bool bits_empty(const uint64_t *words) {
    uint64_t any = 0;
    for (uint32_t word = 0; word < ACL_COMMAND_WORDS; word++) {
        any |= words[word];
    }
    return any == 0;
}

/* ==== Categories ==== */

const char *acl_category_name(uint32_t category) {
    ASSERT(category < ACL_CATEGORY_COUNT);
    return category_names[category];
}

uint32_t acl_category_find(struct slice name) {
    for (uint32_t category = 0; category < ACL_CATEGORY_COUNT; category++) {
        if (slice_equal_nocase(name, category_names[category])) {
            return category;
        }
    }
    return ACL_CATEGORY_COUNT;
}

/* "@read @string @fast" -> a category mask (the table's text is trusted). */
static uint32_t categories_parse(const char *text) {
    ASSERT(text != NULL);
    uint32_t mask = 0;
    uint32_t length = (uint32_t)strlen(text);
    uint32_t start = 0;
    for (uint32_t index = 0; index <= length; index++) {
        if (index < length && text[index] != ' ') {
            continue;
        }
        if (index > start) {
            ASSERT(text[start] == '@');
            struct slice name = { (const uint8_t *)text + start + 1, index - start - 1 };
            uint32_t category = acl_category_find(name);
            ASSERT(category < ACL_CATEGORY_COUNT);
            mask |= 1u << category;
        }
        start = index + 1;
    }
    return mask;
}

/* ==== The id table ==== */

static void entries_add_command(struct acl *acl, uint32_t id) {
    const struct command *command = commands_get(id);
    struct acl_entry *entry = &acl->entries[id];
    *entry = (struct acl_entry){
        .name = command->name, .container = NULL, .arity = command->arity,
        .categories = categories_parse(command->categories), .parent = ACL_ID_NONE,
        .no_auth = (command->flags & CMD_NOAUTH) != 0, .key_kind = ACL_KEYS_RANGE,
        .first_key = command->first_key, .last_key = command->last_key,
        .key_step = command->key_step,
    };
    for (uint32_t row = 0; row < ARRAY_COUNT(keynum_rows); row++) {
        if (strcmp(keynum_rows[row].name, command->name) == 0) {
            entry->key_kind = ACL_KEYS_KEYNUM;
            entry->first_key = keynum_rows[row].first_index;
            entry->numkeys_index = keynum_rows[row].count_index;
            entry->store_index = keynum_rows[row].store_index;
        }
    }
    if (strcmp(command->name, "sort") == 0) {
        entry->key_kind = ACL_KEYS_SORT;
    }
    ASSERT(entry->key_step >= 0);
}

static void entries_add_subcommands(struct acl *acl) {
    uint32_t row = 0;
    while (row < ARRAY_COUNT(subcommand_rows)) {
        const char *container = subcommand_rows[row].container;
        uint32_t end = row;
        while (end < ARRAY_COUNT(subcommand_rows) &&
               strcmp(subcommand_rows[end].container, container) == 0) {
            end++;
        }
        const struct command *command = commands_lookup(slice_from_cstr(container));
        if (command != NULL) {
            uint32_t parent = (uint32_t)(command - commands_get(0));
            acl->entries[parent].sub_first = acl->id_count;
            acl->entries[parent].sub_count = end - row;
            for (uint32_t index = row; index < end; index++) {
                const struct subcommand_row *sub = &subcommand_rows[index];
                ASSERT(acl->id_count < ACL_ID_FUTURE);
                acl->entries[acl->id_count++] = (struct acl_entry){
                    .name = sub->name, .container = container, .arity = sub->arity,
                    .categories = categories_parse(sub->categories), .parent = parent,
                    .key_kind = ACL_KEYS_RANGE, .first_key = sub->first_key,
                    .last_key = sub->last_key, .key_step = sub->key_step,
                };
            }
        }
        ASSERT(end > row);
        row = end;
    }
}

/* Per category: its members, and what "+@category" reaches (members' subcommands too). */
static void entries_index_categories(struct acl *acl) {
    memset(acl->category_members, 0, sizeof(acl->category_members));
    memset(acl->category_reach, 0, sizeof(acl->category_reach));
    for (uint32_t id = 0; id < acl->id_count; id++) {
        const struct acl_entry *entry = &acl->entries[id];
        for (uint32_t category = 0; category < ACL_CATEGORY_COUNT; category++) {
            if ((entry->categories & (1u << category)) == 0) {
                continue;
            }
            bit_set(acl->category_members[category], id, true);
            bit_set(acl->category_reach[category], id, true);
            for (uint32_t sub = 0; sub < entry->sub_count; sub++) {
                bit_set(acl->category_reach[category], entry->sub_first + sub, true);
            }
        }
    }
}

uint64_t acl_user_unit_size(void) {
    return sizeof(struct acl_user) + sizeof(uint32_t);
}

static uint32_t user_acquire(struct acl *acl);
static void user_order_insert(struct acl *acl, uint32_t user_index);
static void user_set_name(struct acl_user *user, struct slice name);

void acl_init(struct acl *acl, void *memory, uint32_t user_max) {
    ASSERT(memory != NULL);
    ASSERT(user_max >= 1);
    memset(acl, 0, sizeof(*acl));
    acl->users = memory;
    acl->order = (uint32_t *)(acl->users + user_max);
    acl->user_max = user_max;
    acl->free_head = ACL_ID_NONE;
    acl->command_count = commands_count();
    acl->id_count = acl->command_count;
    ASSERT(acl->command_count < ACL_ID_FUTURE);
    for (uint32_t id = 0; id < acl->command_count; id++) {
        entries_add_command(acl, id);
    }
    entries_add_subcommands(acl);
    entries_index_categories(acl);
    uint32_t index = user_acquire(acl);
    ASSERT(index == ACL_USER_DEFAULT);
    struct acl_user *user = &acl->users[index];
    user_set_name(user, slice_from_cstr("default"));
    static const char *const rules[] = { "+@all", "~*", "&*", "on", "nopass" };
    for (uint32_t rule = 0; rule < ARRAY_COUNT(rules); rule++) {
        const char *error = acl_user_apply(acl, user, slice_from_cstr(rules[rule]));
        ASSERT(error == NULL);
    }
    user_order_insert(acl, index);
    ASSERT(acl->user_count == 1);
}

/* ==== User records ==== */

/* A free record, zeroed and marked in use, or ACL_ID_NONE when the pool is full. */
static uint32_t user_acquire(struct acl *acl) {
    uint32_t index;
    if (acl->free_head != ACL_ID_NONE) {
        index = acl->free_head;
        acl->free_head = acl->users[index].next_free;
    } else if (acl->untouched_index < acl->user_max) {
        index = acl->untouched_index++;
    } else {
        return ACL_ID_NONE;
    }
    struct acl_user *user = &acl->users[index];
    memset(user, 0, sizeof(*user));
    user->in_use = true;
    user->next_free = ACL_ID_NONE;
    ASSERT(index < acl->user_max);
    return index;
}

static void user_release(struct acl *acl, uint32_t index) {
    ASSERT(index != ACL_USER_DEFAULT);
    ASSERT(acl->users[index].in_use);
    acl->users[index].in_use = false;
    acl->users[index].next_free = acl->free_head;
    acl->free_head = index;
}

static void user_set_name(struct acl_user *user, struct slice name) {
    ASSERT(name.size <= ACL_USER_NAME_SIZE_MAX);
    memcpy(user->name, name.ptr, name.size);
    user->name_size = name.size;
}

static struct slice user_name(const struct acl_user *user) {
    ASSERT(user->name_size <= ACL_USER_NAME_SIZE_MAX);
    return (struct slice){ (const uint8_t *)user->name, user->name_size };
}

/* Byte order, a prefix first (as Redis's rax of users). */
static int name_compare(struct slice a, struct slice b) {
    uint32_t common = MIN(a.size, b.size);
    int order = common == 0 ? 0 : memcmp(a.ptr, b.ptr, common);
    if (order != 0) {
        return order;
    }
    return a.size < b.size ? -1 : (a.size > b.size ? 1 : 0);
}

/* The first place in the order whose name is >= name. */
static uint32_t user_order_search(const struct acl *acl, struct slice name) {
    uint32_t low = 0;
    uint32_t high = acl->user_count;
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        if (name_compare(user_name(&acl->users[acl->order[middle]]), name) < 0) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    ASSERT(low <= acl->user_count);
    return low;
}

static void user_order_insert(struct acl *acl, uint32_t user_index) {
    ASSERT(acl->user_count < acl->user_max);
    uint32_t place = user_order_search(acl, user_name(&acl->users[user_index]));
    memmove(&acl->order[place + 1], &acl->order[place],
            (acl->user_count - place) * sizeof(acl->order[0]));
    acl->order[place] = user_index;
    acl->user_count++;
}

static void user_order_remove(struct acl *acl, uint32_t user_index) {
    uint32_t place = user_order_search(acl, user_name(&acl->users[user_index]));
    ASSERT(place < acl->user_count);
    ASSERT(acl->order[place] == user_index);
    memmove(&acl->order[place], &acl->order[place + 1],
            (acl->user_count - place - 1) * sizeof(acl->order[0]));
    acl->user_count--;
}

struct acl_user *acl_user_find(const struct acl *acl, struct slice name) {
    if (name.size > ACL_USER_NAME_SIZE_MAX) {
        return NULL;
    }
    uint32_t place = user_order_search(acl, name);
    if (place == acl->user_count) {
        return NULL;
    }
    struct acl_user *user = &acl->users[acl->order[place]];
    ASSERT(user->in_use);
    return slice_equal(user_name(user), name) ? user : NULL;
}

uint32_t acl_user_index(const struct acl *acl, const struct acl_user *user) {
    ASSERT(user >= acl->users);
    ASSERT(user < acl->users + acl->user_max);
    return (uint32_t)(user - acl->users);
}

struct acl_user *acl_user_at(const struct acl *acl, uint32_t order_index) {
    ASSERT(order_index < acl->user_count);
    struct acl_user *user = &acl->users[acl->order[order_index]];
    ASSERT(user->in_use);
    return user;
}

/* ==== Passwords ==== */

static void password_hash(struct slice password, uint8_t *hash) {
    ASSERT(hash != NULL);
    struct sha256_ctx context;
    sha256_init(&context);
    sha256_update(&context, password.size, password.size == 0 ? hash : password.ptr);
    sha256_digest(&context, SHA256_DIGEST_SIZE, hash);
}

/* Constant time: every byte is compared whatever the first difference. */
static bool hash_equal(const uint8_t *a, const uint8_t *b) {
    uint8_t difference = 0;
    for (uint32_t index = 0; index < ACL_HASH_SIZE; index++) {
        difference |= (uint8_t)(a[index] ^ b[index]);
    }
    return difference == 0;
}

void acl_hash_text(const uint8_t *hash, char *text) {
    static const char digits[] = "0123456789abcdef";
    for (uint32_t index = 0; index < ACL_HASH_SIZE; index++) {
        text[index * 2] = digits[hash[index] >> 4];
        text[index * 2 + 1] = digits[hash[index] & 0xf];
    }
    ASSERT(ACL_HASH_TEXT_SIZE == ACL_HASH_SIZE * 2);
}

/* "#<hash>": exactly 64 lower-case hex digits (ACLCheckPasswordHash). */
static bool hash_parse(struct slice text, uint8_t *hash) {
    if (text.size != ACL_HASH_TEXT_SIZE) {
        return false;
    }
    for (uint32_t index = 0; index < ACL_HASH_TEXT_SIZE; index++) {
        uint8_t c = text.ptr[index];
        uint8_t value;
        if (c >= '0' && c <= '9') {
            value = (uint8_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            value = (uint8_t)(c - 'a' + 10);
        } else {
            return false;
        }
        hash[index / 2] = (uint8_t)(index % 2 == 0 ? value << 4 : hash[index / 2] | value);
    }
    return true;
}

static uint32_t password_find(const struct acl_user *user, const uint8_t *hash) {
    for (uint32_t index = 0; index < user->password_count; index++) {
        if (memcmp(user->passwords[index], hash, ACL_HASH_SIZE) == 0) {
            return index;
        }
    }
    return ACL_ID_NONE;
}

/* ">password" / "#hash": added once; clears nopass. */
static const char *password_add(struct acl_user *user, const uint8_t *hash) {
    if (password_find(user, hash) == ACL_ID_NONE) {
        if (user->password_count == ACL_PASSWORDS_MAX) {
            return REASON_PASSWORDS_FULL;
        }
        memcpy(user->passwords[user->password_count++], hash, ACL_HASH_SIZE);
    }
    user->nopass = false;
    ASSERT(user->password_count <= ACL_PASSWORDS_MAX);
    return NULL;
}

/* "<password" / "!hash": the order of the others is kept (ACL LIST shows it). */
static const char *password_remove(struct acl_user *user, const uint8_t *hash) {
    uint32_t index = password_find(user, hash);
    if (index == ACL_ID_NONE) {
        return REASON_NO_SUCH_PASSWORD;
    }
    ASSERT(user->password_count > 0);
    memmove(user->passwords[index], user->passwords[index + 1],
            (user->password_count - index - 1) * ACL_HASH_SIZE);
    user->password_count--;
    return NULL;
}

static const char *password_rule(struct acl_user *user, struct slice rule) {
    ASSERT(rule.size > 0);
    struct slice text = { rule.ptr + 1, rule.size - 1 };
    uint8_t hash[ACL_HASH_SIZE];
    uint8_t kind = rule.ptr[0];
    if (kind == '>' || kind == '<') {
        password_hash(text, hash);
    } else if (!hash_parse(text, hash)) {
        return REASON_BAD_HASH;
    }
    return (kind == '>' || kind == '#') ? password_add(user, hash) : password_remove(user, hash);
}

/* ==== Patterns ==== */

/* Redis's ACLStringHasSpaces: isspace() or NUL anywhere. */
static bool has_spaces(struct slice text) {
    for (uint32_t index = 0; index < text.size; index++) {
        uint8_t c = text.ptr[index];
        if (c == 0 || c == ' ' || (c >= '\t' && c <= '\r')) {
            return true;
        }
    }
    return false;
}

/* Walks the patterns of an area: *offset is where the next one starts. */
static struct slice pattern_next(const uint8_t *area, uint32_t *offset) {
    uint16_t size;
    memcpy(&size, area + *offset, sizeof(size));
    struct slice pattern = { area + *offset + sizeof(size), size };
    *offset += (uint32_t)sizeof(size) + size;
    ASSERT(*offset <= UINT16_MAX);
    return pattern;
}

static bool pattern_contains(const struct acl_patterns *patterns, const uint8_t *area,
                             struct slice pattern) {
    uint32_t offset = 0;
    for (uint32_t index = 0; index < patterns->count; index++) {
        if (slice_equal(pattern_next(area, &offset), pattern)) {
            return true;
        }
    }
    ASSERT(offset == patterns->used_size);
    return false;
}

/* Adds a pattern once; false when the area has no room for it. */
static bool pattern_add(struct acl_patterns *patterns, uint8_t *area, uint32_t area_size,
                        struct slice pattern) {
    if (pattern_contains(patterns, area, pattern)) {
        return true;
    }
    uint64_t needed = sizeof(uint16_t) + (uint64_t)pattern.size;
    if (patterns->used_size + needed > area_size) {
        return false;
    }
    uint16_t size = (uint16_t)pattern.size;
    memcpy(area + patterns->used_size, &size, sizeof(size));
    if (pattern.size > 0) {
        memcpy(area + patterns->used_size + sizeof(size), pattern.ptr, pattern.size);
    }
    patterns->used_size = (uint16_t)(patterns->used_size + needed);
    patterns->count++;
    ASSERT(patterns->used_size <= area_size);
    return true;
}

static const char *key_rule(struct acl_user *user, struct slice rule) {
    if (user->allkeys) {
        return REASON_KEYS_AFTER_ALL;
    }
    if (rule.ptr[0] == '%') {
        /* Parsed as Redis does, then refused: keel has no per-key read/write flags. */
        bool read = false;
        bool write = false;
        for (uint32_t index = 1; index < rule.size && rule.ptr[index] != '~'; index++) {
            uint8_t c = rule.ptr[index];
            if ((c == 'R' || c == 'r') && !read) {
                read = true;
            } else if ((c == 'W' || c == 'w') && !write) {
                write = true;
            } else {
                return REASON_SYNTAX;
            }
        }
        return REASON_READ_WRITE_KEYS;
    }
    struct slice pattern = { rule.ptr + 1, rule.size - 1 };
    if (has_spaces(pattern)) {
        return REASON_SYNTAX;
    }
    if (!pattern_add(&user->keys, user->key_area, ACL_KEY_AREA_SIZE, pattern)) {
        return REASON_KEYS_FULL;
    }
    return NULL;
}

static const char *channel_rule(struct acl_user *user, struct slice rule) {
    if (user->allchannels) {
        return REASON_CHANNELS_AFTER_ALL;
    }
    struct slice pattern = { rule.ptr + 1, rule.size - 1 };
    if (has_spaces(pattern)) {
        return REASON_SYNTAX;
    }
    if (!pattern_add(&user->channels, user->channel_area, ACL_CHANNEL_AREA_SIZE, pattern)) {
        return REASON_CHANNELS_FULL;
    }
    return NULL;
}

/* ==== Command rules ==== */

/* ACLChangeSelectorPerm: a command and, for a container, all its subcommands. */
static void user_change_permission(const struct acl *acl, uint64_t *bits, uint32_t id,
                                   bool allow) {
    const struct acl_entry *entry = &acl->entries[id];
    bit_set(bits, id, allow);
    for (uint32_t sub = 0; sub < entry->sub_count; sub++) {
        bit_set(bits, entry->sub_first + sub, allow);
    }
    ASSERT(id < acl->id_count);
}

static uint32_t subcommand_find(const struct acl *acl, uint32_t container, struct slice name) {
    const struct acl_entry *entry = &acl->entries[container];
    for (uint32_t sub = 0; sub < entry->sub_count; sub++) {
        uint32_t id = entry->sub_first + sub;
        if (slice_equal_nocase(name, acl->entries[id].name)) {
            return id;
        }
    }
    return ACL_ID_NONE;
}

/* A command name as ACL rules spell it: "get" or "config|get" (Redis's
 * lookupCommandBySdsLogic: at most one '|', and only after a container). */
static uint32_t id_lookup(const struct acl *acl, struct slice name) {
    uint32_t bar = ACL_ID_NONE;
    for (uint32_t index = 0; index < name.size; index++) {
        if (name.ptr[index] == '|') {
            if (bar != ACL_ID_NONE) {
                return ACL_ID_NONE;
            }
            bar = index;
        }
    }
    struct slice base = { name.ptr, bar == ACL_ID_NONE ? name.size : bar };
    const struct command *command = commands_lookup(base);
    if (command == NULL) {
        return ACL_ID_NONE;
    }
    uint32_t id = (uint32_t)(command - commands_get(0));
    if (bar == ACL_ID_NONE) {
        return id;
    }
    struct slice sub = { name.ptr + bar + 1, name.size - bar - 1 };
    return subcommand_find(acl, id, sub);
}

/* "+name" with a '|': a subcommand of a container, else a first argument. */
static const char *allow_with_bar(const struct acl *acl, struct acl_user *user,
                                  struct slice name) {
    uint32_t bar = name.size;
    while (bar > 0 && name.ptr[bar - 1] != '|') {
        bar--;
    }
    ASSERT(bar > 0);
    uint32_t base = id_lookup(acl, (struct slice){ name.ptr, bar - 1 });
    if (base == ACL_ID_NONE) {
        return REASON_UNKNOWN;
    }
    if (acl->entries[base].parent != ACL_ID_NONE) {
        return REASON_SUBCOMMAND_FIRST_ARG;
    }
    if (bar == name.size) {
        return REASON_SYNTAX;
    }
    if (acl->entries[base].sub_count == 0) {
        return REASON_FIRST_ARG;
    }
    uint32_t id = id_lookup(acl, name);
    if (id == ACL_ID_NONE) {
        return REASON_UNKNOWN;
    }
    user_change_permission(acl, user->commands, id, true);
    return NULL;
}

static const char *category_rule(const struct acl *acl, struct acl_user *user,
                                 struct slice rule) {
    uint32_t category = acl_category_find((struct slice){ rule.ptr + 2, rule.size - 2 });
    if (category == ACL_CATEGORY_COUNT) {
        return REASON_UNKNOWN;
    }
    const uint64_t *reach = acl->category_reach[category];
    for (uint32_t word = 0; word < ACL_COMMAND_WORDS; word++) {
        if (rule.ptr[0] == '+') {
            user->commands[word] |= reach[word];
        } else {
            user->commands[word] &= ~reach[word];
        }
    }
    if (rule.ptr[0] == '-' && !bits_empty(reach)) {
        user->allcommands = false;
    }
    return NULL;
}

static const char *command_rule(const struct acl *acl, struct acl_user *user,
                                struct slice rule) {
    ASSERT(rule.ptr[0] == '+' || rule.ptr[0] == '-');
    if (rule.size >= 2 && rule.ptr[1] == '@') {
        return category_rule(acl, user, rule);
    }
    struct slice name = { rule.ptr + 1, rule.size - 1 };
    bool has_bar = memchr(name.ptr, '|', name.size) != NULL;
    if (rule.ptr[0] == '+' && has_bar) {
        return allow_with_bar(acl, user, name);
    }
    uint32_t id = id_lookup(acl, name);
    if (id == ACL_ID_NONE) {
        return REASON_UNKNOWN;
    }
    bool allow = rule.ptr[0] == '+';
    user_change_permission(acl, user->commands, id, allow);
    if (!allow) {
        user->allcommands = false;
    }
    return NULL;
}

static void user_reset_keys(struct acl_user *user, bool all) {
    user->allkeys = all;
    user->keys = (struct acl_patterns){ 0, 0 };
}

static void user_reset_channels(struct acl_user *user, bool all) {
    user->allchannels = all;
    user->channels = (struct acl_patterns){ 0, 0 };
}

static void user_set_all_commands(struct acl_user *user, bool all) {
    memset(user->commands, all ? 0xff : 0, sizeof(user->commands));
    user->allcommands = all;
}

/* The root-selector rules (Redis's ACLSetSelector). NULL on success. */
static const char *selector_rule(const struct acl *acl, struct acl_user *user,
                                 struct slice rule) {
    if (slice_equal_nocase(rule, "allkeys") || slice_equal_nocase(rule, "~*")) {
        user_reset_keys(user, true);
    } else if (slice_equal_nocase(rule, "resetkeys")) {
        user_reset_keys(user, false);
    } else if (slice_equal_nocase(rule, "allchannels") || slice_equal_nocase(rule, "&*")) {
        user_reset_channels(user, true);
    } else if (slice_equal_nocase(rule, "resetchannels")) {
        user_reset_channels(user, false);
    } else if (slice_equal_nocase(rule, "allcommands") || slice_equal_nocase(rule, "+@all")) {
        user_set_all_commands(user, true);
    } else if (slice_equal_nocase(rule, "nocommands") || slice_equal_nocase(rule, "-@all")) {
        user_set_all_commands(user, false);
    } else if (rule.ptr[0] == '~' || rule.ptr[0] == '%') {
        return key_rule(user, rule);
    } else if (rule.ptr[0] == '&') {
        return channel_rule(user, rule);
    } else if (rule.ptr[0] == '+' || rule.ptr[0] == '-') {
        return command_rule(acl, user, rule);
    } else {
        return REASON_SYNTAX;
    }
    return NULL;
}

static void user_reset(struct acl_user *user) {
    user->nopass = false;
    user->password_count = 0;
    user_reset_keys(user, false);
    user_reset_channels(user, false);
    user->enabled = false;
    user->sanitize = ACL_SANITIZE_PAYLOAD;
    user_set_all_commands(user, false);
}

/* One rule of ACL SETUSER (Redis's ACLSetUser). NULL on success, else the reason. */
const char *acl_user_apply(const struct acl *acl, struct acl_user *user, struct slice rule) {
    ASSERT(user->in_use);
    if (rule.size == 0) {
        return NULL;
    }
    if (slice_equal_nocase(rule, "on") || slice_equal_nocase(rule, "off")) {
        user->enabled = slice_equal_nocase(rule, "on");
    } else if (slice_equal_nocase(rule, "skip-sanitize-payload")) {
        user->sanitize = ACL_SANITIZE_SKIP;
    } else if (slice_equal_nocase(rule, "sanitize-payload")) {
        user->sanitize = ACL_SANITIZE_PAYLOAD;
    } else if (slice_equal_nocase(rule, "nopass") || slice_equal_nocase(rule, "resetpass")) {
        user->nopass = slice_equal_nocase(rule, "nopass");
        user->password_count = 0;
    } else if (rule.ptr[0] == '>' || rule.ptr[0] == '<' || rule.ptr[0] == '#' ||
               rule.ptr[0] == '!') {
        return password_rule(user, rule);
    } else if (rule.ptr[0] == '(' && rule.ptr[rule.size - 1] == ')') {
        return REASON_SELECTORS;
    } else if (slice_equal_nocase(rule, "clearselectors")) {
        return NULL; /* keel has the root selector only */
    } else if (slice_equal_nocase(rule, "reset")) {
        user_reset(user);
    } else {
        return selector_rule(acl, user, rule);
    }
    return NULL;
}

/* ==== ACL SETUSER, ACL DELUSER, requirepass ==== */

/* Redis's ACLMergeSelectorArguments: the first "(" rule left open, or ACL_ID_NONE. */
static uint32_t selector_unmatched(const struct slice *rules, uint32_t rule_count) {
    uint32_t open = ACL_ID_NONE;
    for (uint32_t index = 0; index < rule_count; index++) {
        struct slice rule = rules[index];
        bool closes = rule.size > 0 && rule.ptr[rule.size - 1] == ')';
        if (rule.size > 0 && rule.ptr[0] == '(' && !closes) {
            open = index;
        } else if (open != ACL_ID_NONE && closes) {
            open = ACL_ID_NONE;
        }
    }
    return open;
}

enum acl_setuser_status acl_setuser(struct acl *acl, struct slice name, const struct slice *rules,
                                    uint32_t rule_count, struct acl_setuser_result *result) {
    ASSERT(result != NULL);
    ASSERT(rules != NULL || rule_count == 0);
    if (has_spaces(name)) {
        return ACL_SETUSER_BAD_NAME;
    }
    if (name.size > ACL_USER_NAME_SIZE_MAX) {
        return ACL_SETUSER_LONG_NAME;
    }
    result->rule_index = selector_unmatched(rules, rule_count);
    if (result->rule_index != ACL_ID_NONE) {
        return ACL_SETUSER_UNMATCHED;
    }
    /* Every rule is staged on a copy: either all of them apply or none. */
    struct acl_user *existing = acl_user_find(acl, name);
    struct acl_user staging;
    if (existing != NULL) {
        staging = *existing;
    } else {
        memset(&staging, 0, sizeof(staging));
        staging.in_use = true;
        user_set_name(&staging, name);
    }
    for (uint32_t index = 0; index < rule_count; index++) {
        bool selector = rules[index].size > 0 && rules[index].ptr[0] == '(';
        result->error = selector ? REASON_SELECTORS : acl_user_apply(acl, &staging, rules[index]);
        if (result->error != NULL) {
            result->rule_index = index;
            return ACL_SETUSER_BAD_RULE;
        }
    }
    if (existing != NULL) {
        *existing = staging;
        return ACL_SETUSER_OK;
    }
    uint32_t index = user_acquire(acl);
    if (index == ACL_ID_NONE) {
        return ACL_SETUSER_FULL;
    }
    staging.next_free = ACL_ID_NONE;
    acl->users[index] = staging;
    user_order_insert(acl, index);
    return ACL_SETUSER_OK;
}

/* Redis's ACLFreeUserAndKillClients: such clients become default, unauthenticated, and close. */
static void user_close_clients(uint32_t user_index, struct client *current) {
    ASSERT(user_index != ACL_USER_DEFAULT);
    for (uint32_t slot = 0; slot < server.untouched_client_index; slot++) {
        struct client *client = &server.clients[slot];
        if (client->state == CLIENT_FREE || client->acl_client_id != client->id ||
            client->acl_user_index != user_index) {
            continue;
        }
        client->acl_user_index = ACL_USER_DEFAULT;
        client->authenticated = false;
        if (client == current) {
            client_close_after_reply(client);
        } else {
            client_close_now(client);
        }
    }
}

bool acl_deluser(struct acl *acl, struct slice name, struct client *current) {
    struct acl_user *user = acl_user_find(acl, name);
    if (user == NULL) {
        return false;
    }
    uint32_t index = acl_user_index(acl, user);
    ASSERT(index != ACL_USER_DEFAULT);
    user_close_clients(index, current);
    user_order_remove(acl, index);
    user_release(acl, index);
    ASSERT(acl->user_count >= 1);
    return true;
}

/* Redis's ACLUpdateDefaultUserPassword: resetpass, then >password or nopass. */
void acl_set_default_password(struct acl *acl, const uint8_t *password, uint32_t size) {
    struct acl_user *user = &acl->users[ACL_USER_DEFAULT];
    ASSERT(user->in_use);
    user->nopass = size == 0;
    user->password_count = 0;
    if (size > 0) {
        uint8_t hash[ACL_HASH_SIZE];
        password_hash((struct slice){ password, size }, hash);
        const char *error = password_add(user, hash);
        ASSERT(error == NULL);
    }
}

void acl_config_changed(struct acl *acl, const struct config *before,
                        const struct config *after) {
    ASSERT(before->requirepass != NULL || before->requirepass_size == 0);
    ASSERT(after->requirepass != NULL || after->requirepass_size == 0);
    /* CONFIG SET cannot raise it above the reservation: the ring holds `capacity`. */
    acl->log.length_max = MIN(after->acllog_max_len, acl->log.capacity);
    bool same = before->requirepass_size == after->requirepass_size &&
                (after->requirepass_size == 0 ||
                 memcmp(before->requirepass, after->requirepass, after->requirepass_size) == 0);
    if (!same) {
        acl_set_default_password(acl, after->requirepass, after->requirepass_size);
    }
}

/* ==== Connections ==== */

void acl_client_begin(struct acl *acl, struct client *client) {
    if (client->acl_client_id == client->id) {
        return;
    }
    const struct acl_user *user = &acl->users[ACL_USER_DEFAULT];
    ASSERT(user->in_use);
    client->acl_client_id = client->id;
    client->acl_user_index = ACL_USER_DEFAULT;
    bool authenticated = user->enabled && user->nopass;
    if (client->authenticated != authenticated) {
        client->authenticated = authenticated;
        client->output.limit_size = client_output_limit(client);
    }
}

struct acl_user *acl_client_user(const struct acl *acl, const struct client *client) {
    uint32_t index = ACL_USER_DEFAULT;
    if (client->acl_client_id == client->id) {
        index = client->acl_user_index;
    }
    ASSERT(index < acl->user_max);
    ASSERT(acl->users[index].in_use);
    return &acl->users[index];
}

bool acl_default_nopass(const struct acl *acl) {
    return acl->users[ACL_USER_DEFAULT].nopass;
}

bool acl_check_credentials(const struct acl *acl, struct slice name, struct slice password) {
    const struct acl_user *user = acl_user_find(acl, name);
    /* Hash and compare with every slot whatever the outcome: the time does not
     * tell an unknown or disabled user from a wrong password. */
    const struct acl_user *subject = user != NULL ? user : &acl->users[ACL_USER_DEFAULT];
    uint8_t hash[ACL_HASH_SIZE];
    password_hash(password, hash);
    bool matched = false;
    for (uint32_t index = 0; index < ACL_PASSWORDS_MAX; index++) {
        bool equal = hash_equal(hash, subject->passwords[index]);
        matched = matched | (equal & (index < subject->password_count));
    }
    if (user == NULL || !user->enabled) {
        return false;
    }
    return user->nopass || matched;
}

bool acl_authenticate(struct acl *acl, struct client *client, struct slice name,
                      struct slice password) {
    acl_client_begin(acl, client);
    if (!acl_check_credentials(acl, name, password)) {
        /* Redis logs the command as typed ("auth" or "AUTH") and the name tried. */
        struct slice typed = client->argv.count > 0 ? client->argv.items[0]
                                                    : slice_from_cstr("AUTH");
        acl_log_add(acl, client, ACL_LOG_AUTH, typed, name);
        return false;
    }
    const struct acl_user *user = acl_user_find(acl, name);
    ASSERT(user != NULL);
    client->acl_user_index = acl_user_index(acl, user);
    client->authenticated = true;
    return true;
}

/* ==== Checks ==== */

uint32_t acl_resolve(const struct acl *acl, const struct command *command,
                     const struct slice *argv, uint32_t argc, bool *known) {
    ASSERT(command != NULL);
    uint32_t id = (uint32_t)(command - commands_get(0));
    ASSERT(id < acl->command_count);
    if (known != NULL) {
        *known = true;
    }
    if (acl->entries[id].sub_count == 0 || argc < 2) {
        return id;
    }
    uint32_t sub = subcommand_find(acl, id, argv[1]);
    if (sub == ACL_ID_NONE && known != NULL) {
        *known = false;
    }
    return sub == ACL_ID_NONE ? id : sub;
}

bool acl_arity_ok(const struct acl *acl, uint32_t id, uint32_t argc) {
    ASSERT(id < acl->id_count);
    int32_t arity = acl->entries[id].arity;
    ASSERT(arity != 0);
    return arity > 0 ? argc == (uint32_t)arity : argc >= (uint32_t)(-arity);
}

void acl_id_name(const struct acl *acl, uint32_t id, char *buffer, uint32_t size) {
    ASSERT(id < acl->id_count);
    ASSERT(size > 0);
    const struct acl_entry *entry = &acl->entries[id];
    if (entry->container != NULL) {
        snprintf(buffer, size, "%s|%s", entry->container, entry->name);
    } else {
        snprintf(buffer, size, "%s", entry->name);
    }
}

bool acl_command_bit(const struct acl_user *user, uint32_t id) {
    return bit_get(user->commands, id);
}

bool acl_key_allowed(const struct acl_user *user, struct slice key) {
    if (user->allkeys) {
        return true;
    }
    uint32_t offset = 0;
    for (uint32_t index = 0; index < user->keys.count; index++) {
        if (glob_match(pattern_next(user->key_area, &offset), key, false)) {
            return true;
        }
    }
    ASSERT(offset <= user->keys.used_size);
    return false;
}

/* atoi() as Redis's genericGetKeys reads numkeys: spaces, a sign, digits, then
 * anything; the long is truncated to an int. */
static int32_t numkeys_parse(struct slice text) {
    uint32_t index = 0;
    while (index < text.size && (text.ptr[index] == ' ' ||
                                 (text.ptr[index] >= '\t' && text.ptr[index] <= '\r'))) {
        index++;
    }
    bool negative = index < text.size && text.ptr[index] == '-';
    if (index < text.size && (text.ptr[index] == '-' || text.ptr[index] == '+')) {
        index++;
    }
    /* strtol() saturates at LONG_MAX / LONG_MIN before the cast to int. */
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t value = 0;
    for (; index < text.size && text.ptr[index] >= '0' && text.ptr[index] <= '9'; index++) {
        uint64_t digit = (uint64_t)(text.ptr[index] - '0');
        value = value > (limit - digit) / 10 ? limit : value * 10 + digit;
    }
    uint64_t wrapped = negative ? (uint64_t)0 - value : value;
    return (int32_t)(uint32_t)wrapped;
}

static uint32_t keys_denied_range(const struct acl_user *user, const struct acl_entry *entry,
                                  const struct slice *argv, uint32_t argc) {
    if (entry->first_key <= 0) {
        return 0;
    }
    ASSERT(entry->key_step > 0);
    int64_t last = entry->last_key >= 0 ? entry->last_key : (int64_t)argc + entry->last_key;
    if (last >= (int64_t)argc || last < entry->first_key) {
        return 0;
    }
    for (int64_t index = entry->first_key; index <= last; index += entry->key_step) {
        if (!acl_key_allowed(user, argv[index])) {
            return (uint32_t)index;
        }
    }
    return 0;
}

static uint32_t keys_denied_keynum(const struct acl_user *user, const struct acl_entry *entry,
                                   const struct slice *argv, uint32_t argc) {
    uint32_t count_index = (uint32_t)entry->numkeys_index;
    uint32_t first = (uint32_t)entry->first_key;
    if (count_index >= argc || first > argc) {
        return 0;
    }
    int32_t count = numkeys_parse(argv[count_index]);
    if (count < 1 || (uint32_t)count > argc - first) {
        return 0;
    }
    for (uint32_t index = first; index < first + (uint32_t)count; index++) {
        if (!acl_key_allowed(user, argv[index])) {
            return index;
        }
    }
    uint32_t store = (uint32_t)entry->store_index;
    if (store > 0 && store < argc && !acl_key_allowed(user, argv[store])) {
        return store;
    }
    return 0;
}

/* Redis's sortGetKeys: the key, and the target of the last STORE. */
static uint32_t keys_denied_sort(const struct acl_user *user, const struct slice *argv,
                                 uint32_t argc) {
    if (argc < 2) {
        return 0;
    }
    if (!acl_key_allowed(user, argv[1])) {
        return 1;
    }
    uint32_t store = 0;
    for (uint32_t index = 2; index < argc; index++) {
        if (slice_equal_nocase(argv[index], "limit")) {
            index += 2;
        } else if (slice_equal_nocase(argv[index], "store") && index + 1 < argc) {
            store = index + 1;
        } else if (slice_equal_nocase(argv[index], "get") ||
                   slice_equal_nocase(argv[index], "by")) {
            index += 1;
        }
    }
    if (store > 0 && !acl_key_allowed(user, argv[store])) {
        return store;
    }
    return 0;
}

enum acl_verdict acl_check(const struct acl *acl, const struct acl_user *user, uint32_t id,
                           const struct slice *argv, uint32_t argc, uint32_t *key_index) {
    ASSERT(id < acl->id_count);
    ASSERT(user->in_use);
    const struct acl_entry *entry = &acl->entries[id];
    if (!user->allcommands && !entry->no_auth && !bit_get(user->commands, id)) {
        return ACL_DENIED_COMMAND;
    }
    if (user->allkeys) {
        return ACL_ALLOWED;
    }
    uint32_t denied = 0;
    if (entry->key_kind == ACL_KEYS_RANGE) {
        denied = keys_denied_range(user, entry, argv, argc);
    } else if (entry->key_kind == ACL_KEYS_KEYNUM) {
        denied = keys_denied_keynum(user, entry, argv, argc);
    } else {
        denied = keys_denied_sort(user, argv, argc);
    }
    if (denied == 0) {
        return ACL_ALLOWED;
    }
    *key_index = denied;
    return ACL_DENIED_KEY;
}

/* ==== Describing a user's commands as rules ==== */

static void rules_add(struct acl_rules *rules, uint32_t flags, uint32_t index) {
    ASSERT(rules->count < ACL_RULES_MAX);
    ASSERT(index <= ACL_RULE_INDEX_MASK);
    rules->rules[rules->count++] = (uint16_t)(flags | index);
}

/* The category that best fits what is left to express (Redis's loop body). */
static uint32_t category_best(const struct acl *acl, const uint64_t *left, const bool *applied,
                              bool additive) {
    uint32_t best = ACL_CATEGORY_COUNT;
    uint32_t fewest_different = UINT32_MAX;
    uint32_t most_same = 0;
    for (uint32_t category = 0; category < ACL_CATEGORY_COUNT; category++) {
        if (applied[category]) {
            continue;
        }
        const uint64_t *members = acl->category_members[category];
        uint32_t on = bits_count_and(left, members);
        uint32_t off = bits_count_and(members, members) - on;
        uint32_t different = additive ? off : on;
        uint32_t same = additive ? on : off;
        if (same > different && (different < fewest_different ||
                                 (different == fewest_different && same > most_same))) {
            best = category;
            fewest_different = different;
            most_same = same;
        }
    }
    return best;
}

static void rules_single(const struct acl *acl, const struct acl_user *user, uint64_t *fake,
                         uint32_t id, struct acl_rules *rules) {
    bool wanted = bit_get(user->commands, id);
    if (wanted != bit_get(fake, id)) {
        rules_add(rules, wanted ? ACL_RULE_ALLOW : 0, id);
        user_change_permission(acl, fake, id, wanted);
    }
}

/* Redis's ACLDescribeSelectorCommandRules: as the rules are produced they are
 * applied to a fake bitmap, which must end equal to the user's. */
void acl_describe_commands(const struct acl *acl, const struct acl_user *user,
                           struct acl_rules *rules) {
    rules->count = 0;
    bool additive = !bit_get(user->commands, ACL_ID_FUTURE);
    uint64_t fake[ACL_COMMAND_WORDS];
    uint64_t left[ACL_COMMAND_WORDS];
    memset(fake, additive ? 0 : 0xff, sizeof(fake));
    memcpy(left, user->commands, sizeof(left));
    rules_add(rules, ACL_RULE_ALL | (additive ? 0 : ACL_RULE_ALLOW), 0);
    bool applied[ACL_CATEGORY_COUNT] = { false };
    for (uint32_t round = 0; round < ACL_CATEGORY_COUNT; round++) {
        uint32_t best = category_best(acl, left, applied, additive);
        if (best == ACL_CATEGORY_COUNT) {
            break;
        }
        const uint64_t *reach = acl->category_reach[best];
        for (uint32_t word = 0; word < ACL_COMMAND_WORDS; word++) {
            fake[word] = additive ? fake[word] | reach[word] : fake[word] & ~reach[word];
            left[word] = additive ? left[word] & ~reach[word] : left[word] | reach[word];
        }
        rules_add(rules, ACL_RULE_CATEGORY | (additive ? ACL_RULE_ALLOW : 0), best);
        applied[best] = true;
    }
    for (uint32_t id = 0; id < acl->command_count; id++) {
        rules_single(acl, user, fake, id, rules);
        const struct acl_entry *entry = &acl->entries[id];
        for (uint32_t sub = 0; sub < entry->sub_count; sub++) {
            rules_single(acl, user, fake, entry->sub_first + sub, rules);
        }
    }
    ASSERT(memcmp(fake, user->commands, sizeof(fake)) == 0);
}

/* ==== Text ==== */

void acl_text_put(struct acl_text *text, const void *bytes, uint64_t size) {
    if (text->reply != NULL) {
        reply_raw(text->reply, bytes, size);
    } else if (text->size < text->capacity) {
        uint64_t room = text->capacity - text->size;
        memcpy(text->buffer + text->size, bytes, MIN(room, size));
    }
    text->size += size;
}

static void text_cstr(struct acl_text *text, const char *cstr) {
    acl_text_put(text, cstr, strlen(cstr));
}

void acl_text_rules(const struct acl *acl, const struct acl_rules *rules, struct acl_text *text) {
    ASSERT(rules->count >= 1);
    for (uint32_t index = 0; index < rules->count; index++) {
        uint32_t rule = rules->rules[index];
        text_cstr(text, index == 0 ? "" : " ");
        text_cstr(text, (rule & ACL_RULE_ALLOW) ? "+" : "-");
        uint32_t target = rule & ACL_RULE_INDEX_MASK;
        if (rule & ACL_RULE_ALL) {
            text_cstr(text, "@all");
        } else if (rule & ACL_RULE_CATEGORY) {
            text_cstr(text, "@");
            text_cstr(text, acl_category_name(target));
        } else {
            char name[ACL_ID_NAME_SIZE_MAX];
            acl_id_name(acl, target, name, sizeof(name));
            text_cstr(text, name);
        }
    }
}

static void text_patterns(struct acl_text *text, const struct acl_patterns *patterns,
                          const uint8_t *area, const char *prefix, const char *separator) {
    uint32_t offset = 0;
    for (uint32_t index = 0; index < patterns->count; index++) {
        struct slice pattern = pattern_next(area, &offset);
        text_cstr(text, index == 0 ? "" : separator);
        text_cstr(text, prefix);
        acl_text_put(text, pattern.ptr, pattern.size);
    }
    ASSERT(offset == patterns->used_size);
}

void acl_text_keys(const struct acl_user *user, struct acl_text *text) {
    if (user->allkeys) {
        text_cstr(text, "~*");
    } else {
        text_patterns(text, &user->keys, user->key_area, "~", " ");
    }
}

void acl_text_channels(const struct acl_user *user, struct acl_text *text) {
    if (user->allchannels) {
        text_cstr(text, "&*");
    } else {
        text_patterns(text, &user->channels, user->channel_area, "&", " ");
    }
}

/* Redis's ACLDescribeUser, after "user <name> "; rules from acl_describe_commands. */
void acl_text_user(const struct acl *acl, const struct acl_user *user,
                   const struct acl_rules *rules, struct acl_text *text) {
    text_cstr(text, "user ");
    acl_text_put(text, user->name, user->name_size);
    text_cstr(text, user->enabled ? " on " : " off ");
    text_cstr(text, user->nopass ? "nopass " : "");
    text_cstr(text, user->sanitize == ACL_SANITIZE_SKIP ? "skip-sanitize-payload " : "");
    text_cstr(text, user->sanitize == ACL_SANITIZE_PAYLOAD ? "sanitize-payload " : "");
    for (uint32_t index = 0; index < user->password_count; index++) {
        char hash[ACL_HASH_TEXT_SIZE];
        acl_hash_text(user->passwords[index], hash);
        text_cstr(text, "#");
        acl_text_put(text, hash, sizeof(hash));
        text_cstr(text, " ");
    }
    if (user->allkeys || user->keys.count > 0) {
        acl_text_keys(user, text);
        text_cstr(text, " ");
    }
    if (!user->allchannels) {
        text_cstr(text, "resetchannels ");
    }
    if (user->allchannels || user->channels.count > 0) {
        acl_text_channels(user, text);
        text_cstr(text, " ");
    }
    acl_text_rules(acl, rules, text);
}

/* ==== Protected mode ==== */

bool acl_address_loopback(const struct sockaddr_storage *address) {
    ASSERT(address != NULL);
    if (address->ss_family == AF_INET) {
        const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)address;
        const uint8_t *bytes = (const uint8_t *)&ipv4->sin_addr.s_addr;
        return bytes[0] == 127;
    }
    if (address->ss_family == AF_INET6) {
        const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *)address;
        return IN6_IS_ADDR_LOOPBACK(&ipv6->sin6_addr);
    }
    /* An address keel cannot read (getpeername failed): not local, as in Redis. */
    return false;
}

bool acl_protected_mode_refuses(const struct acl *acl, const struct config *config,
                                const struct sockaddr_storage *peer) {
    ASSERT(config != NULL);
    ASSERT(peer != NULL);
    if (!config->protected_mode || !acl_default_nopass(acl)) {
        return false;
    }
    return !acl_address_loopback(peer);
}

/* ==== The ACL log ==== */

static const char *const log_reason_names[] = { "auth", "command", "key", "channel" };
static const char *const log_context_names[] = { "toplevel", "multi", "lua" };

STATIC_ASSERT(ARRAY_COUNT(log_reason_names) == ACL_LOG_CHANNEL + 1, "a name per reason");
STATIC_ASSERT(ARRAY_COUNT(log_context_names) == ACL_LOG_LUA + 1, "a name per context");

const char *acl_log_reason_name(enum acl_log_reason reason) {
    ASSERT((uint32_t)reason < ARRAY_COUNT(log_reason_names));
    return log_reason_names[reason];
}

const char *acl_log_context_name(enum acl_log_context context) {
    ASSERT((uint32_t)context < ARRAY_COUNT(log_context_names));
    return log_context_names[context];
}

uint64_t acl_log_entry_size(void) {
    return sizeof(struct acl_log_entry);
}

void acl_log_init(struct acl *acl, void *memory, uint32_t capacity) {
    ASSERT(memory != NULL || capacity == 0);
    ASSERT(capacity <= CONFIG_ACLLOG_MAX_LEN_MAX);
    acl->log = (struct acl_log){ .entries = memory, .capacity = capacity,
                                 .length_max = capacity, .head = 0, .count = 0 };
}

void acl_log_reset(struct acl *acl) {
    ASSERT(acl->log.count <= acl->log.capacity);
    acl->log.count = 0;
    acl->log.head = 0;
}

static uint32_t log_slot(const struct acl_log *log, uint32_t position) {
    ASSERT(position < log->capacity);
    ASSERT(log->head < log->capacity);
    return (log->head + position) % log->capacity;
}

const struct acl_log_entry *acl_log_at(const struct acl *acl, uint32_t position) {
    ASSERT(position < acl->log.count);
    return &acl->log.entries[log_slot(&acl->log, position)];
}

static void log_text_set(struct acl_log_text *text, struct slice source) {
    text->size = source.size;
    text->kept_size = MIN(source.size, ACL_LOG_TEXT_SIZE_MAX);
    text->hash = XXH3_64bits(source.size == 0 ? (const void *)"" : source.ptr, source.size);
    if (text->kept_size > 0) {
        memcpy(text->bytes, source.ptr, text->kept_size);
    }
    ASSERT(text->kept_size <= ACL_LOG_TEXT_SIZE_MAX);
}

static bool log_text_equal(const struct acl_log_text *a, const struct acl_log_text *b) {
    ASSERT(a->kept_size <= ACL_LOG_TEXT_SIZE_MAX);
    return a->size == b->size && a->hash == b->hash &&
           memcmp(a->bytes, b->bytes, a->kept_size) == 0;
}

/* Redis's catClientInfoString: the one CLIENT LIST formatter (src/clientinfo.c). */
static uint32_t log_client_info(const struct acl *acl, const struct client *client,
                                char *buffer, uint32_t size) {
    ASSERT(acl != NULL);
    ASSERT(size > 0);
    return clientinfo_format(acl, client, clock_now_ms(), buffer, size);
}

static void log_count(struct acl *acl, enum acl_log_reason reason) {
    ASSERT((uint32_t)reason < ARRAY_COUNT(log_reason_names));
    switch (reason) {
    case ACL_LOG_AUTH:
        acl->stats.denied_auth++;
        break;
    case ACL_LOG_COMMAND:
        acl->stats.denied_command++;
        break;
    case ACL_LOG_KEY:
        acl->stats.denied_key++;
        break;
    case ACL_LOG_CHANNEL:
        acl->stats.denied_channel++;
        break;
    }
}

/* Redis's ACLLogMatchEntry. */
static bool log_entry_matches(const struct acl_log_entry *entry,
                              const struct acl_log_entry *candidate) {
    ASSERT(entry->count >= 1);
    int64_t delta = entry->updated_ms - candidate->updated_ms;
    if (delta < 0) {
        delta = -delta;
    }
    return entry->reason == candidate->reason && entry->context == candidate->context &&
           delta <= ACL_LOG_GROUP_WINDOW_MS && log_text_equal(&entry->object, &candidate->object) &&
           log_text_equal(&entry->username, &candidate->username);
}

/* Moves the entry at `position` to the head (the ones before it shift down by one). */
static void log_move_to_head(struct acl_log *log, uint32_t position) {
    ASSERT(position < log->count);
    ASSERT(position < ACL_LOG_GROUP_SCAN_MAX);
    if (position == 0) {
        return;
    }
    struct acl_log_entry moved = log->entries[log_slot(log, position)];
    for (uint32_t index = position; index > 0; index--) {
        log->entries[log_slot(log, index)] = log->entries[log_slot(log, index - 1)];
    }
    log->entries[log->head] = moved;
}

void acl_log_add(struct acl *acl, const struct client *client, enum acl_log_reason reason,
                 struct slice object, struct slice username) {
    ASSERT(client != NULL);
    log_count(acl, reason);
    struct acl_log *log = &acl->log;
    if (log->capacity == 0) {
        return;
    }
    struct acl_log_entry candidate;
    candidate.count = 1;
    candidate.updated_ms = clock_now_ms();
    candidate.reason = (uint8_t)reason;
    candidate.context = client->in_exec ? ACL_LOG_MULTI : ACL_LOG_TOPLEVEL;
    log_text_set(&candidate.object, object);
    log_text_set(&candidate.username, username);
    candidate.client_info_size = (uint16_t)log_client_info(
        acl, client, candidate.client_info, sizeof(candidate.client_info));
    uint32_t scan = MIN(log->count, ACL_LOG_GROUP_SCAN_MAX);
    for (uint32_t position = 0; position < scan; position++) {
        struct acl_log_entry *entry = &log->entries[log_slot(log, position)];
        if (log_entry_matches(entry, &candidate)) {
            log_move_to_head(log, position);
            entry = &log->entries[log->head];
            entry->count++;
            entry->updated_ms = candidate.updated_ms;
            entry->client_info_size = candidate.client_info_size;
            memcpy(entry->client_info, candidate.client_info, candidate.client_info_size);
            return;
        }
    }
    /* A new entry at the head; in a full ring it takes the oldest one's slot. */
    log->head = (log->head + log->capacity - 1) % log->capacity;
    log->entries[log->head] = candidate;
    log->count = MIN(log->count + 1, log->capacity);
    log->count = MIN(log->count, log->length_max);
    ASSERT(log->count <= log->capacity);
}

void acl_log_denied(struct acl *acl, const struct client *client, enum acl_verdict verdict,
                    uint32_t id, uint32_t key_index) {
    ASSERT(verdict != ACL_ALLOWED);
    const struct acl_user *user = acl_client_user(acl, client);
    struct slice username = { (const uint8_t *)user->name, user->name_size };
    if (verdict == ACL_DENIED_COMMAND) {
        char name[ACL_ID_NAME_SIZE_MAX];
        acl_id_name(acl, id, name, sizeof(name));
        acl_log_add(acl, client, ACL_LOG_COMMAND, slice_from_cstr(name), username);
        return;
    }
    ASSERT(key_index < client->argv.count);
    acl_log_add(acl, client, ACL_LOG_KEY, client->argv.items[key_index], username);
}
