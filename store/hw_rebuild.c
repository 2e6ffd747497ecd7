#include "hw_rebuild.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_map.h"

extern const char hw_swap_lua[];
extern const char hw_diff_lua[];

#define SCAN_COUNT "1000"
#define DIFF_CHUNK 100 /* keys compared per script call */

void hw_rebuild_staging_prefix(const char *live, char *out, size_t size) {
        snprintf(out, size, "replay:%s", live);
}

void hw_rebuild_lock_key(const char *live, char *out, size_t size) {
        snprintf(out, size, "replay:lock:%s", live);
}

/* A SCAN MATCH pattern that matches prefix literally, then anything. */
static void glob_of(const char *prefix, char *out, size_t size) {
        size_t n = 0;
        for (const char *p = prefix; *p && n + 3 < size; p++) {
                if (strchr("*?[]\\", *p))
                        out[n++] = '\\';
                out[n++] = *p;
        }
        out[n++] = '*';
        out[n] = '\0';
}

/* Calls fn(ctx, key) for every key under prefix. */
static hw_err_t scan(hw_store_t *s, const char *prefix,
                     int (*fn)(void *ctx, const char *key, size_t len),
                     void *ctx, char *errstr, size_t size) {
        char cursor[32] = "0", pattern[300];
        glob_of(prefix, pattern, sizeof(pattern));
        do {
                const char *argv[6] = {"SCAN",  cursor,  "MATCH",
                                       pattern, "COUNT", SCAN_COUNT};
                redisReply *r;
                hw_err_t err = hw_store_argv(s, 6, argv, NULL, &r, "SCAN",
                                             errstr, size);
                if (err)
                        return err;
                if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                    r->element[1]->type != REDIS_REPLY_ARRAY) {
                        freeReplyObject(r);
                        return hw_fail(HW_ERR_INTERNAL, errstr, size,
                                       "unexpected SCAN reply");
                }
                snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
                for (size_t i = 0; i < r->element[1]->elements; i++) {
                        const redisReply *k = r->element[1]->element[i];
                        if (fn(ctx, k->str, k->len)) {
                                freeReplyObject(r);
                                return hw_fail(HW_ERR_NOMEM, errstr, size,
                                               "out of memory");
                        }
                }
                freeReplyObject(r);
        } while (strcmp(cursor, "0"));
        return HW_OK;
}

static int collect(void *ctx, const char *key, size_t len) {
        int created;
        return hw_map_upsert(ctx, key, len, &created) ? 0 : -1;
}

hw_err_t hw_rebuild_clear(hw_store_t *s, const char *prefix, size_t *n,
                          char *errstr, size_t size) {
        hw_map_t keys;
        hw_err_t err;

        hw_map_init(&keys);
        *n = 0;
        err = scan(s, prefix, collect, &keys, errstr, size);
        for (size_t i = 0; !err && i < keys.count; i += 500) {
                const char *argv[501];
                size_t lens[501];
                int argc = 1;
                redisReply *r;
                argv[0] = "UNLINK";
                lens[0] = 6;
                for (size_t j = i; j < keys.count && j < i + 500; j++) {
                        argv[argc] = keys.entries[j].key;
                        lens[argc++] = keys.entries[j].len;
                }
                err = hw_store_argv(s, argc, argv, lens, &r, "UNLINK", errstr,
                                    size);
                if (!err) {
                        *n += (size_t)r->integer;
                        freeReplyObject(r);
                }
        }
        hw_map_release(&keys);
        return err;
}

