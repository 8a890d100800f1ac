/*
 * server.c: the server's single state record, the clock and the log.
 */
#include "server.h"

#include "evict.h"

#include <stdarg.h>
#include <time.h>
#include <unistd.h>

struct server server;

int server_log_fd = STDOUT_FILENO;

int64_t clock_now_ms(void) {
    return clock_now_us() / 1000;
}

int64_t clock_now_us(void) {
    struct timespec now;
    int result = clock_gettime(CLOCK_REALTIME, &now);
    ASSERT(result == 0);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

void server_log(enum log_level level, const char *format, ...) {
    if (level < server.config.loglevel) {
        return;
    }
    char line[1024];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm local;
    localtime_r(&now.tv_sec, &local);
    int size = snprintf(line, sizeof(line), "%d:M ", (int)getpid());
    size += (int)strftime(line + size, sizeof(line) - (size_t)size, "%d %b %Y %H:%M:%S", &local);
    size += snprintf(line + size, sizeof(line) - (size_t)size, ".%03d %c ",
                     (int)(now.tv_nsec / 1000000), level >= LOG_WARNING ? '#' : '*');
    va_list arguments;
    va_start(arguments, format);
    int body = vsnprintf(line + size, sizeof(line) - (size_t)size - 1, format, arguments);
    va_end(arguments);
    ASSERT(body >= 0);
    size = MIN(size + body, (int)sizeof(line) - 2);
    line[size++] = '\n';
    ssize_t written = write(server_log_fd, line, (size_t)size);
    (void)written;
}

void server_config_changed(void) {
    struct keyspace *keyspace = &server.keyspace;
    enum maxmemory_policy policy = server.config.maxmemory_policy;
    keyspace->lfu = policy == POLICY_ALLKEYS_LFU || policy == POLICY_VOLATILE_LFU;
    keyspace->lfu_log_factor = server.config.lfu_log_factor;
    keyspace->lfu_decay_time = server.config.lfu_decay_time;
    for (uint32_t index = 0; index < server.untouched_client_index; index++) {
        struct client *client = &server.clients[index];
        if (client->state != CLIENT_FREE) {
            client->output.limit_size = client_output_limit(client);
        }
    }
    if (server.ready && server.heap.used_size > server.config.maxmemory) {
        /* A lowered maxmemory: evict a bounded batch now; the cron goes on with it. */
        evict_until(keyspace, policy, server.config.maxmemory_samples, server.config.maxmemory,
                    0);
    }
}
