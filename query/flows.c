/*
 * hirewire-query flows: each country's flow in, out and net over a window
 * and its AI talent index, ranked within a country group.
 */
#include "commands.h"

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
        if (hw_grow((void **)rows, cap, *n + 1, sizeof(**rows)))
                return NULL;
        (*rows)[*n] = (flow_row_t){.country = country};
        return &(*rows)[(*n)++];
}

/* Windows by their days (all last), other names alphabetically. */
static int cmp_item_name(const void *a, const void *b) {
        const char *x = ((const hw_qitem_t *)a)->name;
        const char *y = ((const hw_qitem_t *)b)->name;
        long dx = strcmp(x, HW_KEY_WINDOW_ALL) ? strtol(x, NULL, 10) : LONG_MAX;
        long dy = strcmp(y, HW_KEY_WINDOW_ALL) ? strtol(y, NULL, 10) : LONG_MAX;
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
                                    !hw_qitems_find(names, name) &&
                                    hw_qitems_add(names, name, 0, 0)) {
                                        err = hw_fail(HW_ERR_NOMEM, errstr,
                                                      errsize, "out of memory");
                                        break;
                                }
                        }
                } else {
                        snprintf(cursor, sizeof(cursor), "0");
                }
                freeReplyObject(r);
        } while (!err && strcmp(cursor, "0"));
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
        for (size_t i = 0, n = 0; i < names.n && n < size; i++) {
                char shown[200];
                n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "",
                                      hw_qdb_show(names.items[i].name, 40,
                                                  shown, sizeof(shown)));
        }
        hw_qitems_release(&names);
        return err;
}

/* The usage error for a name Redis holds nothing for: `what`, then the
 * names it does hold (known_names of patterns) as "(<kind>: a, b)", in e
 * (exit 2, or the Redis error's). Returns -1. */
static int no_such(hw_query_t *q, const char *what, const char *kind,
                   const char *const *patterns, hw_qerr_t *e) {
        char known[512], errstr[512];
        hw_err_t err = known_names(q, patterns, known, sizeof(known), errstr,
                                   sizeof(errstr));
        if (err)
                hw_qerr_from(e, err, errstr);
        else
                hw_qerr_set(e, HW_EXIT_USAGE, 0, "%s (%s: %s)", what, kind,
                            known);
        return -1;
}

/* What `flows` reads: a row per country with a flow in the window, by
 * net, and the group its ranks are in. */
typedef struct flows_read_s {
        const char *window, *group;
        hw_qitems_t in, out, net, index; /* the rows' names are theirs */
        flow_row_t *rows;
        size_t n, cap;
        int64_t group_size;
} flows_read_t;

static void flows_read_release(void *state) {
        flows_read_t *f = state;
        free(f->rows);
        hw_qitems_release(&f->in);
        hw_qitems_release(&f->out);
        hw_qitems_release(&f->net);
        hw_qitems_release(&f->index);
}

/* Ranks: ZREVRANK of each country in the group gkey (pipelined), out of
 * ZCARD. */
static hw_err_t read_ranks(hw_query_t *q, flows_read_t *f, const char *gkey,
                           char *errstr, size_t size) {
        redisReply *r = NULL;
        hw_err_t err;

        for (size_t i = 0; i < f->n; i++)
                if ((err = hw_qdb_append(q->db, errstr, size, "ZREVRANK %s %s",
                                         gkey, f->rows[i].country)))
                        return err;
        for (size_t i = 0; i < f->n; i++) {
                if ((err = hw_qdb_reply(q->db, &r, errstr, size)))
                        return err;
                if (r->type == REDIS_REPLY_INTEGER)
                        f->rows[i].rank = r->integer + 1;
                freeReplyObject(r);
        }
        if ((err = hw_qdb_command(q->db, &r, errstr, size, "ZCARD %s", gkey)))
                return err;
        f->group_size = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
        freeReplyObject(r);
        return HW_OK;
}

/* Reads the flows of q's window into state (a zeroed flows_read_t). 0,
 * or -1 with e filled. */
