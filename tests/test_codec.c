/*
 * Unit tests for the wire codec: framing, Avro encode/decode of the three
 * schemas, v1 -> v2 resolution, rejection classes and hostile input (the
 * semantic rules through the decode path are in test_rules.c; slugs,
 * NDJSON and the country table in test_event.c).
 *
 * Avro bodies are also built by hand in this file (zigzag varints, strings
 * as length + bytes, union index), from the field order of the .avsc files
 * in schemas/, so a bug shared by our encoder and decoder cannot hide.
 */
#include <avro.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixtures.h"
#include "hw_alert.h"
#include "hw_buf.h"
#include "hw_codec.h"
#include "hw_err.h"
#include "hw_event.h"
#include "hw_json.h"
#include "hw_time.h"
#include "hw_test.h"
#include "hw_validate.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* --- A hand-written Avro binary encoder. --- */

typedef struct wbuf_s {
        unsigned char d[8192];
        size_t n;
} wbuf_t;

static void w_byte(wbuf_t *w, unsigned c) {
        if (w->n < sizeof(w->d))
                w->d[w->n++] = (unsigned char)c;
}
static void w_bytes(wbuf_t *w, const void *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                w_byte(w, ((const unsigned char *)p)[i]);
}
static void w_varint(wbuf_t *w, uint64_t u) {
        while (u >= 0x80) {
                w_byte(w, (unsigned)(u & 0x7f) | 0x80);
                u >>= 7;
        }
        w_byte(w, (unsigned)u);
}
/* Avro long: zigzag, then base-128 little-endian varint. */
static void w_long(wbuf_t *w, int64_t v) {
        uint64_t u = (uint64_t)v << 1;
        w_varint(w, v < 0 ? ~u : u);
}
static void w_strn(wbuf_t *w, const char *s, size_t n) {
        w_long(w, (int64_t)n);
        w_bytes(w, s, n);
}
static void w_str(wbuf_t *w, const char *s) {
        w_strn(w, s, strlen(s));
}
static void w_header(wbuf_t *w, uint32_t id) {
        w_byte(w, 0);
        w_byte(w, id >> 24);
        w_byte(w, (id >> 16) & 0xff);
        w_byte(w, (id >> 8) & 0xff);
        w_byte(w, id & 0xff);
}

/* Writes fields [from, to) of ev as Avro binary. */
static void w_fields(wbuf_t *w, const hw_event_t *ev, const tfield_t *fields,
                     size_t from, size_t to) {
        for (size_t i = from; i < to; i++) {
                const tfield_t *f = &fields[i];
                const char *s;
                hw_opt_long_t o;
                switch (f->kind) {
                case K_STR:
                        w_str(w, f_str(ev, f));
                        break;
                case K_OSTR:
                        s = f_str(ev, f);
                        w_long(w, s ? 1 : 0);
                        if (s)
                                w_str(w, s);
                        break;
                case K_LONG:
                        w_long(w, f_long(ev, f));
                        break;
                case K_OLONG:
                        o = f_olong(ev, f);
                        w_long(w, o.present ? 1 : 0);
                        if (o.present)
                                w_long(w, o.value);
                        break;
                case K_ENUM:
                        w_long(w, f_enum(ev, f));
                        break;
                }
        }
}

/* A whole framed message for ev with the given writer schema. */
static void w_event(wbuf_t *w, const hw_event_t *ev, int schema_id) {
        w->n = 0;
        w_header(w, (uint32_t)schema_id);
        if (schema_id == HW_SCHEMA_HIRE_V1)
                w_fields(w, ev, hire_v1, 0, NFIELDS(hire_v1));
        else if (schema_id == HW_SCHEMA_HIRE_V2)
                w_fields(w, ev, hire_v2, 0, NFIELDS(hire_v2));
        else
                w_fields(w, ev, offer_v1, 0, NFIELDS(offer_v1));
}

/* The spy allocator: sits between Avro C and the codec's guarded
 * allocator, recording the largest allocation that succeeded and the
 * bytes outstanding (by Avro's own size accounting). */
static struct {
        avro_allocator_t next;
        void *next_ud;
        size_t max_ok;
        long long live;
} spy;

static void *spy_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
        void *r;
        (void)ud;
        r = spy.next(spy.next_ud, ptr, osize, nsize);
        if (nsize == 0) {
                if (ptr)
                        spy.live -= (long long)osize;
        } else if (r) {
                spy.live += (long long)nsize - (ptr ? (long long)osize : 0);
                if (nsize > spy.max_ok)
                        spy.max_ok = nsize;
        }
        return r;
}

static void spy_install(void) {
        spy.next = AVRO_CURRENT_ALLOCATOR.alloc;
        spy.next_ud = AVRO_CURRENT_ALLOCATOR.user_data;
        avro_set_allocator(spy_alloc, NULL);
}

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t header_id(const hw_buf_t *b) {
        const unsigned char *p = (const unsigned char *)b->data;
        return (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 8 | p[4];
}

/* ------------------------------------------------------------------ */
/* 1. Round trips                                                      */
/* ------------------------------------------------------------------ */

static void test_roundtrip_full_hire(void) {
        hw_event_t ev = full_hire(), out;
        hw_buf_t buf;
        wbuf_t hand;

        hw_event_init(&out);
        hw_buf_init(&buf);
        if (!CHECK_ERR(encode(&ev, 0, &buf), HW_OK))
                goto done;
        HW_CHECK(buf.len > 5);
        HW_CHECK_EQ_INT((unsigned char)buf.data[0], 0x00);
        HW_CHECK_EQ_INT((unsigned char)buf.data[1], 0x00);
        HW_CHECK_EQ_INT((unsigned char)buf.data[2], 0x00);
        HW_CHECK_EQ_INT((unsigned char)buf.data[3], 0x00);
        HW_CHECK_EQ_INT((unsigned char)buf.data[4], 0x02);

        /* Byte for byte what an independent Avro encoder writes. */
        w_event(&hand, &ev, HW_SCHEMA_HIRE_V2);
        if (HW_CHECK_EQ_INT(buf.len, hand.n))
                HW_CHECK_MEM(buf.data, hand.d, hand.n);

        if (!CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK))
                goto done;
        check_event_equal(&out, &ev, "full hire");
        HW_CHECK_EQ_INT(out.schema_id, HW_SCHEMA_HIRE_V2);
        /* Literal values too, in case a field is missing from every table. */
        HW_CHECK_STR(out.alma_mater, "Zhejiang University 浙江大学");
        HW_CHECK_STR(out.alma_mater,
                     "Zhejiang University \xE6\xB5\x99\xE6\xB1\x9F\xE5\xA4\xA7"
                     "\xE5\xAD\xA6");
        HW_CHECK_STR(out.person_name, "Bowen Zhang 张博文");
        HW_CHECK_STR(out.to_lab, "Meta Superintelligence Labs");
        HW_CHECK_STR(out.from_lab, "Apple Foundation Models");
        HW_CHECK_STR(out.nationality, "CN");
        HW_CHECK_STR(out.to_country, "KR");
        HW_CHECK_EQ_INT(out.tier, HW_TIER_S);
        HW_CHECK_EQ_INT(out.compensation_usd.present, 1);
        HW_CHECK_EQ_INT(out.compensation_usd.value, 200000000);
        HW_CHECK_EQ_INT(out.occurred_at, T_JUNE15_10 + 123);
        HW_CHECK_STR(out.source_url,
                     "https://example.com/news/ai-talent?id=1&é=ü");
        /* The decoded strings are copies owned by out, not the input. */
        HW_CHECK(out.event_id != ev.event_id);
        HW_CHECK(out.event_id < buf.data || out.event_id >= buf.data + buf.len);
done:
        hw_event_release(&out);
        hw_buf_release(&buf);
}

