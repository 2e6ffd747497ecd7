/*
 * Unit tests of the event model's neighbours: slugs, the NDJSON form
 * (parse, errors, write, round trip through the codec), the country table
 * and the names of the error classes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "hw_codec.h"
#include "hw_err.h"
#include "hw_event.h"
#include "hw_json.h"
#include "hw_test.h"
#include "hw_time.h"
#include "hw_validate.h"

/* 7. Slugs                                                            */
/* ------------------------------------------------------------------ */

static void check_slug_(const char *name, const char *want, int line) {
        char out[128];
        size_t n;
        memset(out, '#', sizeof(out));
        n = hw_slug(name, out, sizeof(out));
        HW_CONTEXT("hw_slug(\"%s\") at line %d", name, line);
        HW_CHECK_STR(out, want);
        HW_CHECK_EQ_INT(n, strlen(want));
        /* hw_slug_empty tells the same without writing it. */
        HW_CHECK_EQ_INT(hw_slug_empty(name), n == 0);
        HW_CONTEXT("%s", "");
}
#define CHECK_SLUG(name, want) check_slug_((name), (want), __LINE__)

static void test_slug(void) {
        char small[8];
        size_t n;

        CHECK_SLUG("Meta Superintelligence Labs",
                   "meta-superintelligence-labs");
        CHECK_SLUG("  --OpenAI!! ", "openai");
        CHECK_SLUG("Google DeepMind", "google-deepmind");
        CHECK_SLUG("Université de Montréal",
                   "universit\xC3\xA9-de-montr\xC3\xA9"
                   "al");
        CHECK_SLUG("", "");
        CHECK_SLUG("---", "");
        CHECK_SLUG("!!! ???", "");
        CHECK_SLUG("A", "a");
        CHECK_SLUG("a  b", "a-b");
        CHECK_SLUG("a_b.c/d", "a-b-c-d");
        CHECK_SLUG("GPT-4o  Team", "gpt-4o-team");
        CHECK_SLUG("OpenAI o1", "openai-o1");
        CHECK_SLUG("x-", "x");
        CHECK_SLUG("-x", "x");
        CHECK_SLUG("浙江大学", "浙江大学");
        CHECK_SLUG("Zhejiang University 浙江大学",
                   "zhejiang-university-浙江大学");
        CHECK_SLUG("AZaz09", "azaz09");
        CHECK_SLUG("@[`{", ""); /* the bytes around the letter ranges */

        /* Truncation: still NUL-terminated, returns the full length. */
        memset(small, '#', sizeof(small));
        n = hw_slug("Meta Superintelligence Labs", small, 5);
        HW_CHECK_EQ_INT(n, 27);
        HW_CHECK_STR(small, "meta");
        HW_CHECK_EQ_INT(small[5], '#'); /* nothing written past out_size */
        n = hw_slug("Meta Superintelligence Labs", small, 1);
        HW_CHECK_EQ_INT(n, 27);
        HW_CHECK_STR(small, "");
        memset(small, '#', sizeof(small));
        n = hw_slug("Meta", small, 0);
        HW_CHECK_EQ_INT(n, 4);
        HW_CHECK_EQ_INT(small[0], '#');
        n = hw_slug("Meta", small, 5); /* exactly fits */
        HW_CHECK_EQ_INT(n, 4);
        HW_CHECK_STR(small, "meta");
        n = hw_slug("Meta", small, 4); /* one short */
        HW_CHECK_EQ_INT(n, 4);
        HW_CHECK_STR(small, "met");
        n = hw_slug("a b", small, 2); /* cut at the dash */
        HW_CHECK_EQ_INT(n, 3);
        HW_CHECK_STR(small, "a");
        n = hw_slug("--a", small, sizeof(small));
        HW_CHECK_EQ_INT(n, 1);
}

/* ------------------------------------------------------------------ */
/* 8. NDJSON                                                           */
/* ------------------------------------------------------------------ */

static hw_err_t jparse(const char *text, hw_event_t *ev) {
        errstr[0] = '\0';
        return hw_json_parse_event(text, strlen(text), ev, errstr,
                                   sizeof(errstr));
}

