/* Unit tests of the wire codec on alerts: round trips, hostile input. */
/*
 * Alert decoding can crash the process, so every test here runs in a
 * child process (HW_RUN_ISOLATED).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_fixtures.h"
#include "fixtures.h"
#include "hw_alert.h"
#include "hw_buf.h"
#include "hw_codec.h"
#include "hw_err.h"
#include "hw_event.h"
#include "hw_test.h"
#include "hw_time.h"
#include "hw_validate.h"

static void check_alert_equal(const hw_alert_t *got, const hw_alert_t *want) {
        HW_CHECK_STR(got->alert_id, want->alert_id);
        HW_CHECK_STR(got->rule, want->rule);
        HW_CHECK_EQ_INT(got->severity, want->severity);
        HW_CHECK_EQ_INT(got->raised_at, want->raised_at);
        HW_CHECK_EQ_INT(got->event_time, want->event_time);
        HW_CHECK_STR(got->subject, want->subject);
        HW_CHECK_STR(got->summary, want->summary);
        if (HW_CHECK_EQ_INT(got->n_event_ids, want->n_event_ids))
                for (size_t i = 0; i < want->n_event_ids; i++)
                        HW_CHECK_STR(got->event_ids[i], want->event_ids[i]);
        if (!HW_CHECK_EQ_INT(got->n_attributes, want->n_attributes))
                return;
        /* A map: compare by key, whatever the order. */
        for (size_t i = 0; i < want->n_attributes; i++) {
                const char *value = NULL;
                int found = 0;
                for (size_t k = 0; k < got->n_attributes; k++)
                        if (got->attributes[k].key &&
                            !strcmp(got->attributes[k].key,
                                    want->attributes[i].key)) {
                                found++;
                                value = got->attributes[k].value;
                        }
                HW_CONTEXT("attribute %s", want->attributes[i].key);
                HW_CHECK_EQ_INT(found, 1);
                HW_CHECK_STR(value, want->attributes[i].value);
        }
        HW_CONTEXT("%s", "");
}