static void test_roundtrip_null_hire(void) {
        hw_event_t ev = null_hire(), full = full_hire(), out;
        hw_buf_t buf, buf2;
        wbuf_t hand;

        hw_event_init(&out);
        hw_buf_init(&buf);
        hw_buf_init(&buf2);
        /* Encode and decode a full hire first: the codec reuses its Avro
         * values, so nothing of it may leak into the next message. */
        if (!CHECK_ERR(encode(&full, 0, &buf2), HW_OK) ||
            !CHECK_ERR(decode(buf2.data, buf2.len, &out), HW_OK))
                goto done;
        if (!CHECK_ERR(encode(&ev, 0, &buf), HW_OK))
                goto done;
        HW_CHECK_EQ_INT(header_id(&buf), 2);
        w_event(&hand, &ev, HW_SCHEMA_HIRE_V2);
        if (HW_CHECK_EQ_INT(buf.len, hand.n))
                HW_CHECK_MEM(buf.data, hand.d, hand.n);
        if (!CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK))
                goto done;
        check_event_equal(&out, &ev, "null hire");
        HW_CHECK_NULL(out.person_name);
        HW_CHECK_NULL(out.from_lab);
        HW_CHECK_NULL(out.to_lab);
        HW_CHECK_NULL(out.nationality);
        HW_CHECK_NULL(out.alma_mater);
        HW_CHECK_NULL(out.source_url);
        HW_CHECK_EQ_INT(out.compensation_usd.present, 0);
        HW_CHECK_EQ_INT(out.tier, HW_TIER_UNRATED);
        HW_CHECK_EQ_INT(out.occurred_at, HW_TIME_MIN_MS);

        /* Every tier survives, with the optionals null. */
        for (int t = HW_TIER_S; t < HW_TIER_COUNT; t++) {
                ev.tier = (hw_tier_t)t;
                HW_CONTEXT("tier %d", t);
                if (CHECK_ERR(encode(&ev, 0, &buf), HW_OK) &&
                    CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK))
                        HW_CHECK_EQ_INT(out.tier, t);
        }
done:
        hw_event_release(&out);
        hw_buf_release(&buf);
        hw_buf_release(&buf2);
}

static void test_roundtrip_offers(void) {
        hw_event_t out;
        hw_buf_t buf;
        wbuf_t hand;

        hw_event_init(&out);
        hw_buf_init(&buf);
        for (int st = 0; st < HW_OFFER_STATUS_COUNT; st++) {
                hw_event_t ev = an_offer((hw_offer_status_t)st);
                if (st % 2) { /* half of them with the optionals null */
                        ev.person_name = NULL;
                        ev.offering_lab = NULL;
                        ev.sign_on_bonus_usd.present = 0;
                        ev.source_url = NULL;
                        ev.tier = HW_TIER_UNRATED;
                        ev.total_value_usd = 0;
                }
                HW_CONTEXT("status %s", hw_offer_status_name(ev.status));
                if (!CHECK_ERR(encode(&ev, 0, &buf), HW_OK))
                        continue;
                HW_CHECK_EQ_INT(buf.data[0], 0);
                HW_CHECK_EQ_INT(header_id(&buf), 3);
                w_event(&hand, &ev, HW_SCHEMA_OFFER_V1);
                if (HW_CHECK_EQ_INT(buf.len, hand.n))
                        HW_CHECK_MEM(buf.data, hand.d, hand.n);
                if (!CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK))
                        continue;
                check_event_equal(&out, &ev, hw_offer_status_name(ev.status));
                HW_CHECK_EQ_INT(out.type, HW_EVENT_OFFER);
                HW_CHECK_EQ_INT(out.status, st);
                HW_CHECK_EQ_INT(out.schema_id, HW_SCHEMA_OFFER_V1);
                HW_CHECK_EQ_INT(out.sign_on_bonus_usd.present, st % 2 == 0);
                /* Hire-only fields stay empty. */
                HW_CHECK_NULL(out.from_org);
                HW_CHECK_NULL(out.to_org);
        }
        hw_event_release(&out);
        hw_buf_release(&buf);
}

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

/* The reason of a rejection (the DLQ's hw.reason) describes this message,
 * not earlier ones: the same bytes give the same text. */
static void test_errstr_fresh(void) {
        static const unsigned char hdr_only[] = {0, 0, 0, 0, 2};
        hw_event_t out, ev = full_hire();
        hw_buf_t buf;
        char first[sizeof(errstr)];

        hw_event_init(&out);
        hw_buf_init(&buf);
        CHECK_ERR(decode(hdr_only, sizeof(hdr_only), &out), HW_ERR_DECODE);
        snprintf(first, sizeof(first), "%s", errstr);
        /* Other failures in between. */
        if (CHECK_ERR(encode(&ev, 0, &buf), HW_OK))
                for (size_t n = 6; n < 40 && n < buf.len; n++)
                        decode(buf.data, n, &out);
        CHECK_ERR(decode(hdr_only, sizeof(hdr_only), &out), HW_ERR_DECODE);
        HW_CHECK_STR(errstr, first);
        /* A hire body says nothing about fields it never reached. */
        HW_CHECK(strstr(errstr, "tier") == NULL);
        HW_CHECK(strlen(errstr) < 200);
        hw_event_release(&out);
        hw_buf_release(&buf);
}

