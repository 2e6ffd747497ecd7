/*
 * Unit tests for the wire codec and the modules it leans on: framing,
 * Avro encode/decode of the three schemas, v1 -> v2 resolution, the
 * semantic rules (SPEC §3), rejection classes, hostile input, slugs, the
 * NDJSON form and the country table.
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

#include "hw_alert.h"
#include "hw_buf.h"
#include "hw_codec.h"
#include "hw_err.h"
#include "hw_event.h"
#include "hw_json.h"
#include "hw_time.h"
#include "hw_test.h"
#include "hw_validate.h"

/* The fixed clock of every decode: 2025-07-15T00:00:00Z. */
#define NOW INT64_C(1752537600000)
/* 2025-06-15T10:00:00Z. */
#define T_JUNE15_10 INT64_C(1749981600000)

static hw_codec_t *g_codec;
static char errstr[512];

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Strings made by rep() live until the end of the run. */
static char *g_strings[256];
static size_t g_n_strings;

/* A string of n copies of c (heap, freed at exit). */
static const char *rep(char c, size_t n) {
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

static void free_strings(void) {
        for (size_t i = 0; i < g_n_strings; i++)
                free(g_strings[i]);
        g_n_strings = 0;
}

static int check_err_(hw_err_t got, hw_err_t want, const char *file,
                      int line) {
        return hw_test_report(got == want, file, line,
                              "error %s (%d), expected %s (%d); errstr: %s",
                              hw_err_name(got), (int)got, hw_err_name(want),
                              (int)want, got ? errstr : "-");
}
#define CHECK_ERR(got, want) check_err_((got), (want), __FILE__, __LINE__)

/* A hire with every optional set, non-ASCII UTF-8 included. */
static hw_event_t full_hire(void) {
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
static hw_event_t null_hire(void) {
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

static hw_event_t an_offer(hw_offer_status_t status) {
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

/* The fields of each schema in .avsc order, written out here rather than
 * taken from hw_event_fields(), so the hand encoder and the comparisons
 * do not share the code under test's idea of the schemas. */
typedef enum tkind_e { K_STR, K_OSTR, K_LONG, K_OLONG, K_ENUM } tkind_t;
typedef struct tfield_s {
        const char *name;
        tkind_t kind;
        size_t off;
} tfield_t;

#define TF(n, k) {#n, k, offsetof(hw_event_t, n)}
static const tfield_t hire_v1[] = {
        TF(event_id, K_STR),      TF(occurred_at, K_LONG),
        TF(person_id, K_STR),     TF(person_name, K_OSTR),
        TF(from_org, K_STR),      TF(from_lab, K_OSTR),
        TF(to_org, K_STR),        TF(to_lab, K_OSTR),
        TF(from_country, K_STR),  TF(to_country, K_STR),
        TF(nationality, K_OSTR),  TF(compensation_usd, K_OLONG),
        TF(source_url, K_OSTR),
};
static const tfield_t hire_v2[] = {
        TF(event_id, K_STR),      TF(occurred_at, K_LONG),
        TF(person_id, K_STR),     TF(person_name, K_OSTR),
        TF(from_org, K_STR),      TF(from_lab, K_OSTR),
        TF(to_org, K_STR),        TF(to_lab, K_OSTR),
        TF(from_country, K_STR),  TF(to_country, K_STR),
        TF(nationality, K_OSTR),  TF(alma_mater, K_OSTR),
        TF(tier, K_ENUM),         TF(compensation_usd, K_OLONG),
        TF(source_url, K_OSTR),
};
static const tfield_t offer_v1[] = {
        TF(event_id, K_STR),         TF(occurred_at, K_LONG),
        TF(person_id, K_STR),        TF(person_name, K_OSTR),
        TF(offering_org, K_STR),     TF(offering_lab, K_OSTR),
        TF(current_org, K_STR),      TF(from_country, K_STR),
        TF(to_country, K_STR),       TF(status, K_ENUM),
        TF(total_value_usd, K_LONG), TF(sign_on_bonus_usd, K_OLONG),
        TF(tier, K_ENUM),            TF(source_url, K_OSTR),
};
#undef TF
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
enum { HIRE_PERSON_NAME = 3, HIRE_TIER = 12, OFFER_STATUS = 9 };

static const char *f_str(const hw_event_t *ev, const tfield_t *f) {
        const char *s;
        memcpy(&s, (const char *)ev + f->off, sizeof(s));
        return s;
}
static int64_t f_long(const hw_event_t *ev, const tfield_t *f) {
        int64_t v;
        memcpy(&v, (const char *)ev + f->off, sizeof(v));
        return v;
}
static hw_opt_long_t f_olong(const hw_event_t *ev, const tfield_t *f) {
        hw_opt_long_t v;
        memcpy(&v, (const char *)ev + f->off, sizeof(v));
        return v;
}
static int f_enum(const hw_event_t *ev, const tfield_t *f) {
        int v;
        memcpy(&v, (const char *)ev + f->off, sizeof(v));
        return v;
}

/* Checks that got equals want in every listed field. */
static void check_fields_equal(const hw_event_t *got, const hw_event_t *want,
                               const tfield_t *fields, size_t n,
                               const char *what) {
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

static void check_event_equal(const hw_event_t *got, const hw_event_t *want,
                              const char *what) {
        HW_CHECK_EQ_INT(got->type, want->type);
        if (want->type == HW_EVENT_HIRE)
                check_fields_equal(got, want, hire_v2, NFIELDS(hire_v2), what);
        else
                check_fields_equal(got, want, offer_v1, NFIELDS(offer_v1),
                                   what);
}

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

static hw_err_t decode(const void *p, size_t n, hw_event_t *out) {
        errstr[0] = '\0';
        return hw_codec_decode(g_codec, p, n, NOW, out, errstr,
                               sizeof(errstr));
}

static hw_err_t encode(const hw_event_t *ev, int schema_id, hw_buf_t *buf) {
        errstr[0] = '\0';
        return hw_codec_encode(g_codec, ev, schema_id, buf, errstr,
                               sizeof(errstr));
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
                    CHECK_ERR(hw_codec_decode_alert(g_codec, buf.data,
                                                    buf.len, &out, errstr,
                                                    sizeof(errstr)),
                              HW_OK))
                        check_alert_equal(&out, &a);
                a.n_event_ids = 1;
                a.n_attributes = counts[c];
                HW_CONTEXT("%zu attributes", counts[c]);
                if (CHECK_ERR(hw_codec_encode_alert(g_codec, &a, &buf, errstr,
                                                    sizeof(errstr)),
                              HW_OK) &&
                    CHECK_ERR(hw_codec_decode_alert(g_codec, buf.data,
                                                    buf.len, &out, errstr,
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
                HW_CHECK(strstr(hw_codec_schema_json(1), "alma_mater") ==
                         NULL);
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
                0x00, 0x00, 0x00, 0x00, 0x01, /* header, id 1 */
                0x0C, 'h', 'a', 'n', 'd', '-', '1', /* "hand-1" */
        };
        hw_event_t out;
        wbuf_t w;

        hw_event_init(&out);
        w.n = 0;
        w_header(&w, 1);
        w_str(&w, "hand-1");                 /* event_id */
        w_long(&w, INT64_C(1750000000123)); /* occurred_at */
        w_str(&w, "p-hand");                 /* person_id */
        w_long(&w, 1);                       /* person_name: string */
        w_str(&w, "Tom Gunter");
        w_str(&w, "Apple");                  /* from_org */
        w_long(&w, 0);                       /* from_lab: null */
        w_str(&w, "Meta");                   /* to_org */
        w_long(&w, 1);                       /* to_lab: string */
        w_str(&w, "Meta Superintelligence Labs");
        w_str(&w, "US");                     /* from_country */
        w_str(&w, "US");                     /* to_country */
        w_long(&w, 0);                       /* nationality: null */
        w_long(&w, 1);                       /* compensation_usd: long */
        w_long(&w, INT64_C(1500000));
        w_long(&w, 1);                       /* source_url: string */
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
/* 3. Semantic rules through the decode path                           */
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
                {"XX", 0}, {"us", 0}, {"Us", 0}, {"USA", 0}, {"U", 0},
                {"", 0},   {"UK", 0}, {"EU", 0}, {"XK", 0},  {"ZZ", 0},
                {"KR", 1}, {"GB", 1}, {"SS", 1}, {"BQ", 1},  {"AD", 1},
                {"ZW", 1},
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
                {"\xE6\xB5" "abc", "truncated 3-byte sequence"},
                {"\xC3", "lone lead byte"},
                {"a\x80" "b", "lone continuation byte"},
                {"\xFF", "byte 0xFF"},
                {"ok\xFE", "byte 0xFE"},
                {"\xF4\x90\x80\x80", "U+110000"},
                {"\xF5\x80\x80\x80", "lead byte F5"},
        };
        static const char *good[] = {
                "\xC2\x80",         /* U+0080 */
                "\xEF\xBF\xBD",     /* U+FFFD */
                "\xED\x9F\xBF",     /* U+D7FF */
                "\xEE\x80\x80",     /* U+E000 */
                "\xF0\x9F\x98\x80", /* U+1F600 */
                "\xF4\x8F\xBF\xBF", /* U+10FFFF */
                "Zhejiang University 浙江大学",
        };
        /* Fields where any string is acceptable apart from UTF-8. */
        static const char *fields[] = {"person_name", "alma_mater",
                                       "source_url", "event_id", "person_id",
                                       "to_lab"};
        char what[128];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                HW_CHECK_MSG(!hw_utf8_valid(bad[i].s, strlen(bad[i].s)),
                             "hw_utf8_valid accepts %s", bad[i].why);
                for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]);
                     k++) {
                        hw_event_t ev = full_hire();
                        const hw_field_t *f =
                                hw_event_field(HW_EVENT_HIRE, fields[k]);
                        if (!HW_CHECK(f != NULL))
                                continue;
                        *hw_event_str(&ev, f) = bad[i].s;
                        snprintf(what, sizeof(what), "%s: %s", fields[k],
                                 bad[i].why);
                        EXPECT_REJECT(ev, fields[k], what);
                }
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
        /* The length argument is honoured. */
        HW_CHECK(hw_utf8_valid("\xC3\xA9", 2));
        HW_CHECK(!hw_utf8_valid("\xC3\xA9", 1));
        HW_CHECK(hw_utf8_valid("", 0));
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
                CHECK_ERR(hw_codec_decode_alert(g_codec, hdr, n, &alert,
                                                errstr, sizeof(errstr)),
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
                static const uint32_t ids[] = {5, 0, 0xFFFFFFFFu, 0x80000002u,
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
                CHECK_ERR(decode("\0\0\0\0\5", 5, &out),
                          HW_ERR_UNKNOWN_SCHEMA);
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
                     bad_class, buf.len - 5, first_bad,
                     hw_err_name(first_err));
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
                                if (decode(buf.data, n, &out) !=
                                    HW_ERR_DECODE)
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
                        hw_err_t err = hw_codec_decode_alert(
                                g_codec, abuf.data, n, &aout, errstr,
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
                HW_CHECK_MSG(now_s() - t0 < 1.0, "took %.3f s",
                             now_s() - t0);
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
                        hw_buf_append(&buf, "\x80\x80\x80\x80\x80\x80\x80\x80"
                                            "\x20", 9); /* 2^59 */
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
                static const int64_t branches[] = {2, 3, -1, 100,
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
                static const int64_t syms[] = {4, 99, -1,
                                               INT64_C(1) << 32,
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
                        HW_CHECK_MSG(err == HW_ERR_DECODE ||
                                             err == HW_ERR_INVALID_FIELD,
                                     "status index %" PRId64
                                     " gave %s (status %d)",
                                     syms[i], hw_err_name(err),
                                     (int)out.status);
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
        "\"alma_mater\":\"Zhejiang University 浙江大学\",\"tier\":\"S\","      \
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
                 "%s\"occurred_at\":\"2025-06-15T10:00:00Z\"}",
                 HIRE_JSON_HEAD);
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
                {"\"compensation_usd\":200000000",
                 "\"compensation_usd\":2.5", "compensation_usd", 0},
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
                {"\"sign_on_bonus_usd\":null",
                 "\"sign_on_bonus_usd\":\"lots\"", "sign_on_bonus_usd", 1},
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
        static const char *invalid[] = {"UK", "EU", "XK", "kr", "Kr", "kR",
                                        "",   "K",  "KRR", "AN", "YU", "CS",
                                        "ZR", "TP", "00", "K1", "US "};
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
}

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
        HW_RUN(test_err_names);
        HW_RUN(test_roundtrip_full_hire);
        HW_RUN(test_roundtrip_null_hire);
        HW_RUN(test_roundtrip_offers);
        HW_RUN(test_errstr_fresh);
        HW_RUN(test_encode_args);
        HW_RUN(test_v1_resolution);
        HW_RUN(test_hand_encoded);
        HW_RUN(test_rules_lengths);
        HW_RUN(test_rules_countries);
        HW_RUN(test_rules_time);
        HW_RUN(test_rules_money);
        HW_RUN(test_rules_utf8);
        HW_RUN(test_rules_same_org);
        HW_RUN(test_framing);
        HW_RUN(test_truncations);
        HW_RUN(test_hostile_lengths);
        HW_RUN(test_bad_union_and_enum);
        HW_RUN(test_garbage);
        HW_RUN(test_mutations);
        HW_RUN(test_slug);
        HW_RUN(test_json_parse);
        HW_RUN(test_json_errors);
        HW_RUN(test_json_write);
        HW_RUN(test_countries);

        rc = hw_test_summary();
        teardown();
        return rc;
}
