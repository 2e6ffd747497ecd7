/*
 * What the files of the Redis store share (store/): the store's state and
 * the pieces of the atomic step. hw_store.c holds the store's life and
 * the step run end to end; store_reads.c the reads outside the step;
 * step_io.c the RESP it writes and the replies it reads; step_reads.c
 * round trip 1 (WATCH, the reads), step_check.c the checks of its
 * replies; step_raid.c the raid index and the raids; step_writes.c round
 * trip 2 (MULTI, the writes, EXEC). Not for use outside store/:
 * hw_store.h is the store's interface.
 */
#ifndef HW_STORE_INT_H
#define HW_STORE_INT_H

#include "hw_store.h"

#include <errno.h>
#include <poll.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hw_buf.h"
#include "hw_keys.h"
#include "hw_log.h"
#include "hw_person_record.h"
#include "hw_raid.h"
#include "hw_redis.h"
#include "hw_time.h"
#include "hw_validate.h"

extern const char hw_store_lua[];

#define COMMAND_TIMEOUT_MS 30000
/* A day's bucket log this consumer appended this many bytes to since it
 * last compacted it is compacted (read, summed, replaced) in the next
 * step; a log the slide reads is compacted when that makes it shorter. */
#define COMPACT_BYTES 65536
#define APPENDED_MAX 4096 /* days tracked before starting over */

