/*
 * The commands of hirewire-query (commands.h lists their files): here lab
 * and labs. Each reads the keys of docs/redis-keys.md under the configured
 * prefix and prints a table, or one JSON document with --json (raw
 * counts; percentages and short dollar amounts are for people).
 */
#include "commands.h"

/* The composition hashes, in print order. */
static const struct {
        hw_keys_lab_t part; /* hw:lab:<slug>:<name> */
        const char *name;   /* JSON key */
        const char *label;  /* table header */
} lab_parts[] = {
        {HW_KEY_LAB_ORIGIN, "origin", "origin"},
        {HW_KEY_LAB_NATIONALITY, "nationality", "nationality"},
        {HW_KEY_LAB_ALMA_MATER, "alma_mater", "school"},
        {HW_KEY_LAB_TIER, "tier", "tier"},
};

#define N_LAB_PARTS (sizeof(lab_parts) / sizeof(*lab_parts))

/* <prefix>lab:<slug>:hires:<window> into key (KEY_MAX bytes; "" when it
 * does not fit). */
static void hires_key(const hw_query_t *q, char *key, const char *slug,
                      const char *window) {
        char family[KEY_MAX];
        if (!hw_keys_lab(family, sizeof(family), "", slug, HW_KEY_LAB_HIRES))
                family[0] = '\0';
        if (!family[0] ||
            !hw_keys_window(key, KEY_MAX, q->conf.prefix, family, window))
                key[0] = '\0';
}

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

/* What `lab` reads of one lab. */
typedef struct lab_read_s {
        const char *window;
        char slug[1024];
        char *name;
        int64_t members;
        hw_qitems_t parts[N_LAB_PARTS], hires_win, hires_all;
} lab_read_t;

static void lab_read_release(void *state) {
        lab_read_t *l = state;
        for (size_t i = 0; i < N_LAB_PARTS; i++)
                hw_qitems_release(&l->parts[i]);
        hw_qitems_release(&l->hires_win);
        hw_qitems_release(&l->hires_all);
        free(l->name);
        l->name = NULL;
}

/* The error of a lab that is not there: no data at all, or not this
 * lab. Returns -1. */
static int lab_missing(hw_query_t *q, const char *slug, hw_qerr_t *e) {
        if (!hw_qerr_no_data(q, e))
                hw_qerr_set(e, HW_EXIT_FAILURE, 1,
                            "no lab \"%s\" (slug %s) in Redis under prefix "
                            "%s; try `hirewire-query labs`",
                            q->arg, slug[0] ? slug : "\"\"", q->conf.prefix);
        return -1;
}

/*
 * The members of a lab as its hash holds them (reply: HMGET's element for
 * "members" of key) into *members, kept when the field is missing. 0, or
 * -1 with e filled when it is not a count.
 */
static int lab_members(const char *key, const redisReply *v, int64_t *members,
                       hw_qerr_t *e) {
        char k[200], shown[200];

        if (v->type != REDIS_REPLY_STRING || !hw_qdb_parse_int(v->str, members))
                return 0;
        hw_qerr_set(e, HW_EXIT_FAILURE, 0,
                    "%s field \"members\": \"%s\" is not a count",
                    hw_qdb_show(key, 120, k, sizeof(k)),
                    hw_qdb_show(v->str, 40, shown, sizeof(shown)));
        return -1;
}

/* Reads the lab named q->arg (its name or slug) into state (a
 * lab_read_t). 0, or -1 with e filled. */
