/*
 * slowlog.c: the slow log ring (see slowlog.h).
 *
 * Records are written in place in the plan's pool. The newest is at `newest`,
 * older ones precede it modulo the capacity:
 *
 *   entries: [ e3 | e4 | e5 | -- | -- | e1 | e2 ]     capacity 7, length 5
 *                          ^ newest                    (e5 newest, e1 oldest)
 *
 * Redis trims the list after every executed command (not only after a push),
 * so a lowered slowlog-max-len takes effect with the next command; dispatch
 * calls slowlog_trim in the same places.
 */
#include "slowlog.h"

#include <inttypes.h>

STATIC_ASSERT(SLOWLOG_ARGC_MAX <= 32, "redacted_mask has one bit per kept argument");
STATIC_ASSERT(SLOWLOG_ARG_SIZE_MAX >= sizeof("... (4294967295 more arguments)"),
              "the last argument's note fits a slot");

struct slowlog slowlog_global;

static const char SLOWLOG_REDACTED[] = "(redacted)";

uint64_t slowlog_entry_size(void) {
    return sizeof(struct slowlog_entry);
}

void slowlog_init(struct slowlog *log, void *memory, uint64_t capacity) {
    ASSERT(memory != NULL);
    ASSERT(capacity >= 1);
    log->entries = memory;
    log->capacity = capacity;
    log->newest = 0;
    log->length = 0;
    log->next_id = 0;
}

/* Copies argument `index` of the record into the entry's slot, cut to the slot size. */
static void slowlog_keep_arg(struct slowlog_entry *entry, uint32_t index, struct slice arg,
                             bool redacted) {
    ASSERT(index < SLOWLOG_ARGC_MAX);
    ASSERT(arg.ptr != NULL || arg.size == 0);
    if (redacted) {
        arg = (struct slice){ .ptr = (const uint8_t *)SLOWLOG_REDACTED,
                              .size = (uint32_t)sizeof(SLOWLOG_REDACTED) - 1 };
    }
    uint32_t kept = MIN(arg.size, SLOWLOG_ARG_SIZE_MAX);
    if (kept > 0) {
        memcpy(entry->text[index], arg.ptr, kept);
    }
    entry->args[index] = (struct slowlog_arg){ .size = kept, .cut_size = arg.size - kept };
}

/* As Redis: past SLOWLOG_ARGC_MAX, the last slot says how many arguments were left out. */
static void slowlog_keep_args(struct slowlog_entry *entry, const struct slowlog_record *record) {
    ASSERT(record->argc >= 1);
    ASSERT(record->argv != NULL);
    uint32_t kept = MIN(record->argc, SLOWLOG_ARGC_MAX);
    uint32_t copied = kept == record->argc ? kept : kept - 1;
    for (uint32_t index = 0; index < copied; index++) {
        bool redacted = (record->redacted_mask >> index) & 1u;
        slowlog_keep_arg(entry, index, record->argv[index], redacted);
    }
    if (copied < kept) {
        char note[SLOWLOG_ARG_SIZE_MAX];
        int size = snprintf(note, sizeof(note), "... (%" PRIu32 " more arguments)",
                            record->argc - copied);
        ASSERT(size > 0 && (uint32_t)size < sizeof(note));
        struct slice text = { .ptr = (const uint8_t *)note, .size = (uint32_t)size };
        slowlog_keep_arg(entry, copied, text, false);
    }
    entry->argc = kept;
}

static void slowlog_copy_cstr(char *target, uint32_t target_size, const char *source) {
    ASSERT(target_size > 0);
    size_t size = source == NULL ? 0 : strnlen(source, target_size - 1);
    if (size > 0) {
        memcpy(target, source, size);
    }
    target[size] = 0;
}

void slowlog_push(struct slowlog *log, const struct slowlog_record *record) {
    ASSERT(log->capacity >= 1);
    ASSERT(log->length <= log->capacity);
    uint64_t index = log->length == 0 ? 0 : (log->newest + 1) % log->capacity;
    struct slowlog_entry *entry = &log->entries[index];
    entry->id = log->next_id++;
    entry->time_s = record->time_s;
    entry->duration_us = record->duration_us;
    slowlog_keep_args(entry, record);
    slowlog_copy_cstr(entry->peer, SLOWLOG_PEER_SIZE_MAX, record->peer);
    slowlog_copy_cstr(entry->name, SLOWLOG_NAME_SIZE_MAX, record->name);
    log->newest = index;
    log->length = MIN(log->length + 1, log->capacity);
    ASSERT(entry->argc >= 1 && entry->argc <= SLOWLOG_ARGC_MAX);
}

void slowlog_trim(struct slowlog *log, uint64_t max_len) {
    ASSERT(max_len <= log->capacity);
    ASSERT(log->length <= log->capacity);
    if (log->length > max_len) {
        log->length = max_len;
    }
}

void slowlog_reset(struct slowlog *log) {
    ASSERT(log->length <= log->capacity);
    log->length = 0;
    log->newest = 0;
}

const struct slowlog_entry *slowlog_get(const struct slowlog *log, uint64_t age) {
    ASSERT(age < log->length);
    ASSERT(log->newest < log->capacity);
    uint64_t index = (log->newest + log->capacity - age) % log->capacity;
    return &log->entries[index];
}

uint32_t slowlog_arg_suffix(const struct slowlog_arg *arg, char *suffix) {
    ASSERT(arg->size <= SLOWLOG_ARG_SIZE_MAX);
    if (arg->cut_size == 0) {
        suffix[0] = 0;
        return 0;
    }
    int size = snprintf(suffix, SLOWLOG_SUFFIX_SIZE_MAX, "... (%" PRIu32 " more bytes)",
                        arg->cut_size);
    ASSERT(size > 0 && (uint32_t)size < SLOWLOG_SUFFIX_SIZE_MAX);
    return (uint32_t)size;
}