struct hw_store_s {
        const hw_config_t *conf;
        char *group;
        hw_redis_target_t target;
        hw_redis_fault_t fault; /* of the last error reply or connect */
        redisContext *ctx;
        /* Argument vectors of the atomic step, reused batch to batch. */
        const char **argv;
        size_t *argvlen;
        size_t argc, argcap;
        hw_arena_t scratch;    /* formatted numbers */
        hw_buf_t cmd;          /* the step's command in RESP, reused */
        int spill_broken;      /* writing cmd before it was whole failed
                                  (until sent or the connection dropped) */
        char epoch[32];        /* <prefix>epoch when the batch began */
        int64_t watermark;     /* <prefix>watermark then (-1 = none) */
        int raise_alerts;      /* write alerts (1) or drop them (0) */
        int at_end;            /* the batch reads to the end (brain_drain) */
        uint64_t alerts_added; /* by the last applied step */
        const hw_store_end_t *ends; /* and where each partition is */
        size_t n_ends;
        /* What the last hw_store_read_slide read (texts in replies). */
        hw_plan_slide_t slide;
        /* Its epoch: the epoch and the connection's number, what the
         * plan's cached logs were read under (a primary found after a
         * failover may lack appends the plan read from the one before). */
        char plan_epoch[64];
        hw_plan_log_t *logs;
        size_t logs_cap;
        redisReply **replies;
        size_t n_replies, replies_cap;
        hw_map_t appended; /* yyyymmdd -> bytes appended (aux), day (v.i) */
        size_t *compacts;  /* the plan's compactions the step writes */
        size_t n_compacts, compacts_cap;
        size_t append_at; /* the step's first APPEND among its writes */
        size_t *log_lens; /* each plan day's log length after the step */
        size_t n_log_lens, log_lens_cap;
        unsigned char *log_stale; /* per log read: read again, whole */
        size_t log_stale_cap;
        /* The atomic step's round trips, reused step to step. */
        struct hw_step_read_s *reads; /* what each reply of the first is */
        size_t n_reads, reads_cap;
        hw_map_t typed; /* keys whose type the step checks */
        hw_map_t codes; /* countries whose flow changes: a byte
                                   (window + 1), then the code; v.i = the
                                   delta of in, aux = that of out */
        size_t win_first[HW_PLAN_MAX_WINDOWS + 2]; /* window w's codes:
                                   entries [win_first[w], win_first[w+1]) */
        char wname[HW_PLAN_MAX_WINDOWS + 1][16];   /* "all", "7d", ... */
        /* A batch's reads outside the step (applied ids, persons):
         * their commands in RESP and their replies, reused. */
        hw_buf_t reads_cmd;
        redisReply **reads_replies; /* in reads_arena */
        size_t reads_replies_cap;
        hw_arena_t reads_arena;
        redisReply **step_replies; /* in reply_arena */
        size_t step_replies_cap;
        hw_arena_t reply_arena;        /* the step's replies: no allocation per
                                   reply or element */
        struct hw_raid_found_s *raids; /* the raids the step found */
        size_t n_raids, raids_cap;
        /* The raid index of the step's pairs: the plan's raid pairs
         * (pair i is the plan's raid i). */
        struct raid_pair_s *rpairs;
        size_t n_rpairs, rpairs_cap;
        /* The months of the raid index the step writes (ascending, see
         * hw_step_raid_pairs), and those it reads the pairs it does not
         * know from: raid_lo .. raid_hi, raid_unread pairs. */
        int64_t *raid_months;
        size_t n_raid_months, raid_months_cap;
        int64_t raid_lo, raid_hi;
        size_t raid_unread;
        hw_map_t rpair_map; /* "<lab>:<org>" -> index in rpairs (v.i) */
        hw_map_t lab_names; /* lab slug -> its stored name (v.p, a
                                   reply; NULL: none) */
        hw_buf_t value;     /* a value being encoded */
        hw_buf_t json_ids, json_attrs; /* an alert's event ids and
                                          attributes as JSON text */
        unsigned char *alert_new;      /* the batch's alert i is not in
                                           alert:ids yet (round trip 1) */
        /* The counters as this consumer's last applied step left them,
         * by the plan's slot (of plan generation vals_gen): every step
         * increments <prefix>steps, so while it holds steps_after no
         * other step wrote since, and a step reads only the fields it
         * does not know. */
        int64_t *vals;
        unsigned char *known;
        int64_t steps_seen; /* <prefix>steps round trip 1 read */
        size_t vals_cap;
        uint64_t vals_gen;
        int64_t steps_after; /* <prefix>steps after that step, -1 */
        int vals_trusted;    /* the last step's reads found steps so */
        int vals_used;       /* this step skipped reads for known ones */
        /* The raid index as this consumer's last applied steps left it,
         * trusted as the counters are: "<lab>:<org>" -> its pair
         * (raid_known_t *, NULL: not kept), for each pair those steps
         * read or wrote; a step reads only the pairs it does not know. */
        hw_map_t raid_known;
        size_t raid_known_bytes;
        struct raid_known_s **raid_staged; /* pair i of the step sent */
        size_t n_staged, staged_cap;
        size_t *n_unread; /* plan key i's fields its HMGET reads */
        /* The hash field values (lab and organisation names) this
         * consumer's applied steps set, trusted as the counters are:
         * "<key>\n<field>" -> the value; a step neither checks the type
         * of a key nor writes a value it finds there. The step sent
         * stages what it sets in sets_staged. */
        hw_map_t sets_known, sets_staged;
        size_t sets_known_bytes; /* the values sets_known's arena holds */
        /* Turns: a consumer whose step keeps finding another's applied in
         * between takes <prefix>turn (see take_turn). */
        char id[40];     /* this store's, in <prefix>turn */
        int holds_turn;  /* it took the turn; its step gives it back */
        int others_turn; /* round trip 1 found another's turn */
        /* A step sent with its reply not read yet (hw_store_step with
         * defer): what reading it needs. Nothing else is sent meanwhile. */
        int pending;
        size_t pend_cmds;       /* commands between MULTI and EXEC */
        size_t pend_got;        /* its replies read so far */
        char (*pend_keys)[512]; /* the offsets' keys (owned) */
        int64_t *pend_after;    /* found.after, in scratch */
        int64_t pend_watermark; /* found.watermark */
        const hw_store_offset_t *pend_offsets; /* the caller's, kept */
        size_t pend_n_offsets;
        const hw_deltas_t *pend_d;
        hw_plan_t *pend_plan;
};

#define LAYOUT HW_STORE_LAYOUT

