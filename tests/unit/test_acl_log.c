/*
 * test_acl_log.c: unit tests for the ACL log ring (src/acl.c: acl_log_*).
 *
 * The rules are Redis 7.0.15's addACLLogEntry: newest first; a denial with the
 * same reason, context, object and user as one of the 10 newest entries, within
 * 60 seconds of its last update, bumps that entry's count, refreshes its
 * client info and time and moves it to the head; otherwise a new entry goes to
 * the head and the log is trimmed to acllog-max-len (lowering acllog-max-len
 * trims at the next denial, not at once). Entries live in a ring of fixed
 * records sized by the plan; nothing is allocated.
 */
#include "acl.h"

#include "commands.h"
#include "config.h"
#include "server.h"

#include <criterion/criterion.h>

#define POOL_USERS 4u
#define LOG_CAPACITY 16u

static struct acl acl;
static uint64_t pool[POOL_USERS * (sizeof(struct acl_user) + sizeof(uint32_t)) / 8 + 1];
static struct acl_log_entry entries[LOG_CAPACITY];
static struct client client;

static void setup(void) {
    memset(pool, 0, sizeof(pool));
    memset(entries, 0, sizeof(entries));
    acl_init(&acl, pool, POOL_USERS);
    acl_log_init(&acl, entries, LOG_CAPACITY);
    memset(&client, 0, sizeof(client));
    client.id = 7;
    client.fd = -1;
    client.argv.items = client.argv_inline;
    client.argv.capacity = CLIENT_ARGV_INLINE_COUNT;
    client.reply.protocol = 2;
    client.input_capacity = 16384;
    snprintf(client.address, sizeof(client.address), "127.0.0.1:40000");
}

TestSuite(acl_log, .init = setup);

static struct slice s(const char *text) {
    return slice_from_cstr(text);
}

static void add_key(const char *key, const char *user) {
    acl_log_add(&acl, &client, ACL_LOG_KEY, s(key), s(user));
}

static struct slice object_at(uint32_t position) {
    const struct acl_log_entry *entry = acl_log_at(&acl, position);
    return (struct slice){ entry->object.bytes, entry->object.kept_size };
}

static bool object_is(uint32_t position, const char *text) {
    return slice_equal(object_at(position), s(text));
}

Test(acl_log, entry_size_is_the_plan_unit) {
    cr_assert_eq(acl_log_entry_size(), sizeof(struct acl_log_entry));
    cr_assert_lt(acl_log_entry_size(), 2048);
}

Test(acl_log, newest_first_and_grouping) {
    add_key("a", "alice");
    add_key("b", "alice");
    add_key("a", "alice"); /* like the older one: it moves to the head */
    cr_assert_eq(acl.log.count, 2);
    cr_assert(object_is(0, "a"));
    cr_assert_eq(acl_log_at(&acl, 0)->count, 2);
    cr_assert(object_is(1, "b"));
    cr_assert_eq(acl_log_at(&acl, 1)->count, 1);
    /* Another user, reason or object is another entry. */
    add_key("a", "bob");
    acl_log_add(&acl, &client, ACL_LOG_COMMAND, s("a"), s("alice"));
    cr_assert_eq(acl.log.count, 4);
    cr_assert_eq(acl_log_at(&acl, 0)->reason, ACL_LOG_COMMAND);
    cr_assert(slice_equal((struct slice){ acl_log_at(&acl, 1)->username.bytes,
                                          acl_log_at(&acl, 1)->username.kept_size },
                          s("bob")));
    cr_assert_eq(acl.stats.denied_key, 4);
    cr_assert_eq(acl.stats.denied_command, 1);
}

Test(acl_log, grouping_window_is_sixty_seconds) {
    add_key("a", "alice");
    struct acl_log_entry *entry = &acl.log.entries[acl.log.head];
    entry->updated_ms -= ACL_LOG_GROUP_WINDOW_MS - 1000; /* 59 s ago: still grouped */
    add_key("a", "alice");
    cr_assert_eq(acl.log.count, 1);
    cr_assert_eq(acl_log_at(&acl, 0)->count, 2);
    entry = &acl.log.entries[acl.log.head];
    entry->updated_ms -= ACL_LOG_GROUP_WINDOW_MS + 1000; /* 61 s ago: a new entry */
    add_key("a", "alice");
    cr_assert_eq(acl.log.count, 2);
    cr_assert_eq(acl_log_at(&acl, 0)->count, 1);
    cr_assert_eq(acl_log_at(&acl, 1)->count, 2);
}