static void test_encode_args(void) {
        hw_event_t h = full_hire(), o = an_offer(HW_OFFER_ACCEPTED), none;
        hw_buf_t buf;

        hw_buf_init(&buf);
        hw_event_init(&none);
        CHECK_ERR(encode(&h, HW_SCHEMA_OFFER_V1, &buf), HW_ERR_ARG);
        CHECK_ERR(encode(&h, HW_SCHEMA_ALERT_V1, &buf), HW_ERR_ARG);
        CHECK_ERR(encode(&h, 99, &buf), HW_ERR_ARG);
        CHECK_ERR(encode(&o, HW_SCHEMA_HIRE_V1, &buf), HW_ERR_ARG);
        CHECK_ERR(encode(&o, HW_SCHEMA_HIRE_V2, &buf), HW_ERR_ARG);
        CHECK_ERR(encode(&none, 0, &buf), HW_ERR_ARG);
        /* Explicit current ids work like 0. */
        if (CHECK_ERR(encode(&o, HW_SCHEMA_OFFER_V1, &buf), HW_OK))
                HW_CHECK_EQ_INT(header_id(&buf), 3);
        if (CHECK_ERR(encode(&h, HW_SCHEMA_HIRE_V2, &buf), HW_OK))
                HW_CHECK_EQ_INT(header_id(&buf), 2);
        /* Registry metadata. */
        HW_CHECK_STR(hw_codec_schema_subject(1), "hirewire.HireEvent");
        HW_CHECK_STR(hw_codec_schema_subject(3), "hirewire.OfferEvent");
        HW_CHECK_STR(hw_codec_schema_subject(4), "hirewire.Alert");
        HW_CHECK_EQ_INT(hw_codec_schema_version(2), 2);
        HW_CHECK_EQ_INT(hw_codec_schema_version(1), 1);
        HW_CHECK_NULL(hw_codec_schema_json(5));
        HW_CHECK_EQ_INT(hw_codec_schema_version(0), 0);
        if (HW_CHECK(hw_codec_schema_json(2) != NULL))
                HW_CHECK_CONTAINS(hw_codec_schema_json(2), "alma_mater");
        if (HW_CHECK(hw_codec_schema_json(1) != NULL))
                HW_CHECK(strstr(hw_codec_schema_json(1), "alma_mater") == NULL);
        hw_buf_release(&buf);
}

/* ------------------------------------------------------------------ */
/* 2. v1 -> v2 resolution                                              */
/* ------------------------------------------------------------------ */

static void test_v1_resolution(void) {
        hw_event_t ev = full_hire(), out;
        hw_buf_t buf;
        wbuf_t hand;

        hw_event_init(&out);
        hw_buf_init(&buf);
        ev.tier = HW_TIER_B;
        if (!CHECK_ERR(encode(&ev, HW_SCHEMA_HIRE_V1, &buf), HW_OK))
                goto done;
        HW_CHECK_EQ_INT(buf.data[0], 0);
        HW_CHECK_EQ_INT(header_id(&buf), 1);
        HW_CHECK_EQ_INT(buf.data[4], 1);
        /* The v1 body has neither alma_mater nor tier. */
        w_event(&hand, &ev, HW_SCHEMA_HIRE_V1);
        if (HW_CHECK_EQ_INT(buf.len, hand.n))
                HW_CHECK_MEM(buf.data, hand.d, hand.n);
        if (!CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK))
                goto done;
        HW_CHECK_EQ_INT(out.type, HW_EVENT_HIRE);
        HW_CHECK_EQ_INT(out.schema_id, HW_SCHEMA_HIRE_V1);
        HW_CHECK_NULL(out.alma_mater);
        HW_CHECK_EQ_INT(out.tier, HW_TIER_UNRATED);
        check_fields_equal(&out, &ev, hire_v1, NFIELDS(hire_v1), "v1 hire");

        /* After a v2 hire with tier S, a v1 hire still reads UNRATED. */
        {
                hw_event_t v2 = full_hire();
                hw_buf_t b2;
                hw_buf_init(&b2);
                if (CHECK_ERR(encode(&v2, 0, &b2), HW_OK) &&
                    CHECK_ERR(decode(b2.data, b2.len, &out), HW_OK))
                        HW_CHECK_EQ_INT(out.tier, HW_TIER_S);
                if (CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK)) {
                        HW_CHECK_EQ_INT(out.tier, HW_TIER_UNRATED);
                        HW_CHECK_NULL(out.alma_mater);
                }
                hw_buf_release(&b2);
        }
done:
        hw_event_release(&out);
        hw_buf_release(&buf);
}

