/* The store integration tests' shared helpers (store_fixtures.h). */
#include "store_fixtures.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hw_config_t conf;
hw_store_t *store;
redisContext *side;
hw_deltas_t deltas;
hw_plan_t plan;
hw_plan_conf_t plan_conf;
char errstr[1024];
int64_t stored_offset = -1;

/* ---- Redis helpers (the side connection) ---- */

/* Runs a command on the side connection; NULL (and a failed check) on an
 * error reply or a broken connection. */
redisReply *cmd(const char *fmt, ...) {
        va_list ap;
        redisReply *r;

        va_start(ap, fmt);
        r = redisvCommand(side, fmt, ap);
        va_end(ap);
        if (!HW_CHECK_MSG(r != NULL, "redis: %s", side->errstr))
                return NULL;
        if (!HW_CHECK_MSG(r->type != REDIS_REPLY_ERROR, "redis %s: %s", fmt,
                          r->str)) {
                freeReplyObject(r);
                return NULL;
        }
        return r;
}

/* A command whose reply is not needed. */
void run(const char *fmt, ...) {
        va_list ap;
        redisReply *r;

        va_start(ap, fmt);
        r = redisvCommand(side, fmt, ap);
        va_end(ap);
        HW_CHECK_MSG(r != NULL && r->type != REDIS_REPLY_ERROR, "redis %s: %s",
                     fmt, r ? r->str : side->errstr);
        if (r)
                freeReplyObject(r);
}

/* GET key into out ("(nil)" when absent). */
const char *get(const char *key, char *out, size_t size) {
        redisReply *r = cmd("GET %s", key);
        snprintf(out, size, "%s",
                 !r                              ? "(error)"
                 : r->type == REDIS_REPLY_STRING ? r->str
                                                 : "(nil)");
        if (r)
                freeReplyObject(r);
        return out;
}

/* HGET key field into out ("(nil)" when absent). */
const char *hget(const char *key, const char *field, char *out, size_t size) {
        redisReply *r = cmd("HGET %s %s", key, field);
        snprintf(out, size, "%s",
                 !r                              ? "(error)"
                 : r->type == REDIS_REPLY_STRING ? r->str
                                                 : "(nil)");
        if (r)
                freeReplyObject(r);
        return out;
}

/* What a day's bucket log counts for name ("<family> <field>"): the sum
 * of its records, "(nil)" with none, "(bad log)" when not a log. */
typedef struct log_sum_s {
        const char *name;
        int64_t sum;
        int found;
} log_sum_t;

static int log_sum_record(void *ctx, const char *name, size_t nlen,
                          int64_t delta) {
        log_sum_t *ls = ctx;
        if (strlen(ls->name) == nlen && !memcmp(ls->name, name, nlen)) {
                ls->sum += delta;
                ls->found = 1;
        }
        return 0;
}

const char *bucket(const char *key, const char *name, char *out, size_t size) {
        redisReply *r = cmd("GET %s", key);
        log_sum_t ls = {name, 0, 0};
        if (!r || r->type != REDIS_REPLY_STRING)
                snprintf(out, size, "%s", !r ? "(error)" : "(nil)");
        else if (hw_plan_log_each(r->str, r->len, log_sum_record, &ls))
                snprintf(out, size, "(bad log)");
        else if (!ls.found)
                snprintf(out, size, "(nil)");
        else
                snprintf(out, size, "%" PRId64, ls.sum);
        if (r)
                freeReplyObject(r);
        return out;
}

/* ---- Snapshots: every key in the database and its DUMP ---- */

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void snapshot_free(snapshot_t *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->keys[i]);
                free(s->dumps[i]);
        }
        free(s->keys);
        free(s->dumps);
        free(s->dump_lens);
        memset(s, 0, sizeof(*s));
}

