/*
 * The hirewire-query commands that read Kafka besides Redis: `status`
 * (where each consumer group stands: its stored offsets against the end of
 * each partition, the watermark, the last atomic step) and `dlq` (the
 * latest rejected messages of the dead-letter topic, with the headers the
 * consumer gave them). Kafka is reached with -b/--brokers or
 * --bootstrap-file (or the config's brokers / bootstrap.file), by
 * assignment, outside any consumer group: nothing is committed.
 */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_kafka.h"
#include "hw_rebuild.h"
#include "hw_time.h"
#include "hw_validate.h"
#include "output.h"
#include "query.h"

#define KAFKA_TIMEOUT_MS 5000 /* each offsets query, the metadata */
#define DLQ_READ_MS 10000     /* reading the tail of the DLQ in all */

/* Whether the command line or the config names Kafka's brokers. */
static int kafka_given(const hw_query_t *q) {
        return q->conf.kafka.brokers || q->conf.kafka.bootstrap_file;
}

/* A consumer that joins no group (partitions assigned by hand, nothing
 * committed); NULL with errstr set when the config is wrong. */
static rd_kafka_t *kafka_open(const hw_query_t *q, char *errstr, size_t size) {
        rd_kafka_conf_t *conf = hw_kafka_conf_new(&q->conf.kafka, errstr, size);
        rd_kafka_t *rk;

        if (!conf)
                return NULL;
        /* librdkafka wants a group id to assign partitions; none is
         * joined (no subscribe) and nothing committed. */
        if (hw_kafka_conf_set(conf, "group.id", HW_QUERY_PROG, errstr, size) ||
            hw_kafka_conf_set(conf, "enable.auto.commit", "false", errstr,
                              size) ||
            hw_kafka_conf_set(conf, "enable.partition.eof", "true", errstr,
                              size)) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, size);
        if (!rk)
                rd_kafka_conf_destroy(conf);
        return rk; /* conf now owned by rk */
}

/* Sets each element's offset to the partition's end (at = -1) or first
 * offset (at = -2), in one query bounded by KAFKA_TIMEOUT_MS; an element
 * Kafka did not answer for keeps its err. HW_ERR_SERVICE when the query
 * failed. */
static hw_err_t offsets_at(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l,
                           int64_t at, char *errstr, size_t size) {
        rd_kafka_resp_err_t err;
        for (int i = 0; i < l->cnt; i++)
                l->elems[i].offset = at;
        err = rd_kafka_offsets_for_times(rk, l, KAFKA_TIMEOUT_MS);
        if (err)
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "Kafka: cannot read the %s offsets: %s",
                               at == RD_KAFKA_OFFSET_END ? "end" : "first",
                               rd_kafka_err2str(err));
        return HW_OK;
}

/* ------------------------------------------------------------------ */
/* status                                                              */
/* ------------------------------------------------------------------ */

/* A partition a group stored an offset for. */
typedef struct part_row_s {
        char *group, *topic;
        int32_t partition;
        int64_t offset;    /* next to read, as stored */
        int64_t end;       /* Kafka's end offset, -1 unknown */
        int at_end;        /* 1 at its end at the group's last step,
                                   0 behind, -1 not recorded */
        int64_t behind_ms; /* when a step recorded it behind */
} part_row_t;

typedef struct parts_s {
        part_row_t *a;
        size_t n, cap;
} parts_t;

static void parts_release(parts_t *p) {
        for (size_t i = 0; i < p->n; i++) {
                free(p->a[i].group);
                free(p->a[i].topic);
        }
        free(p->a);
}

static int by_group_part(const void *a, const void *b) {
        const part_row_t *x = a, *y = b;
        int c = strcmp(x->group, y->group);
        if (!c)
                c = strcmp(x->topic, y->topic);
        if (!c)
                c = (x->partition > y->partition) -
                    (x->partition < y->partition);
        return c;
}

/* Adds the row of key (a stored offset, "<group>:<topic>:<partition>"
 * after skip bytes) holding value; a key not of that shape is not one the
 * consumer writes, and skipped. HW_ERR_INTERNAL naming the key when value
 * is not an offset, HW_ERR_NOMEM. */