/* v1 and v2 bodies written byte by byte in this test. */
static void test_hand_encoded(void) {
        static const unsigned char v1_expected_prefix[] = {
                0x00, 0x00, 0x00, 0x00, 0x01,           /* header, id 1 */
                0x0C, 'h',  'a',  'n',  'd',  '-', '1', /* "hand-1" */
        };
        hw_event_t out;
        wbuf_t w;

        hw_event_init(&out);
        w.n = 0;
        w_header(&w, 1);
        w_str(&w, "hand-1");                /* event_id */
        w_long(&w, INT64_C(1750000000123)); /* occurred_at */
        w_str(&w, "p-hand");                /* person_id */
        w_long(&w, 1);                      /* person_name: string */
        w_str(&w, "Tom Gunter");
        w_str(&w, "Apple"); /* from_org */
        w_long(&w, 0);      /* from_lab: null */
        w_str(&w, "Meta");  /* to_org */
        w_long(&w, 1);      /* to_lab: string */
        w_str(&w, "Meta Superintelligence Labs");
        w_str(&w, "US"); /* from_country */
        w_str(&w, "US"); /* to_country */
        w_long(&w, 0);   /* nationality: null */
        w_long(&w, 1);   /* compensation_usd: long */
        w_long(&w, INT64_C(1500000));
        w_long(&w, 1); /* source_url: string */
        w_str(&w, "https://ex.com/a");
        /* The hand encoder itself: zigzag(6) = 12 = 0x0C. */
        HW_CHECK_MEM(w.d, v1_expected_prefix, sizeof(v1_expected_prefix));

        if (CHECK_ERR(decode(w.d, w.n, &out), HW_OK)) {
                HW_CHECK_EQ_INT(out.type, HW_EVENT_HIRE);
                HW_CHECK_EQ_INT(out.schema_id, 1);
                HW_CHECK_STR(out.event_id, "hand-1");
                HW_CHECK_EQ_INT(out.occurred_at, INT64_C(1750000000123));
                HW_CHECK_STR(out.person_id, "p-hand");
                HW_CHECK_STR(out.person_name, "Tom Gunter");
                HW_CHECK_STR(out.from_org, "Apple");
                HW_CHECK_NULL(out.from_lab);
                HW_CHECK_STR(out.to_org, "Meta");
                HW_CHECK_STR(out.to_lab, "Meta Superintelligence Labs");
                HW_CHECK_STR(out.from_country, "US");
                HW_CHECK_STR(out.to_country, "US");
                HW_CHECK_NULL(out.nationality);
                HW_CHECK_NULL(out.alma_mater);
                HW_CHECK_EQ_INT(out.tier, HW_TIER_UNRATED);
                HW_CHECK_EQ_INT(out.compensation_usd.present, 1);
                HW_CHECK_EQ_INT(out.compensation_usd.value, 1500000);
                HW_CHECK_STR(out.source_url, "https://ex.com/a");
        }

        /* v2: alma_mater and tier (index 1 = A) between nationality and
         * compensation_usd. */
        w.n = 0;
        w_header(&w, 2);
        w_str(&w, "hand-2");
        w_long(&w, HW_TIME_MIN_MS);
        w_str(&w, "p2");
        w_long(&w, 0);
        w_str(&w, "OpenAI");
        w_long(&w, 1);
        w_str(&w, "o1 team");
        w_str(&w, "Meta");
        w_long(&w, 0);
        w_str(&w, "KR");
        w_str(&w, "US");
        w_long(&w, 1);
        w_str(&w, "KR");
        w_long(&w, 1);
        w_str(&w, "KAIST 한국과학기술원");
        w_long(&w, 1);
        w_long(&w, 0);
        w_long(&w, 0);
        if (CHECK_ERR(decode(w.d, w.n, &out), HW_OK)) {
                HW_CHECK_EQ_INT(out.schema_id, 2);
                HW_CHECK_STR(out.event_id, "hand-2");
                HW_CHECK_EQ_INT(out.occurred_at, HW_TIME_MIN_MS);
                HW_CHECK_NULL(out.person_name);
                HW_CHECK_STR(out.from_lab, "o1 team");
                HW_CHECK_NULL(out.to_lab);
                HW_CHECK_STR(out.from_country, "KR");
                HW_CHECK_STR(out.nationality, "KR");
                HW_CHECK_STR(out.alma_mater, "KAIST 한국과학기술원");
                HW_CHECK_EQ_INT(out.tier, HW_TIER_A);
                HW_CHECK_EQ_INT(out.compensation_usd.present, 0);
                HW_CHECK_NULL(out.source_url);
        }

        /* An offer: status WITHDRAWN (3), a negative-free long > 2^31. */
        w.n = 0;
        w_header(&w, 3);
        w_str(&w, "o-hand");
        w_long(&w, T_JUNE15_10);
        w_str(&w, "p3");
        w_long(&w, 0);
        w_str(&w, "Microsoft");
        w_long(&w, 0);
        w_str(&w, "Google DeepMind");
        w_str(&w, "GB");
        w_str(&w, "US");
        w_long(&w, 3);
        w_long(&w, INT64_C(5000000000));
        w_long(&w, 1);
        w_long(&w, INT64_C(1000000000000));
        w_long(&w, 2);
        w_long(&w, 0);
        if (CHECK_ERR(decode(w.d, w.n, &out), HW_OK)) {
                HW_CHECK_EQ_INT(out.type, HW_EVENT_OFFER);
                HW_CHECK_STR(out.offering_org, "Microsoft");
                HW_CHECK_STR(out.current_org, "Google DeepMind");
                HW_CHECK_EQ_INT(out.status, HW_OFFER_WITHDRAWN);
                HW_CHECK_EQ_INT(out.total_value_usd, INT64_C(5000000000));
                HW_CHECK_EQ_INT(out.sign_on_bonus_usd.present, 1);
                HW_CHECK_EQ_INT(out.sign_on_bonus_usd.value,
                                INT64_C(1000000000000));
                HW_CHECK_EQ_INT(out.tier, HW_TIER_B);
        }
        hw_event_release(&out);
}
/* ------------------------------------------------------------------ */
/* 4. Framing                                                          */
/* ------------------------------------------------------------------ */