static int flows_read(hw_query_t *q, void *state, hw_qerr_t *e) {
        char key[KEY_MAX], gkey[KEY_MAX], errstr[512];
        flows_read_t *f = state;
        int exists = 0;
        hw_err_t err;

        f->window = q->window ? q->window : FLOWS_WINDOW_DEFAULT;
        f->group = q->group;
        if (hw_qerr_no_data(q, e))
                return -1;

        hw_keys_window(key, sizeof(key), q->conf.prefix, HW_KEY_FLOW_IN,
                       f->window);
        err = hw_qdb_hash_counts(q->db, key, &f->in, errstr, sizeof(errstr));
        hw_keys_window(key, sizeof(key), q->conf.prefix, HW_KEY_FLOW_OUT,
                       f->window);
        if (!err)
                err = hw_qdb_hash_counts(q->db, key, &f->out, errstr,
                                         sizeof(errstr));
        hw_keys_flow_net(key, sizeof(key), q->conf.prefix, f->window);
        if (!err)
                err = hw_qdb_zset(q->db, key, &f->net, errstr, sizeof(errstr));
        hw_keys_flow_index(key, sizeof(key), q->conf.prefix, f->window, NULL);
        if (!err)
                err = hw_qdb_zset(q->db, key, &f->index, errstr,
                                  sizeof(errstr));
        if (err) {
                hw_qerr_from(e, err, errstr);
                return -1;
        }
        /* A window the consumer does not keep (Redis holds no empty key):
         * say which it does. */
        if (!f->index.n && !f->net.n) {
                char index[64], net[64];
                const char *windows[] = {index, net, NULL};
                hw_keys_flow_index(index, sizeof(index), "", "*", NULL);
                hw_keys_flow_net(net, sizeof(net), "", "*");
                snprintf(key, sizeof(key),
                         "flows --window %s: no such window under prefix %s",
                         f->window, q->conf.prefix);
                return no_such(q, key, "windows", windows, e);
        }

        /* The group: as asked, else oecd when the window has it. */
        hw_keys_flow_index(gkey, sizeof(gkey), q->conf.prefix, f->window,
                           f->group ? f->group : DEFAULT_GROUP);
        if ((err = hw_qdb_exists(q->db, gkey, &exists, errstr,
                                 sizeof(errstr)))) {
                hw_qerr_from(e, err, errstr);
                return -1;
        }
        if (!f->group && exists) {
                f->group = DEFAULT_GROUP;
        } else if (f->group && !exists) {
                char pattern[KEY_MAX];
                const char *patterns[] = {pattern, NULL};
                hw_keys_flow_index(pattern, sizeof(pattern), "", f->window,
                                   "*");
                snprintf(key, sizeof(key),
                         "flows --group %s: no such group in window %s",
                         f->group, f->window);
                return no_such(q, key, "groups", patterns, e);
        }

        /* Every country with a flow in the window (countries with a base
         * but no flow are in the index at 0: they count in ranks only). */
        {
                const hw_qitems_t *lists[] = {&f->in, &f->out, &f->net};
                for (size_t l = 0; l < 3; l++)
                        for (size_t i = 0; i < lists[l]->n; i++)
                                if (!flow_row(&f->rows, &f->n, &f->cap,
                                              lists[l]->items[i].name)) {
                                        hw_qerr_from(e, HW_ERR_NOMEM, "");
                                        return -1;
                                }
        }
        for (size_t i = 0; i < f->n; i++) {
                flow_row_t *row = &f->rows[i];
                hw_qitem_t *it;
                if ((it = hw_qitems_find(&f->in, row->country)))
                        row->in = it->count;
                if ((it = hw_qitems_find(&f->out, row->country)))
                        row->out = it->count;
                it = hw_qitems_find(&f->net, row->country);
                row->net = it ? it->count : row->in - row->out;
                if ((it = hw_qitems_find(&f->index, row->country))) {
                        row->has_index = 1;
                        row->index = it->score;
                }
        }
        if (f->group && exists &&
            (err = read_ranks(q, f, gkey, errstr, sizeof(errstr)))) {
                hw_qerr_from(e, err, errstr);
                return -1;
        }
        if (f->n > 1)
                qsort(f->rows, f->n, sizeof(*f->rows), by_net);
        return 0;
}

/* The `flows --json` document: the window, the group, the first --top
 * countries. */
