/*
 * Unit tests of the semantic rules (SPEC §3: lengths, country codes, time
 * and money ranges, UTF-8, no control characters, a hire must change
 * (org, lab)), through the
 * decode path: each case is encoded and decoded, and must come back equal
 * or be rejected as invalid_field naming the field.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "fixtures.h"
#include "hw_codec.h"
#include "hw_event.h"
#include "hw_test.h"
#include "hw_time.h"
#include "hw_validate.h"

/* ------------------------------------------------------------------ */
/* Semantic rules through the decode path                              */
/* ------------------------------------------------------------------ */

/* Encodes ev (no validation), decodes it with NOW and checks the outcome:
 * want == HW_OK -> decodes to an equal event; otherwise the class and
 * errstr naming `field`. */
static void expect_decode_(const hw_event_t *ev, hw_err_t want,
                           const char *field, int line, const char *what) {
        hw_event_t out;
        hw_buf_t buf;
        hw_err_t err;

        hw_event_init(&out);
        hw_buf_init(&buf);
        HW_CONTEXT("case at line %d: %s", line, what);
        if (!CHECK_ERR(encode(ev, 0, &buf), HW_OK))
                goto done;
        err = decode(buf.data, buf.len, &out);
        if (!CHECK_ERR(err, want))
                goto done;
        if (want == HW_OK) {
                check_event_equal(&out, ev, what);
        } else {
                HW_CONTEXT("case at line %d: %s", line, what);
                if (field)
                        HW_CHECK_CONTAINS(errstr, field);
                HW_CHECK_EQ_INT(out.type, HW_EVENT_NONE);
                HW_CHECK_NULL(out.event_id);
        }
done:
        HW_CONTEXT("%s", "");
        hw_event_release(&out);
        hw_buf_release(&buf);
}
#define EXPECT_REJECT(ev, field, what)                                         \
        expect_decode_(&(ev), HW_ERR_INVALID_FIELD, (field), __LINE__, (what))
#define EXPECT_ACCEPT(ev, what)                                                \
        expect_decode_(&(ev), HW_OK, NULL, __LINE__, (what))

static void test_rules_lengths(void) {
        hw_event_t ev;

        ev = full_hire();
        EXPECT_ACCEPT(ev, "the base hire");
        ev = null_hire();
        EXPECT_ACCEPT(ev, "the null hire");

        ev = full_hire();
        ev.event_id = "";
        EXPECT_REJECT(ev, "event_id", "event_id empty");
        ev.event_id = rep('e', 129);
        EXPECT_REJECT(ev, "event_id", "event_id 129 bytes");
        ev.event_id = rep('e', 128);
        EXPECT_ACCEPT(ev, "event_id 128 bytes");
        ev.event_id = "e";
        EXPECT_ACCEPT(ev, "event_id 1 byte");

        ev = full_hire();
        ev.person_id = "";
        EXPECT_REJECT(ev, "person_id", "person_id empty");
        ev.person_id = rep('p', 129);
        EXPECT_REJECT(ev, "person_id", "person_id 129 bytes");
        ev.person_id = rep('p', 128);
        EXPECT_ACCEPT(ev, "person_id 128 bytes");

        ev = full_hire();
        ev.person_name = rep('n', 201);
        EXPECT_REJECT(ev, "person_name", "person_name 201 bytes");
        ev.person_name = rep('n', 200);
        EXPECT_ACCEPT(ev, "person_name 200 bytes");
        /* 200 bytes of 3-byte characters is 66 characters + 2 bytes: the
         * limit is in bytes. 67 x "张" = 201 bytes. */
        {
                static char cjk[67 * 3 + 1];
                for (int i = 0; i < 67; i++)
                        memcpy(cjk + 3 * i, "张", 3);
                cjk[67 * 3] = '\0';
                ev.person_name = cjk;
                EXPECT_REJECT(ev, "person_name",
                              "person_name 201 bytes of CJK");
        }

        ev = full_hire();
        ev.from_org = "";
        EXPECT_REJECT(ev, "from_org", "from_org empty");
        ev.from_org = rep('o', 201);
        EXPECT_REJECT(ev, "from_org", "from_org 201 bytes");
        ev.from_org = rep('o', 200);
        EXPECT_ACCEPT(ev, "from_org 200 bytes");

        ev = full_hire();
        ev.to_org = "";
        EXPECT_REJECT(ev, "to_org", "to_org empty");
        ev.to_org = rep('t', 201);
        EXPECT_REJECT(ev, "to_org", "to_org 201 bytes");
        ev.to_org = rep('t', 200);
        EXPECT_ACCEPT(ev, "to_org 200 bytes");

        ev = full_hire();
        ev.source_url = rep('u', 2049);
        EXPECT_REJECT(ev, "source_url", "source_url 2049 bytes");
        ev.source_url = rep('u', 2048);
        EXPECT_ACCEPT(ev, "source_url 2048 bytes");

        /* Offer strings. */
        ev = an_offer(HW_OFFER_EXTENDED);
        EXPECT_ACCEPT(ev, "the base offer");
        ev.offering_org = "";
        EXPECT_REJECT(ev, "offering_org", "offering_org empty");
        ev = an_offer(HW_OFFER_EXTENDED);
        ev.current_org = rep('c', 201);
        EXPECT_REJECT(ev, "current_org", "current_org 201 bytes");
        ev = an_offer(HW_OFFER_EXTENDED);
        ev.event_id = rep('e', 129);
        EXPECT_REJECT(ev, "event_id", "offer event_id 129 bytes");
        ev = an_offer(HW_OFFER_EXTENDED);
        ev.source_url = rep('u', 2049);
        EXPECT_REJECT(ev, "source_url", "offer source_url 2049 bytes");
}