#define HIRE_JSON_HEAD                                                         \
        "{\"type\":\"hire\",\"event_id\":\"h1\",\"person_id\":\"p1\","         \
        "\"person_name\":\"Bowen Zhang\",\"from_org\":\"Apple\","              \
        "\"from_lab\":null,\"to_org\":\"Meta\","                               \
        "\"to_lab\":\"Meta Superintelligence Labs\",\"from_country\":\"US\","  \
        "\"to_country\":\"US\",\"nationality\":\"CN\","                        \
        "\"alma_mater\":\"Zhejiang University 浙江大学\",\"tier\":\"S\","  \
        "\"compensation_usd\":200000000,\"source_url\":\"https://x.io/a\","

static void test_json_parse(void) {
        static const struct {
                const char *t;
                int64_t ms;
        } times[] = {
                {"\"2025-06-15T10:00:00Z\"", T_JUNE15_10},
                {"\"2025-06-15T10:00:00.250Z\"", T_JUNE15_10 + 250},
                {"\"2025-06-15T12:00:00+02:00\"", T_JUNE15_10},
                {"\"2025-06-15T12:00:00.250+02:00\"", T_JUNE15_10 + 250},
                {"\"2025-06-15T04:30:00-05:30\"", T_JUNE15_10},
                {"\"2025-06-15T10:00:00.5Z\"", T_JUNE15_10 + 500},
                {"\"2025-06-15\"", INT64_C(1749945600000)},
                {"\"2024-02-29T23:59:59Z\"", INT64_C(1709251199000)},
                {"\"2000-01-01T00:00:00Z\"", HW_TIME_MIN_MS},
                {"1749981600000", T_JUNE15_10},
                {"1749981600250", T_JUNE15_10 + 250},
        };
        hw_event_t ev;
        char line[1024];

        hw_event_init(&ev);
        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
                snprintf(line, sizeof(line), "%s\"occurred_at\":%s}",
                         HIRE_JSON_HEAD, times[i].t);
                HW_CONTEXT("occurred_at %s", times[i].t);
                if (CHECK_ERR(jparse(line, &ev), HW_OK))
                        HW_CHECK_EQ_INT(ev.occurred_at, times[i].ms);
        }
        HW_CONTEXT("%s", "");

        /* Every field of the hire line. */
        snprintf(line, sizeof(line),
                 "%s\"occurred_at\":\"2025-06-15T10:00:00Z\"}", HIRE_JSON_HEAD);
        if (CHECK_ERR(jparse(line, &ev), HW_OK)) {
                HW_CHECK_EQ_INT(ev.type, HW_EVENT_HIRE);
                HW_CHECK_STR(ev.event_id, "h1");
                HW_CHECK_STR(ev.person_id, "p1");
                HW_CHECK_STR(ev.person_name, "Bowen Zhang");
                HW_CHECK_STR(ev.from_org, "Apple");
                HW_CHECK_NULL(ev.from_lab);
                HW_CHECK_STR(ev.to_org, "Meta");
                HW_CHECK_STR(ev.to_lab, "Meta Superintelligence Labs");
                HW_CHECK_STR(ev.from_country, "US");
                HW_CHECK_STR(ev.to_country, "US");
                HW_CHECK_STR(ev.nationality, "CN");
                HW_CHECK_STR(ev.alma_mater, "Zhejiang University 浙江大学");
                HW_CHECK_EQ_INT(ev.tier, HW_TIER_S);
                HW_CHECK_EQ_INT(ev.compensation_usd.present, 1);
                HW_CHECK_EQ_INT(ev.compensation_usd.value, 200000000);
                HW_CHECK_STR(ev.source_url, "https://x.io/a");
                CHECK_ERR(hw_validate_event(&ev, NOW, errstr, sizeof(errstr)),
                          HW_OK);
        }

        /* Only the required fields: defaults for the rest. */
        if (CHECK_ERR(jparse("{\"type\":\"hire\",\"event_id\":\"h2\","
                             "\"occurred_at\":1749981600000,"
                             "\"person_id\":\"p\",\"from_org\":\"A\","
                             "\"to_org\":\"B\",\"from_country\":\"KR\","
                             "\"to_country\":\"US\"}",
                             &ev),
                      HW_OK)) {
                HW_CHECK_NULL(ev.person_name);
                HW_CHECK_NULL(ev.alma_mater);
                HW_CHECK_NULL(ev.source_url);
                HW_CHECK_EQ_INT(ev.tier, HW_TIER_UNRATED);
                HW_CHECK_EQ_INT(ev.compensation_usd.present, 0);
        }

        /* An offer line. */
        if (CHECK_ERR(jparse("{\"type\":\"offer\",\"event_id\":\"o1\","
                             "\"occurred_at\":\"2025-06-15T10:00:00Z\","
                             "\"person_id\":\"p2\",\"person_name\":null,"
                             "\"offering_org\":\"Meta\","
                             "\"offering_lab\":\"Meta Superintelligence "
                             "Labs\",\"current_org\":\"Apple\","
                             "\"from_country\":\"US\",\"to_country\":\"US\","
                             "\"status\":\"DECLINED\","
                             "\"total_value_usd\":200000000,"
                             "\"sign_on_bonus_usd\":100000000,"
                             "\"tier\":\"A\",\"source_url\":null}",
                             &ev),
                      HW_OK)) {
                HW_CHECK_EQ_INT(ev.type, HW_EVENT_OFFER);
                HW_CHECK_STR(ev.event_id, "o1");
                HW_CHECK_EQ_INT(ev.occurred_at, T_JUNE15_10);
                HW_CHECK_NULL(ev.person_name);
                HW_CHECK_STR(ev.offering_org, "Meta");
                HW_CHECK_STR(ev.offering_lab, "Meta Superintelligence Labs");
                HW_CHECK_STR(ev.current_org, "Apple");
                HW_CHECK_EQ_INT(ev.status, HW_OFFER_DECLINED);
                HW_CHECK_EQ_INT(ev.total_value_usd, 200000000);
                HW_CHECK_EQ_INT(ev.sign_on_bonus_usd.present, 1);
                HW_CHECK_EQ_INT(ev.sign_on_bonus_usd.value, 100000000);
                HW_CHECK_EQ_INT(ev.tier, HW_TIER_A);
                HW_CHECK_NULL(ev.source_url);
                HW_CHECK_NULL(ev.from_org);
                CHECK_ERR(hw_validate_event(&ev, NOW, errstr, sizeof(errstr)),
                          HW_OK);
        }
        hw_event_release(&ev);
}

