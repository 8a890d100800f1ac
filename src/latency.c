/*
 * latency.c: the latency monitor (see latency.h), LATENCY DOCTOR's report and
 * LATENCY GRAPH's sparkline, both with Redis 7.0's texts and arithmetic.
 *
 * A series is a ring of one-second samples: `next` is where the next second
 * goes, so the oldest sample is at `next` and the newest just before it.
 *
 *   samples: [ t7 | t8 | t3 | t4 | t5 | t6 ]      (LATENCY_TS_LEN slots)
 *                        ^ next: oldest; newest at next - 1
 */
#include "latency.h"

#include <fcntl.h>
#include <stdarg.h>
#include <strings.h>
#include <unistd.h>

#define LATENCY_GRAPH_COLUMNS 80u   /* Redis's LATENCY_GRAPH_COLS */
#define LATENCY_GRAPH_ROWS 4u
#define LATENCY_LABEL_SIZE_MAX 24u
#define LATENCY_SMAPS_SIZE_MAX 8192u

struct latency latency_global;

/* ==== Samples ==== */

static struct latency_series *latency_series_create(struct latency *latency,
                                                    const char *event) {
    ASSERT(strlen(event) < LATENCY_EVENT_NAME_SIZE_MAX);
    for (uint32_t index = 0; index < LATENCY_EVENTS_MAX; index++) {
        struct latency_series *series = &latency->series[index];
        if (!series->used) {
            memset(series, 0, sizeof(*series));
            series->used = true;
            memcpy(series->name, event, strlen(event) + 1);
            return series;
        }
    }
    return NULL; /* the table is full: the sample is not recorded */
}