static void test_rules_countries(void) {
        static const struct {
                const char *code;
                int ok;
        } cases[] = {
                {"XX", 0}, {"us", 0}, {"Us", 0}, {"USA", 0},
                {"U", 0},  {"", 0},   {"UK", 0}, {"EU", 0},
                {"XK", 0}, {"ZZ", 0}, {"KR", 1}, {"GB", 1},
                {"SS", 1}, {"BQ", 1}, {"AD", 1}, {"ZW", 1},
        };
        hw_event_t ev;
        char what[64];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ev = full_hire();
                ev.to_country = cases[i].code;
                snprintf(what, sizeof(what), "to_country \"%s\"",
                         cases[i].code);
                if (cases[i].ok)
                        EXPECT_ACCEPT(ev, what);
                else
                        EXPECT_REJECT(ev, "to_country", what);

                ev = full_hire();
                ev.from_country = cases[i].code;
                snprintf(what, sizeof(what), "from_country \"%s\"",
                         cases[i].code);
                if (cases[i].ok)
                        EXPECT_ACCEPT(ev, what);
                else
                        EXPECT_REJECT(ev, "from_country", what);

                ev = full_hire();
                ev.nationality = cases[i].code;
                snprintf(what, sizeof(what), "nationality \"%s\"",
                         cases[i].code);
                if (cases[i].ok)
                        EXPECT_ACCEPT(ev, what);
                else
                        EXPECT_REJECT(ev, "nationality", what);

                ev = an_offer(HW_OFFER_DECLINED);
                ev.to_country = cases[i].code;
                snprintf(what, sizeof(what), "offer to_country \"%s\"",
                         cases[i].code);
                if (cases[i].ok)
                        EXPECT_ACCEPT(ev, what);
                else
                        EXPECT_REJECT(ev, "to_country", what);
        }
        ev = full_hire();
        ev.nationality = NULL;
        EXPECT_ACCEPT(ev, "nationality null");
}

