/*
 * Out of memory in the wire codec (oom_fixtures.h): creating a codec,
 * decoding and encoding events and alerts, each with its first
 * allocation failing, then its second, and so on. A run that fails
 * returns HW_ERR_NOMEM (hw_codec_new: NULL and a message), leaves nothing
 * allocated once released, and the codec, event or alert it used gives,
 * used again, what a run that never failed gives.
 *
 * Only hirewire's allocations fail, not Avro C's own: Avro C 1.11 is not
 * safe when its allocator fails (avro_schema_from_json_length and
 * avro_value_read crash on the NULL, as routing avro_set_allocator
 * through the counters shows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "hw_alert.h"
#include "hw_buf.h"
#include "hw_codec.h"
#include "hw_event.h"
#include "hw_test.h"
#include "oom_fixtures.h"

/* ---- Creating a codec ---- */

typedef struct new_case_s {
        hw_codec_t *c;
} new_case_t;

static hw_err_t new_run(void *ctx, char *errstr, size_t size) {
        new_case_t *n = ctx;
        n->c = hw_codec_new(errstr, size);
        return n->c ? HW_OK : HW_ERR_NOMEM;
}

/* A codec that could not be made says why; one that was made works. */
static void new_check(void *ctx, hw_err_t err, unsigned long failed,
                      const char *errstr) {
        new_case_t *n = ctx;
        hw_event_t ev = full_hire(), out;
        hw_buf_t buf;
        (void)failed;
        if (err) {
                HW_CHECK(errstr[0] != '\0');
                return;
        }
        hw_buf_init(&buf);
        hw_event_init(&out);
        if (HW_CHECK_EQ_INT(hw_codec_encode(n->c, &ev, 0, &buf, NULL, 0),
                            HW_OK))
                HW_CHECK_EQ_INT(hw_codec_decode(n->c, buf.data, buf.len, NOW,
                                                &out, NULL, 0),
                                HW_OK);
        hw_event_release(&out);
        hw_buf_release(&buf);
}

static void new_teardown(void *ctx) {
        new_case_t *n = ctx;
        hw_codec_destroy(n->c);
        n->c = NULL;
}

/* 1. hw_codec_new: NULL and errstr, and nothing left allocated. */
static void test_codec_new(void) {
        new_case_t n = {NULL};
        hw_oom_case_t oc = {.what = "creating a codec",
                            .ctx = &n,
                            .run = new_run,
                            .check = new_check,
                            .teardown = new_teardown,
                            .expect = HW_ERR_NOMEM};
        HW_CHECK(hw_oom_loop(&oc) > 10);
}

/* ---- Events and alerts ---- */

/* One message and what the codec makes of it, in each direction. */
typedef struct msg_case_s {
        int alert;  /* an alert, else an event */
        int encode; /* the operation: encoding want, else decoding msg */
        hw_event_t want_ev, out_ev;
        int schema_id; /* of the event */
        hw_alert_t want_al, out_al;
        hw_buf_t msg;     /* want, encoded */
        hw_buf_t encoded; /* a run's */
} msg_case_t;

static hw_err_t msg_op(msg_case_t *m, char *errstr, size_t size) {
        if (m->alert)
                return m->encode ? hw_codec_encode_alert(g_codec, &m->want_al,
                                                         &m->encoded, errstr,
                                                         size)
                                 : hw_codec_decode_alert(g_codec, m->msg.data,
                                                         m->msg.len, &m->out_al,
                                                         errstr, size);
        return m->encode ? hw_codec_encode(g_codec, &m->want_ev, m->schema_id,
                                           &m->encoded, errstr, size)
                         : hw_codec_decode(g_codec, m->msg.data, m->msg.len,
                                           NOW, &m->out_ev, errstr, size);
}

/* A new event, alert and buffer each run: what the run allocates is
 * theirs. */
static void msg_setup(void *ctx) {
        msg_case_t *m = ctx;
        hw_event_init(&m->out_ev);
        hw_alert_init(&m->out_al);
        hw_buf_init(&m->encoded);
}

static hw_err_t msg_run(void *ctx, char *errstr, size_t size) {
        return msg_op(ctx, errstr, size);
}

static void msg_teardown(void *ctx) {
        msg_case_t *m = ctx;
        hw_event_release(&m->out_ev);
        hw_alert_release(&m->out_al);
        hw_buf_release(&m->encoded);
}

/* Done again after a failure, on the same codec, event, alert and
 * buffer: the bytes encoded are the message's, what is decoded is what
 * was encoded. */
