/*
 * main.c: startup. Parse the configuration, compute the memory plan, reserve
 * it in one mapping, initialise every module from it, seal the arena, then
 * run the event loop until SIGTERM, SIGINT or SHUTDOWN.
 *
 * The plan is linear in each parameter (maxmemory, maxclients, input buffer
 * size, output pool size, databases): no term multiplies two of them.
 */
#include "server.h"

#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ==== The plan ==== */

static void plan_add(struct plan *plan, const char *name, uint64_t count, uint64_t unit_size) {
    ASSERT(plan->pool_count < PLAN_POOL_COUNT_MAX);
    struct plan_pool *pool = &plan->pools[plan->pool_count++];
    pool->name = name;
    pool->count = count;
    pool->unit_size = unit_size;
    /* Each pool starts page-aligned in the arena. */
    pool->size = align_up(count * unit_size, 4096);
    plan->total_size += pool->size;
}

static void plan_build(struct plan *plan, const struct config *config) {
    memset(plan, 0, sizeof(*plan));
    plan->heap_page_count = (uint32_t)((config->maxmemory + HEAP_PAGE_SIZE - 1) / HEAP_PAGE_SIZE);
    plan->output_chunk_count = (uint32_t)MAX(2, config->output_pool_size / OUTPUT_CHUNK_SIZE);
    /* The heap pages must be page-size aligned: the first pool, aligned by the mapping. */
    plan_add(plan, "heap_pages", plan->heap_page_count, HEAP_PAGE_SIZE);
    plan_add(plan, "heap_descriptors", plan->heap_page_count,
             heap_descriptor_size(plan->heap_page_count) / plan->heap_page_count);
    plan_add(plan, "clients", config->maxclients, sizeof(struct client));
    plan_add(plan, "input_buffers", config->maxclients, config->client_input_buffer_size);
    plan_add(plan, "output_chunks", plan->output_chunk_count, OUTPUT_CHUNK_SIZE);
    plan_add(plan, "databases", config->databases, sizeof(struct db));
    plan_add(plan, "io_completions", IO_COMPLETIONS_PER_TURN_MAX, sizeof(struct io_completion));
    plan_add(plan, "discard_buffer", 1, 64 * KIB);
    /* The mapping is 4 KiB aligned; heap pages need HEAP_PAGE_SIZE alignment. */
    plan_add(plan, "alignment_slack", 1, HEAP_PAGE_SIZE);
}

static void plan_print(const struct plan *plan, int fd) {
    for (uint32_t index = 0; index < plan->pool_count; index++) {
        const struct plan_pool *pool = &plan->pools[index];
        dprintf(fd, "plan %-18s count %-10llu unit %-8llu bytes %llu\n", pool->name,
                (unsigned long long)pool->count, (unsigned long long)pool->unit_size,
                (unsigned long long)pool->size);
    }
    dprintf(fd, "total %llu bytes\n", (unsigned long long)plan->total_size);
}

/* ==== Startup ==== */

static void *plan_take(const struct plan *plan, uint32_t pool_index) {
    ASSERT(pool_index < plan->pool_count);
    uint64_t alignment = pool_index == 0 ? HEAP_PAGE_SIZE : 4096;
    return arena_take(&server.arena, plan->pools[pool_index].size, alignment);
}

static void server_init_memory(void) {
    const struct plan *plan = &server.plan;
    uint8_t *pages = plan_take(plan, 0);
    struct heap_page *descriptors = plan_take(plan, 1);
    heap_init(&server.heap, pages, plan->heap_page_count, descriptors);
    server.clients = plan_take(plan, 2);
    uint8_t *inputs = plan_take(plan, 3);
    server.client_count = server.config.maxclients;
    server.free_client_head = CLIENT_NONE;
    server.untouched_client_index = 0;
    server.client_inputs = inputs;
    output_pool_init(&server.output_pool, plan_take(plan, 4), plan->output_chunk_count);
    struct db *dbs = plan_take(plan, 5);
    bool initialised = keyspace_init(&server.keyspace, &server.heap, dbs, server.config.databases);
    ASSERT(initialised);
    server.completions = plan_take(plan, 6);
    server.discard_buffer = plan_take(plan, 7);
    server.ready_head = CLIENT_NONE;
    server.ready_tail = CLIENT_NONE;
    ASSERT(server.arena.used_size <= server.arena.size);
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
    char error[256];
    uint32_t completion_entries = 1;
    while (completion_entries < server.config.maxclients * 2 + 64 && completion_entries < 65536) {
        completion_entries *= 2;
    }
    if (server.config.io_backend == IO_BACKEND_EPOLL) {
        server_log(LOG_WARNING, "io-backend epoll is not available in this build yet");
        return false;
    }
    if (!io_init(&server.io, 4096, MAX(4096u, completion_entries), error, sizeof(error))) {
        server_log(LOG_WARNING, "%s", error);
        return false;
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
    server.ready = true;
    server_log(LOG_NOTICE, "Server initialized, io backend io_uring, port %u",
               server.config.port);
    server_log(LOG_NOTICE, "Ready to accept connections tcp");
    server_run();
    server_log(LOG_WARNING, "keel is now ready to exit, bye bye...");
    io_deinit(&server.io);
    return 0;
}
