/*
 * io_epoll.c: the epoll backend of io.h (functions poller_*, called by io.c),
 * for hosts that forbid io_uring or when `io-backend epoll` is set.
 *
 * Every socket is registered once, edge-triggered, for input and output. A
 * socket remembers whether it may be readable or writable (cleared when a
 * system call says EAGAIN or returns less than asked, set again by the next
 * edge). Operations are queued by the io_* calls and performed in
 * poller_wait, first for sockets already known to be ready, then for those
 * epoll reports; their results become completions exactly as io_uring's.
 *
 * Memory (from the arena, io_epoll_memory_size): one struct io_socket per
 * possible fd, and a ring of finished completions. A socket has at most one
 * receive and one send pending, and accepts are bounded per turn, so the ring
 * (2 per socket plus the accept batches) cannot overflow.
 */
#include "io.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#define POLLER_EVENTS_MAX 512u
#define POLLER_NONE UINT32_MAX

static uint32_t poller_done_capacity(uint32_t socket_count) {
    return socket_count * 2 + IO_ACCEPTS_PER_TURN_MAX * IO_LISTENERS_MAX;
}

uint64_t io_epoll_memory_size(uint32_t socket_count) {
    ASSERT(socket_count > 0);
    return (uint64_t)socket_count * sizeof(struct io_socket) +
           (uint64_t)poller_done_capacity(socket_count) * sizeof(struct io_completion);
}

bool poller_init(struct io *io, uint32_t socket_count, void *memory, char *error,
                 uint32_t error_size) {
    ASSERT(io->kind == IO_KIND_NONE);
    ASSERT(memory != NULL);
    struct io_epoll *poller = &io->epoll;
    poller->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (poller->epoll_fd < 0) {
        snprintf(error, error_size, "epoll setup failed: %s", strerror(errno));
        return false;
    }
    poller->sockets = memory;
    poller->socket_count = socket_count;
    memset(poller->sockets, 0, (uint64_t)socket_count * sizeof(struct io_socket));
    poller->done = (struct io_completion *)(poller->sockets + socket_count);
    poller->done_count = 0;
    poller->done_head = 0;
    poller->done_capacity = poller_done_capacity(socket_count);
    poller->retry_head = POLLER_NONE;
    io->kind = IO_KIND_EPOLL;
    return true;
}

void poller_deinit(struct io *io) {
    ASSERT(io->kind == IO_KIND_EPOLL);
    close(io->epoll.epoll_fd);
    io->kind = IO_KIND_NONE;
}

static void poller_complete(struct io_epoll *poller, uint64_t token, int32_t result,
                            uint32_t flags) {
    ASSERT(poller->done_count < poller->done_capacity);
    uint32_t slot = (poller->done_head + poller->done_count) % poller->done_capacity;
    poller->done[slot] = (struct io_completion){ .token = token, .result = result,
                                                 .flags = flags };
    poller->done_count++;
}

static struct io_socket *poller_socket(struct io_epoll *poller, int fd) {
    ASSERT(fd >= 0);
    ASSERT((uint32_t)fd < poller->socket_count);
    return &poller->sockets[fd];
}

/* Registers a socket on first use: edge-triggered input and output. */
static void poller_register(struct io_epoll *poller, int fd, struct io_socket *socket) {
    if (socket->registered) {
        return;
    }
    struct epoll_event event = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                 .data.u32 = (uint32_t)fd };
    int result = epoll_ctl(poller->epoll_fd, EPOLL_CTL_ADD, fd, &event);
    ASSERT(result == 0 || errno == EEXIST);
    socket->registered = true;
    socket->readable = true; /* try once: the first EAGAIN clears it */
    socket->writable = true;
}

static void poller_queue_retry(struct io_epoll *poller, int fd) {
    struct io_socket *socket = poller_socket(poller, fd);
    if (!socket->queued) {
        socket->queued = true;
        socket->next_queued = poller->retry_head;
        poller->retry_head = (uint32_t)fd;
    }
}

