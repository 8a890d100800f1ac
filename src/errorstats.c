/*
 * errorstats.c: error replies by code (see errorstats.h).
 */
#include "errorstats.h"

struct errorstats errorstats_global;

/* The code of an error text, as Redis's afterErrorReply finds it in "-<text>". */
static struct slice errorstats_code_of(const char *text, uint32_t size) {
    ASSERT(text != NULL || size == 0);
    /* Redis searches " " in the first 32 bytes of "-<text>": 31 bytes of text. */
    uint32_t window = MIN(size, ERRORSTATS_CODE_SIZE_MAX - 1);
    const char *space = window == 0 ? NULL : memchr(text, ' ', window);
    if (space == NULL) {
        return slice_from_cstr("ERR");
    }
    return (struct slice){ .ptr = (const uint8_t *)text, .size = (uint32_t)(space - text) };
}

/* Where `code` is, or where it would go to keep the table sorted (*found says which). */
static uint32_t errorstats_position(const struct errorstats *stats, struct slice code,
                                    bool *found) {
    ASSERT(code.size < ERRORSTATS_CODE_SIZE_MAX);
    ASSERT(stats->code_count <= ERRORSTATS_CODES_MAX);
    *found = false;
    for (uint32_t index = 0; index < stats->code_count; index++) {
        const struct errorstats_code *entry = &stats->codes[index];
        uint32_t common = MIN(entry->size, code.size);
        int order = common == 0 ? 0 : memcmp(entry->name, code.ptr, common);
        if (order == 0 && entry->size == code.size) {
            *found = true;
            return index;
        }
        if (order > 0 || (order == 0 && entry->size > code.size)) {
            return index;
        }
    }
    return stats->code_count;
}

void errorstats_record(struct errorstats *stats, const char *text, uint32_t size) {
    ASSERT(stats != NULL);
    stats->total++;
    struct slice code = errorstats_code_of(text, size);
    bool found = false;
    uint32_t index = errorstats_position(stats, code, &found);
    if (!found) {
        if (stats->code_count == ERRORSTATS_CODES_MAX) {
            return;
        }
        memmove(&stats->codes[index + 1], &stats->codes[index],
                (stats->code_count - index) * sizeof(stats->codes[0]));
        stats->code_count++;
        struct errorstats_code *entry = &stats->codes[index];
        entry->size = code.size;
        entry->count = 0;
        if (code.size > 0) {
            memcpy(entry->name, code.ptr, code.size);
        }
    }
    stats->codes[index].count++;
    ASSERT(stats->codes[index].size == code.size);
}

void errorstats_count(const char *text, uint32_t size) {
    errorstats_record(&errorstats_global, text, size);
}

void errorstats_reset(struct errorstats *stats) {
    ASSERT(stats != NULL);
    ASSERT(stats->code_count <= ERRORSTATS_CODES_MAX);
    stats->total = 0;
    stats->code_count = 0;
}
