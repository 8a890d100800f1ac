/*
 * heap.c: the data heap (see heap.h for the layout).
 *
 * Invariants:
 * - Pages form consecutive runs that tile the pages area. The first
 *   descriptor of every run is its head (kind FREE, SLAB or RUN) and records
 *   run_pages; every descriptor of a slab or large run records head_index.
 *   A free run keeps only its first and last descriptor up to date (boundary
 *   tags), so freeing and coalescing cost O(1) descriptor writes.
 * - No two free runs are adjacent: a released run merges with both
 *   neighbours at once.
 * - A free run of n pages sits in bucket floor(log2(n)). A slab with at least
 *   one free object sits in its class's partial list; a full slab in none; a
 *   slab whose last object is freed goes back to the free-page pool at once.
 * - Inside a slab, the bytes below bump_offset were handed out at least once;
 *   the bytes above were never touched. Freed objects form a list through
 *   their first 4 bytes (offset + 1 of the next free object, 0 ends it).
 *
 *   slab: | obj | obj (free) | obj | obj (free) | never used ...... |
 *         0                                     ^ bump_offset
 *   free_offset -> obj(3) -> obj(1) -> end
 *
 * Limits: HEAP_CLASS_COUNT_MAX classes, at most UINT32_MAX - 1 pages. Every
 * operation is O(1) or bounded (a run allocation scans at most
 * HEAP_RUN_SCAN_MAX runs of its bucket; writing a run's descriptors costs one
 * write per page) except heap_verify.
 */
#include "heap.h"

/* Runs examined in the first bucket before falling back to a larger bucket. */
#define HEAP_RUN_SCAN_MAX 16u
/* A slab's tail waste stays below 1/HEAP_SLAB_TAIL_FRACTION of it; so few pages need
 * to be contiguous (compaction frees single pages). */
#define HEAP_SLAB_TAIL_FRACTION 8u
#define HEAP_SLAB_PAGES_MAX 64u
/* Classes below this size are spaced by HEAP_ALIGNMENT, above geometrically by 1/8. */
#define HEAP_CLASS_LINEAR_SIZE_MAX ((uint32_t)128)
/* Binary search steps to find a class: log2(HEAP_CLASS_COUNT_MAX) + 1. */
#define HEAP_CLASS_SEARCH_STEPS_MAX 8u

STATIC_ASSERT(HEAP_RUN_BUCKET_COUNT <= 64, "bucket mask is 64 bits");
STATIC_ASSERT(HEAP_RUN_BUCKET_COUNT >= 32, "a bucket for every uint32_t run length");
STATIC_ASSERT(HEAP_CLASS_COUNT_MAX <= 256, "class_index is a uint8_t");
STATIC_ASSERT(HEAP_CLASS_SIZE_MAX % HEAP_ALIGNMENT == 0, "largest class is aligned");
STATIC_ASSERT(HEAP_PAGE_SIZE % HEAP_ALIGNMENT == 0, "pages keep objects aligned");
STATIC_ASSERT(HEAP_LOOKUP_SIZE_MAX <= HEAP_CLASS_SIZE_MAX, "lookup covers small classes");
STATIC_ASSERT((uint64_t)HEAP_PAGE_SIZE * HEAP_SLAB_PAGES_MAX <= UINT32_MAX,
              "slab offsets fit in uint32_t");
STATIC_ASSERT(sizeof(struct heap_page) == 32, "descriptor is 32 bytes");
STATIC_ASSERT((1u << HEAP_CONTIGUOUS_BUCKET) == HEAP_CONTIGUOUS_PAGES, "bucket of the wanted run");

/* ==== Small helpers ==== */

static uint32_t log2_floor(uint64_t value) {
    ASSERT(value > 0);
    uint32_t result = 63u - (uint32_t)__builtin_clzll(value);
    ASSERT(((uint64_t)1 << result) <= value);
    return result;
}

static uint32_t page_index_of(const struct heap *heap, const void *ptr) {
    ASSERT(heap_contains(heap, ptr));
    uint64_t offset = (uint64_t)((const uint8_t *)ptr - heap->pages);
    uint64_t page_index = offset / HEAP_PAGE_SIZE;
    ASSERT(page_index < heap->page_count);
    return (uint32_t)page_index;
}

static uint8_t *page_address(const struct heap *heap, uint32_t page_index) {
    ASSERT(page_index < heap->page_count);
    return heap->pages + (uint64_t)page_index * HEAP_PAGE_SIZE;
}

static uint64_t slab_size(const struct heap_class *class) {
    ASSERT(class->slab_pages > 0);
    return (uint64_t)class->slab_pages * HEAP_PAGE_SIZE;
}

/* ==== Size classes ==== */

/* The fewest pages whose tail (the bytes no whole object fits in) is under 1/8. */
static uint32_t class_slab_pages(uint32_t object_size) {
    ASSERT(object_size > 0);
    uint32_t slab_pages = 1;
    while (((uint64_t)slab_pages * HEAP_PAGE_SIZE % object_size) * HEAP_SLAB_TAIL_FRACTION >=
           (uint64_t)slab_pages * HEAP_PAGE_SIZE) {
        slab_pages++;
        ASSERT(slab_pages <= HEAP_SLAB_PAGES_MAX);
    }
    return slab_pages;
}

/* The class after `size`: 8 bytes apart up to 128, then at most 1/8 apart. */
static uint32_t class_size_next(uint32_t size) {
    ASSERT(size < HEAP_CLASS_SIZE_MAX);
    if (size < HEAP_CLASS_LINEAR_SIZE_MAX) {
        return size + HEAP_ALIGNMENT;
    }
    /* Rounding down keeps each step at most 1/8 of the previous size. */
    uint32_t next = (size + size / 8u) / HEAP_ALIGNMENT * HEAP_ALIGNMENT;
    ASSERT(next > size);
    return MIN(next, HEAP_CLASS_SIZE_MAX);
}

