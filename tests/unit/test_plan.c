/*
 * test_plan.c: unit tests for the memory plan (src/plan.c).
 *
 * The plan must list every pool, add up, and stay linear: each pool depends
 * on one configuration parameter, so doubling that parameter doubles that
 * pool (its count or its unit) and leaves every other pool as it was.
 */
#include "plan.h"

#include "config.h"
#include "heap.h"
#include "output.h"

#include <criterion/criterion.h>
#include <unistd.h>

static const char *const pool_names[PLAN_POOL_COUNT] = {
    [PLAN_POOL_HEAP_PAGES] = "heap_pages",
    [PLAN_POOL_HEAP_DESCRIPTORS] = "heap_descriptors",
    [PLAN_POOL_CLIENTS] = "clients",
    [PLAN_POOL_INPUT_BUFFERS] = "input_buffers",
    [PLAN_POOL_OUTPUT_CHUNKS] = "output_chunks",
    [PLAN_POOL_DATABASES] = "databases",
    [PLAN_POOL_IO_COMPLETIONS] = "io_completions",
    [PLAN_POOL_DISCARD_BUFFER] = "discard_buffer",
    [PLAN_POOL_INPUT_HEAP_PAGES] = "input_heap_pages",
    [PLAN_POOL_INPUT_HEAP_DESCRIPTORS] = "input_heap_descriptors",
    [PLAN_POOL_IO_SOCKETS] = "io_sockets",
    [PLAN_POOL_ACL_USERS] = "acl_users",
    [PLAN_POOL_ACL_LOG] = "acl_log",
    [PLAN_POOL_SLOWLOG] = "slowlog",
    [PLAN_POOL_PUBSUB_CHANNELS] = "pubsub_channels",
    [PLAN_POOL_PUBSUB_PATTERNS] = "pubsub_patterns",
    [PLAN_POOL_PUBSUB_SUBSCRIPTIONS] = "pubsub_subscriptions",
    [PLAN_POOL_WATCHED_KEYS] = "watched_keys",
    [PLAN_POOL_BLOCKING] = "blocking",
    [PLAN_POOL_ALIGNMENT_SLACK] = "alignment_slack",
};

static struct config config;

static void setup(void) {
    config_defaults(&config);
}

TestSuite(plan, .init = setup);

/* The invariants every plan keeps, whatever the configuration. */
static void check_plan(const struct plan *plan) {
    cr_assert_eq(plan->pool_count, PLAN_POOL_COUNT);
    uint64_t total = 0;
    for (uint32_t index = 0; index < plan->pool_count; index++) {
        const struct plan_pool *pool = &plan->pools[index];
        cr_assert_str_eq(pool->name, pool_names[index], "pool %u", index);
        cr_assert_gt(pool->count, 0, "%s", pool->name);
        cr_assert_gt(pool->unit_size, 0, "%s", pool->name);
        cr_assert_eq(pool->size, align_up(pool->count * pool->unit_size, 4096), "%s",
                     pool->name);
        cr_assert_eq(pool->size % 4096, 0, "%s", pool->name);
        total += pool->size;
    }
    cr_assert_eq(plan->total_size, total);
    cr_assert_eq(plan->pools[PLAN_POOL_HEAP_PAGES].count, plan->heap_page_count);
    cr_assert_eq(plan->pools[PLAN_POOL_HEAP_PAGES].unit_size, HEAP_PAGE_SIZE);
    cr_assert_eq(plan->pools[PLAN_POOL_HEAP_DESCRIPTORS].count, plan->heap_page_count);
    cr_assert_eq(plan->pools[PLAN_POOL_HEAP_DESCRIPTORS].count *
                     plan->pools[PLAN_POOL_HEAP_DESCRIPTORS].unit_size,
                 heap_descriptor_size(plan->heap_page_count));
    cr_assert_eq(plan->pools[PLAN_POOL_OUTPUT_CHUNKS].count, plan->output_chunk_count);
    cr_assert_eq(plan->pools[PLAN_POOL_OUTPUT_CHUNKS].unit_size, OUTPUT_CHUNK_SIZE);
    /* The slack lets the heap pages start HEAP_PAGE_SIZE-aligned in a 4 KiB-aligned mapping. */
    cr_assert_geq(plan->pools[PLAN_POOL_ALIGNMENT_SLACK].size, HEAP_PAGE_SIZE - 4096);
}