static void test_rules_time(void) {
        hw_event_t ev = full_hire();

        ev.occurred_at = INT64_C(946684799999);
        EXPECT_REJECT(ev, "occurred_at", "1999-12-31T23:59:59.999Z");
        ev.occurred_at = INT64_C(946684800000);
        EXPECT_ACCEPT(ev, "2000-01-01T00:00:00Z");
        ev.occurred_at = 0;
        EXPECT_REJECT(ev, "occurred_at", "epoch");
        ev.occurred_at = -1;
        EXPECT_REJECT(ev, "occurred_at", "-1");
        ev.occurred_at = INT64_MIN;
        EXPECT_REJECT(ev, "occurred_at", "INT64_MIN");
        ev.occurred_at = NOW + 24 * 3600 * 1000;
        EXPECT_ACCEPT(ev, "now + 24 h");
        ev.occurred_at = NOW + 24 * 3600 * 1000 + 1;
        EXPECT_REJECT(ev, "occurred_at", "now + 24 h + 1 ms");
        ev.occurred_at = INT64_MAX;
        EXPECT_REJECT(ev, "occurred_at", "INT64_MAX");
        ev.occurred_at = NOW;
        EXPECT_ACCEPT(ev, "now");

        ev = an_offer(HW_OFFER_ACCEPTED);
        ev.occurred_at = INT64_C(946684799999);
        EXPECT_REJECT(ev, "occurred_at", "offer before 2000");
        ev.occurred_at = NOW + 24 * 3600 * 1000 + 1;
        EXPECT_REJECT(ev, "occurred_at", "offer in the future");
}

static void test_rules_money(void) {
        static const struct {
                int64_t v;
                int ok;
        } cases[] = {
                {-1, 0},
                {INT64_MIN, 0},
                {INT64_C(1000000000001), 0},
                {INT64_MAX, 0},
                {0, 1},
                {INT64_C(1000000000000), 1},
                {INT64_C(999999999999), 1},
        };
        hw_event_t ev;
        char what[80];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ev = full_hire();
                ev.compensation_usd.present = 1;
                ev.compensation_usd.value = cases[i].v;
                snprintf(what, sizeof(what), "compensation_usd %" PRId64,
                         cases[i].v);
                if (cases[i].ok)
                        EXPECT_ACCEPT(ev, what);
                else
                        EXPECT_REJECT(ev, "compensation_usd", what);

                ev = an_offer(HW_OFFER_EXTENDED);
                ev.total_value_usd = cases[i].v;
                snprintf(what, sizeof(what), "total_value_usd %" PRId64,
                         cases[i].v);
                if (cases[i].ok)
                        EXPECT_ACCEPT(ev, what);
                else
                        EXPECT_REJECT(ev, "total_value_usd", what);

                ev = an_offer(HW_OFFER_EXTENDED);
                ev.sign_on_bonus_usd.present = 1;
                ev.sign_on_bonus_usd.value = cases[i].v;
                snprintf(what, sizeof(what), "sign_on_bonus_usd %" PRId64,
                         cases[i].v);
                if (cases[i].ok)
                        EXPECT_ACCEPT(ev, what);
                else
                        EXPECT_REJECT(ev, "sign_on_bonus_usd", what);
        }
        /* An absent amount is not checked (its stale value is ignored). */
        ev = full_hire();
        ev.compensation_usd.present = 0;
        ev.compensation_usd.value = -5;
        {
                hw_event_t out;
                hw_buf_t buf;
                hw_event_init(&out);
                hw_buf_init(&buf);
                if (CHECK_ERR(encode(&ev, 0, &buf), HW_OK) &&
                    CHECK_ERR(decode(buf.data, buf.len, &out), HW_OK))
                        HW_CHECK_EQ_INT(out.compensation_usd.present, 0);
                hw_event_release(&out);
                hw_buf_release(&buf);
        }
}

/* A hire with s in each of fields[0..n) in turn is rejected naming that
 * field (and, when says is not NULL, with says in the reason). */
static void reject_in_fields(const char *s, const char *why,
                             const char *const *fields, size_t n,
                             const char *says) {
        char what[128];
        for (size_t k = 0; k < n; k++) {
                hw_event_t ev = full_hire();
                const hw_field_t *f = hw_event_field(HW_EVENT_HIRE, fields[k]);
                if (!HW_CHECK(f != NULL))
                        continue;
                *hw_event_str(&ev, f) = s;
                snprintf(what, sizeof(what), "%s: %s", fields[k], why);
                EXPECT_REJECT(ev, fields[k], what);
                if (says)
                        HW_CHECK_CONTAINS(errstr, says);
        }
}

