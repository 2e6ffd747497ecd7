/*
 * The allocation wrappers of the out-of-memory tests (oom_fixtures.h).
 *
 * Why --wrap and not a malloc of our own: a program that defines malloc
 * replaces it for every library in the process, which AddressSanitizer
 * (it defines malloc itself: in libasan with gcc, in the runtime clang
 * links into the program) and valgrind (it replaces malloc in its
 * preloaded library) both refuse or undo. --wrap only renames the
 * references the linked objects make: __wrap_malloc is called instead,
 * and __real_malloc is the malloc the program would have called, libc's
 * or the one ASan or valgrind put in its place. So the same program runs
 * as it is, under valgrind (unit.NAME.valgrind) and in the sanitizer
 * build (gcc's and clang's), and both still see every block: the
 * wrappers only decide whether to call the real function. Shared libraries keep their
 * own references, so only the code linked statically is failed, which is
 * the code under test. gcov's runtime (-DHW_COVERAGE=ON), linked
 * statically too, also goes through the wrappers: they fail nothing
 * while disarmed, and the counters are written at exit.
 */
#include "oom_fixtures.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "hw_test.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void __real_free(void *p);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void __wrap_free(void *p);

/* One lock for the counters and the set of live blocks: the code under
 * test may run threads (none of the tests does while armed). */
static atomic_flag g_lock = ATOMIC_FLAG_INIT;

static void lock(void) {
        while (atomic_flag_test_and_set_explicit(&g_lock, memory_order_acquire))
                ;
}

static void unlock(void) {
        atomic_flag_clear_explicit(&g_lock, memory_order_release);
}

static struct {
        int armed, persist;
        unsigned long fail_at; /* the n-th allocation fails */
        unsigned long count;   /* allocations since armed */
        unsigned long failed;  /* of them, failed */
} g_arm;

/* Whether the allocation being made fails (counted either way). */
static int fails(void) {
        int f = 0;
        lock();
        if (g_arm.armed) {
                unsigned long k = ++g_arm.count;
                f = g_arm.persist ? k >= g_arm.fail_at : k == g_arm.fail_at;
                g_arm.failed += (unsigned long)f;
        }
        unlock();
        if (f)
                errno = ENOMEM;
        return f;
}

/*
 * The blocks handed out and not freed: an open-addressing set of
 * pointers (linear probing, deletion by shifting back), in memory of the
 * real allocator, so it is neither counted nor failed.
 */
static struct {
        void **slots;
        size_t cap, n; /* cap: a power of two, or 0 */
} g_live;

static size_t slot_of(const void *p, size_t cap) {
        uint64_t x = (uint64_t)(uintptr_t)p;
        x ^= x >> 33;
        x *= UINT64_C(0xff51afd7ed558ccd);
        x ^= x >> 33;
        return (size_t)x & (cap - 1);
}

/* Adds p to a table of cap slots (room is the caller's). */
static void put(void **slots, size_t cap, void *p) {
        size_t i = slot_of(p, cap);
        while (slots[i])
                i = (i + 1) & (cap - 1);
        slots[i] = p;
}

static void track(void *p) {
        if (!p)
                return;
        lock();
        if ((g_live.n + 1) * 2 > g_live.cap) {
                size_t cap = g_live.cap ? g_live.cap * 2 : 4096;
                void **slots = __real_calloc(cap, sizeof(*slots));
                if (!slots)
                        abort(); /* the test cannot go on without it */
                for (size_t i = 0; i < g_live.cap; i++)
                        if (g_live.slots[i])
                                put(slots, cap, g_live.slots[i]);
                __real_free(g_live.slots);
                g_live.slots = slots;
                g_live.cap = cap;
        }
        put(g_live.slots, g_live.cap, p);
        g_live.n++;
        unlock();
}

/* Forgets p if it is in the set (blocks a library allocated are not). */
static void untrack(void *p) {
        size_t i, mask = g_live.cap - 1;
        if (!p)
                return;
        lock();
        if (!g_live.cap) {
                unlock();
                return;
        }
        for (i = slot_of(p, g_live.cap); g_live.slots[i] != p;
             i = (i + 1) & mask)
                if (!g_live.slots[i]) {
                        unlock();
                        return;
                }
        /* Shift back the entries after it that probed past i. */
        for (size_t j = (i + 1) & mask; g_live.slots[j]; j = (j + 1) & mask) {
                size_t home = slot_of(g_live.slots[j], g_live.cap);
                if (((j - home) & mask) >= ((j - i) & mask)) {
                        g_live.slots[i] = g_live.slots[j];
                        i = j;
                }
        }
        g_live.slots[i] = NULL;
        g_live.n--;
        unlock();
}

