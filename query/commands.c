/*
 * The commands of hirewire-query (commands.h lists their files): here lab
 * and labs. Each reads the keys of docs/redis-keys.md under the configured
 * prefix and prints a table, or one JSON document with --json (raw
 * counts; percentages and short dollar amounts are for people).
 */
#include "commands.h"

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