static void test_rules_utf8(void) {
        static const struct {
                const char *s;
                const char *why;
        } bad[] = {
                {"ab\xC0\xAF", "overlong C0 AF"},
                {"\xE0\x80\xAF", "overlong E0 80 AF"},
                {"\xF0\x80\x80\xAF", "overlong F0 80 80 AF"},
                {"x\xED\xA0\x80y", "surrogate U+D800"},
                {"\xED\xBF\xBF", "surrogate U+DFFF"},
                {"abc\xE6\xB5", "truncated 3-byte sequence at the end"},
                {"\xE6\xB5"
                 "abc",
                 "truncated 3-byte sequence"},
                {"\xC3", "lone lead byte"},
                {"a\x80"
                 "b",
                 "lone continuation byte"},
                {"\xFF", "byte 0xFF"},
                {"ok\xFE", "byte 0xFE"},
                {"\xF4\x90\x80\x80", "U+110000"},
                {"\xF5\x80\x80\x80", "lead byte F5"},
        };
        static const char *good[] = {
                "\xC2\xA0",         /* U+00A0, the first after C1 */
                "\xEF\xBF\xBD",     /* U+FFFD */
                "\xED\x9F\xBF",     /* U+D7FF */
                "\xEE\x80\x80",     /* U+E000 */
                "\xF0\x9F\x98\x80", /* U+1F600 */
                "\xF4\x8F\xBF\xBF", /* U+10FFFF */
                "Zhejiang University 浙江大学",
        };
        /* Fields where any string is acceptable apart from UTF-8. */
        static const char *fields[] = {"person_name", "alma_mater",
                                       "source_url",  "event_id",
                                       "person_id",   "to_lab"};
        char what[128];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                HW_CHECK_MSG(!hw_utf8_valid(bad[i].s, strlen(bad[i].s)),
                             "hw_utf8_valid accepts %s", bad[i].why);
                reject_in_fields(bad[i].s, bad[i].why, fields,
                                 sizeof(fields) / sizeof(fields[0]), NULL);
        }
        /* Also in an org name, and in an offer. */
        {
                hw_event_t ev = full_hire();
                ev.from_org = "Apple\xED\xA0\x80";
                EXPECT_REJECT(ev, "from_org", "from_org surrogate");
                ev = an_offer(HW_OFFER_EXTENDED);
                ev.offering_lab = "MSL\xC0\xAF";
                EXPECT_REJECT(ev, "offering_lab", "offering_lab overlong");
        }
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                hw_event_t ev = full_hire();
                HW_CHECK_MSG(hw_utf8_valid(good[i], strlen(good[i])),
                             "hw_utf8_valid rejects good string %zu", i);
                ev.person_name = good[i];
                ev.alma_mater = good[i];
                snprintf(what, sizeof(what), "good UTF-8 #%zu", i);
                EXPECT_ACCEPT(ev, what);
        }
        /* U+0080 is valid UTF-8 (a C1 control: no field takes it). */
        HW_CHECK(hw_utf8_valid("\xC2\x80", 2));
        /* The length argument is honoured. */
        HW_CHECK(hw_utf8_valid("\xC3\xA9", 2));
        HW_CHECK(!hw_utf8_valid("\xC3\xA9", 1));
        HW_CHECK(hw_utf8_valid("", 0));
}

/* Names are text: no C0 control (tab and NUL's neighbours included), DEL
 * or C1 control in any string field, wherever it stands. */
static void test_rules_control(void) {
        static const struct {
                const char *s;
                const char *why;
        } bad[] = {
                {"Bowen\x1b[2J Zhang", "ESC, clear screen"},
                {"\x1b]0;owned\x07", "OSC window title"},
                {"ring\x07", "BEL"},
                {"a\tb", "tab"},
                {"a\nb", "newline"},
                {"\x01", "U+0001"},
                {"x\x1f", "U+001F"},
                {"del\x7f", "DEL"},
                {"\xC2\x80", "U+0080"},
                {"next\xC2\x85line", "U+0085 (NEL)"},
                {"\xC2\x9B"
                 "2J",
                 "U+009B (CSI)"},
        };
        static const char *fields[] = {
                "person_name", "alma_mater", "source_url", "event_id",
                "person_id",   "to_lab",     "from_org",   "nationality"};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                reject_in_fields(bad[i].s, bad[i].why, fields,
                                 sizeof(fields) / sizeof(fields[0]),
                                 "control character");
        /* In an offer too, and the message names the character and where
         * it is, shown neutralised. */
        {
                hw_event_t ev = an_offer(HW_OFFER_EXTENDED);
                ev.offering_lab = "MSL\x1b[31m";
                EXPECT_REJECT(ev, "offering_lab", "offering_lab ESC");
                HW_CHECK_CONTAINS(errstr, "U+001B at byte 3");
                HW_CHECK(strchr(errstr, 0x1b) == NULL);
        }
        /* Just past the ranges: text. */
        {
                hw_event_t ev = full_hire();
                ev.person_name = "A\xC2\xA0"
                                 "B ~ \xC3\xA9";
                EXPECT_ACCEPT(ev, "U+00A0, ~ and e-acute");
        }
}

