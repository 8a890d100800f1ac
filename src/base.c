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

bool parse_int64(const uint8_t *text, uint32_t size, int64_t *value) {
    ASSERT(value != NULL);
    if (size == 0 || size > 20) {
        return false;
    }
    if (size == 1 && text[0] == '0') {
        *value = 0;
        return true;
    }
    uint32_t index = 0;
    bool negative = false;
    if (text[0] == '-') {
        negative = true;
        index = 1;
        if (size == 1) {
            return false;
        }
    }
    if (text[index] < '1' || text[index] > '9') {
        return false;
    }
    uint64_t magnitude = 0;
    for (; index < size; index++) {
        uint8_t c = text[index];
        if (c < '0' || c > '9') {
            return false;
        }
        uint64_t digit = (uint64_t)(c - '0');
        if (magnitude > (UINT64_MAX - digit) / 10) {
            return false;
        }
        magnitude = magnitude * 10 + digit;
    }
    if (negative) {
        if (magnitude > (uint64_t)INT64_MAX + 1) {
            return false;
        }
        *value = (int64_t)(0 - magnitude);
    } else {
        if (magnitude > (uint64_t)INT64_MAX) {
            return false;
        }
        *value = (int64_t)magnitude;
    }
    return true;
}

uint32_t format_int64(char *buffer, int64_t value) {
    ASSERT(buffer != NULL);
    char digits[24];
    uint32_t count = 0;
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[count++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0 && count < 20);
    uint32_t size = 0;
    if (value < 0) {
        buffer[size++] = '-';
    }
    while (count > 0) {
        buffer[size++] = digits[--count];
    }
    ASSERT(size <= 20);
    return size;
}