Test(acl_log, only_the_ten_newest_are_searched) {
    char key[8];
    for (uint32_t index = 0; index < ACL_LOG_GROUP_SCAN_MAX; index++) {
        snprintf(key, sizeof(key), "k%u", index);
        add_key(key, "alice");
    }
    add_key("k0", "alice"); /* the 10th newest: found */
    cr_assert_eq(acl.log.count, ACL_LOG_GROUP_SCAN_MAX);
    cr_assert(object_is(0, "k0"));
    cr_assert_eq(acl_log_at(&acl, 0)->count, 2);
    add_key("x", "alice"); /* now k1 is 11th newest */
    add_key("k1", "alice");
    cr_assert_eq(acl.log.count, ACL_LOG_GROUP_SCAN_MAX + 2);
    cr_assert(object_is(0, "k1"));
    cr_assert_eq(acl_log_at(&acl, 0)->count, 1);
}

Test(acl_log, ring_keeps_the_newest) {
    char key[8];
    for (uint32_t index = 0; index < LOG_CAPACITY + 5; index++) {
        snprintf(key, sizeof(key), "k%u", index);
        add_key(key, "alice");
    }
    cr_assert_eq(acl.log.count, LOG_CAPACITY);
    for (uint32_t position = 0; position < LOG_CAPACITY; position++) {
        snprintf(key, sizeof(key), "k%u", LOG_CAPACITY + 4 - position);
        cr_assert(object_is(position, key), "position %u", position);
    }
    /* Grouping across the ring's wrap point moves the entry to the head. */
    add_key("k15", "alice");
    cr_assert(object_is(0, "k15"));
    cr_assert(object_is(1, "k20"));
    cr_assert(object_is(5, "k16"));
    cr_assert(object_is(6, "k14"));
    cr_assert_eq(acl_log_at(&acl, 0)->count, 2);
}

Test(acl_log, lowering_the_length_trims_at_the_next_denial) {
    for (uint32_t index = 0; index < 5; index++) {
        char key[8];
        snprintf(key, sizeof(key), "k%u", index);
        add_key(key, "alice");
    }
    struct config before;
    struct config after;
    config_defaults(&before);
    after = before;
    after.acllog_max_len = 2;
    acl_config_changed(&acl, &before, &after);
    cr_assert_eq(acl.log.count, 5); /* as Redis: not at once */
    add_key("k9", "alice");
    cr_assert_eq(acl.log.count, 2);
    cr_assert(object_is(0, "k9"));
    cr_assert(object_is(1, "k4"));
    /* A grouped denial does not trim (Redis trims only when it adds). */
    after.acllog_max_len = 1;
    acl_config_changed(&acl, &before, &after);
    add_key("k4", "alice");
    cr_assert_eq(acl.log.count, 2);
    /* Zero keeps nothing; raising it again (never past the ring) keeps more. */
    after.acllog_max_len = 0;
    acl_config_changed(&acl, &before, &after);
    add_key("z", "alice");
    cr_assert_eq(acl.log.count, 0);
    after.acllog_max_len = 1000;
    acl_config_changed(&acl, &before, &after);
    cr_assert_eq(acl.log.length_max, LOG_CAPACITY);
    add_key("z", "alice");
    cr_assert_eq(acl.log.count, 1);
}

Test(acl_log, reset_empties) {
    add_key("a", "alice");
    add_key("b", "alice");
    acl_log_reset(&acl);
    cr_assert_eq(acl.log.count, 0);
    add_key("a", "alice");
    cr_assert_eq(acl.log.count, 1);
    cr_assert_eq(acl_log_at(&acl, 0)->count, 1);
}

