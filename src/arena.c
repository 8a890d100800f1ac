/*
 * arena.c: the only module that reserves memory (see arena.h).
 *
 * It also interposes the C library allocator for the whole process: malloc,
 * calloc, realloc and free defined here replace glibc's (glibc supports this)
 * and forward to glibc's own __libc_* entry points. Before the seal they are
 * plain pass-throughs (the C library may allocate while starting, e.g. for
 * stdio); after the seal every call is counted and the first one is reported.
 * INFO memory shows the count as allocations_after_ready, and a test asserts
 * it stays zero under a workload touching every command.
 */
#define KEEL_ALLOW_LIBC_ALLOCATOR
#include "arena.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef KEEL_NO_ALLOCATION_WATCH
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
#endif

static atomic_bool arena_watch_armed;
static atomic_uint_fast64_t arena_watch_count;

bool arena_reserve(struct arena *arena, uint64_t size, bool lock_memory) {
    ASSERT(arena->base == NULL);
    ASSERT(size > 0);
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    if (lock_memory) {
        flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
    }
    void *base = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (base == MAP_FAILED) {
        return false;
    }
    if (lock_memory && mlock(base, (size_t)size) != 0) {
        int saved = errno;
        munmap(base, (size_t)size);
        errno = saved;
        return false;
    }
    arena->base = base;
    arena->size = size;
    arena->used_size = 0;
    arena->sealed = false;
    arena->locked = lock_memory;
    return true;
}

void *arena_take(struct arena *arena, uint64_t size, uint64_t alignment) {
    ASSERT(!arena->sealed);
    ASSERT(alignment > 0 && (alignment & (alignment - 1)) == 0);
    uint64_t address = (uint64_t)(uintptr_t)arena->base + arena->used_size;
    uint64_t offset = align_up(address, alignment) - (uint64_t)(uintptr_t)arena->base;
    ASSERT(offset <= arena->size);
    ASSERT(size <= arena->size - offset);
    arena->used_size = offset + size;
    return arena->base + offset;
}

void arena_seal(struct arena *arena) {
    ASSERT(arena->base != NULL);
    ASSERT(!arena->sealed);
    arena->sealed = true;
    atomic_store(&arena_watch_armed, true);
}

uint64_t arena_allocations_after_seal(void) {
    return (uint64_t)atomic_load(&arena_watch_count);
}

/*
 * Sanitizer builds (KEEL_NO_ALLOCATION_WATCH) keep the sanitizer's own
 * allocator: there the watch is off and the count stays zero.
 */
#ifndef KEEL_NO_ALLOCATION_WATCH
static void arena_watch(const char *function) {
    if (!atomic_load_explicit(&arena_watch_armed, memory_order_relaxed)) {
        return;
    }
    if (atomic_fetch_add(&arena_watch_count, 1) == 0) {
        char message[128];
        int size = snprintf(message, sizeof(message),
                            "keel: %s called after the arena was sealed\n", function);
        if (size > 0) {
            ssize_t written = write(STDERR_FILENO, message, (size_t)size);
            (void)written;
        }
    }
}

void *malloc(size_t size) {
    arena_watch("malloc");
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    arena_watch("calloc");
    return __libc_calloc(count, size);
}

void *realloc(void *ptr, size_t size) {
    arena_watch("realloc");
    return __libc_realloc(ptr, size);
}

void free(void *ptr) {
    if (ptr != NULL) {
        arena_watch("free");
    }
    __libc_free(ptr);
}
#endif