void poller_accept(struct io *io, int listen_fd, uint64_t token) {
    struct io_epoll *poller = &io->epoll;
    struct io_socket *socket = poller_socket(poller, listen_fd);
    ASSERT(!socket->listener || socket->recv_token == token);
    if (!socket->listener) {
        ASSERT(poller->listen_count < IO_LISTENERS_MAX);
        poller->listen_count++;
    }
    socket->listener = true;
    socket->recv_token = token;
    poller_register(poller, listen_fd, socket);
    poller_queue_retry(poller, listen_fd);
}

void poller_recv(struct io *io, int fd, void *buffer, uint32_t size, uint64_t token) {
    struct io_epoll *poller = &io->epoll;
    struct io_socket *socket = poller_socket(poller, fd);
    ASSERT(!socket->recv_pending);
    ASSERT(size > 0);
    poller_register(poller, fd, socket);
    socket->recv_pending = true;
    socket->recv_buffer = buffer;
    socket->recv_size = size;
    socket->recv_token = token;
    poller_queue_retry(poller, fd);
}

static void poller_queue_send(struct io_epoll *poller, int fd, uint64_t token) {
    struct io_socket *socket = poller_socket(poller, fd);
    poller_register(poller, fd, socket);
    socket->send_pending = true;
    socket->send_token = token;
    poller_queue_retry(poller, fd);
}

void poller_sendmsg(struct io *io, int fd, struct msghdr *message, uint64_t token) {
    struct io_socket *socket = poller_socket(&io->epoll, fd);
    ASSERT(!socket->send_pending);
    ASSERT(message->msg_iovlen > 0);
    socket->send_buffer = NULL;
    socket->send_message = message;
    poller_queue_send(&io->epoll, fd, token);
}

void poller_send(struct io *io, int fd, const void *buffer, uint32_t size, uint64_t token) {
    struct io_socket *socket = poller_socket(&io->epoll, fd);
    ASSERT(!socket->send_pending);
    ASSERT(size > 0);
    socket->send_buffer = buffer;
    socket->send_size = size;
    socket->send_message = NULL;
    poller_queue_send(&io->epoll, fd, token);
}

void poller_shutdown_done(struct io *io, int fd) {
    struct io_socket *socket = poller_socket(&io->epoll, fd);
    /* A local shutdown raises no edge: retry now, the calls return 0 or EPIPE. */
    socket->readable = true;
    socket->writable = true;
    if (socket->recv_pending || socket->send_pending) {
        poller_queue_retry(&io->epoll, fd);
    }
}

/* Accepts until EAGAIN or the per-turn bound; each new socket starts clean. */
static void poller_accept_ready(struct io_epoll *poller, int listen_fd,
                                struct io_socket *listener) {
    for (uint32_t round = 0; round < IO_ACCEPTS_PER_TURN_MAX; round++) {
        if (poller->done_count == poller->done_capacity) {
            poller_queue_retry(poller, listen_fd);
            return;
        }
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                listener->readable = false;
                return;
            }
            poller_complete(poller, listener->recv_token, -errno, IO_COMPLETION_MORE);
            if (errno == EMFILE || errno == ENFILE) {
                return; /* retried on the next edge or turn, not in a tight loop */
            }
            continue;
        }
        if ((uint32_t)fd >= poller->socket_count) {
            close(fd); /* cannot happen while maxclients fits the fd limit */
            continue;
        }
        memset(&poller->sockets[fd], 0, sizeof(poller->sockets[fd]));
        poller_complete(poller, listener->recv_token, fd, IO_COMPLETION_MORE);
    }
    poller_queue_retry(poller, listen_fd); /* more may be waiting: next turn */
}