hw_err_t hw_rebuild_swap(hw_store_t *s, const char *live, const char *staging,
                         const char *alerts_prefix,
                         const hw_rebuild_offset_t *offsets, size_t n,
                         int64_t *deleted, int64_t *renamed, int64_t *epoch,
                         char *errstr, size_t size) {
        size_t argc = 6 + 2 * n;
        const char **argv = calloc(argc, sizeof(*argv));
        char(*nums)[24] = calloc(n + 1, sizeof(*nums));
        redisReply *r = NULL;
        hw_err_t err;

        if (!argv || !nums) {
                free(argv);
                free(nums);
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        }
        argv[0] = "EVAL";
        argv[1] = hw_swap_lua;
        argv[2] = "0";
        argv[3] = live;
        argv[4] = staging;
        argv[5] = alerts_prefix;
        for (size_t i = 0; i < n; i++) {
                snprintf(nums[i], sizeof(nums[i]), "%" PRId64, offsets[i].next);
                argv[6 + 2 * i] = offsets[i].suffix;
                argv[7 + 2 * i] = nums[i];
        }
        err = hw_store_argv(s, (int)argc, argv, NULL, &r, "swap", errstr, size);
        if (!err && (r->type != REDIS_REPLY_ARRAY || r->elements != 3))
                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                              "unexpected reply from the swap");
        if (!err) {
                *deleted = r->element[0]->integer;
                *renamed = r->element[1]->integer;
                *epoch = r->element[2]->integer;
        }
        if (r)
                freeReplyObject(r);
        free(argv);
        free(nums);
        return err;
}

/* Whether a key (without prefix) is bookkeeping that a diff leaves out. */
static int bookkeeping(const char *name, int alerts_here) {
        /* b:gen counts compactions of the bucket logs and steps the
         * atomic steps, which depend on how the steps were cut (the logs
         * are compared by their sums), steps:at when the last applied;
         * turn is a step's, for a moment. */
        if (!strncmp(name, "offset:", 7) || !strncmp(name, "ends:", 5) ||
            !strcmp(name, "epoch") || !strcmp(name, "b:gen") ||
            !strcmp(name, "steps") || !strcmp(name, "steps:at") ||
            !strcmp(name, "layout") || !strcmp(name, "turn"))
                return 1;
        /* alerts, alerts:<reader>, alert:ids, alert:drain */
        return alerts_here &&
               (!strcmp(name, "alerts") || !strncmp(name, "alerts:", 7) ||
                !strncmp(name, "alert:", 6));
}

typedef struct names_s {
        hw_map_t map;
        size_t skip; /* prefix length to drop */
        int alerts_here;
} names_t;

static int add_name(void *ctx, const char *key, size_t len) {
        names_t *n = ctx;
        int created;
        if (len < n->skip || bookkeeping(key + n->skip, n->alerts_here))
                return 0;
        return hw_map_upsert(&n->map, key + n->skip, len - n->skip, &created)
                       ? 0
                       : -1;
}

static int by_name(const void *a, const void *b) {
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

hw_err_t hw_rebuild_diff(hw_store_t *s, const char *live, const char *staging,
                         const char *alerts_prefix, hw_rebuild_diff_fn fn,
                         void *ctx, size_t *n, char *errstr, size_t size) {
        names_t names = {.alerts_here = !strcmp(alerts_prefix, live)};
        const char **sorted = NULL;
        hw_err_t err;
        int stop = 0;

        *n = 0;
        hw_map_init(&names.map);
        names.skip = strlen(live);
        err = scan(s, live, add_name, &names, errstr, size);
        names.skip = strlen(staging);
        names.alerts_here = 0;
        if (!err)
                err = scan(s, staging, add_name, &names, errstr, size);
        if (!err && !(sorted = calloc(names.map.count + 1, sizeof(*sorted))))
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        for (size_t i = 0; !err && i < names.map.count; i++)
                sorted[i] = names.map.entries[i].key;
        if (!err)
                qsort(sorted, names.map.count, sizeof(*sorted), by_name);
        for (size_t i = 0; !err && !stop && i < names.map.count;
             i += DIFF_CHUNK) {
                const char *argv[5 + DIFF_CHUNK];
                int argc = 5;
                redisReply *r;
                argv[0] = "EVAL";
                argv[1] = hw_diff_lua;
                argv[2] = "0";
                argv[3] = live;
                argv[4] = staging;
                for (size_t j = i; j < names.map.count && j < i + DIFF_CHUNK;
                     j++)
                        argv[argc++] = sorted[j];
                err = hw_store_argv(s, argc, argv, NULL, &r, "diff", errstr,
                                    size);
                if (err)
                        break;
                for (size_t j = 0; j + 3 < r->elements + 0 && !stop; j += 4) {
                        (*n)++;
                        stop = fn(
                                ctx, r->element[j]->str, r->element[j + 1]->str,
                                r->element[j + 2]->str, r->element[j + 3]->str);
                }
                freeReplyObject(r);
        }
        free(sorted);
        hw_map_release(&names.map);
        return err;
}