static void test_framing(void) {
        static const unsigned char hdr[5] = {0, 0, 0, 0, 2};
        hw_event_t ev = full_hire(), out;
        hw_buf_t buf;
        unsigned char *big;
        hw_alert_t alert;

        hw_event_init(&out);
        hw_alert_init(&alert);
        hw_buf_init(&buf);
        if (!CHECK_ERR(encode(&ev, 0, &buf), HW_OK))
                goto done;

        CHECK_ERR(decode("", 0, &out), HW_ERR_BAD_FRAMING);
        CHECK_ERR(decode(NULL, 0, &out), HW_ERR_BAD_FRAMING);
        for (size_t n = 1; n <= 4; n++) {
                HW_CONTEXT("%zu-byte message", n);
                CHECK_ERR(decode(hdr, n, &out), HW_ERR_BAD_FRAMING);
                CHECK_ERR(hw_codec_decode_alert(g_codec, hdr, n, &alert, errstr,
                                                sizeof(errstr)),
                          HW_ERR_BAD_FRAMING);
        }
        HW_CONTEXT("%s", "");

        /* Wrong magic byte on an otherwise valid message. */
        buf.data[0] = 0x01;
        CHECK_ERR(decode(buf.data, buf.len, &out), HW_ERR_BAD_FRAMING);
        HW_CHECK_CONTAINS(errstr, "magic");
        buf.data[0] = (char)0xFF;
        CHECK_ERR(decode(buf.data, buf.len, &out), HW_ERR_BAD_FRAMING);
        buf.data[0] = 0;

        /* Unknown schema ids. */
        {
                static const uint32_t ids[] = {5,           0,
                                               0xFFFFFFFFu, 0x80000002u,
                                               0x00000102u, 0x02000000u};
                for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
                        unsigned char *p = (unsigned char *)buf.data;
                        p[1] = (unsigned char)(ids[i] >> 24);
                        p[2] = (unsigned char)(ids[i] >> 16);
                        p[3] = (unsigned char)(ids[i] >> 8);
                        p[4] = (unsigned char)ids[i];
                        HW_CONTEXT("schema id 0x%08X", (unsigned)ids[i]);
                        CHECK_ERR(decode(buf.data, buf.len, &out),
                                  HW_ERR_UNKNOWN_SCHEMA);
                }
                HW_CONTEXT("%s", "");
                CHECK_ERR(decode("\0\0\0\0\5", 5, &out), HW_ERR_UNKNOWN_SCHEMA);
                /* Back to id 2: the message decodes again. */
                memcpy(buf.data, hdr, 5);
                CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK);
        }
        /* Alert id given to the event decoder. */
        CHECK_ERR(decode("\0\0\0\0\4\0", 6, &out), HW_ERR_UNKNOWN_SCHEMA);
        /* A header alone with a known id: framing is fine, the body is not. */
        CHECK_ERR(decode("\0\0\0\0\2", 5, &out), HW_ERR_DECODE);
        CHECK_ERR(decode("\0\0\0\0\1", 5, &out), HW_ERR_DECODE);
        CHECK_ERR(decode("\0\0\0\0\3", 5, &out), HW_ERR_DECODE);
        HW_CHECK_EQ_INT(out.type, HW_EVENT_NONE);

        /* Size limits. */
        big = calloc(1, 65537);
        if (!HW_CHECK(big != NULL))
                goto done;
        big[4] = 2;
        CHECK_ERR(decode(big, 65537, &out), HW_ERR_TOO_LARGE);
        HW_CHECK_CONTAINS(errstr, "65537");
        /* 64 KiB itself is within the limit: it fails for its body. */
        HW_CHECK_NE_INT(decode(big, 65536, &out), HW_ERR_TOO_LARGE);
        /* Too large wins over bad framing. */
        big[0] = 1;
        CHECK_ERR(decode(big, 70000, &out), HW_ERR_TOO_LARGE);
        big[0] = 0;
        hw_codec_set_max_message(g_codec, 1024);
        CHECK_ERR(decode(big, 2000, &out), HW_ERR_TOO_LARGE);
        CHECK_ERR(decode(big, 1025, &out), HW_ERR_TOO_LARGE);
        HW_CHECK_NE_INT(decode(big, 1024, &out), HW_ERR_TOO_LARGE);
        CHECK_ERR(hw_codec_decode_alert(g_codec, big, 2000, &alert, errstr,
                                        sizeof(errstr)),
                  HW_ERR_TOO_LARGE);
        /* A valid message at exactly the limit passes, one byte over not. */
        hw_codec_set_max_message(g_codec, buf.len);
        CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK);
        hw_codec_set_max_message(g_codec, buf.len - 1);
        CHECK_ERR(decode(buf.data, buf.len, &out), HW_ERR_TOO_LARGE);
        hw_codec_set_max_message(g_codec, HW_CODEC_MAX_MESSAGE_DEFAULT);
        CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK);
        free(big);
done:
        hw_event_release(&out);
        hw_alert_release(&alert);
        hw_buf_release(&buf);
}

/* ------------------------------------------------------------------ */
/* 5. Decode errors                                                    */
/* ------------------------------------------------------------------ */

static void test_truncations(void) {
        hw_event_t ev = full_hire(), out;
        hw_buf_t buf;
        size_t bad_class = 0, first_bad = 0;
        hw_err_t first_err = HW_OK;
        long long live_before;

        hw_event_init(&out);
        hw_buf_init(&buf);
        if (!CHECK_ERR(encode(&ev, 0, &buf), HW_OK))
                goto done;
        CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK);
        live_before = spy.live;
        for (size_t n = 5; n < buf.len; n++) {
                hw_err_t err = decode(buf.data, n, &out);
                if (err != HW_ERR_DECODE && !bad_class++) {
                        first_bad = n;
                        first_err = err;
                }
        }
        HW_CHECK_MSG(bad_class == 0,
                     "%zu of %zu truncations did not fail with DECODE; the "
                     "first at %zu bytes gave %s",
                     bad_class, buf.len - 5, first_bad, hw_err_name(first_err));
        /* Avro C must not keep memory from the failed reads: after a good
         * decode of the same message, the bytes outstanding are back. */
        CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK);
        HW_CHECK_EQ_INT(spy.live - live_before, 0);

        /* The same for an offer and a v1 hire. */
        {
                hw_event_t o = an_offer(HW_OFFER_EXTENDED);
                int schema[2] = {0, HW_SCHEMA_HIRE_V1};
                for (int k = 0; k < 2; k++) {
                        const hw_event_t *src = k == 0 ? &o : &ev;
                        bad_class = 0;
                        if (!CHECK_ERR(encode(src, schema[k], &buf), HW_OK))
                                continue;
                        for (size_t n = 5; n < buf.len; n++)
                                if (decode(buf.data, n, &out) != HW_ERR_DECODE)
                                        bad_class++;
                        HW_CHECK_MSG(bad_class == 0,
                                     "schema %d: %zu truncations not DECODE",
                                     schema[k], bad_class);
                }
        }

        /* Trailing bytes after a valid record. */
        if (CHECK_ERR(encode(&ev, 0, &buf), HW_OK)) {
                hw_buf_append(&buf, "\0", 1);
                CHECK_ERR(decode(buf.data, buf.len, &out), HW_ERR_DECODE);
                HW_CHECK_CONTAINS(errstr, "trailing");
                hw_buf_append(&buf, "\x02", 1);
                CHECK_ERR(decode(buf.data, buf.len, &out), HW_ERR_DECODE);
                HW_CHECK_EQ_INT(out.type, HW_EVENT_NONE);
        }
done:
        hw_event_release(&out);
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

/* A v2 hire whose event_id has the length prefix `len` followed by `tail`
 * bytes of 'x'. */
static void hostile_length(wbuf_t *w, int64_t len, size_t tail) {
        w->n = 0;
        w_header(w, 2);
        w_long(w, len);
        for (size_t i = 0; i < tail; i++)
                w_byte(w, 'x');
}

