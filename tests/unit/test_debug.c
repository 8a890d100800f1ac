/*
 * test_debug.c: enable-debug-command (its keyword, as Redis 7.0.15 parses and
 * shows it) and who may run DEBUG (debug_command_allowed): `no` nobody, `yes`
 * everyone, `local` loopback and Unix-domain peers only. Peers are real
 * sockets: a socketpair, a TCP connection over 127.0.0.1, and one from
 * 127.0.0.2 (loopback for keel, as protected mode decides).
 */
#include <criterion/criterion.h>

#include "cmd_debug.h"
#include "config.h"
#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* ==== The keyword ==== */

static char error[CONFIG_ERROR_SIZE_MAX];

static uint32_t debug_keyword(void) {
    const char *name = "enable-debug-command";
    uint32_t index = config_keyword_find(name, (uint32_t)strlen(name));
    cr_assert_neq(index, UINT32_MAX);
    return index;
}

static const char *shown(const struct config *config) {
    static char value[CONFIG_VALUE_SIZE_MAX];
    config_keyword_format(config, debug_keyword(), value, sizeof(value));
    return value;
}

Test(debug, keyword_defaults_to_no) {
    struct config config;
    config_defaults(&config);
    cr_assert_eq(config.enable_debug_command, PROTECTED_ACTION_NO);
    cr_assert_str_eq(shown(&config), "no");
}

Test(debug, keyword_values) {
    static const struct {
        const char *line;
        enum protected_action value;
        const char *shown;
    } cases[] = {
        { "enable-debug-command yes", PROTECTED_ACTION_YES, "yes" },
        { "enable-debug-command local", PROTECTED_ACTION_LOCAL, "local" },
        { "enable-debug-command LOCAL", PROTECTED_ACTION_LOCAL, "local" },
        { "enable-debug-command no", PROTECTED_ACTION_NO, "no" },
    };
    for (uint32_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        struct config config;
        config_defaults(&config);
        cr_assert(config_apply_line(&config, cases[index].line, error), "%s", error);
        cr_assert_eq(config.enable_debug_command, cases[index].value, "%s", cases[index].line);
        cr_assert_str_eq(shown(&config), cases[index].shown);
    }
}

Test(debug, keyword_bad_value_refused) {
    struct config config;
    config_defaults(&config);
    cr_assert_not(config_apply_line(&config, "enable-debug-command maybe", error));
    cr_assert_str_eq(error, "enable-debug-command: argument(s) must be one of the following: "
                     "no, yes, local");
    cr_assert_eq(config.enable_debug_command, PROTECTED_ACTION_NO);
}

Test(debug, keyword_immutable) {
    cr_assert_eq(config_set_allowed(debug_keyword(), error), CONFIG_SET_IMMUTABLE);
    cr_assert_str_eq(error, "can't set immutable config");
}

/* ==== Who may run DEBUG ==== */

/* A connected TCP pair over loopback, the client bound to `source`; *server_fd is the
 * accepted end (the one DEBUG's client record would hold). */
static int tcp_pair(const char *source, int *server_fd) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(listener, 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(listener, (struct sockaddr *)&address, sizeof(address)), 0);
    cr_assert_eq(listen(listener, 1), 0);
    socklen_t size = sizeof(address);
    cr_assert_eq(getsockname(listener, (struct sockaddr *)&address, &size), 0);
    int client_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in from = { .sin_family = AF_INET };
    cr_assert_eq(inet_pton(AF_INET, source, &from.sin_addr), 1);
    cr_assert_eq(bind(client_fd, (struct sockaddr *)&from, sizeof(from)), 0);
    cr_assert_eq(connect(client_fd, (struct sockaddr *)&address, sizeof(address)), 0);
    *server_fd = accept(listener, NULL, NULL);
    cr_assert_geq(*server_fd, 0);
    close(listener);
    return client_fd;
}

static bool allowed_with(enum protected_action setting, int fd) {
    struct client client;
    memset(&client, 0, sizeof(client));
    client.fd = fd;
    server.config.enable_debug_command = setting;
    return debug_command_allowed(&client);
}

Test(debug, no_refuses_everyone) {
    int pair[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    cr_assert_not(allowed_with(PROTECTED_ACTION_NO, pair[0]));
    close(pair[0]);
    close(pair[1]);
}

Test(debug, yes_allows_everyone) {
    cr_assert(allowed_with(PROTECTED_ACTION_YES, -1)); /* no peer needed at all */
}

Test(debug, local_allows_unix_and_loopback_peers) {
    int pair[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    cr_assert(allowed_with(PROTECTED_ACTION_LOCAL, pair[0]));
    close(pair[0]);
    close(pair[1]);
    const char *sources[] = { "127.0.0.1", "127.0.0.2" };
    for (uint32_t index = 0; index < 2; index++) {
        int accepted = -1;
        int client_fd = tcp_pair(sources[index], &accepted);
        cr_assert(allowed_with(PROTECTED_ACTION_LOCAL, accepted), "%s", sources[index]);
        close(client_fd);
        close(accepted);
    }
}

Test(debug, local_refuses_a_socket_without_a_peer) {
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* never connected: getpeername fails */
    cr_assert_geq(fd, 0);
    cr_assert_not(allowed_with(PROTECTED_ACTION_LOCAL, fd));
    cr_assert_not(allowed_with(PROTECTED_ACTION_LOCAL, -1));
    close(fd);
}