uint32_t heap_partial_slab_pages(uint32_t object_size_max) {
    ASSERT(object_size_max <= HEAP_CLASS_SIZE_MAX);
    uint32_t pages = 0;
    for (uint32_t size = HEAP_ALIGNMENT; size <= object_size_max; size = class_size_next(size)) {
        pages += class_slab_pages(size);
        if (size == HEAP_CLASS_SIZE_MAX) {
            break;
        }
    }
    ASSERT(pages > 0);
    return pages;
}

static void class_add(struct heap *heap, uint32_t object_size) {
    ASSERT(heap->class_count < HEAP_CLASS_COUNT_MAX);
    ASSERT(object_size % HEAP_ALIGNMENT == 0);
    uint32_t slab_pages = class_slab_pages(object_size);
    struct heap_class *class = &heap->classes[heap->class_count];
    class->object_size = object_size;
    class->slab_pages = slab_pages;
    class->objects_per_slab = (uint32_t)((uint64_t)slab_pages * HEAP_PAGE_SIZE / object_size);
    for (uint32_t kind = 0; kind < HEAP_SLAB_KINDS; kind++) {
        class->partial_head[kind] = HEAP_NONE;
    }
    class->object_count = 0;
    class->slab_count = 0;
    class->movable_object_count = 0;
    class->movable_slab_count = 0;
    ASSERT(class->objects_per_slab >= 1);
    heap->class_count++;
}

static void classes_init(struct heap *heap) {
    heap->class_count = 0;
    uint32_t size = HEAP_ALIGNMENT;
    for (uint32_t round = 0; round < HEAP_CLASS_COUNT_MAX; round++) {
        class_add(heap, size);
        if (size == HEAP_CLASS_SIZE_MAX) {
            break;
        }
        size = class_size_next(size);
    }
    ASSERT(heap->class_count <= HEAP_CLASS_COUNT_MAX);
    ASSERT(heap->classes[heap->class_count - 1].object_size == HEAP_CLASS_SIZE_MAX);
}

static void class_lookup_init(struct heap *heap) {
    uint32_t class_index = 0;
    for (uint32_t entry = 0; entry < HEAP_LOOKUP_COUNT; entry++) {
        uint32_t size = entry * HEAP_ALIGNMENT;
        while (heap->classes[class_index].object_size < size) {
            class_index++;
            ASSERT(class_index < heap->class_count);
        }
        heap->class_lookup[entry] = (uint8_t)class_index;
    }
    ASSERT(heap->classes[heap->class_lookup[HEAP_LOOKUP_COUNT - 1]].object_size ==
           HEAP_LOOKUP_SIZE_MAX);
}

/* The smallest class whose objects hold `size` bytes. */
static uint32_t class_for_size(const struct heap *heap, uint64_t size) {
    ASSERT(size > 0);
    ASSERT(size <= HEAP_CLASS_SIZE_MAX);
    if (size <= HEAP_LOOKUP_SIZE_MAX) {
        return heap->class_lookup[(size + HEAP_ALIGNMENT - 1) / HEAP_ALIGNMENT];
    }
    uint32_t low = heap->class_lookup[HEAP_LOOKUP_COUNT - 1]; /* too small */
    uint32_t high = heap->class_count - 1;                   /* large enough */
    for (uint32_t step = 0; low + 1 < high; step++) {
        ASSERT(step < HEAP_CLASS_SEARCH_STEPS_MAX);
        uint32_t middle = low + (high - low) / 2;
        if (heap->classes[middle].object_size >= size) {
            high = middle;
        } else {
            low = middle;
        }
    }
    ASSERT(heap->classes[high].object_size >= size);
    ASSERT(heap->classes[high - 1].object_size < size);
    return high;
}

/* ==== Free runs: bucket lists and boundary tags ==== */

static void bucket_push(struct heap *heap, uint32_t head_index) {
    struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(head->kind == HEAP_PAGE_FREE);
    ASSERT(head->head_index == head_index);
    uint32_t bucket = log2_floor(head->run_pages);
    uint32_t next_index = heap->run_buckets[bucket];
    head->prev_index = HEAP_NONE;
    head->next_index = next_index;
    if (next_index != HEAP_NONE) {
        ASSERT(heap->descriptors[next_index].prev_index == HEAP_NONE);
        heap->descriptors[next_index].prev_index = head_index;
    }
    heap->run_buckets[bucket] = head_index;
    heap->run_bucket_mask |= (uint64_t)1 << bucket;
}

static void bucket_remove(struct heap *heap, uint32_t head_index) {
    struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(head->kind == HEAP_PAGE_FREE);
    ASSERT(head->head_index == head_index);
    uint32_t bucket = log2_floor(head->run_pages);
    if (head->prev_index == HEAP_NONE) {
        ASSERT(heap->run_buckets[bucket] == head_index);
        heap->run_buckets[bucket] = head->next_index;
    } else {
        heap->descriptors[head->prev_index].next_index = head->next_index;
    }
    if (head->next_index != HEAP_NONE) {
        heap->descriptors[head->next_index].prev_index = head->prev_index;
    }
    if (heap->run_buckets[bucket] == HEAP_NONE) {
        heap->run_bucket_mask &= ~((uint64_t)1 << bucket);
    }
    head->prev_index = HEAP_NONE;
    head->next_index = HEAP_NONE;
}