static void test_hostile_lengths(void) {
        static const struct {
                int64_t len;
                const char *what;
        } cases[] = {
                {INT64_C(104857600), "100 MB"},
                {INT64_C(1) << 60, "2^60"},
                {INT64_MAX, "INT64_MAX"},
                {-1, "-1"},
                {-2, "-2"},
                {-100, "-100"},
                {INT64_MIN, "INT64_MIN"},
                {40, "40 bytes, 20 present"},
                {60, "60 bytes, 20 present"},
        };
        hw_event_t out;
        wbuf_t w;
        long long live_before;

        hw_event_init(&out);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                double t0;
                hw_err_t err;

                hostile_length(&w, cases[i].len, 20);
                HW_CONTEXT("event_id length %s", cases[i].what);
                spy.max_ok = 0;
                t0 = now_s();
                err = decode(w.d, w.n, &out);
                CHECK_ERR(err, HW_ERR_DECODE);
                HW_CHECK_MSG(now_s() - t0 < 1.0, "took %.3f s", now_s() - t0);
                /* No allocation larger than the message (plus the 64-byte
                 * slack the codec grants Avro C). */
                HW_CHECK_MSG(spy.max_ok <= w.n + 64,
                             "Avro C allocated %zu bytes for a %zu-byte "
                             "message",
                             spy.max_ok, w.n);
        }
        HW_CONTEXT("%s", "");

        /* The same deeper in the record: source_url (last field). */
        {
                hw_event_t ev = null_hire();
                hw_buf_t buf;
                hw_buf_init(&buf);
                ev.source_url = "u";
                if (CHECK_ERR(encode(&ev, 0, &buf), HW_OK)) {
                        /* ...,0x02 (branch 1), 0x02 (len 1), 'u' */
                        HW_CHECK_EQ_INT(buf.data[buf.len - 1], 'u');
                        HW_CHECK_EQ_INT(buf.data[buf.len - 2], 2);
                        buf.len -= 2;
                        hw_buf_append(&buf,
                                      "\x80\x80\x80\x80\x80\x80\x80\x80"
                                      "\x20",
                                      9); /* 2^59 */
                        spy.max_ok = 0;
                        CHECK_ERR(decode(buf.data, buf.len, &out),
                                  HW_ERR_DECODE);
                        HW_CHECK(spy.max_ok <= buf.len + 64);
                }
                hw_buf_release(&buf);
        }

        /* Failed length checks keep no memory: run them many times. */
        {
                hw_event_t ev = full_hire();
                hw_buf_t good;
                hw_buf_init(&good);
                if (CHECK_ERR(encode(&ev, 0, &good), HW_OK) &&
                    CHECK_ERR(decode(good.data, good.len, &out), HW_OK)) {
                        live_before = spy.live;
                        for (int k = 0; k < 200; k++) {
                                hostile_length(&w, 40 + k % 40, 20);
                                decode(w.d, w.n, &out);
                                hostile_length(&w, INT64_C(104857600), 20);
                                decode(w.d, w.n, &out);
                        }
                        CHECK_ERR(decode(good.data, good.len, &out), HW_OK);
                        HW_CHECK_MSG(spy.live == live_before,
                                     "Avro C holds %lld more bytes after 400 "
                                     "failed decodes",
                                     spy.live - live_before);
                }
                hw_buf_release(&good);
        }

        /* A varint longer than 10 bytes. */
        w.n = 0;
        w_header(&w, 2);
        w_str(&w, "e");
        for (int i = 0; i < 11; i++)
                w_byte(&w, 0xFF);
        w_byte(&w, 0x01);
        CHECK_ERR(decode(w.d, w.n, &out), HW_ERR_DECODE);
        hw_event_release(&out);
}

/* A v2 hire equal to full_hire() except that field `idx` is replaced by
 * the raw bytes written by `patch`. */
static void patched_hire(wbuf_t *w, size_t idx, const unsigned char *patch,
                         size_t patch_len) {
        hw_event_t ev = full_hire();
        w->n = 0;
        w_header(w, 2);
        w_fields(w, &ev, hire_v2, 0, idx);
        w_bytes(w, patch, patch_len);
        w_fields(w, &ev, hire_v2, idx + 1, NFIELDS(hire_v2));
}

