/*
 * latency.h: the latency monitor (LATENCY): per event, the latest
 * LATENCY_TS_LEN one-second samples of latencies at or above
 * latency-monitor-threshold milliseconds, as Redis's latency.c keeps them.
 *
 * Storage is fixed: at most LATENCY_EVENTS_MAX events (keel records
 * "command" and "fast-command"; the table has room for the others Redis
 * knows), each a ring of LATENCY_TS_LEN samples. An event that would not fit
 * is not recorded. Nothing is allocated; reports are written into the
 * caller's buffer.
 */
#pragma once

#include "base.h"

#define LATENCY_TS_LEN 160u               /* Redis's LATENCY_TS_LEN */
#define LATENCY_EVENTS_MAX 16u
#define LATENCY_EVENT_NAME_SIZE_MAX 32u   /* with its NUL */
#define LATENCY_DOCTOR_SIZE_MAX 16384u    /* a report for every event and every advice */
#define LATENCY_GRAPH_SIZE_MAX 8192u      /* two 80-column blocks with their labels */

struct latency_sample {
    int32_t time_s;       /* unix time of the sample's second; 0: unused slot */
    uint32_t latency_ms;  /* the highest latency seen in that second */
};

struct latency_series {
    bool used;
    char name[LATENCY_EVENT_NAME_SIZE_MAX];
    uint32_t next;        /* where the next second's sample goes */
    uint32_t max_ms;      /* all-time high since the event was created or reset */
    struct latency_sample samples[LATENCY_TS_LEN];
};

struct latency {
    struct latency_series series[LATENCY_EVENTS_MAX];
};

/* The server's latency monitor. */
extern struct latency latency_global;

/* What LATENCY DOCTOR's advice depends on beyond the samples. */
struct latency_settings {
    int64_t slowlog_log_slower_than;
    uint64_t latency_monitor_threshold;
    uint32_t hz;
    bool huge_pages;      /* the process has anonymous huge pages (THP) */
};

/* Adds a sample (Redis's latencyAddSample): one per second, the highest wins. */
void latency_add_sample(struct latency *latency, const char *event, uint64_t latency_ms,
                        int64_t now_s);

/* The event named exactly `name` (case-sensitive, as Redis's dict), or NULL. */
const struct latency_series *latency_find(const struct latency *latency, struct slice name);

/* Deletes the events named `name` case-insensitively (all when name is NULL); returns how
 * many were deleted. */
uint32_t latency_reset(struct latency *latency, const struct slice *name);

/* Events in use, in creation order: index i of latency_event_count(). */
uint32_t latency_event_count(const struct latency *latency);
const struct latency_series *latency_event(const struct latency *latency, uint32_t index);

/* The newest sample of a series. */
const struct latency_sample *latency_latest(const struct latency_series *series);

/* LATENCY DOCTOR's text; returns its size (< LATENCY_DOCTOR_SIZE_MAX). */
uint32_t latency_doctor(const struct latency *latency, const struct latency_settings *settings,
                        int64_t now_s, char *report);

/* LATENCY GRAPH's text for one series; returns its size (< LATENCY_GRAPH_SIZE_MAX). */
uint32_t latency_graph(const struct latency_series *series, int64_t now_s, char *graph);

/* True when /proc/self/smaps_rollup reports anonymous huge pages (Redis's THP check). */
bool latency_huge_pages_used(void);