static hw_err_t add_part(parts_t *p, const char *key, size_t skip,
                         const char *value, char *errstr, size_t size) {
        const char *name = key + skip, *last = strrchr(name, ':'), *mid;
        int64_t partition, offset;
        char k[200], shown[200];
        part_row_t *r;

        if (!last || last == name)
                return HW_OK;
        for (mid = last - 1; mid > name && *mid != ':'; mid--)
                ;
        if (mid == name || hw_qdb_parse_int(last + 1, &partition) ||
            partition < 0 || partition > INT32_MAX)
                return HW_OK;
        if (hw_qdb_parse_int(value, &offset) || offset < 0)
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "%s: \"%s\" is not an offset",
                               hw_qdb_show(key, 120, k, sizeof(k)),
                               hw_qdb_show(value, 40, shown, sizeof(shown)));
        if (hw_grow((void **)&p->a, &p->cap, p->n + 1, sizeof(*p->a)))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        r = &p->a[p->n];
        memset(r, 0, sizeof(*r));
        r->group = strndup(name, (size_t)(mid - name));
        r->topic = strndup(mid + 1, (size_t)(last - mid - 1));
        if (!r->group || !r->topic) {
                free(r->group);
                free(r->topic);
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        }
        r->partition = (int32_t)partition;
        r->offset = offset;
        r->end = -1;
        r->at_end = -1;
        p->n++;
        return HW_OK;
}

/* Reads every stored offset under the prefix (SCAN, then the values of a
 * page of keys in one round trip). */
static hw_err_t read_parts(hw_query_t *q, parts_t *p, char *errstr,
                           size_t size) {
        char match[HW_QOUT_KEY_MAX], cursor[32] = "0";
        size_t skip = strlen(q->conf.prefix) + HW_KEY_LEN(HW_KEY_OFFSET_HEAD);
        hw_err_t err = HW_OK;

        hw_qout_match(q, HW_KEY_OFFSET_HEAD "*", match);
        do {
                redisReply *r = NULL, *v = NULL;
                if ((err = hw_qdb_command(q->db, &r, errstr, size,
                                          "SCAN %s MATCH %s COUNT 1000", cursor,
                                          match)))
                        break;
                if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
                        freeReplyObject(r);
                        break;
                }
                snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
                for (size_t i = 0; !err && i < r->element[1]->elements; i++) {
                        const redisReply *k = r->element[1]->element[i];
                        err = hw_qdb_append(q->db, errstr, size, "GET %b",
                                            k->str, (size_t)k->len);
                }
                for (size_t i = 0; !err && i < r->element[1]->elements; i++) {
                        const redisReply *k = r->element[1]->element[i];
                        if ((err = hw_qdb_reply(q->db, &v, errstr, size)))
                                break;
                        if (v->type == REDIS_REPLY_STRING && k->len > skip)
                                err = add_part(p, k->str, skip, v->str, errstr,
                                               size);
                        freeReplyObject(v);
                        v = NULL;
                }
                freeReplyObject(r);
        } while (!err && strcmp(cursor, "0"));
        if (!err && p->n > 1)
                qsort(p->a, p->n, sizeof(*p->a), by_group_part);
        return err;
}

/* Where each group's last steps left its partitions (<prefix>ends:<group>:
 * "<topic>:<partition>" -> 1 at the end, else the step's time), in one
 * round trip. */