static void test_bad_union_and_enum(void) {
        hw_event_t out;
        wbuf_t w, p;

        hw_event_init(&out);
        /* Sanity: the unpatched message decodes. */
        {
                hw_event_t ev = full_hire();
                p.n = 0;
                w_long(&p, 1);
                w_str(&p, ev.person_name);
                patched_hire(&w, HIRE_PERSON_NAME, p.d, p.n);
                CHECK_ERR(decode(w.d, w.n, &out), HW_OK);
        }
        /* Union branch out of range for person_name. */
        {
                static const int64_t branches[] = {2,
                                                   3,
                                                   -1,
                                                   100,
                                                   INT64_C(1) << 32,
                                                   (INT64_C(1) << 32) + 1};
                for (size_t i = 0; i < sizeof(branches) / sizeof(branches[0]);
                     i++) {
                        p.n = 0;
                        w_long(&p, branches[i]);
                        w_str(&p, "Bowen Zhang");
                        patched_hire(&w, HIRE_PERSON_NAME, p.d, p.n);
                        HW_CONTEXT("person_name union branch %" PRId64,
                                   branches[i]);
                        CHECK_ERR(decode(w.d, w.n, &out), HW_ERR_DECODE);
                        HW_CHECK_EQ_INT(out.type, HW_EVENT_NONE);
                }
        }
        /* Enum index out of range for tier: either class is a rejection;
         * record which one it is. */
        {
                static const int64_t syms[] = {4, 99, -1, INT64_C(1) << 32,
                                               (INT64_C(1) << 32) + 2};
                for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
                        hw_err_t err;
                        p.n = 0;
                        w_long(&p, syms[i]);
                        patched_hire(&w, HIRE_TIER, p.d, p.n);
                        HW_CONTEXT("tier index %" PRId64, syms[i]);
                        err = decode(w.d, w.n, &out);
                        HW_CHECK_MSG(err == HW_ERR_DECODE ||
                                             err == HW_ERR_INVALID_FIELD,
                                     "tier index %" PRId64 " gave %s (tier "
                                     "%d)",
                                     syms[i], hw_err_name(err), (int)out.tier);
                        if (err == HW_ERR_INVALID_FIELD)
                                HW_CHECK_CONTAINS(errstr, "tier");
                        fprintf(stderr,
                                "     note: tier index %" PRId64
                                " -> %s (%s)\n",
                                syms[i], hw_err_name(err), errstr);
                }
                /* The valid indexes all decode. */
                for (int t = 0; t < HW_TIER_COUNT; t++) {
                        p.n = 0;
                        w_long(&p, t);
                        patched_hire(&w, HIRE_TIER, p.d, p.n);
                        HW_CONTEXT("tier index %d", t);
                        if (CHECK_ERR(decode(w.d, w.n, &out), HW_OK))
                                HW_CHECK_EQ_INT(out.tier, t);
                }
        }
        /* Offer status out of range. */
        {
                hw_event_t o = an_offer(HW_OFFER_EXTENDED);
                static const int64_t syms[] = {4, -1, (INT64_C(1) << 32) + 1};
                for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
                        hw_err_t err;
                        w.n = 0;
                        w_header(&w, 3);
                        w_fields(&w, &o, offer_v1, 0, OFFER_STATUS);
                        w_long(&w, syms[i]);
                        w_fields(&w, &o, offer_v1, OFFER_STATUS + 1,
                                 NFIELDS(offer_v1));
                        HW_CONTEXT("status index %" PRId64, syms[i]);
                        err = decode(w.d, w.n, &out);
                        HW_CHECK_MSG(
                                err == HW_ERR_DECODE ||
                                        err == HW_ERR_INVALID_FIELD,
                                "status index %" PRId64 " gave %s (status %d)",
                                syms[i], hw_err_name(err), (int)out.status);
                        fprintf(stderr,
                                "     note: status index %" PRId64
                                " -> %s (%s)\n",
                                syms[i], hw_err_name(err), errstr);
                }
        }
        /* A NUL byte inside a string. */
        {
                p.n = 0;
                w_strn(&p, "ab\0cd", 5);
                patched_hire(&w, 0, p.d, p.n);
                CHECK_ERR(decode(w.d, w.n, &out), HW_ERR_INVALID_FIELD);
                HW_CHECK_CONTAINS(errstr, "event_id");
                HW_CHECK_EQ_INT(out.type, HW_EVENT_NONE);

                p.n = 0;
                w_long(&p, 1);
                w_strn(&p, "Bowen\0", 6);
                patched_hire(&w, HIRE_PERSON_NAME, p.d, p.n);
                CHECK_ERR(decode(w.d, w.n, &out), HW_ERR_INVALID_FIELD);
                HW_CHECK_CONTAINS(errstr, "person_name");

                p.n = 0;
                w_strn(&p, "\0", 1);
                patched_hire(&w, 0, p.d, p.n);
                CHECK_ERR(decode(w.d, w.n, &out), HW_ERR_INVALID_FIELD);
                HW_CHECK_CONTAINS(errstr, "event_id");
        }
        HW_CONTEXT("%s", "");
        hw_event_release(&out);
}

/* ------------------------------------------------------------------ */
/* 6. Garbage and mutations                                            */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;
static uint64_t rng(void) {
        /* xorshift64* */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * UINT64_C(2685821657736338717);
}

typedef struct fuzz_stats_s {
        size_t runs, bad, mismatch;
        hw_err_t bad_err;
        size_t bad_iter;
        size_t by_class[HW_ERR_INTERNAL + 1];
} fuzz_stats_t;

/* Decodes one buffer as an event (alerts == 0) or as an alert and checks
 * that the result is HW_OK or a rejection class, and that the output
 * matches it. */
static void fuzz_one(fuzz_stats_t *st, const unsigned char *p, size_t n,
                     int alerts, hw_event_t *out, hw_alert_t *alert,
                     size_t iter) {
        hw_err_t err;

        errstr[0] = '\0';
        if (alerts) {
                err = hw_codec_decode_alert(g_codec, p, n, alert, errstr,
                                            sizeof(errstr));
                if (err == HW_OK &&
                    (!alert->alert_id || !alert->rule || !alert->subject ||
                     !alert->summary ||
                     (unsigned)alert->severity >= HW_SEVERITY_COUNT))
                        st->mismatch++;
        } else {
                err = decode(p, n, out);
                if (err == HW_OK) {
                        /* What decodes is a whole, valid event. */
                        if ((out->type != HW_EVENT_HIRE &&
                             out->type != HW_EVENT_OFFER) ||
                            hw_validate_event(out, NOW, errstr,
                                              sizeof(errstr)) != HW_OK)
                                st->mismatch++;
                } else if (out->type != HW_EVENT_NONE) {
                        st->mismatch++;
                }
        }
        st->runs++;
        if ((unsigned)err <= HW_ERR_INTERNAL)
                st->by_class[err]++;
        if (err != HW_OK && !hw_err_is_rejection(err) && !st->bad++) {
                st->bad_err = err;
                st->bad_iter = iter;
        }
}

static void fuzz_report(const fuzz_stats_t *st, const char *what) {
        HW_CHECK_MSG(st->bad == 0,
                     "%s: %zu results were not a rejection class; the first "
                     "(iteration %zu) was %s",
                     what, st->bad, st->bad_iter, hw_err_name(st->bad_err));
        HW_CHECK_MSG(st->mismatch == 0,
                     "%s: %zu decodes left output that does not match the "
                     "result",
                     what, st->mismatch);
        fprintf(stderr,
                "     note: %s: %zu runs: ok %zu, bad_framing %zu, "
                "unknown_schema %zu, decode %zu, invalid_field %zu\n",
                what, st->runs, st->by_class[HW_OK],
                st->by_class[HW_ERR_BAD_FRAMING],
                st->by_class[HW_ERR_UNKNOWN_SCHEMA],
                st->by_class[HW_ERR_DECODE],
                st->by_class[HW_ERR_INVALID_FIELD]);
}

/* 10,000 random buffers, lengths 0-300, half with a valid header. */
static void garbage(int alerts, fuzz_stats_t *st) {
        unsigned char b[300];
        hw_event_t out;
        hw_alert_t alert;

        memset(st, 0, sizeof(*st));
        hw_event_init(&out);
        hw_alert_init(&alert);
        rng_state = UINT64_C(0x9E3779B97F4A7C15);
        for (size_t it = 0; it < 10000; it++) {
                size_t n = (size_t)(rng() % 301);
                for (size_t i = 0; i < n; i++)
                        b[i] = (unsigned char)rng();
                if (it % 2 == 0 && n >= 5) {
                        /* 00 00 00 00 02 mostly, also ids 1, 3 and 4. */
                        static const unsigned char ids[] = {2, 2, 1, 3, 4};
                        b[0] = b[1] = b[2] = b[3] = 0;
                        b[4] = alerts ? 4 : ids[rng() % 5];
                }
                fuzz_one(st, b, n, alerts, &out, &alert, it);
        }
        hw_event_release(&out);
        hw_alert_release(&alert);
}

