/*
 * The commands of hirewire-query. Each reads the keys of docs/redis-keys.md
 * under the configured prefix and prints a table, or one JSON document with
 * --json (raw counts; percentages and short dollar amounts are for people).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_err.h"
#include "hw_event.h"
#include "hw_person_record.h"
#include "hw_plan.h"
#include "hw_time.h"
#include "output.h"
#include "query.h"
#include "table.h"

#define KEY_MAX HW_QOUT_KEY_MAX
#define LAB_TOP_DEFAULT 10 /* hires-by-origin rows of `lab` */
#define FLOWS_WINDOW_DEFAULT "365d"
#define OFFERS_WINDOW_DEFAULT "365d"
#define LAB_WINDOW_DEFAULT "30d"
#define DEFAULT_GROUP "oecd"
#define FOLLOW_BLOCK_MS 1000 /* how often --follow looks at signals */
#define SCAN_COUNT 1000

/* ------------------------------------------------------------------ */
/* lab                                                                 */
/* ------------------------------------------------------------------ */

/* The composition hashes, in print order. */
static const struct {
        const char *suffix; /* hw:lab:<slug>:<suffix> and JSON key */
        const char *label;  /* table header */
} lab_parts[] = {
        {"origin", "origin"},
        {"nationality", "nationality"},
        {"alma_mater", "school"},
        {"tier", "tier"},
};
#define N_LAB_PARTS (sizeof(lab_parts) / sizeof(*lab_parts))

/* One origin's hires in the window and all time. */
typedef struct hires_row_s {
        const char *origin;
        int64_t window, all;
} hires_row_t;

static int by_hires(const void *a, const void *b) {
        const hires_row_t *x = a, *y = b;
        if (x->all != y->all)
                return x->all > y->all ? -1 : 1;
        if (x->window != y->window)
                return x->window > y->window ? -1 : 1;
        return strcmp(x->origin, y->origin);
}

/* Prints one composition table: value, members, share; the first
 * `shown` rows. */
static int print_part(hw_query_t *q, const char *label, const hw_qitems_t *l,
                      int64_t members, size_t shown) {
        static const hw_align_t aligns[] = {HW_ALIGN_LEFT, HW_ALIGN_RIGHT,
                                            HW_ALIGN_RIGHT};
        const char *headers[] = {label, "members", "share"};
        hw_table_t *t = hw_table_new(3, headers, aligns);
        int ok = t != NULL;

        for (size_t i = 0; ok && i < shown && i < l->n; i++) {
                char pct[32];
                hw_table_percent(l->items[i].count, members, pct, sizeof(pct));
                ok = !hw_table_add_row(t) &&
                     !hw_table_set(t, 0, "%s", l->items[i].name) &&
                     !hw_table_set(t, 1, "%" PRId64, l->items[i].count) &&
                     !hw_table_set(t, 2, "%s", pct);
        }
        hw_qout_say(q, "\n");
        if (ok && l->n == 0 && !q->csv) {
                hw_table_destroy(t);
                printf("%s: none\n", label);
                return HW_EXIT_OK;
        }
        if (hw_qout_print_table(q, t, ok, "") != HW_EXIT_OK)
                return HW_EXIT_FAILURE;
        if (shown < l->n)
                hw_qout_say(q, "(%zu more; --top 0 shows all)\n", l->n - shown);
        return HW_EXIT_OK;
}

/* Prints the hires-by-origin table of the window and all time. */
static int print_hires(hw_query_t *q, const char *window,
                       const hw_qitems_t *win, const hw_qitems_t *all) {
        static const hw_align_t aligns[] = {HW_ALIGN_LEFT, HW_ALIGN_RIGHT,
                                            HW_ALIGN_RIGHT};
        const char *headers[] = {"hired from", window, "all"};
        size_t n = 0, shown;
        hires_row_t *rows = calloc(win->n + all->n + 1, sizeof(*rows));
        hw_table_t *t = NULL;
        int ok, rc;

        if (!rows)
                return hw_qout_fail(HW_ERR_NOMEM, "");
        for (size_t i = 0; i < all->n; i++)
                rows[n++] = (hires_row_t){all->items[i].name, 0,
                                          all->items[i].count};
        for (size_t i = 0; i < win->n; i++) {
                size_t j;
                for (j = 0; j < n; j++)
                        if (!strcmp(rows[j].origin, win->items[i].name))
                                break;
                if (j == n)
                        rows[n++] = (hires_row_t){win->items[i].name, 0, 0};
                rows[j].window = win->items[i].count;
        }
        qsort(rows, n, sizeof(*rows), by_hires);
        shown = hw_qout_top_rows(q->top, LAB_TOP_DEFAULT, n);

        hw_qout_say(q, "\n");
        if (n == 0 && !q->csv) {
                printf("hires: none\n");
                free(rows);
                return HW_EXIT_OK;
        }
        t = hw_table_new(3, headers, aligns);
        ok = t != NULL;
        for (size_t i = 0; ok && i < shown; i++)
                ok = !hw_table_add_row(t) &&
                     !hw_table_set(t, 0, "%s", rows[i].origin) &&
                     !hw_table_set(t, 1, "%" PRId64, rows[i].window) &&
                     !hw_table_set(t, 2, "%" PRId64, rows[i].all);
        rc = hw_qout_print_table(q, t, ok, "");
        if (rc == HW_EXIT_OK && shown < n)
                hw_qout_say(q, "(%zu more; --top 0 shows all)\n", n - shown);
        free(rows);
        return rc;
}