/* What each reply of round trip 1 is for. */
typedef enum step_read_e {
        READ_WATCH,
        READ_FENCES,    /* MGET epoch watermark offsets... */
        READ_STEPS,     /* GET steps */
        READ_TURN,      /* GET turn */
        READ_LEAVING,   /* the days whose logs the slide read */
        READ_GONE,      /* the days that leave the largest window */
        READ_GONE_SEEN, /* the days whose ids are forgotten */
        READ_LOG,       /* STRLEN of log i */
        READ_GENS,      /* HMGET b:gen of the logs */
        READ_TYPE,      /* TYPE key: want */
        READ_COUNTER,   /* HMGET / ZMSCORE of plan key i's fields */
        READ_FLOW,      /* HMGET flow:<W>:in (i = 2w) or out (2w + 1) */
        READ_RAID,      /* HMGET raid:<yyyymm> of the pairs not known */
        READ_RAISED,    /* HMGET alert:raid of the plan's raid pairs */
        READ_LAB_NAME,  /* HGET lab:<key> name */
        READ_ALERT_IDS, /* SMISMEMBER alert:ids of the batch's alerts */
} step_read_t;

typedef struct hw_step_read_s {
        step_read_t what;
        size_t i;
        const char *key, *want;
} hw_step_read_t;

/* A pair of the raid index the step reads and writes (processors/hw_raid.h). */
typedef struct raid_pair_s {
        const char *field; /* "<lab-slug>:<org-slug>" */
        size_t len;
        hw_raid_hire_t *list; /* its hires, as the step leaves them */
        size_t n;
        int64_t *raised; /* the days of its raids raised before */
        size_t n_raised;
        int raises; /* how many raids of it the step raises */
        int known;  /* list from s->raid_known, not read */
} raid_pair_t;

/* A pair of s->raid_known: its hires as the raid index holds them, the
 * event ids packed after the list. */
typedef struct raid_known_s {
        size_t n, bytes;
        hw_raid_hire_t list[];
} raid_known_t;

/* What round trip 1 found that the writes need. */
typedef struct step_found_s {
        int64_t watermark; /* stored, -1 = none */
        const redisReply *gone, *gone_seen;
        int64_t *len, *gen; /* of each log the slide read, now */
        int64_t *after;     /* each counter change's new value */
        double *zafter;     /* the same, for a sorted set's */
        int64_t *in, *out;  /* new flow in/out of each entry of codes */
} step_found_t;

/* A raid the step found: pair (of the plan) crosses on day with `hires`
 * over the raid window, the first (at most 50) of them named. */
typedef struct hw_raid_found_s {
        size_t pair;
        int64_t day, hires;
        size_t first;     /* its hires: the pair's list[first ..] */
        int raise;        /* no raid of the pair raised near day */
        const char *name; /* the lab's display name */
} hw_raid_found_t;

/* ---- The store (hw_store.c): connection, the slide's logs, offsets, persons, ids, alerts, and the step run end to end. ---- */

/* Forgets the first n replies of the step's last round trip (their
 * memory is reply_arena's, reset when the next step begins). */
void hw_step_free_replies(hw_store_t *s, size_t n);

/* Forgets the counters' values: another step may have written. */
void hw_step_forget_values(hw_store_t *s);

/* The error of an error reply (not freed), as hw_redis_error's. */
hw_err_t hw_step_error_reply(hw_store_t *s, const redisReply *r,
                             const char *what, char *errstr, size_t size);

/* HW_OK for a reply that is not an error; else the error (the reply
 * freed; a missing reply drops the connection). */
hw_err_t hw_step_check_reply(hw_store_t *s, redisReply *r, const char *what,
                             char *errstr, size_t size);

/* Frees what the last read of the slide kept. */
void hw_step_free_slide(hw_store_t *s);

/* Closes the connection (the next command connects again), forgetting
 * what it knew of the counters and a step sent with its reply unread. */
void hw_step_drop_connection(hw_store_t *s);

/* Reads the next reply of a pipeline into *r. On an error (nothing in
 * *r), a connection with `pending` replies still unread is dropped, so
 * the next command starts clean. */
hw_err_t hw_step_pipelined_reply(hw_store_t *s, size_t pending,
                                 const char *what, redisReply **r, char *errstr,
                                 size_t size);

/* ---- The step's commands and replies (step_io.c). ---- */

