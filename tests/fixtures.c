/* Fixtures shared by the codec, rules and event unit tests. */
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_test.h"
#include "hw_validate.h"

hw_codec_t *g_codec;
char errstr[512];

/* Strings made by rep() live until the end of the run. */
static char *g_strings[256];
static size_t g_n_strings;

/* A string of n copies of c (heap, freed at exit). */
const char *rep(char c, size_t n) {
        char *s = malloc(n + 1);
        if (!s || g_n_strings == sizeof(g_strings) / sizeof(g_strings[0])) {
                fprintf(stderr, "test: out of memory\n");
                exit(2);
        }
        memset(s, c, n);
        s[n] = '\0';
        g_strings[g_n_strings++] = s;
        return s;
}

void free_strings(void) {
        for (size_t i = 0; i < g_n_strings; i++)
                free(g_strings[i]);
        g_n_strings = 0;
}

int check_err_(hw_err_t got, hw_err_t want, const char *file, int line) {
        return hw_test_report(got == want, file, line,
                              "error %s (%d), expected %s (%d); errstr: %s",
                              hw_err_name(got), (int)got, hw_err_name(want),
                              (int)want, got ? errstr : "-");
}

/* A hire with every optional set, non-ASCII UTF-8 included. */
hw_event_t full_hire(void) {
        hw_event_t ev;
        hw_event_init(&ev);
        hw_event_reset(&ev, HW_EVENT_HIRE);
        ev.event_id = "hire-2025-0001";
        ev.occurred_at = T_JUNE15_10 + 123;
        ev.person_id = "person/zhang-bowen";
        ev.person_name = "Bowen Zhang 张博文";
        ev.from_org = "Apple";
        ev.from_lab = "Apple Foundation Models";
        ev.to_org = "Meta";
        ev.to_lab = "Meta Superintelligence Labs";
        ev.from_country = "US";
        ev.to_country = "KR";
        ev.nationality = "CN";
        ev.alma_mater = "Zhejiang University 浙江大学";
        ev.tier = HW_TIER_S;
        ev.compensation_usd.present = 1;
        ev.compensation_usd.value = INT64_C(200000000);
        ev.source_url = "https://example.com/news/ai-talent?id=1&é=ü";
        return ev;
}

/* A hire with every optional null (tier at its default). */
hw_event_t null_hire(void) {
        hw_event_t ev;
        hw_event_init(&ev);
        hw_event_reset(&ev, HW_EVENT_HIRE);
        ev.event_id = "h-null";
        ev.occurred_at = HW_TIME_MIN_MS;
        ev.person_id = "p";
        ev.from_org = "Google DeepMind";
        ev.to_org = "Microsoft";
        ev.from_country = "GB";
        ev.to_country = "US";
        return ev;
}

hw_event_t an_offer(hw_offer_status_t status) {
        hw_event_t ev;
        hw_event_init(&ev);
        hw_event_reset(&ev, HW_EVENT_OFFER);
        ev.event_id = "offer-7";
        ev.occurred_at = T_JUNE15_10;
        ev.person_id = "person/fang-luming";
        ev.person_name = "Luming Fang";
        ev.offering_org = "Meta";
        ev.offering_lab = "Meta Superintelligence Labs";
        ev.current_org = "Apple";
        ev.from_country = "US";
        ev.to_country = "US";
        ev.status = status;
        ev.total_value_usd = INT64_C(200000001);
        ev.sign_on_bonus_usd.present = 1;
        ev.sign_on_bonus_usd.value = INT64_C(100000000);
        ev.tier = HW_TIER_A;
        ev.source_url = "https://example.com/offer";
        return ev;
}

