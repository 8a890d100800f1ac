/*
 * cmd_memory.c: MEMORY USAGE, STATS, DOCTOR, PURGE, MALLOC-STATS and HELP.
 *
 * Figures come straight from the heap (src/heap.h): every byte of data is in
 * it, so "allocated" means bytes held by live objects and "wasted" the rest of
 * the pages their size classes hold.
 */
#include "commands.h"

#define MEMORY_DOCTOR_SIZE_MAX 1024u

/* A key's index slot (8 bytes) counts with the key, as Redis counts its dict entry. */
#define MEMORY_INDEX_SLOT_SIZE 8u

static void memory_usage(struct client *client) {
    if (client->argv.count < 3) {
        command_reply_arity(client, "memory|usage");
        return;
    }
    if (client->argv.count != 3 && client->argv.count != 5) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    if (client->argv.count == 5) {
        int64_t samples = 0;
        if (!slice_equal_nocase(client_arg(client, 3), "samples")) {
            reply_error(&client->reply, ERROR_SYNTAX);
            return;
        }
        if (!argument_int64_or_reply(client, client_arg(client, 4), &samples)) {
            return;
        }
        /* keel's sizes are exact: every nested object is counted, whatever SAMPLES says. */
    }
    uint64_t hash = 0;
    const struct item *item = command_find(client, client_arg(client, 2), &hash);
    if (item == NULL) {
        reply_null(&client->reply);
        return;
    }
    uint64_t size = item_memory_size(&server.heap, item) + MEMORY_INDEX_SLOT_SIZE;
    reply_integer(&client->reply, (int64_t)size);
}

static uint64_t heap_held_size(const struct heap *heap) {
    return (uint64_t)(heap->page_count - heap->free_page_count) * HEAP_PAGE_SIZE;
}

static void memory_stats_pair_integer(struct client *client, const char *name, uint64_t value) {
    reply_bulk_cstr(&client->reply, name);
    reply_integer(&client->reply, (int64_t)value);
}

static void memory_stats_classes(struct client *client) {
    const struct heap *heap = &server.heap;
    uint32_t used_classes = 0;
    for (uint32_t index = 0; index < heap->class_count; index++) {
        used_classes += heap->classes[index].slab_count > 0 ? 1u : 0u;
    }
    reply_bulk_cstr(&client->reply, "heap.classes");
    reply_map(&client->reply, used_classes);
    for (uint32_t index = 0; index < heap->class_count; index++) {
        const struct heap_class *class = &heap->classes[index];
        if (class->slab_count == 0) {
            continue;
        }
        char name[32];
        snprintf(name, sizeof(name), "%u", class->object_size);
        uint64_t held = class->slab_count * class->slab_pages * (uint64_t)HEAP_PAGE_SIZE;
        uint64_t used = class->object_count * class->object_size;
        ASSERT(used <= held);
        reply_bulk_cstr(&client->reply, name);
        reply_map(&client->reply, 4);
        memory_stats_pair_integer(client, "pages", class->slab_count * class->slab_pages);
        memory_stats_pair_integer(client, "objects", class->object_count);
        memory_stats_pair_integer(client, "bytes.used", used);
        memory_stats_pair_integer(client, "bytes.wasted", held - used);
    }
}

static void memory_stats(struct client *client) {
    const struct heap *heap = &server.heap;
    uint64_t keys = 0;
    for (uint32_t index = 0; index < server.keyspace.db_count; index++) {
        keys += server.keyspace.dbs[index].index.count;
    }
    uint64_t dataset = heap->used_size - MIN(heap->used_size, server.startup_used_size);
    uint64_t output_used = (uint64_t)(server.output_pool.chunk_count -
                                      server.output_pool.free_count) * OUTPUT_CHUNK_SIZE;
    reply_map(&client->reply, 16);
    memory_stats_pair_integer(client, "peak.allocated", heap->used_size_peak);
    memory_stats_pair_integer(client, "total.allocated", heap->used_size);
    memory_stats_pair_integer(client, "startup.allocated", server.startup_used_size);
    memory_stats_pair_integer(client, "clients.normal",
                              output_used + server.input_heap.used_size);
    memory_stats_pair_integer(client, "keys.count", keys);
    memory_stats_pair_integer(client, "keys.bytes-per-key", keys == 0 ? 0 : dataset / keys);
    memory_stats_pair_integer(client, "dataset.bytes", dataset);
    memory_stats_pair_integer(client, "heap.pages.total", heap->page_count);
    memory_stats_pair_integer(client, "heap.pages.free", heap->free_page_count);
    memory_stats_pair_integer(client, "heap.bytes.held", heap_held_size(heap));
    memory_stats_pair_integer(client, "heap.objects", heap->object_count);
    memory_stats_pair_integer(client, "plan.total", server.plan.total_size);
    memory_stats_pair_integer(client, "compaction.slabs.started", heap->evacuation.slabs_started);
    memory_stats_pair_integer(client, "compaction.slabs.emptied", heap->evacuation.slabs_emptied);
    memory_stats_pair_integer(client, "compaction.objects.moved", heap->evacuation.objects_moved);
    memory_stats_classes(client);
}

