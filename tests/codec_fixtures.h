/*
 * What the wire codec's tests share (test_codec.c, test_codec_alerts.c,
 * test_codec_hostile.c), on top of fixtures.h: a hand-written Avro binary
 * encoder, the spy allocator between Avro C and the codec, the random
 * buffers and mutations every decoder must reject cleanly, and the main
 * that sets them up.
 *
 * Avro bodies are built by hand here (zigzag varints, strings as length +
 * bytes, union index), from the field order of the .avsc files in
 * schemas/, so a bug shared by our encoder and decoder cannot hide.
 */
#ifndef HW_TEST_CODEC_FIXTURES_H
#define HW_TEST_CODEC_FIXTURES_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

#include "fixtures.h"
#include "hw_buf.h"
#include "hw_err.h"
#include "hw_event.h"

/* --- A hand-written Avro binary encoder. --- */

typedef struct wbuf_s {
        unsigned char d[8192];
        size_t n;
} wbuf_t;

void w_byte(wbuf_t *w, unsigned c);
void w_bytes(wbuf_t *w, const void *p, size_t n);
/* Avro long: zigzag, then base-128 little-endian varint. */
void w_long(wbuf_t *w, int64_t v);
void w_strn(wbuf_t *w, const char *s, size_t n);
void w_str(wbuf_t *w, const char *s);
/* The 5-byte framing: magic 0, then the schema id big-endian. */
void w_header(wbuf_t *w, uint32_t id);
/* Writes fields [from, to) of ev as Avro binary. */
void w_fields(wbuf_t *w, const hw_event_t *ev, const tfield_t *fields,
              size_t from, size_t to);
/* A whole framed message for ev with the given writer schema. */
void w_event(wbuf_t *w, const hw_event_t *ev, int schema_id);

/* The spy allocator: sits between Avro C and the codec's guarded
 * allocator, recording the largest allocation that succeeded and the
 * bytes outstanding (by Avro's own size accounting). codec_main installs
 * it. */
typedef struct spy_s {
        avro_allocator_t next;
        void *next_ud;
        size_t max_ok;
        long long live;
} spy_t;
extern spy_t spy;

/* --- Random buffers and mutations. --- */

typedef struct fuzz_stats_s {
        size_t runs, bad, mismatch;
        hw_err_t bad_err;
        size_t bad_iter;
        size_t by_class[HW_ERR_INTERNAL + 1];
} fuzz_stats_t;

/* Checks that every result was HW_OK or a rejection class and that the
 * output matched it; prints the counts by class. */
void fuzz_report(const fuzz_stats_t *st, const char *what);
/* 10,000 random buffers, lengths 0-300, half with a valid header, decoded
 * as events (alerts == 0) or as alerts. */
void garbage(int alerts, fuzz_stats_t *st);
/* Flips or replaces 1-4 random bytes of valid messages (10,000 times),
 * sometimes also cutting or extending them. */
void mutations(const hw_buf_t *msgs, size_t n_msgs, int alerts,
               fuzz_stats_t *st);

/* Creates g_codec, installs the spy, runs the tests (isolated ones get
 * the teardown in their child), frees it all and returns the exit status
 * of the run. */
int codec_main(void (*run)(void));

#endif
