/*
 * Fixtures shared by hirewire's codec, rules and event unit tests: the
 * fixed clock, sample events, the fields of each schema in .avsc order
 * (written out here rather than taken from hw_event_fields(), so the tests
 * do not share the code under test's idea of the schemas), comparisons,
 * and the codec every test decodes with.
 */
#ifndef HW_TEST_FIXTURES_H
#define HW_TEST_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "hw_buf.h"
#include "hw_codec.h"
#include "hw_err.h"
#include "hw_event.h"

/* The fixed clock of every decode: 2025-07-15T00:00:00Z. */
#define NOW INT64_C(1752537600000)
/* 2025-06-15T10:00:00Z. */
#define T_JUNE15_10 INT64_C(1749981600000)

/* The codec of the run (main creates it) and the last error text. */
extern hw_codec_t *g_codec;
extern char errstr[512];

/* A string of n copies of c (heap, freed by free_strings()). */
const char *rep(char c, size_t n);
void free_strings(void);

/* Checks an error code, printing errstr when it differs. */
int check_err_(hw_err_t got, hw_err_t want, const char *file, int line);
#define CHECK_ERR(got, want) check_err_((got), (want), __FILE__, __LINE__)

/* A hire with every optional set, non-ASCII UTF-8 included. */
hw_event_t full_hire(void);
/* A hire with every optional null (tier at its default). */
hw_event_t null_hire(void);
/* An offer with every optional set. */
hw_event_t an_offer(hw_offer_status_t status);

typedef enum tkind_e { K_STR, K_OSTR, K_LONG, K_OLONG, K_ENUM } tkind_t;
typedef struct tfield_s {
        const char *name;
        tkind_t kind;
        size_t off;
} tfield_t;

extern const tfield_t hire_v1[13];
extern const tfield_t hire_v2[15];
extern const tfield_t offer_v1[14];
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
enum { HIRE_PERSON_NAME = 3, HIRE_TIER = 12, OFFER_STATUS = 9 };

const char *f_str(const hw_event_t *ev, const tfield_t *f);
int64_t f_long(const hw_event_t *ev, const tfield_t *f);
hw_opt_long_t f_olong(const hw_event_t *ev, const tfield_t *f);
int f_enum(const hw_event_t *ev, const tfield_t *f);

/* Checks that got equals want in every listed field / every field of its
 * type. */
void check_fields_equal(const hw_event_t *got, const hw_event_t *want,
                        const tfield_t *fields, size_t n, const char *what);
void check_event_equal(const hw_event_t *got, const hw_event_t *want,
                       const char *what);

/* Decode (with NOW) and encode with g_codec, errstr cleared first. */
hw_err_t decode(const void *p, size_t n, hw_event_t *out);
hw_err_t encode(const hw_event_t *ev, int schema_id, hw_buf_t *buf);

/* Creates g_codec, runs the tests, frees what the fixtures hold and
 * returns the exit status of the run. */
int fixtures_main(void (*run)(void));

#endif
