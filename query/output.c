/*
 * What every hirewire-query command shares to print its result: errors,
 * keys under the prefix, JSON built from any bytes, tables (or CSV) and
 * the lines around them.
 */
#include "output.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"

/* Whether an allocation of jansson's failed since hw_qout_jwatch(), in
 * this thread (serve's requests each have one). */
static _Thread_local int jansson_failed;

static void *jansson_malloc(size_t n) {
        void *p = malloc(n);
        if (!p)
                jansson_failed = 1;
        return p;
}

void hw_qout_json_init(void) {
        json_set_alloc_funcs(jansson_malloc, free);
}

void hw_qout_jwatch(void) {
        jansson_failed = 0;
}

int hw_qout_jfailed(void) {
        return jansson_failed;
}

/* Prints a Redis or memory error and returns its exit code. */
int hw_qout_fail(hw_err_t err, const char *errstr) {
        fprintf(stderr, HW_QUERY_PROG ": %s\n",
                err == HW_ERR_NOMEM ? "out of memory" : errstr);
        return err == HW_ERR_SERVICE ? HW_EXIT_UNAVAILABLE : HW_EXIT_FAILURE;
}

/*
 * Whether Redis holds any hirewire data under the prefix: hw:labs or the
 * watermark. When it holds none, says so on stderr and sets *empty.
 */
hw_err_t hw_qout_check_empty(hw_query_t *q, int *empty, char *errstr,
                             size_t size) {
        char key[HW_QOUT_KEY_MAX];
        int labs = 0, watermark = 0;
        hw_err_t err;

        hw_keys_name(key, sizeof(key), q->conf.prefix, HW_KEY_LABS);
        if ((err = hw_qdb_exists(q->db, key, &labs, errstr, size)))
                return err;
        hw_keys_name(key, sizeof(key), q->conf.prefix, HW_KEY_WATERMARK);
        if ((err = hw_qdb_exists(q->db, key, &watermark, errstr, size)))
                return err;
        *empty = !labs && !watermark;
        if (*empty)
                snprintf(errstr, size,
                         "Redis holds no hirewire data under prefix %s (has "
                         "the consumer run?)",
                         q->conf.prefix);
        return HW_OK;
}

hw_err_t hw_qout_watermark(hw_query_t *q, int64_t *ms, char *errstr,
                           size_t size) {
        char key[HW_QOUT_KEY_MAX];
        redisReply *r = NULL;
        hw_err_t err;

        *ms = 0;
        hw_keys_name(key, sizeof(key), q->conf.prefix, HW_KEY_WATERMARK);
        if ((err = hw_qdb_command(q->db, &r, errstr, size, "GET %s", key)))
                return err;
        if (r->type == REDIS_REPLY_STRING && hw_qdb_parse_int(r->str, ms)) {
                char shown[200];
                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                              "%s: \"%s\" is not a time in ms", key,
                              hw_qdb_show(r->str, 40, shown, sizeof(shown)));
        }
        freeReplyObject(r);
        return err;
}

json_t *hw_qerr_set(hw_qerr_t *e, int exit, int missing, const char *fmt, ...) {
        va_list ap;
        e->exit = exit;
        e->missing = missing;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        return NULL;
}

json_t *hw_qerr_from(hw_qerr_t *e, hw_err_t err, const char *errstr) {
        return hw_qerr_set(
                e,
                err == HW_ERR_SERVICE ? HW_EXIT_UNAVAILABLE : HW_EXIT_FAILURE,
                0, "%s", err == HW_ERR_NOMEM ? "out of memory" : errstr);
}

int hw_qerr_no_data(hw_query_t *q, hw_qerr_t *e) {
        char errstr[512];
        int empty = 0;
        hw_err_t err = hw_qout_check_empty(q, &empty, errstr, sizeof(errstr));
        if (err)
                hw_qerr_from(e, err, errstr);
        else if (empty)
                hw_qerr_set(e, HW_EXIT_FAILURE, 1, "%s", errstr);
        return err || empty;
}

int hw_qerr_print(const hw_qerr_t *e) {
        fprintf(stderr, HW_QUERY_PROG ": %s\n", e->msg);
        return e->exit;
}

int hw_qout_print_doc(json_t *doc, const hw_qerr_t *e) {
        return doc ? hw_qout_print_json(doc, JSON_INDENT(2)) : hw_qerr_print(e);
}

/* A JSON string for any bytes (invalid UTF-8 repaired). */
json_t *hw_qout_jstr(const char *s) {
        json_t *j = json_string(s);
        char *fixed;
        if (j)
                return j;
        if (!(fixed = hw_table_utf8(s)))
                return NULL;
        j = json_string(fixed);
        free(fixed);
        return j;
}

/* Sets obj[key] = value, taking value (freed on failure too); -1 when
 * anything is NULL. A key that is not valid UTF-8 is repaired. */
int hw_qout_jset(json_t *obj, const char *key, json_t *value) {
        char *fixed;
        int rc;
        if (!obj || !value || !(fixed = hw_table_utf8(key))) {
                json_decref(value);
                return -1;
        }
        rc = json_object_set_new(obj, fixed, value);
        free(fixed);
        return rc;
}

/* Appends value to arr, taking it (freed on failure too). */
int hw_qout_jpush(json_t *arr, json_t *value) {
        if (!arr || !value) {
                json_decref(value);
                return -1;
        }
        return json_array_append_new(arr, value);
}