static void test_roundtrip_alert(void) {
        static const char *ids[] = {"hire-1", "hire-2", "hire-3",
                                    "hire-4 \xEC\x95\x88"};
        static hw_alert_attr_t attrs[] = {
                {"org", "Apple"},
                {"lab", "Meta Superintelligence Labs"},
                {"count", "4"},
                {"名前", "Université de Montréal"},
        };
        hw_alert_t a, out;
        hw_buf_t buf;
        wbuf_t hand;
        hw_event_t ev;

        hw_alert_init(&a);
        hw_alert_init(&out);
        hw_event_init(&ev);
        hw_buf_init(&buf);
        a.alert_id = "raid:apple:meta-superintelligence-labs:20250715";
        a.rule = "raid";
        a.severity = HW_SEVERITY_WARN;
        a.raised_at = NOW + 5;
        a.event_time = T_JUNE15_10;
        a.subject = "Apple → Meta Superintelligence Labs";
        a.summary = "Apple lost a fourth researcher to Meta this month";
        a.event_ids = ids;
        a.n_event_ids = 4;
        a.attributes = attrs;
        a.n_attributes = 4;

        errstr[0] = '\0';
        if (!CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &buf, errstr,
                                             sizeof(errstr)),
                       HW_OK))
                goto done;
        HW_CHECK(buf.len > 5);
        HW_CHECK_EQ_INT(buf.data[0], 0);
        HW_CHECK_EQ_INT(buf.data[1], 0);
        HW_CHECK_EQ_INT(buf.data[2], 0);
        HW_CHECK_EQ_INT(buf.data[3], 0);
        HW_CHECK_EQ_INT(buf.data[4], 4);
        if (CHECK_ERR(hw_codec_decode_alert(g_codec, buf.data, buf.len, &out,
                                            errstr, sizeof(errstr)),
                      HW_OK))
                check_alert_equal(&out, &a);

        /* An alert is not an event. */
        CHECK_ERR(decode(buf.data, buf.len, &ev), HW_ERR_UNKNOWN_SCHEMA);

        /* Hand-built: CRITICAL, 2 ids, 1 attribute in two map blocks
         * (the second with a negative count and a byte size). */
        hand.n = 0;
        w_header(&hand, 4);
        w_str(&hand, "mega_offer:o-1");
        w_str(&hand, "mega_offer");
        w_long(&hand, 2);
        w_long(&hand, NOW);
        w_long(&hand, T_JUNE15_10);
        w_str(&hand, "Meta");
        w_str(&hand, "$200M");
        w_long(&hand, 2);
        w_str(&hand, "o-1");
        w_str(&hand, "o-2");
        w_long(&hand, 0);
        w_long(&hand, 1);
        w_str(&hand, "k1");
        w_str(&hand, "v1");
        w_long(&hand, -1);
        w_long(&hand, 6);
        w_str(&hand, "k2");
        w_str(&hand, "v2");
        w_long(&hand, 0);
        if (CHECK_ERR(hw_codec_decode_alert(g_codec, hand.d, hand.n, &out,
                                            errstr, sizeof(errstr)),
                      HW_OK)) {
                HW_CHECK_STR(out.alert_id, "mega_offer:o-1");
                HW_CHECK_EQ_INT(out.severity, HW_SEVERITY_CRITICAL);
                HW_CHECK_EQ_INT(out.raised_at, NOW);
                HW_CHECK_EQ_INT(out.event_time, T_JUNE15_10);
                HW_CHECK_STR(out.summary, "$200M");
                if (HW_CHECK_EQ_INT(out.n_event_ids, 2))
                        HW_CHECK_STR(out.event_ids[1], "o-2");
                HW_CHECK_EQ_INT(out.n_attributes, 2);
        }

        /* No ids and no attributes. */
        a.n_event_ids = 0;
        a.n_attributes = 0;
        if (CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &buf, errstr,
                                            sizeof(errstr)),
                      HW_OK) &&
            CHECK_ERR(hw_codec_decode_alert(g_codec, buf.data, buf.len, &out,
                                            errstr, sizeof(errstr)),
                      HW_OK))
                check_alert_equal(&out, &a);

        /* Severity index out of range. */
        hand.n = 0;
        w_header(&hand, 4);
        w_str(&hand, "x");
        w_str(&hand, "r");
        w_long(&hand, 3);
        w_long(&hand, NOW);
        w_long(&hand, NOW);
        /* (long enough not to trip the tiny-alert bug tested below) */
        w_str(&hand, "a subject of some forty bytes, or more");
        w_str(&hand, "s");
        w_long(&hand, 0);
        w_long(&hand, 0);
        {
                hw_err_t err = hw_codec_decode_alert(
                        g_codec, hand.d, hand.n, &out, errstr, sizeof(errstr));
                HW_CHECK_MSG(err == HW_ERR_DECODE ||
                                     err == HW_ERR_INVALID_FIELD,
                             "severity 3: got %s", hw_err_name(err));
        }
        /* A hire given to the alert decoder. */
        {
                hw_event_t h = full_hire();
                if (CHECK_ERR(encode(&h, 0, &buf), HW_OK))
                        CHECK_ERR(hw_codec_decode_alert(g_codec, buf.data,
                                                        buf.len, &out, errstr,
                                                        sizeof(errstr)),
                                  HW_ERR_UNKNOWN_SCHEMA);
        }
done:
        hw_alert_release(&a);
        hw_alert_release(&out);
        hw_event_release(&ev);
        hw_buf_release(&buf);
}

/* The bytes an alert encodes to are Avro's for the Alert schema, to the
 * byte (written here by the test's own writer, as Avro C writes them:
 * each array or map one block, then 0); a key given twice is in the map
 * once, where it first came, with the value given last; a severity
 * outside the schema's is refused. */
/* What test_alert_bytes's alert encodes to up to its event ids. */
static void want_head(wbuf_t *w) {
        w->n = 0;
        w_header(w, 4);
        w_str(w, "raid:apple:meta:20250715");
        w_str(w, "raid");
        w_long(w, 2);
        w_long(w, -1);
        w_long(w, T_JUNE15_10);
        w_str(w, "");
        w_str(w, "Apple → Meta");
}