static hw_err_t read_ends(hw_query_t *q, parts_t *p, char *errstr,
                          size_t size) {
        hw_err_t err = HW_OK;

        for (size_t i = 0; !err && i < p->n; i++) {
                char key[HW_QOUT_KEY_MAX], field[600];
                hw_keys_ends(key, sizeof(key), q->conf.prefix, p->a[i].group);
                snprintf(field, sizeof(field), "%s:%" PRId32, p->a[i].topic,
                         p->a[i].partition);
                err = hw_qdb_append(q->db, errstr, size, "HGET %s %s", key,
                                    field);
        }
        for (size_t i = 0; !err && i < p->n; i++) {
                redisReply *r = NULL;
                char key[HW_QOUT_KEY_MAX], k[200], shown[200];
                int64_t v;
                if ((err = hw_qdb_reply(q->db, &r, errstr, size)))
                        return err;
                if (r->type == REDIS_REPLY_STRING &&
                    !hw_qdb_parse_int(r->str, &v)) {
                        p->a[i].at_end = v == 1;
                        p->a[i].behind_ms = v == 1 ? 0 : v;
                } else if (r->type == REDIS_REPLY_STRING) {
                        hw_keys_ends(key, sizeof(key), q->conf.prefix,
                                     p->a[i].group);
                        err = hw_fail(
                                HW_ERR_INTERNAL, errstr, size,
                                "%s field \"%s:%" PRId32
                                "\": \"%s\" is neither 1 nor a time "
                                "in ms",
                                hw_qdb_show(key, 120, k, sizeof(k)),
                                p->a[i].topic, p->a[i].partition,
                                hw_qdb_show(r->str, 40, shown, sizeof(shown)));
                }
                freeReplyObject(r);
        }
        return err;
}

/* Kafka's end offset of every row's partition. */
static hw_err_t read_kafka_ends(hw_query_t *q, parts_t *p, char *errstr,
                                size_t size) {
        rd_kafka_t *rk = kafka_open(q, errstr, size);
        rd_kafka_topic_partition_list_t *l;
        hw_err_t err;

        if (!rk)
                return HW_ERR_ARG;
        l = rd_kafka_topic_partition_list_new((int)p->n + 1);
        for (size_t i = 0; i < p->n; i++)
                rd_kafka_topic_partition_list_add(l, p->a[i].topic,
                                                  p->a[i].partition);
        err = p->n ? offsets_at(rk, l, RD_KAFKA_OFFSET_END, errstr, size)
                   : HW_OK;
        for (size_t i = 0; !err && i < p->n; i++)
                if (!l->elems[i].err && l->elems[i].offset >= 0)
                        p->a[i].end = l->elems[i].offset;
        rd_kafka_topic_partition_list_destroy(l);
        rd_kafka_destroy(rk);
        return err;
}

/* The bookkeeping strings status shows, in the order MGET reads them:
 * the prefix's, then the lock of a replay of it. */
enum { S_WATERMARK, S_EPOCH, S_STEPS, S_STEPS_AT, S_LAYOUT, S_REPLAY, S_N };

static const char *const summary_names[S_REPLAY] = {
        HW_KEY_WATERMARK, HW_KEY_EPOCH, HW_KEY_STEPS, HW_KEY_STEPS_AT,
        HW_KEY_LAYOUT};

/* Reads the bookkeeping strings into *r (the caller's; NULL elements
 * where absent). HW_ERR_INTERNAL naming the key when one that holds a
 * number (all but the layout and the lock) holds something else. */
static hw_err_t read_summary(hw_query_t *q, redisReply **r, char *errstr,
                             size_t size) {
        char k[S_N][HW_QOUT_KEY_MAX], shown[200];
        hw_err_t err;
        int64_t v;

        for (size_t i = 0; i < S_REPLAY; i++)
                hw_keys_name(k[i], sizeof(k[i]), q->conf.prefix,
                             summary_names[i]);
        hw_keys_replay_lock(k[S_REPLAY], sizeof(k[S_REPLAY]), q->conf.prefix);
        if ((err = hw_qdb_command(q->db, r, errstr, size,
                                  "MGET %s %s %s %s %s %s", k[0], k[1], k[2],
                                  k[3], k[4], k[5])))
                return err;
        if ((*r)->type != REDIS_REPLY_ARRAY || (*r)->elements != S_N)
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "Redis at %s: MGET %s: unexpected reply",
                               hw_qdb_addr(q->db), k[0]);
        for (size_t i = 0; i < S_LAYOUT; i++) {
                const redisReply *e = (*r)->element[i];
                if (e->type == REDIS_REPLY_STRING &&
                    hw_qdb_parse_int(e->str, &v))
                        return hw_fail(
                                HW_ERR_INTERNAL, errstr, size,
                                "%s: \"%s\" is not %s", k[i],
                                hw_qdb_show(e->str, 40, shown, sizeof(shown)),
                                i == S_WATERMARK || i == S_STEPS_AT
                                        ? "a time in ms"
                                        : "a number");
        }
        return HW_OK;
}

