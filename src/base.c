/*
 * base.c: the few helpers every module shares (see base.h).
 */
#include "base.h"

#include <unistd.h>

_Noreturn void assert_fail(const char *expression, const char *file, int line) {
    char message[512];
    int size = snprintf(message, sizeof(message), "keel: assertion failed: %s at %s:%d\n",
                        expression, file, line);
    if (size > 0) {
        ssize_t written = write(STDERR_FILENO, message, (size_t)MIN(size, (int)sizeof(message)));
        (void)written;
    }
    abort();
}

bool slice_equal_nocase(struct slice a, const char *lower) {
    ASSERT(lower != NULL);
    uint32_t index = 0;
    for (; index < a.size; index++) {
        uint8_t expected = (uint8_t)lower[index];
        if (expected == 0) {
            return false;
        }
        uint8_t actual = a.ptr[index];
        if (actual >= 'A' && actual <= 'Z') {
            actual = (uint8_t)(actual + ('a' - 'A'));
        }
        if (actual != expected) {
            return false;
        }
    }
    return lower[index] == 0;
}
