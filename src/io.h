/*
 * io.h: the only interface that knows how sockets are driven. Completion
 * based: the caller queues operations with a 64-bit token and later collects
 * completions (token, result) from io_wait. One io_wait call submits every
 * queued operation and waits, so a loop turn costs one system call.
 *
 * Backends: io_uring (io_uring.c). An epoll backend can implement the same
 * calls by performing each operation when its socket is ready.
 *
 * Rules the caller keeps: at most one receive and one send in flight per
 * socket; buffers and the msghdr stay valid until the completion arrives.
 */
#pragma once

#include "base.h"

#include <liburing.h>
#include <sys/socket.h>

#define IO_COMPLETIONS_PER_TURN_MAX 4096u

/* Completion flag: a multishot operation stays armed. */
#define IO_COMPLETION_MORE 1u

struct io_completion {
    uint64_t token;
    int32_t result;    /* bytes, a new fd, or -errno */
    uint32_t flags;
};

struct io {
    struct io_uring ring;
    uint32_t entries;
    uint32_t queued;
    bool initialised;
};

/* Sets up the backend for `entries` submissions per turn. False with a message on failure. */
bool io_init(struct io *io, uint32_t entries, uint32_t completion_entries, char *error,
             uint32_t error_size);
void io_deinit(struct io *io);

/* Multishot accept on a listening socket; completions carry the new fd. */
void io_accept(struct io *io, int listen_fd, uint64_t token);
void io_recv(struct io *io, int fd, void *buffer, uint32_t size, uint64_t token);
void io_sendmsg(struct io *io, int fd, struct msghdr *message, uint64_t token);
/* A send of one buffer: cheaper than sendmsg when the reply is in one chunk. */
void io_send(struct io *io, int fd, const void *buffer, uint32_t size, uint64_t token);

/*
 * Submits everything queued and waits up to timeout_ms (0: do not wait) for
 * at least one completion; writes up to completions_max of them.
 */
uint32_t io_wait(struct io *io, struct io_completion *completions, uint32_t completions_max,
                 int64_t timeout_ms);