/* Writes the boundary tags of a free run and files it in its bucket. */
static void free_run_insert(struct heap *heap, uint32_t head_index, uint32_t run_pages) {
    ASSERT(run_pages > 0);
    ASSERT((uint64_t)head_index + run_pages <= heap->page_count);
    uint32_t tail_index = head_index + run_pages - 1;
    struct heap_page *head = &heap->descriptors[head_index];
    struct heap_page *tail = &heap->descriptors[tail_index];
    *tail = (struct heap_page){ .kind = HEAP_PAGE_FREE, .run_pages = run_pages,
                                .head_index = head_index, .prev_index = HEAP_NONE,
                                .next_index = HEAP_NONE };
    *head = *tail;
    bucket_push(heap, head_index);
}

/* Marks pages [head_index, head_index + run_pages) as one allocated run of `kind`. */
static void run_mark(struct heap *heap, uint32_t head_index, uint32_t run_pages, uint8_t kind) {
    ASSERT(kind == HEAP_PAGE_SLAB || kind == HEAP_PAGE_RUN);
    ASSERT((uint64_t)head_index + run_pages <= heap->page_count);
    heap->descriptors[head_index] = (struct heap_page){
        .kind = kind, .run_pages = run_pages, .head_index = head_index,
        .prev_index = HEAP_NONE, .next_index = HEAP_NONE };
    for (uint32_t offset = 1; offset < run_pages; offset++) {
        heap->descriptors[head_index + offset] = (struct heap_page){
            .kind = HEAP_PAGE_TAIL, .run_pages = 0, .head_index = head_index,
            .prev_index = HEAP_NONE, .next_index = HEAP_NONE };
    }
}

/* A free run of at least run_pages pages, or HEAP_NONE. Bounded work. */
static uint32_t run_find(const struct heap *heap, uint32_t run_pages) {
    uint32_t bucket = log2_floor(run_pages);
    uint32_t candidate = heap->run_buckets[bucket];
    for (uint32_t scan = 0; scan < HEAP_RUN_SCAN_MAX && candidate != HEAP_NONE; scan++) {
        const struct heap_page *page = &heap->descriptors[candidate];
        ASSERT(page->kind == HEAP_PAGE_FREE);
        if (page->run_pages >= run_pages) {
            return candidate;
        }
        candidate = page->next_index;
    }
    /* Every run in a higher bucket has at least 2^(bucket + 1) > run_pages pages. */
    uint64_t higher_mask = heap->run_bucket_mask & ~(((uint64_t)2 << bucket) - 1);
    if (higher_mask == 0) {
        return HEAP_NONE;
    }
    uint32_t higher = (uint32_t)__builtin_ctzll(higher_mask);
    ASSERT(higher > bucket);
    candidate = heap->run_buckets[higher];
    ASSERT(candidate != HEAP_NONE);
    ASSERT(heap->descriptors[candidate].run_pages >= run_pages);
    return candidate;
}

/* Takes run_pages pages from the free pool (the low end of a free run). */
static uint32_t run_acquire(struct heap *heap, uint32_t run_pages, uint8_t kind) {
    ASSERT(run_pages > 0);
    if (run_pages > heap->free_page_count) {
        return HEAP_NONE;
    }
    uint32_t head_index = run_find(heap, run_pages);
    if (head_index == HEAP_NONE) {
        return HEAP_NONE;
    }
    uint32_t found_pages = heap->descriptors[head_index].run_pages;
    ASSERT(found_pages >= run_pages);
    bucket_remove(heap, head_index);
    if (found_pages > run_pages) {
        free_run_insert(heap, head_index + run_pages, found_pages - run_pages);
    }
    run_mark(heap, head_index, run_pages, kind);
    heap->free_page_count -= run_pages;
    return head_index;
}

/* Returns an allocated run to the pool, merging with free neighbours. */
static void run_release(struct heap *heap, uint32_t head_index) {
    struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(head->kind == HEAP_PAGE_SLAB || head->kind == HEAP_PAGE_RUN);
    uint32_t run_pages = head->run_pages;
    heap->free_page_count += run_pages;
    ASSERT(heap->free_page_count <= heap->page_count);
    /* Marked free even if it ends up inside a merged run: a stale pointer then fails. */
    head->kind = HEAP_PAGE_FREE;
    uint32_t end_index = head_index + run_pages;
    if (head_index > 0 && heap->descriptors[head_index - 1].kind == HEAP_PAGE_FREE) {
        uint32_t left_index = heap->descriptors[head_index - 1].head_index;
        ASSERT(left_index < head_index);
        ASSERT(heap->descriptors[left_index].run_pages == head_index - left_index);
        bucket_remove(heap, left_index);
        head_index = left_index;
    }
    if (end_index < heap->page_count && heap->descriptors[end_index].kind == HEAP_PAGE_FREE) {
        ASSERT(heap->descriptors[end_index].head_index == end_index);
        uint32_t right_pages = heap->descriptors[end_index].run_pages;
        bucket_remove(heap, end_index);
        end_index += right_pages;
    }
    free_run_insert(heap, head_index, end_index - head_index);
}

/* ==== Slabs ==== */

/* Which partial list a slab belongs to: 0 ordinary, 1 movable. */
static uint32_t slab_kind(const struct heap_page *head) {
    ASSERT(head->kind == HEAP_PAGE_SLAB);
    return (head->flags & HEAP_SLAB_MOVABLE) != 0 ? 1u : 0u;
}

