/* Unit tests of the wire codec on events: round trips, v1 -> v2, args. */
/*
 * Events encoded and decoded byte for byte against the hand encoder of
 * codec_fixtures.c. Alerts are test_codec_alerts.c's, framing and hostile
 * input test_codec_hostile.c's, the semantic rules through the decode path
 * test_rules.c's; slugs, NDJSON and the country table test_event.c's.
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

static void run_all(void) {
        HW_RUN(test_roundtrip_full_hire);
        HW_RUN(test_roundtrip_null_hire);
        HW_RUN(test_roundtrip_offers);
        HW_RUN(test_errstr_fresh);
        HW_RUN(test_encode_args);
        HW_RUN(test_v1_resolution);
        HW_RUN(test_hand_encoded);
}

int main(void) {
        return codec_main(run_all);
}