/* Pushes str onto the script's argument vector (s->argv, not copied).
 * Each push returns -1 when out of memory. */
int hw_step_push_str(hw_store_t *s, const char *str);

/* Pushes v in decimal (written straight into the scratch arena). */
int hw_step_push_int(hw_store_t *s, int64_t v);

/* Pushes len bytes of p, copied into the scratch arena. */
int hw_step_push_copy(hw_store_t *s, const char *p, size_t len);

/* Pushes v as "%.17g". */
int hw_step_push_double(hw_store_t *s, double v);

/* Pushes plan->evs[first .. first+n) as a JSON array of event ids. */
int hw_step_push_ids_json(hw_store_t *s, const hw_plan_t *plan, size_t first,
                          size_t n);

/* RESP, written straight into a buffer kept from step to step. Each
 * returns -1 when out of memory. A command's header: */
int hw_step_resp_cmd(hw_buf_t *b, size_t argc);

/* One argument, the bytes of a then those of p. */
int hw_step_resp_arg2(hw_buf_t *b, const char *a, size_t la, const char *p,
                      size_t len);

/* One argument: len bytes of p; a NUL-terminated string; v in decimal. */
int hw_step_resp_arg(hw_buf_t *b, const char *p, size_t len);
int hw_step_resp_str(hw_buf_t *b, const char *p);
int hw_step_resp_int(hw_buf_t *b, int64_t v);

/* A key: the prefix, then key (a name of hw_keys.h, len bytes). */
int hw_step_resp_key(hw_store_t *s, hw_buf_t *b, const char *key, size_t len);

/* The same for a fixed name (HW_KEY_*). */
int hw_step_resp_name(hw_store_t *s, hw_buf_t *b, const char *name);

/* RESP of the alerts prefix's key AP<name> (HW_KEY_ALERT*). */
int hw_step_resp_alert_key(hw_store_t *s, hw_buf_t *b, const char *name);

/* Writes what round trip 2 has built of s->cmd so far once it holds a
 * megabyte (Redis queues the commands until EXEC; a step not sent whole
 * drops the connection, which discards them), so the buffer stays that
 * small whatever the batch. A write that fails is reported by
 * hw_step_send_commands. */
void hw_step_spill(hw_store_t *s);

/* Writes the commands in s->cmd. A broken connection is HW_ERR_SERVICE
 * (and dropped). */
hw_err_t hw_step_send_commands(hw_store_t *s, const char *what, char *errstr,
                               size_t size);

/* Reads replies into s->step_replies[*at ..end), error replies
 * included, advancing *at: waiting for each (wait), or only those whose
 * bytes are in. -1 when the connection broke. */
int hw_step_take_replies(hw_store_t *s, size_t *at, size_t end, int wait);

/* Reads n replies into s->step_replies[first ..), error replies
 * included. A broken connection is HW_ERR_SERVICE (and dropped; the
 * replies read are freed). */
hw_err_t hw_step_read_replies(hw_store_t *s, size_t first, size_t n,
                              const char *what, char *errstr, size_t size);

/* Sends the n commands written in s->reads_cmd (hw_step_resp_*; each
 * caller empties it before writing) and reads their replies into
 * s->reads_replies, built in s->reads_arena (both reset by the next
 * call). Every reply is read before any is checked: an error reply to any
 * is that command's error (what), and the connection stays usable. */
hw_err_t hw_store_reads_round_trip(hw_store_t *s, size_t n, const char *what,
                                   char *errstr, size_t size);

/* Sends s->cmd and reads its n replies. */
hw_err_t hw_step_round_trip(hw_store_t *s, size_t first, size_t n,
                            const char *what, char *errstr, size_t size);

/* JSON text of an array of strings (open '[', close ']', items) or of an
 * object of string values ('{', '}', members), as Jansson writes it
 * compact, built in t (emptied by open); -1 when out of memory. */
int hw_step_json_open(hw_buf_t *t, char open);
int hw_step_json_item(hw_buf_t *t, const char *s, size_t len);
int hw_step_json_member(hw_buf_t *t, const char *key, const char *value);
int hw_step_json_close(hw_buf_t *t, char close);