int snapshot_take(snapshot_t *s) {
        char cursor[32] = "0";
        size_t cap = 0;

        memset(s, 0, sizeof(*s));
        do {
                redisReply *r = cmd("SCAN %s COUNT 1000", cursor);
                if (!r)
                        return 0;
                if (!HW_CHECK(r->type == REDIS_REPLY_ARRAY &&
                              r->elements == 2)) {
                        freeReplyObject(r);
                        return 0;
                }
                snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
                for (size_t i = 0; i < r->element[1]->elements; i++) {
                        if (s->n == cap) {
                                cap = cap ? 2 * cap : 64;
                                s->keys = realloc(s->keys,
                                                  cap * sizeof(*s->keys));
                                if (!s->keys)
                                        abort();
                        }
                        s->keys[s->n++] =
                                strdup(r->element[1]->element[i]->str);
                }
                freeReplyObject(r);
        } while (strcmp(cursor, "0") != 0);
        if (s->n)
                qsort(s->keys, s->n, sizeof(*s->keys), cmp_str);
        s->dumps = calloc(s->n + 1, sizeof(*s->dumps));
        s->dump_lens = calloc(s->n + 1, sizeof(*s->dump_lens));
        if (!s->dumps || !s->dump_lens)
                abort();
        for (size_t i = 0; i < s->n; i++) {
                redisReply *r = cmd("DUMP %s", s->keys[i]);
                if (!r)
                        return 0;
                if (r->type == REDIS_REPLY_STRING) {
                        s->dumps[i] = malloc(r->len + 1);
                        if (!s->dumps[i])
                                abort();
                        memcpy(s->dumps[i], r->str, r->len);
                        s->dump_lens[i] = r->len;
                }
                freeReplyObject(r);
        }
        return 1;
}

/* Checks that Redis holds exactly what `before` recorded. */
void check_unchanged(const snapshot_t *before, const char *what) {
        snapshot_t after;
        size_t i = 0, j = 0;
        int same = 1;

        if (!snapshot_take(&after))
                return;
        while (i < before->n || j < after.n) {
                int c = i == before->n ? 1
                        : j == after.n ? -1
                                       : strcmp(before->keys[i], after.keys[j]);
                if (c < 0) {
                        HW_CHECK_MSG(0, "%s: %s was deleted", what,
                                     before->keys[i]);
                        same = 0;
                        i++;
                } else if (c > 0) {
                        HW_CHECK_MSG(0, "%s: %s was created", what,
                                     after.keys[j]);
                        same = 0;
                        j++;
                } else {
                        int eq = before->dump_lens[i] == after.dump_lens[j] &&
                                 (before->dump_lens[i] == 0 ||
                                  memcmp(before->dumps[i], after.dumps[j],
                                         before->dump_lens[i]) == 0);
                        if (!eq) {
                                HW_CHECK_MSG(0, "%s: %s was changed", what,
                                             before->keys[i]);
                                same = 0;
                        }
                        i++;
                        j++;
                }
        }
        HW_CHECK_MSG(same, "%s: every key as before (%zu keys)", what,
                     before->n);
        snapshot_free(&after);
}

/* ---- Steps ---- */

void begin(void) {
        HW_CHECK_EQ_INT(hw_store_begin(store, errstr, sizeof(errstr)), HW_OK);
}

/* Builds the plan of the deltas for the day after a step from watermark
 * `stored` (what the store read, or another value). */