static void class_list_push(struct heap *heap, uint32_t class_index, uint32_t head_index) {
    struct heap_class *class = &heap->classes[class_index];
    struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(head->kind == HEAP_PAGE_SLAB);
    ASSERT(head->class_index == class_index);
    ASSERT((head->flags & HEAP_SLAB_EVACUATING) == 0);
    uint32_t kind = slab_kind(head);
    head->prev_index = HEAP_NONE;
    head->next_index = class->partial_head[kind];
    if (class->partial_head[kind] != HEAP_NONE) {
        heap->descriptors[class->partial_head[kind]].prev_index = head_index;
    }
    class->partial_head[kind] = head_index;
}

static void class_list_remove(struct heap *heap, uint32_t class_index, uint32_t head_index) {
    struct heap_class *class = &heap->classes[class_index];
    struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(head->kind == HEAP_PAGE_SLAB);
    ASSERT(head->class_index == class_index);
    uint32_t kind = slab_kind(head);
    if (head->prev_index == HEAP_NONE) {
        ASSERT(class->partial_head[kind] == head_index);
        class->partial_head[kind] = head->next_index;
    } else {
        heap->descriptors[head->prev_index].next_index = head->next_index;
    }
    if (head->next_index != HEAP_NONE) {
        heap->descriptors[head->next_index].prev_index = head->prev_index;
    }
    head->prev_index = HEAP_NONE;
    head->next_index = HEAP_NONE;
}

static uint32_t slab_create(struct heap *heap, uint32_t class_index, uint32_t kind) {
    ASSERT(class_index < heap->class_count);
    ASSERT(kind < HEAP_SLAB_KINDS);
    struct heap_class *class = &heap->classes[class_index];
    uint32_t head_index = run_acquire(heap, class->slab_pages, HEAP_PAGE_SLAB);
    if (head_index == HEAP_NONE) {
        return HEAP_NONE;
    }
    struct heap_page *head = &heap->descriptors[head_index];
    head->class_index = (uint8_t)class_index;
    head->flags = kind == 1 ? HEAP_SLAB_MOVABLE : 0;
    head->object_count = 0;
    head->bump_offset = 0;
    head->free_offset = 0;
    class->slab_count++;
    class->movable_slab_count += kind;
    class_list_push(heap, class_index, head_index);
    ASSERT(head->run_pages == class->slab_pages);
    return head_index;
}

static void *class_alloc(struct heap *heap, uint32_t class_index, uint32_t kind) {
    struct heap_class *class = &heap->classes[class_index];
    uint32_t head_index = class->partial_head[kind];
    if (head_index == HEAP_NONE) {
        head_index = slab_create(heap, class_index, kind);
        if (head_index == HEAP_NONE) {
            return NULL;
        }
    }
    struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(head->object_count < class->objects_per_slab);
    ASSERT((head->flags & HEAP_SLAB_EVACUATING) == 0);
    uint8_t *slab = page_address(heap, head_index);
    uint32_t offset;
    if (head->free_offset != 0) {
        offset = head->free_offset - 1;
        ASSERT(offset < head->bump_offset);
        memcpy(&head->free_offset, slab + offset, sizeof(head->free_offset));
    } else {
        offset = head->bump_offset;
        head->bump_offset += class->object_size;
        ASSERT(head->bump_offset <= slab_size(class));
    }
    head->object_count++;
    class->object_count++;
    class->movable_object_count += kind;
    if (head->object_count == class->objects_per_slab) {
        ASSERT(head->free_offset == 0);
        class_list_remove(heap, class_index, head_index);
    }
    return slab + offset;
}

/* Ends the evacuation; a slab that still holds objects serves allocations again. */
static void evacuation_end(struct heap *heap) {
    uint32_t head_index = heap->evacuation.head_index;
    ASSERT(head_index != HEAP_NONE);
    struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(head->kind == HEAP_PAGE_SLAB);
    ASSERT((head->flags & HEAP_SLAB_EVACUATING) != 0);
    head->flags &= (uint16_t)~HEAP_SLAB_EVACUATING;
    heap->evacuation.head_index = HEAP_NONE;
    if (head->object_count < heap->classes[head->class_index].objects_per_slab) {
        class_list_push(heap, head->class_index, head_index);
    }
}

static void class_free(struct heap *heap, uint32_t head_index, uint32_t offset) {
    struct heap_page *head = &heap->descriptors[head_index];
    uint32_t class_index = head->class_index;
    struct heap_class *class = &heap->classes[class_index];
    ASSERT(head->object_count > 0);
    ASSERT(class->object_count > 0);
    bool evacuating = (head->flags & HEAP_SLAB_EVACUATING) != 0;
    if (head->object_count == class->objects_per_slab && !evacuating) {
        class_list_push(heap, class_index, head_index);
    }
    head->object_count--;
    class->object_count--;
    class->movable_object_count -= slab_kind(head);
    if (evacuating) {
        uint32_t object = offset / class->object_size;
        heap->evacuation.live[object / 64] &= ~((uint64_t)1 << (object % 64));
    }
    if (head->object_count == 0) {
        if (evacuating) {
            heap->evacuation.head_index = HEAP_NONE;
            heap->evacuation.slabs_emptied++;
        } else {
            class_list_remove(heap, class_index, head_index);
        }
        class->slab_count--;
        class->movable_slab_count -= slab_kind(head);
        run_release(heap, head_index);
        return;
    }
    uint8_t *slab = page_address(heap, head_index);
    memcpy(slab + offset, &head->free_offset, sizeof(head->free_offset));
    head->free_offset = offset + 1;
}

/* ==== Compaction ==== */

/* Free objects in a class's movable slabs. */
static uint64_t class_movable_holes(const struct heap_class *class) {
    uint64_t capacity = class->movable_slab_count * class->objects_per_slab;
    ASSERT(capacity >= class->movable_object_count);
    return capacity - class->movable_object_count;
}