Test(acl_log, long_objects_keep_a_prefix_and_group_exactly) {
    static char long_a[ACL_LOG_TEXT_SIZE_MAX + 100];
    static char long_b[ACL_LOG_TEXT_SIZE_MAX + 100];
    memset(long_a, 'x', sizeof(long_a) - 1);
    memset(long_b, 'x', sizeof(long_b) - 1);
    long_b[sizeof(long_b) - 2] = 'y'; /* differs after the kept prefix */
    add_key(long_a, "alice");
    add_key(long_b, "alice");
    cr_assert_eq(acl.log.count, 2);
    const struct acl_log_entry *entry = acl_log_at(&acl, 0);
    cr_assert_eq(entry->object.size, sizeof(long_b) - 1);
    cr_assert_eq(entry->object.kept_size, ACL_LOG_TEXT_SIZE_MAX);
    cr_assert_eq(memcmp(entry->object.bytes, long_b, ACL_LOG_TEXT_SIZE_MAX), 0);
    add_key(long_a, "alice");
    cr_assert_eq(acl.log.count, 2);
    cr_assert_eq(acl_log_at(&acl, 0)->count, 2);
    /* Binary objects: NUL bytes are kept and compared. */
    acl_log_add(&acl, &client, ACL_LOG_KEY, (struct slice){ (const uint8_t *)"a\0b", 3 },
                s("alice"));
    acl_log_add(&acl, &client, ACL_LOG_KEY, (struct slice){ (const uint8_t *)"a\0c", 3 },
                s("alice"));
    cr_assert_eq(acl.log.count, 4);
    cr_assert_eq(acl_log_at(&acl, 0)->object.kept_size, 3);
    /* An empty object is an object too. */
    add_key("", "alice");
    add_key("", "alice");
    cr_assert_eq(acl.log.count, 5);
    cr_assert_eq(acl_log_at(&acl, 0)->count, 2);
}

Test(acl_log, client_info_and_denials) {
    static struct slice argv[3];
    argv[0] = s("get");
    argv[1] = s("secret");
    client.argv.items = argv;
    client.argv.count = 2;
    client.argv.capacity = 3;
    client.db_index = 3;
    acl_log_denied(&acl, &client, ACL_DENIED_KEY, 0, 1);
    const struct acl_log_entry *entry = acl_log_at(&acl, 0);
    cr_assert_eq(entry->reason, ACL_LOG_KEY);
    cr_assert(object_is(0, "secret"));
    char info[ACL_LOG_CLIENT_INFO_SIZE_MAX + 1];
    memcpy(info, entry->client_info, entry->client_info_size);
    info[entry->client_info_size] = 0;
    cr_assert(strncmp(info, "id=7 addr=127.0.0.1:40000 laddr= fd=-1 name= age=", 49) == 0,
              "%s", info);
    cr_assert(strstr(info, " flags=N db=3 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 "
                           "qbuf-free=16384 argv-mem=9 multi-mem=0 ") != NULL, "%s", info);
    cr_assert(strstr(info, " events=r cmd=get user=default redir=-1 resp=2") != NULL, "%s",
              info);
    cr_assert_eq(strlen(info), entry->client_info_size);
    /* A denied command logs its full name. */
    argv[0] = s("config");
    argv[1] = s("SET");
    argv[2] = s("x");
    client.argv.count = 3;
    uint32_t id = acl_resolve(&acl, commands_lookup(s("config")), argv, 3, NULL);
    acl_log_denied(&acl, &client, ACL_DENIED_COMMAND, id, 0);
    cr_assert(object_is(0, "config|set"));
    memcpy(info, acl_log_at(&acl, 0)->client_info, acl_log_at(&acl, 0)->client_info_size);
    info[acl_log_at(&acl, 0)->client_info_size] = 0;
    cr_assert(strstr(info, " cmd=config|set user=default ") != NULL, "%s", info);
    cr_assert_str_eq(acl_log_reason_name(ACL_LOG_COMMAND), "command");
    cr_assert_str_eq(acl_log_context_name(ACL_LOG_TOPLEVEL), "toplevel");
}

Test(acl_log, failed_auth_is_logged_with_the_command_as_typed) {
    static struct slice argv[3];
    argv[0] = s("aUtH");
    argv[1] = s("nobody");
    argv[2] = s("pw");
    client.argv.items = argv;
    client.argv.count = 3;
    cr_assert_not(acl_authenticate(&acl, &client, s("nobody"), s("pw")));
    cr_assert_eq(acl.log.count, 1);
    const struct acl_log_entry *entry = acl_log_at(&acl, 0);
    cr_assert_eq(entry->reason, ACL_LOG_AUTH);
    cr_assert(object_is(0, "aUtH"));
    cr_assert(slice_equal((struct slice){ entry->username.bytes, entry->username.kept_size },
                          s("nobody")));
    cr_assert_eq(acl.stats.denied_auth, 1);
    /* A success logs nothing. */
    cr_assert(acl_authenticate(&acl, &client, s("default"), s("whatever")));
    cr_assert_eq(acl.log.count, 1);
}

Test(acl_log, without_a_ring_denials_are_only_counted) {
    acl_log_init(&acl, NULL, 0);
    add_key("a", "alice");
    cr_assert_eq(acl.log.count, 0);
    cr_assert_eq(acl.stats.denied_key, 1);
}
