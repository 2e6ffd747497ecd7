#include "hw_event.h"

#include <string.h>

#include "hw_err.h"

#define F(name, kind, minl, maxl, rules)                                       \
        { #name, kind, offsetof(hw_event_t, name), minl, maxl, rules }

/* HireEvent v2, in schema order (schemas/HireEvent.v2.avsc). */
static const hw_field_t hire_fields[] = {
        F(event_id, HW_FIELD_STRING, 1, 128, 0),
        F(occurred_at, HW_FIELD_TIMESTAMP, 0, 0, 0),
        F(person_id, HW_FIELD_STRING, 1, 128, 0),
        F(person_name, HW_FIELD_OPT_STRING, 0, 200, 0),
        F(from_org, HW_FIELD_STRING, 1, 200, HW_RULE_NAME),
        F(from_lab, HW_FIELD_OPT_STRING, 1, 200, HW_RULE_NAME),
        F(to_org, HW_FIELD_STRING, 1, 200, HW_RULE_NAME),
        F(to_lab, HW_FIELD_OPT_STRING, 1, 200, HW_RULE_NAME),
        F(from_country, HW_FIELD_STRING, 2, 2, HW_RULE_COUNTRY),
        F(to_country, HW_FIELD_STRING, 2, 2, HW_RULE_COUNTRY),
        F(nationality, HW_FIELD_OPT_STRING, 2, 2, HW_RULE_COUNTRY),
        F(alma_mater, HW_FIELD_OPT_STRING, 1, 200, 0),
        F(tier, HW_FIELD_TIER, 0, 0, 0),
        F(compensation_usd, HW_FIELD_OPT_LONG, 0, 0, HW_RULE_MONEY),
        F(source_url, HW_FIELD_OPT_STRING, 0, 2048, 0),
};

/* OfferEvent v1, in schema order (schemas/OfferEvent.v1.avsc). */
static const hw_field_t offer_fields[] = {
        F(event_id, HW_FIELD_STRING, 1, 128, 0),
        F(occurred_at, HW_FIELD_TIMESTAMP, 0, 0, 0),
        F(person_id, HW_FIELD_STRING, 1, 128, 0),
        F(person_name, HW_FIELD_OPT_STRING, 0, 200, 0),
        F(offering_org, HW_FIELD_STRING, 1, 200, HW_RULE_NAME),
        F(offering_lab, HW_FIELD_OPT_STRING, 1, 200, HW_RULE_NAME),
        F(current_org, HW_FIELD_STRING, 1, 200, HW_RULE_NAME),
        F(from_country, HW_FIELD_STRING, 2, 2, HW_RULE_COUNTRY),
        F(to_country, HW_FIELD_STRING, 2, 2, HW_RULE_COUNTRY),
        F(status, HW_FIELD_STATUS, 0, 0, 0),
        F(total_value_usd, HW_FIELD_LONG, 0, 0, HW_RULE_MONEY),
        F(sign_on_bonus_usd, HW_FIELD_OPT_LONG, 0, 0, HW_RULE_MONEY),
        F(tier, HW_FIELD_TIER, 0, 0, 0),
        F(source_url, HW_FIELD_OPT_STRING, 0, 2048, 0),
};

#undef F

static const char *const tier_names[HW_TIER_COUNT] = {"S", "A", "B", "UNRATED"};
static const char *const status_names[HW_OFFER_STATUS_COUNT] = {
        "EXTENDED", "ACCEPTED", "DECLINED", "WITHDRAWN"};

const hw_field_t *hw_event_fields(hw_event_type_t type, size_t *count) {
        switch (type) {
        case HW_EVENT_HIRE:
                *count = sizeof(hire_fields) / sizeof(hire_fields[0]);
                return hire_fields;
        case HW_EVENT_OFFER:
                *count = sizeof(offer_fields) / sizeof(offer_fields[0]);
                return offer_fields;
        default:
                *count = 0;
                return NULL;
        }
}

const hw_field_t *hw_event_field(hw_event_type_t type, const char *name) {
        size_t n;
        const hw_field_t *fields = hw_event_fields(type, &n);
        for (size_t i = 0; i < n; i++)
                if (!strcmp(fields[i].name, name))
                        return &fields[i];
        return NULL;
}

const char *hw_event_type_name(hw_event_type_t type) {
        return type == HW_EVENT_HIRE    ? "hire"
               : type == HW_EVENT_OFFER ? "offer"
                                        : "none";
}

hw_event_type_t hw_event_type_parse(const char *name) {
        if (!strcmp(name, "hire"))
                return HW_EVENT_HIRE;
        if (!strcmp(name, "offer"))
                return HW_EVENT_OFFER;
        return HW_EVENT_NONE;
}

static int symbol_index(const char *const *names, int n, const char *name) {
        for (int i = 0; i < n; i++)
                if (!strcmp(names[i], name))
                        return i;
        return -1;
}

const char *hw_tier_name(hw_tier_t tier) {
        return (unsigned)tier < HW_TIER_COUNT ? tier_names[tier] : "?";
}

int hw_tier_parse(const char *name) {
        return symbol_index(tier_names, HW_TIER_COUNT, name);
}

const char *hw_offer_status_name(hw_offer_status_t status) {
        return (unsigned)status < HW_OFFER_STATUS_COUNT ? status_names[status]
                                                        : "?";
}

int hw_offer_status_parse(const char *name) {
        return symbol_index(status_names, HW_OFFER_STATUS_COUNT, name);
}

void hw_event_init(hw_event_t *ev) {
        memset(ev, 0, sizeof(*ev));
        hw_arena_init(&ev->arena);
        ev->tier = HW_TIER_UNRATED;
}

void hw_event_reset(hw_event_t *ev, hw_event_type_t type) {
        hw_arena_t arena = ev->arena;
        hw_arena_reset(&arena);
        memset(ev, 0, sizeof(*ev));
        ev->arena = arena;
        ev->type = type;
        ev->tier = HW_TIER_UNRATED;
}

void hw_event_release(hw_event_t *ev) {
        hw_arena_release(&ev->arena);
        memset(ev, 0, sizeof(*ev));
}

const char **hw_event_str(hw_event_t *ev, const hw_field_t *f) {
        return (const char **)((char *)ev + f->offset);
}

const char *hw_event_str_get(const hw_event_t *ev, const hw_field_t *f) {
        return *(const char *const *)((const char *)ev + f->offset);
}

int64_t *hw_event_long(hw_event_t *ev, const hw_field_t *f) {
        return (int64_t *)((char *)ev + f->offset);
}

hw_opt_long_t *hw_event_opt_long(hw_event_t *ev, const hw_field_t *f) {
        return (hw_opt_long_t *)((char *)ev + f->offset);
}

int *hw_event_enum(hw_event_t *ev, const hw_field_t *f) {
        return (int *)((char *)ev + f->offset);
}

int hw_event_set_str(hw_event_t *ev, const hw_field_t *f, const char *s,
                     size_t len) {
        char *copy = hw_arena_strndup(&ev->arena, s, len);
        if (!copy)
                return HW_ERR_NOMEM;
        *hw_event_str(ev, f) = copy;
        return HW_OK;
}

const char *hw_event_lab(const hw_event_t *ev) {
        return ev->to_lab ? ev->to_lab : ev->to_org;
}

/* Whether a slug keeps byte c (upper-case ASCII letters lowered). */
static int slug_keeps(unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c >= 0x80;
}

int hw_slug_empty(const char *name) {
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                if (slug_keeps(*p))
                        return 0;
        return 1;
}

size_t hw_slug(const char *name, char *out, size_t out_size) {
        size_t n = 0;
        int pending_dash = 0;

        for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
                unsigned char c = *p;
                int keep = slug_keeps(c);
                if (c >= 'A' && c <= 'Z')
                        c = (unsigned char)(c - 'A' + 'a');
                if (!keep) {
                        pending_dash = n > 0; /* trims leading dashes */
                        continue;
                }
                if (pending_dash) {
                        if (n + 1 < out_size)
                                out[n] = '-';
                        n++;
                        pending_dash = 0;
                }
                if (n + 1 < out_size)
                        out[n] = (char)c;
                n++;
        }
        if (out_size > 0)
                out[n < out_size ? n : out_size - 1] = '\0';
        return n; /* a trailing run never emitted a dash: trimmed */
}