static int lab_read(hw_query_t *q, void *state, hw_qerr_t *e) {
        char key[KEY_MAX], errstr[512];
        lab_read_t *l = state;
        redisReply *r = NULL;
        int rc = -1;
        hw_err_t err;

        l->window = q->window ? q->window : LAB_WINDOW_DEFAULT;
        if (hw_slug(q->arg, l->slug, sizeof(l->slug)) >= sizeof(l->slug) ||
            !l->slug[0])
                return lab_missing(q, l->slug, e);

        hw_keys_lab(key, sizeof(key), q->conf.prefix, l->slug, HW_KEY_LAB);
        if ((err = hw_qdb_command(q->db, &r, errstr, sizeof(errstr),
                                  "HMGET %s name members", key))) {
                hw_qerr_from(e, err, errstr);
                goto cleanup;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            (r->element[0]->type != REDIS_REPLY_STRING &&
             r->element[1]->type != REDIS_REPLY_STRING)) {
                lab_missing(q, l->slug, e);
                goto cleanup;
        }
        l->name = strdup(r->element[0]->type == REDIS_REPLY_STRING
                                 ? r->element[0]->str
                                 : l->slug);
        if (!l->name) {
                hw_qerr_from(e, HW_ERR_NOMEM, "");
                goto cleanup;
        }
        if (lab_members(key, r->element[1], &l->members, e))
                goto cleanup;

        for (size_t i = 0; i < N_LAB_PARTS + 2; i++) {
                hw_qitems_t *into = i < N_LAB_PARTS    ? &l->parts[i]
                                    : i == N_LAB_PARTS ? &l->hires_win
                                                       : &l->hires_all;
                if (i < N_LAB_PARTS)
                        hw_keys_lab(key, sizeof(key), q->conf.prefix, l->slug,
                                    lab_parts[i].part);
                else
                        hires_key(q, key, l->slug,
                                  i == N_LAB_PARTS ? l->window
                                                   : HW_KEY_WINDOW_ALL);
                if ((err = hw_qdb_hash_counts(q->db, key, into, errstr,
                                              sizeof(errstr)))) {
                        hw_qerr_from(e, err, errstr);
                        goto cleanup;
                }
                hw_qitems_sort_count(into);
        }
        rc = 0;
cleanup:
        freeReplyObject(r);
        return rc;
}

/* The `lab --json` document of what lab_read read; NULL when out of
 * memory. */
static json_t *lab_json(const hw_query_t *q, const void *state) {
        const lab_read_t *l = state;
        json_t *doc = json_object(), *hires = json_object();
        int bad = hw_qout_jset(doc, "slug", hw_qout_jstr(l->slug)) ||
                  hw_qout_jset(doc, "name", hw_qout_jstr(l->name)) ||
                  hw_qout_jset(doc, "members", json_integer(l->members));

        for (size_t i = 0; !bad && i < N_LAB_PARTS; i++)
                bad = hw_qout_jset(
                        doc, lab_parts[i].name,
                        hw_qout_jcounts(
                                &l->parts[i],
                                hw_qout_top_rows(q->top, 0, l->parts[i].n)));
        bad = bad ||
              hw_qout_jset(hires, l->window,
                           hw_qout_jcounts(&l->hires_win,
                                           hw_qout_top_rows(q->top, 0,
                                                            l->hires_win.n))) ||
              (strcmp(l->window, "all") &&
               hw_qout_jset(hires, "all",
                            hw_qout_jcounts(&l->hires_all,
                                            hw_qout_top_rows(q->top, 0,
                                                             l->hires_all.n))));
        return hw_qout_jattach(doc, "hires", hires, bad);
}

/* Prints the lab's tables: composition, then hires by origin. */
static int lab_print(hw_query_t *q, void *state) {
        const lab_read_t *l = state;
        char *name = hw_table_text(l->name), *slug = hw_table_text(l->slug);
        int rc = HW_EXIT_OK;

        if (!name || !slug) {
                free(name);
                free(slug);
                return hw_qout_fail(HW_ERR_NOMEM, "");
        }
        hw_qout_say(q, "%s (slug %s)\nmembers: %" PRId64 "\n", name, slug,
                    l->members);
        free(name);
        free(slug);
        for (size_t i = 0; rc == HW_EXIT_OK && i < N_LAB_PARTS; i++)
                rc = print_part(q, lab_parts[i].label, &l->parts[i], l->members,
                                hw_qout_top_rows(q->top, 0, l->parts[i].n));
        if (rc == HW_EXIT_OK)
                rc = print_hires(q, l->window, &l->hires_win, &l->hires_all);
        return rc;
}

static const hw_qcmd_t lab_cmd = {sizeof(lab_read_t), lab_read, lab_json,
                                  lab_print, lab_read_release};

json_t *hw_qdoc_lab(hw_query_t *q, hw_qerr_t *e) {
        return hw_qcmd_doc(&lab_cmd, q, e);
}