static json_t *flows_json(const hw_query_t *q, const void *state) {
        const flows_read_t *f = state;
        size_t shown = hw_qout_top_rows(q->top, 0, f->n);
        json_t *doc = json_object(), *countries = json_array();
        int bad =
                hw_qout_jset(doc, "window", hw_qout_jstr(f->window)) ||
                hw_qout_jset(doc, "group",
                             f->group ? hw_qout_jstr(f->group) : json_null()) ||
                hw_qout_jset(doc, "group_size",
                             f->group ? json_integer(f->group_size)
                                      : json_null());
        for (size_t i = 0; !bad && i < shown; i++) {
                const flow_row_t *row = &f->rows[i];
                json_t *o = json_object();
                bad = hw_qout_jset(o, "country", hw_qout_jstr(row->country)) ||
                      hw_qout_jset(o, "in", json_integer(row->in)) ||
                      hw_qout_jset(o, "out", json_integer(row->out)) ||
                      hw_qout_jset(o, "net", json_integer(row->net)) ||
                      hw_qout_jset(o, "index",
                                   row->has_index ? json_real(row->index)
                                                  : json_null()) ||
                      hw_qout_jset(o, "rank",
                                   row->rank ? json_integer(row->rank)
                                             : json_null());
                bad = hw_qout_jpush_unless(countries, o, bad);
        }
        return hw_qout_jattach(doc, "countries", countries, bad);
}

/* Prints the flows table, ranks in the group when there is one. */
static int flows_print(hw_query_t *q, void *state) {
        static const hw_align_t aligns[] = {HW_ALIGN_LEFT,  HW_ALIGN_RIGHT,
                                            HW_ALIGN_RIGHT, HW_ALIGN_RIGHT,
                                            HW_ALIGN_RIGHT, HW_ALIGN_RIGHT};
        char rank_header[64];
        const char *headers[] = {"country", "in",    "out",
                                 "net",     "index", rank_header};
        const flows_read_t *f = state;
        hw_table_t *t;
        size_t shown;
        int ok;

        if (f->n == 0 && !q->csv) {
                printf("no flows in window %s\n", f->window);
                return HW_EXIT_OK;
        }
        shown = hw_qout_top_rows(q->top, 0, f->n);
        snprintf(rank_header, sizeof(rank_header), "rank %s",
                 f->group ? f->group : "");
        t = hw_table_new(f->group ? 6 : 5, headers, aligns);
        ok = t != NULL;
        for (size_t i = 0; ok && i < shown; i++) {
                const flow_row_t *row = &f->rows[i];
                ok = !hw_table_add_row(t) &&
                     !hw_table_set(t, 0, "%s", row->country) &&
                     !hw_table_set(t, 1, "%" PRId64, row->in) &&
                     !hw_table_set(t, 2, "%" PRId64, row->out) &&
                     !hw_table_set(t, 3, "%+" PRId64, row->net) &&
                     (row->has_index
                              ? !hw_table_set(t, 4, "%+.2f", row->index)
                              : !hw_table_set(t, 4, "%s", q->csv ? "" : "-"));
                if (ok && f->group)
                        /* CSV: the rank alone ("3/38" reads as a date in
                         * spreadsheets). */
                        ok = !row->rank ? !hw_table_set(t, 5, "%s",
                                                        q->csv ? "" : "-")
                             : q->csv   ? !hw_table_set(t, 5, "%" PRId64,
                                                        row->rank)
                                        : !hw_table_set(t, 5,
                                                        "%" PRId64 "/%" PRId64,
                                                        row->rank, f->group_size);
        }
        hw_qout_say(q,
                    "flows in window %s (index: net moves per 10,000 AI "
                    "talent)\n",
                    f->window);
        return hw_qout_print_table(q, t, ok, "");
}

static const hw_qcmd_t flows_cmd = {sizeof(flows_read_t), flows_read,
                                    flows_json, flows_print,
                                    flows_read_release};

json_t *hw_qdoc_flows(hw_query_t *q, hw_qerr_t *e) {
        return hw_qcmd_doc(&flows_cmd, q, e);
}

int hw_query_flows(hw_query_t *q) {
        return hw_qcmd_run(&flows_cmd, q);
}
