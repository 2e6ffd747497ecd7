/*
 * hirewire-query alerts: the alerts stream, as a table, JSON or CSV, by
 * event time or as raised, and --follow.
 */
#include "commands.h"

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