static void test_json_errors(void) {
        static const struct {
                const char *text;
                hw_err_t want; /* HW_OK here means DECODE or INVALID_FIELD */
                const char *field;
        } cases[] = {
                {"{", HW_ERR_DECODE, NULL},
                {"hello", HW_ERR_DECODE, NULL},
                {"", HW_ERR_DECODE, NULL},
                {"[1,2]", HW_ERR_DECODE, NULL},
                {"\"hire\"", HW_ERR_DECODE, NULL},
                {"42", HW_ERR_DECODE, NULL},
                {"{\"event_id\":\"x\"}", HW_ERR_INVALID_FIELD, "type"},
                {"{\"type\":7}", HW_ERR_INVALID_FIELD, "type"},
                {"{\"type\":\"quit\"}", HW_ERR_INVALID_FIELD, "type"},
                {"{\"type\":\"Hire\"}", HW_ERR_INVALID_FIELD, "type"},
        };
        /* Lines derived from a valid hire / offer. */
        static const struct {
                const char *from, *to; /* replace `from` by `to` */
                const char *field;
                int offer;
        } edits[] = {
                {"\"to_org\":\"Meta\",", "", "to_org", 0},
                {"\"event_id\":\"h1\",", "", "event_id", 0},
                {"\"occurred_at\":\"2025-06-15T10:00:00Z\"",
                 "\"occurred_at\":\"2025-06-15T10:00:00\"", "occurred_at", 0},
                {"\"occurred_at\":\"2025-06-15T10:00:00Z\"",
                 "\"occurred_at\":\"yesterday\"", "occurred_at", 0},
                {"\"occurred_at\":\"2025-06-15T10:00:00Z\"",
                 "\"occurred_at\":\"2025-02-29T10:00:00Z\"", "occurred_at", 0},
                {"\"occurred_at\":\"2025-06-15T10:00:00Z\"",
                 "\"occurred_at\":\"2025-06-15T24:00:00Z\"", "occurred_at", 0},
                {"\"occurred_at\":\"2025-06-15T10:00:00Z\"",
                 "\"occurred_at\":1.5e12", "occurred_at", 0},
                {"\"occurred_at\":\"2025-06-15T10:00:00Z\"",
                 "\"occurred_at\":true", "occurred_at", 0},
                {"\"tier\":\"S\"", "\"tier\":\"SS\"", "tier", 0},
                {"\"tier\":\"S\"", "\"tier\":\"s\"", "tier", 0},
                {"\"tier\":\"S\"", "\"tier\":0", "tier", 0},
                {"\"person_id\":\"p1\"", "\"person_id\":\"p1\",\"salary\":1",
                 "salary", 0},
                {"\"person_id\":\"p1\"", "\"person_id\":17", "person_id", 0},
                {"\"to_org\":\"Meta\"", "\"to_org\":null", "to_org", 0},
                {"\"compensation_usd\":200000000",
                 "\"compensation_usd\":\"200000000\"", "compensation_usd", 0},
                {"\"compensation_usd\":200000000", "\"compensation_usd\":2.5",
                 "compensation_usd", 0},
                {"\"person_id\":\"p1\"",
                 "\"person_id\":\"p1\",\"status\":\"EXTENDED\"", "status", 0},
                {"\"event_id\":\"h1\"",
                 "\"event_id\":\"h1\",\"event_id\":\"h2\"", "event_id", 0},
                {"\"total_value_usd\":200000000",
                 "\"total_value_usd\":\"200000000\"", "total_value_usd", 1},
                {"\"total_value_usd\":200000000,", "", "total_value_usd", 1},
                {"\"status\":\"EXTENDED\"", "\"status\":\"PENDING\"", "status",
                 1},
                {"\"status\":\"EXTENDED\",", "", "status", 1},
                {"\"current_org\":\"Apple\",", "", "current_org", 1},
                {"\"current_org\":\"Apple\"",
                 "\"current_org\":\"Apple\",\"to_org\":\"Meta\"", "to_org", 1},
                {"\"sign_on_bonus_usd\":null", "\"sign_on_bonus_usd\":\"lots\"",
                 "sign_on_bonus_usd", 1},
        };
        static const char hire[] =
                "{\"type\":\"hire\",\"event_id\":\"h1\","
                "\"occurred_at\":\"2025-06-15T10:00:00Z\","
                "\"person_id\":\"p1\",\"from_org\":\"Apple\","
                "\"to_org\":\"Meta\",\"from_country\":\"US\","
                "\"to_country\":\"US\",\"tier\":\"S\","
                "\"compensation_usd\":200000000}";
        static const char offer[] =
                "{\"type\":\"offer\",\"event_id\":\"o1\","
                "\"occurred_at\":1749981600000,\"person_id\":\"p2\","
                "\"offering_org\":\"Meta\",\"current_org\":\"Apple\","
                "\"from_country\":\"US\",\"to_country\":\"US\","
                "\"status\":\"EXTENDED\",\"total_value_usd\":200000000,"
                "\"sign_on_bonus_usd\":null}";
        hw_event_t ev;
        char line[1024];

        hw_event_init(&ev);
        CHECK_ERR(jparse(hire, &ev), HW_OK);
        CHECK_ERR(jparse(offer, &ev), HW_OK);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                HW_CONTEXT("JSON %s", cases[i].text);
                CHECK_ERR(jparse(cases[i].text, &ev), cases[i].want);
                if (cases[i].field)
                        HW_CHECK_CONTAINS(errstr, cases[i].field);
                HW_CHECK_EQ_INT(ev.type, HW_EVENT_NONE);
        }
        for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
                const char *src = edits[i].offer ? offer : hire;
                const char *at = strstr(src, edits[i].from);
                hw_err_t err;
                if (!HW_CHECK_MSG(at != NULL, "edit %zu does not apply", i))
                        continue;
                snprintf(line, sizeof(line), "%.*s%s%s", (int)(at - src), src,
                         edits[i].to, at + strlen(edits[i].from));
                HW_CONTEXT("JSON %s", line);
                err = jparse(line, &ev);
                HW_CHECK_MSG(err == HW_ERR_INVALID_FIELD ||
                                     err == HW_ERR_DECODE,
                             "got %s", hw_err_name(err));
                HW_CHECK_CONTAINS(errstr, edits[i].field);
                HW_CHECK_EQ_INT(ev.type, HW_EVENT_NONE);
                HW_CHECK_NULL(ev.event_id);
        }
        HW_CONTEXT("%s", "");
        /* The length argument bounds the text: a valid line cut short. */
        CHECK_ERR(hw_json_parse_event(hire, sizeof(hire) - 2, &ev, errstr,
                                      sizeof(errstr)),
                  HW_ERR_DECODE);
        /* Trailing text after the object. */
        snprintf(line, sizeof(line), "%s x", hire);
        CHECK_ERR(jparse(line, &ev), HW_ERR_DECODE);
        hw_event_release(&ev);
}

