/*
 * slowlog.h: the slow log (SLOWLOG): the latest commands that ran for at least
 * slowlog-log-slower-than microseconds, newest first, in a fixed ring.
 *
 * The ring is the plan's "slowlog" pool: one record per entry of the
 * slowlog-max-len configured at startup. CONFIG SET may lower the live length
 * (slowlog_trim applies it), never raise it past the ring. A record keeps what
 * Redis keeps: at most SLOWLOG_ARGC_MAX arguments (the last one saying how
 * many more there were) and SLOWLOG_ARG_SIZE_MAX bytes of each; the number of
 * bytes cut is kept as a count and rendered as Redis's "... (N more bytes)"
 * when the entry is replied. Nothing is allocated.
 */
#pragma once

#include "base.h"

#define SLOWLOG_ARGC_MAX 32u          /* Redis's SLOWLOG_ENTRY_MAX_ARGC */
#define SLOWLOG_ARG_SIZE_MAX 128u     /* Redis's SLOWLOG_ENTRY_MAX_STRING */
#define SLOWLOG_PEER_SIZE_MAX 64u     /* "ip:port" (CLIENT_ADDRESS_SIZE_MAX) */
#define SLOWLOG_NAME_SIZE_MAX 64u     /* the client name (CLIENT_NAME_SIZE_MAX) */
#define SLOWLOG_SUFFIX_SIZE_MAX 48u   /* "... (4294967295 more bytes)" and its NUL */

struct slowlog_arg {
    uint32_t size;       /* bytes kept in the record's text (<= SLOWLOG_ARG_SIZE_MAX) */
    uint32_t cut_size;   /* bytes left out: the reply appends "... (N more bytes)" */
};

/*
 * One record (about 4.5 KiB): the header, then each argument's kept bytes in
 * a fixed slot, so a record never needs more than its own space.
 */
struct slowlog_entry {
    uint64_t id;
    int64_t time_s;                          /* unix time when it was logged */
    int64_t duration_us;
    uint32_t argc;                           /* arguments kept, the "more" one included */
    struct slowlog_arg args[SLOWLOG_ARGC_MAX];
    char peer[SLOWLOG_PEER_SIZE_MAX];
    char name[SLOWLOG_NAME_SIZE_MAX];
    uint8_t text[SLOWLOG_ARGC_MAX][SLOWLOG_ARG_SIZE_MAX];
};

struct slowlog {
    struct slowlog_entry *entries;  /* `capacity` records: the plan's slowlog pool */
    uint64_t capacity;
    uint64_t newest;                /* index of the newest record (when length > 0) */
    uint64_t length;
    uint64_t next_id;               /* never reset, as Redis's slowlog_entry_id */
};

/* What one command leaves in the log besides its arguments. */
struct slowlog_record {
    const struct slice *argv;       /* the command as received (up to SLOWLOG_ARGC_MAX used) */
    uint32_t argc;                  /* its full argument count */
    uint32_t redacted_mask;         /* bit i: argument i shows as "(redacted)" */
    int64_t duration_us;
    int64_t time_s;
    const char *peer;
    const char *name;
};

/* The server's slow log (SLOWLOG and the dispatch use this one). */
extern struct slowlog slowlog_global;

/* Bytes of one record, for the plan. */
uint64_t slowlog_entry_size(void);

/* `memory` holds capacity records (capacity >= 1); nothing is touched until used. */
void slowlog_init(struct slowlog *log, void *memory, uint64_t capacity);

/* Adds a record as the newest (the oldest goes when the ring is full). */
void slowlog_push(struct slowlog *log, const struct slowlog_record *record);

/* Drops the oldest records beyond max_len (max_len <= capacity). */
void slowlog_trim(struct slowlog *log, uint64_t max_len);

/* Forgets every record (ids go on from where they were). */
void slowlog_reset(struct slowlog *log);

/* The age-th newest record (0 is the newest), age < length. */
const struct slowlog_entry *slowlog_get(const struct slowlog *log, uint64_t age);

/* Writes "... (N more bytes)" for a cut argument into suffix; returns its size (0: none). */
uint32_t slowlog_arg_suffix(const struct slowlog_arg *arg, char *suffix);
