/*
 * The names of hirewire's Redis keys (docs/redis-keys.md): the one place
 * in the programs where a key, a windowed family or a window key is
 * spelled. Fixed names are HW_KEY_* string literals without the prefix
 * (they join other literals, and HW_KEY_LEN gives their length); names
 * with a part (a slug, a window, a day, a group, ...) are written by the
 * hw_keys_* functions into the caller's buffer.
 *
 * Each writer puts `prefix` (may be "") then the name at out and a NUL,
 * and returns the length written (without the NUL). When that does not
 * fit in size bytes it returns 0 and leaves out "" (when size > 0):
 * callers check. Pure: no I/O, no allocation and no printf, since the
 * consumer names keys on its per-event path.
 */
#ifndef HW_KEYS_H
#define HW_KEYS_H

#include <stddef.h>
#include <stdint.h>

/* The length of a fixed name (a string literal). */
#define HW_KEY_LEN(name) (sizeof(name) - 1)

/* The prefix every key has when the config does not set one. */
#define HW_KEY_PREFIX_DEFAULT "hw:"

/* Keys under the prefix. */
#define HW_KEY_WATERMARK "watermark"
#define HW_KEY_EPOCH "epoch"
#define HW_KEY_STEPS "steps"
#define HW_KEY_STEPS_AT "steps:at"
#define HW_KEY_TURN "turn"
#define HW_KEY_LAYOUT "layout"
#define HW_KEY_LABS "labs"
#define HW_KEY_RAID "raid"
#define HW_KEY_B_DAYS "b:days"
#define HW_KEY_B_GEN "b:gen"
#define HW_KEY_SEEN_DAYS "seen:days"

/* Keys under the alerts prefix (alerts.prefix, by default the prefix). */
#define HW_KEY_ALERTS "alerts"
#define HW_KEY_ALERT_IDS "alert:ids"
#define HW_KEY_ALERT_DRAIN "alert:drain"
#define HW_KEY_ALERT_RAID "alert:raid"
#define HW_KEY_ALERTS_RELAYED "alerts:relayed" /* the Kafka relay's place */
#define HW_KEY_ALERTS_WEBHOOK "alerts:webhook" /* the webhook's place */

/* The windowed families of the country flows (hw_keys_window names their
 * window keys, "flow:<W>:in", ...). */
#define HW_KEY_FLOW_IN "flow:in"
#define HW_KEY_FLOW_OUT "flow:out"
#define HW_KEY_FLOW_PAIR "flow:pair"

/* The window of all time (hw_keys_window_name names the others "<N>d"). */
#define HW_KEY_WINDOW_ALL "all"

/* The heads of the keys named after a consumer group, for SCAN patterns
 * and for telling those keys apart (hw_keys_offset and hw_keys_ends write
 * the keys). */
#define HW_KEY_OFFSET_HEAD "offset:"
#define HW_KEY_ENDS_HEAD "ends:"

/* A lab's keys: its hash (name, members), its composition hashes, and
 * the family of its hires (windowed: see hw_keys_window). */
typedef enum hw_keys_lab_e {
        HW_KEY_LAB = 0,         /* lab:<slug> */
        HW_KEY_LAB_ORIGIN,      /* lab:<slug>:origin */
        HW_KEY_LAB_NATIONALITY, /* lab:<slug>:nationality */
        HW_KEY_LAB_ALMA_MATER,  /* lab:<slug>:alma_mater */
        HW_KEY_LAB_TIER,        /* lab:<slug>:tier */
        HW_KEY_LAB_HIRES,       /* lab:<slug>:hires, a family */
} hw_keys_lab_t;

/* An organisation's keys: its hash (name) and its windowed families. */
typedef enum hw_keys_org_e {
        HW_KEY_ORG = 0,    /* org:<slug> */
        HW_KEY_ORG_LOSSES, /* org:<slug>:losses, a family */
        HW_KEY_ORG_OFFERS, /* org:<slug>:offers, a family */
} hw_keys_org_t;

/* prefix + a fixed name (HW_KEY_*). */
size_t hw_keys_name(char *out, size_t size, const char *prefix,
                    const char *name);

/* A lab's key `part` of lab slug. */
size_t hw_keys_lab(char *out, size_t size, const char *prefix, const char *slug,
                   hw_keys_lab_t part);

/* An organisation's key `part` of organisation slug. */
size_t hw_keys_org(char *out, size_t size, const char *prefix, const char *slug,
                   hw_keys_org_t part);

/*
 * The key of a windowed family's window: "flow:<W>:<what>" for a flow
 * family (HW_KEY_FLOW_*), "<family>:<W>" for the others. Built with
 * memcpy: the plan names a family's windows on the path of its first
 * event.
 */
size_t hw_keys_window(char *out, size_t size, const char *prefix,
                      const char *family, const char *window);

/* A window's name: "<days>d" ("7d"), HW_KEY_WINDOW_ALL for days 0. */
size_t hw_keys_window_name(char *out, size_t size, int days);

/* The flow ZSETs of a window: net (flow:<W>:net), and the index
 * (flow:<W>:index, or flow:<W>:index:<group> when group is not NULL). */
size_t hw_keys_flow_net(char *out, size_t size, const char *prefix,
                        const char *window);
size_t hw_keys_flow_index(char *out, size_t size, const char *prefix,
                          const char *window, const char *group);

/* The lab slug of a lab's hires family ("lab:<slug>:hires"), its length
 * in *len (the slug is not NUL-terminated there); NULL for another
 * family. */
const char *hw_keys_hires_lab(const char *family, size_t *len);

/* offset:<group>:<topic>:<partition>: a partition's next offset. */
size_t hw_keys_offset(char *out, size_t size, const char *prefix,
                      const char *group, const char *topic, int32_t partition);

/* ends:<group>: where a group's partitions were at its last steps. */
size_t hw_keys_ends(char *out, size_t size, const char *prefix,
                    const char *group);

/* persons:<bucket>: a bucket of the person registry. */
size_t hw_keys_persons(char *out, size_t size, const char *prefix,
                       unsigned bucket);

/* seen:<yyyymmdd>: the event ids applied with that day (ymd: 8 digits). */
size_t hw_keys_seen(char *out, size_t size, const char *prefix,
                    const char *ymd);

/* raid:<yyyymm>: the raid index of the month (ym: 6 digits). */
size_t hw_keys_raid(char *out, size_t size, const char *prefix, const char *ym);

/* b:<yyyymmdd>: the day's bucket log (ymd: 8 digits). */
size_t hw_keys_log(char *out, size_t size, const char *prefix, const char *ymd);

/* Whether name (without the prefix) is a bucket log, b:<8 digits>. */
int hw_keys_is_log(const char *name);

/* Whether name (without the alerts prefix) is an alert key: alerts,
 * alerts:<reader>, alert:<...>. */
int hw_keys_is_alert(const char *name);

/* replay:<live>: the prefix a replay of prefix `live` builds under. */
size_t hw_keys_replay_prefix(char *out, size_t size, const char *live);

/* replay:lock:<live>: held by the replay of prefix `live` running. */
size_t hw_keys_replay_lock(char *out, size_t size, const char *live);

#endif