/* The class whose movable slabs waste the most bytes, if at least two slabs' worth. */
static uint32_t compaction_class(const struct heap *heap) {
    uint32_t best = HEAP_NONE;
    uint64_t best_waste = 0;
    for (uint32_t class_index = 0; class_index < heap->class_count; class_index++) {
        const struct heap_class *class = &heap->classes[class_index];
        uint64_t holes = class_movable_holes(class);
        if (holes < 2u * class->objects_per_slab) {
            continue;
        }
        uint64_t waste = holes * class->object_size;
        if (waste > best_waste) {
            best = class_index;
            best_waste = waste;
        }
    }
    return best;
}

/* Free objects a slab's objects could move into without taking a new slab. */
static uint64_t holes_elsewhere(const struct heap *heap, const struct heap_page *head) {
    const struct heap_class *class = &heap->classes[head->class_index];
    uint64_t own_holes = class->objects_per_slab - head->object_count;
    uint64_t holes = class_movable_holes(class);
    ASSERT(holes >= own_holes);
    return holes - own_holes;
}

/*
 * Enough pages are free, but scattered: no free run of HEAP_CONTIGUOUS_PAGES
 * (what a large slab, an index directory or a big value needs).
 */
static bool contiguity_short(const struct heap *heap) {
    return heap->free_page_count >= 2 * HEAP_CONTIGUOUS_PAGES &&
           (heap->run_bucket_mask >> HEAP_CONTIGUOUS_BUCKET) == 0;
}

/* A movable slab whose objects fit in holes elsewhere: evacuating it frees its pages. */
static bool evacuable(const struct heap *heap, uint32_t head_index) {
    const struct heap_page *head = &heap->descriptors[head_index];
    return head->kind == HEAP_PAGE_SLAB && head->flags == HEAP_SLAB_MOVABLE &&
           holes_elsewhere(heap, head) >= head->object_count;
}

/*
 * The evacuable slab next to a short free run (left or right neighbour) with
 * the fewest objects, next to the longest such runs first: emptying it
 * lengthens that run. HEAP_NONE if none.
 */
static uint32_t contiguity_candidate(const struct heap *heap) {
    uint32_t best = HEAP_NONE;
    uint32_t fewest = UINT32_MAX;
    for (uint32_t bucket = HEAP_CONTIGUOUS_BUCKET; bucket > 0 && best == HEAP_NONE; bucket--) {
        uint32_t current = heap->run_buckets[bucket - 1];
        for (uint32_t scan = 0; scan < HEAP_EVACUATION_SCAN_MAX && current != HEAP_NONE;
             scan++) {
            const struct heap_page *run = &heap->descriptors[current];
            uint32_t neighbours[2] = { HEAP_NONE, HEAP_NONE };
            if (current > 0) {
                neighbours[0] = heap->descriptors[current - 1].head_index;
            }
            if (current + run->run_pages < heap->page_count) {
                neighbours[1] = current + run->run_pages;
            }
            for (uint32_t side = 0; side < 2; side++) {
                uint32_t head_index = neighbours[side];
                if (head_index != HEAP_NONE && evacuable(heap, head_index) &&
                    heap->descriptors[head_index].object_count < fewest) {
                    best = head_index;
                    fewest = heap->descriptors[head_index].object_count;
                }
            }
            current = run->next_index;
        }
    }
    return best;
}

/* Why compaction would run now: pages are scarce, or no free run is long enough. */
static bool pressure(const struct heap *heap) {
    return heap->free_page_count < heap->compact_free_pages_min;
}

bool heap_compaction_wanted(const struct heap *heap) {
    if (heap->evacuation.head_index != HEAP_NONE) {
        return true; /* finish it: the slab is out of service meanwhile */
    }
    if (pressure(heap) && compaction_class(heap) != HEAP_NONE) {
        return true;
    }
    return contiguity_short(heap) && contiguity_candidate(heap) != HEAP_NONE;
}

/* Marks every handed-out object of the slab live, then clears those on its free list. */
static void evacuation_mark_live(struct heap *heap, uint32_t head_index) {
    const struct heap_page *head = &heap->descriptors[head_index];
    const struct heap_class *class = &heap->classes[head->class_index];
    uint32_t used = head->bump_offset / class->object_size;
    ASSERT(used <= HEAP_SLAB_OBJECTS_MAX);
    memset(heap->evacuation.live, 0, sizeof(heap->evacuation.live));
    for (uint32_t object = 0; object < used; object++) {
        heap->evacuation.live[object / 64] |= (uint64_t)1 << (object % 64);
    }
    const uint8_t *slab = page_address(heap, head_index);
    uint32_t free_offset = head->free_offset;
    for (uint32_t step = 0; free_offset != 0; step++) {
        ASSERT(step < used);
        uint32_t object = (free_offset - 1) / class->object_size;
        heap->evacuation.live[object / 64] &= ~((uint64_t)1 << (object % 64));
        memcpy(&free_offset, slab + free_offset - 1, sizeof(free_offset));
    }
}

/* The sparsest evacuable slab of the class wasting the most, or HEAP_NONE. */
static uint32_t pressure_candidate(const struct heap *heap) {
    uint32_t class_index = compaction_class(heap);
    if (class_index == HEAP_NONE) {
        return HEAP_NONE;
    }
    uint32_t sparsest = HEAP_NONE;
    uint32_t fewest = UINT32_MAX;
    uint32_t current = heap->classes[class_index].partial_head[1];
    for (uint32_t scan = 0; scan < HEAP_EVACUATION_SCAN_MAX && current != HEAP_NONE; scan++) {
        const struct heap_page *head = &heap->descriptors[current];
        if (head->object_count < fewest) {
            sparsest = current;
            fewest = head->object_count;
        }
        current = head->next_index;
    }
    /* Holes elsewhere in the class must take its objects, or moving them gains nothing. */
    return sparsest != HEAP_NONE && evacuable(heap, sparsest) ? sparsest : HEAP_NONE;
}

