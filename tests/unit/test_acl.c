/*
 * test_acl.c: unit tests for users, rules and permission checks (src/acl.c).
 *
 * Each test builds its own ACL state over a small static user pool. Besides
 * hand-picked rules (answers checked against redis-server 7.0.15), a seeded
 * random search checks that the rules ACL LIST derives from any bitmap
 * rebuild exactly that bitmap.
 */
#include "acl.h"

#include "commands.h"
#include "server.h"

#include <criterion/criterion.h>
#include <time.h>

#define POOL_USERS 4u

static struct acl acl;
static uint64_t pool[POOL_USERS * (sizeof(struct acl_user) + sizeof(uint32_t)) / 8 + 1];

static void setup(void) {
    cr_assert_eq(acl_user_unit_size(), sizeof(struct acl_user) + sizeof(uint32_t));
    memset(pool, 0, sizeof(pool));
    acl_init(&acl, pool, POOL_USERS);
}

TestSuite(acl, .init = setup);

static struct slice s(const char *text) {
    return slice_from_cstr(text);
}

/* ACL SETUSER name rules... (a NULL-terminated list); returns the status. */
static enum acl_setuser_status setuser_list(const char *name, const char *const *rules,
                                            struct acl_setuser_result *result) {
    struct slice slices[32];
    uint32_t count = 0;
    while (rules[count] != NULL) {
        cr_assert_lt(count, 32);
        slices[count] = s(rules[count]);
        count++;
    }
    return acl_setuser(&acl, s(name), slices, count, result);
}

/* SETUSER(name, rules...): the first word is the name. */
static enum acl_setuser_status setuser_words(const char *const *words) {
    struct acl_setuser_result result = { 0, NULL };
    return setuser_list(words[0], words + 1, &result);
}

#define SETUSER(...) setuser_words((const char *const[]){ __VA_ARGS__, NULL })

/* The reason one rule fails with on a fresh user, or NULL. */
static const char *rule_error(const char *name, const char *rule) {
    struct acl_setuser_result result = { 0, NULL };
    enum acl_setuser_status status = setuser_list(name, (const char *const[]){ rule, NULL },
                                                  &result);
    return status == ACL_SETUSER_BAD_RULE ? result.error : NULL;
}

static struct acl_user *user(const char *name) {
    struct acl_user *found = acl_user_find(&acl, s(name));
    cr_assert_not_null(found, "no user %s", name);
    return found;
}

static const char *describe(const char *name) {
    static char text[4096];
    struct acl_rules rules;
    acl_describe_commands(&acl, user(name), &rules);
    struct acl_text sink = { .reply = NULL, .buffer = text, .capacity = sizeof(text) - 1 };
    acl_text_rules(&acl, &rules, &sink);
    cr_assert_lt(sink.size, sizeof(text));
    text[sink.size] = 0;
    return text;
}

static const char *list_line(const char *name) {
    static char text[4096];
    struct acl_rules rules;
    acl_describe_commands(&acl, user(name), &rules);
    struct acl_text sink = { .reply = NULL, .buffer = text, .capacity = sizeof(text) - 1 };
    acl_text_user(&acl, user(name), &rules, &sink);
    cr_assert_lt(sink.size, sizeof(text));
    text[sink.size] = 0;
    return text;
}

static uint32_t id_of(const char *name) {
    char base[64];
    const char *bar = strchr(name, '|');
    snprintf(base, sizeof(base), "%.*s", bar ? (int)(bar - name) : (int)strlen(name), name);
    struct command *command = commands_lookup(s(base));
    cr_assert_not_null(command, "%s", name);
    struct slice argv[2] = { s(base), s(bar ? bar + 1 : "") };
    bool known = true;
    uint32_t id = acl_resolve(&acl, command, argv, bar ? 2 : 1, &known);
    cr_assert(known, "%s", name);
    return id;
}