/* Summary string i, or NULL where absent. */
static const char *mget_str(const redisReply *r, size_t i) {
        return r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str
                                                         : NULL;
}

/* An ISO time of a ms value held as text, or "-". */
static void iso_of(const char *ms, char *out, size_t size) {
        int64_t v;
        if (ms && !hw_qdb_parse_int(ms, &v))
                hw_time_format_iso(v, out, size);
        else
                snprintf(out, size, "-");
}

static json_t *jint_or_null(const char *s) {
        int64_t v;
        return s && !hw_qdb_parse_int(s, &v) ? json_integer(v) : json_null();
}

static json_t *jstr_or_null(const char *s) {
        return s ? hw_qout_jstr(s) : json_null();
}

/* {"pid", "staging_prefix"} of the replay running, or null. */
static json_t *replay_json(const hw_query_t *q, const char *lock) {
        char staging[HW_QOUT_KEY_MAX];
        json_t *o;

        if (!lock)
                return json_null();
        hw_keys_replay_prefix(staging, sizeof(staging), q->conf.prefix);
        o = json_object();
        if (hw_qout_jset(o, "pid", jint_or_null(lock)) ||
            hw_qout_jset(o, "staging_prefix", hw_qout_jstr(staging))) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static int status_json(const hw_query_t *q, const redisReply *sum,
                       const parts_t *p) {
        json_t *doc = json_object(), *arr = json_array();
        int bad = hw_qout_jset(doc, "watermark",
                               jint_or_null(mget_str(sum, S_WATERMARK))) ||
                  hw_qout_jset(doc, "epoch",
                               jstr_or_null(mget_str(sum, S_EPOCH))) ||
                  hw_qout_jset(doc, "steps",
                               jint_or_null(mget_str(sum, S_STEPS))) ||
                  hw_qout_jset(doc, "last_step",
                               jint_or_null(mget_str(sum, S_STEPS_AT))) ||
                  hw_qout_jset(doc, "layout",
                               jstr_or_null(mget_str(sum, S_LAYOUT))) ||
                  hw_qout_jset(doc, "layout_expected",
                               hw_qout_jstr(HW_STORE_LAYOUT)) ||
                  hw_qout_jset(doc, "replay",
                               replay_json(q, mget_str(sum, S_REPLAY)));
        for (size_t i = 0; !bad && i < p->n; i++) {
                const part_row_t *r = &p->a[i];
                json_t *o = json_object();
                int b = hw_qout_jset(o, "group", hw_qout_jstr(r->group)) ||
                        hw_qout_jset(o, "topic", hw_qout_jstr(r->topic)) ||
                        hw_qout_jset(o, "partition",
                                     json_integer(r->partition)) ||
                        hw_qout_jset(o, "offset", json_integer(r->offset)) ||
                        hw_qout_jset(o, "end",
                                     r->end >= 0 ? json_integer(r->end)
                                                 : json_null()) ||
                        hw_qout_jset(o, "lag",
                                     r->end >= 0
                                             ? json_integer(r->end - r->offset)
                                             : json_null()) ||
                        hw_qout_jset(o, "at_end",
                                     r->at_end < 0 ? json_null()
                                                   : json_boolean(r->at_end)) ||
                        hw_qout_jset(o, "behind_since",
                                     r->at_end == 0 ? json_integer(r->behind_ms)
                                                    : json_null());
                bad = hw_qout_jpush_unless(arr, o, b);
        }
        return hw_qout_print_json(hw_qout_jattach(doc, "partitions", arr, bad),
                                  JSON_INDENT(2));
}

/* The layout row: the version, and what to do when it is not this
 * version's. */
static void layout_text(const char *layout, char *out, size_t size) {
        if (!layout)
                snprintf(out, size, "-");
        else if (!strcmp(layout, HW_STORE_LAYOUT))
                snprintf(out, size, "%s", layout);
        else
                snprintf(out, size,
                         "%.40s (this version writes " HW_STORE_LAYOUT
                         "; rebuild with hirewire-consumer --replay --from "
                         "earliest)",
                         layout);
}

static int status_tables(hw_query_t *q, const redisReply *sum, const parts_t *p,
                         int kafka) {
        static const char *const sh[] = {"field", "value"};
        static const char *const ph[] = {
                "group", "topic", "partition", "offset", "end", "lag", "state"};
        static const hw_align_t pa[] = {
                HW_ALIGN_LEFT,  HW_ALIGN_LEFT,  HW_ALIGN_RIGHT, HW_ALIGN_RIGHT,
                HW_ALIGN_RIGHT, HW_ALIGN_RIGHT, HW_ALIGN_LEFT};
        const char *steps = mget_str(sum, S_STEPS);
        const char *epoch = mget_str(sum, S_EPOCH);
        const char *lock = mget_str(sum, S_REPLAY);
        char wm[40], last[40], layout[200], replay[HW_QOUT_KEY_MAX + 100];
        hw_table_t *t = hw_table_new(2, sh, NULL);
        int ok = t != NULL, rc;

        iso_of(mget_str(sum, S_WATERMARK), wm, sizeof(wm));
        iso_of(mget_str(sum, S_STEPS_AT), last, sizeof(last));
        layout_text(mget_str(sum, S_LAYOUT), layout, sizeof(layout));
        if (lock) {
                char staging[HW_QOUT_KEY_MAX];
                hw_keys_replay_prefix(staging, sizeof(staging), q->conf.prefix);
                snprintf(replay, sizeof(replay),
                         "running (pid %.20s), into prefix %s", lock, staging);
        } else {
                snprintf(replay, sizeof(replay), "-");
        }
        {
                const char *rows[][2] = {{"watermark", wm},
                                         {"last step", last},
                                         {"atomic steps", steps ? steps : "0"},
                                         {"epoch", epoch ? epoch : "-"},
                                         {"layout", layout},
                                         {"replay", replay}};
                for (size_t i = 0; ok && i < sizeof(rows) / sizeof(*rows); i++)
                        ok = !hw_table_add_row(t) &&
                             !hw_table_set(t, 0, "%s", rows[i][0]) &&
                             !hw_table_set(t, 1, "%s", rows[i][1]);
        }
        if ((rc = hw_qout_print_table(q, t, ok, "")) != HW_EXIT_OK)
                return rc;
        hw_qout_say(q, "\n");
        if (!p->n && !q->csv) {
                printf("partitions: no offsets stored under %s\n",
                       q->conf.prefix);
                return HW_EXIT_OK;
        }
        t = hw_table_new(7, ph, pa);
        ok = t != NULL;
        for (size_t i = 0; ok && i < p->n; i++) {
                const part_row_t *r = &p->a[i];
                char state[64];
                if (r->at_end == 1)
                        snprintf(state, sizeof(state), "at end");
                else if (r->at_end == 0) {
                        char since[40];
                        hw_time_format_iso(r->behind_ms, since, sizeof(since));
                        snprintf(state, sizeof(state), "behind at %s", since);
                } else
                        snprintf(state, sizeof(state), "-");
                ok = !hw_table_add_row(t) &&
                     !hw_table_set(t, 0, "%s", r->group) &&
                     !hw_table_set(t, 1, "%s", r->topic) &&
                     !hw_table_set(t, 2, "%" PRId32, r->partition) &&
                     !hw_table_set(t, 3, "%" PRId64, r->offset) &&
                     !(r->end >= 0 ? hw_table_set(t, 4, "%" PRId64, r->end)
                                   : hw_table_set(t, 4, "-")) &&
                     !(r->end >= 0 ? hw_table_set(t, 5, "%" PRId64,
                                                  r->end - r->offset)
                                   : hw_table_set(t, 5, "-")) &&
                     !hw_table_set(t, 6, "%s", state);
        }
        rc = hw_qout_print_table(q, t, ok, "");
        if (rc == HW_EXIT_OK && !kafka)
                hw_qout_say(q, "(end and lag: give --brokers or "
                               "--bootstrap-file)\n");
        return rc;
}

int hw_query_status(hw_query_t *q) {
        char errstr[512];
        redisReply *sum = NULL;
        parts_t p = {NULL, 0, 0};
        int rc = HW_EXIT_FAILURE, empty = 0;
        hw_err_t err;

        if ((err = read_summary(q, &sum, errstr, sizeof(errstr))) ||
            (err = read_parts(q, &p, errstr, sizeof(errstr))) ||
            (err = read_ends(q, &p, errstr, sizeof(errstr)))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        /* Nothing to show, unless a replay is building it. */
        if (!mget_str(sum, S_WATERMARK) && !p.n && !mget_str(sum, S_REPLAY)) {
                if ((err = hw_qout_check_empty(q, &empty, errstr,
                                               sizeof(errstr))) ||
                    empty) {
                        rc = hw_qout_fail(err ? err : HW_ERR_INTERNAL, errstr);
                        goto cleanup;
                }
        }
        if (kafka_given(q) &&
            (err = read_kafka_ends(q, &p, errstr, sizeof(errstr)))) {
                fprintf(stderr, HW_QUERY_PROG ": %s\n", errstr);
                rc = err == HW_ERR_SERVICE ? HW_EXIT_UNAVAILABLE
                                           : HW_EXIT_USAGE;
                goto cleanup;
        }
        rc = q->json ? status_json(q, sum, &p)
                     : status_tables(q, sum, &p, kafka_given(q));
cleanup:
        freeReplyObject(sum);
        parts_release(&p);
        return rc;
}

/* ------------------------------------------------------------------ */
/* dlq                                                                 */
/* ------------------------------------------------------------------ */

/* A dead letter: where it is, when, and what its headers say. */
typedef struct letter_s {
        int32_t partition;
        int64_t offset, ts;
        size_t bytes;
        char *error, *reason, *src_topic, *src_partition, *src_offset;
} letter_t;

typedef struct letters_s {
        letter_t *a;
        size_t n, cap;
} letters_t;

static void letters_release(letters_t *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->a[i].error);
                free(l->a[i].reason);
                free(l->a[i].src_topic);
                free(l->a[i].src_partition);
                free(l->a[i].src_offset);
        }
        free(l->a);
}

