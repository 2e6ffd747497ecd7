/*
 * The read side of Redis for hirewire-query: one hiredis connection, with
 * the password and database of the config, commands that turn hiredis
 * failures into hw_err_t with a message naming host:port, and readers that
 * turn a HASH or a ZSET into a list of (name, number) items.
 *
 * Errors: HW_ERR_SERVICE when Redis cannot be reached, refuses the
 * credentials or the connection broke (exit 69 for a CLI); HW_ERR_INTERNAL
 * for an error reply or a value that is not what docs/redis-keys.md
 * describes (WRONGTYPE, a count that is not a number); HW_ERR_NOMEM. The
 * message of an error reply names the command and its key ("Redis at
 * 127.0.0.1:6379: HGETALL hw:labs: WRONGTYPE ..."), pipelined or not.
 */
#ifndef HW_QDB_H
#define HW_QDB_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "hw_config.h"
#include "hw_err.h"

typedef struct hw_qdb_s hw_qdb_t;

/*
 * Creates a reader for the config's redis.url. The password is, in order,
 * conf->redis_password, $REDIS_PASSWORD, the one inside the URL; it is
 * never printed. Returns NULL with *err and errstr set when the URL does
 * not parse (HW_ERR_ARG; the password is not echoed) or memory runs out
 * (HW_ERR_NOMEM). Does not connect.
 */
hw_qdb_t *hw_qdb_new(const hw_config_t *conf, hw_err_t *err, char *errstr,
                     size_t errstr_size);

/* Closes the connection and wipes the password. Accepts NULL. */
void hw_qdb_destroy(hw_qdb_t *db);

/* "host:port" of the server, for messages. */
const char *hw_qdb_addr(const hw_qdb_t *db);

/* Connects, authenticates and selects the database. On failure the
 * message names host:port; HW_ERR_SERVICE. */
hw_err_t hw_qdb_connect(hw_qdb_t *db, char *errstr, size_t errstr_size);

/* Sets how long one command may wait for its reply (0 = forever). */
void hw_qdb_set_timeout(hw_qdb_t *db, int ms);

/*
 * Runs one command (hiredis format: each %s is one argument, whatever it
 * holds) and stores the reply in *out, owned by the caller
 * (freeReplyObject). An error reply is an error: *out is NULL then.
 */
hw_err_t hw_qdb_command(hw_qdb_t *db, redisReply **out, char *errstr,
                        size_t errstr_size, const char *fmt, ...);

/* Queues a command without waiting (pipelining); hw_qdb_reply() then
 * collects the replies in order. Returns HW_ERR_NOMEM if it cannot. */
hw_err_t hw_qdb_append(hw_qdb_t *db, char *errstr, size_t errstr_size,
                       const char *fmt, ...);

/* The next reply of the queued commands, as hw_qdb_command(). */
hw_err_t hw_qdb_reply(hw_qdb_t *db, redisReply **out, char *errstr,
                      size_t errstr_size);

/* One field of a HASH or member of a ZSET. */
typedef struct hw_qitem_s {
        char *name;
        int64_t count; /* HASH value, or the ZSET score rounded */
        double score;  /* ZSET score, or the HASH value */
} hw_qitem_t;

typedef struct hw_qitems_s {
        hw_qitem_t *items;
        size_t n, cap;
} hw_qitems_t;

void hw_qitems_init(hw_qitems_t *l);
void hw_qitems_release(hw_qitems_t *l);

/* Appends a copy of name; -1 when out of memory. */
int hw_qitems_add(hw_qitems_t *l, const char *name, int64_t count,
                  double score);

/* The item called name, or NULL. */
hw_qitem_t *hw_qitems_find(const hw_qitems_t *l, const char *name);

/* Sorts by count descending, then name (bytes) ascending. */
void hw_qitems_sort_count(hw_qitems_t *l);

/* Sum of the counts. */
int64_t hw_qitems_total(const hw_qitems_t *l);

/*
 * Reads HGETALL key into out (appended; a missing key gives nothing). Every
 * value must be a whole number: otherwise HW_ERR_INTERNAL naming the key
 * and field.
 */
hw_err_t hw_qdb_hash_counts(hw_qdb_t *db, const char *key, hw_qitems_t *out,
                            char *errstr, size_t errstr_size);

/* Reads ZRANGE key 0 -1 WITHSCORES into out (appended). Every score must
 * be finite (and within a count's range): otherwise HW_ERR_INTERNAL naming
 * the key and member. */
hw_err_t hw_qdb_zset(hw_qdb_t *db, const char *key, hw_qitems_t *out,
                     char *errstr, size_t errstr_size);

/* Sets *exists to whether key exists. */
hw_err_t hw_qdb_exists(hw_qdb_t *db, const char *key, int *exists, char *errstr,
                       size_t errstr_size);

/* Shows what Redis holds in a message: the first max bytes of s with
 * every control or invisible character as <U+XXXX> and a byte that is not
 * UTF-8 as <0xNN> (hw_show_text), into out (size bytes). Returns out. */
const char *hw_qdb_show(const char *s, size_t max, char *out, size_t size);

/* Parses a whole decimal number (optional '-'); 0, or -1 if s is not one. */
int hw_qdb_parse_int(const char *s, int64_t *out);

#endif
