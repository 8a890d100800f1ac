/*
 * test_base.c: ASSERT stays on in every build mode and a violated invariant
 * aborts with the expression, file and line (checked in a child process).
 */
#include "base.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

Test(base, assert_aborts_with_file_and_line) {
    int pipe_fds[2];
    cr_assert_eq(pipe(pipe_fds), 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        dup2(pipe_fds[1], STDERR_FILENO);
        volatile int two = 2;
        ASSERT(1 + 1 == two + 1); /* the line checked below */
        _exit(0);
    }
    close(pipe_fds[1]);
    char text[512] = { 0 };
    ssize_t size = read(pipe_fds[0], text, sizeof(text) - 1);
    close(pipe_fds[0]);
    int status = 0;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFSIGNALED(status), "the child exited instead of aborting");
    cr_assert_eq(WTERMSIG(status), SIGABRT);
    cr_assert_gt(size, 0);
    cr_assert(strstr(text, "assertion failed: 1 + 1 == two + 1 at tests/unit/test_base.c:20")
              != NULL, "message: %s", text);
}

Test(base, assert_passes_silently) {
    ASSERT(1 + 1 == 2);
    cr_assert(true);
}

Test(base, slice_equal_nocase) {
    cr_assert(slice_equal_nocase(slice_from_cstr("GeT"), "get"));
    cr_assert_not(slice_equal_nocase(slice_from_cstr("gets"), "get"));
    cr_assert_not(slice_equal_nocase(slice_from_cstr("ge"), "get"));
}
