/*
 * reply.c: RESP reply encoding (see reply.h).
 */
#include "reply.h"

#include "errorstats.h"

#include <math.h>
#include <stdarg.h>

#define REPLY_ERROR_SIZE_MAX 512u

void reply_raw(struct reply *reply, const void *bytes, uint64_t size) {
    ASSERT(reply->output != NULL);
    ASSERT(bytes != NULL || size == 0);
    output_write(reply->pool, reply->output, bytes, size);
}

static void reply_prefixed_number(struct reply *reply, char prefix, int64_t value) {
    char line[32];
    line[0] = prefix;
    uint32_t size = 1 + format_int64(line + 1, value);
    line[size++] = '\r';
    line[size++] = '\n';
    reply_raw(reply, line, size);
}

void reply_simple(struct reply *reply, const char *text) {
    ASSERT(strchr(text, '\r') == NULL);
    reply_raw(reply, "+", 1);
    reply_raw(reply, text, strlen(text));
    reply_raw(reply, "\r\n", 2);
}

void reply_ok(struct reply *reply) {
    reply_raw(reply, "+OK\r\n", 5);
}

void reply_error(struct reply *reply, const char *text) {
    ASSERT(text != NULL);
    char line[REPLY_ERROR_SIZE_MAX + 3];
    uint32_t size = 0;
    line[size++] = '-';
    for (const char *cursor = text; *cursor != 0 && size < REPLY_ERROR_SIZE_MAX; cursor++) {
        char c = *cursor;
        line[size++] = (c == '\r' || c == '\n') ? ' ' : c;
    }
    /* INFO errorstats and total_error_replies count every error reply, by its code. */
    errorstats_count(line + 1, size - 1);
    line[size++] = '\r';
    line[size++] = '\n';
    reply->error_count++;
    reply_raw(reply, line, size);
}

void reply_errorf(struct reply *reply, const char *format, ...) {
    char text[REPLY_ERROR_SIZE_MAX];
    va_list arguments;
    va_start(arguments, format);
    int size = vsnprintf(text, sizeof(text), format, arguments);
    va_end(arguments);
    ASSERT(size >= 0);
    reply_error(reply, text);
}

void reply_integer(struct reply *reply, int64_t value) {
    reply_prefixed_number(reply, ':', value);
}

void reply_bulk_header(struct reply *reply, uint64_t size) {
    ASSERT(size <= (uint64_t)INT64_MAX);
    reply_prefixed_number(reply, '$', (int64_t)size);
}

void reply_bulk_trailer(struct reply *reply) {
    reply_raw(reply, "\r\n", 2);
}

void reply_bulk(struct reply *reply, const void *bytes, uint64_t size) {
    reply_bulk_header(reply, size);
    reply_raw(reply, bytes, size);
    reply_bulk_trailer(reply);
}

void reply_bulk_slice(struct reply *reply, struct slice value) {
    reply_bulk(reply, value.ptr, value.size);
}

void reply_bulk_cstr(struct reply *reply, const char *text) {
    reply_bulk(reply, text, strlen(text));
}

void reply_bulk_int64(struct reply *reply, int64_t value) {
    char digits[24];
    uint32_t size = format_int64(digits, value);
    reply_bulk(reply, digits, size);
}

void reply_null(struct reply *reply) {
    if (reply->protocol == 3) {
        reply_raw(reply, "_\r\n", 3);
    } else {
        reply_raw(reply, "$-1\r\n", 5);
    }
}

void reply_null_array(struct reply *reply) {
    if (reply->protocol == 3) {
        reply_raw(reply, "_\r\n", 3);
    } else {
        reply_raw(reply, "*-1\r\n", 5);
    }
}

void reply_array(struct reply *reply, uint64_t count) {
    ASSERT(count <= (uint64_t)INT64_MAX);
    reply_prefixed_number(reply, '*', (int64_t)count);
}

void reply_map(struct reply *reply, uint64_t pair_count) {
    ASSERT(pair_count <= (uint64_t)INT64_MAX / 2);
    if (reply->protocol == 3) {
        reply_prefixed_number(reply, '%', (int64_t)pair_count);
    } else {
        reply_prefixed_number(reply, '*', (int64_t)(pair_count * 2));
    }
}

void reply_set(struct reply *reply, uint64_t count) {
    ASSERT(count <= (uint64_t)INT64_MAX);
    reply_prefixed_number(reply, reply->protocol == 3 ? '~' : '*', (int64_t)count);
}

void reply_empty_array(struct reply *reply) {
    reply_raw(reply, "*0\r\n", 4);
}

void reply_push(struct reply *reply, uint64_t count) {
    ASSERT(count <= (uint64_t)INT64_MAX);
    reply_prefixed_number(reply, reply->protocol == 3 ? '>' : '*', (int64_t)count);
}

/* Formats as Redis's addReplyDouble (%.17g; inf and -inf spelled out); returns the size. */
static uint32_t reply_format_double(char *text, uint32_t capacity, double value) {
    int size;
    if (isinf(value)) {
        size = snprintf(text, capacity, "%s", value > 0 ? "inf" : "-inf");
    } else {
        size = snprintf(text, capacity, "%.17g", value);
    }
    ASSERT(size > 0 && (uint32_t)size < capacity);
    return (uint32_t)size;
}

void reply_double_bulk(struct reply *reply, double value) {
    char text[64];
    uint32_t size = reply_format_double(text, sizeof(text), value);
    reply_bulk(reply, text, size);
}

void reply_double(struct reply *reply, double value) {
    if (reply->protocol != 3) {
        reply_double_bulk(reply, value);
        return;
    }
    /* Redis writes ",<text>\r\n" in one piece. */
    char line[72];
    line[0] = ',';
    uint32_t size = reply_format_double(line + 1, 64, value);
    line[size + 1] = '\r';
    line[size + 2] = '\n';
    reply_raw(reply, line, (uint64_t)size + 3);
}

void reply_pair_array(struct reply *reply, uint64_t pair_count) {
    ASSERT(pair_count <= (uint64_t)INT64_MAX / 2);
    reply_array(reply, reply->protocol == 3 ? pair_count : pair_count * 2);
}

void reply_pair(struct reply *reply) {
    ASSERT(reply->protocol == 2 || reply->protocol == 3);
    if (reply->protocol == 3) {
        reply_raw(reply, "*2\r\n", 4);
    }
}

void reply_bool(struct reply *reply, bool value) {
    if (reply->protocol == 3) {
        reply_raw(reply, value ? "#t\r\n" : "#f\r\n", 4);
    } else {
        reply_raw(reply, value ? ":1\r\n" : ":0\r\n", 4);
    }
}

void reply_verbatim_header(struct reply *reply, uint64_t size, const char *format) {
    ASSERT(format != NULL && strlen(format) == 3);
    ASSERT(size <= (uint64_t)INT64_MAX - 4);
    if (reply->protocol != 3) {
        reply_bulk_header(reply, size);
        return;
    }
    reply_prefixed_number(reply, '=', (int64_t)(size + 4));
    reply_raw(reply, format, 3);
    reply_raw(reply, ":", 1);
}

void reply_verbatim(struct reply *reply, const void *bytes, uint64_t size,
                    const char *format) {
    reply_verbatim_header(reply, size, format);
    reply_raw(reply, bytes, size);
    reply_bulk_trailer(reply);
}
