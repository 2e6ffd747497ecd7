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
