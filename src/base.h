/*
 * base.h: the definitions every keel file shares.
 *
 * ASSERT is always on, in every build mode: a violated invariant aborts with
 * the file and line. VERIFY is for O(n) checks and runs only in test builds
 * (KEEL_VERIFY). Client input is never asserted: it is validated and answered.
 *
 * The C library's allocator is poisoned here: all memory comes from the arena
 * (src/arena.c), reserved once at startup. The system headers that declare the
 * allocator are included first so their declarations are not affected.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATIC_ASSERT(condition, message) _Static_assert(condition, message)
#define ARRAY_COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KIB ((uint64_t)1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

_Noreturn void assert_fail(const char *expression, const char *file, int line);

#define ASSERT(condition)                                                                  \
    do {                                                                                   \
        if (UNLIKELY(!(condition))) {                                                      \
            assert_fail(#condition, __FILE__, __LINE__);                                   \
        }                                                                                  \
    } while (0)

#ifdef KEEL_VERIFY
#define VERIFY(condition) ASSERT(condition)
#else
#define VERIFY(condition) ((void)0)
#endif

/* A byte string that does not own its memory. */
struct slice {
    const uint8_t *ptr;
    uint32_t size;
};

static inline struct slice slice_from_cstr(const char *text) {
    return (struct slice){ .ptr = (const uint8_t *)text, .size = (uint32_t)strlen(text) };
}

static inline bool slice_equal(struct slice a, struct slice b) {
    return a.size == b.size && (a.size == 0 || memcmp(a.ptr, b.ptr, a.size) == 0);
}

/* Case-insensitive comparison of a slice with a lower-case C string. */
bool slice_equal_nocase(struct slice a, const char *lower);

/*
 * Parses a decimal int64 exactly as Redis's string2ll: optional '-', no '+', no
 * spaces, no leading zeros ("0" alone is fine, "-0" is not). A string that parses
 * is also the canonical text of its value, which is what integer encoding needs.
 */
bool parse_int64(const uint8_t *text, uint32_t size, int64_t *value);

/* Formats an int64 in decimal; returns the length (buffer >= 21 bytes). */
uint32_t format_int64(char *buffer, int64_t value);

/* True when a + b does not fit an int64 (INCRBY, HINCRBY). */
static inline bool int64_add_overflows(int64_t a, int64_t b) {
    return (b < 0 && a < 0 && b < INT64_MIN - a) || (b > 0 && a > 0 && b > INT64_MAX - a);
}

static inline uint64_t align_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

#ifndef KEEL_ALLOW_LIBC_ALLOCATOR
#pragma GCC poison malloc calloc realloc free strdup strndup
#endif