/* A sorted set's score in decimal: an integer as one ("%.17g" would
 * too, but this is the common case and cheap). */
int hw_step_resp_score(hw_buf_t *b, double v);

/* ---- Round trip 1: reads (step_reads.c), checks (step_check.c). ---- */

/* The logs the slide read: the leaving ones, then those read only to be
 * compacted. */
size_t hw_step_slide_logs(const hw_store_t *s);

/* Whether the step writes the batch's alerts (those the processors
 * raised) with native commands: then round trip 1 watches and reads
 * alert:ids for them. */
int hw_step_native_alerts(const hw_store_t *s, const hw_deltas_t *d);

/* Whether the plan moves the watermark's day (so the slide applies). */
int hw_step_slides(const hw_store_t *s, const hw_plan_t *plan);

/* Whether plan change at (of key k) has a value this step need not read. */
int hw_step_known(const hw_store_t *s, const hw_plan_t *plan,
                  const hw_plan_key_t *k, size_t at);

/* Keeps the counters' values an applied step left (after[i]: change i's);
 * steps_after is <prefix>steps after it. */
void hw_step_keep_values(hw_store_t *s, const hw_plan_t *plan,
                         const int64_t *after, int64_t steps_after);

/* Whether the hash field value set is one this consumer's applied steps
 * left (s->sets_known) and the step may rely on them (s->vals_used). */
int hw_step_set_known(const hw_store_t *s, const hw_delta_t *set);

/* Stages set, which the step writes, for hw_step_keep_sets. -1 when out
 * of memory. */
int hw_step_stage_set(hw_store_t *s, const hw_delta_t *set);

/* Keeps what the applied step set (staged) in s->sets_known. */
void hw_step_keep_sets(hw_store_t *s);

/* The name the batch sets for lab slug, or NULL. */
const char *hw_step_batch_lab_name(const hw_deltas_t *d, const char *slug);

/* Builds round trip 1 into s->cmd, queueing in s->reads what each reply
 * is for (keys: the step's offset keys). -1 when out of memory. */
int hw_step_build_reads(hw_store_t *s, size_t n_offsets, char (*keys)[512],
                        const hw_deltas_t *d, const hw_plan_t *plan);

/*
 * Checks round trip 1's replies in order: HW_OK with *outcome APPLIED when
 * the step can go on, FENCED or STALE (errstr saying what moved) when it
 * must not; HW_ERR_INTERNAL naming the key for a step Redis would refuse.
 */
hw_err_t hw_step_check_reads(hw_store_t *s, redisReply **rep,
                             const hw_store_offset_t *offsets, size_t n_offsets,
                             char (*keys)[512], const hw_deltas_t *d,
                             const hw_plan_t *plan, step_found_t *f,
                             hw_store_outcome_t *outcome, char *errstr,
                             size_t size);

/* ---- The raid index and the raids (step_raid.c). ---- */

/* Whether the step judges raids to raise them: it then reads the pairs'
 * raids raised (alert:raid, watched) and the labs' names. */
int hw_step_raid_alerts(const hw_store_t *s, const hw_plan_t *plan);

/* The step's raid pairs into s->rpairs (pair i the plan's raid i), the
 * months of the raid index it writes into s->raid_months, and those it
 * reads pairs from into raid_lo .. raid_hi: every month with days in the
 * largest window. -1 when out of memory. */
int hw_step_raid_pairs(hw_store_t *s, const hw_plan_t *plan);

/* The key of the raid index's month (<prefix>raid:<yyyymm>, without the
 * prefix unless with_prefix) into out. Returns its length. */
size_t hw_step_raid_key(const hw_store_t *s, char out[160], int64_t month,
                        int with_prefix);

/* Appends to rp's hires those of one month's field (v, a reply: a string
 * or nil), with room left for extra more. 0, or -1 with errno ENOMEM or
 * EINVAL (not a raid index). */
int hw_step_raid_append(hw_store_t *s, raid_pair_t *rp, const redisReply *v,
                        size_t extra);

