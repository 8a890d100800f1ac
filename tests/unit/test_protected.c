/*
 * test_protected.c: unit tests for protected mode's decision (src/acl.c:
 * acl_protected_mode_refuses, acl_address_loopback).
 *
 * Redis 7.0.15 (checked on the wire): with protected-mode yes and no password
 * for `default`, a non-loopback peer gets -DENIED whatever `bind` says (Redis 6
 * skipped the check when bind was set explicitly; 7.0 does not). keel takes
 * 127.0.0.0/8 and ::1 as loopback, as Redis 7.2 does (7.0.15 compares the peer
 * text with "127.0.0.1" exactly and so refuses 127.0.0.2). An IPv4-mapped
 * ::ffff:127.0.0.1 is not loopback in either (keel's IPv6 listeners are
 * IPV6_V6ONLY, so none arrives).
 */
#include "acl.h"

#include "config.h"
#include "server.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>

#define POOL_USERS 4u

static struct acl acl;
static uint64_t pool[POOL_USERS * (sizeof(struct acl_user) + sizeof(uint32_t)) / 8 + 1];
static struct config config;

static void setup(void) {
    memset(pool, 0, sizeof(pool));
    acl_init(&acl, pool, POOL_USERS);
    config_defaults(&config);
}

TestSuite(protected, .init = setup);

static struct sockaddr_storage ipv4(const char *text) {
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof(storage));
    struct sockaddr_in *address = (struct sockaddr_in *)&storage;
    address->sin_family = AF_INET;
    address->sin_port = htons(40000);
    cr_assert_eq(inet_pton(AF_INET, text, &address->sin_addr), 1, "%s", text);
    return storage;
}

static struct sockaddr_storage ipv6(const char *text) {
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof(storage));
    struct sockaddr_in6 *address = (struct sockaddr_in6 *)&storage;
    address->sin6_family = AF_INET6;
    address->sin6_port = htons(40000);
    cr_assert_eq(inet_pton(AF_INET6, text, &address->sin6_addr), 1, "%s", text);
    return storage;
}

static bool refuses_ipv4(const char *text) {
    struct sockaddr_storage peer = ipv4(text);
    return acl_protected_mode_refuses(&acl, &config, &peer);
}

static bool refuses_ipv6(const char *text) {
    struct sockaddr_storage peer = ipv6(text);
    return acl_protected_mode_refuses(&acl, &config, &peer);
}

static void set_bind(const char *const *addresses, uint32_t count) {
    memset(config.bind, 0, sizeof(config.bind));
    for (uint32_t index = 0; index < count; index++) {
        snprintf(config.bind[index], sizeof(config.bind[index]), "%s", addresses[index]);
    }
    config.bind_count = count;
}

Test(protected, loopback_ipv4) {
    static const char *const loopback[] = { "127.0.0.1", "127.0.0.2", "127.1.2.3",
                                            "127.255.255.255", "127.0.0.0" };
    for (uint32_t index = 0; index < ARRAY_COUNT(loopback); index++) {
        struct sockaddr_storage address = ipv4(loopback[index]);
        cr_assert(acl_address_loopback(&address), "%s", loopback[index]);
    }
    static const char *const remote[] = { "192.0.2.2", "10.0.0.1", "0.0.0.0", "128.0.0.1",
                                          "126.255.255.255", "255.255.255.255", "1.127.0.1" };
    for (uint32_t index = 0; index < ARRAY_COUNT(remote); index++) {
        struct sockaddr_storage address = ipv4(remote[index]);
        cr_assert_not(acl_address_loopback(&address), "%s", remote[index]);
    }
}

Test(protected, loopback_ipv6) {
    struct sockaddr_storage address = ipv6("::1");
    cr_assert(acl_address_loopback(&address));
    address = ipv6("0:0:0:0:0:0:0:1");
    cr_assert(acl_address_loopback(&address));
    static const char *const remote[] = { "::", "::2", "fd00::2", "fe80::1", "2001:db8::1",
                                          "1::1", "::ffff:127.0.0.1", "::ffff:192.0.2.2",
                                          "::127.0.0.1" };
    for (uint32_t index = 0; index < ARRAY_COUNT(remote); index++) {
        address = ipv6(remote[index]);
        cr_assert_not(acl_address_loopback(&address), "%s", remote[index]);
    }
}

