/*
 * io_uring.c: the io_uring backend of io.h (functions ring_*, called by io.c).
 *
 * Submission queue entries are prepared as operations are queued; when the
 * queue is full it is submitted early (rare: the ring is sized for a turn).
 * io_wait submits the rest and waits in the same io_uring_enter call.
 */
#include "io.h"

#include <errno.h>

bool ring_init(struct io *io, uint32_t entries, uint32_t completion_entries, char *error,
               uint32_t error_size, int *error_number) {
    ASSERT(entries > 0);
    ASSERT(completion_entries >= entries);
    /*
     * Task work runs only when the loop enters the kernel (DEFER_TASKRUN, 6.1+),
     * else cooperatively (COOP_TASKRUN, 5.19+): completions then cost no
     * interrupt of the running loop. Older kernels get the plain ring.
     */
    static const uint32_t flag_choices[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int result = -EINVAL;
    for (uint32_t index = 0; index < ARRAY_COUNT(flag_choices) && result < 0; index++) {
        struct io_uring_params params;
        memset(&params, 0, sizeof(params));
        params.flags = IORING_SETUP_CQSIZE | flag_choices[index];
        params.cq_entries = completion_entries;
        result = io_uring_queue_init_params(entries, &io->ring, &params);
        if (result == -EPERM || result == -ENOSYS) {
            break; /* io_uring itself is forbidden: no flag will help */
        }
    }
    if (result < 0) {
        snprintf(error, error_size, "io_uring setup failed: %s", strerror(-result));
        *error_number = -result;
        return false;
    }
    io->entries = entries;
    io->kind = IO_KIND_URING;
    return true;
}

void ring_deinit(struct io *io) {
    ASSERT(io->kind == IO_KIND_URING);
    io_uring_queue_exit(&io->ring);
    io->kind = IO_KIND_NONE;
}

static struct io_uring_sqe *io_sqe(struct io *io) {
    ASSERT(io->kind == IO_KIND_URING);
    struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);
    if (sqe == NULL) {
        int submitted = io_uring_submit(&io->ring);
        ASSERT(submitted >= 0);
        sqe = io_uring_get_sqe(&io->ring);
    }
    ASSERT(sqe != NULL);
    return sqe;
}

void ring_accept(struct io *io, int listen_fd, uint64_t token) {
    ASSERT(listen_fd >= 0);
    struct io_uring_sqe *sqe = io_sqe(io);
    io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, token);
}

void ring_recv(struct io *io, int fd, void *buffer, uint32_t size, uint64_t token) {
    ASSERT(fd >= 0);
    ASSERT(size > 0);
    struct io_uring_sqe *sqe = io_sqe(io);
    io_uring_prep_recv(sqe, fd, buffer, size, 0);
    io_uring_sqe_set_data64(sqe, token);
}

void ring_sendmsg(struct io *io, int fd, struct msghdr *message, uint64_t token) {
    ASSERT(fd >= 0);
    ASSERT(message->msg_iovlen > 0);
    struct io_uring_sqe *sqe = io_sqe(io);
    io_uring_prep_sendmsg(sqe, fd, message, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, token);
}

void ring_send(struct io *io, int fd, const void *buffer, uint32_t size, uint64_t token) {
    ASSERT(fd >= 0);
    ASSERT(size > 0);
    struct io_uring_sqe *sqe = io_sqe(io);
    io_uring_prep_send(sqe, fd, buffer, size, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, token);
}

uint32_t ring_wait(struct io *io, struct io_completion *completions, uint32_t completions_max,
                   int64_t timeout_ms) {
    ASSERT(completions_max > 0);
    ASSERT(timeout_ms >= 0);
    struct __kernel_timespec timeout = {
        .tv_sec = timeout_ms / 1000,
        .tv_nsec = (timeout_ms % 1000) * 1000000,
    };
    struct io_uring_cqe *cqe = NULL;
    int result;
    if (timeout_ms == 0) {
        result = io_uring_submit(&io->ring);
    } else {
        result = io_uring_submit_and_wait_timeout(&io->ring, &cqe, 1, &timeout, NULL);
    }
    ASSERT(result >= 0 || result == -ETIME || result == -EINTR || result == -EAGAIN ||
           result == -EBUSY);
    uint32_t count = 0;
    unsigned head;
    io_uring_for_each_cqe(&io->ring, head, cqe) {
        if (count == completions_max) {
            break;
        }
        completions[count].token = cqe->user_data;
        completions[count].result = cqe->res;
        completions[count].flags = (cqe->flags & IORING_CQE_F_MORE) ? IO_COMPLETION_MORE : 0;
        count++;
    }
    io_uring_cq_advance(&io->ring, count);
    return count;
}
