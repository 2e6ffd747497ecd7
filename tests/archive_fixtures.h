/*
 * What the archive's tests share (test_archive.c, test_archive_oom.c,
 * test_archive_header.c): a scratch folder for the run, events appended
 * as the consumer appends them, and archive files read back record by
 * record.
 */
#ifndef HW_TEST_ARCHIVE_FIXTURES_H
#define HW_TEST_ARCHIVE_FIXTURES_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "fixtures.h"
#include "hw_archive.h"

#define DAY_MS INT64_C(86400000)
#define HIRES "talent.hires"
#define OFFERS "talent.offers"

/* A new empty folder path under the scratch folder (not created). */
const char *new_dir(char *out, size_t size);

/* Removes dir and all it holds. */
void rm_tree(const char *dir);

/* A hire of event_id id, n days after 2025-06-15. */
hw_event_t hire_on(const char *id, int day);

/* Appends ev (encoded with the run's codec) at topic/partition/offset, on
 * 2025-06-15 + day; errstr says why it failed. */
hw_err_t append(hw_archive_t *a, const char *topic, int32_t partition,
                int64_t offset, const hw_event_t *ev, int day);

/* What hw_archive_read gave: each record's event_id, schema id and
 * number, decoded with the run's codec. */
typedef struct got_s {
        char ids[80][64];
        int schema[80];
        size_t n;
        int bad;       /* records that did not decode, or out of order */
        size_t stop;   /* return non-zero after this many (0: never) */
        hw_event_t ev; /* the last record */
} got_t;

/* hw_archive_read's callback that fills a got_t (ctx). */
int on_record(void *ctx, const void *framed, size_t len, uint64_t record);

/* Reads the archive file at path into g (emptied first). */
hw_err_t read_all(const char *path, got_t *g);

/* An archive file's path: DIR/<topic>/<2025-06-15 + day>.avro. */
const char *file_of(char *out, size_t size, const char *dir, const char *topic,
                    int day);

/* The tests' main: runs run (fixtures_main) in a scratch folder made for
 * the run and removed after it. */
int archive_main(void (*run)(void));

#endif
