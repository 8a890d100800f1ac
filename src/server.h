/*
 * server.h: the server's state (one instance, `server`) and the client
 * record every command handler works on.
 *
 * Everything here is sized by the plan and lives in the arena: the client
 * table (maxclients records with their fixed input buffers), the output
 * chunk pool, the heap and the databases.
 */
#pragma once

#include "base.h"
#include "acl.h"
#include "arena.h"
#include "config.h"
#include "db.h"
#include "heap.h"
#include "io.h"
#include "output.h"
#include "pubsub.h"
#include "reply.h"
#include "resp.h"

#define CLIENT_ARGV_INLINE_COUNT 16u
#define CLIENT_ARGV_INITIAL_MAX 1024u        /* argv grows from here, as Redis's */
#define CLIENT_SEND_IOV_MAX 64u              /* chunks per send */
#define CLIENT_COMMANDS_PER_TURN_MAX 1024u   /* commands run for one client per loop turn */
#define CLIENT_NAME_SIZE_MAX 64u
#define CLIENT_BUSY_INPUT_FACTOR 4u          /* a busy client's buffer: 4 x the fixed one */
#define CLIENT_UNAUTHENTICATED_OUTPUT_MAX 1024u /* output cap before the first AUTH */
#define CLIENT_ADDRESS_SIZE_MAX 64u
#define CLIENT_NONE UINT32_MAX
/* The Redis version keel answers as (INFO redis_version, HELLO's version). */
#define REDIS_COMPATIBLE_VERSION "7.0.15"

enum client_state {
    CLIENT_FREE = 0,
    CLIENT_OPEN,      /* reading and writing */
    CLIENT_DRAINING,  /* close after the pending output is sent (QUIT, protocol error) */
    CLIENT_CLOSING,   /* close as soon as in-flight operations complete */
};

struct client {
    uint32_t slot_index;
    uint32_t generation;          /* bumped on every reuse of the slot */
    int fd;
    enum client_state state;
    uint64_t id;
    bool recv_in_flight;
    bool send_in_flight;
    bool has_input;               /* unparsed bytes may form a command */
    bool queued;                  /* on the ready list */
    bool authenticated;
    bool input_large;             /* input is an input-heap object, not the fixed buffer */
    bool input_filled;            /* the last receive filled all the room it was given */
    uint64_t received_since_drain; /* input bytes since the buffer was last empty */
    bool command_discarding;      /* a big argument had no room: answer -OOM */
    bool big_arg_active;          /* receiving a big argument straight into big_arg */
    bool paused;                  /* input waits for the output pool to drain */
    bool pool_held;               /* argv holds a pipelined command held back by backpressure */
    bool pool_waiting;            /* on the pool-wait list (woken when the pool recovers) */
    bool reply_drained;           /* all output was sent since its last command ran */
    uint32_t pool_wait_prev;      /* pool-wait list links (valid while pool_waiting) */
    uint32_t pool_wait_next;
    uint32_t db_index;
    struct db *db;
    /* The ACL user: valid while acl_client_id == id, else `default` (see acl_client_begin). */
    uint32_t acl_user_index;
    uint64_t acl_client_id;

    /* Input: bytes [0, input_end) of input; the parser's cursor says what is consumed. */
    uint8_t *input_fixed;
    uint8_t *input;
    uint32_t input_capacity;
    uint32_t input_end;
    struct resp_parser parser;
    struct resp_argv argv;
    struct slice argv_inline[CLIENT_ARGV_INLINE_COUNT];
    uint8_t *big_arg;             /* heap object receiving a big argument, or NULL */
    uint64_t big_arg_received;
    uint64_t command_size;        /* bytes of the command being received (query limit) */

    /* Output. */
    struct output output;
    struct reply reply;
    struct msghdr send_message;
    struct iovec send_iov[CLIENT_SEND_IOV_MAX];
    uint64_t send_size;           /* bytes in the send in flight */
    int64_t soft_limit_since_ms;  /* when output went over the soft limit; 0: it is not */