bool heap_evacuation_start(struct heap *heap) {
    ASSERT(heap->evacuation.head_index == HEAP_NONE);
    uint32_t head_index = pressure(heap) ? pressure_candidate(heap) : HEAP_NONE;
    if (head_index == HEAP_NONE && contiguity_short(heap)) {
        head_index = contiguity_candidate(heap);
    }
    if (head_index == HEAP_NONE) {
        return false;
    }
    struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(evacuable(heap, head_index));
    if (head->object_count < heap->classes[head->class_index].objects_per_slab) {
        class_list_remove(heap, head->class_index, head_index);
    }
    head->flags |= HEAP_SLAB_EVACUATING;
    evacuation_mark_live(heap, head_index);
    heap->evacuation.head_index = head_index;
    heap->evacuation.next_object = 0;
    heap->evacuation.slabs_started++;
    return true;
}

void *heap_evacuation_next(struct heap *heap) {
    uint32_t head_index = heap->evacuation.head_index;
    if (head_index == HEAP_NONE) {
        return NULL;
    }
    const struct heap_page *head = &heap->descriptors[head_index];
    const struct heap_class *class = &heap->classes[head->class_index];
    uint32_t used = head->bump_offset / class->object_size;
    for (uint32_t object = heap->evacuation.next_object; object < used; object++) {
        if ((heap->evacuation.live[object / 64] >> (object % 64)) & 1u) {
            heap->evacuation.next_object = object + 1;
            heap->evacuation.objects_moved++;
            return page_address(heap, head_index) + (uint64_t)object * class->object_size;
        }
    }
    /* Every object was handed out but some are still here (their owner kept them). */
    evacuation_end(heap);
    return NULL;
}

void heap_evacuation_stop(struct heap *heap) {
    if (heap->evacuation.head_index != HEAP_NONE) {
        evacuation_end(heap);
    }
}

/* ==== Public API ==== */

uint64_t heap_descriptor_size(uint32_t page_count) {
    ASSERT(page_count > 0);
    ASSERT(page_count < HEAP_NONE);
    return (uint64_t)page_count * sizeof(struct heap_page);
}

void heap_init(struct heap *heap, uint8_t *pages, uint32_t page_count,
               struct heap_page *descriptors) {
    ASSERT(pages != NULL);
    ASSERT(descriptors != NULL);
    ASSERT((uintptr_t)pages % HEAP_PAGE_SIZE == 0);
    ASSERT(page_count > 0);
    ASSERT(page_count < HEAP_NONE);
    memset(heap, 0, sizeof(*heap));
    heap->pages = pages;
    heap->descriptors = descriptors;
    heap->page_count = page_count;
    for (uint32_t bucket = 0; bucket < HEAP_RUN_BUCKET_COUNT; bucket++) {
        heap->run_buckets[bucket] = HEAP_NONE;
    }
    classes_init(heap);
    class_lookup_init(heap);
    /* Every descriptor gets a known state so a wild pointer fails its asserts. */
    for (uint32_t page_index = 0; page_index < page_count; page_index++) {
        descriptors[page_index] = (struct heap_page){
            .kind = HEAP_PAGE_UNUSED, .head_index = HEAP_NONE, .prev_index = HEAP_NONE,
            .next_index = HEAP_NONE };
    }
    free_run_insert(heap, 0, page_count);
    heap->free_page_count = page_count;
    heap->compact_free_pages_min = MAX(2u, page_count / 32u);
    heap->evacuation.head_index = HEAP_NONE;
#ifdef KEEL_VERIFY
    heap_verify(heap);
#endif
}

static void *heap_alloc_kind(struct heap *heap, uint64_t size, uint32_t kind) {
    ASSERT(size > 0);
    ASSERT(heap->class_count > 0);
    void *ptr = NULL;
    if (size <= HEAP_CLASS_SIZE_MAX) {
        ptr = class_alloc(heap, class_for_size(heap, size), kind);
    } else {
        uint64_t run_pages = size / HEAP_PAGE_SIZE + (size % HEAP_PAGE_SIZE != 0 ? 1 : 0);
        if (run_pages <= heap->free_page_count) {
            uint32_t head_index = run_acquire(heap, (uint32_t)run_pages, HEAP_PAGE_RUN);
            ptr = head_index == HEAP_NONE ? NULL : page_address(heap, head_index);
        }
    }
    if (ptr == NULL) {
        return NULL;
    }
    ASSERT((uintptr_t)ptr % HEAP_ALIGNMENT == 0);
    uint64_t usable_size = heap_usable_size(heap, ptr);
    ASSERT(usable_size >= size);
    heap->used_size += usable_size;
    heap->used_size_peak = MAX(heap->used_size_peak, heap->used_size);
    heap->object_count++;
    return ptr;
}

void *heap_alloc(struct heap *heap, uint64_t size) {
    return heap_alloc_kind(heap, size, 0);
}

void *heap_alloc_movable(struct heap *heap, uint64_t size) {
    return heap_alloc_kind(heap, size, 1);
}

