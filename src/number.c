/*
 * number.c: long double texts for INCRBYFLOAT and HINCRBYFLOAT (see number.h).
 *
 * Parsing copies the text into a static buffer to NUL-terminate it for
 * strtold: the server is single-threaded and the parser does not nest.
 */
#include "number.h"

#include <errno.h>
#include <math.h>

static char number_scratch[NUMBER_LONG_DOUBLE_TEXT_SIZE_MAX];

bool number_parse_long_double(struct slice text, long double *value) {
    ASSERT(value != NULL);
    ASSERT(text.ptr != NULL || text.size == 0);
    if (text.size == 0 || text.size >= NUMBER_LONG_DOUBLE_TEXT_SIZE_MAX) {
        return false;
    }
    char *buffer = number_scratch;
    memcpy(buffer, text.ptr, text.size);
    buffer[text.size] = '\0';
    char *end = NULL;
    errno = 0;
    long double parsed = strtold(buffer, &end);
    ASSERT(end != NULL);
    bool space = buffer[0] == ' ' || (buffer[0] >= '\t' && buffer[0] <= '\r');
    bool range_error = errno == ERANGE &&
                       (parsed == HUGE_VALL || parsed == -HUGE_VALL ||
                        fpclassify(parsed) == FP_ZERO);
    /* All of the text must be the number: a NUL byte inside ends strtold early. */
    bool whole = (uint32_t)(end - buffer) == text.size;
    if (space || *end != '\0' || !whole || range_error || isnan(parsed)) {
        return false;
    }
    *value = parsed;
    return true;
}

uint32_t number_format_long_double(char *buffer, uint32_t buffer_size, long double value) {
    ASSERT(isfinite(value));
    ASSERT(buffer_size >= NUMBER_LONG_DOUBLE_TEXT_SIZE_MAX);
    int written = snprintf(buffer, buffer_size, "%.17Lf", value);
    ASSERT(written > 0);
    ASSERT((uint32_t)written < buffer_size);
    uint32_t size = (uint32_t)written;
    if (memchr(buffer, '.', size) != NULL) {
        while (size > 0 && buffer[size - 1] == '0') {
            size--;
        }
        if (size > 0 && buffer[size - 1] == '.') {
            size--;
        }
    }
    if (size == 2 && buffer[0] == '-' && buffer[1] == '0') {
        buffer[0] = '0';
        size = 1;
    }
    return size;
}