void hw_qout_jappend(json_t **arr, json_t *value) {
        if (hw_qout_jpush(*arr, value)) {
                json_decref(*arr);
                *arr = NULL;
        }
}

/* Appends o to arr, unless bad (an earlier failure): then, or when the
 * append fails, o is freed and 1 returned. */
int hw_qout_jpush_unless(json_t *arr, json_t *o, int bad) {
        if (bad) {
                json_decref(o);
                return 1;
        }
        return hw_qout_jpush(arr, o) ? 1 : 0;
}

/* Sets doc[key] = part and returns doc; when bad (an earlier failure) or
 * setting fails, frees both and returns NULL. */
json_t *hw_qout_jattach(json_t *doc, const char *key, json_t *part, int bad) {
        if (bad)
                json_decref(part);
        if (bad || hw_qout_jset(doc, key, part)) {
                json_decref(doc);
                return NULL;
        }
        return doc;
}

/* How many of n rows --top lets through: top 0 all, < 0 the default
 * (0: all). */
size_t hw_qout_top_rows(long top, long dflt, size_t n) {
        long t = top < 0 ? dflt : top;
        return t == 0 || (size_t)t > n ? n : (size_t)t;
}

/* {name: count, ...} for the first `shown` of the list, in its order. */
json_t *hw_qout_jcounts(const hw_qitems_t *l, size_t shown) {
        json_t *obj = json_object();
        for (size_t i = 0; obj && i < shown && i < l->n; i++)
                if (hw_qout_jset(obj, l->items[i].name,
                                 json_integer(l->items[i].count))) {
                        json_decref(obj);
                        return NULL;
                }
        return obj;
}

/* Where json_dump_callback writes: once an append failed, every later
 * one fails too, for jansson goes on dumping after some failures (a
 * key's) and would leave a hole in the text. */
typedef struct jdump_s {
        hw_buf_t buf;
        int bad;
} jdump_t;

static int jdump_append(const char *s, size_t n, void *data) {
        jdump_t *d = data;
        d->bad = d->bad || hw_buf_append(&d->buf, s, n);
        return d->bad ? -1 : 0;
}

char *hw_qout_jdump(const json_t *doc, size_t flags, size_t *len) {
        jdump_t d = {.bad = 0};

        hw_buf_init(&d.buf);
        if (json_dump_callback(doc, jdump_append, &d, flags) || d.bad ||
            hw_buf_append(&d.buf, "\n", 2)) {
                hw_buf_release(&d.buf);
                return NULL;
        }
        *len = d.buf.len - 1; /* the NUL is not text */
        return d.buf.data;
}

/* Prints a JSON document on stdout (takes doc). */
int hw_qout_print_json(json_t *doc, size_t flags) {
        size_t len;
        char *text = doc ? hw_qout_jdump(doc, flags, &len) : NULL;

        json_decref(doc);
        if (!text)
                return hw_qout_fail(HW_ERR_NOMEM, "");
        fwrite(text, 1, len, stdout);
        free(text);
        return HW_EXIT_OK;
}

json_t *hw_qcmd_doc(const hw_qcmd_t *c, hw_query_t *q, hw_qerr_t *e) {
        void *state = calloc(1, c->size);
        json_t *doc = NULL;

        if (!state)
                return hw_qerr_from(e, HW_ERR_NOMEM, "");
        if (!c->read(q, state, e) && !(doc = c->json(q, state)))
                hw_qerr_from(e, HW_ERR_NOMEM, "");
        c->release(state);
        free(state);
        return doc;
}

int hw_qcmd_run(const hw_qcmd_t *c, hw_query_t *q) {
        hw_qerr_t e;
        void *state;
        int rc;

        if (q->json && !q->follow)
                return hw_qout_print_doc(hw_qcmd_doc(c, q, &e), &e);
        if (!(state = calloc(1, c->size)))
                return hw_qout_fail(HW_ERR_NOMEM, "");
        rc = c->read(q, state, &e) ? hw_qerr_print(&e) : c->print(q, state);
        c->release(state);
        free(state);
        return rc;
}

/* Prints a table (takes it), or with --csv its CSV, tables after the
 * first set apart by an empty line; NULL means memory ran out building
 * it. */
int hw_qout_print_table(hw_query_t *q, hw_table_t *t, int ok,
                        const char *indent) {
        if (!t || !ok) {
                hw_table_destroy(t);
                return hw_qout_fail(HW_ERR_NOMEM, "");
        }
        if (q->csv) {
                if (q->csv_tables++)
                        putchar('\n');
                hw_table_print_csv(t, stdout);
        } else if (hw_table_print(t, stdout, indent)) {
                ok = 0;
        }
        hw_table_destroy(t);
        return ok ? HW_EXIT_OK : hw_qout_fail(HW_ERR_NOMEM, "");
}

/* Prints what a person reads around the tables (headings, "none", how
 * many more rows --top 0 shows); nothing with --csv, which holds the
 * tables alone. */
void hw_qout_say(const hw_query_t *q, const char *fmt, ...) {
        va_list ap;
        if (q->csv)
                return;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
}

void hw_qout_match(const hw_query_t *q, const char *pattern, char *out) {
        size_t n = 0;
        /* The prefix matched as it is: its glob characters escaped. */
        for (const char *c = q->conf.prefix; *c && n + 2 < HW_QOUT_KEY_MAX;
             c++) {
                if (strchr("*?[]\\", *c))
                        out[n++] = '\\';
                out[n++] = *c;
        }
        snprintf(out + n, HW_QOUT_KEY_MAX - n, "%s", pattern);
}