static void test_json_write(void) {
        hw_event_t src[4], back, again;
        hw_buf_t out, out2;

        src[0] = full_hire();
        src[1] = null_hire();
        src[2] = an_offer(HW_OFFER_WITHDRAWN);
        src[3] = an_offer(HW_OFFER_EXTENDED);
        src[3].sign_on_bonus_usd.present = 0;
        src[3].person_name = "\"quoted\" \\ and\ttab and 한국";
        src[0].occurred_at = T_JUNE15_10 + 250;
        src[1].occurred_at = HW_TIME_MIN_MS + 1;
        hw_event_init(&back);
        hw_event_init(&again);
        hw_buf_init(&out);
        hw_buf_init(&out2);
        for (int i = 0; i < 4; i++) {
                HW_CONTEXT("event %d", i);
                out.len = 0;
                if (!HW_CHECK_EQ_INT(hw_json_write_event(&src[i], &out), 0))
                        continue;
                HW_CHECK(out.len > 0 && out.data[0] == '{' &&
                         out.data[out.len - 1] == '}');
                HW_CHECK(memchr(out.data, '\n', out.len) == NULL);
                if (!CHECK_ERR(hw_json_parse_event(out.data, out.len, &back,
                                                   errstr, sizeof(errstr)),
                               HW_OK))
                        continue;
                check_event_equal(&back, &src[i], "JSON round trip");
                /* Writing the parsed event gives the same text. */
                out2.len = 0;
                if (HW_CHECK_EQ_INT(hw_json_write_event(&back, &out2), 0) &&
                    HW_CHECK_EQ_INT(out2.len, out.len))
                        HW_CHECK_MEM(out2.data, out.data, out.len);
        }
        HW_CONTEXT("%s", "");
        /* Timestamps are ISO 8601 UTC. */
        out.len = 0;
        if (HW_CHECK_EQ_INT(hw_json_write_event(&src[0], &out), 0) &&
            HW_CHECK_EQ_INT(hw_buf_append(&out, "", 1), 0))
                HW_CHECK_CONTAINS(
                        out.data,
                        "\"occurred_at\":\"2025-06-15T10:00:00.250Z\"");
        /* Decoded from Avro, written to JSON, parsed: still equal. */
        {
                hw_buf_t bin;
                hw_buf_init(&bin);
                if (CHECK_ERR(encode(&src[0], 0, &bin), HW_OK) &&
                    CHECK_ERR(decode(bin.data, bin.len, &back), HW_OK)) {
                        out.len = 0;
                        if (HW_CHECK_EQ_INT(hw_json_write_event(&back, &out),
                                            0) &&
                            CHECK_ERR(hw_json_parse_event(out.data, out.len,
                                                          &again, errstr,
                                                          sizeof(errstr)),
                                      HW_OK))
                                check_event_equal(&again, &src[0],
                                                  "Avro -> JSON -> event");
                }
                hw_buf_release(&bin);
        }
        /* ISO formatting directly. */
        {
                char ts[40];
                hw_time_format_iso(T_JUNE15_10, ts, sizeof(ts));
                HW_CHECK_STR(ts, "2025-06-15T10:00:00Z");
                hw_time_format_iso(HW_TIME_MIN_MS - 1, ts, sizeof(ts));
                HW_CHECK_STR(ts, "1999-12-31T23:59:59.999Z");
                hw_time_format_iso(-1, ts, sizeof(ts));
                HW_CHECK_STR(ts, "1969-12-31T23:59:59.999Z");
        }
        hw_event_release(&back);
        hw_event_release(&again);
        hw_buf_release(&out);
        hw_buf_release(&out2);
}