static void check_covers_config(const struct plan *plan, const struct config *source) {
    uint64_t heap_size = (uint64_t)plan->heap_page_count * HEAP_PAGE_SIZE;
    uint64_t wanted = plan_heap_size(source->maxmemory);
    uint64_t partial_slabs = (uint64_t)heap_partial_slab_pages(PLAN_PARTIAL_SLAB_SIZE_MAX) *
                             HEAP_PAGE_SIZE;
    cr_assert_eq(wanted, source->maxmemory + source->maxmemory / PLAN_HEAP_SLACK_FRACTION +
                         partial_slabs);
    cr_assert_geq(heap_size, wanted, "heap pages cover maxmemory plus the class slack");
    cr_assert_lt(heap_size - wanted, HEAP_PAGE_SIZE, "by less than one page");
    uint64_t output_size = (uint64_t)plan->output_chunk_count * OUTPUT_CHUNK_SIZE;
    cr_assert_geq(output_size + OUTPUT_CHUNK_SIZE, source->output_pool_size,
                  "output chunks cover output-pool-size (to a chunk)");
    cr_assert_eq(plan->pools[PLAN_POOL_CLIENTS].count, source->maxclients);
    cr_assert_eq(plan->pools[PLAN_POOL_INPUT_BUFFERS].count, source->maxclients);
    cr_assert_eq(plan->pools[PLAN_POOL_INPUT_BUFFERS].unit_size,
                 source->client_input_buffer_size);
    cr_assert_eq(plan->pools[PLAN_POOL_DATABASES].count, source->databases);
}

Test(plan, defaults) {
    struct plan plan;
    plan_build(&plan, &config);
    check_plan(&plan);
    check_covers_config(&plan, &config);
    cr_assert_eq(plan.heap_page_count, config.maxmemory / HEAP_PAGE_SIZE * 9 / 8 +
                                       heap_partial_slab_pages(PLAN_PARTIAL_SLAB_SIZE_MAX));
    cr_assert_eq(plan.output_chunk_count, config.output_pool_size / OUTPUT_CHUNK_SIZE);
    /* The heap dominates: 1 GiB of pages plus a little. */
    cr_assert_geq(plan.total_size, config.maxmemory);
}

Test(plan, heap_page_count_is_ceiling) {
    static const struct {
        uint64_t maxmemory;
        uint32_t pages;
    } cases[] = {
        /* pages = ceil((maxmemory + maxmemory / 8) / 64 KiB), plus the partial-slab pages */
        { 1, 1 },
        { HEAP_PAGE_SIZE - 1, 2 },
        { HEAP_PAGE_SIZE * 8 / 9, 1 },
        { HEAP_PAGE_SIZE * 8 / 9 + 8, 2 },
        { 8 * (uint64_t)HEAP_PAGE_SIZE, 9 },
        { 8 * (uint64_t)HEAP_PAGE_SIZE + 8, 10 },
        { 100 * MIB, 1800 },
        { 100 * MIB + 8, 1801 },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        config.maxmemory = cases[index].maxmemory;
        struct plan plan;
        plan_build(&plan, &config);
        cr_assert_eq(plan.heap_page_count,
                     cases[index].pages + heap_partial_slab_pages(PLAN_PARTIAL_SLAB_SIZE_MAX),
                     "maxmemory %lu",
                     (unsigned long)cases[index].maxmemory);
        check_plan(&plan);
        check_covers_config(&plan, &config);
    }
}

