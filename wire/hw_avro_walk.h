/*
 * The walk of an Avro body against its writer schema.
 *
 * Avro C trusts the body it reads: it allocates a declared length before
 * checking that the bytes are there (and leaks the buffer when they are
 * not), it truncates 64-bit enum indexes to 32 bits, and reading one
 * message after another leaks (found by fuzzing). So every body is walked
 * against its writer schema, without allocating: each varint well-formed,
 * each length, union branch, enum index and block count in range, and the
 * walk ending exactly at the end of the body. The walk also notes where
 * each top-level field's value is, and events are filled from that: Avro C
 * never reads an event. (Alerts, read back only by tests, are read by Avro
 * C after the walk.)
 */
#ifndef HW_AVRO_WALK_H
#define HW_AVRO_WALK_H

#include <stddef.h>
#include <stdint.h>

#include <avro.h>

#include "hw_err.h"

/* A top-level field's value as the walk found it. */
typedef struct hw_avro_field_s {
        int64_t branch;           /* union branch, -1 for a field not a union */
        const unsigned char *str; /* string bytes (not NUL-terminated) */
        int64_t num;              /* string length, long value or enum index */
} hw_avro_field_t;

/* A writer schema compiled for walking: its types laid out flat, so that
 * a walk asks Avro C nothing (Avro C finds a record's field or a union's
 * branch by a hash lookup). Made once per schema, read by any number of
 * walks; it refers to the schema (for the names of failing fields), which
 * must outlive it. */
typedef struct hw_avro_prog_s hw_avro_prog_t;

/* Compiles schema into *out. HW_ERR_NOMEM. */
hw_err_t hw_avro_prog_new(avro_schema_t schema, hw_avro_prog_t **out);
void hw_avro_prog_free(hw_avro_prog_t *prog);

/*
 * Walks body[0..len) as a datum of prog's schema (label names the record
 * in errors): every varint, length, union branch, enum index and block
 * count checked, and the walk ending exactly at the end. With fields, the
 * value of top-level field i (up to n_fields) is noted in fields[i]; they
 * point into body. HW_ERR_DECODE naming the field and what is wrong.
 */
hw_err_t hw_avro_walk_prog(const hw_avro_prog_t *prog, const char *label,
                           const unsigned char *body, size_t len,
                           hw_avro_field_t *fields, size_t n_fields,
                           char *errstr, size_t size);

/* hw_avro_walk_prog with schema compiled for this walk alone (and
 * HW_ERR_NOMEM if it cannot be). */
hw_err_t hw_avro_walk(avro_schema_t schema, const char *label,
                      const unsigned char *body, size_t len,
                      hw_avro_field_t *fields, size_t n_fields, char *errstr,
                      size_t size);

#endif