/* Checks argv (a NULL-terminated list) for a user; *key_index on a key denial. */
static enum acl_verdict check(const char *name, const char *const *words, uint32_t *key_index) {
    struct slice argv[32];
    uint32_t argc = 0;
    while (words[argc] != NULL) {
        argv[argc] = s(words[argc]);
        argc++;
    }
    struct command *command = commands_lookup(argv[0]);
    cr_assert_not_null(command);
    uint32_t id = acl_resolve(&acl, command, argv, argc, NULL);
    uint32_t ignored = 0;
    return acl_check(&acl, user(name), id, argv, argc, key_index ? key_index : &ignored);
}

#define CHECK(name, ...) check((name), (const char *const[]){ __VA_ARGS__, NULL }, NULL)
#define DENIED_KEY_AT(name, index, ...)                                                    \
    do {                                                                                   \
        uint32_t at = 0;                                                                   \
        cr_assert_eq(check((name), (const char *const[]){ __VA_ARGS__, NULL }, &at),       \
                     ACL_DENIED_KEY);                                                      \
        cr_assert_eq(at, (index));                                                         \
    } while (0)

/* ==== The default user and the id table ==== */

Test(acl, default_user) {
    cr_assert_eq(acl.user_count, 1);
    struct acl_user *defaults = user("default");
    cr_assert_eq(acl_user_index(&acl, defaults), ACL_USER_DEFAULT);
    cr_assert(defaults->enabled && defaults->nopass && defaults->allkeys);
    cr_assert(defaults->allchannels && defaults->allcommands);
    cr_assert_str_eq(list_line("default"), "user default on nopass ~* &* +@all");
    cr_assert(acl_default_nopass(&acl));
    cr_assert_null(acl_user_find(&acl, s("Default")));
    cr_assert_null(acl_user_find(&acl, s("")));
}

Test(acl, id_table) {
    cr_assert_eq(acl.command_count, commands_count());
    cr_assert_gt(acl.id_count, acl.command_count);
    cr_assert_lt(acl.id_count, ACL_ID_FUTURE);
    char name[ACL_ID_NAME_SIZE_MAX];
    acl_id_name(&acl, id_of("config|get"), name, sizeof(name));
    cr_assert_str_eq(name, "config|get");
    acl_id_name(&acl, id_of("get"), name, sizeof(name));
    cr_assert_str_eq(name, "get");
    /* Subcommands: Redis's arity and categories. */
    cr_assert(acl_arity_ok(&acl, id_of("config|get"), 3));
    cr_assert_not(acl_arity_ok(&acl, id_of("config|get"), 2));
    cr_assert_not(acl_arity_ok(&acl, id_of("acl|whoami"), 3));
    uint32_t admin = acl_category_find(s("ADMIN"));
    cr_assert_str_eq(acl_category_name(admin), "admin");
    cr_assert(acl.entries[id_of("config|set")].categories & (1u << admin));
    cr_assert_not(acl.entries[id_of("acl|whoami")].categories & (1u << admin));
    cr_assert_eq(acl_category_find(s("all")), ACL_CATEGORY_COUNT);
    /* An unknown subcommand resolves to its container. */
    struct slice argv[2] = { s("config"), s("nosuch") };
    bool known = true;
    uint32_t id = acl_resolve(&acl, commands_lookup(argv[0]), argv, 2, &known);
    cr_assert_not(known);
    cr_assert_eq(id, id_of("config"));
}

/* ==== Rules ==== */

