/*
 * test_clientinfo.c: unit tests for the CLIENT LIST line (src/clientinfo.c),
 * the one formatter behind CLIENT LIST, CLIENT INFO and ACL LOG's client-info:
 * Redis 7.0.15's field order, its flag letters and their order (O P x b d c A
 * e, N when none), cmd= (the running command, else the last one, else NULL),
 * sub/psub/multi from the pub/sub and transaction state, and truncation.
 */
#include "clientinfo.h"

#include "acl.h"
#include "commands.h"
#include "multi.h"
#include "server.h"

#include <criterion/criterion.h>

#define POOL_USERS 4u

static struct acl acl;
static uint64_t pool[POOL_USERS * (sizeof(struct acl_user) + sizeof(uint32_t)) / 8 + 1];
static struct client client;
static char line[CLIENTINFO_LINE_SIZE_MAX];

static void setup(void) {
    memset(pool, 0, sizeof(pool));
    acl_init(&acl, pool, POOL_USERS);
    memset(&client, 0, sizeof(client));
    client.id = 42;
    client.fd = -1;
    client.state = CLIENT_OPEN;
    client.argv.items = client.argv_inline;
    client.argv.capacity = CLIENT_ARGV_INLINE_COUNT;
    client.reply.protocol = 2;
    client.input_capacity = 16384;
    client.created_ms = 10000;
    client.last_interaction_ms = 12000;
    snprintf(client.address, sizeof(client.address), "127.0.0.1:40000");
}

TestSuite(clientinfo, .init = setup);

static const char *format(void) {
    uint32_t size = clientinfo_format(&acl, &client, 15500, line, sizeof(line));
    cr_assert_eq(strlen(line), size);
    return line;
}

Test(clientinfo, fresh_client_line) {
    /* tot-mem: the client record and its input buffer (no argv array, no output). */
    char expected[CLIENTINFO_LINE_SIZE_MAX];
    snprintf(expected, sizeof(expected),
             "id=42 addr=127.0.0.1:40000 laddr= fd=-1 name= age=5 idle=3 flags=N db=0 "
             "sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=16384 argv-mem=0 "
             "multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=%zu events=r "
             "cmd=NULL user=default redir=-1 resp=2", sizeof(struct client) + 16384);
    cr_assert_str_eq(format(), expected);
}

Test(clientinfo, flags_in_redis_order) {
    client.monitor = true;
    client.multi_flags = MULTI_ACTIVE | MULTI_DIRTY_CAS;
    client.postponed = true;
    client.state = CLIENT_DRAINING;
    client.no_evict = true;
    char flags[32];
    clientinfo_flags(&client, flags, sizeof(flags));
    cr_assert_str_eq(flags, "Oxbdce");
    client.state = CLIENT_CLOSING;
    clientinfo_flags(&client, flags, sizeof(flags));
    cr_assert_str_eq(flags, "OxbdAe");
    cr_assert(strstr(format(), " events= cmd=") != NULL, "%s", line);
}

Test(clientinfo, pubsub_and_multi_counts) {
    client.pubsub.channel_count = 3;
    client.pubsub.pattern_count = 1;
    client.multi_flags = MULTI_ACTIVE;
    client.multi_count = 2;
    client.multi_size = 99;
    cr_assert(strstr(format(), " flags=Px db=0 sub=3 psub=1 ssub=0 multi=2 ") != NULL, "%s",
              line);
    cr_assert(strstr(line, " multi-mem=99 ") != NULL, "%s", line);
}

Test(clientinfo, running_then_last_command) {
    static struct slice argv[3];
    argv[0] = slice_from_cstr("CONFIG");
    argv[1] = slice_from_cstr("get");
    argv[2] = slice_from_cstr("maxmemory");
    client.argv.items = argv;
    client.argv.count = 3;
    cr_assert(strstr(format(), " argv-mem=18 ") != NULL, "%s", line);
    cr_assert(strstr(line, " cmd=config|get ") != NULL, "%s", line);
    uint32_t id = acl_resolve(&acl, commands_lookup(argv[0]), argv, 3, NULL);
    client.argv.count = 0;
    client.last_command_index = id + 1;
    cr_assert(strstr(format(), " cmd=config|get ") != NULL, "%s", line);
    cr_assert(strstr(line, " argv-mem=0 ") != NULL, "%s", line);
}

Test(clientinfo, name_db_resp_and_qbuf) {
    memset(client.name, 'n', CLIENT_NAME_SIZE_MAX - 1);
    client.name[CLIENT_NAME_SIZE_MAX - 1] = 0;
    client.db_index = 9;
    client.reply.protocol = 3;
    client.input_end = 100;
    client.parser.command_start = 40;
    client.parser.cursor = 70;
    format();
    cr_assert(strstr(line, " db=9 ") != NULL, "%s", line);
    cr_assert(strstr(line, " qbuf=60 qbuf-free=16284 ") != NULL, "%s", line);
    cr_assert(strstr(line, " resp=3") != NULL, "%s", line);
    cr_assert(strstr(line, " name=nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn "
                           "age=") != NULL, "%s", line);
    /* A held command's bytes are consumed: Redis shows the rest only. */
    client.postponed = true;
    cr_assert(strstr(format(), " qbuf=30 ") != NULL, "%s", line);
}

Test(clientinfo, truncated_to_the_buffer) {
    char small[16];
    uint32_t size = clientinfo_format(&acl, &client, 15500, small, sizeof(small));
    cr_assert_eq(size, sizeof(small) - 1);
    cr_assert_str_eq(small, "id=42 addr=127.");
}