/* Oldest first; ties by partition and offset. */
static int by_time(const void *a, const void *b) {
        const letter_t *x = a, *y = b;
        if (x->ts != y->ts)
                return x->ts < y->ts ? -1 : 1;
        if (x->partition != y->partition)
                return x->partition < y->partition ? -1 : 1;
        return (x->offset > y->offset) - (x->offset < y->offset);
}

/* A copy of header name's value ("" when absent); NULL out of memory. */
static char *header(rd_kafka_headers_t *h, const char *name) {
        const void *v = NULL;
        size_t len = 0;
        if (!h || rd_kafka_header_get_last(h, name, &v, &len))
                return strdup("");
        return strndup(v, len);
}

static int add_letter(letters_t *l, rd_kafka_message_t *m) {
        rd_kafka_headers_t *h = NULL;
        rd_kafka_timestamp_type_t type;
        letter_t *e;

        if (hw_grow((void **)&l->a, &l->cap, l->n + 1, sizeof(*l->a)))
                return -1;
        rd_kafka_message_headers(m, &h);
        e = &l->a[l->n++];
        memset(e, 0, sizeof(*e));
        e->partition = m->partition;
        e->offset = m->offset;
        e->ts = rd_kafka_message_timestamp(m, &type);
        e->bytes = m->len;
        e->error = header(h, "hw.error");
        e->reason = header(h, "hw.reason");
        e->src_topic = header(h, "hw.src.topic");
        e->src_partition = header(h, "hw.src.partition");
        e->src_offset = header(h, "hw.src.offset");
        return e->error && e->reason && e->src_topic && e->src_partition &&
                               e->src_offset
                       ? 0
                       : -1;
}

