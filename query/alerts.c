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
json_t *hw_qdoc_alert(const char *id, const redisReply *fields) {
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
                /* A value that is not what its field holds is shown as
                 * the text it is; memory running out is a failure. */
                if ((!strcmp(k, "event_time") || !strcmp(k, "raised_at")) &&
                    !hw_qdb_parse_int(v, &ms)) {
                        bad = !(jv = json_integer(ms));
                } else if (!strcmp(k, "event_ids") ||
                           !strcmp(k, "attributes")) {
                        hw_qout_jwatch();
                        jv = json_loads(v, JSON_DECODE_ANY, NULL);
                        bad = !jv && hw_qout_jfailed();
                }
                if (!jv && !bad)
                        jv = hw_qout_jstr(v);
                bad = bad || hw_qout_jset(o, k, jv);
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
 * with --csv; its texts as hw_table_text() makes them. */
static int print_alert(const hw_query_t *q, const char *id,
                       const redisReply *fields) {
        static const char *const line[] = {"severity", "rule", "summary"};
        const char *v;
        char when[40] = "-", *text[N_ALERT_CSV] = {NULL};
        int64_t ms;
        int rc = HW_EXIT_OK;

        if (q->json) {
                json_t *o = hw_qdoc_alert(id, fields);
                return hw_qout_print_json(o, JSON_COMPACT);
        }
        if ((v = entry_field(fields, "event_time")) &&
            !hw_qdb_parse_int(v, &ms))
                hw_time_format_iso(ms, when, sizeof(when));
        /* The CSV columns, or the line's severity, rule and summary. */
        for (size_t c = 0; c < (q->csv ? N_ALERT_CSV : 3); c++) {
                const char *name = q->csv ? alert_csv_columns[c] : line[c];
                v = q->csv && c == 0 ? when : entry_field(fields, name);
                /* A line shows a severity or rule missing as "-". */
                if (!(text[c] = hw_table_text(v                  ? v
                                              : q->csv || c == 2 ? ""
                                                                 : "-"))) {
                        rc = hw_qout_fail(HW_ERR_NOMEM, "");
                        goto cleanup;
                }
        }
        if (q->csv) {
                for (size_t c = 0; c < N_ALERT_CSV; c++) {
                        if (c)
                                putchar(',');
                        hw_csv_field(stdout, text[c]);
                }
                putchar('\n');
        } else {
                printf("%-24s  %-8s  %-14s  %s\n", when, text[0], text[1],
                       text[2]);
        }
cleanup:
        for (size_t c = 0; c < N_ALERT_CSV; c++)
                free(text[c]);
        return rc;
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

/* What `alerts` reads: the last --count entries of the stream, in the
 * order they are shown. */
typedef struct alerts_read_s {
        char key[KEY_MAX];
        char last_id[64]; /* the newest entry's id, "0-0" for none */
        redisReply *r;    /* XREVRANGE's reply */
        alert_pos_t *order;
        size_t n_order;
} alerts_read_t;

static void alerts_read_release(void *state) {
        alerts_read_t *a = state;
        free(a->order);
        freeReplyObject(a->r);
}

/* Reads the last q->count alerts into state (a zeroed alerts_read_t), by
 * event time, then as raised. 0, or -1 with e filled. */
static int alerts_read(hw_query_t *q, void *state, hw_qerr_t *e) {
        alerts_read_t *a = state;
        char errstr[512];
        hw_err_t err;

        snprintf(a->last_id, sizeof(a->last_id), "0-0");
        hw_keys_name(a->key, sizeof(a->key), hw_config_alerts_prefix(&q->conf),
                     HW_KEY_ALERTS);
        if ((err = hw_qdb_command(q->db, &a->r, errstr, sizeof(errstr),
                                  "XREVRANGE %s + - COUNT %ld", a->key,
                                  q->count))) {
                hw_qerr_from(e, err, errstr);
                return -1;
        }
        if (a->r->type != REDIS_REPLY_ARRAY) {
                hw_qerr_from(e, HW_ERR_INTERNAL, "XREVRANGE: unexpected reply");
                return -1;
        }
        if (!(a->order = calloc(a->r->elements + 1, sizeof(*a->order)))) {
                hw_qerr_from(e, HW_ERR_NOMEM, "");
                return -1;
        }
        for (size_t i = 0; i < a->r->elements; i++) {
                const redisReply *entry = a->r->element[i];
                alert_pos_t *pos = &a->order[a->n_order];
                const char *v;
                if (!entry_ok(entry))
                        continue;
                pos->i = i;
                pos->event_time = INT64_MAX; /* none: last */
                if ((v = entry_field(entry->element[1], "event_time")))
                        hw_qdb_parse_int(v, &pos->event_time);
                sscanf(entry->element[0]->str, "%" SCNu64 "-%" SCNu64, &pos->ms,
                       &pos->seq);
                if (!a->n_order) /* XREVRANGE: the newest first */
                        snprintf(a->last_id, sizeof(a->last_id), "%s",
                                 entry->element[0]->str);
                a->n_order++;
        }
        /* By event time, then as raised. */
        if (a->n_order > 1)
                qsort(a->order, a->n_order, sizeof(*a->order), by_event_time);
        return 0;
}

/* The `alerts --json` document: the alerts in the order read. */
static json_t *alerts_json(const hw_query_t *q, const void *state) {
        const alerts_read_t *a = state;
        json_t *doc = json_array();

        (void)q;
        for (size_t k = 0; doc && k < a->n_order; k++) {
                const redisReply *entry = a->r->element[a->order[k].i];
                hw_qout_jappend(&doc, hw_qdoc_alert(entry->element[0]->str,
                                                    entry->element[1]));
        }
        return doc;
}

/* Prints the alerts (a line, a CSV row or a JSON line each), then with
 * --follow the new ones as they come. */
static int alerts_print(hw_query_t *q, void *state) {
        alerts_read_t *a = state;
        int rc = HW_EXIT_OK;

        for (size_t c = 0; q->csv && c < N_ALERT_CSV; c++)
                printf("%s%s", alert_csv_columns[c],
                       c + 1 < N_ALERT_CSV ? "," : "\n");
        for (size_t k = 0; k < a->n_order && rc == HW_EXIT_OK; k++) {
                const redisReply *entry = a->r->element[a->order[k].i];
                rc = print_alert(q, entry->element[0]->str, entry->element[1]);
        }
        if (rc == HW_EXIT_OK && a->r->elements == 0 && !q->json && !q->csv)
                printf(q->follow ? "no alerts yet; waiting for new ones\n"
                                 : "no alerts\n");
        /* An empty stream (or none yet): every entry that comes is new, so
         * reading after 0-0 misses none. */
        if (rc == HW_EXIT_OK && q->follow)
                rc = follow(q, a->key, a->last_id, sizeof(a->last_id));
        return rc;
}

static const hw_qcmd_t alerts_cmd = {sizeof(alerts_read_t), alerts_read,
                                     alerts_json, alerts_print,
                                     alerts_read_release};

json_t *hw_qdoc_alerts(hw_query_t *q, hw_qerr_t *e) {
        return hw_qcmd_doc(&alerts_cmd, q, e);
}

int hw_query_alerts(hw_query_t *q) {
        return hw_qcmd_run(&alerts_cmd, q);
}
