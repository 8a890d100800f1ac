/*
 * main.c: startup. Parse the configuration, compute the memory plan, reserve
 * it in one mapping, initialise every module from it, seal the arena, then
 * run the event loop until SIGTERM, SIGINT or SHUTDOWN.
 *
 * The plan is linear in each parameter (maxmemory, maxclients, input buffer
 * size, output pool size, databases): no term multiplies two of them.
 */
#include "server.h"

#include "blocking.h"
#include "commands.h"
#include "multi.h"
#include "plan.h"
#include "slowlog.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ==== Startup ==== */

static void *plan_take(const struct plan *plan, uint32_t pool_index) {
    ASSERT(pool_index < plan->pool_count);
    bool heap_pages =
        pool_index == PLAN_POOL_HEAP_PAGES || pool_index == PLAN_POOL_INPUT_HEAP_PAGES;
    uint64_t alignment = heap_pages ? HEAP_PAGE_SIZE : 4096;
    return arena_take(&server.arena, plan->pools[pool_index].size, alignment);
}

static void server_init_memory(void) {
    const struct plan *plan = &server.plan;
    uint8_t *pages = plan_take(plan, PLAN_POOL_HEAP_PAGES);
    struct heap_page *descriptors = plan_take(plan, PLAN_POOL_HEAP_DESCRIPTORS);
    heap_init(&server.heap, pages, plan->heap_page_count, descriptors);
    server.clients = plan_take(plan, PLAN_POOL_CLIENTS);
    uint8_t *inputs = plan_take(plan, PLAN_POOL_INPUT_BUFFERS);
    server.client_count = server.config.maxclients;
    server.free_client_head = CLIENT_NONE;
    server.untouched_client_index = 0;
    server.client_inputs = inputs;
    output_pool_init(&server.output_pool, plan_take(plan, PLAN_POOL_OUTPUT_CHUNKS),
                     plan->output_chunk_count);
    struct db *dbs = plan_take(plan, PLAN_POOL_DATABASES);
    bool initialised = keyspace_init(&server.keyspace, &server.heap, dbs, server.config.databases);
    ASSERT(initialised);
    server.completions = plan_take(plan, PLAN_POOL_IO_COMPLETIONS);
    server.discard_buffer = plan_take(plan, PLAN_POOL_DISCARD_BUFFER);
    heap_init(&server.input_heap, plan_take(plan, PLAN_POOL_INPUT_HEAP_PAGES),
              plan->input_heap_page_count, plan_take(plan, PLAN_POOL_INPUT_HEAP_DESCRIPTORS));
    acl_init(&server.acl, plan_take(plan, PLAN_POOL_ACL_USERS), server.reserved.acl_users_max);
    acl_log_init(&server.acl, plan_take(plan, PLAN_POOL_ACL_LOG), server.reserved.acllog_max_len);
    slowlog_init(&slowlog_global, plan_take(plan, PLAN_POOL_SLOWLOG),
                 plan->pools[PLAN_POOL_SLOWLOG].count);
    pubsub_init(&pubsub_global, &server.heap, plan_take(plan, PLAN_POOL_PUBSUB_CHANNELS),
                (uint32_t)plan->pools[PLAN_POOL_PUBSUB_CHANNELS].count,
                plan_take(plan, PLAN_POOL_PUBSUB_PATTERNS),
                (uint32_t)plan->pools[PLAN_POOL_PUBSUB_PATTERNS].count,
                plan_take(plan, PLAN_POOL_PUBSUB_SUBSCRIPTIONS),
                (uint32_t)plan->pools[PLAN_POOL_PUBSUB_SUBSCRIPTIONS].count);
    watch_init(&watch_table_global, plan_take(plan, PLAN_POOL_WATCHED_KEYS),
               (uint32_t)plan->pools[PLAN_POOL_WATCHED_KEYS].count);
    blocking_init(&blocking_global, plan_take(plan, PLAN_POOL_BLOCKING),
                  (uint32_t)plan->pools[PLAN_POOL_BLOCKING].count);
    /* requirepass moves from the startup buffer into the heap, where CONFIG SET keeps its own:
     * at most a line (4 KiB) in a heap of at least 1mb, so there is room. */
    bool password_kept = config_requirepass_keep(&server.config, NULL, &server.heap, false);
    ASSERT(password_kept);
    acl_set_default_password(&server.acl, server.config.requirepass,
                             server.config.requirepass_size);
    server.ready_head = CLIENT_NONE;
    server.ready_tail = CLIENT_NONE;
    server.pool_wait_head = CLIENT_NONE;
    server.pool_wait_tail = CLIENT_NONE;
    ASSERT(server.arena.used_size <= server.arena.size);
}

/*
 * As Redis: raise the open-file limit to maxclients + 32 if the hard limit
 * allows, else lower maxclients to fit (with a warning). Runs before the plan,
 * so the plan reserves only the clients that can really connect.
 */