/* Reads the last `count` messages of every partition of the topic (the
 * newest count of them all are among those). */
static hw_err_t read_letters(rd_kafka_t *rk, const char *topic, long count,
                             letters_t *out, char *errstr, size_t size) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_topic_partition_list_t *first = NULL, *end = NULL, *from;
        rd_kafka_resp_err_t kerr;
        hw_err_t err = HW_OK;
        size_t left = 0;
        int64_t until;

        if (!rkt)
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        kerr = rd_kafka_metadata(rk, 0, rkt, &md, KAFKA_TIMEOUT_MS);
        rd_kafka_topic_destroy(rkt);
        if (kerr || md->topic_cnt != 1) {
                if (md)
                        rd_kafka_metadata_destroy(md);
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "Kafka: no metadata for %s: %s", topic,
                               rd_kafka_err2str(kerr));
        }
        if (md->topics[0].err || !md->topics[0].partition_cnt) {
                err = hw_fail(HW_ERR_ARG, errstr, size,
                              "Kafka has no topic %s: %s", topic,
                              rd_kafka_err2str(md->topics[0].err));
                rd_kafka_metadata_destroy(md);
                return err;
        }
        first = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
        for (int i = 0; i < md->topics[0].partition_cnt; i++)
                rd_kafka_topic_partition_list_add(
                        first, topic, md->topics[0].partitions[i].id);
        rd_kafka_metadata_destroy(md);
        end = rd_kafka_topic_partition_list_copy(first);
        if ((err = offsets_at(rk, first, RD_KAFKA_OFFSET_BEGINNING, errstr,
                              size)) ||
            (err = offsets_at(rk, end, RD_KAFKA_OFFSET_END, errstr, size)))
                goto cleanup;
        from = rd_kafka_topic_partition_list_new(first->cnt);
        for (int i = 0; i < first->cnt; i++) {
                int64_t lo = first->elems[i].offset, hi = end->elems[i].offset;
                if (first->elems[i].err || end->elems[i].err || hi <= lo)
                        continue;
                rd_kafka_topic_partition_list_add(from, topic,
                                                  first->elems[i].partition)
                        ->offset = hi - count > lo ? hi - count : lo;
                left++;
        }
        if (left && (kerr = rd_kafka_assign(rk, from)))
                err = hw_fail(HW_ERR_SERVICE, errstr, size,
                              "Kafka: cannot read %s: %s", topic,
                              rd_kafka_err2str(kerr));
        rd_kafka_topic_partition_list_destroy(from);
        /* Each partition read to the end it had (its EOF event). */
        until = hw_now_ms() + DLQ_READ_MS;
        while (!err && left) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
                if (hw_now_ms() > until) {
                        err = hw_fail(HW_ERR_SERVICE, errstr, size,
                                      "Kafka: %s not read to its end within "
                                      "%d s",
                                      topic, DLQ_READ_MS / 1000);
                } else if (!m) {
                        continue;
                } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        left--;
                } else if (m->err) {
                        err = hw_fail(HW_ERR_SERVICE, errstr, size,
                                      "Kafka: reading %s: %s", topic,
                                      rd_kafka_message_errstr(m));
                } else if (add_letter(out, m)) {
                        err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                      "out of memory");
                }
                if (m)
                        rd_kafka_message_destroy(m);
        }