    uint32_t next_ready;          /* ready-list link (valid while queued) */
    uint32_t next_free;           /* free-slot link (valid while CLIENT_FREE) */
    uint64_t commands_processed;
    int64_t created_ms;
    int64_t last_interaction_ms;
    uint32_t last_command_index;
    char address[CLIENT_ADDRESS_SIZE_MAX];
    char name[CLIENT_NAME_SIZE_MAX];
    struct pubsub_client pubsub;  /* subscriptions (src/pubsub.h) */
    /* Transactions and watched keys (src/multi.h). */
    uint32_t multi_flags;         /* MULTI_ACTIVE, MULTI_DIRTY_EXEC, MULTI_DIRTY_CAS, ... */
    uint32_t multi_count;         /* queued commands */
    uint64_t multi_size;          /* their bytes (bounded by client-query-buffer-limit) */
    void *multi_head;             /* struct multi_command chain (input heap) */
    void *multi_tail;
    uint32_t watch_head;          /* the client's watched keys (watch table entries) */
    uint32_t watch_count;
    bool in_exec;                 /* EXEC is running the queued commands */
    uint64_t exec_error_count;    /* errors replied by the commands the last EXEC ran */
    /* Client management (src/cmd_client.c). last_command_index above: the
     * ACL id + 1 of the last command dispatched (0: none), CLIENT LIST's cmd=. */
    uint8_t reply_flags;          /* CLIENT REPLY: CLIENTCMD_REPLY_OFF, _SKIP, _SKIP_NEXT */
    bool no_evict;                /* CLIENT NO-EVICT on (flag e) */
    bool monitor;                 /* MONITOR: every command is fed to it (flag O) */
    bool postponed;               /* CLIENT PAUSE: argv holds a command that waits */
    uint32_t next_monitor;        /* monitor list link (valid while monitor) */
};

struct server_stats {
    uint64_t connections_received;
    uint64_t connections_rejected;
    uint64_t commands_processed;
    uint64_t net_input_bytes;
    uint64_t net_output_bytes;
    uint64_t output_limit_disconnections;
    uint64_t query_limit_disconnections;
    uint64_t backpressure_pauses;
};

#define PLAN_POOL_COUNT_MAX 32u

struct plan_pool {
    const char *name;
    uint64_t count;
    uint64_t unit_size;
    uint64_t size;          /* bytes reserved for the pool */
};

struct plan {
    struct plan_pool pools[PLAN_POOL_COUNT_MAX];
    uint32_t pool_count;
    uint64_t total_size;
    uint32_t heap_page_count;
    uint32_t input_heap_page_count;
    uint32_t output_chunk_count;
};

struct server {
    struct config config;      /* live values (CONFIG SET changes these) */
    struct config reserved;    /* what the plan was built from */
    struct plan plan;
    struct arena arena;
    struct heap heap;             /* the data budget (maxmemory) */
    struct heap input_heap;       /* large query buffers and argv arrays (input-pool-size) */
    struct keyspace keyspace;
    struct acl acl;               /* users (the plan's acl_users pool) and the ACL id table */
    struct output_pool output_pool;
    struct io io;
    struct client *clients;
    uint8_t *client_inputs;       /* maxclients fixed input buffers */
    uint32_t client_count;
    uint32_t free_client_head;    /* released slots */
    uint32_t untouched_client_index; /* slots from here on were never used */
    uint32_t ready_head;          /* clients to revisit at the end of this turn */
    uint32_t ready_tail;
    uint32_t pool_wait_head;      /* clients holding a command until the output pool recovers */
    uint32_t pool_wait_tail;
    uint32_t connected_count;
    struct io_completion *completions;
    uint8_t *discard_buffer;      /* recv target for bytes of a refused big argument */
    int listen_fds[CONFIG_BIND_COUNT_MAX];
    uint32_t listen_count;
    uint64_t next_client_id;
    int64_t start_ms;
    int64_t now_ms;
    int64_t next_cron_ms;
    uint64_t cron_count;
    uint64_t startup_used_size;   /* heap bytes in use when the server became ready */
    uint64_t sampling_seed;       /* random seed for eviction sampling and LFU */
    bool shutdown_requested;
    bool ready;
    bool active_expire_disabled;  /* DEBUG SET-ACTIVE-EXPIRE 0: the cron expires nothing */
    struct server_stats stats;
    uint32_t run_id_size;
    char run_id[41];
    char executable[256];
    char config_file[256];
    /* CLIENT PAUSE and MONITOR (src/cmd_client.c). */
    uint8_t pause_type;           /* enum clientcmd_pause */
    int64_t pause_end_ms;         /* wall clock; 0 while not paused */
    uint32_t postponed_count;     /* clients whose command waits for the pause's end */
    uint32_t monitor_head;        /* monitor list (slot indexes), valid while monitor_count > 0 */
    uint32_t monitor_count;
};