#define RESERVED_FDS 32u
static void server_adjust_open_files(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return;
    }
    rlim_t wanted = (rlim_t)server.config.maxclients + RESERVED_FDS;
    if (limit.rlim_cur >= wanted) {
        return;
    }
    struct rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : MIN(wanted, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
        limit = raised;
    }
    if (limit.rlim_cur >= wanted) {
        return;
    }
    uint32_t possible = 1;
    if (limit.rlim_cur > RESERVED_FDS + 1) {
        possible = (uint32_t)(limit.rlim_cur - RESERVED_FDS);
    }
    fprintf(stderr, "You requested maxclients of %u requiring at least %u max file descriptors. "
            "Server can't set maximum open files to %u; maxclients is now %u.\n",
            server.config.maxclients, (uint32_t)wanted, (uint32_t)wanted, possible);
    server.config.maxclients = possible;
}

static void signal_handler(int number) {
    (void)number;
    server.shutdown_requested = true;
}

static void server_init_signals(void) {
    signal(SIGPIPE, SIG_IGN);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = signal_handler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
}

static void server_init_identity(int argc, char **argv) {
    uint8_t random_bytes[20];
    ssize_t got = getrandom(random_bytes, sizeof(random_bytes), 0);
    ASSERT(got == (ssize_t)sizeof(random_bytes));
    for (uint32_t index = 0; index < 20; index++) {
        snprintf(server.run_id + index * 2, 3, "%02x", random_bytes[index]);
    }
    uint64_t seed = 0;
    memcpy(&seed, random_bytes, sizeof(seed));
    index_seed(seed);
    memcpy(&server.sampling_seed, random_bytes + 8, sizeof(server.sampling_seed));
    snprintf(server.executable, sizeof(server.executable), "%s", argv[0]);
    if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
        snprintf(server.config_file, sizeof(server.config_file), "%s", argv[1]);
    }
}

static bool server_open_log(void) {
    if (server.config.logfile[0] == 0) {
        return true;
    }
    server_log_fd = open(server.config.logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (server_log_fd < 0) {
        server_log_fd = STDOUT_FILENO;
        fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
        return false;
    }
    return true;
}

static bool server_start(void) {
    if (!arena_reserve(&server.arena, server.plan.total_size, server.config.lock_memory)) {
        server_log(LOG_WARNING, "Could not reserve the memory plan (%llu bytes): %s",
                   (unsigned long long)server.plan.total_size, strerror(errno));
        return false;
    }
    server_init_memory();
    server.keyspace.random_state = server.sampling_seed | 1u;
    server_config_changed();
    char error[256] = "";
    void *io_memory = plan_take(&server.plan, PLAN_POOL_IO_SOCKETS);
    if (!io_init(&server.io, server.config.io_backend, IO_SUBMISSIONS_PER_TURN,
                 plan_socket_count(&server.config), io_memory, error, sizeof(error))) {
        server_log(LOG_WARNING, "%s%s", error,
                   server.config.io_backend == IO_BACKEND_IO_URING
                       ? " (io-backend io_uring was forced; use auto or epoll)" : "");
        return false;
    }
    if (server.config.io_backend == IO_BACKEND_AUTO && server.io.kind == IO_KIND_EPOLL) {
        server_log(LOG_WARNING, "io_uring is not available here (%s); using epoll", error);
    }
    if (!server_listen()) {
        return false;
    }
    return true;
}

int main(int argc, char **argv) {
    struct config_flags flags;
    char error[CONFIG_ERROR_SIZE_MAX];
    memset(&flags, 0, sizeof(flags));
    config_defaults(&server.config);
    if (!config_load(&server.config, argc, argv, &flags, error) ||
        !config_validate(&server.config, error)) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    if (flags.version) {
        printf("keel v=0.1.0 (Redis %s compatible)\n", "7.0.15");
        return 0;
    }
    if (!flags.check_plan) {
        server_adjust_open_files();
    }
    server.reserved = server.config;
    plan_build(&server.plan, &server.config);
    if (flags.check_plan) {
        plan_print(&server.plan, STDOUT_FILENO);
        return 0;
    }
    if (!server_open_log()) {
        return 1;
    }
    commands_init();
    server_init_identity(argc, argv);
    server_init_signals();
    server.start_ms = clock_now_ms();
    server.now_ms = server.start_ms;
    server_log(LOG_NOTICE, "keel 0.1.0 starting, pid %d", (int)getpid());
    plan_print(&server.plan, server_log_fd);
    if (!server_start()) {
        return 1;
    }
    arena_seal(&server.arena);
    server.startup_used_size = server.heap.used_size;
    server.ready = true;
    server_log(LOG_NOTICE, "Server initialized, io backend %s, port %u",
               io_kind_name(&server.io), server.config.port);
    server_log(LOG_NOTICE, "Ready to accept connections tcp");
    server_run();
    server_log(LOG_WARNING, "keel is now ready to exit, bye bye...");
    io_deinit(&server.io);
    return 0;
}