static void test_alert_bytes(void) {
        static const char *ids[] = {"h-1", "h-2"};
        static hw_alert_attr_t attrs[] = {
                {"lab", "Meta"}, {"count", "3"}, {"lab", "Meta AI"}};
        hw_alert_t a, out;
        hw_buf_t buf;
        wbuf_t want;

        hw_alert_init(&a);
        hw_alert_init(&out);
        hw_buf_init(&buf);
        a.alert_id = "raid:apple:meta:20250715";
        a.rule = "raid";
        a.severity = HW_SEVERITY_CRITICAL;
        a.raised_at = -1; /* zig-zag: 1 */
        a.event_time = T_JUNE15_10;
        a.subject = "";
        a.summary = "Apple → Meta";
        a.event_ids = ids;
        a.n_event_ids = 2;
        a.attributes = attrs;
        a.n_attributes = 3;

        want_head(&want);
        w_long(&want, 2);
        w_str(&want, "h-1");
        w_str(&want, "h-2");
        w_long(&want, 0);
        w_long(&want, 2);
        w_str(&want, "lab");
        w_str(&want, "Meta AI");
        w_str(&want, "count");
        w_str(&want, "3");
        w_long(&want, 0);
        if (CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &buf, errstr,
                                            sizeof(errstr)),
                      HW_OK) &&
            HW_CHECK_EQ_INT(buf.len, want.n))
                HW_CHECK_MEM(buf.data, want.d, want.n);
        if (CHECK_ERR(hw_codec_decode_alert(g_codec, buf.data, buf.len, &out,
                                            errstr, sizeof(errstr)),
                      HW_OK) &&
            HW_CHECK_EQ_INT(out.n_attributes, 2)) {
                HW_CHECK_STR(out.attributes[0].key, "lab");
                HW_CHECK_STR(out.attributes[0].value, "Meta AI");
        }

        /* No ids, no attributes: each an empty block list, one 0. */
        a.n_event_ids = 0;
        a.n_attributes = 0;
        want_head(&want);
        w_long(&want, 0);
        w_long(&want, 0);
        if (CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &buf, errstr,
                                            sizeof(errstr)),
                      HW_OK) &&
            HW_CHECK_EQ_INT(buf.len, want.n))
                HW_CHECK_MEM(buf.data, want.d, want.n);

        a.severity = HW_SEVERITY_COUNT;
        CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &buf, errstr,
                                        sizeof(errstr)),
                  HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "severity 3");
        hw_alert_release(&a);
        hw_alert_release(&out);
        hw_buf_release(&buf);
}

/* An alert with many event ids and attributes (a raid over a month can
 * name dozens of hires) must decode as well as it encodes. */
static void test_roundtrip_alert_many(void) {
        enum { N = 200 };
        static char idbuf[N][16], keybuf[N][16];
        static const char *ids[N];
        static hw_alert_attr_t attrs[N];
        hw_alert_t a, out;
        hw_buf_t buf;
        size_t counts[] = {8, 20, 60, N};

        hw_alert_init(&a);
        hw_alert_init(&out);
        hw_buf_init(&buf);
        for (int i = 0; i < N; i++) {
                snprintf(idbuf[i], sizeof(idbuf[i]), "h-%03d", i);
                snprintf(keybuf[i], sizeof(keybuf[i]), "k%03d", i);
                ids[i] = idbuf[i];
                attrs[i].key = keybuf[i];
                attrs[i].value = "v";
        }
        a.alert_id = "raid:x:y:20250715";
        a.rule = "raid";
        a.severity = HW_SEVERITY_WARN;
        a.raised_at = NOW;
        a.event_time = NOW;
        a.subject = "x";
        a.summary = "y";
        a.event_ids = ids;
        a.attributes = attrs;
        for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
                a.n_event_ids = counts[c];
                a.n_attributes = 0;
                HW_CONTEXT("%zu event_ids", counts[c]);
                if (CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &buf, errstr,
                                                    sizeof(errstr)),
                              HW_OK) &&
                    CHECK_ERR(hw_codec_decode_alert(g_codec, buf.data, buf.len,
                                                    &out, errstr,
                                                    sizeof(errstr)),
                              HW_OK))
                        check_alert_equal(&out, &a);
                a.n_event_ids = 1;
                a.n_attributes = counts[c];
                HW_CONTEXT("%zu attributes", counts[c]);
                if (CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &buf, errstr,
                                                    sizeof(errstr)),
                              HW_OK) &&
                    CHECK_ERR(hw_codec_decode_alert(g_codec, buf.data, buf.len,
                                                    &out, errstr,
                                                    sizeof(errstr)),
                              HW_OK))
                        check_alert_equal(&out, &a);
        }
        hw_alert_release(&a);
        hw_alert_release(&out);
        hw_buf_release(&buf);
}