/* ------------------------------------------------------------------ */
/* 9. Countries                                                        */
/* ------------------------------------------------------------------ */

/* ISO 3166-1 alpha-2 (Debian iso-codes 4.15), independent of the table in
 * hw_validate.c. */
static const char iso_codes[][3] = {
        "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT",
        "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI",
        "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY",
        "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
        "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
        "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK",
        "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL",
        "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
        "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR",
        "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
        "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS",
        "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
        "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW",
        "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP",
        "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
        "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
        "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
        "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF",
        "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
        "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
        "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

static void test_countries(void) {
        static const char *valid[] = {"KR", "US", "GB", "CN", "SS", "BQ"};
        static const char *invalid[] = {"UK", "EU", "XK",  "kr", "Kr", "kR",
                                        "",   "K",  "KRR", "AN", "YU", "CS",
                                        "ZR", "TP", "00",  "K1", "US "};
        size_t n_valid = 0, missing = 0;
        char code[3] = {0};

        HW_CHECK_EQ_INT(hw_country_count(), 249);
        HW_CHECK_EQ_INT(sizeof(iso_codes) / sizeof(iso_codes[0]), 249);
        for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
                HW_CHECK_MSG(hw_country_valid(valid[i]), "%s should be valid",
                             valid[i]);
        for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
                HW_CHECK_MSG(!hw_country_valid(invalid[i]),
                             "\"%s\" should be invalid", invalid[i]);
        HW_CHECK(!hw_country_valid(NULL));
        for (size_t i = 0; i < sizeof(iso_codes) / sizeof(iso_codes[0]); i++)
                if (!hw_country_valid(iso_codes[i]) && !missing++)
                        HW_CHECK_MSG(0, "%s is not accepted", iso_codes[i]);
        HW_CHECK_EQ_INT(missing, 0);
        /* Exactly 249 of the 676 upper-case pairs are accepted (this also
         * catches an unsorted table, which bsearch would miss entries of). */
        for (char a = 'A'; a <= 'Z'; a++)
                for (char b = 'A'; b <= 'Z'; b++) {
                        code[0] = a;
                        code[1] = b;
                        n_valid += hw_country_valid(code) != 0;
                }
        HW_CHECK_EQ_INT(n_valid, 249);
        /* Nothing outside A-Z. */
        n_valid = 0;
        for (int a = 1; a < 256; a++)
                for (int b = 1; b < 256; b++) {
                        if (a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z')
                                continue;
                        code[0] = (char)a;
                        code[1] = (char)b;
                        n_valid += hw_country_valid(code) != 0;
                }
        HW_CHECK_EQ_INT(n_valid, 0);
}

/* ------------------------------------------------------------------ */

/* HW_ASSERT: a holding invariant costs nothing; a broken one stops the
 * process with SIGABRT, naming the place and the condition (in every
 * build, NDEBUG or not). */
static void test_assert(void) {
        int fds[2], status = 0;
        char out[256] = "";
        ssize_t n;
        pid_t pid;

        HW_ASSERT(1 + 1 == 2);
        if (!HW_CHECK(pipe(fds) == 0))
                return;
        pid = fork();
        if (pid == 0) {
                dup2(fds[1], 2);
                HW_ASSERT(sizeof(int) == 0);
                _exit(0);
        }
        close(fds[1]);
        n = read(fds[0], out, sizeof(out) - 1);
        out[n > 0 ? n : 0] = '\0';
        close(fds[0]);
        HW_CHECK(waitpid(pid, &status, 0) == pid);
        HW_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
        HW_CHECK_CONTAINS(out, "internal error at");
        HW_CHECK_CONTAINS(out, "test_event.c:");
        HW_CHECK_CONTAINS(out, "sizeof(int) == 0 does not hold");
}

static void test_err_names(void) {
        HW_CHECK_STR(hw_err_name(HW_ERR_BAD_FRAMING), "bad_framing");
        HW_CHECK_STR(hw_err_name(HW_ERR_UNKNOWN_SCHEMA), "unknown_schema");
        HW_CHECK_STR(hw_err_name(HW_ERR_DECODE), "decode_error");
        HW_CHECK_STR(hw_err_name(HW_ERR_INVALID_FIELD), "invalid_field");
        HW_CHECK_STR(hw_err_name(HW_ERR_TOO_LARGE), "too_large");
        HW_CHECK(!hw_err_is_rejection(HW_OK));
        HW_CHECK(hw_err_is_rejection(HW_ERR_BAD_FRAMING));
        HW_CHECK(hw_err_is_rejection(HW_ERR_TOO_LARGE));
        HW_CHECK(!hw_err_is_rejection(HW_ERR_NOMEM));
        HW_CHECK(!hw_err_is_rejection(HW_ERR_INTERNAL));
        HW_CHECK_STR(hw_err_name(HW_ERR_INTERNAL), "internal_error");
        HW_CHECK_STR(hw_err_name((hw_err_t)99), "unknown_error");
}

/* A field of the wrong JSON type is named with the type it has. */
static void test_json_types_named(void) {
        static const struct {
                const char *line, *want;
        } cases[] = {
                {"{\"type\":\"hire\",\"person_name\":{\"first\":\"Ada\"}}",
                 "person_name: is an object, expected a string or null"},
                {"{\"type\":\"hire\",\"event_id\":[\"e1\"]}",
                 "event_id: is an array, expected a string"},
                {"{\"type\":\"hire\",\"compensation_usd\":1.5}",
                 "compensation_usd: is a number with a fraction, expected an "
                 "integer or null"},
                {"{\"type\":\"hire\",\"tier\":true}",
                 "tier: is a boolean, expected an enum symbol"},
                {"[1,2]", "expected a JSON object, got an array"},
                {"{\"type\":\"hire\",\"from_org\":null}",
                 "from_org: is null, expected a string"},
        };
        char es[512];
        hw_event_t ev;

        hw_event_init(&ev);
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                HW_CONTEXT("%s", cases[i].line);
                HW_CHECK_NE_INT(hw_json_check_event(cases[i].line,
                                                    strlen(cases[i].line), &ev,
                                                    INT64_C(1751328000000), es,
                                                    sizeof(es)),
                                HW_OK);
                HW_CHECK_CONTAINS(es, cases[i].want);
        }
        hw_event_release(&ev);
}

/* "a" and code point cp in UTF-8 into out (NUL-terminated); its length. */
static size_t utf8(uint32_t cp, char *out) {
        size_t n = 0;
        out[n++] = 'a';
        if (cp < 0x800) {
                out[n++] = (char)(0xC0 | cp >> 6);
        } else if (cp < 0x10000) {
                out[n++] = (char)(0xE0 | cp >> 12);
                out[n++] = (char)(0x80 | (cp >> 6 & 0x3F));
        } else {
                out[n++] = (char)(0xF0 | cp >> 18);
                out[n++] = (char)(0x80 | (cp >> 12 & 0x3F));
                out[n++] = (char)(0x80 | (cp >> 6 & 0x3F));
        }
        out[n++] = (char)(0x80 | (cp & 0x3F));
        out[n] = '\0';
        return n;
}

/* Invisible characters and bytes that are not UTF-8 are shown by code;
 * every other character as it is; the output is always terminated. */
static void test_show_text(void) {
        static const struct {
                const char *in, *want;
        } cases[] = {
                {"US", "US"},
                {"Universit\xC3\xA9 de Montr\xC3\xA9"
                 "al",
                 "Universit\xC3\xA9 de Montr\xC3\xA9"
                 "al"},
                {"U\xE2\x80\x8BS", "U<U+200B>S"}, /* zero width space */
                {"\xEF\xBB\xBF{", "<U+FEFF>{"},   /* byte order mark */
                {"a\xC2\xA0"
                 "b",
                 "a<U+00A0>b"},                     /* no-break space */
                {"a\tb\x7F", "a<U+0009>b<U+007F>"}, /* controls */
                {"\xE2\x80\x8F"
                 "x",
                 "<U+200F>x"},                  /* right-to-left mark */
                {"x\xEF\xB8\x8F", "x<U+FE0F>"}, /* variation selector */
                {"\xFF"
                 "a\xC3",
                 "<0xFF>a<0xC3>"}, /* not UTF-8 */
                {"\xE4\xB8\xAD\xE6\x96\x87", "\xE4\xB8\xAD\xE6\x96\x87"},
        };
        /* Every other kind of character that shows as nothing or as a
         * blank, by code point, and visible neighbours left as they are. */
        static const uint32_t hidden[] = {
                0x00AD, 0x034F,  0x061C,  0x115F, 0x1160, 0x17B4, 0x17B5,
                0x180B, 0x180F,  0x2000,  0x200A, 0x2028, 0x202F, 0x205F,
                0x2060, 0x206F,  0x3000,  0x3164, 0xFE00, 0xFFA0, 0xFFF0,
                0xFFFB, 0xE0001, 0xE007F, 0xE0FFF};
        static const uint32_t shown[] = {0x00AE, 0x0350, 0x17B6,  0x1810,
                                         0x2010, 0x2030, 0x2070,  0x3001,
                                         0xFE10, 0xFFFC, 0x1F600, 0xE1000};
        char out[64], small[6], in[8], want[16];

        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
                HW_CHECK_STR(hw_show_text(cases[i].in, strlen(cases[i].in), out,
                                          sizeof(out)),
                             cases[i].want);
        for (size_t i = 0; i < sizeof(hidden) / sizeof(*hidden); i++) {
                snprintf(want, sizeof(want), "a<U+%04X>", (unsigned)hidden[i]);
                HW_CHECK_STR(
                        hw_show_text(in, utf8(hidden[i], in), out, sizeof(out)),
                        want);
        }
        for (size_t i = 0; i < sizeof(shown) / sizeof(*shown); i++) {
                size_t n = utf8(shown[i], in);
                HW_CHECK_STR(hw_show_text(in, n, out, sizeof(out)), in);
        }
        /* Cut at a whole character or code, never mid-way. */
        HW_CHECK_STR(hw_show_text("ab\xE2\x80\x8B", 5, small, sizeof(small)),
                     "ab");
        HW_CHECK_STR(hw_show_text("abcdefgh", 8, small, sizeof(small)),
                     "abcde");
}

/* Every bad field of a line, each once; the fields that parsed are
 * checked by the rules too. */
static void test_json_all_problems(void) {
        static const char line[] =
                "{\"type\":\"hire\",\"event_id\":\"e1\","
                "\"occurred_at\":\"2025-06-01T00:00:00Z\","
                "\"person_id\":\"p1\",\"from_org\":\"A\",\"to_org\":\"B\","
                "\"from_country\":\"XX\",\"to_country\":\"US\","
                "\"tier\":\"Q\",\"shoe_size\":44}";
        char errstr[512];
        hw_event_t ev;

        hw_event_init(&ev);
        HW_CHECK_EQ_INT(hw_json_check_event(line, sizeof(line) - 1, &ev,
                                            INT64_C(1751328000000), errstr,
                                            sizeof(errstr)),
                        HW_ERR_INVALID_FIELD);
        HW_CHECK_CONTAINS(errstr, "tier: \"Q\" is not one of");
        HW_CHECK_CONTAINS(errstr, "shoe_size: not a field of a hire event");
        HW_CHECK_CONTAINS(errstr,
                          "from_country: \"XX\" is not an assigned ISO");
        HW_CHECK(strstr(errstr, "tier: is missing") == NULL);
        HW_CHECK_EQ_INT(ev.type, HW_EVENT_NONE); /* nothing half-parsed */
        hw_event_release(&ev);
}

/* The tests, with g_codec set up by fixtures_main(). */
static void run_all(void) {
        HW_RUN(test_err_names);
        HW_RUN(test_json_types_named);
        HW_RUN(test_assert);
        HW_RUN(test_slug);
        HW_RUN(test_json_parse);
        HW_RUN(test_json_errors);
        HW_RUN(test_json_write);
        HW_RUN(test_countries);
        HW_RUN(test_show_text);
        HW_RUN(test_json_all_problems);
}

int main(void) {
        return fixtures_main(run_all);
}