/* The head of the run holding ptr; asserts that ptr starts a live object. */
static uint32_t object_head(const struct heap *heap, const void *ptr) {
    uint32_t page_index = page_index_of(heap, ptr);
    const struct heap_page *page = &heap->descriptors[page_index];
    ASSERT(page->kind == HEAP_PAGE_SLAB || page->kind == HEAP_PAGE_RUN ||
           page->kind == HEAP_PAGE_TAIL);
    uint32_t head_index = page->head_index;
    ASSERT(head_index <= page_index);
    const struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(head->kind == HEAP_PAGE_SLAB || head->kind == HEAP_PAGE_RUN);
    ASSERT(page_index - head_index < head->run_pages);
    uint64_t offset = (uint64_t)((const uint8_t *)ptr - page_address(heap, head_index));
    if (head->kind == HEAP_PAGE_RUN) {
        ASSERT(offset == 0);
    } else {
        ASSERT(head->object_count > 0);
        ASSERT(offset % heap->classes[head->class_index].object_size == 0);
        ASSERT(offset < head->bump_offset);
    }
    return head_index;
}

/* The usable size of every object in the run headed by head_index. */
static uint64_t head_usable_size(const struct heap *heap, uint32_t head_index) {
    const struct heap_page *head = &heap->descriptors[head_index];
    if (head->kind == HEAP_PAGE_SLAB) {
        ASSERT(head->class_index < heap->class_count);
        return heap->classes[head->class_index].object_size;
    }
    ASSERT(head->kind == HEAP_PAGE_RUN);
    return (uint64_t)head->run_pages * HEAP_PAGE_SIZE;
}

void heap_free(struct heap *heap, void *ptr) {
    ASSERT(ptr != NULL);
    ASSERT(heap->object_count > 0);
    uint32_t head_index = object_head(heap, ptr);
    uint64_t usable_size = head_usable_size(heap, head_index);
    ASSERT(heap->used_size >= usable_size);
    heap->used_size -= usable_size;
    heap->object_count--;
    if (heap->descriptors[head_index].kind == HEAP_PAGE_RUN) {
        run_release(heap, head_index);
    } else {
        uint8_t *slab = page_address(heap, head_index);
        class_free(heap, head_index, (uint32_t)((uint8_t *)ptr - slab));
    }
}

uint64_t heap_usable_size(const struct heap *heap, const void *ptr) {
    ASSERT(ptr != NULL);
    uint64_t usable_size = head_usable_size(heap, object_head(heap, ptr));
    ASSERT(usable_size % HEAP_ALIGNMENT == 0);
    return usable_size;
}

uint64_t heap_size_for(const struct heap *heap, uint64_t size) {
    ASSERT(size > 0);
    ASSERT(heap->class_count > 0);
    if (size <= HEAP_CLASS_SIZE_MAX) {
        return heap->classes[class_for_size(heap, size)].object_size;
    }
    uint64_t run_pages = size / HEAP_PAGE_SIZE + (size % HEAP_PAGE_SIZE != 0 ? 1 : 0);
    if (run_pages > UINT64_MAX / HEAP_PAGE_SIZE) {
        return UINT64_MAX; /* no heap holds it; saturate rather than wrap */
    }
    return run_pages * HEAP_PAGE_SIZE;
}

bool heap_contains(const struct heap *heap, const void *ptr) {
    ASSERT(heap->pages != NULL);
    ASSERT(heap->page_count > 0);
    uintptr_t address = (uintptr_t)ptr;
    uintptr_t start = (uintptr_t)heap->pages;
    return address >= start && address - start < heap_capacity_size(heap);
}

/* ==== Verification ==== */

struct heap_tally {
    uint64_t used_size;
    uint64_t object_count;
    uint32_t free_page_count;
    uint32_t free_run_count;
    uint64_t class_objects[HEAP_CLASS_COUNT_MAX];
    uint64_t class_slabs[HEAP_CLASS_COUNT_MAX];
    uint64_t class_movable_objects[HEAP_CLASS_COUNT_MAX];
    uint64_t class_movable_slabs[HEAP_CLASS_COUNT_MAX];
    uint64_t class_partials[HEAP_CLASS_COUNT_MAX][HEAP_SLAB_KINDS];
    uint32_t evacuating_count;
};

static void verify_slab(const struct heap *heap, uint32_t head_index, struct heap_tally *tally) {
    const struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(head->class_index < heap->class_count);
    const struct heap_class *class = &heap->classes[head->class_index];
    ASSERT(head->run_pages == class->slab_pages);
    ASSERT(head->object_count > 0);
    ASSERT(head->object_count <= class->objects_per_slab);
    ASSERT(head->bump_offset % class->object_size == 0);
    ASSERT(head->bump_offset <= slab_size(class));
    const uint8_t *slab = page_address(heap, head_index);
    uint32_t free_count = 0;
    uint32_t free_offset = head->free_offset;
    for (; free_offset != 0; free_count++) {
        ASSERT(free_count < class->objects_per_slab);
        uint32_t offset = free_offset - 1;
        ASSERT(offset < head->bump_offset);
        ASSERT(offset % class->object_size == 0);
        memcpy(&free_offset, slab + offset, sizeof(free_offset));
    }
    ASSERT(free_count + head->object_count == head->bump_offset / class->object_size);
    uint32_t kind = slab_kind(head);
    tally->class_objects[head->class_index] += head->object_count;
    tally->class_slabs[head->class_index]++;
    tally->class_movable_objects[head->class_index] += kind * head->object_count;
    tally->class_movable_slabs[head->class_index] += kind;
    if ((head->flags & HEAP_SLAB_EVACUATING) != 0) {
        ASSERT(kind == 1);
        ASSERT(heap->evacuation.head_index == head_index);
        tally->evacuating_count++;
    } else if (head->object_count < class->objects_per_slab) {
        tally->class_partials[head->class_index][kind]++;
    }
    tally->object_count += head->object_count;
    tally->used_size += (uint64_t)head->object_count * class->object_size;
}

