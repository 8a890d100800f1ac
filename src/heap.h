/*
 * heap.h: the data heap. One budget of pages serves every key, value,
 * collection node, index segment and oversized query buffer.
 *
 * Layout: the pages area is `page_count` pages of HEAP_PAGE_SIZE bytes, carved
 * from the arena at startup and touched lazily. A separate descriptor table
 * (one struct heap_page per page, also from the arena) says what each page is:
 *
 *   pages:       | slab (class 5, 1 page) | run (3 pages)            | free run ... |
 *   descriptors: [slab head]              [run head][run tail][run tail] [free head]...[free tail]
 *
 * - Small objects (size <= HEAP_CLASS_SIZE_MAX) come from size classes spaced
 *   at most 12.5% apart. A class draws slabs (runs of whole pages sized so
 *   that one slab holds at least 8 objects) from the free-page pool; a slab
 *   that empties returns its pages to the pool, so memory moves between
 *   classes.
 * - Larger objects take a run of whole pages.
 * - Free page runs coalesce with their neighbours (boundary tags in the first
 *   and last descriptor of each free run) and sit in lists bucketed by log2 of
 *   their length.
 *
 * heap_alloc never reserves memory: it returns NULL when no room is left, and
 * callers answer -OOM without having changed anything.
 */
#pragma once

#include "base.h"

#define HEAP_PAGE_SIZE ((uint32_t)(64 * 1024))
#define HEAP_CLASS_SIZE_MAX ((uint32_t)(256 * 1024))
#define HEAP_ALIGNMENT ((uint32_t)8)
#define HEAP_CLASS_COUNT_MAX 128
#define HEAP_RUN_BUCKET_COUNT 40
/* Sizes up to this many bytes map to a class through a table (one entry per 8 bytes). */
#define HEAP_LOOKUP_SIZE_MAX ((uint32_t)1024)
#define HEAP_LOOKUP_COUNT (HEAP_LOOKUP_SIZE_MAX / HEAP_ALIGNMENT + 1)

/*
 * What a page is. Only the first and last descriptor of a free run are kept
 * up to date; the descriptors inside a free run are stale and never read.
 */
enum heap_page_kind {
    HEAP_PAGE_UNUSED = 0, /* written by heap_init only, inside the first free run */
    HEAP_PAGE_FREE = 1,   /* first or last page of a free run */
    HEAP_PAGE_SLAB = 2,   /* first page of a slab */
    HEAP_PAGE_RUN = 3,    /* first page of a large object's run */
    HEAP_PAGE_TAIL = 4,   /* any later page of a slab or large run */
};

/* One descriptor per page. The meaning of the fields depends on `kind`. */
struct heap_page {
    uint8_t kind;           /* enum heap_page_kind */
    uint8_t class_index;    /* slab head: its size class */
    uint16_t reserved;
    uint32_t run_pages;     /* head (and free-run tail): length of the run in pages */
    uint32_t head_index;    /* any page of a run: index of the run's first page */
    uint32_t object_count;  /* slab head: live objects */
    uint32_t bump_offset;   /* slab head: bytes of the slab handed out at least once */
    uint32_t free_offset;   /* slab head: offset+1 of the first free object, 0 if none */
    uint32_t prev_index;    /* slab head in a class list / free run in a bucket list */
    uint32_t next_index;
};

struct heap_class {
    uint32_t object_size;
    uint32_t slab_pages;       /* pages per slab */
    uint32_t objects_per_slab;
    uint32_t partial_head;     /* slabs with at least one free object; HEAP_NONE if none */
    uint64_t object_count;     /* live objects of this class */
    uint64_t slab_count;
};

struct heap {
    uint8_t *pages;            /* page_count * HEAP_PAGE_SIZE bytes */
    struct heap_page *descriptors;
    uint32_t page_count;
    uint32_t free_page_count;
    uint32_t class_count;
    uint64_t used_size;        /* sum of the usable sizes of live objects */
    uint64_t used_size_peak;
    uint64_t object_count;
    uint32_t run_buckets[HEAP_RUN_BUCKET_COUNT]; /* heads of free-run lists */
    uint64_t run_bucket_mask;  /* bit b set when run_buckets[b] is not empty */
    struct heap_class classes[HEAP_CLASS_COUNT_MAX];
    uint8_t class_lookup[HEAP_LOOKUP_COUNT]; /* (size + 7) / 8 -> class, sizes <= 1024 */
};

#define HEAP_NONE UINT32_MAX

/* Bytes of descriptor table the heap needs for `page_count` pages. */
uint64_t heap_descriptor_size(uint32_t page_count);

/*
 * `pages` must be HEAP_PAGE_SIZE-aligned and hold page_count pages; `descriptors`
 * must hold heap_descriptor_size(page_count) bytes. Neither is touched except
 * the descriptors written here (and pages as objects are handed out).
 */
void heap_init(struct heap *heap, uint8_t *pages, uint32_t page_count,
               struct heap_page *descriptors);

/* Returns 8-byte-aligned memory of at least `size` bytes (size > 0), or NULL. */
void *heap_alloc(struct heap *heap, uint64_t size);

/* Releases an object from heap_alloc. ptr must not be NULL. */
void heap_free(struct heap *heap, void *ptr);

/* The bytes actually held by an object (its class size or its run's bytes). */
uint64_t heap_usable_size(const struct heap *heap, const void *ptr);

/* The bytes an object of `size` would hold, without allocating. */
uint64_t heap_size_for(const struct heap *heap, uint64_t size);

/* True when ptr points into the pages area. */
bool heap_contains(const struct heap *heap, const void *ptr);

static inline uint64_t heap_capacity_size(const struct heap *heap) {
    return (uint64_t)heap->page_count * HEAP_PAGE_SIZE;
}

static inline uint64_t heap_free_size(const struct heap *heap) {
    return (uint64_t)heap->free_page_count * HEAP_PAGE_SIZE;
}

/* O(pages) consistency check for tests: lists, counts and boundary tags agree. */
void heap_verify(const struct heap *heap);