Test(plan, output_chunk_count) {
    config.output_pool_size = MIB;
    struct plan plan;
    plan_build(&plan, &config);
    cr_assert_eq(plan.output_chunk_count, MIB / OUTPUT_CHUNK_SIZE);
    config.output_pool_size = MIB + OUTPUT_CHUNK_SIZE - 1;
    plan_build(&plan, &config);
    cr_assert_eq(plan.output_chunk_count, MIB / OUTPUT_CHUNK_SIZE);
    /* Below two chunks the plan keeps two. */
    config.output_pool_size = OUTPUT_CHUNK_SIZE;
    plan_build(&plan, &config);
    cr_assert_eq(plan.output_chunk_count, 2);
    check_plan(&plan);
}

/*
 * Builds the plan for `config` and for `changed` and checks the pools in
 * `scaled` grew by `factor` in count (or in unit, for unit_scaled) while the
 * others are identical.
 */
static void check_linear(const struct config *changed, uint64_t scaled_mask,
                         uint64_t unit_scaled_mask, uint64_t factor) {
    struct plan before;
    struct plan after;
    plan_build(&before, &config);
    plan_build(&after, changed);
    check_plan(&before);
    check_plan(&after);
    check_covers_config(&after, changed);
    for (uint32_t index = 0; index < PLAN_POOL_COUNT; index++) {
        const struct plan_pool *old_pool = &before.pools[index];
        const struct plan_pool *new_pool = &after.pools[index];
        uint64_t bit = (uint64_t)1 << index;
        if (index == PLAN_POOL_HEAP_PAGES || index == PLAN_POOL_HEAP_DESCRIPTORS) {
            /* Affine in maxmemory: the pages for it plus one slab per small class. */
            uint64_t partial = heap_partial_slab_pages(PLAN_PARTIAL_SLAB_SIZE_MAX);
            uint64_t scale = (scaled_mask & bit) ? factor : 1;
            cr_assert_eq(new_pool->count - partial, (old_pool->count - partial) * scale,
                         "%s count", old_pool->name);
            continue;
        }
        if (index == PLAN_POOL_IO_SOCKETS) {
            /* Affine in maxclients: one entry per client plus a fixed few. */
            cr_assert_eq(new_pool->count, changed->maxclients + PLAN_EXTRA_SOCKETS);
            cr_assert_eq(old_pool->count, config.maxclients + PLAN_EXTRA_SOCKETS);
            continue;
        }
        if (scaled_mask & bit) {
            cr_assert_eq(new_pool->count, old_pool->count * factor, "%s count", old_pool->name);
            cr_assert_eq(new_pool->unit_size, old_pool->unit_size, "%s unit", old_pool->name);
        } else if (unit_scaled_mask & bit) {
            cr_assert_eq(new_pool->count, old_pool->count, "%s count", old_pool->name);
            cr_assert_eq(new_pool->unit_size, old_pool->unit_size * factor, "%s unit",
                         old_pool->name);
        } else {
            cr_assert_eq(new_pool->count, old_pool->count, "%s count", old_pool->name);
            cr_assert_eq(new_pool->unit_size, old_pool->unit_size, "%s unit", old_pool->name);
            cr_assert_eq(new_pool->size, old_pool->size, "%s size", old_pool->name);
            continue;
        }
        /* Page rounding aside, the bytes scale too. */
        cr_assert_leq(new_pool->size, old_pool->size * factor, "%s size", old_pool->name);
        cr_assert_geq(new_pool->size + factor * 4096, old_pool->size * factor, "%s size",
                      old_pool->name);
    }
}

#define BIT(pool) ((uint64_t)1 << (pool))