Test(protected, unknown_family_is_not_loopback) {
    /* getpeername failed or an odd family: fail closed, as Redis's connIsLocal != 1. */
    struct sockaddr_storage address;
    memset(&address, 0, sizeof(address));
    cr_assert_not(acl_address_loopback(&address));
    cr_assert(acl_protected_mode_refuses(&acl, &config, &address));
}

Test(protected, defaults_refuse_remote_peers_only) {
    cr_assert(config.protected_mode);
    cr_assert(acl_default_nopass(&acl));
    cr_assert_not(refuses_ipv4("127.0.0.1"));
    cr_assert_not(refuses_ipv4("127.0.0.2"));
    cr_assert_not(refuses_ipv6("::1"));
    cr_assert(refuses_ipv4("192.0.2.2"));
    cr_assert(refuses_ipv4("10.1.2.3"));
    cr_assert(refuses_ipv6("fd00::2"));
    cr_assert(refuses_ipv6("::ffff:127.0.0.1"));
}

Test(protected, protected_mode_no_allows_everyone) {
    config.protected_mode = false;
    cr_assert_not(refuses_ipv4("192.0.2.2"));
    cr_assert_not(refuses_ipv6("fd00::2"));
    cr_assert_not(refuses_ipv4("127.0.0.1"));
}

Test(protected, a_password_for_default_allows_everyone) {
    acl_set_default_password(&acl, (const uint8_t *)"secret", 6);
    cr_assert_not(acl_default_nopass(&acl));
    cr_assert_not(refuses_ipv4("192.0.2.2"));
    cr_assert_not(refuses_ipv6("fd00::2"));
    /* requirepass "" makes default nopass again: protected again. */
    acl_set_default_password(&acl, NULL, 0);
    cr_assert(refuses_ipv4("192.0.2.2"));
}

Test(protected, acl_setuser_password_counts_too) {
    /* Redis looks at default's nopass flag, however it was cleared. */
    struct slice rule = slice_from_cstr(">pw");
    struct acl_setuser_result result = { 0, NULL };
    cr_assert_eq(acl_setuser(&acl, slice_from_cstr("default"), &rule, 1, &result),
                 ACL_SETUSER_OK);
    cr_assert_not(refuses_ipv4("192.0.2.2"));
    rule = slice_from_cstr("nopass");
    cr_assert_eq(acl_setuser(&acl, slice_from_cstr("default"), &rule, 1, &result),
                 ACL_SETUSER_OK);
    cr_assert(refuses_ipv4("192.0.2.2"));
    /* A disabled default with nopass still counts as "no password" (Redis checks the flag). */
    rule = slice_from_cstr("off");
    cr_assert_eq(acl_setuser(&acl, slice_from_cstr("default"), &rule, 1, &result),
                 ACL_SETUSER_OK);
    cr_assert(refuses_ipv4("192.0.2.2"));
}

Test(protected, bind_does_not_matter) {
    static const char *const any[] = { "0.0.0.0" };
    static const char *const explicit_pair[] = { "192.0.2.2", "127.0.0.1" };
    static const char *const everything[] = { "*", "-::*" };
    static const char *const loopback_only[] = { "127.0.0.1", "-::1" };
    const char *const *lists[] = { any, explicit_pair, everything, loopback_only };
    const uint32_t counts[] = { 1, 2, 2, 2 };
    for (uint32_t list = 0; list < ARRAY_COUNT(lists); list++) {
        set_bind(lists[list], counts[list]);
        cr_assert(refuses_ipv4("192.0.2.2"), "bind list %u", list);
        cr_assert(refuses_ipv6("fd00::2"), "bind list %u", list);
        cr_assert_not(refuses_ipv4("127.0.0.1"), "bind list %u", list);
        cr_assert_not(refuses_ipv6("::1"), "bind list %u", list);
    }
}