void *__wrap_malloc(size_t n) {
        void *p = fails() ? NULL : __real_malloc(n);
        track(p);
        return p;
}

void *__wrap_calloc(size_t n, size_t size) {
        void *p = fails() ? NULL : __real_calloc(n, size);
        track(p);
        return p;
}

void *__wrap_realloc(void *p, size_t n) {
        void *q;
        if (p && !n) { /* a free */
                untrack(p);
                return __real_realloc(p, n);
        }
        if (fails())
                return NULL; /* p is left as it was */
        q = __real_realloc(p, n);
        if (q) {
                untrack(p);
                track(q);
        }
        return q;
}

char *__wrap_strdup(const char *s) {
        char *p = fails() ? NULL : __real_strdup(s);
        track(p);
        return p;
}

char *__wrap_strndup(const char *s, size_t n) {
        char *p = fails() ? NULL : __real_strndup(s, n);
        track(p);
        return p;
}

void __wrap_free(void *p) {
        untrack(p);
        __real_free(p);
}

int hw_oom_fail_here(void) {
        return fails();
}

void hw_oom_arm(unsigned long n, int persist) {
        lock();
        g_arm.armed = 1;
        g_arm.persist = persist;
        g_arm.fail_at = n;
        g_arm.count = g_arm.failed = 0;
        unlock();
}

unsigned long hw_oom_disarm(void) {
        unsigned long failed;
        lock();
        g_arm.armed = 0;
        failed = g_arm.failed;
        unlock();
        return failed;
}

size_t hw_oom_live(void) {
        size_t n;
        lock();
        n = g_live.n;
        unlock();
        return n;
}

void *hw_oom_malloc(size_t n) {
        return __wrap_malloc(n);
}

void hw_oom_free(void *p) {
        __wrap_free(p);
}

void *hw_oom_real_malloc(size_t n) {
        return __real_malloc(n);
}

/* Runs c once with allocation n failing (persist: and those after it). */
static unsigned long run_once(const hw_oom_case_t *c, unsigned long n,
                              int persist) {
        hw_err_t expect = c->expect ? c->expect : HW_ERR_NOMEM, err;
        char errstr[1024] = "";
        unsigned long failed;
        size_t live;

        HW_CONTEXT("%s, allocation %lu failing%s", c->what, n,
                   persist ? " and every one after it" : "");
        live = hw_oom_live();
        if (c->setup)
                c->setup(c->ctx);
        hw_oom_arm(n, persist);
        err = c->run(c->ctx, errstr, sizeof(errstr));
        failed = hw_oom_disarm();
        if (!failed)
                HW_CHECK_MSG(err == HW_OK, "the run that failed nothing: %s",
                             errstr);
        else
                HW_CHECK_MSG(err == HW_OK || err == expect ||
                                     (c->also && err == c->also),
                             "returned %s, not %s: %s", hw_err_name(err),
                             hw_err_name(expect), errstr);
        c->check(c->ctx, err, failed, errstr);
        if (c->teardown)
                c->teardown(c->ctx);
        HW_CHECK_MSG(hw_oom_live() == live,
                     "%zu blocks allocated before, %zu after the release", live,
                     hw_oom_live());
        HW_CONTEXT("%s", "");
        return failed;
}

/* Past this many runs an operation is taken to allocate without end. */
#define RUNS_MAX 200000

unsigned long hw_oom_loop(const hw_oom_case_t *c) {
        unsigned long failing = 0;
        for (int persist = 1; persist >= 0; persist--) {
                unsigned long n = 1;
                while (run_once(c, n, persist)) {
                        failing++;
                        if (!HW_CHECK_MSG(n++ < RUNS_MAX,
                                          "%s: still allocating after %d "
                                          "runs",
                                          c->what, RUNS_MAX))
                                break;
                }
                /* The first run already succeeded: nothing was tried. */
                HW_CHECK_MSG(n > 1, "%s allocated nothing", c->what);
        }
        return failing;
}