cleanup:
        rd_kafka_topic_partition_list_destroy(first);
        rd_kafka_topic_partition_list_destroy(end);
        return err;
}

static int dlq_json(const letters_t *l, size_t from) {
        json_t *arr = json_array();
        int bad = arr == NULL;
        for (size_t i = from; !bad && i < l->n; i++) {
                const letter_t *e = &l->a[i];
                json_t *o = json_object();
                int b = hw_qout_jset(o, "time", json_integer(e->ts)) ||
                        hw_qout_jset(o, "class", hw_qout_jstr(e->error)) ||
                        hw_qout_jset(o, "reason", hw_qout_jstr(e->reason)) ||
                        hw_qout_jset(o, "src_topic",
                                     hw_qout_jstr(e->src_topic)) ||
                        hw_qout_jset(o, "src_partition",
                                     hw_qout_jstr(e->src_partition)) ||
                        hw_qout_jset(o, "src_offset",
                                     hw_qout_jstr(e->src_offset)) ||
                        hw_qout_jset(o, "partition",
                                     json_integer(e->partition)) ||
                        hw_qout_jset(o, "offset", json_integer(e->offset)) ||
                        hw_qout_jset(o, "bytes",
                                     json_integer((json_int_t)e->bytes));
                bad = hw_qout_jpush_unless(arr, o, b);
        }
        if (bad) {
                json_decref(arr);
                arr = NULL;
        }
        return hw_qout_print_json(arr, JSON_INDENT(2));
}

