/*
 * cmdstats.h: per-command statistics (INFO commandstats), indexed by ACL id,
 * so a container's subcommands ("config|get") have their own row as in
 * Redis 7. Fixed storage: one record per possible id (ACL_COMMAND_BITS).
 *
 * Redis's rules, which the dispatch follows:
 * - calls and usec: a command that ran (its handler was called), timed around
 *   the handler with a monotonic clock;
 * - failed_calls: it ran and replied at least one error;
 * - rejected_calls: it was refused before running (arity, NOAUTH, NOPERM, OOM).
 *   An unknown command or subcommand counts nowhere.
 */
#pragma once

#include "base.h"
#include "acl.h"

#include <time.h>

struct cmdstats_record {
    uint64_t calls;
    uint64_t usec;
    uint64_t rejected_calls;
    uint64_t failed_calls;
};

struct cmdstats {
    struct cmdstats_record records[ACL_COMMAND_BITS];
};

/* The server's command statistics. */
extern struct cmdstats cmdstats_global;

static inline void cmdstats_ran(struct cmdstats *stats, uint32_t acl_id, uint64_t usec,
                                bool failed) {
    ASSERT(acl_id < ACL_COMMAND_BITS);
    struct cmdstats_record *record = &stats->records[acl_id];
    record->calls++;
    record->usec += usec;
    record->failed_calls += failed ? 1u : 0u;
}

static inline void cmdstats_rejected(struct cmdstats *stats, uint32_t acl_id) {
    ASSERT(acl_id < ACL_COMMAND_BITS);
    stats->records[acl_id].rejected_calls++;
}

/* True when the id has anything to show (Redis skips commands never called or refused). */
static inline bool cmdstats_any(const struct cmdstats *stats, uint32_t acl_id) {
    ASSERT(acl_id < ACL_COMMAND_BITS);
    const struct cmdstats_record *record = &stats->records[acl_id];
    return record->calls != 0 || record->failed_calls != 0 || record->rejected_calls != 0;
}

/* Redis's "usec_per_call": computed in float, as Redis does. */
static inline double cmdstats_usec_per_call(const struct cmdstats_record *record) {
    if (record->calls == 0) {
        return 0;
    }
    return (double)((float)record->usec / (float)record->calls);
}

/* CONFIG RESETSTAT. */
void cmdstats_reset(struct cmdstats *stats);

/* A monotonic clock in nanoseconds for timing commands (vDSO: no system call). */
static inline uint64_t cmdstats_clock_ns(void) {
    struct timespec now;
    int result = clock_gettime(CLOCK_MONOTONIC, &now);
    ASSERT(result == 0);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}