/* Wherever a byte that is not printable ASCII stands in a name, short or
 * long (words of eight bytes are checked at once, the tail of a name of
 * eight bytes or more as its last eight, of a shorter one byte by byte),
 * it is seen: a control character, DEL, or UTF-8 that is not
 * valid; printable ASCII at every place is accepted. */
static void test_rules_every_place(void) {
        static const unsigned char odd[] = {0x01, 0x09, 0x1F, 0x7F,
                                            0x80, 0xC2, 0xFF};
        char name[32], e[512];
        int rejected = 1, accepted = 1;

        for (size_t len = 1; len <= 24; len++)
                for (size_t at = 0; at < len; at++) {
                        hw_event_t ev = full_hire();
                        memset(name, 'a', len);
                        name[len] = '\0';
                        ev.person_name = name;
                        for (size_t k = 0; k < sizeof(odd); k++) {
                                name[at] = (char)odd[k];
                                rejected &= hw_validate_event(&ev, hw_now_ms(),
                                                              e, sizeof(e)) ==
                                                    HW_ERR_INVALID_FIELD &&
                                            strstr(e, "person_name") != NULL;
                        }
                        for (int c = 0x20; c < 0x7F; c++) {
                                name[at] = (char)c;
                                accepted &=
                                        hw_validate_event(&ev, hw_now_ms(), e,
                                                          sizeof(e)) == HW_OK;
                        }
                }
        HW_CHECK(rejected);
        HW_CHECK(accepted);
}

static void test_rules_same_org(void) {
        hw_event_t ev = null_hire();

        ev.from_org = "Meta";
        ev.to_org = "Meta";
        EXPECT_REJECT(ev, "org", "same org, both labs null");
        ev.from_lab = "Meta Superintelligence Labs";
        ev.to_lab = "Meta Superintelligence Labs";
        EXPECT_REJECT(ev, "org", "same org, same lab");
        ev.from_lab = "FAIR";
        EXPECT_ACCEPT(ev, "same org, different lab");
        ev.from_lab = NULL;
        EXPECT_ACCEPT(ev, "same org, from_lab null, to_lab set");
        ev.from_lab = "FAIR";
        ev.to_lab = NULL;
        EXPECT_ACCEPT(ev, "same org, from_lab set, to_lab null");
        /* Strings are compared as given. */
        ev.from_lab = NULL;
        ev.to_org = "meta";
        EXPECT_ACCEPT(ev, "orgs differ in case");
        /* Different orgs with the same lab name are a move. */
        ev.from_org = "Google";
        ev.to_org = "Meta";
        ev.from_lab = "AI";
        ev.to_lab = "AI";
        EXPECT_ACCEPT(ev, "different orgs, same lab name");
        /* Names need a letter or digit to be slugged. */
        ev = full_hire();
        ev.from_org = "!!!";
        EXPECT_REJECT(ev, "from_org", "from_org without letters");
}

/* The tests, with g_codec set up by fixtures_main(). */
static void run_all(void) {
        HW_RUN(test_rules_lengths);
        HW_RUN(test_rules_countries);
        HW_RUN(test_rules_time);
        HW_RUN(test_rules_money);
        HW_RUN(test_rules_utf8);
        HW_RUN(test_rules_control);
        HW_RUN(test_rules_every_place);
        HW_RUN(test_rules_same_org);
}

int main(void) {
        return fixtures_main(run_all);
}