int hw_query_lab(hw_query_t *q) {
        return hw_qcmd_run(&lab_cmd, q);
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

/* What `labs` reads: every lab of hw:labs with its name and members,
 * most members first. */
typedef struct labs_read_s {
        hw_qitems_t labs;
        lab_row_t *rows; /* labs.n of them */
        int64_t total;
} labs_read_t;

static void labs_read_release(void *state) {
        labs_read_t *l = state;
        for (size_t i = 0; l->rows && i < l->labs.n; i++)
                free(l->rows[i].name);
        free(l->rows);
        hw_qitems_release(&l->labs);
}

/* Reads the labs into state (a zeroed labs_read_t): the ranking, then
 * the names and members of every lab, pipelined. 0, or -1 with e
 * filled. */
static int labs_read(hw_query_t *q, void *state, hw_qerr_t *e) {
        char key[KEY_MAX], errstr[512];
        labs_read_t *l = state;
        hw_err_t err;

        hw_keys_name(key, sizeof(key), q->conf.prefix, HW_KEY_LABS);
        if ((err = hw_qdb_zset(q->db, key, &l->labs, errstr, sizeof(errstr)))) {
                hw_qerr_from(e, err, errstr);
                return -1;
        }
        if (l->labs.n == 0 && hw_qerr_no_data(q, e))
                return -1;
        if (!(l->rows = calloc(l->labs.n + 1, sizeof(*l->rows)))) {
                hw_qerr_from(e, HW_ERR_NOMEM, "");
                return -1;
        }
        for (size_t i = 0; i < l->labs.n; i++) {
                hw_keys_lab(key, sizeof(key), q->conf.prefix,
                            l->labs.items[i].name, HW_KEY_LAB);
                if ((err = hw_qdb_append(q->db, errstr, sizeof(errstr),
                                         "HMGET %s name members", key))) {
                        hw_qerr_from(e, err, errstr);
                        return -1;
                }
        }
        for (size_t i = 0; i < l->labs.n; i++) {
                redisReply *r;
                const char *name = NULL;
                lab_row_t *row = &l->rows[i];
                row->slug = l->labs.items[i].name;
                row->members = l->labs.items[i].count;
                if ((err = hw_qdb_reply(q->db, &r, errstr, sizeof(errstr)))) {
                        hw_qerr_from(e, err, errstr);
                        return -1;
                }
                if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
                        hw_keys_lab(key, sizeof(key), q->conf.prefix, row->slug,
                                    HW_KEY_LAB);
                        if (lab_members(key, r->element[1], &row->members, e)) {
                                freeReplyObject(r);
                                return -1;
                        }
                        if (r->element[0]->type == REDIS_REPLY_STRING)
                                name = r->element[0]->str;
                }
                /* A lab without a name is shown by its slug. */
                row->name = strdup(name ? name : row->slug);
                freeReplyObject(r);
                if (!row->name) {
                        hw_qerr_from(e, HW_ERR_NOMEM, "");
                        return -1;
                }
                l->total += row->members;
        }
        if (l->labs.n > 1)
                qsort(l->rows, l->labs.n, sizeof(*l->rows), by_members);
        return 0;
}

/* The `labs --json` document: the first --top labs. */
static json_t *labs_json(const hw_query_t *q, const void *state) {
        const labs_read_t *l = state;
        size_t shown = hw_qout_top_rows(q->top, 0, l->labs.n);
        json_t *doc = json_array();

        for (size_t i = 0; doc && i < shown; i++) {
                json_t *o = json_object();
                if (hw_qout_jset(o, "slug", hw_qout_jstr(l->rows[i].slug)) ||
                    hw_qout_jset(o, "name", hw_qout_jstr(l->rows[i].name)) ||
                    hw_qout_jset(o, "members",
                                 json_integer(l->rows[i].members))) {
                        json_decref(o);
                        o = NULL;
                }
                hw_qout_jappend(&doc, o);
        }
        return doc;
}

/* Prints the labs ranking with each lab's share of all members. */
static int labs_print(hw_query_t *q, void *state) {
        static const hw_align_t aligns[] = {HW_ALIGN_RIGHT, HW_ALIGN_LEFT,
                                            HW_ALIGN_LEFT, HW_ALIGN_RIGHT,
                                            HW_ALIGN_RIGHT};
        static const char *const headers[] = {"#", "lab", "slug", "members",
                                              "share"};
        const labs_read_t *l = state;
        size_t shown = hw_qout_top_rows(q->top, 0, l->labs.n);
        hw_table_t *t;
        int rc, ok;

        if (l->labs.n == 0 && !q->csv) {
                printf("no labs\n");
                return HW_EXIT_OK;
        }
        t = hw_table_new(5, headers, aligns);
        ok = t != NULL;
        for (size_t i = 0; ok && i < shown; i++) {
                char pct[32];
                hw_table_percent(l->rows[i].members, l->total, pct,
                                 sizeof(pct));
                ok = !hw_table_add_row(t) &&
                     !hw_table_set(t, 0, "%zu", i + 1) &&
                     !hw_table_set(t, 1, "%s", l->rows[i].name) &&
                     !hw_table_set(t, 2, "%s", l->rows[i].slug) &&
                     !hw_table_set(t, 3, "%" PRId64, l->rows[i].members) &&
                     !hw_table_set(t, 4, "%s", pct);
        }
        rc = hw_qout_print_table(q, t, ok, "");
        if (rc == HW_EXIT_OK)
                hw_qout_say(q, "%zu labs, %" PRId64 " members%s\n", l->labs.n,
                            l->total,
                            shown < l->labs.n ? " (--top 0 shows all)" : "");
        return rc;
}