static void msg_check(void *ctx, hw_err_t err, unsigned long failed,
                      const char *errstr) {
        msg_case_t *m = ctx;
        const hw_alert_t *got = &m->out_al, *want = &m->want_al;
        char again[256];
        (void)failed;
        if (err) {
                HW_CHECK_CONTAINS(errstr, "memory");
                if (!HW_CHECK_EQ_INT(msg_op(m, again, sizeof(again)), HW_OK))
                        return;
        }
        if (m->encode) {
                HW_CHECK(m->encoded.len == m->msg.len &&
                         !memcmp(m->encoded.data, m->msg.data, m->msg.len));
                return;
        }
        if (!m->alert) {
                check_event_equal(&m->out_ev, &m->want_ev, "decoded");
                return;
        }
        HW_CHECK_STR(got->alert_id, want->alert_id);
        HW_CHECK_STR(got->summary, want->summary);
        if (HW_CHECK_EQ_INT(got->n_event_ids, want->n_event_ids) &&
            HW_CHECK_EQ_INT(got->n_attributes, want->n_attributes)) {
                size_t last = want->n_event_ids - 1;
                HW_CHECK_STR(got->event_ids[last], want->event_ids[last]);
                HW_CHECK_STR(got->attributes[2].value,
                             want->attributes[2].value);
        }
}

/* Runs the loop on m's message: decoding it, then encoding it. */
static void msg_loops(msg_case_t *m, const char *what) {
        hw_oom_case_t oc = HW_OOM_CASE(what, m, msg);
        for (m->encode = 0; m->encode < 2; m->encode++)
                HW_CHECK(hw_oom_loop(&oc) > 0);
}

/* 2. Events of each schema decoded, then encoded. */
static void test_events(void) {
        static msg_case_t m;
        hw_event_t events[] = {full_hire(), null_hire(),
                               an_offer(HW_OFFER_ACCEPTED)};
        int schemas[] = {HW_SCHEMA_HIRE_V2, HW_SCHEMA_HIRE_V2,
                         HW_SCHEMA_OFFER_V1};

        for (size_t i = 0; i < sizeof(schemas) / sizeof(*schemas); i++) {
                memset(&m, 0, sizeof(m));
                m.want_ev = events[i];
                m.schema_id = schemas[i];
                hw_buf_init(&m.msg);
                if (HW_CHECK_EQ_INT(encode(&m.want_ev, m.schema_id, &m.msg),
                                    HW_OK))
                        msg_loops(&m, "an event");
                hw_buf_release(&m.msg);
        }
}

#define N_IDS 40

/* 3. An alert naming many events, decoded, then encoded. */
static void test_alerts(void) {
        static msg_case_t m;
        static const char *ids[N_IDS];
        static char id_text[N_IDS][32];
        static hw_alert_attr_t attrs[] = {{"lab", "Meta Superintelligence"},
                                          {"org", "Apple"},
                                          {"hires", "40"},
                                          {"days", "30"}};
        hw_alert_t *a = &m.want_al;

        memset(&m, 0, sizeof(m));
        m.alert = 1;
        for (int i = 0; i < N_IDS; i++) {
                snprintf(id_text[i], sizeof(id_text[i]), "hire-2025-%04d", i);
                ids[i] = id_text[i];
        }
        hw_alert_init(a);
        a->alert_id = "raid:apple:meta-superintelligence:20250715";
        a->rule = "raid";
        a->severity = HW_SEVERITY_CRITICAL;
        a->raised_at = NOW;
        a->event_time = NOW - 1000;
        a->subject = "Meta Superintelligence";
        a->summary = "40 hires from Apple in 30 days";
        a->event_ids = ids;
        a->n_event_ids = N_IDS;
        a->attributes = attrs;
        a->n_attributes = sizeof(attrs) / sizeof(*attrs);
        hw_buf_init(&m.msg);
        if (HW_CHECK_EQ_INT(hw_codec_encode_alert(g_codec, a, &m.msg, errstr,
                                                  sizeof(errstr)),
                            HW_OK))
                msg_loops(&m, "an alert");
        hw_buf_release(&m.msg);
}

/* What main set up, freed in an isolated test's child too (so valgrind
 * sees only what the test leaks). */
static void child_teardown(void) {
        hw_codec_destroy(g_codec);
        g_codec = NULL;
        free_strings();
}

static void run(void) {
        hw_test_state.child_teardown = child_teardown;
        HW_RUN_ISOLATED(test_codec_new);
        HW_RUN_ISOLATED(test_events);
        HW_RUN_ISOLATED(test_alerts);
}

int main(void) {
        return fixtures_main(run);
}
