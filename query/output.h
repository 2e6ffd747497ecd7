/*
 * What every hirewire-query command shares to print its result: errors
 * and their exit codes, keys under the prefix, JSON built from any bytes,
 * tables (or CSV with --csv) and the lines a person reads around them.
 */
#ifndef HW_QUERY_OUTPUT_H
#define HW_QUERY_OUTPUT_H

#include <jansson.h>
#include <stddef.h>

#include "hw_err.h"
#include "hw_keys.h"
#include "qdb.h"
#include "query.h"
#include "table.h"

/* Room for a key under the prefix: the commands name their keys with
 * hw_keys.h into buffers of this size (a name that does not fit reads as
 * the key "", which holds nothing). */
#define HW_QOUT_KEY_MAX 2048

/* Has jansson allocate through a malloc that notes its failures: call
 * once, before any JSON is made. */
void hw_qout_json_init(void);

/* Starts watching jansson's allocations in this thread; then
 * hw_qout_jfailed() says whether one failed since (so that a text jansson
 * refuses can be told from memory running out: json_loads says "invalid
 * token" for both). */
void hw_qout_jwatch(void);
int hw_qout_jfailed(void);

/* Prints a Redis or memory error on stderr and returns its exit code
 * (69 for an unavailable service, else 1). */
int hw_qout_fail(hw_err_t err, const char *errstr);

/* A SCAN pattern for pattern under the prefix (its own glob characters
 * escaped) into out (HW_QOUT_KEY_MAX bytes). */
void hw_qout_match(const hw_query_t *q, const char *pattern, char *out);

/* Whether Redis holds any hirewire data under the prefix (hw:labs or the
 * watermark). When it holds none, sets *empty and says so in errstr. */
hw_err_t hw_qout_check_empty(hw_query_t *q, int *empty, char *errstr,
                             size_t errstr_size);

/* The watermark (ms) into *ms, 0 when Redis holds none; HW_ERR_INTERNAL
 * naming the key when it holds something else than a number. */
hw_err_t hw_qout_watermark(hw_query_t *q, int64_t *ms, char *errstr,
                           size_t errstr_size);

/* Fills e (exit code, missing, the formatted message) and returns NULL,
 * so that a builder's failure reads `return hw_qerr_set(e, ...);`. */
json_t *hw_qerr_set(hw_qerr_t *e, int exit, int missing, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Fills e from a Redis or memory error (exit 69 for an unavailable
 * service, else 1) and returns NULL. */
json_t *hw_qerr_from(hw_qerr_t *e, hw_err_t err, const char *errstr);

/* 1 with e filled when Redis holds no hirewire data under the prefix
 * (missing) or cannot say (its error); 0 when it holds some. */
int hw_qerr_no_data(hw_query_t *q, hw_qerr_t *e);

/* Prints e's message on stderr; returns its exit code. */
int hw_qerr_print(const hw_qerr_t *e);

/* Prints a command's document as --json does (takes doc), or, when doc
 * is NULL, e's message. Returns the exit code. */
int hw_qout_print_doc(json_t *doc, const hw_qerr_t *e);

/* A JSON string for any bytes (invalid UTF-8 repaired); NULL when out of
 * memory. */
json_t *hw_qout_jstr(const char *s);

/* Sets obj[key] = value, taking value (freed on failure too); -1 when
 * anything is NULL. A key that is not valid UTF-8 is repaired. */
int hw_qout_jset(json_t *obj, const char *key, json_t *value);

/* Appends value to arr, taking it (freed on failure too); -1 on failure. */
int hw_qout_jpush(json_t *arr, json_t *value);

/* Appends value to the array *arr, taking it; when value is NULL or the
 * append fails, frees both and sets *arr to NULL (nothing is done once
 * *arr is NULL). */
void hw_qout_jappend(json_t **arr, json_t *value);

/* Appends o to arr, unless bad (an earlier failure): then, or when the
 * append fails, o is freed and 1 returned. */
int hw_qout_jpush_unless(json_t *arr, json_t *o, int bad);

/* Sets doc[key] = part and returns doc; when bad (an earlier failure) or
 * setting fails, frees both and returns NULL. */
json_t *hw_qout_jattach(json_t *doc, const char *key, json_t *part, int bad);

/* How many of n rows --top lets through: top 0 all, < 0 the default
 * dflt (0: all). */
size_t hw_qout_top_rows(long top, long dflt, size_t n);

/* {name: count, ...} for the first `shown` items of l, in its order;
 * NULL when out of memory. */
json_t *hw_qout_jcounts(const hw_qitems_t *l, size_t shown);

/*
 * A command that reads a state from Redis, then builds its --json
 * document from it or prints it as tables: lab, labs, flows, offers,
 * alerts. hw_qcmd_doc and hw_qcmd_run drive one, so that the command line
 * and the server (serve.c) build the same document the same way.
 */
typedef struct hw_qcmd_s {
        size_t size; /* of its state */
        /* Reads into state (zeroed): 0, or -1 with e filled. */
        int (*read)(hw_query_t *q, void *state, hw_qerr_t *e);
        /* The --json document of state; NULL when out of memory. */
        json_t *(*json)(const hw_query_t *q, const void *state);
        /* Prints state (tables, CSV, or what else the command shows);
         * returns the exit code. */
        int (*print)(hw_query_t *q, void *state);
        /* Frees what state holds, read in full or in part. */
        void (*release)(void *state);
} hw_qcmd_t;

/* The --json document of command c for q; NULL with e filled. */
json_t *hw_qcmd_doc(const hw_qcmd_t *c, hw_query_t *q, hw_qerr_t *e);

/* Runs command c for q: its document with --json (but for --follow),
 * else what print shows. Returns the exit code. */
int hw_qcmd_run(const hw_qcmd_t *c, hw_query_t *q);

/* The text of a JSON document (json_dumps' flags) and a newline, for the
 * caller to free, its length (without the NUL) in *len; NULL when out of
 * memory. Unlike json_dumps, never a text with a part left out. */
char *hw_qout_jdump(const json_t *doc, size_t flags, size_t *len);

/* Prints a JSON document on stdout (takes doc; NULL: out of memory).
 * Returns the exit code. */
int hw_qout_print_json(json_t *doc, size_t flags);

/* Prints a table (takes it), or with --csv its CSV, tables after the
 * first set apart by an empty line; t NULL or !ok means memory ran out
 * building it. Returns the exit code. */
int hw_qout_print_table(hw_query_t *q, hw_table_t *t, int ok,
                        const char *indent);

/* Prints what a person reads around the tables (headings, "none", how
 * many more rows --top 0 shows); nothing with --csv, which holds the
 * tables alone. */
void hw_qout_say(const hw_query_t *q, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#endif