static void memory_doctor(struct client *client) {
    const struct heap *heap = &server.heap;
    char text[MEMORY_DOCTOR_SIZE_MAX];
    uint64_t held = heap_held_size(heap);
    uint64_t budget = server.config.maxmemory;
    int size;
    if (heap->used_size <= server.startup_used_size + 64 * KIB) {
        size = snprintf(text, sizeof(text), "The dataset is empty or almost empty: nothing to "
                        "report yet.");
    } else if (heap->used_size * 10 > budget * 9) {
        size = snprintf(text, sizeof(text), "Used memory is over 90%% of maxmemory (%llu of "
                        "%llu bytes). Writes will soon get -OOM under noeviction: raise "
                        "maxmemory at the next start, delete keys, or choose an eviction "
                        "policy.", (unsigned long long)heap->used_size,
                        (unsigned long long)budget);
    } else if (held > heap->used_size * 3 / 2) {
        size = snprintf(text, sizeof(text), "Pages held are %.2f times the bytes of live "
                        "objects: the mix of value sizes has changed. MEMORY STATS shows the "
                        "size classes holding the wasted bytes.",
                        (double)held / (double)heap->used_size);
    } else {
        size = snprintf(text, sizeof(text), "No memory problems detected: %llu bytes of live "
                        "data in %llu bytes of pages, within a budget of %llu bytes.",
                        (unsigned long long)heap->used_size, (unsigned long long)held,
                        (unsigned long long)budget);
    }
    ASSERT(size > 0 && (uint32_t)size < sizeof(text));
    reply_verbatim(&client->reply, text, (uint64_t)size, "txt");
}

static void memory_help(struct client *client) {
    static const char *const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    };
    reply_array(&client->reply, ARRAY_COUNT(lines));
    for (uint32_t index = 0; index < ARRAY_COUNT(lines); index++) {
        reply_simple(&client->reply, lines[index]);
    }
}

void cmd_memory(struct client *client) {
    struct slice sub = client_arg(client, 1);
    bool alone = client->argv.count == 2;
    if (slice_equal_nocase(sub, "usage")) {
        memory_usage(client);
    } else if (slice_equal_nocase(sub, "stats") && alone) {
        memory_stats(client);
    } else if (slice_equal_nocase(sub, "doctor") && alone) {
        memory_doctor(client);
    } else if (slice_equal_nocase(sub, "help") && alone) {
        memory_help(client);
    } else if (slice_equal_nocase(sub, "purge") && alone) {
        reply_ok(&client->reply); /* the heap keeps no dirty pages to give back */
    } else if (slice_equal_nocase(sub, "malloc-stats") && alone) {
        static const char malloc_stats[] = "keel allocates from its own heap: see MEMORY STATS";
        reply_verbatim(&client->reply, malloc_stats, sizeof(malloc_stats) - 1, "txt");
    } else if (slice_equal_nocase(sub, "stats") || slice_equal_nocase(sub, "doctor") ||
               slice_equal_nocase(sub, "help") || slice_equal_nocase(sub, "purge") ||
               slice_equal_nocase(sub, "malloc-stats")) {
        char name[32];
        snprintf(name, sizeof(name), "memory|%.*s", (int)MIN(sub.size, 16u),
                 (const char *)sub.ptr);
        for (char *cursor = name; *cursor != 0; cursor++) {
            *cursor = (*cursor >= 'A' && *cursor <= 'Z') ? (char)(*cursor + 32) : *cursor;
        }
        command_reply_arity(client, name);
    } else {
        reply_errorf(&client->reply, "ERR unknown subcommand '%.*s'. Try MEMORY HELP.",
                     (int)MIN(sub.size, 128u), (const char *)sub.ptr);
    }
}
