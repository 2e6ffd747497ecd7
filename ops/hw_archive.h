/*
 * The event archive (hirewire-consumer --archive-dir DIR): every valid
 * event is appended to an Avro object container file (deflate codec), one
 * per topic per UTC day of the message's Kafka timestamp:
 * DIR/<topic>/<yyyy-mm-dd>.avro, written with the current schema of its
 * type (HireEvent v2, OfferEvent v1), readable by any Avro tool.
 *
 * Exactly once, across crashes: the consumer syncs the archive (flush and
 * fsync of every file written, then of DIR/archive.state) before the atomic
 * Redis step moves its offsets. archive.state records each file's size and
 * each partition's next archived offset at the last sync; on open, data
 * written after it (a crash between sync points) is cut off, and messages
 * below a partition's archived offset are not appended again.
 */
#ifndef HW_ARCHIVE_H
#define HW_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "hw_err.h"
#include "hw_event.h"

typedef struct hw_archive_s hw_archive_t;

/* Opens (creating) the archive in dir and applies its state. NULL with
 * errstr set when dir cannot be used. */
hw_archive_t *hw_archive_open(const char *dir, char *errstr,
                              size_t errstr_size);

/* Sets the Avro block size (at least 256 KiB; a block must hold the
 * largest event, so the consumer passes max.message.bytes). */
void hw_archive_set_block_size(hw_archive_t *a, size_t bytes);

/* Whether the message at topic/partition/offset was archived already. */
int hw_archive_has(const hw_archive_t *a, const char *topic, int32_t partition,
                   int64_t offset);

/* Appends an event: its Avro body (current schema of `type`), from the
 * message at topic/partition/offset stamped ts_ms. */
hw_err_t hw_archive_append(hw_archive_t *a, const char *topic,
                           int32_t partition, int64_t offset, int64_t ts_ms,
                           hw_event_type_t type, const void *body, size_t len,
                           char *errstr, size_t errstr_size);

/* Flushes and fsyncs what was appended since the last sync, then the
 * state. HW_ERR_IO when the disk refuses (the caller retries). */
hw_err_t hw_archive_sync(hw_archive_t *a, char *errstr, size_t errstr_size);

/* Syncs and closes; accepts NULL. */
void hw_archive_close(hw_archive_t *a);

/* Called for each record of a file: the event in the wire format
 * (Confluent framing with the registry id of the file's schema), and its
 * 1-based record number. Return non-zero to stop. */
typedef int (*hw_archive_record_fn)(void *ctx, const void *framed, size_t len,
                                    uint64_t record);

/*
 * Reads an Avro object container file of hirewire events (an archive file,
 * or any file written with HireEvent v1/v2 or OfferEvent v1), in order.
 * HW_ERR_IO when the file cannot be opened, HW_ERR_DECODE when it is not an
 * Avro container file, its header is damaged (checked before Avro C reads
 * it: lengths within the file, a schema, codec null or deflate, the sync
 * marker, the first block's framing) or a record does not decode,
 * HW_ERR_UNKNOWN_SCHEMA when its schema is not a hirewire event.
 */
hw_err_t hw_archive_read(const char *path, hw_archive_record_fn fn, void *ctx,
                         char *errstr, size_t errstr_size);

#endif
