#include "hw_proc.h"

#include <stdio.h>
#include <string.h>

#include "hw_time.h"

#define SLUG_MAX 512  /* names are at most 200 bytes */
#define KEY_MAX 600

#define TRY(expr)                                                              \
        do {                                                                   \
                hw_err_t err_ = (expr);                                        \
                if (err_)                                                      \
                        return err_;                                           \
        } while (0)

static const char *or_unknown(const char *s) {
        return s ? s : "unknown";
}

void hw_proc_person_of(const hw_event_t *ev, hw_person_t *p) {
        p->lab = hw_event_lab(ev);
        p->origin = ev->from_org;
        p->nationality = or_unknown(ev->nationality);
        p->alma_mater = or_unknown(ev->alma_mater);
        p->tier = hw_tier_name(ev->tier);
        p->at = ev->occurred_at;
        p->event_id = ev->event_id;
}

/* Adds sign (+1 or -1) of a person to the gauges of their lab. */
static hw_err_t count_member(hw_deltas_t *d, const hw_person_t *p, int sign) {
        char slug[SLUG_MAX], key[KEY_MAX];

        hw_slug(p->lab, slug, sizeof(slug));
        snprintf(key, sizeof(key), "lab:%s", slug);
        TRY(hw_deltas_gauge(d, key, "members", sign));
        if (sign > 0)
                TRY(hw_deltas_set(d, key, "name", p->lab));
        snprintf(key, sizeof(key), "lab:%s:origin", slug);
        TRY(hw_deltas_gauge(d, key, p->origin, sign));
        snprintf(key, sizeof(key), "lab:%s:nationality", slug);
        TRY(hw_deltas_gauge(d, key, p->nationality, sign));
        snprintf(key, sizeof(key), "lab:%s:alma_mater", slug);
        TRY(hw_deltas_gauge(d, key, p->alma_mater, sign));
        snprintf(key, sizeof(key), "lab:%s:tier", slug);
        TRY(hw_deltas_gauge(d, key, p->tier, sign));
        return hw_deltas_rank(d, "labs", slug, sign);
}

/* The windowed counters of a hire: hires into the lab, losses of the
 * origin, and cross-border flows. */
static hw_err_t count_hire(hw_deltas_t *d, const hw_event_t *ev) {
        char lab[SLUG_MAX], org[SLUG_MAX], key[KEY_MAX], pair[8];
        int64_t day = hw_time_day(ev->occurred_at);

        hw_slug(hw_event_lab(ev), lab, sizeof(lab));
        hw_slug(ev->from_org, org, sizeof(org));
        snprintf(key, sizeof(key), "lab:%s:hires", lab);
        TRY(hw_deltas_window(d, key, ev->from_org, day, 1));
        snprintf(key, sizeof(key), "org:%s:losses", org);
        TRY(hw_deltas_window(d, key, lab, day, 1));
        if (strcmp(ev->from_country, ev->to_country)) {
                snprintf(pair, sizeof(pair), "%s>%s", ev->from_country,
                         ev->to_country);
                TRY(hw_deltas_window(d, "flow:in", ev->to_country, day, 1));
                TRY(hw_deltas_window(d, "flow:out", ev->from_country, day, 1));
                TRY(hw_deltas_window(d, "flow:pair", pair, day, 1));
        }
        return HW_OK;
}

hw_err_t hw_proc_hire(const hw_proc_conf_t *conf, const hw_event_t *ev,
                      const hw_person_t *cur, hw_person_t *next,
                      hw_hire_outcome_t *outcome, hw_deltas_t *d) {
        char a[SLUG_MAX], b[SLUG_MAX];
        (void)conf;

        if (cur->lab) {
                hw_slug(cur->lab, a, sizeof(a));
                hw_slug(hw_event_lab(ev), b, sizeof(b));
                if (!strcmp(a, b)) {
                        *outcome = HW_HIRE_REPEATED;
                        return HW_OK;
                }
                if (ev->occurred_at < cur->at) {
                        *outcome = HW_HIRE_LATE;
                        return count_hire(d, ev);
                }
                TRY(count_member(d, cur, -1));
        }
        *outcome = HW_HIRE_MOVE;
        hw_proc_person_of(ev, next);
        TRY(count_member(d, next, +1));
        TRY(hw_deltas_person(d, ev->person_id, next));
        return count_hire(d, ev);
}

hw_err_t hw_proc_offer(const hw_proc_conf_t *conf, const hw_event_t *ev,
                       hw_deltas_t *d) {
        static const char *const status_field[HW_OFFER_STATUS_COUNT] = {
                "extended", "accepted", "declined", "withdrawn"};
        char org[SLUG_MAX], key[KEY_MAX];
        int64_t day = hw_time_day(ev->occurred_at);

        hw_slug(ev->offering_org, org, sizeof(org));
        snprintf(key, sizeof(key), "org:%s:offers", org);
        TRY(hw_deltas_window(d, key, status_field[ev->status], day, 1));
        if (ev->status == HW_OFFER_EXTENDED) {
                TRY(hw_deltas_window(d, key, "extended_usd", day,
                                     ev->total_value_usd));
                if (ev->total_value_usd >= conf->mega_threshold_usd)
                        TRY(hw_deltas_window(d, key, "mega", day, 1));
        }
        return HW_OK;
}
