/*
 * io.h: the only interface that knows how sockets are driven. Completion
 * based: the caller queues operations with a 64-bit token and later collects
 * completions (token, result) from io_wait.
 *
 * Backends (chosen at startup by io-backend, see io.c):
 * - io_uring (io_uring.c): operations become submission entries; one io_wait
 *   submits them all and waits in the same system call.
 * - epoll (io_epoll.c): each socket is registered once, edge-triggered; an
 *   operation runs at once when its socket is known to be ready, else when
 *   epoll reports it ready. Used where io_uring is forbidden (seccomp) or
 *   when `io-backend epoll` is set.
 *
 * Rules the caller keeps: at most one receive and one send in flight per
 * socket; buffers and the msghdr stay valid until the completion arrives; a
 * socket is closed only when none of its operations is in flight (shutdown()
 * completes them); every socket passed in came from io_accept.
 */
#pragma once

#include "base.h"
#include "config.h"

#include <liburing.h>
#include <sys/socket.h>

#define IO_COMPLETIONS_PER_TURN_MAX 4096u
#define IO_SUBMISSIONS_PER_TURN 4096u      /* io_uring submission queue entries */
#define IO_ACCEPTS_PER_TURN_MAX 256u     /* epoll: accepts per listening socket per turn */
#define IO_LISTENERS_MAX 16u

/* Completion flag: a multishot operation stays armed. */
#define IO_COMPLETION_MORE 1u

struct io_completion {
    uint64_t token;
    int32_t result;    /* bytes, a new fd, or -errno */
    uint32_t flags;
};

/* epoll: what one socket is waiting for. */
struct io_socket {
    void *recv_buffer;
    uint64_t recv_token;
    const void *send_buffer;       /* NULL when the send is a msghdr */
    struct msghdr *send_message;
    uint64_t send_token;
    uint32_t recv_size;
    uint32_t send_size;
    bool registered;
    bool listener;                 /* a listening socket: recv_token is its accept token */
    bool readable;                 /* no EAGAIN seen since the last edge */
    bool hangup;                   /* the peer closed: reading never blocks again */
    bool writable;
    bool recv_pending;
    bool send_pending;
    bool queued;                   /* on the list of sockets with work to retry */
    uint32_t next_queued;
};

struct io_epoll {
    int epoll_fd;
    struct io_socket *sockets;     /* indexed by fd, socket_count entries */
    uint32_t socket_count;
    struct io_completion *done;    /* ring of completions waiting for io_wait */
    uint32_t done_head;
    uint32_t done_count;
    uint32_t done_capacity;
    uint32_t listen_count;
    uint32_t retry_head;           /* sockets whose pending operation may now succeed */
};

enum io_kind { IO_KIND_NONE = 0, IO_KIND_URING, IO_KIND_EPOLL };

struct io {
    enum io_kind kind;
    struct io_uring ring;
    uint32_t entries;
    struct io_epoll epoll;
};

/* Bytes of arena memory the epoll backend needs for sockets numbered below socket_count. */
uint64_t io_epoll_memory_size(uint32_t socket_count);

/*
 * Sets up the backend `choice` asks for; with IO_BACKEND_AUTO tries io_uring
 * and falls back to epoll. `memory` (io_epoll_memory_size bytes) serves epoll.
 * False with a message on failure.
 */
bool io_init(struct io *io, enum io_backend choice, uint32_t entries, uint32_t socket_count,
             void *memory, char *error, uint32_t error_size);
void io_deinit(struct io *io);
const char *io_kind_name(const struct io *io);

/* Multishot accept on a listening socket; completions carry the new fd. */
void io_accept(struct io *io, int listen_fd, uint64_t token);
void io_recv(struct io *io, int fd, void *buffer, uint32_t size, uint64_t token);
void io_sendmsg(struct io *io, int fd, struct msghdr *message, uint64_t token);
/* A send of one buffer: cheaper than sendmsg when the reply is in one chunk. */
void io_send(struct io *io, int fd, const void *buffer, uint32_t size, uint64_t token);

/*
 * The caller has shut the socket down (shutdown(2)) to end its pending
 * operations: make sure they complete (epoll retries them at once; io_uring's
 * complete by themselves).
 */
void io_shutdown_done(struct io *io, int fd);

/*
 * Submits everything queued and waits up to timeout_ms (0: do not wait) for
 * at least one completion; writes up to completions_max of them.
 */
uint32_t io_wait(struct io *io, struct io_completion *completions, uint32_t completions_max,
                 int64_t timeout_ms);

/* ==== Backend entry points (io.c dispatches to them) ==== */
bool ring_init(struct io *io, uint32_t entries, uint32_t completion_entries, char *error,
               uint32_t error_size, int *error_number);
void ring_deinit(struct io *io);
void ring_accept(struct io *io, int listen_fd, uint64_t token);
void ring_recv(struct io *io, int fd, void *buffer, uint32_t size, uint64_t token);
void ring_sendmsg(struct io *io, int fd, struct msghdr *message, uint64_t token);
void ring_send(struct io *io, int fd, const void *buffer, uint32_t size, uint64_t token);
uint32_t ring_wait(struct io *io, struct io_completion *completions, uint32_t completions_max,
                   int64_t timeout_ms);

bool poller_init(struct io *io, uint32_t socket_count, void *memory, char *error,
                 uint32_t error_size);
void poller_deinit(struct io *io);
void poller_accept(struct io *io, int listen_fd, uint64_t token);
void poller_recv(struct io *io, int fd, void *buffer, uint32_t size, uint64_t token);
void poller_sendmsg(struct io *io, int fd, struct msghdr *message, uint64_t token);
void poller_send(struct io *io, int fd, const void *buffer, uint32_t size, uint64_t token);
void poller_shutdown_done(struct io *io, int fd);
uint32_t poller_wait(struct io *io, struct io_completion *completions, uint32_t completions_max,
                     int64_t timeout_ms);
