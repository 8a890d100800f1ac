/*
 * heap_mapping.h: a real data heap over anonymous mappings, for unit tests
 * (the server takes its pages from the arena instead). One page more than
 * asked is mapped so the pages can start on a HEAP_PAGE_SIZE boundary.
 */
#pragma once

#include "heap.h"

#include <criterion/criterion.h>
#include <sys/mman.h>

struct heap_mapping {
    uint8_t *area;
    uint64_t area_size;
    struct heap_page *descriptors;
    uint32_t page_count;
};

static inline void heap_mapping_init(struct heap_mapping *mapping, struct heap *heap,
                                     uint32_t page_count) {
    cr_assert(page_count > 0);
    mapping->page_count = page_count;
    mapping->area_size = ((uint64_t)page_count + 1) * HEAP_PAGE_SIZE;
    void *area = mmap(NULL, mapping->area_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(area != MAP_FAILED);
    mapping->area = area;
    uint8_t *pages = (uint8_t *)align_up((uint64_t)(uintptr_t)mapping->area, HEAP_PAGE_SIZE);
    void *table = mmap(NULL, heap_descriptor_size(page_count), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(table != MAP_FAILED);
    mapping->descriptors = table;
    heap_init(heap, pages, page_count, mapping->descriptors);
}

static inline void heap_mapping_release(struct heap_mapping *mapping) {
    cr_assert(mapping->area != NULL);
    munmap(mapping->descriptors, heap_descriptor_size(mapping->page_count));
    munmap(mapping->area, mapping->area_size);
    mapping->area = NULL;
}
