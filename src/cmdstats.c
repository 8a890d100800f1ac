/*
 * cmdstats.c: per-command statistics (see cmdstats.h).
 */
#include "cmdstats.h"

struct cmdstats cmdstats_global;

void cmdstats_reset(struct cmdstats *stats) {
    ASSERT(stats != NULL);
    memset(stats->records, 0, sizeof(stats->records));
    ASSERT(!cmdstats_any(stats, 0));
}