/* The pub/sub pools default to multiples of maxclients (pubsub-*-max 0). */
#define PUBSUB_BITS \
    (BIT(PLAN_POOL_PUBSUB_CHANNELS) | BIT(PLAN_POOL_PUBSUB_PATTERNS) | \
     BIT(PLAN_POOL_PUBSUB_SUBSCRIPTIONS) | WATCH_BITS)
/* So does the watched-keys pool (watched-keys-max 0). */
#define WATCH_BITS BIT(PLAN_POOL_WATCHED_KEYS)

Test(plan, linear_in_maxclients) {
    struct config changed = config;
    changed.maxclients *= 2;
    check_linear(&changed, BIT(PLAN_POOL_CLIENTS) | BIT(PLAN_POOL_INPUT_BUFFERS) | PUBSUB_BITS |
                           BIT(PLAN_POOL_BLOCKING),
                 0, 2);
    changed.maxclients = config.maxclients * 7;
    check_linear(&changed, BIT(PLAN_POOL_CLIENTS) | BIT(PLAN_POOL_INPUT_BUFFERS) | PUBSUB_BITS |
                           BIT(PLAN_POOL_BLOCKING),
                 0, 7);
}

Test(plan, linear_in_pubsub_limits) {
    struct config changed = config;
    changed.pubsub_channels_max = 1000;
    changed.pubsub_patterns_max = 100;
    changed.pubsub_subscriptions_max = 3000;
    struct config base = changed;
    struct plan plan;
    plan_build(&plan, &base);
    check_plan(&plan);
    cr_assert_eq(plan.pools[PLAN_POOL_PUBSUB_CHANNELS].count, 1000);
    cr_assert_eq(plan.pools[PLAN_POOL_PUBSUB_PATTERNS].count, 100);
    cr_assert_eq(plan.pools[PLAN_POOL_PUBSUB_SUBSCRIPTIONS].count, 3000);
    changed.pubsub_channels_max *= 3;
    plan_build(&plan, &changed);
    cr_assert_eq(plan.pools[PLAN_POOL_PUBSUB_CHANNELS].count, 3000);
    cr_assert_eq(plan.pools[PLAN_POOL_PUBSUB_PATTERNS].count, 100);
    /* A configured limit does not follow maxclients. */
    base.maxclients *= 2;
    plan_build(&plan, &base);
    cr_assert_eq(plan.pools[PLAN_POOL_PUBSUB_SUBSCRIPTIONS].count, 3000);
}

Test(plan, linear_in_watched_keys_max) {
    struct config changed = config;
    changed.watched_keys_max = 1000;
    struct config base = changed;
    struct plan plan;
    plan_build(&plan, &base);
    check_plan(&plan);
    cr_assert_eq(plan.pools[PLAN_POOL_WATCHED_KEYS].count, 1000);
    /* 3 x the default (8 per client): only this pool triples. */
    changed.watched_keys_max = config.maxclients * 8 * 3;
    check_linear(&changed, WATCH_BITS, 0, 3);
    /* A configured limit does not follow maxclients; the default is 8 per client. */
    base.maxclients *= 2;
    plan_build(&plan, &base);
    cr_assert_eq(plan.pools[PLAN_POOL_WATCHED_KEYS].count, 1000);
    plan_build(&plan, &config);
    cr_assert_eq(plan.pools[PLAN_POOL_WATCHED_KEYS].count, (uint64_t)config.maxclients * 8);
}

Test(plan, linear_in_acl_users_max) {
    struct config changed = config;
    changed.acl_users_max *= 4;
    check_linear(&changed, BIT(PLAN_POOL_ACL_USERS), 0, 4);
}

Test(plan, linear_in_acllog_max_len) {
    struct config changed = config;
    changed.acllog_max_len *= 4;
    check_linear(&changed, BIT(PLAN_POOL_ACL_LOG), 0, 4);
}