void plan_for(int64_t stored) {
        int64_t day = hw_plan_day_after(stored, deltas.watermark);
        const hw_plan_slide_t *slide;
        HW_CHECK_EQ_INT(hw_store_read_slide(store, day, &plan, &slide, errstr,
                                            sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(hw_plan_build_slide(&plan, &plan_conf, &deltas, day,
                                            slide, errstr, sizeof(errstr)),
                        HW_OK);
}

/* Applies the deltas and plan with partition t/0 expecting `expected` and
 * storing `next`. Returns the error; *outcome is set on HW_OK. */
hw_err_t apply(int64_t expected, int64_t next, hw_store_outcome_t *outcome) {
        hw_store_offset_t off = {"t", 0, expected, next};
        errstr[0] = '\0';
        *outcome = (hw_store_outcome_t)-1;
        return hw_store_apply(store, &off, 1, &deltas, &plan, outcome, errstr,
                              sizeof(errstr));
}

/* Applies the step from offset expected to next and checks it was
 * applied; Redis then holds next. */
void apply_ok(int64_t expected, int64_t next) {
        hw_store_outcome_t outcome;
        hw_err_t err = apply(expected, next, &outcome);
        if (!HW_CHECK_EQ_INT(err, HW_OK))
                fprintf(stderr, "    errstr: %s\n", errstr);
        HW_CHECK_EQ_INT(outcome, HW_STORE_APPLIED);
        stored_offset = next;
}

/* One event of the flow into country `field` at time ms, as a batch would
 * record it: a windowed counter of its day and its id. */
void event(const char *id, int64_t ms, const char *field) {
        HW_CHECK_EQ_INT(hw_deltas_seen(&deltas, ms, id), HW_OK);
        HW_CHECK_EQ_INT(
                hw_deltas_window(&deltas, "flow:in", field, hw_time_day(ms), 1),
                HW_OK);
}

void offset_now(char *out, size_t size) {
        if (stored_offset < 0)
                snprintf(out, size, "(nil)");
        else
                snprintf(out, size, "%" PRId64, stored_offset);
}

/* A step Redis refuses: an error naming `want`, and nothing written. */
void check_refused(const char *want, const char *what) {
        hw_store_outcome_t outcome;
        snapshot_t before;
        hw_err_t err;
        char off[32];

        if (!snapshot_take(&before))
                return;
        err = apply(stored_offset, stored_offset + 1, &outcome);
        HW_CHECK_EQ_INT(err, HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, want);
        check_unchanged(&before, what);
        snapshot_free(&before);
        offset_now(off, sizeof(off));
        CHECK_GET("st:offset:g:t:0", off);
}

/* The day number of 2025-06-<d> (W1's day is the 15th). */
int64_t june(int d) {
        return W1 / DAY - 15 + d;
}

/* Noon of 2025-06-<d>, plus ms. */
int64_t june_noon(int d, int64_t ms) {
        return june(d) * DAY + DAY / 2 + ms;
}

int store_main(int argc, char **argv, void (*cases)(void)) {
        char url[128];
        redisReply *r;
        int port;

        if (argc != 2 || (port = atoi(argv[1])) <= 0) {
                fprintf(stderr, "usage: %s REDIS_PORT\n", argv[0]);
                return 2;
        }
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
        if (hw_config_init(&conf) ||
            hw_config_set(&conf, "prefix", "st:", errstr, sizeof(errstr)) ||
            hw_config_set(&conf, "redis.url", url, errstr, sizeof(errstr)) ||
            hw_config_validate(&conf, errstr, sizeof(errstr))) {
                fprintf(stderr, "config: %s\n", errstr);
                return 1;
        }
        store = hw_store_new(&conf, "g", errstr, sizeof(errstr));
        if (!store) {
                fprintf(stderr, "hw_store_new: %s\n", errstr);
                return 1;
        }
        if (hw_store_connect(store, errstr, sizeof(errstr))) {
                fprintf(stderr, "hw_store_connect: %s\n", errstr);
                return 1;
        }
        side = redisConnect("127.0.0.1", port);
        if (!side || side->err) {
                fprintf(stderr, "redisConnect: %s\n",
                        side ? side->errstr : "out of memory");
                return 1;
        }
        /* Where the previous program left the offset (none on a fresh
         * Redis). */
        r = redisCommand(side, "GET st:offset:g:t:0");
        if (!r ||
            (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
                fprintf(stderr, "GET st:offset:g:t:0: %s\n",
                        r && r->type == REDIS_REPLY_ERROR ? r->str
                                                          : side->errstr);
                return 1;
        }
        if (r->type == REDIS_REPLY_STRING)
                stored_offset = strtoll(r->str, NULL, 10);
        freeReplyObject(r);
        hw_deltas_init(&deltas);
        hw_plan_init(&plan);
        hw_store_plan_conf(store, &plan_conf);

        /* In order: each case starts from the state the previous left. */
        cases();

        hw_plan_release(&plan);
        hw_deltas_release(&deltas);
        redisFree(side);
        hw_store_destroy(store);
        hw_config_release(&conf);
        return hw_test_summary();
}