extern struct server server;

/* True while EXEC runs queued commands: a blocking command must not block then
 * (it answers as if its timeout expired, as Redis's CLIENT_DENY_BLOCKING). */
static inline bool client_in_exec(const struct client *client) {
    return client->in_exec;
}

/* The current client's arguments. */
static inline struct slice client_arg(const struct client *client, uint32_t index) {
    ASSERT(index < client->argv.count);
    return client->argv.items[index];
}

/*
 * True when an argument is a big argument: a data-heap object of exactly its
 * size, received straight from the socket, which a handler may adopt as a value
 * (then it sets argv.items[index].ptr to NULL so the connection does not free it).
 */
static inline bool client_arg_owned(const struct client *client, uint32_t index) {
    ASSERT(index < client->argv.count);
    const uint8_t *ptr = client->argv.items[index].ptr;
    return ptr != NULL && (ptr < client->input || ptr >= client->input + client->input_capacity);
}

/* Wall clock in milliseconds / microseconds. */
int64_t clock_now_ms(void);
int64_t clock_now_us(void);

/* Where server_log writes (stdout unless logfile is set). */
extern int server_log_fd;

/* Logs one line at a level (respects loglevel and logfile). */
void server_log(enum log_level level, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs the event loop until shutdown. */
void server_run(void);
/* Opens the listening sockets. False with a logged reason. */
bool server_listen(void);

/* Applies live configuration to the modules that cache it (LFU mode, output
 * limits) and evicts when maxmemory was lowered below what is in use. */
void server_config_changed(void);

/* The client's output limit: client-output-buffer-limit normal (bounded by the
 * pool), or a small cap while it has never authenticated. */
uint64_t client_output_limit(const struct client *client);

/* Closes a client at the end of this turn without sending anything more. */
void client_close_now(struct client *client);
/* Closes a client once its pending replies are sent. */
void client_close_after_reply(struct client *client);
/* Puts a client on the ready list: another client's command wrote to its output (PUBLISH). */
void client_wake(struct client *client);
/* A blocked client was answered (src/blocking.c): its command is done, its input resumes. */
void client_unblocked(struct client *client);

/*
 * The command fuzzer's seam (tests/fuzz/fuzz_command.c; code at the end of
 * conn.c): one client driven in-process, without a socket or an io backend.
 * conn_fuzz_open opens a client on `fd` (closed again by conn_fuzz_close).
 * conn_fuzz_feed delivers up to `size` bytes as one receive completion and
 * runs the client's step without the send; it returns the bytes taken (0 once
 * the client stopped reading, or while it waits for its output to drain).
 * The caller consumes client->output itself.
 */
struct client *conn_fuzz_open(int fd);
uint32_t conn_fuzz_feed(struct client *client, const uint8_t *bytes, uint32_t size);
void conn_fuzz_close(struct client *client);
