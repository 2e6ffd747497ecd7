/*
 * Out-of-memory tests: the allocations of the code linked into a test
 * program, counted and made to fail on purpose, the way SQLite's malloc
 * tests and libcurl's torture tests fail them.
 *
 * A test program links oom_fixtures.c and is linked with
 *     -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,
 *     --wrap=strndup,--wrap=free
 * (hw_oom_test() in tests/CMakeLists.txt): every call the program's own
 * objects and the static libraries hw_core and hw_processors make to
 * those functions then goes through the __wrap_ functions here, which
 * count it and, when armed, return NULL (errno ENOMEM) instead. What the
 * shared libraries (hiredis, Avro C, librdkafka, libc itself) allocate for
 * themselves is not counted, unless a test hands a library's allocation
 * hooks hw_oom_malloc and hw_oom_free: the store's test does so for
 * Jansson, with which the store builds the alerts' JSON (Avro C cannot
 * take it: see test_oom_codec.c).
 *
 * The wrappers also keep the set of blocks they handed out and that were
 * not freed since, so a test can check that releasing what a failed
 * operation left frees every block it allocated (hw_oom_live), in every
 * build, not only under valgrind or LeakSanitizer.
 *
 * hw_oom_loop() runs an operation with its first allocation failing,
 * then its second, and so on until a run hits no injected failure: each
 * run must report out of memory (or, when only one allocation failed and
 * the code has a fallback for it, succeed with the right result), leave
 * nothing allocated once released, and leave the structures it used fit
 * to be used again.
 */
#ifndef HW_TEST_OOM_FIXTURES_H
#define HW_TEST_OOM_FIXTURES_H

#include <stddef.h>

#include "hw_err.h"

/* Arms the failures: counting from the next allocation as 1, the n-th
 * fails, and with `persist`, every one after it too (memory that stays
 * short), else only that one. Resets the counts. */
void hw_oom_arm(unsigned long n, int persist);

/* Disarms; returns how many allocations failed since hw_oom_arm. */
unsigned long hw_oom_disarm(void);

/* Counts a place where memory may be allocated as an allocation: 1 when
 * it is to fail (errno ENOMEM), as armed. For a test that wraps a growth
 * function of its own (test_store_oom: hw_buf_reserve), so that each call
 * fails in turn, not only those that happen to allocate. */
int hw_oom_fail_here(void);

/* With it set, each insertion into a map, arena or id map counts as an
 * allocation, in the programs that link tests/oom_growth.c. */
extern int hw_oom_growth;

/* Blocks the wrappers handed out that were not freed since. */
size_t hw_oom_live(void);

/* malloc and free as the wrappers do them, counted and failing when
 * armed: for a library's allocation hooks (json_set_alloc_funcs); and
 * malloc as the shared libraries get it, neither counted nor failed. */
void *hw_oom_malloc(size_t n);
void hw_oom_free(void *p);
void *hw_oom_real_malloc(size_t n);

/* One operation, tried with each of its allocations failing in turn. */
typedef struct hw_oom_case_s {
        const char *what; /* for the failures' context */
        void *ctx;
        /* Before each run, nothing failing: a fresh state (optional). */
        void (*setup)(void *ctx);
        /* The operation, its allocations counted and failing as armed;
         * errstr (size bytes) gets its message. */
        hw_err_t (*run)(void *ctx, char *errstr, size_t size);
        /* After the run, nothing failing: checks what it left, given what
         * it returned and how many of its allocations failed (0: none, the
         * last run). A run that failed is expected to have been retried
         * here, on the same structures, with the result of a run that
         * never failed. */
        void (*check)(void *ctx, hw_err_t err, unsigned long failed,
                      const char *errstr);
        /* Releases what setup and run made (optional). */
        void (*teardown)(void *ctx);
        /* What a run whose allocation failed returns; 0 means
         * HW_ERR_NOMEM. */
        hw_err_t expect;
        /* Another error such a run may return (0: none), for check to
         * judge: the store's HW_ERR_SERVICE when its replies could not
         * be read. */
        hw_err_t also;
} hw_oom_case_t;

/* The case of functions named prefix_setup, _run, _check and _teardown
 * (expecting HW_ERR_NOMEM). */
#define HW_OOM_CASE(what_, ctx_, prefix)                                       \
        {                                                                      \
                .what = (what_), .ctx = (ctx_), .setup = prefix##_setup,       \
                .run = prefix##_run, .check = prefix##_check,                  \
                .teardown = prefix##_teardown                                  \
        }

/*
 * Runs c with allocation n failing, for n = 1, 2, ... until a run hits no
 * injected failure, twice over: with every allocation from the n-th on
 * failing, then with only the n-th. Checks that each run returned
 * c->expect (or c->also), or HW_OK where the code has a fallback for the
 * allocation that failed (c->check then sees failed > 0 and checks the
 * result is right all the same), that the last run returned HW_OK, and
 * that teardown left as many blocks allocated as there were before
 * setup. Returns the number of runs in which an allocation failed.
 */
unsigned long hw_oom_loop(const hw_oom_case_t *c);

#endif