Test(acl, flags_and_passwords) {
    cr_assert_eq(SETUSER("alice"), ACL_SETUSER_OK);
    cr_assert_str_eq(list_line("alice"), "user alice off resetchannels -@all");
    cr_assert_eq(SETUSER("alice", "on", ">a", ">b", ">a"), ACL_SETUSER_OK);
    cr_assert_eq(user("alice")->password_count, 2);
    cr_assert_eq(SETUSER("alice", "<a"), ACL_SETUSER_OK);
    cr_assert_eq(user("alice")->password_count, 1);
    cr_assert_str_eq(rule_error("alice", "<a"),
                     "The password you are trying to remove from the user does not exist");
    cr_assert_eq(SETUSER("alice", "nopass"), ACL_SETUSER_OK);
    cr_assert(user("alice")->nopass);
    cr_assert_eq(user("alice")->password_count, 0);
    cr_assert_eq(SETUSER("alice", ">x"), ACL_SETUSER_OK);
    cr_assert_not(user("alice")->nopass);
    cr_assert_eq(SETUSER("alice", "resetpass"), ACL_SETUSER_OK);
    cr_assert_not(user("alice")->nopass);
    cr_assert_eq(user("alice")->password_count, 0);
    /* "#" takes 64 lower-case hex digits; ">" hashes with SHA-256. */
    cr_assert_eq(SETUSER("alice", ">"), ACL_SETUSER_OK);
    char hash[ACL_HASH_TEXT_SIZE + 1] = { 0 };
    acl_hash_text(user("alice")->passwords[0], hash);
    cr_assert_str_eq(hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char rule[ACL_HASH_TEXT_SIZE + 2];
    snprintf(rule, sizeof(rule), "!%s", hash);
    cr_assert_null(rule_error("alice", rule));
    cr_assert_eq(user("alice")->password_count, 0);
    rule[0] = '#';
    cr_assert_null(rule_error("alice", rule));
    cr_assert_eq(user("alice")->password_count, 1);
    rule[1] = 'E'; /* upper case is refused */
    cr_assert_not_null(rule_error("alice", rule));
    cr_assert_not_null(rule_error("alice", "#abc"));
    cr_assert_eq(SETUSER("alice", "skip-sanitize-payload", "reset"), ACL_SETUSER_OK);
    cr_assert_str_eq(list_line("alice"), "user alice off sanitize-payload resetchannels -@all");
}

Test(acl, password_limit) {
    cr_assert_eq(SETUSER("p", ">0", ">1", ">2", ">3", ">4", ">5", ">6", ">7"), ACL_SETUSER_OK);
    cr_assert_eq(user("p")->password_count, ACL_PASSWORDS_MAX);
    cr_assert_null(rule_error("p", ">7"));
    cr_assert_str_eq(rule_error("p", ">8"), "A user can have at most 8 passwords in keel");
    cr_assert_eq(SETUSER("p", "<0", ">8"), ACL_SETUSER_OK);
}

Test(acl, key_and_channel_patterns) {
    cr_assert_eq(SETUSER("k", "~a*", "~b?", "~a*", "&news", "&news"), ACL_SETUSER_OK);
    cr_assert_eq(user("k")->keys.count, 2);
    cr_assert_eq(user("k")->channels.count, 1);
    cr_assert(acl_key_allowed(user("k"), s("apple")));
    cr_assert(acl_key_allowed(user("k"), s("bx")));
    cr_assert_not(acl_key_allowed(user("k"), s("bxx")));
    cr_assert_not(acl_key_allowed(user("k"), s("A")));
    cr_assert_str_eq(list_line("k"), "user k off ~a* ~b? resetchannels &news -@all");
    cr_assert_not_null(rule_error("k", "~a b"));
    cr_assert_not_null(rule_error("k", "&a\tb"));
    cr_assert_eq(SETUSER("k", "allkeys"), ACL_SETUSER_OK);
    cr_assert(acl_key_allowed(user("k"), s("anything")));
    cr_assert_str_eq(rule_error("k", "~x"),
                     "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid "
                     "and does not have any effect. Try 'resetkeys' to start with an empty list "
                     "of patterns");
    cr_assert_eq(SETUSER("k", "resetkeys", "~x"), ACL_SETUSER_OK);
    cr_assert_not(acl_key_allowed(user("k"), s("anything")));
    cr_assert_eq(SETUSER("k", "&*"), ACL_SETUSER_OK);
    cr_assert_not_null(rule_error("k", "&y"));
    cr_assert_str_eq(list_line("k"), "user k off ~x &* -@all");
}

Test(acl, pattern_area_limit) {
    char rule[ACL_KEY_AREA_SIZE + 2];
    memset(rule, 'k', sizeof(rule));
    rule[0] = '~';
    rule[ACL_KEY_AREA_SIZE - 2 + 1] = 0; /* a pattern of area - 2 bytes: fills the area */
    cr_assert_null(rule_error("big", rule));
    cr_assert_eq(user("big")->keys.used_size, ACL_KEY_AREA_SIZE);
    cr_assert_null(rule_error("big", rule)); /* the same pattern again: nothing to add */
    cr_assert_not_null(rule_error("big", "~z"));
    rule[ACL_KEY_AREA_SIZE - 2 + 1] = 'k';
    rule[ACL_KEY_AREA_SIZE - 1 + 1] = 0; /* one byte more than fits */
    cr_assert_not_null(rule_error("other", rule));
    cr_assert_null(acl_user_find(&acl, s("other")));
}

Test(acl, command_rules) {
    cr_assert_eq(SETUSER("c", "+get", "+config|get"), ACL_SETUSER_OK);
    cr_assert(acl_command_bit(user("c"), id_of("get")));
    cr_assert(acl_command_bit(user("c"), id_of("config|get")));
    cr_assert_not(acl_command_bit(user("c"), id_of("config")));
    cr_assert_eq(SETUSER("c", "+config"), ACL_SETUSER_OK);
    cr_assert(acl_command_bit(user("c"), id_of("config|set")));
    cr_assert_eq(SETUSER("c", "-config|set"), ACL_SETUSER_OK);
    cr_assert_not(acl_command_bit(user("c"), id_of("config|set")));
    cr_assert_eq(SETUSER("c", "allcommands"), ACL_SETUSER_OK);
    cr_assert(user("c")->allcommands);
    cr_assert_eq(SETUSER("c", "-get"), ACL_SETUSER_OK);
    cr_assert_not(user("c")->allcommands);
    cr_assert_str_eq(describe("c"), "+@all -get");
    cr_assert_eq(SETUSER("c", "nocommands", "+@read", "-@string"), ACL_SETUSER_OK);
    cr_assert(acl_command_bit(user("c"), id_of("object|encoding")));
    cr_assert_not(acl_command_bit(user("c"), id_of("get")));
    cr_assert(acl_command_bit(user("c"), id_of("hget")));
}

Test(acl, rule_errors) {
    const char *unknown = "Unknown command or category name in ACL";
    cr_assert_str_eq(rule_error("u", "+nosuch"), unknown);
    cr_assert_str_eq(rule_error("u", "-nosuch"), unknown);
    cr_assert_str_eq(rule_error("u", "+@nosuch"), unknown);
    cr_assert_str_eq(rule_error("u", "+@"), unknown);
    cr_assert_str_eq(rule_error("u", "+"), unknown);
    cr_assert_str_eq(rule_error("u", "+|x"), unknown);
    cr_assert_str_eq(rule_error("u", "-get|x"), unknown);
    cr_assert_str_eq(rule_error("u", "-config|"), unknown);
    cr_assert_str_eq(rule_error("u", "+config|nosuch"), unknown);
    cr_assert_str_eq(rule_error("u", "+config|get|x"),
                     "Allowing first-arg of a subcommand is not supported");
    cr_assert_str_eq(rule_error("u", "+config|"), "Syntax error");
    cr_assert_str_eq(rule_error("u", "bogus"), "Syntax error");
    cr_assert_str_eq(rule_error("u", "%Z~x"), "Syntax error");
    cr_assert_not_null(rule_error("u", "%R~x"));
    cr_assert_not_null(rule_error("u", "+select|0"));
    cr_assert_not_null(rule_error("u", "(+get)"));
    cr_assert_null(rule_error("u", "clearselectors"));
    cr_assert_null(rule_error("u", ""));
    cr_assert_null(rule_error("u", "+CONFIG|GET"));
    cr_assert_null(rule_error("u", "-@ALL"));
}

/* ==== ACL SETUSER and DELUSER ==== */

Test(acl, setuser_names_and_atomicity) {
    cr_assert_eq(SETUSER("a b"), ACL_SETUSER_BAD_NAME);
    cr_assert_eq(acl_setuser(&acl, (struct slice){ (const uint8_t *)"a\0b", 3 }, NULL, 0,
                             &(struct acl_setuser_result){ 0, NULL }),
                 ACL_SETUSER_BAD_NAME);
    char long_name[ACL_USER_NAME_SIZE_MAX + 2];
    memset(long_name, 'n', sizeof(long_name));
    long_name[ACL_USER_NAME_SIZE_MAX] = 0;
    cr_assert_eq(SETUSER(long_name), ACL_SETUSER_OK);
    long_name[ACL_USER_NAME_SIZE_MAX] = 'n';
    long_name[ACL_USER_NAME_SIZE_MAX + 1] = 0;
    cr_assert_eq(SETUSER(long_name), ACL_SETUSER_LONG_NAME);
    /* A failing rule leaves the user as it was (and creates nobody). */
    cr_assert_eq(SETUSER("u", "on", ">pw", "~a"), ACL_SETUSER_OK);
    struct acl_setuser_result result = { 0, NULL };
    cr_assert_eq(setuser_list("u", (const char *const[]){ "off", "resetpass", "+nosuch", NULL },
                              &result), ACL_SETUSER_BAD_RULE);
    cr_assert_eq(result.rule_index, 2);
    cr_assert(user("u")->enabled);
    cr_assert_eq(user("u")->password_count, 1);
    cr_assert_eq(setuser_list("v", (const char *const[]){ "on", "(+get", "x", NULL }, &result),
                 ACL_SETUSER_UNMATCHED);
    cr_assert_eq(result.rule_index, 1);
    cr_assert_null(acl_user_find(&acl, s("v")));
}

Test(acl, pool_and_order) {
    cr_assert_eq(SETUSER("zed"), ACL_SETUSER_OK);
    cr_assert_eq(SETUSER("abc"), ACL_SETUSER_OK);
    cr_assert_eq(SETUSER("ab"), ACL_SETUSER_OK);
    cr_assert_eq(acl.user_count, POOL_USERS);
    cr_assert_eq(SETUSER("more"), ACL_SETUSER_FULL);
    cr_assert_eq(SETUSER("zed", "on"), ACL_SETUSER_OK);
    const char *expected[] = { "ab", "abc", "default", "zed" };
    for (uint32_t index = 0; index < acl.user_count; index++) {
        struct acl_user *at = acl_user_at(&acl, index);
        cr_assert_eq(at->name_size, strlen(expected[index]));
        cr_assert_eq(memcmp(at->name, expected[index], at->name_size), 0);
    }
    cr_assert(acl_deluser(&acl, s("abc"), NULL));
    cr_assert_not(acl_deluser(&acl, s("abc"), NULL));
    cr_assert_eq(acl.user_count, POOL_USERS - 1);
    cr_assert_eq(SETUSER("more", "on"), ACL_SETUSER_OK);
    cr_assert(user("more")->enabled);
    cr_assert_str_eq(list_line("more"), "user more on resetchannels -@all");
    cr_assert_eq(SETUSER("again"), ACL_SETUSER_FULL);
}

/* ==== Credentials and connections ==== */

Test(acl, credentials) {
    cr_assert_eq(SETUSER("alice", "on", ">pw1", ">pw2"), ACL_SETUSER_OK);
    cr_assert(acl_check_credentials(&acl, s("alice"), s("pw1")));
    cr_assert(acl_check_credentials(&acl, s("alice"), s("pw2")));
    cr_assert_not(acl_check_credentials(&acl, s("alice"), s("pw3")));
    cr_assert_not(acl_check_credentials(&acl, s("nobody"), s("pw1")));
    cr_assert_eq(SETUSER("alice", "off"), ACL_SETUSER_OK);
    cr_assert_not(acl_check_credentials(&acl, s("alice"), s("pw1")));
    cr_assert_eq(SETUSER("bob", "on", "nopass"), ACL_SETUSER_OK);
    cr_assert(acl_check_credentials(&acl, s("bob"), s("anything")));
    cr_assert(acl_check_credentials(&acl, s("default"), s("")));
    /* Stale hashes past password_count never match. */
    cr_assert_eq(SETUSER("carol", "on", ">old", "resetpass"), ACL_SETUSER_OK);
    cr_assert_not(acl_check_credentials(&acl, s("carol"), s("old")));
}

Test(acl, default_password) {
    acl_set_default_password(&acl, (const uint8_t *)"sekret", 6);
    cr_assert_not(acl_default_nopass(&acl));
    cr_assert(acl_check_credentials(&acl, s("default"), s("sekret")));
    cr_assert_not(acl_check_credentials(&acl, s("default"), s("")));
    struct config before;
    struct config after;
    config_defaults(&before);
    config_defaults(&after);
    after.requirepass = (const uint8_t *)"new";
    after.requirepass_size = 3;
    /* Unchanged requirepass: default keeps what ACL SETUSER gave it. */
    cr_assert_eq(SETUSER("default", ">extra"), ACL_SETUSER_OK);
    acl_config_changed(&acl, &after, &after);
    cr_assert(acl_check_credentials(&acl, s("default"), s("extra")));
    acl_config_changed(&acl, &before, &after);
    cr_assert_not(acl_check_credentials(&acl, s("default"), s("extra")));
    cr_assert(acl_check_credentials(&acl, s("default"), s("new")));
    acl_config_changed(&acl, &after, &before);
    cr_assert(acl_default_nopass(&acl));
    cr_assert_str_eq(list_line("default"), "user default on nopass ~* &* +@all");
}

Test(acl, connections) {
    static struct client client;
    memset(&client, 0, sizeof(client));
    client.id = 7;
    client.acl_client_id = 3; /* a previous connection's: not this one's */
    client.acl_user_index = 2;
    cr_assert_eq(acl_client_user(&acl, &client), user("default"));
    acl_client_begin(&acl, &client);
    cr_assert(client.authenticated);
    cr_assert_eq(client.acl_user_index, ACL_USER_DEFAULT);
    cr_assert_eq(SETUSER("alice", "on", ">pw"), ACL_SETUSER_OK);
    cr_assert_not(acl_authenticate(&acl, &client, s("alice"), s("nope")));
    cr_assert_eq(acl_client_user(&acl, &client), user("default"));
    cr_assert(acl_authenticate(&acl, &client, s("alice"), s("pw")));
    cr_assert_eq(acl_client_user(&acl, &client), user("alice"));
    cr_assert(acl_authenticate(&acl, &client, s("default"), s("any"))); /* nopass */
    cr_assert_eq(acl.stats.denied_auth, 1);
    /* A new connection while default has a password starts unauthenticated. */
    acl_set_default_password(&acl, (const uint8_t *)"x", 1);
    client.id = 8;
    acl_client_begin(&acl, &client);
    cr_assert_not(client.authenticated);
    cr_assert_eq(acl_client_user(&acl, &client), user("default"));
}

/* ==== Checks ==== */

Test(acl, command_checks) {
    cr_assert_eq(SETUSER("u", "nopass", "allkeys", "-@all", "+get", "+config", "-config|set"),
                 ACL_SETUSER_OK);
    cr_assert_eq(CHECK("u", "get", "k"), ACL_ALLOWED);
    cr_assert_eq(CHECK("u", "GET", "k"), ACL_ALLOWED);
    cr_assert_eq(CHECK("u", "set", "k", "v"), ACL_DENIED_COMMAND);
    cr_assert_eq(CHECK("u", "config", "get", "x"), ACL_ALLOWED);
    cr_assert_eq(CHECK("u", "config", "SET", "x", "y"), ACL_DENIED_COMMAND);
    cr_assert_eq(CHECK("u", "config", "nosuch"), ACL_ALLOWED); /* the container's bit */
    cr_assert_eq(CHECK("u", "auth", "x"), ACL_ALLOWED);         /* no-auth commands */
    cr_assert_eq(CHECK("u", "acl", "whoami"), ACL_DENIED_COMMAND);
    cr_assert_eq(CHECK("default", "flushall"), ACL_ALLOWED);
}

Test(acl, key_checks) {
    cr_assert_eq(SETUSER("k", "+@all", "~a*"), ACL_SETUSER_OK);
    cr_assert_eq(CHECK("k", "get", "a1"), ACL_ALLOWED);
    DENIED_KEY_AT("k", 1, "get", "b");
    DENIED_KEY_AT("k", 3, "mget", "a", "a2", "b");
    cr_assert_eq(CHECK("k", "mset", "a1", "b", "a2", "c"), ACL_ALLOWED);
    DENIED_KEY_AT("k", 3, "mset", "a1", "1", "b", "2");
    DENIED_KEY_AT("k", 2, "rename", "a", "b");
    DENIED_KEY_AT("k", 2, "object", "encoding", "b");
    DENIED_KEY_AT("k", 2, "memory", "usage", "b", "samples", "5");
    cr_assert_eq(CHECK("k", "ping"), ACL_ALLOWED);
    cr_assert_eq(CHECK("k", "dbsize"), ACL_ALLOWED);
    /* numkeys: atoi()'d; out of range means no keys (the command answers). */
    DENIED_KEY_AT("k", 4, "zunionstore", "a1", "2", "a2", "b");
    DENIED_KEY_AT("k", 1, "zunionstore", "b", "1", "a");
    DENIED_KEY_AT("k", 4, "zunionstore", "a1", " 2x", "a2", "b");
    cr_assert_eq(CHECK("k", "zunionstore", "b", "5", "a2", "b"), ACL_ALLOWED);
    cr_assert_eq(CHECK("k", "zunionstore", "b", "0", "a2"), ACL_ALLOWED);
    cr_assert_eq(CHECK("k", "zunionstore", "b", "-1", "a2"), ACL_ALLOWED);
    cr_assert_eq(CHECK("k", "zunionstore", "b", "4294967297", "a2"), ACL_DENIED_KEY);
    cr_assert_eq(CHECK("k", "zunionstore", "b", "-4294967295", "a2"), ACL_DENIED_KEY);
    cr_assert_eq(CHECK("k", "zunionstore", "b", "99999999999999999999", "a2"), ACL_ALLOWED);
    cr_assert_eq(CHECK("k", "zunionstore", "b", "-99999999999999999999", "a2"), ACL_ALLOWED);
    cr_assert_eq(CHECK("k", "zunionstore", "b", "+1", "a2"), ACL_DENIED_KEY);
    DENIED_KEY_AT("k", 3, "zunion", "2", "a", "b");
    DENIED_KEY_AT("k", 3, "lmpop", "2", "a", "b", "left");
    DENIED_KEY_AT("k", 3, "sintercard", "2", "a", "b");
    /* SORT: the key and the last STORE target; BY and GET patterns are not keys. */
    DENIED_KEY_AT("k", 1, "sort", "b");
    cr_assert_eq(CHECK("k", "sort", "a", "by", "b", "get", "c", "limit", "0", "1"), ACL_ALLOWED);
    DENIED_KEY_AT("k", 3, "sort", "a", "store", "b");
    DENIED_KEY_AT("k", 5, "sort", "a", "store", "a2", "store", "b");
    cr_assert_eq(CHECK("k", "sort", "a", "get", "store", "x"), ACL_ALLOWED);
    cr_assert_eq(CHECK("k", "sort", "a", "store"), ACL_ALLOWED);
}

/* ==== Descriptions ==== */

Test(acl, descriptions) {
    struct {
        const char *rules[6];
        const char *expected;
    } cases[] = {
        { { "-@all", "+config|get" }, "-@all +config|get" },
        { { "+@all", "-config|set" }, "+@all -config|set" },
        { { "-@all", "+config", "-config|set" }, "-@all +config -config|set" },
        { { "-@all", "+@read", "-get" }, "-@all +@read -get" },
        { { "+@all", "-@admin", "+config|get" }, "+@all -@admin +config|get" },
        { { "-@all", "+@admin" }, "-@all +@admin" },
        { { "+@all", "-@dangerous" }, "+@all -@dangerous" },
        { { "+@all", "-config" }, "+@all -config" },
        { { "-@all", "+@slow" }, "-@all +@slow" },
        { { "allcommands", "-get", "nocommands", "+set" }, "-@all +set" },
        { { "+@all", "-@read", "+@read" }, "+@all" },
        { { "-@all", "+get", "+set", "+ttl" }, "-@all +get +set +ttl" },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        struct slice rules[6];
        uint32_t count = 0;
        while (count < 6 && cases[index].rules[count] != NULL) {
            rules[count] = s(cases[index].rules[count]);
            count++;
        }
        struct acl_setuser_result result = { 0, NULL };
        cr_assert_eq(acl_setuser(&acl, s("d"), rules, count, &result), ACL_SETUSER_OK);
        cr_assert_str_eq(describe("d"), cases[index].expected, "case %u", index);
        cr_assert(acl_deluser(&acl, s("d"), NULL));
    }
}

/* Applies a description's words to a fresh user: the bitmap must come back. */
static void check_round_trip(const char *name) {
    char text[8192];
    struct acl_rules rules;
    acl_describe_commands(&acl, user(name), &rules);
    struct acl_text sink = { .reply = NULL, .buffer = text, .capacity = sizeof(text) - 1 };
    acl_text_rules(&acl, &rules, &sink);
    cr_assert_lt(sink.size, sizeof(text));
    text[sink.size] = 0;
    static struct acl_user copy;
    memset(&copy, 0, sizeof(copy));
    copy.in_use = true;
    char *word = strtok(text, " ");
    for (uint32_t words = 0; word != NULL && words < ACL_RULES_MAX; words++) {
        cr_assert_null(acl_user_apply(&acl, &copy, s(word)), "%s", word);
        word = strtok(NULL, " ");
    }
    cr_assert_eq(memcmp(copy.commands, user(name)->commands, sizeof(copy.commands)), 0);
}

Test(acl, description_round_trip) {
    uint64_t seed = (uint64_t)time(NULL);
    srand((unsigned)seed);
    for (uint32_t round = 0; round < 300; round++) {
        cr_assert_eq(SETUSER("r", rand() % 2 ? "+@all" : "-@all"), ACL_SETUSER_OK);
        uint32_t steps = (uint32_t)(rand() % 12);
        for (uint32_t step = 0; step < steps; step++) {
            char rule[ACL_ID_NAME_SIZE_MAX + 4];
            bool allow = rand() % 2;
            if (rand() % 3 == 0) {
                uint32_t category = (uint32_t)rand() % ACL_CATEGORY_COUNT;
                snprintf(rule, sizeof(rule), "%c@%s", allow ? '+' : '-',
                         acl_category_name(category));
            } else {
                char name[ACL_ID_NAME_SIZE_MAX];
                acl_id_name(&acl, (uint32_t)rand() % acl.id_count, name, sizeof(name));
                snprintf(rule, sizeof(rule), "%c%s", allow ? '+' : '-', name);
            }
            cr_assert_null(acl_user_apply(&acl, user("r"), s(rule)), "%s", rule);
        }
        check_round_trip("r");
    }
    cr_log_info("seed %llu", (unsigned long long)seed);
}
