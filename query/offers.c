/*
 * hirewire-query offers: offers by organisation over a window (extended,
 * accepted, declined, withdrawn, extended USD).
 */
#include "commands.h"

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
        hw_keys_org(key, sizeof(key), q->conf.prefix, slug, HW_KEY_ORG);
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

/*
 * Collects the org slugs that have hw:org:<slug>:offers:<window>, with
 * SCAN (not KEYS: it does not block a busy server). Duplicates SCAN may
 * return are dropped.
 */
static hw_err_t scan_orgs(hw_query_t *q, const char *window, hw_qitems_t *orgs,
                          char *errstr, size_t size) {
        char pattern[KEY_MAX], family[64], name[KEY_MAX], cursor[32] = "0";
        size_t head_len, tail_len;
        const char *star;
        redisReply *r = NULL;
        hw_err_t err;

        /* The window key of the offers of the org "*": what precedes and
         * follows the slug. */
        if (!hw_keys_org(family, sizeof(family), "", "*", HW_KEY_ORG_OFFERS) ||
            !hw_keys_window(name, sizeof(name), "", family, window))
                return hw_fail(HW_ERR_ARG, errstr, size, "window %s too long",
                               window);
        hw_qout_match(q, name, pattern);
        star = strchr(name, '*');
        head_len = strlen(q->conf.prefix) + (size_t)(star - name);
        tail_len = strlen(star + 1);
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

/* What `offers` reads: a row per organisation with offers in the
 * window, largest extended value first. */
typedef struct offers_read_s {
        const char *window;
        hw_qitems_t orgs; /* the rows' slugs are theirs */
        offer_row_t *rows;
} offers_read_t;

static void offers_read_release(void *state) {
        offers_read_t *o = state;
        for (size_t i = 0; o->rows && i < o->orgs.n; i++)
                free(o->rows[i].name);
        free(o->rows);
        hw_qitems_release(&o->orgs);
}

/* Reads the offers of q's window into state (a zeroed offers_read_t).
 * 0, or -1 with e filled. */
static int offers_read(hw_query_t *q, void *state, hw_qerr_t *e) {
        char key[KEY_MAX], errstr[512];
        offers_read_t *o = state;
        hw_err_t err;

        o->window = q->window ? q->window : OFFERS_WINDOW_DEFAULT;
        if (hw_qerr_no_data(q, e))
                return -1;
        if ((err = scan_orgs(q, o->window, &o->orgs, errstr, sizeof(errstr)))) {
                hw_qerr_from(e, err, errstr);
                return -1;
        }
        if (!(o->rows = calloc(o->orgs.n + 1, sizeof(*o->rows)))) {
                hw_qerr_from(e, HW_ERR_NOMEM, "");
                return -1;
        }
        for (size_t i = 0; i < o->orgs.n; i++) {
                offer_row_t *row = &o->rows[i];
                hw_qitems_t fields;
                row->org = o->orgs.items[i].name;
                hw_qitems_init(&fields);
                char family[KEY_MAX];
                if (!hw_keys_org(family, sizeof(family), "", row->org,
                                 HW_KEY_ORG_OFFERS) ||
                    !hw_keys_window(key, sizeof(key), q->conf.prefix, family,
                                    o->window))
                        key[0] = '\0';
                err = hw_qdb_hash_counts(q->db, key, &fields, errstr,
                                         sizeof(errstr));
                for (size_t f = 0; !err && f < N_OFFER_FIELDS; f++) {
                        hw_qitem_t *it =
                                hw_qitems_find(&fields, offer_fields[f]);
                        row->v[f] = it ? it->count : 0;
                }
                hw_qitems_release(&fields);
                if (!err)
                        err = org_name(q, row->org, &row->name, errstr,
                                       sizeof(errstr));
                if (err) {
                        hw_qerr_from(e, err, errstr);
                        return -1;
                }
        }
        if (o->orgs.n > 1)
                qsort(o->rows, o->orgs.n, sizeof(*o->rows), by_usd);
        return 0;
}

/* The `offers --json` document: the window, the first --top
 * organisations. */
static json_t *offers_json(const hw_query_t *q, const void *state) {
        const offers_read_t *o = state;
        size_t shown = hw_qout_top_rows(q->top, 0, o->orgs.n);
        json_t *doc = json_object(), *list = json_array();
        int bad = hw_qout_jset(doc, "window", hw_qout_jstr(o->window));

        for (size_t i = 0; !bad && i < shown; i++) {
                const offer_row_t *row = &o->rows[i];
                json_t *obj = json_object();
                bad = hw_qout_jset(obj, "org", hw_qout_jstr(row->org)) ||
                      hw_qout_jset(obj, "name",
                                   row->name ? hw_qout_jstr(row->name)
                                             : json_null());
                for (size_t f = 0; !bad && f < N_OFFER_FIELDS; f++)
                        bad = hw_qout_jset(obj, offer_fields[f],
                                           json_integer(row->v[f]));
                bad = hw_qout_jpush_unless(list, obj, bad);
        }
        return hw_qout_jattach(doc, "orgs", list, bad);
}

/* Prints the offers table, dollars in short form (plain with --csv). */
static int offers_print(hw_query_t *q, void *state) {
        static const hw_align_t aligns[] = {
                HW_ALIGN_LEFT,  HW_ALIGN_RIGHT, HW_ALIGN_RIGHT, HW_ALIGN_RIGHT,
                HW_ALIGN_RIGHT, HW_ALIGN_RIGHT, HW_ALIGN_RIGHT};
        static const char *const headers[] = {
                "org",       "extended",     "accepted", "declined",
                "withdrawn", "extended_usd", "mega"};
        const offers_read_t *o = state;
        hw_table_t *t;
        size_t shown;
        int ok;

        if (o->orgs.n == 0 && !q->csv) {
                printf("no offers in window %s\n", o->window);
                return HW_EXIT_OK;
        }
        shown = hw_qout_top_rows(q->top, 0, o->orgs.n);
        t = hw_table_new(7, headers, aligns);
        ok = t != NULL;
        for (size_t i = 0; ok && i < shown; i++) {
                const offer_row_t *row = &o->rows[i];
                char usd[32];
                if (q->csv) /* the number, for spreadsheets */
                        snprintf(usd, sizeof(usd), "%" PRId64,
                                 row->v[OFFER_USD]);
                else
                        hw_table_money(row->v[OFFER_USD], usd, sizeof(usd));
                ok = !hw_table_add_row(t) &&
                     !hw_table_set(t, 0, "%s",
                                   row->name ? row->name : row->org);
                for (size_t f = 0; ok && f < N_OFFER_FIELDS; f++)
                        ok = f == OFFER_USD
                                     ? !hw_table_set(t, f + 1, "%s", usd)
                                     : !hw_table_set(t, f + 1, "%" PRId64,
                                                     row->v[f]);
        }
        hw_qout_say(q, "offers in window %s\n", o->window);
        return hw_qout_print_table(q, t, ok, "");
}

static const hw_qcmd_t offers_cmd = {sizeof(offers_read_t), offers_read,
                                     offers_json, offers_print,
                                     offers_read_release};

json_t *hw_qdoc_offers(hw_query_t *q, hw_qerr_t *e) {
        return hw_qcmd_doc(&offers_cmd, q, e);
}

int hw_query_offers(hw_query_t *q) {
        return hw_qcmd_run(&offers_cmd, q);
}