Test(plan, linear_in_slowlog_max_len) {
    struct config changed = config;
    changed.slowlog_max_len *= 4;
    check_linear(&changed, BIT(PLAN_POOL_SLOWLOG), 0, 4);
    /* slowlog-max-len 0 still plans one record: the pool always exists. */
    changed.slowlog_max_len = 0;
    struct plan plan;
    plan_build(&plan, &changed);
    check_plan(&plan);
    cr_assert_eq(plan.pools[PLAN_POOL_SLOWLOG].count, 1);
}

Test(plan, linear_in_maxmemory) {
    struct config changed = config;
    changed.maxmemory *= 2;
    check_linear(&changed, BIT(PLAN_POOL_HEAP_PAGES) | BIT(PLAN_POOL_HEAP_DESCRIPTORS), 0, 2);
}

Test(plan, linear_in_input_buffer_size) {
    struct config changed = config;
    changed.client_input_buffer_size *= 2;
    check_linear(&changed, 0, BIT(PLAN_POOL_INPUT_BUFFERS), 2);
}

Test(plan, linear_in_output_pool_size) {
    struct config changed = config;
    changed.output_pool_size *= 2;
    check_linear(&changed, BIT(PLAN_POOL_OUTPUT_CHUNKS), 0, 2);
}

Test(plan, linear_in_databases) {
    struct config changed = config;
    changed.databases *= 2;
    check_linear(&changed, BIT(PLAN_POOL_DATABASES), 0, 2);
}

Test(plan, independent_of_other_settings) {
    /* Limits that do not size a pool leave the plan alone. */
    struct config changed = config;
    changed.proto_max_bulk_len = 4 * MIB;
    changed.client_query_buffer_limit = 2 * MIB;
    changed.output_limit_normal.hard_size = MIB;
    changed.hz = 100;
    changed.maxmemory_policy = POLICY_ALLKEYS_LRU;
    check_linear(&changed, 0, 0, 1);
}

/*
 * BUG (reported): heap_page_count and output_chunk_count are uint32_t and the
 * division results are truncated. config_validate accepts maxmemory up to
 * UINT64_MAX and output-pool-size up to LLONG_MAX, so `--maxmemory
 * 281474976776192` (2^48 + 64 KiB) plans a heap of one page, and
 * `--output-pool-size 281474976710656` plans zero output chunks (and
 * maxmemory 2^48 or more plans zero pages: heap_descriptor_size asserts).
 * Whatever config_validate accepts, the plan must provide.
 */
Test(plan, covers_every_valid_configuration) {
    char error[CONFIG_ERROR_SIZE_MAX];
    struct config large = config;
    large.maxmemory = ((uint64_t)1 << 48) + HEAP_PAGE_SIZE;
    if (config_validate(&large, error)) {
        struct plan plan;
        plan_build(&plan, &large);
        check_covers_config(&plan, &large);
    }
    large = config;
    large.output_pool_size = (uint64_t)1 << 48;
    if (config_validate(&large, error)) {
        struct plan plan;
        plan_build(&plan, &large);
        check_covers_config(&plan, &large);
    }
}

Test(plan, print_lists_every_pool) {
    struct plan plan;
    plan_build(&plan, &config);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    plan_print(&plan, fds[1]);
    close(fds[1]);
    char text[8192];
    ssize_t size = read(fds[0], text, sizeof(text) - 1);
    close(fds[0]);
    cr_assert_gt(size, 0);
    text[size] = 0;
    uint32_t lines = 0;
    for (ssize_t index = 0; index < size; index++) {
        lines += text[index] == '\n';
    }
    cr_assert_eq(lines, PLAN_POOL_COUNT + 1);
    for (uint32_t index = 0; index < PLAN_POOL_COUNT; index++) {
        cr_assert(strstr(text, pool_names[index]) != NULL, "%s", pool_names[index]);
    }
    char total[64];
    snprintf(total, sizeof(total), "total %llu bytes\n", (unsigned long long)plan.total_size);
    cr_assert(strstr(text, total) != NULL, "%s", text);
}