#define TF(n, k)                                                               \
        { #n, k, offsetof(hw_event_t, n) }
const tfield_t hire_v1[] = {
        TF(event_id, K_STR),     TF(occurred_at, K_LONG),
        TF(person_id, K_STR),    TF(person_name, K_OSTR),
        TF(from_org, K_STR),     TF(from_lab, K_OSTR),
        TF(to_org, K_STR),       TF(to_lab, K_OSTR),
        TF(from_country, K_STR), TF(to_country, K_STR),
        TF(nationality, K_OSTR), TF(compensation_usd, K_OLONG),
        TF(source_url, K_OSTR),
};
const tfield_t hire_v2[] = {
        TF(event_id, K_STR),     TF(occurred_at, K_LONG),
        TF(person_id, K_STR),    TF(person_name, K_OSTR),
        TF(from_org, K_STR),     TF(from_lab, K_OSTR),
        TF(to_org, K_STR),       TF(to_lab, K_OSTR),
        TF(from_country, K_STR), TF(to_country, K_STR),
        TF(nationality, K_OSTR), TF(alma_mater, K_OSTR),
        TF(tier, K_ENUM),        TF(compensation_usd, K_OLONG),
        TF(source_url, K_OSTR),
};
const tfield_t offer_v1[] = {
        TF(event_id, K_STR),
        TF(occurred_at, K_LONG),
        TF(person_id, K_STR),
        TF(person_name, K_OSTR),
        TF(offering_org, K_STR),
        TF(offering_lab, K_OSTR),
        TF(current_org, K_STR),
        TF(from_country, K_STR),
        TF(to_country, K_STR),
        TF(status, K_ENUM),
        TF(total_value_usd, K_LONG),
        TF(sign_on_bonus_usd, K_OLONG),
        TF(tier, K_ENUM),
        TF(source_url, K_OSTR),
};
#undef TF

const char *f_str(const hw_event_t *ev, const tfield_t *f) {
        const char *s;
        memcpy(&s, (const char *)ev + f->off, sizeof(s));
        return s;
}
int64_t f_long(const hw_event_t *ev, const tfield_t *f) {
        int64_t v;
        memcpy(&v, (const char *)ev + f->off, sizeof(v));
        return v;
}
hw_opt_long_t f_olong(const hw_event_t *ev, const tfield_t *f) {
        hw_opt_long_t v;
        memcpy(&v, (const char *)ev + f->off, sizeof(v));
        return v;
}
int f_enum(const hw_event_t *ev, const tfield_t *f) {
        int v;
        memcpy(&v, (const char *)ev + f->off, sizeof(v));
        return v;
}

/* Checks that got equals want in every listed field. */
void check_fields_equal(const hw_event_t *got, const hw_event_t *want,
                        const tfield_t *fields, size_t n, const char *what) {
        for (size_t i = 0; i < n; i++) {
                const tfield_t *f = &fields[i];
                HW_CONTEXT("%s, field %s", what, f->name);
                switch (f->kind) {
                case K_STR:
                case K_OSTR:
                        HW_CHECK_STR(f_str(got, f), f_str(want, f));
                        break;
                case K_LONG:
                        HW_CHECK_EQ_INT(f_long(got, f), f_long(want, f));
                        break;
                case K_OLONG:
                        HW_CHECK_EQ_INT(f_olong(got, f).present,
                                        f_olong(want, f).present);
                        if (f_olong(want, f).present)
                                HW_CHECK_EQ_INT(f_olong(got, f).value,
                                                f_olong(want, f).value);
                        break;
                case K_ENUM:
                        HW_CHECK_EQ_INT(f_enum(got, f), f_enum(want, f));
                        break;
                }
        }
        HW_CONTEXT("%s", "");
}

void check_event_equal(const hw_event_t *got, const hw_event_t *want,
                       const char *what) {
        HW_CHECK_EQ_INT(got->type, want->type);
        if (want->type == HW_EVENT_HIRE)
                check_fields_equal(got, want, hire_v2, NFIELDS(hire_v2), what);
        else
                check_fields_equal(got, want, offer_v1, NFIELDS(offer_v1),
                                   what);
}

hw_err_t decode(const void *p, size_t n, hw_event_t *out) {
        errstr[0] = '\0';
        return hw_codec_decode(g_codec, p, n, NOW, out, errstr, sizeof(errstr));
}

hw_err_t encode(const hw_event_t *ev, int schema_id, hw_buf_t *buf) {
        errstr[0] = '\0';
        return hw_codec_encode(g_codec, ev, schema_id, buf, errstr,
                               sizeof(errstr));
}

int fixtures_main(void (*run)(void)) {
        int rc;

        g_codec = hw_codec_new(errstr, sizeof(errstr));
        if (!g_codec) {
                fprintf(stderr, "hw_codec_new failed: %s\n", errstr);
                return 1;
        }
        run();
        rc = hw_test_summary();
        hw_codec_destroy(g_codec);
        g_codec = NULL;
        free_strings();
        return rc;
}