/* A small valid alert, written by hand: 2 event ids, 1 attribute. */
static void hand_alert(wbuf_t *w, size_t n_ids, size_t n_attrs) {
        w->n = 0;
        w_header(w, 4);
        w_str(w, "raid:apple:meta:20250715");
        w_str(w, "raid");
        w_long(w, HW_SEVERITY_WARN);
        w_long(w, NOW);
        w_long(w, T_JUNE15_10);
        w_str(w, "Apple");
        w_str(w, "4 in 30d");
        if (n_ids) {
                w_long(w, (int64_t)n_ids);
                for (size_t i = 0; i < n_ids; i++)
                        w_str(w, i % 2 ? "h-2" : "h-1");
        }
        w_long(w, 0);
        if (n_attrs) {
                w_long(w, (int64_t)n_attrs);
                for (size_t i = 0; i < n_attrs; i++) {
                        char key[24];
                        snprintf(key, sizeof(key), "k%zu", i);
                        w_str(w, key);
                        w_str(w, "v");
                }
        }
        w_long(w, 0);
}

/* The first alert a codec ever decodes (as in a process that only reads
 * talent.alerts) decodes like any later one. */
static void test_alert_fresh_codec(void) {
        static const size_t shapes[][2] = {{0, 0}, {2, 0}, {0, 1}, {2, 1}};
        hw_alert_t out;
        wbuf_t w;

        hw_alert_init(&out);
        for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
                hw_codec_t *c = hw_codec_new(errstr, sizeof(errstr));
                if (!HW_CHECK(c != NULL))
                        break;
                hand_alert(&w, shapes[i][0], shapes[i][1]);
                HW_CONTEXT("fresh codec, %zu event_ids, %zu attributes, "
                           "%zu-byte message",
                           shapes[i][0], shapes[i][1], w.n);
                if (CHECK_ERR(hw_codec_decode_alert(c, w.d, w.n, &out, errstr,
                                                    sizeof(errstr)),
                              HW_OK)) {
                        HW_CHECK_STR(out.alert_id, "raid:apple:meta:20250715");
                        HW_CHECK_EQ_INT(out.n_event_ids, shapes[i][0]);
                        HW_CHECK_EQ_INT(out.n_attributes, shapes[i][1]);
                        if (out.n_event_ids == 2)
                                HW_CHECK_STR(out.event_ids[1], "h-2");
                        if (out.n_attributes == 1) {
                                HW_CHECK_STR(out.attributes[0].key, "k0");
                                HW_CHECK_STR(out.attributes[0].value, "v");
                        }
                }
                hw_codec_destroy(c);
        }
        HW_CONTEXT("%s", "");
        hw_alert_release(&out);
}

/* A short message with the Alert schema id must leave the codec usable. */
static void test_alert_after_tiny_message(void) {
        static const char *ids[] = {"h-1"};
        static hw_alert_attr_t attrs[] = {{"org", "Apple"}};
        static const unsigned char tiny[] = {0, 0, 0, 0, 4, 2, 'x', 2, 'r'};
        hw_alert_t a, out;
        hw_buf_t buf;
        hw_err_t err;

        hw_alert_init(&a);
        hw_alert_init(&out);
        hw_buf_init(&buf);
        err = hw_codec_decode_alert(g_codec, tiny, sizeof(tiny), &out, errstr,
                                    sizeof(errstr));
        CHECK_ERR(err, HW_ERR_DECODE);
        a.alert_id = "mega_offer:o-1";
        a.rule = "mega_offer";
        a.severity = HW_SEVERITY_CRITICAL;
        a.raised_at = NOW;
        a.event_time = NOW;
        a.subject = "Meta";
        a.summary = "$200M";
        a.event_ids = ids;
        a.n_event_ids = 1;
        a.attributes = attrs;
        a.n_attributes = 1;
        if (CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &buf, errstr,
                                            sizeof(errstr)),
                      HW_OK) &&
            CHECK_ERR(hw_codec_decode_alert(g_codec, buf.data, buf.len, &out,
                                            errstr, sizeof(errstr)),
                      HW_OK))
                check_alert_equal(&out, &a);
        hw_alert_release(&out);
        hw_buf_release(&buf);
}