int hw_query_lab(hw_query_t *q) {
        const char *window = q->window ? q->window : LAB_WINDOW_DEFAULT;
        char slug[1024], key[KEY_MAX], errstr[512];
        char *name = NULL;
        int64_t members = 0;
        hw_qitems_t parts[N_LAB_PARTS], hires_win, hires_all;
        redisReply *r = NULL;
        int rc = HW_EXIT_FAILURE, empty = 0;
        hw_err_t err;

        for (size_t i = 0; i < N_LAB_PARTS; i++)
                hw_qitems_init(&parts[i]);
        hw_qitems_init(&hires_win);
        hw_qitems_init(&hires_all);

        if (hw_slug(q->arg, slug, sizeof(slug)) >= sizeof(slug) || !slug[0]) {
                if ((err = hw_qout_check_empty(q, &empty, errstr,
                                               sizeof(errstr)))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
                if (!empty)
                        fprintf(stderr,
                                HW_QUERY_PROG ": no lab \"%s\" (slug %s) in "
                                              "Redis under prefix %s; try "
                                              "`hirewire-query labs`\n",
                                q->arg, slug[0] ? slug : "\"\"",
                                q->conf.prefix);
                goto cleanup;
        }

        hw_qout_make_key(q, key, "lab:%s", slug);
        if ((err = hw_qdb_command(q->db, &r, errstr, sizeof(errstr),
                                  "HMGET %s name members", key))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            (r->element[0]->type != REDIS_REPLY_STRING &&
             r->element[1]->type != REDIS_REPLY_STRING)) {
                if ((err = hw_qout_check_empty(q, &empty, errstr,
                                               sizeof(errstr)))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
                if (!empty)
                        fprintf(stderr,
                                HW_QUERY_PROG ": no lab \"%s\" (slug %s) in "
                                              "Redis under prefix %s; try "
                                              "`hirewire-query labs`\n",
                                q->arg, slug, q->conf.prefix);
                goto cleanup;
        }
        name = strdup(r->element[0]->type == REDIS_REPLY_STRING
                              ? r->element[0]->str
                              : slug);
        if (!name) {
                rc = hw_qout_fail(HW_ERR_NOMEM, "");
                goto cleanup;
        }
        if (r->element[1]->type == REDIS_REPLY_STRING &&
            hw_qdb_parse_int(r->element[1]->str, &members)) {
                fprintf(stderr,
                        HW_QUERY_PROG ": %s field \"members\": \"%.40s\" is "
                                      "not a count\n",
                        key, r->element[1]->str);
                goto cleanup;
        }

        for (size_t i = 0; i < N_LAB_PARTS; i++) {
                hw_qout_make_key(q, key, "lab:%s:%s", slug,
                                 lab_parts[i].suffix);
                if ((err = hw_qdb_hash_counts(q->db, key, &parts[i], errstr,
                                              sizeof(errstr)))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
                hw_qitems_sort_count(&parts[i]);
        }
        hw_qout_make_key(q, key, "lab:%s:hires:%s", slug, window);
        if ((err = hw_qdb_hash_counts(q->db, key, &hires_win, errstr,
                                      sizeof(errstr)))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        hw_qout_make_key(q, key, "lab:%s:hires:all", slug);
        if ((err = hw_qdb_hash_counts(q->db, key, &hires_all, errstr,
                                      sizeof(errstr)))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        hw_qitems_sort_count(&hires_win);
        hw_qitems_sort_count(&hires_all);

        if (q->json) {
                json_t *doc = json_object(), *hires = json_object();
                int bad = hw_qout_jset(doc, "slug", hw_qout_jstr(slug)) ||
                          hw_qout_jset(doc, "name", hw_qout_jstr(name)) ||
                          hw_qout_jset(doc, "members", json_integer(members));
                for (size_t i = 0; !bad && i < N_LAB_PARTS; i++)
                        bad = hw_qout_jset(
                                doc, lab_parts[i].suffix,
                                hw_qout_jcounts(&parts[i],
                                                hw_qout_top_rows(q->top, 0,
                                                                 parts[i].n)));
                bad = bad ||
                      hw_qout_jset(
                              hires, window,
                              hw_qout_jcounts(&hires_win,
                                              hw_qout_top_rows(q->top, 0,
                                                               hires_win.n))) ||
                      (strcmp(window, "all") &&
                       hw_qout_jset(
                               hires, "all",
                               hw_qout_jcounts(&hires_all,
                                               hw_qout_top_rows(q->top, 0,
                                                                hires_all.n))));
                if (!(doc = hw_qout_jattach(doc, "hires", hires, bad))) {
                        rc = hw_qout_fail(HW_ERR_NOMEM, "");
                        goto cleanup;
                }
                rc = hw_qout_print_json(doc, JSON_INDENT(2));
                goto cleanup;
        }

        {
                char *shown = hw_qout_utf8_repair(name);
                hw_qout_say(q, "%s (slug %s)\nmembers: %" PRId64 "\n",
                            shown ? shown : name, slug, members);
                free(shown);
        }
        rc = HW_EXIT_OK;
        for (size_t i = 0; rc == HW_EXIT_OK && i < N_LAB_PARTS; i++)
                rc = print_part(q, lab_parts[i].label, &parts[i], members,
                                hw_qout_top_rows(q->top, 0, parts[i].n));
        if (rc == HW_EXIT_OK)
                rc = print_hires(q, window, &hires_win, &hires_all);

cleanup:
        if (r)
                freeReplyObject(r);
        for (size_t i = 0; i < N_LAB_PARTS; i++)
                hw_qitems_release(&parts[i]);
        hw_qitems_release(&hires_win);
        hw_qitems_release(&hires_all);
        free(name);
        return rc;
}

/* ------------------------------------------------------------------ */
/* labs                                                                */
/* ------------------------------------------------------------------ */

typedef struct lab_row_s {
        const char *slug;
        char *name;
        int64_t members;
} lab_row_t;

static int by_members(const void *a, const void *b) {
        const lab_row_t *x = a, *y = b;
        if (x->members != y->members)
                return x->members > y->members ? -1 : 1;
        return strcmp(x->slug, y->slug);
}

int hw_query_labs(hw_query_t *q) {
        static const hw_align_t aligns[] = {HW_ALIGN_RIGHT, HW_ALIGN_LEFT,
                                            HW_ALIGN_LEFT, HW_ALIGN_RIGHT,
                                            HW_ALIGN_RIGHT};
        static const char *const headers[] = {"#", "lab", "slug", "members",
                                              "share"};
        char key[KEY_MAX], errstr[512];
        hw_qitems_t labs;
        lab_row_t *rows = NULL;
        int64_t total = 0;
        size_t shown;
        int rc = HW_EXIT_FAILURE, empty = 0;
        hw_err_t err;

        hw_qitems_init(&labs);
        hw_qout_make_key(q, key, "labs");
        if ((err = hw_qdb_zset(q->db, key, &labs, errstr, sizeof(errstr)))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (labs.n == 0) {
                if ((err = hw_qout_check_empty(q, &empty, errstr,
                                               sizeof(errstr)))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
                if (empty)
                        goto cleanup;
        }
        if (!(rows = calloc(labs.n + 1, sizeof(*rows)))) {
                rc = hw_qout_fail(HW_ERR_NOMEM, "");
                goto cleanup;
        }
        /* Names and members of every lab, pipelined. */
        for (size_t i = 0; i < labs.n; i++) {
                hw_qout_make_key(q, key, "lab:%s", labs.items[i].name);
                if ((err = hw_qdb_append(q->db, errstr, sizeof(errstr),
                                         "HMGET %s name members", key))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
        }
        for (size_t i = 0; i < labs.n; i++) {
                redisReply *r;
                lab_row_t *row = &rows[i];
                row->slug = labs.items[i].name;
                row->members = labs.items[i].count;
                if ((err = hw_qdb_reply(q->db, &r, errstr, sizeof(errstr)))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
                if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
                        if (r->element[0]->type == REDIS_REPLY_STRING)
                                row->name = strdup(r->element[0]->str);
                        if (r->element[1]->type == REDIS_REPLY_STRING)
                                hw_qdb_parse_int(r->element[1]->str,
                                                 &row->members);
                }
                freeReplyObject(r);
                if (!row->name && !(row->name = strdup(row->slug))) {
                        rc = hw_qout_fail(HW_ERR_NOMEM, "");
                        goto cleanup;
                }
                total += row->members;
        }
        qsort(rows, labs.n, sizeof(*rows), by_members);
        shown = q->top <= 0 || (size_t)q->top > labs.n ? labs.n
                                                       : (size_t)q->top;

        if (q->json) {
                json_t *doc = json_array();
                for (size_t i = 0; doc && i < shown; i++) {
                        json_t *o = json_object();
                        int bad = hw_qout_jset(o, "slug",
                                               hw_qout_jstr(rows[i].slug)) ||
                                  hw_qout_jset(o, "name",
                                               hw_qout_jstr(rows[i].name)) ||
                                  hw_qout_jset(o, "members",
                                               json_integer(rows[i].members));
                        if (bad)
                                json_decref(o);
                        if (bad || hw_qout_jpush(doc, o)) {
                                json_decref(doc);
                                doc = NULL;
                        }
                }
                rc = hw_qout_print_json(doc, JSON_INDENT(2));
                goto cleanup;
        }
        if (labs.n == 0 && !q->csv) {
                printf("no labs\n");
                rc = HW_EXIT_OK;
                goto cleanup;
        }
        {
                hw_table_t *t = hw_table_new(5, headers, aligns);
                int ok = t != NULL;
                for (size_t i = 0; ok && i < shown; i++) {
                        char pct[32];
                        hw_table_percent(rows[i].members, total, pct,
                                         sizeof(pct));
                        ok = !hw_table_add_row(t) &&
                             !hw_table_set(t, 0, "%zu", i + 1) &&
                             !hw_table_set(t, 1, "%s", rows[i].name) &&
                             !hw_table_set(t, 2, "%s", rows[i].slug) &&
                             !hw_table_set(t, 3, "%" PRId64, rows[i].members) &&
                             !hw_table_set(t, 4, "%s", pct);
                }
                rc = hw_qout_print_table(q, t, ok, "");
                if (rc == HW_EXIT_OK)
                        hw_qout_say(q, "%zu labs, %" PRId64 " members%s\n",
                                    labs.n, total,
                                    shown < labs.n ? " (--top 0 shows all)"
                                                   : "");
        }

cleanup:
        for (size_t i = 0; rows && i < labs.n; i++)
                free(rows[i].name);
        free(rows);
        hw_qitems_release(&labs);
        return rc;
}

/* ------------------------------------------------------------------ */
/* flows                                                               */
/* ------------------------------------------------------------------ */

typedef struct flow_row_s {
        const char *country;
        int64_t in, out, net;
        int has_index;
        double index;
        int64_t rank; /* 1-based, 0 = not ranked */
} flow_row_t;

static int by_net(const void *a, const void *b) {
        const flow_row_t *x = a, *y = b;
        if (x->net != y->net)
                return x->net > y->net ? -1 : 1;
        return strcmp(x->country, y->country);
}

/* The row of country, added when new; NULL when out of memory. */
static flow_row_t *flow_row(flow_row_t **rows, size_t *n, size_t *cap,
                            const char *country) {
        for (size_t i = 0; i < *n; i++)
                if (!strcmp((*rows)[i].country, country))
                        return &(*rows)[i];
        if (*n == *cap) {
                size_t c = *cap ? *cap * 2 : 64;
                flow_row_t *r = realloc(*rows, c * sizeof(*r));
                if (!r)
                        return NULL;
                *rows = r;
                *cap = c;
        }
        (*rows)[*n] = (flow_row_t){.country = country};
        return &(*rows)[(*n)++];
}

/* Windows by their days (all last), other names alphabetically. */
static int cmp_item_name(const void *a, const void *b) {
        const char *x = ((const hw_qitem_t *)a)->name;
        const char *y = ((const hw_qitem_t *)b)->name;
        long dx = strcmp(x, "all") ? strtol(x, NULL, 10) : LONG_MAX;
        long dy = strcmp(y, "all") ? strtol(y, NULL, 10) : LONG_MAX;
        return dx != dy ? (dx < dy ? -1 : 1) : strcmp(x, y);
}

/* Adds to names what fills the `*` of prefix + pattern (one `*`, one
 * key level) in the keys Redis holds. */
static hw_err_t scan_names(hw_query_t *q, const char *pattern,
                           hw_qitems_t *names, char *errstr, size_t errsize) {
        char match[KEY_MAX], cursor[32] = "0";
        const char *star = strchr(pattern, '*');
        size_t head = strlen(q->conf.prefix) + (size_t)(star - pattern);
        size_t tail = strlen(star + 1);
        hw_err_t err = HW_OK;

        hw_qout_match(q, pattern, match);
        do {
                redisReply *r = NULL;
                if ((err = hw_qdb_command(q->db, &r, errstr, errsize,
                                          "SCAN %s MATCH %s COUNT 1000", cursor,
                                          match)))
                        break;
                if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
                        snprintf(cursor, sizeof(cursor), "%s",
                                 r->element[0]->str);
                        for (size_t i = 0; i < r->element[1]->elements; i++) {
                                const redisReply *k = r->element[1]->element[i];
                                char name[KEY_MAX];
                                if (k->len <= head + tail ||
                                    strcmp(k->str + k->len - tail, star + 1))
                                        continue;
                                snprintf(name, sizeof(name), "%.*s",
                                         (int)(k->len - head - tail),
                                         k->str + head);
                                /* One level only: 365d, not 365d:index. */
                                if (!strchr(name, ':') &&
                                    !hw_qitems_find(names, name))
                                        hw_qitems_add(names, name, 0, 0);
                        }
                } else {
                        snprintf(cursor, sizeof(cursor), "0");
                }
                freeReplyObject(r);
        } while (strcmp(cursor, "0"));
        return err;
}

/*
 * The names that fill the `*` of prefix + each pattern (NULL-terminated)
 * in the keys Redis holds, sorted and comma-separated into out ("none"
 * for none): what a usage error offers instead of a window or group that
 * is not there. HW_OK or the Redis error.
 */
static hw_err_t known_names(hw_query_t *q, const char *const *patterns,
                            char *out, size_t size, char *errstr,
                            size_t errsize) {
        hw_qitems_t names;
        hw_err_t err = HW_OK;

        hw_qitems_init(&names);
        for (; *patterns && !err; patterns++)
                err = scan_names(q, *patterns, &names, errstr, errsize);
        if (names.n) /* qsort takes no NULL array, even of none */
                qsort(names.items, names.n, sizeof(*names.items),
                      cmp_item_name);
        snprintf(out, size, "%s", names.n ? "" : "none");
        for (size_t i = 0, n = 0; i < names.n && n < size; i++)
                n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "",
                                      names.items[i].name);
        hw_qitems_release(&names);
        return err;
}

/* The usage error for a name Redis holds nothing for: `what`, then the
 * names it does hold (known_names of patterns) as "(<kind>: a, b)".
 * Returns the exit code: 2, or the Redis error's. */
static int no_such(hw_query_t *q, const char *what, const char *kind,
                   const char *const *patterns) {
        char known[512], errstr[512];
        hw_err_t err = known_names(q, patterns, known, sizeof(known), errstr,
                                   sizeof(errstr));
        if (err)
                return hw_qout_fail(err, errstr);
        fprintf(stderr, HW_QUERY_PROG ": %s (%s: %s)\n", what, kind, known);
        return HW_EXIT_USAGE;
}

int hw_query_flows(hw_query_t *q) {
        const char *window = q->window ? q->window : FLOWS_WINDOW_DEFAULT;
        const char *group = q->group;
        char key[KEY_MAX], gkey[KEY_MAX], errstr[512];
        hw_qitems_t in, out, net, index;
        flow_row_t *rows = NULL;
        size_t n = 0, cap = 0, shown;
        int64_t group_size = 0;
        int rc = HW_EXIT_FAILURE, empty = 0, exists = 0;
        redisReply *r = NULL;
        hw_err_t err;

        hw_qitems_init(&in);
        hw_qitems_init(&out);
        hw_qitems_init(&net);
        hw_qitems_init(&index);
        if ((err = hw_qout_check_empty(q, &empty, errstr, sizeof(errstr)))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (empty)
                goto cleanup;

        hw_qout_make_key(q, key, "flow:%s:in", window);
        err = hw_qdb_hash_counts(q->db, key, &in, errstr, sizeof(errstr));
        hw_qout_make_key(q, key, "flow:%s:out", window);
        if (!err)
                err = hw_qdb_hash_counts(q->db, key, &out, errstr,
                                         sizeof(errstr));
        hw_qout_make_key(q, key, "flow:%s:net", window);
        if (!err)
                err = hw_qdb_zset(q->db, key, &net, errstr, sizeof(errstr));
        hw_qout_make_key(q, key, "flow:%s:index", window);
        if (!err)
                err = hw_qdb_zset(q->db, key, &index, errstr, sizeof(errstr));
        if (err) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        /* A window the consumer does not keep (Redis holds no empty key):
         * say which it does. */
        if (!index.n && !net.n) {
                static const char *const windows[] = {"flow:*:index",
                                                      "flow:*:net", NULL};
                snprintf(key, sizeof(key),
                         "flows --window %s: no such window under prefix %s",
                         window, q->conf.prefix);
                rc = no_such(q, key, "windows", windows);
                goto cleanup;
        }

        /* The group: as asked, else oecd when the window has it. */
        hw_qout_make_key(q, gkey, "flow:%s:index:%s", window,
                         group ? group : DEFAULT_GROUP);
        if ((err = hw_qdb_exists(q->db, gkey, &exists, errstr,
                                 sizeof(errstr)))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (!group && exists) {
                group = DEFAULT_GROUP;
        } else if (group && !exists) {
                char pattern[KEY_MAX];
                const char *patterns[] = {pattern, NULL};
                snprintf(pattern, sizeof(pattern), "flow:%s:index:*", window);
                snprintf(key, sizeof(key),
                         "flows --group %s: no such group in window %s", group,
                         window);
                rc = no_such(q, key, "groups", patterns);
                goto cleanup;
        }

        /* Every country with a flow in the window (countries with a base
         * but no flow are in the index at 0: they count in ranks only). */
        {
                const hw_qitems_t *lists[] = {&in, &out, &net};
                for (size_t l = 0; l < 3; l++)
                        for (size_t i = 0; i < lists[l]->n; i++)
                                if (!flow_row(&rows, &n, &cap,
                                              lists[l]->items[i].name)) {
                                        rc = hw_qout_fail(HW_ERR_NOMEM, "");
                                        goto cleanup;
                                }
        }
        for (size_t i = 0; i < n; i++) {
                flow_row_t *row = &rows[i];
                hw_qitem_t *it;
                if ((it = hw_qitems_find(&in, row->country)))
                        row->in = it->count;
                if ((it = hw_qitems_find(&out, row->country)))
                        row->out = it->count;
                it = hw_qitems_find(&net, row->country);
                row->net = it ? it->count : row->in - row->out;
                if ((it = hw_qitems_find(&index, row->country))) {
                        row->has_index = 1;
                        row->index = it->score;
                }
        }

        /* Ranks: ZREVRANK of each country in the group (pipelined), out
         * of ZCARD. */
        if (group && exists) {
                for (size_t i = 0; i < n; i++)
                        if ((err = hw_qdb_append(q->db, errstr, sizeof(errstr),
                                                 "ZREVRANK %s %s", gkey,
                                                 rows[i].country))) {
                                rc = hw_qout_fail(err, errstr);
                                goto cleanup;
                        }
                for (size_t i = 0; i < n; i++) {
                        if ((err = hw_qdb_reply(q->db, &r, errstr,
                                                sizeof(errstr)))) {
                                rc = hw_qout_fail(err, errstr);
                                goto cleanup;
                        }
                        if (r->type == REDIS_REPLY_INTEGER)
                                rows[i].rank = r->integer + 1;
                        freeReplyObject(r);
                        r = NULL;
                }
                if ((err = hw_qdb_command(q->db, &r, errstr, sizeof(errstr),
                                          "ZCARD %s", gkey))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
                group_size = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
        }
        if (n > 1)
                qsort(rows, n, sizeof(*rows), by_net);
        shown = q->top <= 0 || (size_t)q->top > n ? n : (size_t)q->top;

        if (q->json) {
                json_t *doc = json_object(), *countries = json_array();
                int bad = hw_qout_jset(doc, "window", hw_qout_jstr(window)) ||
                          hw_qout_jset(doc, "group",
                                       group ? hw_qout_jstr(group)
                                             : json_null()) ||
                          hw_qout_jset(doc, "group_size",
                                       group ? json_integer(group_size)
                                             : json_null());
                for (size_t i = 0; !bad && i < shown; i++) {
                        json_t *o = json_object();
                        bad = hw_qout_jset(o, "country",
                                           hw_qout_jstr(rows[i].country)) ||
                              hw_qout_jset(o, "in", json_integer(rows[i].in)) ||
                              hw_qout_jset(o, "out",
                                           json_integer(rows[i].out)) ||
                              hw_qout_jset(o, "net",
                                           json_integer(rows[i].net)) ||
                              hw_qout_jset(o, "index",
                                           rows[i].has_index
                                                   ? json_real(rows[i].index)
                                                   : json_null()) ||
                              hw_qout_jset(o, "rank",
                                           rows[i].rank
                                                   ? json_integer(rows[i].rank)
                                                   : json_null());
                        bad = hw_qout_jpush_unless(countries, o, bad);
                }
                doc = hw_qout_jattach(doc, "countries", countries, bad);
                rc = hw_qout_print_json(doc, JSON_INDENT(2));
                goto cleanup;
        }

        if (n == 0 && !q->csv) {
                printf("no flows in window %s\n", window);
                rc = HW_EXIT_OK;
                goto cleanup;
        }
        {
                static const hw_align_t aligns[] = {
                        HW_ALIGN_LEFT,  HW_ALIGN_RIGHT, HW_ALIGN_RIGHT,
                        HW_ALIGN_RIGHT, HW_ALIGN_RIGHT, HW_ALIGN_RIGHT};
                char rank_header[64];
                const char *headers[] = {"country", "in",    "out",
                                         "net",     "index", rank_header};
                hw_table_t *t;
                int ok;

                snprintf(rank_header, sizeof(rank_header), "rank %s",
                         group ? group : "");
                t = hw_table_new(group ? 6 : 5, headers, aligns);
                ok = t != NULL;
                for (size_t i = 0; ok && i < shown; i++) {
                        const flow_row_t *row = &rows[i];
                        ok = !hw_table_add_row(t) &&
                             !hw_table_set(t, 0, "%s", row->country) &&
                             !hw_table_set(t, 1, "%" PRId64, row->in) &&
                             !hw_table_set(t, 2, "%" PRId64, row->out) &&
                             !hw_table_set(t, 3, "%+" PRId64, row->net) &&
                             (row->has_index
                                      ? !hw_table_set(t, 4, "%+.2f", row->index)
                                      : !hw_table_set(t, 4, "%s",
                                                      q->csv ? "" : "-"));
                        if (ok && group)
                                /* CSV: the rank alone ("3/38" reads
                                 * as a date in spreadsheets). */
                                ok = !row->rank
                                             ? !hw_table_set(t, 5, "%s",
                                                             q->csv ? "" : "-")
                                     : q->csv ? !hw_table_set(t, 5, "%" PRId64,
                                                              row->rank)
                                              : !hw_table_set(
                                                        t, 5,
                                                        "%" PRId64 "/%" PRId64,
                                                        row->rank, group_size);
                }
                hw_qout_say(
                        q,
                        "flows in window %s (index: net moves per 10,000 AI "
                        "talent)\n",
                        window);
                rc = hw_qout_print_table(q, t, ok, "");
        }

cleanup:
        if (r)
                freeReplyObject(r);
        free(rows);
        hw_qitems_release(&in);
        hw_qitems_release(&out);
        hw_qitems_release(&net);
        hw_qitems_release(&index);
        return rc;
}

/* ------------------------------------------------------------------ */
/* offers                                                              */
/* ------------------------------------------------------------------ */

static const char *const offer_fields[] = {
        "extended", "accepted", "declined", "withdrawn", "extended_usd", "mega",
};
#define N_OFFER_FIELDS (sizeof(offer_fields) / sizeof(*offer_fields))
#define OFFER_USD 4 /* index of extended_usd */

typedef struct offer_row_s {
        char *org;  /* slug */
        char *name; /* display name (org:<slug> name), or NULL */
        int64_t v[N_OFFER_FIELDS];
} offer_row_t;

/* The display name of organisation slug (<prefix>org:<slug> name, kept
 * by the consumer from its offers) into *out, to free; NULL when none. */
static hw_err_t org_name(hw_query_t *q, const char *slug, char **out,
                         char *errstr, size_t size) {
        char key[KEY_MAX];
        redisReply *r = NULL;
        hw_err_t err;

        *out = NULL;
        hw_qout_make_key(q, key, "org:%s", slug);
        if ((err = hw_qdb_command(q->db, &r, errstr, size, "HGET %s name",
                                  key)))
                return err;
        if (r->type == REDIS_REPLY_STRING && r->len && !(*out = strdup(r->str)))
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        freeReplyObject(r);
        return err;
}

static int by_usd(const void *a, const void *b) {
        const offer_row_t *x = a, *y = b;
        if (x->v[OFFER_USD] != y->v[OFFER_USD])
                return x->v[OFFER_USD] > y->v[OFFER_USD] ? -1 : 1;
        return strcmp(x->org, y->org);
}

/* Writes s into out with the glob characters of SCAN MATCH escaped. */
static void glob_escape(const char *s, char *out, size_t size) {
        size_t n = 0;
        for (; *s && n + 2 < size; s++) {
                if (strchr("*?[]\\", *s))
                        out[n++] = '\\';
                out[n++] = *s;
        }
        out[n] = '\0';
}

/*
 * Collects the org slugs that have hw:org:<slug>:offers:<window>, with
 * SCAN (not KEYS: it does not block a busy server). Duplicates SCAN may
 * return are dropped.
 */
static hw_err_t scan_orgs(hw_query_t *q, const char *window, hw_qitems_t *orgs,
                          char *errstr, size_t size) {
        char pattern[KEY_MAX], head[KEY_MAX], tail[64], cursor[32] = "0";
        size_t head_len, tail_len;
        redisReply *r = NULL;
        hw_err_t err;

        hw_qout_make_key(q, head, "org:");
        glob_escape(head, pattern, sizeof(pattern) - 64);
        snprintf(tail, sizeof(tail), ":offers:%s", window);
        strcat(pattern, "*");
        strcat(pattern, tail);
        head_len = strlen(head);
        tail_len = strlen(tail);
        do {
                redisReply *keys;
                if ((err = hw_qdb_command(q->db, &r, errstr, size,
                                          "SCAN %s MATCH %s COUNT %d", cursor,
                                          pattern, SCAN_COUNT)))
                        return err;
                if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                    r->element[0]->type != REDIS_REPLY_STRING ||
                    r->element[1]->type != REDIS_REPLY_ARRAY) {
                        freeReplyObject(r);
                        return hw_fail(HW_ERR_INTERNAL, errstr, size,
                                       "Redis at %s: SCAN: unexpected reply",
                                       hw_qdb_addr(q->db));
                }
                snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
                keys = r->element[1];
                for (size_t i = 0; i < keys->elements; i++) {
                        const char *k = keys->element[i]->str;
                        size_t len = keys->element[i]->len;
                        char slug[KEY_MAX];
                        if (keys->element[i]->type != REDIS_REPLY_STRING ||
                            len <= head_len + tail_len ||
                            len - head_len - tail_len >= sizeof(slug))
                                continue;
                        memcpy(slug, k + head_len, len - head_len - tail_len);
                        slug[len - head_len - tail_len] = '\0';
                        /* A slug has no ':'; anything else is not ours. */
                        if (strchr(slug, ':') ||
                            strlen(slug) != len - head_len - tail_len ||
                            hw_qitems_find(orgs, slug))
                                continue;
                        if (hw_qitems_add(orgs, slug, 0, 0)) {
                                freeReplyObject(r);
                                return hw_fail(HW_ERR_NOMEM, errstr, size,
                                               "out of memory");
                        }
                }
                freeReplyObject(r);
                r = NULL;
        } while (strcmp(cursor, "0"));
        return HW_OK;
}

int hw_query_offers(hw_query_t *q) {
        const char *window = q->window ? q->window : OFFERS_WINDOW_DEFAULT;
        char key[KEY_MAX], errstr[512];
        hw_qitems_t orgs;
        offer_row_t *rows = NULL;
        size_t shown;
        int rc = HW_EXIT_FAILURE, empty = 0;
        hw_err_t err;

        hw_qitems_init(&orgs);
        if ((err = hw_qout_check_empty(q, &empty, errstr, sizeof(errstr)))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (empty)
                goto cleanup;
        if ((err = scan_orgs(q, window, &orgs, errstr, sizeof(errstr)))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (!(rows = calloc(orgs.n + 1, sizeof(*rows)))) {
                rc = hw_qout_fail(HW_ERR_NOMEM, "");
                goto cleanup;
        }
        for (size_t i = 0; i < orgs.n; i++) {
                hw_qitems_t fields;
                rows[i].org = orgs.items[i].name;
                hw_qitems_init(&fields);
                hw_qout_make_key(q, key, "org:%s:offers:%s", orgs.items[i].name,
                                 window);
                err = hw_qdb_hash_counts(q->db, key, &fields, errstr,
                                         sizeof(errstr));
                for (size_t f = 0; !err && f < N_OFFER_FIELDS; f++) {
                        hw_qitem_t *it =
                                hw_qitems_find(&fields, offer_fields[f]);
                        rows[i].v[f] = it ? it->count : 0;
                }
                hw_qitems_release(&fields);
                if (!err)
                        err = org_name(q, orgs.items[i].name, &rows[i].name,
                                       errstr, sizeof(errstr));
                if (err) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
        }
        if (orgs.n > 1)
                qsort(rows, orgs.n, sizeof(*rows), by_usd);
        shown = q->top <= 0 || (size_t)q->top > orgs.n ? orgs.n
                                                       : (size_t)q->top;

        if (q->json) {
                json_t *doc = json_object(), *list = json_array();
                int bad = hw_qout_jset(doc, "window", hw_qout_jstr(window));
                for (size_t i = 0; !bad && i < shown; i++) {
                        json_t *o = json_object();
                        bad = hw_qout_jset(o, "org",
                                           hw_qout_jstr(rows[i].org)) ||
                              hw_qout_jset(o, "name",
                                           rows[i].name
                                                   ? hw_qout_jstr(rows[i].name)
                                                   : json_null());
                        for (size_t f = 0; !bad && f < N_OFFER_FIELDS; f++)
                                bad = hw_qout_jset(o, offer_fields[f],
                                                   json_integer(rows[i].v[f]));
                        bad = hw_qout_jpush_unless(list, o, bad);
                }
                doc = hw_qout_jattach(doc, "orgs", list, bad);
                rc = hw_qout_print_json(doc, JSON_INDENT(2));
                goto cleanup;
        }
        if (orgs.n == 0 && !q->csv) {
                printf("no offers in window %s\n", window);
                rc = HW_EXIT_OK;
                goto cleanup;
        }
        {
                static const hw_align_t aligns[] = {
                        HW_ALIGN_LEFT,  HW_ALIGN_RIGHT, HW_ALIGN_RIGHT,
                        HW_ALIGN_RIGHT, HW_ALIGN_RIGHT, HW_ALIGN_RIGHT,
                        HW_ALIGN_RIGHT};
                static const char *const headers[] = {
                        "org",       "extended",     "accepted", "declined",
                        "withdrawn", "extended_usd", "mega"};
                hw_table_t *t = hw_table_new(7, headers, aligns);
                int ok = t != NULL;
                for (size_t i = 0; ok && i < shown; i++) {
                        char usd[32];
                        if (q->csv) /* the number, for spreadsheets */
                                snprintf(usd, sizeof(usd), "%" PRId64,
                                         rows[i].v[OFFER_USD]);
                        else
                                hw_table_money(rows[i].v[OFFER_USD], usd,
                                               sizeof(usd));
                        ok = !hw_table_add_row(t) &&
                             !hw_table_set(t, 0, "%s",
                                           rows[i].name ? rows[i].name
                                                        : rows[i].org);
                        for (size_t f = 0; ok && f < N_OFFER_FIELDS; f++)
                                ok = f == OFFER_USD
                                             ? !hw_table_set(t, f + 1, "%s",
                                                             usd)
                                             : !hw_table_set(t, f + 1,
                                                             "%" PRId64,
                                                             rows[i].v[f]);
                }
                hw_qout_say(q, "offers in window %s\n", window);
                rc = hw_qout_print_table(q, t, ok, "");
        }

cleanup:
        for (size_t i = 0; rows && i < orgs.n; i++)
                free(rows[i].name);
        free(rows);
        hw_qitems_release(&orgs);
        return rc;
}

/* ------------------------------------------------------------------ */
/* alerts                                                              */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
        (void)sig;
        stop_requested = 1;
}

/* The value of field `name` in a stream entry's field list, or NULL. */
static const char *entry_field(const redisReply *fields, const char *name) {
        for (size_t i = 0; i + 1 < fields->elements; i += 2)
                if (fields->element[i]->type == REDIS_REPLY_STRING &&
                    fields->element[i + 1]->type == REDIS_REPLY_STRING &&
                    !strcmp(fields->element[i]->str, name))
                        return fields->element[i + 1]->str;
        return NULL;
}

/* One alert as a JSON object: the stream id, its fields (times as
 * integers, event_ids and attributes as the JSON they hold), any other
 * field as text. */
static json_t *alert_json(const char *id, const redisReply *fields) {
        json_t *o = json_object();
        int bad = hw_qout_jset(o, "id", hw_qout_jstr(id));

        for (size_t i = 0; !bad && i + 1 < fields->elements; i += 2) {
                const char *k = fields->element[i]->str;
                const char *v = fields->element[i + 1]->str;
                json_t *jv = NULL;
                int64_t ms;
                if (fields->element[i]->type != REDIS_REPLY_STRING ||
                    fields->element[i + 1]->type != REDIS_REPLY_STRING)
                        continue;
                if ((!strcmp(k, "event_time") || !strcmp(k, "raised_at")) &&
                    !hw_qdb_parse_int(v, &ms))
                        jv = json_integer(ms);
                else if (!strcmp(k, "event_ids") || !strcmp(k, "attributes"))
                        jv = json_loads(v, JSON_DECODE_ANY, NULL);
                if (!jv)
                        jv = hw_qout_jstr(v);
                bad = hw_qout_jset(o, k, jv);
        }
        if (bad) {
                json_decref(o);
                return NULL;
        }
        return o;
}

/* The columns of `alerts --csv`. */
static const char *const alert_csv_columns[] = {
        "event_time", "severity", "rule", "subject", "summary", "alert_id"};
#define N_ALERT_CSV (sizeof(alert_csv_columns) / sizeof(*alert_csv_columns))

/* Prints one alert: a line, a compact JSON object with --json, a CSV row
 * with --csv. */
static int print_alert(const hw_query_t *q, const char *id,
                       const redisReply *fields) {
        const char *v;
        char when[40] = "-", *summary;
        int64_t ms;

        if (q->json) {
                json_t *o = alert_json(id, fields);
                return hw_qout_print_json(o, JSON_COMPACT);
        }
        if ((v = entry_field(fields, "event_time")) &&
            !hw_qdb_parse_int(v, &ms))
                hw_time_format_iso(ms, when, sizeof(when));
        if (q->csv) {
                for (size_t c = 0; c < N_ALERT_CSV; c++) {
                        const char *f =
                                c == 0 ? when
                                       : entry_field(fields,
                                                     alert_csv_columns[c]);
                        char *text = hw_qout_utf8_repair(f ? f : "");
                        if (!text)
                                return hw_qout_fail(HW_ERR_NOMEM, "");
                        if (c)
                                putchar(',');
                        hw_csv_field(stdout, text);
                        free(text);
                }
                putchar('\n');
                return HW_EXIT_OK;
        }
        v = entry_field(fields, "summary");
        summary = hw_qout_utf8_repair(v ? v : "");
        if (!summary)
                return hw_qout_fail(HW_ERR_NOMEM, "");
        for (char *p = summary; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = ' ';
        v = entry_field(fields, "severity");
        printf("%-24s  %-8s  ", when, v ? v : "-");
        v = entry_field(fields, "rule");
        printf("%-14s  %s\n", v ? v : "-", summary);
        free(summary);
        return HW_EXIT_OK;
}

/* A stream entry reply [id, [field, value, ...]] is well formed. */
static int entry_ok(const redisReply *e) {
        return e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
               e->element[0]->type == REDIS_REPLY_STRING &&
               e->element[1]->type == REDIS_REPLY_ARRAY;
}

/* Waits for entries after *last_id and prints them, until a signal. */
static int follow(hw_query_t *q, const char *key, char *last_id,
                  size_t last_size) {
        struct sigaction sa = {.sa_handler = on_signal};
        char errstr[512];
        hw_err_t err;

        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        /* XREAD BLOCK holds the reply back for up to FOLLOW_BLOCK_MS. */
        hw_qdb_set_timeout(q->db, FOLLOW_BLOCK_MS + 10000);
        fflush(stdout);
        while (!stop_requested) {
                redisReply *r, *entries;
                if ((err = hw_qdb_command(q->db, &r, errstr, sizeof(errstr),
                                          "XREAD COUNT 100 BLOCK %d STREAMS "
                                          "%s %s",
                                          FOLLOW_BLOCK_MS, key, last_id)))
                        return hw_qout_fail(err, errstr);
                if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
                    r->element[0]->type != REDIS_REPLY_ARRAY ||
                    r->element[0]->elements != 2) {
                        freeReplyObject(r); /* nil: nothing new yet */
                        continue;
                }
                entries = r->element[0]->element[1];
                for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY &&
                                   i < entries->elements;
                     i++) {
                        const redisReply *e = entries->element[i];
                        if (!entry_ok(e))
                                continue;
                        print_alert(q, e->element[0]->str, e->element[1]);
                        snprintf(last_id, last_size, "%s", e->element[0]->str);
                }
                freeReplyObject(r);
                if (fflush(stdout) != 0)
                        return HW_EXIT_FAILURE; /* the reader went away */
        }
        return HW_EXIT_OK;
}

/* An alert of the listing: its entry, event time and stream id. */
typedef struct alert_pos_s {
        size_t i;
        int64_t event_time;
        uint64_t ms, seq;
} alert_pos_t;

static int by_event_time(const void *a, const void *b) {
        const alert_pos_t *x = a, *y = b;
        if (x->event_time != y->event_time)
                return x->event_time < y->event_time ? -1 : 1;
        if (x->ms != y->ms)
                return x->ms < y->ms ? -1 : 1;
        return (x->seq > y->seq) - (x->seq < y->seq);
}

int hw_query_alerts(hw_query_t *q) {
        char key[KEY_MAX], errstr[512], last_id[64] = "0-0";
        redisReply *r = NULL;
        json_t *doc = NULL;
        alert_pos_t *order;
        size_t n, n_order = 0;
        int rc = HW_EXIT_OK;
        hw_err_t err;

        snprintf(key, sizeof(key), "%salerts",
                 hw_config_alerts_prefix(&q->conf));
        if ((err = hw_qdb_command(q->db, &r, errstr, sizeof(errstr),
                                  "XREVRANGE %s + - COUNT %ld", key, q->count)))
                return hw_qout_fail(err, errstr);
        if (r->type != REDIS_REPLY_ARRAY) {
                freeReplyObject(r);
                return hw_qout_fail(HW_ERR_INTERNAL,
                                    "XREVRANGE: unexpected reply");
        }
        n = r->elements;
        if (q->json && !q->follow)
                doc = json_array();
        for (size_t c = 0; q->csv && c < N_ALERT_CSV; c++)
                printf("%s%s", alert_csv_columns[c],
                       c + 1 < N_ALERT_CSV ? "," : "\n");
        if (!(order = calloc(n + 1, sizeof(*order)))) {
                freeReplyObject(r);
                json_decref(doc);
                return hw_qout_fail(HW_ERR_NOMEM, "");
        }
        for (size_t i = 0; i < n; i++) {
                const redisReply *e = r->element[i];
                const char *v;
                if (!entry_ok(e))
                        continue;
                order[n_order].i = i;
                order[n_order].event_time = INT64_MAX; /* none: last */
                if ((v = entry_field(e->element[1], "event_time")))
                        hw_qdb_parse_int(v, &order[n_order].event_time);
                sscanf(e->element[0]->str, "%" SCNu64 "-%" SCNu64,
                       &order[n_order].ms, &order[n_order].seq);
                if (!n_order) /* XREVRANGE: the newest first */
                        snprintf(last_id, sizeof(last_id), "%s",
                                 e->element[0]->str);
                n_order++;
        }
        /* By event time, then as raised. */
        if (n_order > 1)
                qsort(order, n_order, sizeof(*order), by_event_time);
        for (size_t k = 0; k < n_order && rc == HW_EXIT_OK; k++) {
                const redisReply *e = r->element[order[k].i];
                if (doc) {
                        if (hw_qout_jpush(doc, alert_json(e->element[0]->str,
                                                          e->element[1]))) {
                                json_decref(doc);
                                doc = NULL;
                                rc = hw_qout_fail(HW_ERR_NOMEM, "");
                        }
                } else {
                        rc = print_alert(q, e->element[0]->str, e->element[1]);
                }
        }
        free(order);
        freeReplyObject(r);
        if (rc != HW_EXIT_OK)
                return rc;
        if (doc)
                return hw_qout_print_json(doc, JSON_INDENT(2));
        if (n == 0 && !q->json && !q->csv)
                printf(q->follow ? "no alerts yet; waiting for new ones\n"
                                 : "no alerts\n");
        if (!q->follow)
                return HW_EXIT_OK;
        /* An empty stream (or none yet): every entry that comes is new, so
         * reading after 0-0 misses none. */
        return follow(q, key, last_id, sizeof(last_id));
}

/* ------------------------------------------------------------------ */
/* person                                                              */
/* ------------------------------------------------------------------ */

int hw_query_person(hw_query_t *q) {
        static const char *const headers[] = {"field", "value"};
        char key[KEY_MAX], errstr[512], since[40], slug[512];
        size_t len = strlen(q->arg);
        redisReply *r = NULL;
        hw_arena_t arena;
        hw_person_t p;
        int rc = HW_EXIT_FAILURE, empty = 0;
        hw_err_t err;

        hw_arena_init(&arena);
        hw_qout_make_key(q, key, "persons:%u", hw_person_bucket(q->arg, len));
        if ((err = hw_qdb_command(q->db, &r, errstr, sizeof(errstr),
                                  "HGET %s %b", key, q->arg, len))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (r->type != REDIS_REPLY_STRING) {
                if ((err = hw_qout_check_empty(q, &empty, errstr,
                                               sizeof(errstr))))
                        rc = hw_qout_fail(err, errstr);
                else if (!empty)
                        fprintf(stderr,
                                HW_QUERY_PROG ": no person \"%s\" under prefix "
                                              "%s (the registry holds the "
                                              "persons whose hires moved "
                                              "them)\n",
                                q->arg, q->conf.prefix);
                goto cleanup;
        }
        if (hw_person_unpack(&arena, r->str, r->len, &p)) {
                fprintf(stderr,
                        HW_QUERY_PROG ": %s field \"%s\" is not a person "
                                      "record hirewire writes\n",
                        key, q->arg);
                goto cleanup;
        }
        hw_time_format_iso(p.at, since, sizeof(since));
        hw_slug(p.lab, slug, sizeof(slug));
        if (q->json) {
                json_t *o = json_object();
                int bad = hw_qout_jset(o, "person_id", hw_qout_jstr(q->arg)) ||
                          hw_qout_jset(o, "lab", hw_qout_jstr(p.lab)) ||
                          hw_qout_jset(o, "lab_slug", hw_qout_jstr(slug)) ||
                          hw_qout_jset(o, "since", hw_qout_jstr(since)) ||
                          hw_qout_jset(o, "since_ms", json_integer(p.at)) ||
                          hw_qout_jset(o, "origin", hw_qout_jstr(p.origin)) ||
                          hw_qout_jset(o, "nationality",
                                       hw_qout_jstr(p.nationality)) ||
                          hw_qout_jset(o, "alma_mater",
                                       hw_qout_jstr(p.alma_mater)) ||
                          hw_qout_jset(o, "tier", hw_qout_jstr(p.tier)) ||
                          hw_qout_jset(o, "event_id", hw_qout_jstr(p.event_id));
                if (bad) {
                        json_decref(o);
                        o = NULL;
                }
                rc = hw_qout_print_json(o, JSON_INDENT(2));
        } else {
                hw_table_t *t = hw_table_new(2, headers, NULL);
                const char *rows[][2] = {{"person", q->arg},
                                         {"lab", p.lab},
                                         {"lab slug", slug},
                                         {"since", since},
                                         {"from", p.origin},
                                         {"nationality", p.nationality},
                                         {"alma_mater", p.alma_mater},
                                         {"tier", p.tier},
                                         {"event", p.event_id}};
                int ok = t != NULL;
                for (size_t i = 0; ok && i < sizeof(rows) / sizeof(*rows); i++)
                        ok = !hw_table_add_row(t) &&
                             !hw_table_set(t, 0, "%s", rows[i][0]) &&
                             !hw_table_set(t, 1, "%s", rows[i][1]);
                rc = hw_qout_print_table(q, t, ok, "");
        }

cleanup:
        freeReplyObject(r);
        hw_arena_release(&arena);
        return rc;
}

/* ------------------------------------------------------------------ */
/* timeline                                                            */
/* ------------------------------------------------------------------ */

/* A day of the timeline: hires into the lab, hires out of the org. */
typedef struct tl_day_s {
        char day[16]; /* yyyy-mm-dd */
        int64_t in, out;
} tl_day_t;

/* What a bucket log's records add up to for the lab and the org. */
typedef struct tl_sum_s {
        const char *lab_x, *org_x; /* "lab:<slug>:hires ", ... */
        size_t lab_len, org_len;
        int64_t in, out;
} tl_sum_t;

static int tl_record(void *ctx, const char *name, size_t nlen, int64_t delta) {
        tl_sum_t *s = ctx;
        if (nlen > s->lab_len && !memcmp(name, s->lab_x, s->lab_len))
                s->in += delta;
        else if (nlen > s->org_len && !memcmp(name, s->org_x, s->org_len))
                s->out += delta;
        return 0;
}

int hw_query_timeline(hw_query_t *q) {
        static const hw_align_t aligns[] = {HW_ALIGN_LEFT, HW_ALIGN_RIGHT,
                                            HW_ALIGN_RIGHT};
        static const char *const headers[] = {"day", "hires in", "losses out"};
        const char *window = q->window ? q->window : LAB_WINDOW_DEFAULT;
        int64_t n_days = hw_query_window_days(window), last, wm = 0;
        char key[KEY_MAX], errstr[512], slug[512], lab_x[600], org_x[600];
        char lo[24], hi[24];
        redisReply *r = NULL, *days = NULL;
        tl_day_t *rows = NULL;
        tl_sum_t sum;
        size_t n_rows = 0;
        int64_t total_in = 0, total_out = 0;
        int rc = HW_EXIT_FAILURE, empty = 0, is_lab = 0, is_org = 0;
        hw_err_t err;

        if (n_days <= 0) {
                fprintf(stderr,
                        HW_QUERY_PROG ": timeline --window %s: a timeline "
                                      "is read from the daily buckets, kept "
                                      "for the largest window only; give a "
                                      "number of days (30d)\n",
                        window);
                return HW_EXIT_USAGE;
        }
        hw_slug(q->arg, slug, sizeof(slug));
        if ((err = hw_qout_check_empty(q, &empty, errstr, sizeof(errstr)))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (empty)
                goto cleanup;
        /* The lab (its hash) or the org (its losses ever). */
        hw_qout_make_key(q, key, "lab:%s", slug);
        if (!(err = hw_qdb_exists(q->db, key, &is_lab, errstr,
                                  sizeof(errstr)))) {
                hw_qout_make_key(q, key, "org:%s:losses:all", slug);
                err = hw_qdb_exists(q->db, key, &is_org, errstr,
                                    sizeof(errstr));
        }
        if (err) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (!is_lab && !is_org) {
                fprintf(stderr,
                        HW_QUERY_PROG ": no lab or organisation \"%s\" (slug "
                                      "%s) in Redis under prefix %s; try "
                                      "`hirewire-query labs`\n",
                        q->arg, slug, q->conf.prefix);
                goto cleanup;
        }
        /* The window's days by the watermark: D - N < d <= D. */
        hw_qout_make_key(q, key, "watermark");
        if ((err = hw_qdb_command(q->db, &r, errstr, sizeof(errstr), "GET %s",
                                  key))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (r->type == REDIS_REPLY_STRING)
                hw_qdb_parse_int(r->str, &wm);
        freeReplyObject(r);
        r = NULL;
        last = hw_time_day(wm);
        snprintf(lo, sizeof(lo), "%" PRId64, last - n_days + 1);
        snprintf(hi, sizeof(hi), "%" PRId64, last);
        hw_qout_make_key(q, key, "b:days");
        if ((err = hw_qdb_command(q->db, &days, errstr, sizeof(errstr),
                                  "ZRANGEBYSCORE %s %s %s", key, lo, hi))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (days->type != REDIS_REPLY_ARRAY) {
                rc = hw_qout_fail(HW_ERR_INTERNAL,
                                  "ZRANGEBYSCORE: unexpected reply");
                goto cleanup;
        }
        for (size_t i = 0; i < days->elements; i++) {
                hw_qout_make_key(q, key, "b:%s", days->element[i]->str);
                if ((err = hw_qdb_append(q->db, errstr, sizeof(errstr),
                                         "GET %s", key))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
        }
        if (!(rows = calloc(days->elements + 1, sizeof(*rows)))) {
                rc = hw_qout_fail(HW_ERR_NOMEM, "");
                goto cleanup;
        }
        snprintf(lab_x, sizeof(lab_x), "lab:%s:hires ", slug);
        snprintf(org_x, sizeof(org_x), "org:%s:losses ", slug);
        for (size_t i = 0; i < days->elements; i++) {
                const char *ymd = days->element[i]->str;
                if ((err = hw_qdb_reply(q->db, &r, errstr, sizeof(errstr)))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
                sum = (tl_sum_t){lab_x,         org_x, strlen(lab_x),
                                 strlen(org_x), 0,     0};
                if (r->type == REDIS_REPLY_STRING &&
                    hw_plan_log_each(r->str, r->len, tl_record, &sum)) {
                        fprintf(stderr,
                                HW_QUERY_PROG ": %sb:%s is not a bucket log "
                                              "hirewire writes\n",
                                q->conf.prefix, ymd);
                        goto cleanup;
                }
                freeReplyObject(r);
                r = NULL;
                if (!sum.in && !sum.out)
                        continue;
                /* yyyymmdd -> yyyy-mm-dd */
                snprintf(rows[n_rows].day, sizeof(rows[n_rows].day),
                         "%.4s-%.2s-%.2s", ymd, ymd + 4, ymd + 6);
                rows[n_rows].in = sum.in;
                rows[n_rows++].out = sum.out;
                total_in += sum.in;
                total_out += sum.out;
        }

        if (q->json) {
                json_t *doc = json_object(), *list = json_array();
                int bad =
                        hw_qout_jset(doc, "slug", hw_qout_jstr(slug)) ||
                        hw_qout_jset(doc, "window", hw_qout_jstr(window)) ||
                        hw_qout_jset(doc, "hires_in", json_integer(total_in)) ||
                        hw_qout_jset(doc, "losses_out",
                                     json_integer(total_out));
                for (size_t i = 0; !bad && i < n_rows; i++) {
                        json_t *o = json_object();
                        bad = hw_qout_jset(o, "day",
                                           hw_qout_jstr(rows[i].day)) ||
                              hw_qout_jset(o, "hires_in",
                                           json_integer(rows[i].in)) ||
                              hw_qout_jset(o, "losses_out",
                                           json_integer(rows[i].out));
                        bad = hw_qout_jpush_unless(list, o, bad);
                }
                doc = hw_qout_jattach(doc, "days", list, bad);
                rc = hw_qout_print_json(doc, JSON_INDENT(2));
        } else {
                hw_table_t *t = hw_table_new(3, headers, aligns);
                int ok = t != NULL;
                for (size_t i = 0; ok && i < n_rows; i++)
                        ok = !hw_table_add_row(t) &&
                             !hw_table_set(t, 0, "%s", rows[i].day) &&
                             !hw_table_set(t, 1, "%" PRId64, rows[i].in) &&
                             !hw_table_set(t, 2, "%" PRId64, rows[i].out);
                hw_qout_say(
                        q,
                        "%s: hires into the lab and out of the organisation "
                        "per day of event time, window %s (days with none "
                        "left out)\n",
                        slug, window);
                rc = hw_qout_print_table(q, t, ok, "");
                if (rc == HW_EXIT_OK)
                        hw_qout_say(q,
                                    "total: %" PRId64 " in, %" PRId64 " out\n",
                                    total_in, total_out);
        }

cleanup:
        freeReplyObject(r);
        freeReplyObject(days);
        free(rows);
        return rc;
}