void latency_add_sample(struct latency *latency, const char *event, uint64_t latency_ms,
                        int64_t now_s) {
    ASSERT(event != NULL);
    ASSERT(now_s >= 0);
    struct latency_series *series =
        (struct latency_series *)latency_find(latency, slice_from_cstr(event));
    if (series == NULL) {
        series = latency_series_create(latency, event);
        if (series == NULL) {
            return;
        }
    }
    /* Redis stores latencies as uint32_t milliseconds. */
    uint32_t sample_ms = (uint32_t)MIN(latency_ms, (uint64_t)UINT32_MAX);
    series->max_ms = MAX(series->max_ms, sample_ms);
    uint32_t previous = (series->next + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if (series->samples[previous].time_s == (int32_t)now_s) {
        series->samples[previous].latency_ms = MAX(series->samples[previous].latency_ms,
                                                   sample_ms);
        return;
    }
    series->samples[series->next] =
        (struct latency_sample){ .time_s = (int32_t)now_s, .latency_ms = sample_ms };
    series->next = (series->next + 1) % LATENCY_TS_LEN;
}

const struct latency_series *latency_find(const struct latency *latency, struct slice name) {
    ASSERT(name.ptr != NULL || name.size == 0);
    /* Redis compares the name as a C string: bytes after a NUL do not count. */
    const uint8_t *nul = name.size == 0 ? NULL : memchr(name.ptr, 0, name.size);
    uint32_t size = nul == NULL ? name.size : (uint32_t)(nul - name.ptr);
    for (uint32_t index = 0; index < LATENCY_EVENTS_MAX; index++) {
        const struct latency_series *series = &latency->series[index];
        if (series->used && strlen(series->name) == size &&
            memcmp(series->name, name.ptr, size) == 0) {
            return series;
        }
    }
    return NULL;
}

uint32_t latency_reset(struct latency *latency, const struct slice *name) {
    uint32_t resets = 0;
    for (uint32_t index = 0; index < LATENCY_EVENTS_MAX; index++) {
        struct latency_series *series = &latency->series[index];
        if (!series->used) {
            continue;
        }
        /* strcasecmp, as Redis: the argument is compared up to its first NUL. */
        bool match = name == NULL;
        if (name != NULL) {
            uint32_t size = (uint32_t)strlen(series->name);
            match = name->size >= size && strncasecmp(series->name, (const char *)name->ptr,
                                                      size) == 0 &&
                    (name->size == size || name->ptr[size] == 0);
        }
        if (match) {
            series->used = false;
            resets++;
        }
    }
    ASSERT(resets <= LATENCY_EVENTS_MAX);
    return resets;
}

uint32_t latency_event_count(const struct latency *latency) {
    uint32_t count = 0;
    for (uint32_t index = 0; index < LATENCY_EVENTS_MAX; index++) {
        count += latency->series[index].used ? 1u : 0u;
    }
    ASSERT(count <= LATENCY_EVENTS_MAX);
    return count;
}

const struct latency_series *latency_event(const struct latency *latency, uint32_t index) {
    ASSERT(index < LATENCY_EVENTS_MAX);
    uint32_t seen = 0;
    for (uint32_t slot = 0; slot < LATENCY_EVENTS_MAX; slot++) {
        if (!latency->series[slot].used) {
            continue;
        }
        if (seen == index) {
            return &latency->series[slot];
        }
        seen++;
    }
    ASSERT(false && "latency_event: index past latency_event_count");
    return NULL;
}

const struct latency_sample *latency_latest(const struct latency_series *series) {
    ASSERT(series->used);
    ASSERT(series->next < LATENCY_TS_LEN);
    return &series->samples[(series->next + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN];
}

/* ==== Text helpers ==== */

struct latency_text {
    char *data;
    uint32_t size;
    uint32_t capacity;
};

static void latency_printf(struct latency_text *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void latency_printf(struct latency_text *text, const char *format, ...) {
    ASSERT(text->size < text->capacity);
    va_list arguments;
    va_start(arguments, format);
    int written = vsnprintf(text->data + text->size, text->capacity - text->size, format,
                            arguments);
    va_end(arguments);
    ASSERT(written >= 0);
    /* The buffers are sized for the longest text; a cut would be a sizing bug. */
    ASSERT((uint32_t)written < text->capacity - text->size);
    text->size += (uint32_t)written;
}

static void latency_append(struct latency_text *text, const char *bytes, uint32_t size) {
    ASSERT(text->size + size < text->capacity);
    memcpy(text->data + text->size, bytes, size);
    text->size += size;
    text->data[text->size] = 0;
}

/* ==== LATENCY DOCTOR ==== */

/* Redis's struct latencyStats, from analyzeLatencyForEvent. */
struct latency_stats {
    uint32_t samples;
    uint64_t average_ms;
    uint64_t deviation_ms;   /* mean absolute deviation */
    int64_t period_s;
};

static struct latency_stats latency_analyze(const struct latency_series *series,
                                            int64_t now_s) {
    struct latency_stats stats = { 0, 0, 0, 0 };
    uint64_t sum = 0;
    int64_t oldest = 0;
    for (uint32_t index = 0; index < LATENCY_TS_LEN; index++) {
        const struct latency_sample *sample = &series->samples[index];
        if (sample->time_s == 0) {
            continue;
        }
        stats.samples++;
        sum += sample->latency_ms;
        if (oldest == 0 || sample->time_s < oldest) {
            oldest = sample->time_s;
        }
    }
    if (stats.samples == 0) {
        return stats;
    }
    stats.average_ms = sum / stats.samples;
    stats.period_s = now_s - oldest;
    stats.period_s = stats.period_s == 0 ? 1 : stats.period_s;
    uint64_t deviation_sum = 0;
    for (uint32_t index = 0; index < LATENCY_TS_LEN; index++) {
        const struct latency_sample *sample = &series->samples[index];
        if (sample->time_s != 0) {
            int64_t delta = (int64_t)stats.average_ms - (int64_t)sample->latency_ms;
            deviation_sum += (uint64_t)(delta < 0 ? -delta : delta);
        }
    }
    stats.deviation_ms = deviation_sum / stats.samples;
    return stats;
}

/* The advice Redis's createLatencyReport can give for keel's events. */
struct latency_advice {
    bool slowlog_enabled;
    bool slowlog_tuning;
    bool slowlog_inspect;
    bool scheduler;
    bool hz;
    bool large_objects;
    bool mass_eviction;
    bool disable_thp;
    uint32_t count;
};

static void latency_advise(const char *event, const struct latency_settings *settings,
                           struct latency_advice *advice) {
    ASSERT(event != NULL);
    ASSERT(settings != NULL);
    if (strcasecmp(event, "command") == 0) {
        if (settings->slowlog_log_slower_than < 0) {
            advice->slowlog_enabled = true;
            advice->count++;
        } else if ((uint64_t)(settings->slowlog_log_slower_than / 1000) >
                   settings->latency_monitor_threshold) {
            advice->slowlog_tuning = true;
            advice->count++;
        }
        advice->slowlog_inspect = true;
        advice->large_objects = true;
        advice->count += 2;
    } else if (strcasecmp(event, "fast-command") == 0) {
        advice->scheduler = true;
        advice->count++;
    } else if (strcasecmp(event, "expire-cycle") == 0) {
        advice->hz = true;
        advice->large_objects = true;
        advice->count += 2;
    } else if (strcasecmp(event, "eviction-del") == 0) {
        advice->large_objects = true;
        advice->count++;
    } else if (strcasecmp(event, "eviction-cycle") == 0) {
        advice->mass_eviction = true;
        advice->count++;
    }
}

static void latency_doctor_events(const struct latency *latency,
                                  const struct latency_settings *settings, int64_t now_s,
                                  struct latency_text *text, struct latency_advice *advice) {
    uint32_t event_number = 0;
    for (uint32_t index = 0; index < LATENCY_EVENTS_MAX; index++) {
        const struct latency_series *series = &latency->series[index];
        if (!series->used) {
            continue;
        }
        event_number++;
        if (event_number == 1) {
            latency_printf(text, "Dave, I have observed latency spikes in this Redis "
                           "instance. You don't mind talking about it, do you Dave?\n\n");
        }
        struct latency_stats stats = latency_analyze(series, now_s);
        double period = stats.samples == 0 ? 0.0 : (double)stats.period_s / stats.samples;
        latency_printf(text, "%u. %s: %u latency spikes (average %lums, mean deviation "
                       "%lums, period %.2f sec). Worst all time event %lums.",
                       event_number, series->name, stats.samples,
                       (unsigned long)stats.average_ms, (unsigned long)stats.deviation_ms,
                       period, (unsigned long)series->max_ms);
        latency_advise(series->name, settings, advice);
        latency_append(text, "\n", 1);
    }
}

static void latency_doctor_advice(const struct latency_advice *advice,
                                  const struct latency_settings *settings,
                                  struct latency_text *text) {
    unsigned long long threshold_us =
        (unsigned long long)settings->latency_monitor_threshold * 1000;
    latency_printf(text, "\nI have a few advices for you:\n\n");
    if (advice->slowlog_enabled) {
        latency_printf(text, "- There are latency issues with potentially slow commands you "
                       "are using. Try to enable the Slow Log Redis feature using the command "
                       "'CONFIG SET slowlog-log-slower-than %llu'. If the Slow log is disabled "
                       "Redis is not able to log slow commands execution for you.\n",
                       threshold_us);
    }
    if (advice->slowlog_tuning) {
        latency_printf(text, "- Your current Slow Log configuration only logs events that are "
                       "slower than your configured latency monitor threshold. Please use "
                       "'CONFIG SET slowlog-log-slower-than %llu'.\n", threshold_us);
    }
    if (advice->slowlog_inspect) {
        latency_printf(text, "- Check your Slow Log to understand what are the commands you "
                       "are running which are too slow to execute. Please check "
                       "https://redis.io/commands/slowlog for more information.\n");
    }
    if (advice->scheduler) {
        latency_printf(text, "- The system is slow to execute Redis code paths not containing "
                       "system calls. This usually means the system does not provide Redis "
                       "CPU time to run for long periods. You should try to:\n"
                       "  1) Lower the system load.\n"
                       "  2) Use a computer / VM just for Redis if you are running other "
                       "software in the same system.\n"
                       "  3) Check if you have a \"noisy neighbour\" problem.\n"
                       "  4) Check with 'redis-cli --intrinsic-latency 100' what is the "
                       "intrinsic latency in your system.\n"
                       "  5) Check if the problem is allocator-related by recompiling Redis "
                       "with MALLOC=libc, if you are using Jemalloc. However this may create "
                       "fragmentation problems.\n");
    }
    if (advice->hz && settings->hz < 100) {
        latency_printf(text, "- In order to make the Redis keys expiring process more "
                       "incremental, try to set the 'hz' configuration parameter to 100 "
                       "using 'CONFIG SET hz 100'.\n");
    }
    if (advice->large_objects) {
        latency_printf(text, "- Deleting, expiring or evicting (because of maxmemory policy) "
                       "large objects is a blocking operation. If you have very large objects "
                       "that are often deleted, expired, or evicted, try to fragment those "
                       "objects into multiple smaller objects.\n");
    }
    if (advice->mass_eviction) {
        latency_printf(text, "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or "
                       "allocation of large objects via sets or sorted sets intersections, "
                       "STORE option of SORT, Redis Cluster large keys migrations (RESTORE "
                       "command), may create sudden memory pressure forcing the server to "
                       "block trying to evict keys. \n");
    }
    if (advice->disable_thp) {
        latency_printf(text, "- I detected a non zero amount of anonymous huge pages used by "
                       "your process. This creates very serious latency events in different "
                       "conditions, especially when Redis is persisting on disk. To disable "
                       "THP support use the command 'echo never > "
                       "/sys/kernel/mm/transparent_hugepage/enabled', make sure to also add "
                       "it into /etc/rc.local so that the command will be executed again "
                       "after a reboot. Note that even if you have already disabled THP, you "
                       "still need to restart the Redis process to get rid of the huge pages "
                       "already created.\n");
    }
}

uint32_t latency_doctor(const struct latency *latency, const struct latency_settings *settings,
                        int64_t now_s, char *report) {
    struct latency_text text = { .data = report, .size = 0,
                                 .capacity = LATENCY_DOCTOR_SIZE_MAX };
    report[0] = 0;
    uint32_t event_count = latency_event_count(latency);
    if (event_count == 0 && settings->latency_monitor_threshold == 0) {
        latency_printf(&text, "I'm sorry, Dave, I can't do that. Latency monitoring is "
                       "disabled in this Redis instance. You may use \"CONFIG SET "
                       "latency-monitor-threshold <milliseconds>.\" in order to enable it. If "
                       "we weren't in a deep space mission I'd suggest to take a look at "
                       "https://redis.io/topics/latency-monitor.\n");
        return text.size;
    }
    struct latency_advice advice;
    memset(&advice, 0, sizeof(advice));
    latency_doctor_events(latency, settings, now_s, &text, &advice);
    if (settings->huge_pages) {
        advice.disable_thp = true;
        advice.count++;
    }
    if (event_count == 0 && advice.count == 0) {
        latency_printf(&text, "Dave, no latency spike was observed during the lifetime of "
                       "this Redis instance, not in the slightest bit. I honestly think you "
                       "ought to sit down calmly, take a stress pill, and think things "
                       "over.\n");
    } else if (event_count > 0 && advice.count == 0) {
        latency_printf(&text, "\nWhile there are latency events logged, I'm not able to "
                       "suggest any easy fix. Please use the Redis community to get some "
                       "help, providing this report in your help request.\n");
    } else {
        latency_doctor_advice(&advice, settings, &text);
    }
    ASSERT(text.size < LATENCY_DOCTOR_SIZE_MAX);
    return text.size;
}

/* ==== LATENCY GRAPH (Redis's sparkline.c, SPARKLINE_FILL, 4 rows) ==== */

struct latency_sequence {
    uint32_t length;
    double min;
    double max;
    double values[LATENCY_TS_LEN];
    char labels[LATENCY_TS_LEN][LATENCY_LABEL_SIZE_MAX];
};

/* "12s", "3m", "5h", "2d": how long ago the sample was taken. */
static void latency_label(char *label, int64_t elapsed) {
    long value = (long)elapsed;
    char unit = 's';
    if (elapsed >= 60 && elapsed < 3600) {
        value = (long)(elapsed / 60);
        unit = 'm';
    } else if (elapsed >= 3600 && elapsed < 3600 * 24) {
        value = (long)(elapsed / 3600);
        unit = 'h';
    } else if (elapsed >= 3600 * 24) {
        value = (long)(elapsed / (3600 * 24));
        unit = 'd';
    }
    int size = snprintf(label, LATENCY_LABEL_SIZE_MAX, "%ld%c", value, unit);
    ASSERT(size > 0 && (uint32_t)size < LATENCY_LABEL_SIZE_MAX);
}

/* The character of sample j in row `row` of the graph part (rows 0..3). */
static char latency_graph_char(const struct latency_sequence *sequence, uint32_t sample,
                               uint32_t row) {
    static const char fill[] = "_o#";
    const int charset_size = 3;
    const int steps = charset_size * (int)LATENCY_GRAPH_ROWS;
    double range = sequence->max - sequence->min;
    range = range == 0 ? 1 : range;
    double relative = sequence->values[sample] - sequence->min;
    /* Redis: step = (int) (relval*steps)/relmax; (the int division result truncated again). */
    int step = (int)((double)(int)(relative * steps) / range);
    step = step < 0 ? 0 : (step >= steps ? steps - 1 : step);
    int index = step - (((int)LATENCY_GRAPH_ROWS - (int)row - 1) * charset_size);
    if (index >= 0 && index < charset_size) {
        return fill[index];
    }
    return index >= charset_size ? '|' : ' ';
}

/* One block of at most LATENCY_GRAPH_COLUMNS samples: 4 graph rows, a blank row, the
 * labels written downwards. */
static void latency_graph_block(const struct latency_sequence *sequence, uint32_t offset,
                                uint32_t count, struct latency_text *text) {
    ASSERT(count > 0 && count <= LATENCY_GRAPH_COLUMNS);
    char row_text[LATENCY_GRAPH_COLUMNS + 1];
    for (uint32_t row = 0; row < LATENCY_GRAPH_ROWS; row++) {
        for (uint32_t column = 0; column < count; column++) {
            row_text[column] = latency_graph_char(sequence, offset + column, row);
        }
        row_text[count] = '\n';
        latency_append(text, row_text, count + 1);
    }
    memset(row_text, ' ', count);
    latency_append(text, row_text, count + 1); /* label_margin_top */
    for (uint32_t label_row = 0; label_row < LATENCY_LABEL_SIZE_MAX; label_row++) {
        bool any = false;
        memset(row_text, ' ', count);
        for (uint32_t column = 0; column < count; column++) {
            const char *label = sequence->labels[offset + column];
            if (strlen(label) > label_row) {
                row_text[column] = label[label_row];
                any = true;
            }
        }
        if (!any) {
            return;
        }
        latency_append(text, row_text, count + 1);
    }
}

uint32_t latency_graph(const struct latency_series *series, int64_t now_s, char *graph) {
    ASSERT(series->used);
    struct latency_sequence sequence; /* about 5 KiB */
    sequence.length = 0;
    sequence.min = 0;
    sequence.max = 0;
    uint32_t low = 0;
    uint32_t high = 0;
    for (uint32_t turn = 0; turn < LATENCY_TS_LEN; turn++) {
        const struct latency_sample *sample =
            &series->samples[(series->next + turn) % LATENCY_TS_LEN];
        if (sample->time_s == 0) {
            continue;
        }
        double value = sample->latency_ms;
        low = sequence.length == 0 ? sample->latency_ms : MIN(low, sample->latency_ms);
        high = sequence.length == 0 ? sample->latency_ms : MAX(high, sample->latency_ms);
        sequence.min = sequence.length == 0 ? value : MIN(sequence.min, value);
        sequence.max = sequence.length == 0 ? value : MAX(sequence.max, value);
        latency_label(sequence.labels[sequence.length], now_s - sample->time_s);
        sequence.values[sequence.length++] = value;
    }
    struct latency_text text = { .data = graph, .size = 0, .capacity = LATENCY_GRAPH_SIZE_MAX };
    graph[0] = 0;
    latency_printf(&text, "%s - high %lu ms, low %lu ms (all time high %lu ms)\n", series->name,
                   (unsigned long)high, (unsigned long)low, (unsigned long)series->max_ms);
    char dashes[LATENCY_GRAPH_COLUMNS + 1];
    memset(dashes, '-', LATENCY_GRAPH_COLUMNS);
    dashes[LATENCY_GRAPH_COLUMNS] = '\n';
    latency_append(&text, dashes, LATENCY_GRAPH_COLUMNS + 1);
    for (uint32_t offset = 0; offset < sequence.length; offset += LATENCY_GRAPH_COLUMNS) {
        if (offset != 0) {
            latency_append(&text, "\n", 1);
        }
        latency_graph_block(&sequence, offset,
                            MIN(sequence.length - offset, LATENCY_GRAPH_COLUMNS), &text);
    }
    return text.size;
}

/* ==== Huge pages ==== */

bool latency_huge_pages_used(void) {
    int fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    char buffer[LATENCY_SMAPS_SIZE_MAX];
    ssize_t size = read(fd, buffer, sizeof(buffer) - 1);
    close(fd);
    if (size <= 0) {
        return false;
    }
    buffer[size] = 0;
    const char *field = strstr(buffer, "\nAnonHugePages:");
    if (field == NULL) {
        return false;
    }
    unsigned long kilobytes = 0;
    if (sscanf(field + strlen("\nAnonHugePages:"), "%lu", &kilobytes) != 1) {
        return false;
    }
    return kilobytes > 0;
}
