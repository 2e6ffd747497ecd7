/*
 * What the store's integration tests share (test_store_step.c,
 * test_store_slide.c, test_store_raids.c): one store and a second Redis
 * connection ("another consumer") on the redis-server whose port each
 * program is given (tests/store_step.sh starts it), the batch and plan
 * the steps apply, commands and reads on the side connection, snapshots
 * of every key (SCAN + DUMP) to see that a refused step wrote nothing,
 * and the steps themselves.
 *
 * The three programs run in that order against one Redis and share its
 * state: each case starts from what the previous ones left, across
 * programs too (store_main reads the stored offset the last one left).
 */
#ifndef HW_TEST_STORE_FIXTURES_H
#define HW_TEST_STORE_FIXTURES_H

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "hw_config.h"
#include "hw_deltas.h"
#include "hw_err.h"
#include "hw_plan.h"
#include "hw_store.h"
#include "hw_test.h"
#include "hw_time.h"

#define DAY HW_DAY_MS

/* 2025-06-15T10:00:00Z: the watermark of the first step. */
#define W1 INT64_C(1749981600000)
/* Two days later: the watermark another consumer stores (case 4). */
#define W2 (W1 + 2 * DAY)

extern hw_config_t conf;
extern hw_store_t *store;
extern redisContext *side; /* a second connection: "another consumer" */
extern hw_deltas_t deltas;
extern hw_plan_t plan;
extern hw_plan_conf_t plan_conf;
extern char errstr[1024];
extern int64_t stored_offset; /* what st:offset:g:t:0 should hold */

/* ---- Redis helpers (the side connection) ---- */

/* Runs a command on the side connection; NULL (and a failed check) on an
 * error reply or a broken connection. */
redisReply *cmd(const char *fmt, ...);
/* A command whose reply is not needed. */
void run(const char *fmt, ...);
/* GET key into out ("(nil)" when absent). */
const char *get(const char *key, char *out, size_t size);
/* HGET key field into out ("(nil)" when absent). */
const char *hget(const char *key, const char *field, char *out, size_t size);
/* What a day's bucket log counts for name ("<family> <field>"): the sum
 * of its records, "(nil)" with none, "(bad log)" when not a log. */
const char *bucket(const char *key, const char *name, char *out, size_t size);

#define CHECK_BUCKET(key, name, want)                                          \
        do {                                                                   \
                char buf_[256];                                                \
                HW_CONTEXT("bucket log %s, %s", key, name);                    \
                HW_CHECK_STR(bucket(key, name, buf_, sizeof(buf_)), want);     \
                HW_CONTEXT("%s", "");                                          \
        } while (0)
#define CHECK_GET(key, want)                                                   \
        do {                                                                   \
                char buf_[256];                                                \
                HW_CONTEXT("GET %s", key);                                     \
                HW_CHECK_STR(get(key, buf_, sizeof(buf_)), want);              \
                HW_CONTEXT("%s", "");                                          \
        } while (0)
#define CHECK_HGET(key, field, want)                                           \
        do {                                                                   \
                char buf_[256];                                                \
                HW_CONTEXT("HGET %s %s", key, field);                          \
                HW_CHECK_STR(hget(key, field, buf_, sizeof(buf_)), want);      \
                HW_CONTEXT("%s", "");                                          \
        } while (0)

/* ---- Snapshots: every key in the database and its DUMP ---- */

typedef struct snapshot_s {
        size_t n;
        char **keys;
        char **dumps;
        size_t *dump_lens;
} snapshot_t;

void snapshot_free(snapshot_t *s);
/* Takes a snapshot; 0 (and a failed check) when Redis would not tell. */
int snapshot_take(snapshot_t *s);
/* Checks that Redis holds exactly what `before` recorded. */
void check_unchanged(const snapshot_t *before, const char *what);

/* ---- Steps ---- */

void begin(void);
/* Builds the plan of the deltas for the day after a step from watermark
 * `stored` (what the store read, or another value). */
void plan_for(int64_t stored);
/* Applies the deltas and plan with partition t/0 expecting `expected` and
 * storing `next`. Returns the error; *outcome is set on HW_OK. */
hw_err_t apply(int64_t expected, int64_t next, hw_store_outcome_t *outcome);
/* Applies the step from offset expected to next and checks it was
 * applied; Redis then holds next. */
void apply_ok(int64_t expected, int64_t next);
/* One event of the flow into country `field` at time ms, as a batch would
 * record it: a windowed counter of its day and its id. */
void event(const char *id, int64_t ms, const char *field);
/* The stored offset as GET shows it. */
void offset_now(char *out, size_t size);
/* A step Redis refuses: an error naming `want`, and nothing written. */
void check_refused(const char *want, const char *what);

/* The day number of 2025-06-<d> (W1's day is the 15th). */
int64_t june(int d);
/* Noon of 2025-06-<d>, plus ms. */
int64_t june_noon(int d, int64_t ms);

/* Connects to the Redis of argv[1] (the usage is "PROG PORT"), reads the
 * offset stored so far, runs the cases, frees it all and returns the exit
 * status of the run. */
int store_main(int argc, char **argv, void (*cases)(void));

#endif