/* Takes the step's pairs this consumer knows (s->raid_known, when the
 * step uses what it knows: s->vals_used) as its last step left them,
 * into the step's lists, with room for the plan's hires of each.
 * Returns how many pairs are left to read, -1 when out of memory. */
long hw_step_raids_known(hw_store_t *s, const hw_plan_t *plan);

/* Copies the step's pairs as it leaves them (s->raid_staged), once its
 * writes are built; hw_step_keep_raids keeps them in s->raid_known when
 * the step applied, hw_step_unstage_raids drops them when it did not. */
void hw_step_stage_raids(hw_store_t *s);
void hw_step_keep_raids(hw_store_t *s);
void hw_step_unstage_raids(hw_store_t *s);

/* Forgets the raid index kept: another step may have written. */
void hw_step_forget_raids(hw_store_t *s);

/*
 * alert:raid (the days of each pair's raids raised) from the raid ids of
 * alert:ids, when it does not exist and alert:ids has some: the alerts of
 * a Redis an earlier version wrote (docs/operations.md). Under WATCH of
 * both, again when another consumer wrote in between.
 */
hw_err_t hw_step_raised_from_ids(hw_store_t *s, char *errstr, size_t size);

/*
 * The raid index as this step leaves it, and the raid judgment on it (no
 * other step applies before this one: <prefix>steps is watched): each of
 * the plan's pairs gets the batch's hires, every pair loses those of days
 * that left the largest window, and each of the plan's pairs is judged
 * (hw_raid_judge). Whether a raid found is raised is judge_raised's.
 */
hw_err_t hw_step_judge_raids(hw_store_t *s, const hw_plan_t *plan, char *errstr,
                             size_t size);

/* The id of a raid of the plan's pair i on day (yyyymmdd), without the
 * day when day < 0. */
int hw_step_raid_id(char out[640], const hw_plan_t *plan, size_t i,
                    int64_t day);

/* Which raids the step found are raised: one raid, one alert, so not a
 * pair's raid on day D when one of it was raised for a day less than the
 * raid window from D, before (alert:raid, read in round trip 1 under
 * WATCH) or in this step. Each raised raid gets its lab's name (the
 * batch's, else the one stored, else its slug). */
hw_err_t hw_step_judge_raised(hw_store_t *s, const hw_deltas_t *d,
                              const hw_plan_t *plan, char *errstr, size_t size);

/* The alert of a raid judge_raised raises. */
int hw_step_xadd_raid(hw_store_t *s, const hw_plan_t *plan,
                      const hw_raid_found_t *f, int64_t raised_at);

/* The raid index: per month the step adds hires to, one HSET of each
 * pair's hires of that month; when the watermark's day moves, one DEL of
 * the months that left the largest window. */
int hw_step_write_raid_index(hw_store_t *s, const hw_plan_t *plan,
                             size_t *n_cmds);

/* The days of the raids raised of every pair the step raises one of, in
 * one HSET of alert:raid: those raised before and the step's, ascending.
 * None is ever left out: like alert:ids, they hold for every prefix that
 * shares the alert keys (a replay judges days long behind the live
 * watermark). */
int hw_step_write_raised(hw_store_t *s, const hw_plan_t *plan, size_t *n_cmds);

/* ---- Round trip 2: the MULTI/EXEC (step_writes.c). ---- */

/* XADD of one alert to the stream, with the fields hw_store.lua gives
 * the ones it raises: ids and attrs are its event ids and attributes as
 * JSON text (hw_step_json_open). */
int hw_step_xadd_alert(hw_store_t *s, const char *alert_id, const char *rule,
                       const char *severity, const char *subject,
                       const char *summary, int64_t event_time,
                       int64_t raised_at, const hw_buf_t *ids,
                       const hw_buf_t *attrs);

/* Builds round trip 2 into s->cmd: MULTI, the writes, the judgments, EXEC.
 * *n_cmds: the commands between MULTI and EXEC. */
int hw_step_build_writes(hw_store_t *s, const hw_store_offset_t *offsets,
                         size_t n_offsets, char (*keys)[512],
                         const hw_deltas_t *d, const hw_plan_t *plan,
                         const step_found_t *f, size_t *n_cmds);

#endif