static void poller_try_recv(struct io_epoll *poller, int fd, struct io_socket *socket) {
    ssize_t result = recv(fd, socket->recv_buffer, socket->recv_size, MSG_DONTWAIT);
    if (result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        socket->readable = false;
        return;
    }
    if (result < 0 && errno == EINTR) {
        return;
    }
    if (result > 0 && (uint32_t)result < socket->recv_size && !socket->hangup) {
        /* Drained for now: the next arrival is a new edge. Not after a hang-up:
         * its edge came with the data just read, and no other edge will follow. */
        socket->readable = false;
    }
    socket->recv_pending = false;
    poller_complete(poller, socket->recv_token, result < 0 ? -errno : (int32_t)result, 0);
}

static void poller_try_send(struct io_epoll *poller, int fd, struct io_socket *socket) {
    ssize_t result;
    uint64_t asked;
    if (socket->send_message != NULL) {
        result = sendmsg(fd, socket->send_message, MSG_DONTWAIT | MSG_NOSIGNAL);
        asked = 0;
        for (size_t index = 0; index < socket->send_message->msg_iovlen; index++) {
            asked += socket->send_message->msg_iov[index].iov_len;
        }
    } else {
        result = send(fd, socket->send_buffer, socket->send_size, MSG_DONTWAIT | MSG_NOSIGNAL);
        asked = socket->send_size;
    }
    if (result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        socket->writable = false;
        return;
    }
    if (result < 0 && errno == EINTR) {
        return;
    }
    if (result >= 0 && (uint64_t)result < asked) {
        socket->writable = false;
    }
    socket->send_pending = false;
    poller_complete(poller, socket->send_token, result < 0 ? -errno : (int32_t)result, 0);
}

static void poller_try(struct io_epoll *poller, int fd) {
    struct io_socket *socket = poller_socket(poller, fd);
    if (socket->listener) {
        if (socket->readable) {
            poller_accept_ready(poller, fd, socket);
        }
        return;
    }
    if (socket->recv_pending && socket->readable) {
        poller_try_recv(poller, fd, socket);
    }
    if (socket->send_pending && socket->writable) {
        poller_try_send(poller, fd, socket);
    }
}

static void poller_run_retries(struct io_epoll *poller) {
    uint32_t fd = poller->retry_head;
    poller->retry_head = POLLER_NONE;
    for (uint32_t visited = 0; fd != POLLER_NONE; visited++) {
        ASSERT(visited < poller->socket_count);
        struct io_socket *socket = poller_socket(poller, (int)fd);
        uint32_t next = socket->next_queued;
        socket->queued = false;
        poller_try(poller, (int)fd);
        fd = next;
    }
}

uint32_t poller_wait(struct io *io, struct io_completion *completions, uint32_t completions_max,
                     int64_t timeout_ms) {
    ASSERT(io->kind == IO_KIND_EPOLL);
    ASSERT(completions_max > 0);
    struct io_epoll *poller = &io->epoll;
    poller_run_retries(poller);
    struct epoll_event events[POLLER_EVENTS_MAX];
    bool have_work = poller->done_count > 0 || poller->retry_head != POLLER_NONE;
    int ready = epoll_wait(poller->epoll_fd, events, POLLER_EVENTS_MAX,
                           have_work ? 0 : (int)MIN(timeout_ms, (int64_t)INT32_MAX));
    ASSERT(ready >= 0 || errno == EINTR);
    for (int index = 0; index < ready; index++) {
        int fd = (int)events[index].data.u32;
        struct io_socket *socket = poller_socket(poller, fd);
        uint32_t flags = events[index].events;
        if (flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            socket->readable = true;
        }
        if (flags & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            socket->hangup = true;
        }
        if (flags & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
            socket->writable = true;
        }
        poller_try(poller, fd);
    }
    uint32_t count = MIN(poller->done_count, completions_max);
    for (uint32_t index = 0; index < count; index++) {
        completions[index] = poller->done[poller->done_head];
        poller->done_head = (poller->done_head + 1) % poller->done_capacity;
    }
    poller->done_count -= count;
    return count;
}
