/*
 * io.c: backend selection and dispatch for io.h. Each call switches on the
 * backend chosen at startup (a branch the CPU predicts every time).
 */
#include "io.h"

#include <errno.h>

bool io_init(struct io *io, enum io_backend choice, uint32_t entries, uint32_t socket_count,
             void *memory, char *error, uint32_t error_size) {
    ASSERT(io->kind == IO_KIND_NONE);
    ASSERT(entries > 0);
    if (choice != IO_BACKEND_EPOLL) {
        uint32_t completion_entries = 4096;
        while (completion_entries < socket_count * 2 + 64 && completion_entries < 65536) {
            completion_entries *= 2;
        }
        int error_number = 0;
        if (ring_init(io, entries, completion_entries, error, error_size, &error_number)) {
            return true;
        }
        if (choice == IO_BACKEND_IO_URING) {
            return false; /* forced: the caller reports the error and exits */
        }
        /* auto: io_uring is unavailable here (seccomp, an old kernel, a sysctl). */
    }
    return poller_init(io, socket_count, memory, error, error_size);
}

void io_deinit(struct io *io) {
    if (io->kind == IO_KIND_URING) {
        ring_deinit(io);
    } else if (io->kind == IO_KIND_EPOLL) {
        poller_deinit(io);
    }
    ASSERT(io->kind == IO_KIND_NONE);
}

const char *io_kind_name(const struct io *io) {
    ASSERT(io->kind != IO_KIND_NONE);
    return io->kind == IO_KIND_URING ? "io_uring" : "epoll";
}

void io_accept(struct io *io, int listen_fd, uint64_t token) {
    if (io->kind == IO_KIND_URING) {
        ring_accept(io, listen_fd, token);
    } else {
        poller_accept(io, listen_fd, token);
    }
}

void io_recv(struct io *io, int fd, void *buffer, uint32_t size, uint64_t token) {
    if (io->kind == IO_KIND_URING) {
        ring_recv(io, fd, buffer, size, token);
    } else {
        poller_recv(io, fd, buffer, size, token);
    }
}

void io_sendmsg(struct io *io, int fd, struct msghdr *message, uint64_t token) {
    if (io->kind == IO_KIND_URING) {
        ring_sendmsg(io, fd, message, token);
    } else {
        poller_sendmsg(io, fd, message, token);
    }
}

void io_send(struct io *io, int fd, const void *buffer, uint32_t size, uint64_t token) {
    if (io->kind == IO_KIND_URING) {
        ring_send(io, fd, buffer, size, token);
    } else {
        poller_send(io, fd, buffer, size, token);
    }
}

void io_shutdown_done(struct io *io, int fd) {
    if (io->kind == IO_KIND_EPOLL) {
        poller_shutdown_done(io, fd);
    }
}

uint32_t io_wait(struct io *io, struct io_completion *completions, uint32_t completions_max,
                 int64_t timeout_ms) {
    if (io->kind == IO_KIND_URING) {
        return ring_wait(io, completions, completions_max, timeout_ms);
    }
    return poller_wait(io, completions, completions_max, timeout_ms);
}