static void test_garbage(void) {
        fuzz_stats_t st;
        hw_event_t out, ev = full_hire();
        hw_buf_t buf;

        garbage(0, &st);
        fuzz_report(&st, "random buffers as events");
        /* Many random bodies reached the Avro decoder. */
        HW_CHECK(st.by_class[HW_ERR_DECODE] > 1000);
        HW_CHECK(st.by_class[HW_ERR_BAD_FRAMING] > 1000);
        HW_CHECK(st.by_class[HW_ERR_UNKNOWN_SCHEMA] > 500);

        /* The codec still works afterwards. */
        hw_event_init(&out);
        hw_buf_init(&buf);
        if (CHECK_ERR(encode(&ev, 0, &buf), HW_OK) &&
            CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK))
                check_event_equal(&out, &ev, "after garbage");
        hw_event_release(&out);
        hw_buf_release(&buf);
}

static void test_garbage_alerts(void) {
        fuzz_stats_t st;
        garbage(1, &st);
        fuzz_report(&st, "random buffers as alerts");
        HW_CHECK(st.by_class[HW_ERR_DECODE] > 1000);
}

/* Flips or replaces 1-4 random bytes of valid messages (10,000 times),
 * sometimes also cutting or extending them. */
static void mutations(const hw_buf_t *msgs, size_t n_msgs, int alerts,
                      fuzz_stats_t *st) {
        unsigned char m[1024];
        hw_event_t out;
        hw_alert_t alert;

        memset(st, 0, sizeof(*st));
        hw_event_init(&out);
        hw_alert_init(&alert);
        rng_state = UINT64_C(20250715);
        for (size_t it = 0; it < 10000; it++) {
                const hw_buf_t *src = &msgs[it % n_msgs];
                size_t n = src->len, flips = 1 + rng() % 4;
                if (n > sizeof(m) - 3)
                        n = sizeof(m) - 3;
                memcpy(m, src->data, n);
                for (size_t f = 0; f < flips; f++) {
                        size_t pos = (size_t)(rng() % n);
                        if (rng() % 2)
                                m[pos] ^= (unsigned char)(1u << (rng() % 8));
                        else
                                m[pos] = (unsigned char)rng();
                }
                if (it % 7 == 0) {
                        n = 5 + (size_t)(rng() % (n - 4));
                } else if (it % 11 == 0) {
                        m[n] = m[n + 1] = m[n + 2] = (unsigned char)rng();
                        n += 3;
                }
                fuzz_one(st, m, n, alerts, &out, &alert, it);
        }
        hw_event_release(&out);
        hw_alert_release(&alert);
}

static void test_mutations(void) {
        hw_event_t ev, out;
        hw_buf_t bufs[3];
        fuzz_stats_t st;
        long long live_before;

        hw_event_init(&out);
        for (int i = 0; i < 3; i++)
                hw_buf_init(&bufs[i]);
        ev = full_hire();
        if (!CHECK_ERR(encode(&ev, 0, &bufs[0]), HW_OK) ||
            !CHECK_ERR(encode(&ev, HW_SCHEMA_HIRE_V1, &bufs[1]), HW_OK))
                goto done;
        ev = an_offer(HW_OFFER_ACCEPTED);
        if (!CHECK_ERR(encode(&ev, 0, &bufs[2]), HW_OK))
                goto done;

        /* Each schema keeps its last decoded value: decode the same three
         * messages before and after, so only a leak can change the count. */
        for (int i = 0; i < 3; i++)
                CHECK_ERR(decode(bufs[i].data, bufs[i].len, &out), HW_OK);
        live_before = spy.live;
        mutations(bufs, 3, 0, &st);
        fuzz_report(&st, "mutated events");
        /* The mutations reach every outcome of the body decoder. */
        HW_CHECK(st.by_class[HW_ERR_DECODE] > 100);
        HW_CHECK(st.by_class[HW_ERR_INVALID_FIELD] > 100);
        HW_CHECK(st.by_class[HW_OK] > 10);
        for (int i = 0; i < 3; i++)
                CHECK_ERR(decode(bufs[i].data, bufs[i].len, &out), HW_OK);
        HW_CHECK_MSG(spy.live == live_before,
                     "Avro C holds %lld more bytes after 10,000 mutated "
                     "messages",
                     spy.live - live_before);
done:
        hw_event_release(&out);
        for (int i = 0; i < 3; i++)
                hw_buf_release(&bufs[i]);
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

/* ------------------------------------------------------------------ */
/* Frees what main set up; also run by isolated tests' children. */
static void teardown(void) {
        hw_codec_destroy(g_codec);
        g_codec = NULL;
        avro_set_allocator(spy.next, spy.next_ud);
        free_strings();
}

int main(void) {
        int rc;

        g_codec = hw_codec_new(errstr, sizeof(errstr));
        if (!g_codec) {
                fprintf(stderr, "hw_codec_new failed: %s\n", errstr);
                return 1;
        }
        spy_install();
        hw_test_state.child_teardown = teardown;

        /* Alert decoding can crash the process (see the report): these
         * run in child processes, first, from a clean parent. */
        HW_RUN_ISOLATED(test_roundtrip_alert);
        HW_RUN_ISOLATED(test_roundtrip_alert_many);
        HW_RUN_ISOLATED(test_alert_fresh_codec);
        HW_RUN_ISOLATED(test_alert_after_tiny_message);
        HW_RUN_ISOLATED(test_alert_truncations);
        HW_RUN_ISOLATED(test_garbage_alerts);
        HW_RUN_ISOLATED(test_mutations_alerts);
        HW_RUN(test_roundtrip_full_hire);
        HW_RUN(test_roundtrip_null_hire);
        HW_RUN(test_roundtrip_offers);
        HW_RUN(test_errstr_fresh);
        HW_RUN(test_encode_args);
        HW_RUN(test_v1_resolution);
        HW_RUN(test_hand_encoded);
        HW_RUN(test_framing);
        HW_RUN(test_truncations);
        HW_RUN(test_hostile_lengths);
        HW_RUN(test_bad_union_and_enum);
        HW_RUN(test_garbage);
        HW_RUN(test_mutations);

        rc = hw_test_summary();
        teardown();
        return rc;
}
