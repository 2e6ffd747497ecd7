/* Unit tests of the wire codec on bad input: framing, lengths, fuzz. */
/*
 * Every rejection class (bad framing, unknown schema, decode error,
 * invalid field, too large), and Avro C keeping no memory and making no
 * allocation larger than the message (the spy allocator of
 * codec_fixtures.c).
 */
#include <inttypes.h>
#include <time.h>
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

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static void run_all(void) {
        HW_RUN(test_framing);
        HW_RUN(test_truncations);
        HW_RUN(test_hostile_lengths);
        HW_RUN(test_bad_union_and_enum);
        HW_RUN(test_garbage);
        HW_RUN(test_mutations);
}

int main(void) {
        return codec_main(run_all);
}