static int dlq_table(hw_query_t *q, const letters_t *l, size_t from) {
        static const char *const h[] = {"time",   "class", "reason",
                                        "source", "dlq",   "bytes"};
        static const hw_align_t a[] = {HW_ALIGN_LEFT, HW_ALIGN_LEFT,
                                       HW_ALIGN_LEFT, HW_ALIGN_LEFT,
                                       HW_ALIGN_LEFT, HW_ALIGN_RIGHT};
        hw_table_t *t = hw_table_new(6, h, a);
        int ok = t != NULL;

        for (size_t i = from; ok && i < l->n; i++) {
                const letter_t *e = &l->a[i];
                char when[40];
                hw_time_format_iso(e->ts, when, sizeof(when));
                ok = !hw_table_add_row(t) && !hw_table_set(t, 0, "%s", when) &&
                     !hw_table_set(t, 1, "%s", e->error) &&
                     !hw_table_set(t, 2, "%s", e->reason) &&
                     !hw_table_set(t, 3, "%s/%s@%s", e->src_topic,
                                   e->src_partition, e->src_offset) &&
                     !hw_table_set(t, 4, "%" PRId32 "@%" PRId64, e->partition,
                                   e->offset) &&
                     !hw_table_set(t, 5, "%zu", e->bytes);
        }
        return hw_qout_print_table(q, t, ok, "");
}

int hw_query_dlq(hw_query_t *q) {
        char errstr[512];
        letters_t l = {NULL, 0, 0};
        rd_kafka_t *rk;
        size_t from;
        hw_err_t err;
        int rc;

        if (!kafka_given(q)) {
                fprintf(stderr, HW_QUERY_PROG ": dlq reads Kafka: give "
                                              "--brokers LIST or "
                                              "--bootstrap-file FILE\n");
                return HW_EXIT_USAGE;
        }
        if (!(rk = kafka_open(q, errstr, sizeof(errstr)))) {
                fprintf(stderr, HW_QUERY_PROG ": %s\n", errstr);
                return HW_EXIT_USAGE;
        }
        err = read_letters(rk, q->conf.topic_dlq, q->count, &l, errstr,
                           sizeof(errstr));
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        if (err) {
                fprintf(stderr, HW_QUERY_PROG ": %s\n", errstr);
                rc = err == HW_ERR_SERVICE ? HW_EXIT_UNAVAILABLE
                                           : HW_EXIT_FAILURE;
                letters_release(&l);
                return rc;
        }
        if (l.n > 1)
                qsort(l.a, l.n, sizeof(*l.a), by_time);
        from = l.n > (size_t)q->count ? l.n - (size_t)q->count : 0;
        if (q->json)
                rc = dlq_json(&l, from);
        else if (!l.n && !q->csv) {
                printf("no rejected messages in %s\n", q->conf.topic_dlq);
                rc = HW_EXIT_OK;
        } else
                rc = dlq_table(q, &l, from);
        letters_release(&l);
        return rc;
}
