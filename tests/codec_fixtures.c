/* The wire codec tests' shared helpers (codec_fixtures.h). */
#include "codec_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_alert.h"
#include "hw_codec.h"
#include "hw_test.h"
#include "hw_validate.h"

/* --- A hand-written Avro binary encoder. --- */

void w_byte(wbuf_t *w, unsigned c) {
        if (w->n < sizeof(w->d))
                w->d[w->n++] = (unsigned char)c;
}
void w_bytes(wbuf_t *w, const void *p, size_t n) {
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
void w_long(wbuf_t *w, int64_t v) {
        uint64_t u = (uint64_t)v << 1;
        w_varint(w, v < 0 ? ~u : u);
}
void w_strn(wbuf_t *w, const char *s, size_t n) {
        w_long(w, (int64_t)n);
        w_bytes(w, s, n);
}
void w_str(wbuf_t *w, const char *s) {
        w_strn(w, s, strlen(s));
}
void w_header(wbuf_t *w, uint32_t id) {
        w_byte(w, 0);
        w_byte(w, id >> 24);
        w_byte(w, (id >> 16) & 0xff);
        w_byte(w, (id >> 8) & 0xff);
        w_byte(w, id & 0xff);
}

/* Writes fields [from, to) of ev as Avro binary. */
void w_fields(wbuf_t *w, const hw_event_t *ev, const tfield_t *fields,
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
void w_event(wbuf_t *w, const hw_event_t *ev, int schema_id) {
        w->n = 0;
        w_header(w, (uint32_t)schema_id);
        if (schema_id == HW_SCHEMA_HIRE_V1)
                w_fields(w, ev, hire_v1, 0, NFIELDS(hire_v1));
        else if (schema_id == HW_SCHEMA_HIRE_V2)
                w_fields(w, ev, hire_v2, 0, NFIELDS(hire_v2));
        else
                w_fields(w, ev, offer_v1, 0, NFIELDS(offer_v1));
}

spy_t spy;

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

/* --- Random buffers and mutations. --- */

static uint64_t rng_state;
static uint64_t rng(void) {
        /* xorshift64* */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * UINT64_C(2685821657736338717);
}

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

void fuzz_report(const fuzz_stats_t *st, const char *what) {
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
void garbage(int alerts, fuzz_stats_t *st) {
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

/* Flips or replaces 1-4 random bytes of valid messages (10,000 times),
 * sometimes also cutting or extending them. */
void mutations(const hw_buf_t *msgs, size_t n_msgs, int alerts,
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

/* Frees what main set up; also run by isolated tests' children. */
static void teardown(void) {
        hw_codec_destroy(g_codec);
        g_codec = NULL;
        avro_set_allocator(spy.next, spy.next_ud);
        free_strings();
}

int codec_main(void (*run)(void)) {
        int rc;

        g_codec = hw_codec_new(errstr, sizeof(errstr));
        if (!g_codec) {
                fprintf(stderr, "hw_codec_new failed: %s\n", errstr);
                return 1;
        }
        spy_install();
        hw_test_state.child_teardown = teardown;
        run();
        rc = hw_test_summary();
        teardown();
        return rc;
}
