/*
 * The event model: one struct for hire and offer events, and a field table
 * per event type that the codec, the NDJSON reader/writer and the validator
 * all walk, so a field is described in exactly one place.
 *
 * Strings are NUL-terminated UTF-8 (NULL = Avro null) owned by the event's
 * arena; they stay valid until the event is reset or released.
 */
#ifndef HW_EVENT_H
#define HW_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "hw_arena.h"

typedef enum hw_event_type_e {
        HW_EVENT_NONE = 0,
        HW_EVENT_HIRE,
        HW_EVENT_OFFER,
} hw_event_type_t;

/* Avro enum Tier: symbol order is the wire index. */
typedef enum hw_tier_e {
        HW_TIER_S = 0,
        HW_TIER_A,
        HW_TIER_B,
        HW_TIER_UNRATED,
        HW_TIER_COUNT
} hw_tier_t;

/* Avro enum OfferStatus. */
typedef enum hw_offer_status_e {
        HW_OFFER_EXTENDED = 0,
        HW_OFFER_ACCEPTED,
        HW_OFFER_DECLINED,
        HW_OFFER_WITHDRAWN,
        HW_OFFER_STATUS_COUNT
} hw_offer_status_t;

/* An Avro ["null","long"]. */
typedef struct hw_opt_long_s {
        int present;
        int64_t value;
} hw_opt_long_t;

typedef struct hw_event_s {
        hw_event_type_t type;
        int schema_id; /* writer schema id it was decoded from, or 0 */

        /* Common. */
        const char *event_id;
        int64_t occurred_at; /* ms since the Unix epoch, UTC */
        const char *person_id;
        const char *person_name;
        const char *from_country;
        const char *to_country;
        hw_tier_t tier;
        const char *source_url;

        /* Hire. */
        const char *from_org;
        const char *from_lab;
        const char *to_org;
        const char *to_lab;
        const char *nationality;
        const char *alma_mater;
        hw_opt_long_t compensation_usd;

        /* Offer. */
        const char *offering_org;
        const char *offering_lab;
        const char *current_org;
        hw_offer_status_t status;
        int64_t total_value_usd;
        hw_opt_long_t sign_on_bonus_usd;

        hw_arena_t arena; /* owns the strings above */
} hw_event_t;

/* How a field is stored and what its values may be. */
typedef enum hw_field_kind_e {
        HW_FIELD_STRING,     /* const char *, never NULL */
        HW_FIELD_OPT_STRING, /* const char *, NULL = null */
        HW_FIELD_TIMESTAMP,  /* int64_t ms (timestamp-millis) */
        HW_FIELD_LONG,       /* int64_t */
        HW_FIELD_OPT_LONG,   /* hw_opt_long_t */
        HW_FIELD_TIER,       /* hw_tier_t */
        HW_FIELD_STATUS,     /* hw_offer_status_t */
} hw_field_kind_t;

/* Semantic rules beyond the kind (SPEC §3). */
#define HW_RULE_COUNTRY 0x1 /* ISO 3166-1 alpha-2, assigned, upper case */
#define HW_RULE_MONEY 0x2   /* 0 .. 10^12 */
#define HW_RULE_NAME 0x4    /* org/lab name: must yield a non-empty slug */

typedef struct hw_field_s {
        const char *name;
        hw_field_kind_t kind;
        size_t offset;           /* into hw_event_t */
        size_t min_len, max_len; /* bytes, for strings (when set) */
        unsigned rules;
} hw_field_t;

/* The fields of the current schema of `type`, in schema order; *count is
 * set. Returns NULL for HW_EVENT_NONE. */
const hw_field_t *hw_event_fields(hw_event_type_t type, size_t *count);

/* Looks a field up by name; NULL if the type has no such field. */
const hw_field_t *hw_event_field(hw_event_type_t type, const char *name);

/* Type name "hire"/"offer"; hw_event_type_parse returns HW_EVENT_NONE for
 * anything else. */
const char *hw_event_type_name(hw_event_type_t type);
hw_event_type_t hw_event_type_parse(const char *name);

/* Enum symbols. _parse returns -1 for an unknown symbol. */
const char *hw_tier_name(hw_tier_t tier);
int hw_tier_parse(const char *name);
const char *hw_offer_status_name(hw_offer_status_t status);
int hw_offer_status_parse(const char *name);

/* Prepares an empty event (caller storage). */
void hw_event_init(hw_event_t *ev);

/* Clears every field to its default and forgets the strings, keeping the
 * arena's memory for the next event. */
void hw_event_reset(hw_event_t *ev, hw_event_type_t type);

/* Frees the arena. */
void hw_event_release(hw_event_t *ev);

/* Field accessors by descriptor. */
const char **hw_event_str(hw_event_t *ev, const hw_field_t *f);
const char *hw_event_str_get(const hw_event_t *ev, const hw_field_t *f);
int64_t *hw_event_long(hw_event_t *ev, const hw_field_t *f);
hw_opt_long_t *hw_event_opt_long(hw_event_t *ev, const hw_field_t *f);
int *hw_event_enum(hw_event_t *ev, const hw_field_t *f);

/* Copies len bytes into the event's arena and stores the string in field f.
 * Returns HW_ERR_NOMEM on allocation failure. */
int hw_event_set_str(hw_event_t *ev, const hw_field_t *f, const char *s,
                     size_t len);

/* The lab of a hire: to_lab when set, else to_org. */
const char *hw_event_lab(const hw_event_t *ev);

/*
 * Writes the slug of name into out (SPEC §4: ASCII letters lower-cased,
 * bytes >= 0x80 kept, every run of other bytes one '-', trimmed of '-').
 * Returns the slug length; the output is truncated (still NUL-terminated)
 * if out_size is too small, in which case the return is >= out_size.
 */
size_t hw_slug(const char *name, char *out, size_t out_size);

/* Whether name's slug is empty (it has no letter or digit to name it by),
 * without writing it. */
int hw_slug_empty(const char *name);

#endif