static void verify_run(const struct heap *heap, uint32_t head_index, struct heap_tally *tally,
                       bool *previous_free) {
    const struct heap_page *head = &heap->descriptors[head_index];
    ASSERT(head->head_index == head_index);
    ASSERT(head->run_pages > 0);
    ASSERT((uint64_t)head_index + head->run_pages <= heap->page_count);
    if (head->kind == HEAP_PAGE_FREE) {
        const struct heap_page *tail = &heap->descriptors[head_index + head->run_pages - 1];
        ASSERT(!*previous_free); /* free neighbours always coalesce */
        ASSERT(tail->kind == HEAP_PAGE_FREE);
        ASSERT(tail->run_pages == head->run_pages);
        ASSERT(tail->head_index == head_index);
        tally->free_page_count += head->run_pages;
        tally->free_run_count++;
        *previous_free = true;
        return;
    }
    ASSERT(head->kind == HEAP_PAGE_SLAB || head->kind == HEAP_PAGE_RUN);
    for (uint32_t offset = 1; offset < head->run_pages; offset++) {
        ASSERT(heap->descriptors[head_index + offset].kind == HEAP_PAGE_TAIL);
        ASSERT(heap->descriptors[head_index + offset].head_index == head_index);
    }
    if (head->kind == HEAP_PAGE_SLAB) {
        verify_slab(heap, head_index, tally);
    } else {
        ASSERT(head->run_pages * (uint64_t)HEAP_PAGE_SIZE > HEAP_CLASS_SIZE_MAX);
        tally->object_count++;
        tally->used_size += (uint64_t)head->run_pages * HEAP_PAGE_SIZE;
    }
    *previous_free = false;
}

static void verify_buckets(const struct heap *heap, const struct heap_tally *tally) {
    uint32_t run_count = 0;
    for (uint32_t bucket = 0; bucket < HEAP_RUN_BUCKET_COUNT; bucket++) {
        bool present = heap->run_buckets[bucket] != HEAP_NONE;
        bool present_bit = ((heap->run_bucket_mask >> bucket) & 1u) != 0;
        ASSERT(present == present_bit);
        uint32_t previous = HEAP_NONE;
        uint32_t current = heap->run_buckets[bucket];
        while (current != HEAP_NONE) {
            ASSERT(run_count < tally->free_run_count);
            const struct heap_page *head = &heap->descriptors[current];
            ASSERT(head->kind == HEAP_PAGE_FREE);
            ASSERT(head->head_index == current);
            ASSERT(log2_floor(head->run_pages) == bucket);
            ASSERT(head->prev_index == previous);
            run_count++;
            previous = current;
            current = head->next_index;
        }
    }
    ASSERT(run_count == tally->free_run_count);
}

/* One partial list: every slab in it belongs, is not full, and the links agree. */
static void verify_partial_list(const struct heap *heap, uint32_t class_index, uint32_t kind,
                                uint64_t expected_count) {
    const struct heap_class *class = &heap->classes[class_index];
    uint64_t partial_count = 0;
    uint32_t previous = HEAP_NONE;
    uint32_t current = class->partial_head[kind];
    while (current != HEAP_NONE) {
        ASSERT(partial_count < expected_count);
        const struct heap_page *head = &heap->descriptors[current];
        ASSERT(head->kind == HEAP_PAGE_SLAB);
        ASSERT(head->class_index == class_index);
        ASSERT(slab_kind(head) == kind);
        ASSERT((head->flags & HEAP_SLAB_EVACUATING) == 0);
        ASSERT(head->object_count < class->objects_per_slab);
        ASSERT(head->prev_index == previous);
        partial_count++;
        previous = current;
        current = head->next_index;
    }
    ASSERT(partial_count == expected_count);
}

static void verify_classes(const struct heap *heap, const struct heap_tally *tally) {
    for (uint32_t class_index = 0; class_index < heap->class_count; class_index++) {
        const struct heap_class *class = &heap->classes[class_index];
        ASSERT(class->object_count == tally->class_objects[class_index]);
        ASSERT(class->slab_count == tally->class_slabs[class_index]);
        ASSERT(class->movable_object_count == tally->class_movable_objects[class_index]);
        ASSERT(class->movable_slab_count == tally->class_movable_slabs[class_index]);
        if (class_index > 0) {
            uint32_t previous_size = heap->classes[class_index - 1].object_size;
            ASSERT(class->object_size > previous_size);
            ASSERT(class->object_size - previous_size <= MAX(HEAP_ALIGNMENT, previous_size / 8));
        }
        for (uint32_t kind = 0; kind < HEAP_SLAB_KINDS; kind++) {
            verify_partial_list(heap, class_index, kind, tally->class_partials[class_index][kind]);
        }
    }
    ASSERT(tally->evacuating_count == (heap->evacuation.head_index != HEAP_NONE ? 1u : 0u));
}

void heap_verify(const struct heap *heap) {
    ASSERT(heap->pages != NULL);
    ASSERT(heap->class_count > 0);
    ASSERT(heap->class_count <= HEAP_CLASS_COUNT_MAX);
    struct heap_tally tally;
    memset(&tally, 0, sizeof(tally));
    bool previous_free = false;
    uint32_t page_index = 0;
    while (page_index < heap->page_count) {
        verify_run(heap, page_index, &tally, &previous_free);
        page_index += heap->descriptors[page_index].run_pages;
    }
    ASSERT(page_index == heap->page_count);
    ASSERT(tally.free_page_count == heap->free_page_count);
    ASSERT(tally.object_count == heap->object_count);
    ASSERT(tally.used_size == heap->used_size);
    ASSERT(heap->used_size <= heap->used_size_peak);
    verify_buckets(heap, &tally);
    verify_classes(heap, &tally);
}
