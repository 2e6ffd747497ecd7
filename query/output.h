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
#include "qdb.h"
#include "query.h"
#include "table.h"

#define HW_QOUT_KEY_MAX 2048 /* room for a key under the prefix */

/* Prints a Redis or memory error on stderr and returns its exit code
 * (69 for an unavailable service, else 1). */
int hw_qout_fail(hw_err_t err, const char *errstr);

/* Writes the prefix + the formatted rest into key (HW_QOUT_KEY_MAX
 * bytes, truncated). */
void hw_qout_make_key(const hw_query_t *q, char *key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* A SCAN pattern for pattern under the prefix (its own glob characters
 * escaped) into out (HW_QOUT_KEY_MAX bytes). */
void hw_qout_match(const hw_query_t *q, const char *pattern, char *out);

/* Whether Redis holds any hirewire data under the prefix (hw:labs or the
 * watermark). When it holds none, says so on stderr and sets *empty. */
hw_err_t hw_qout_check_empty(hw_query_t *q, int *empty, char *errstr,
                             size_t errstr_size);

/* A copy of s that is valid UTF-8 (bad bytes become U+FFFD), for the
 * caller to free; NULL when out of memory. */
char *hw_qout_utf8_repair(const char *s);

/* A JSON string for any bytes (invalid UTF-8 repaired); NULL when out of
 * memory. */
json_t *hw_qout_jstr(const char *s);

/* Sets obj[key] = value, taking value (freed on failure too); -1 when
 * anything is NULL. A key that is not valid UTF-8 is repaired. */
int hw_qout_jset(json_t *obj, const char *key, json_t *value);

/* Appends value to arr, taking it (freed on failure too); -1 on failure. */
int hw_qout_jpush(json_t *arr, json_t *value);

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
