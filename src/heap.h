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
 *   at most 12.5% apart. A class draws slabs (runs of the fewest whole pages
 *   that leave less than 1/8 of the slab unused at its end: one page for
 *   every class up to 8 KiB) from the free-page pool; a slab that empties
 *   returns its pages to the pool, so memory moves between classes.
 * - Larger objects take a run of whole pages.
 * - Free page runs coalesce with their neighbours (boundary tags in the first
 *   and last descriptor of each free run) and sit in lists bucketed by log2 of
 *   their length.
 *
 * heap_alloc never reserves memory: it returns NULL when no room is left, and
 * callers answer -OOM without having changed anything.
 *
 * Compaction. When the mix of object sizes shifts, slabs of a class that is
 * no longer in demand stay sparsely used and hold pages another class needs.
 * Objects from heap_alloc_movable (the items of the keyspace: the owner can
 * find and re-point them) live in slabs of their own. Evacuation takes one
 * sparse movable slab out of allocation, hands its live objects one by one to
 * the caller (heap_evacuation_next), who copies each into a new object and
 * frees the old one; the emptied slab's pages return to the pool. Only one
 * slab is evacuated at a time, and every step is bounded.
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
    uint16_t flags;         /* slab head: HEAP_SLAB_MOVABLE, HEAP_SLAB_EVACUATING */
    uint32_t run_pages;     /* head (and free-run tail): length of the run in pages */
    uint32_t head_index;    /* any page of a run: index of the run's first page */
    uint32_t object_count;  /* slab head: live objects */
    uint32_t bump_offset;   /* slab head: bytes of the slab handed out at least once */
    uint32_t free_offset;   /* slab head: offset+1 of the first free object, 0 if none */
    uint32_t prev_index;    /* slab head in a class list / free run in a bucket list */
    uint32_t next_index;
};

#define HEAP_SLAB_MOVABLE ((uint16_t)1)
#define HEAP_SLAB_EVACUATING ((uint16_t)2)
#define HEAP_SLAB_KINDS 2u         /* index 0: ordinary slabs, 1: movable slabs */
/* Objects per slab at most (8-byte objects in one page): the evacuation bitmap's size. */
#define HEAP_SLAB_OBJECTS_MAX (HEAP_PAGE_SIZE / HEAP_ALIGNMENT)
/* Partial slabs examined to find the sparsest one to evacuate. */
#define HEAP_EVACUATION_SCAN_MAX 64u
/* Compaction also runs to keep a free run of this many pages (bucket 2: 4..7 pages). */
#define HEAP_CONTIGUOUS_PAGES 4u
#define HEAP_CONTIGUOUS_BUCKET 2u

struct heap_class {
    uint32_t object_size;
    uint32_t slab_pages;       /* pages per slab */
    uint32_t objects_per_slab;
    uint32_t partial_head[HEAP_SLAB_KINDS]; /* slabs with a free object; HEAP_NONE if none */
    uint64_t object_count;     /* live objects of this class */
    uint64_t slab_count;
    uint64_t movable_object_count; /* of which in movable slabs */
    uint64_t movable_slab_count;
};

/* The slab being evacuated, if any. */
struct heap_evacuation {
    uint32_t head_index;       /* HEAP_NONE when no evacuation runs */
    uint32_t next_object;      /* next object index to hand out */
    uint64_t live[HEAP_SLAB_OBJECTS_MAX / 64]; /* bit set: object still to move */
    uint64_t slabs_started;
    uint64_t slabs_emptied;
    uint64_t objects_moved;
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
    uint32_t compact_free_pages_min; /* compaction runs while fewer pages are free */
    struct heap_evacuation evacuation;
};

#define HEAP_NONE UINT32_MAX

/* Bytes of descriptor table the heap needs for `page_count` pages. */
uint64_t heap_descriptor_size(uint32_t page_count);

/* Pages of one slab of every class up to object_size_max: what partly used
 * slabs (one per class) can hold beyond their objects. */
uint32_t heap_partial_slab_pages(uint32_t object_size_max);

/*
 * `pages` must be HEAP_PAGE_SIZE-aligned and hold page_count pages; `descriptors`
 * must hold heap_descriptor_size(page_count) bytes. Neither is touched except
 * the descriptors written here (and pages as objects are handed out).
 */
void heap_init(struct heap *heap, uint8_t *pages, uint32_t page_count,
               struct heap_page *descriptors);

/* Returns 8-byte-aligned memory of at least `size` bytes (size > 0), or NULL. */
void *heap_alloc(struct heap *heap, uint64_t size);

/* As heap_alloc, for an object its owner can move on request (see Compaction). */
void *heap_alloc_movable(struct heap *heap, uint64_t size);

/*
 * True when evacuating a movable slab would help: free pages are scarce and
 * some class's movable slabs have at least two slabs' worth of free objects
 * (its sparsest slab is emptied), or pages are free but no run of
 * HEAP_CONTIGUOUS_PAGES is (a slab next to a short free run is emptied).
 * O(classes + HEAP_EVACUATION_SCAN_MAX).
 */
bool heap_compaction_wanted(const struct heap *heap);

/* Starts evacuating the sparsest movable slab of the most wasteful class. False if none. */
bool heap_evacuation_start(struct heap *heap);

/*
 * The next live object of the slab being evacuated, or NULL when no evacuation
 * runs or it just ended (the caller moves the object: allocate, copy, re-point,
 * heap_free the old one). The slab is released when its last object is freed.
 */
void *heap_evacuation_next(struct heap *heap);

/* Stops the evacuation (the caller could not move an object): the slab serves again. */
void heap_evacuation_stop(struct heap *heap);

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