/* Every truncation of a valid alert, and trailing bytes after one. */
static void test_alert_truncations(void) {
        static const char *ids[] = {"e1", "e2"};
        static hw_alert_attr_t attrs[] = {{"k", "v"}};
        hw_alert_t a, aout;
        hw_buf_t abuf;
        size_t bad_class = 0;

        hw_buf_init(&abuf);
        hw_alert_init(&a);
        hw_alert_init(&aout);
        a.alert_id = "a";
        a.rule = "r";
        a.severity = HW_SEVERITY_INFO;
        a.raised_at = NOW;
        a.event_time = NOW;
        a.subject = "s";
        a.summary = "summary";
        a.event_ids = ids;
        a.n_event_ids = 2;
        a.attributes = attrs;
        a.n_attributes = 1;
        if (CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &abuf, errstr,
                                            sizeof(errstr)),
                      HW_OK)) {
                for (size_t n = 5; n < abuf.len; n++) {
                        hw_err_t err = hw_codec_decode_alert(g_codec, abuf.data,
                                                             n, &aout, errstr,
                                                             sizeof(errstr));
                        if (err != HW_ERR_DECODE && !bad_class++)
                                HW_CHECK_MSG(0,
                                             "alert cut to %zu of %zu bytes: "
                                             "%s (%s)",
                                             n, abuf.len, hw_err_name(err),
                                             errstr);
                }
                HW_CHECK_EQ_INT(bad_class, 0);
        }
        if (CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &abuf, errstr,
                                            sizeof(errstr)),
                      HW_OK)) {
                hw_buf_append(&abuf, "\0\0", 2);
                CHECK_ERR(hw_codec_decode_alert(g_codec, abuf.data, abuf.len,
                                                &aout, errstr, sizeof(errstr)),
                          HW_ERR_DECODE);
        }
        hw_buf_release(&abuf);
        hw_alert_release(&aout);
}

static void test_garbage_alerts(void) {
        fuzz_stats_t st;
        garbage(1, &st);
        fuzz_report(&st, "random buffers as alerts");
        HW_CHECK(st.by_class[HW_ERR_DECODE] > 1000);
}

static void test_mutations_alerts(void) {
        static const char *ids[] = {"e1", "e2", "e3"};
        static hw_alert_attr_t attrs[] = {{"k", "v"}, {"org", "Apple"}};
        hw_alert_t a;
        hw_buf_t buf;
        fuzz_stats_t st;

        hw_alert_init(&a);
        hw_buf_init(&buf);
        a.alert_id = "raid:apple:msl:20250715";
        a.rule = "raid";
        a.severity = HW_SEVERITY_WARN;
        a.raised_at = NOW;
        a.event_time = NOW;
        a.subject = "Apple";
        a.summary = "Four in a month";
        a.event_ids = ids;
        a.n_event_ids = 3;
        a.attributes = attrs;
        a.n_attributes = 2;
        if (CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &buf, errstr,
                                            sizeof(errstr)),
                      HW_OK)) {
                mutations(&buf, 1, 1, &st);
                fuzz_report(&st, "mutated alerts");
                HW_CHECK(st.by_class[HW_ERR_DECODE] > 100);
                HW_CHECK(st.by_class[HW_OK] > 10);
        }
        hw_buf_release(&buf);
}

static void run_all(void) {
        HW_RUN_ISOLATED(test_roundtrip_alert);
        HW_RUN_ISOLATED(test_roundtrip_alert_many);
        HW_RUN_ISOLATED(test_alert_bytes);
        HW_RUN_ISOLATED(test_alert_fresh_codec);
        HW_RUN_ISOLATED(test_alert_after_tiny_message);
        HW_RUN_ISOLATED(test_alert_truncations);
        HW_RUN_ISOLATED(test_garbage_alerts);
        HW_RUN_ISOLATED(test_mutations_alerts);
}

int main(void) {
        return codec_main(run_all);
}