static const hw_qcmd_t labs_cmd = {sizeof(labs_read_t), labs_read, labs_json,
                                   labs_print, labs_read_release};

json_t *hw_qdoc_labs(hw_query_t *q, hw_qerr_t *e) {
        return hw_qcmd_doc(&labs_cmd, q, e);
}

int hw_query_labs(hw_query_t *q) {
        return hw_qcmd_run(&labs_cmd, q);
}

/* One (organisation, lab) pair of `moves`. */
typedef struct move_s {
        const char *from;
        const lab_row_t *lab;
        int64_t hires;
} move_t;

static int by_move(const void *a, const void *b) {
        const move_t *x = a, *y = b;
        int c;
        if (x->hires != y->hires)
                return x->hires > y->hires ? -1 : 1;
        if ((c = strcmp(x->from, y->from)))
                return c;
        return strcmp(x->lab->slug, y->lab->slug);
}

json_t *hw_qdoc_moves(hw_query_t *q, hw_qerr_t *e) {
        const char *window = q->window ? q->window : LAB_WINDOW_DEFAULT;
        char key[KEY_MAX], errstr[512];
        labs_read_t l;
        hw_qitems_t *hires = NULL;
        move_t *moves = NULL;
        size_t n = 0, cap = 0;
        json_t *doc = NULL, *list;
        int bad;
        hw_err_t err;

        memset(&l, 0, sizeof(l));
        if (labs_read(q, &l, e))
                goto cleanup;
        if (!(hires = calloc(l.labs.n + 1, sizeof(*hires)))) {
                hw_qerr_from(e, HW_ERR_NOMEM, "");
                goto cleanup;
        }
        for (size_t i = 0; i < l.labs.n; i++) {
                hires_key(q, key, l.rows[i].slug, window);
                if ((err = hw_qdb_hash_counts(q->db, key, &hires[i], errstr,
                                              sizeof(errstr)))) {
                        hw_qerr_from(e, err, errstr);
                        goto cleanup;
                }
                for (size_t j = 0; j < hires[i].n; j++) {
                        if (hw_grow((void **)&moves, &cap, n + 1,
                                    sizeof(*moves))) {
                                hw_qerr_from(e, HW_ERR_NOMEM, "");
                                goto cleanup;
                        }
                        moves[n++] =
                                (move_t){hires[i].items[j].name, &l.rows[i],
                                         hires[i].items[j].count};
                }
        }
        if (n > 1)
                qsort(moves, n, sizeof(*moves), by_move);
        doc = json_object();
        list = json_array();
        bad = hw_qout_jset(doc, "window", hw_qout_jstr(window));
        for (size_t i = 0; !bad && i < hw_qout_top_rows(q->top, 0, n); i++) {
                json_t *o = json_object();
                bad = hw_qout_jset(o, "from", hw_qout_jstr(moves[i].from)) ||
                      hw_qout_jset(o, "lab",
                                   hw_qout_jstr(moves[i].lab->name)) ||
                      hw_qout_jset(o, "slug",
                                   hw_qout_jstr(moves[i].lab->slug)) ||
                      hw_qout_jset(o, "hires", json_integer(moves[i].hires));
                bad = hw_qout_jpush_unless(list, o, bad);
        }
        if (!(doc = hw_qout_jattach(doc, "moves", list, bad)))
                hw_qerr_from(e, HW_ERR_NOMEM, "");
cleanup:
        for (size_t i = 0; hires && i < l.labs.n; i++)
                hw_qitems_release(&hires[i]);
        free(hires);
        free(moves);
        labs_read_release(&l);
        return doc;
}
