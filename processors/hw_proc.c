#include "hw_proc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hw_time.h"

#define SLUG_MAX 512 /* names are at most 200 bytes */
#define KEY_MAX 600

#define TRY(expr)                                                              \
        do {                                                                   \
                hw_err_t err_ = (expr);                                        \
                if (err_)                                                      \
                        return err_;                                           \
        } while (0)

/* "$210M", "$1.5B", "$900k". */
static void format_usd(int64_t v, char *out, size_t size) {
        if (v >= INT64_C(1000000000))
                snprintf(out, size, "$%.1fB", (double)v / 1e9);
        else if (v >= 1000000)
                snprintf(out, size, "$%.0fM", (double)v / 1e6);
        else if (v >= 1000)
                snprintf(out, size, "$%.0fk", (double)v / 1e3);
        else
                snprintf(out, size, "$%" PRId64, v);
}

/* Raises a single-event alert with the event's id and a few attributes
 * (key, value pairs, NULL values skipped). */
static hw_err_t raise(hw_deltas_t *d, const hw_event_t *ev, const char *rule,
                      hw_severity_t severity, const char *subject,
                      const char *summary, const char *const *kv, size_t n_kv) {
        char id[256];
        const char *ids[1] = {ev->event_id};
        hw_alert_attr_t attrs[8];
        hw_alert_t a;
        size_t n = 0;

        for (size_t i = 0; i + 1 < n_kv && n < 8; i += 2)
                if (kv[i + 1])
                        attrs[n++] = (hw_alert_attr_t){kv[i], kv[i + 1]};
        snprintf(id, sizeof(id), "%s:%s", rule, ev->event_id);
        memset(&a, 0, sizeof(a));
        a.alert_id = id;
        a.rule = rule;
        a.severity = severity;
        a.event_time = ev->occurred_at;
        a.subject = subject;
        a.summary = summary;
        a.event_ids = ids;
        a.n_event_ids = 1;
        a.attributes = attrs;
        a.n_attributes = n;
        return hw_deltas_alert(d, &a);
}

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

/* key := head + name + tail (a slug is under SLUG_MAX, heads and tails
 * are short: it fits KEY_MAX). Returns key. On every event's path: no
 * printf. */
static const char *key_of(char key[KEY_MAX], const char *head, const char *name,
                          const char *tail) {
        size_t lh = strlen(head), ln = strlen(name), lt = strlen(tail);
        if (lh + ln + lt >= KEY_MAX)
                ln = KEY_MAX - 1 - lh - lt;
        memcpy(key, head, lh);
        memcpy(key + lh, name, ln);
        memcpy(key + lh + ln, tail, lt + 1);
        return key;
}

/* Adds sign (+1 or -1) of a person to the gauges of their lab. */
static hw_err_t count_member(hw_deltas_t *d, const hw_person_t *p, int sign) {
        char slug[SLUG_MAX], key[KEY_MAX];

        hw_slug(p->lab, slug, sizeof(slug));
        TRY(hw_deltas_gauge(d, key_of(key, "lab:", slug, ""), "members", sign));
        if (sign > 0)
                TRY(hw_deltas_set(d, key, "name", p->lab));
        TRY(hw_deltas_gauge(d, key_of(key, "lab:", slug, ":origin"), p->origin,
                            sign));
        TRY(hw_deltas_gauge(d, key_of(key, "lab:", slug, ":nationality"),
                            p->nationality, sign));
        TRY(hw_deltas_gauge(d, key_of(key, "lab:", slug, ":alma_mater"),
                            p->alma_mater, sign));
        TRY(hw_deltas_gauge(d, key_of(key, "lab:", slug, ":tier"), p->tier,
                            sign));
        return hw_deltas_rank(d, "labs", slug, sign);
}

/* The windowed counters of a hire: hires into the lab, losses of the
 * origin, and cross-border flows. */
static hw_err_t count_hire(const hw_proc_conf_t *conf, hw_deltas_t *d,
                           const hw_event_t *ev) {
        char lab[SLUG_MAX], org[SLUG_MAX], key[KEY_MAX], pair[8];
        int64_t day = hw_time_day(ev->occurred_at);

        hw_slug(hw_event_lab(ev), lab, sizeof(lab));
        hw_slug(ev->from_org, org, sizeof(org));
        key_of(key, "lab:", lab, ":hires");
        TRY(hw_deltas_window(d, key, ev->from_org, day, 1));
        if (conf->alert_raid)
                TRY(hw_deltas_evidence(d, key, ev->from_org, day,
                                       ev->event_id));
        TRY(hw_deltas_window(d, key_of(key, "org:", org, ":losses"), lab, day,
                             1));
        if (strcmp(ev->from_country, ev->to_country)) {
                snprintf(pair, sizeof(pair), "%s>%s", ev->from_country,
                         ev->to_country);
                TRY(hw_deltas_window(d, "flow:in", ev->to_country, day, 1));
                TRY(hw_deltas_window(d, "flow:out", ev->from_country, day, 1));
                TRY(hw_deltas_window(d, "flow:pair", pair, day, 1));
                if (conf->alert_brain_drain)
                        TRY(hw_deltas_evidence(d, "flow:out", ev->from_country,
                                               day, ev->event_id));
        }
        return HW_OK;
}

hw_err_t hw_proc_hire(const hw_proc_conf_t *conf, const hw_event_t *ev,
                      const hw_person_t *cur, hw_person_t *next,
                      hw_hire_outcome_t *outcome, hw_deltas_t *d) {
        char a[SLUG_MAX], b[SLUG_MAX];

        if (cur->lab) {
                hw_slug(cur->lab, a, sizeof(a));
                hw_slug(hw_event_lab(ev), b, sizeof(b));
                if (!strcmp(a, b)) {
                        *outcome = HW_HIRE_REPEATED;
                        return HW_OK;
                }
                if (ev->occurred_at < cur->at) {
                        *outcome = HW_HIRE_LATE;
                        return count_hire(conf, d, ev);
                }
                TRY(count_member(d, cur, -1));
        }
        *outcome = HW_HIRE_MOVE;
        hw_proc_person_of(ev, next);
        TRY(count_member(d, next, +1));
        TRY(hw_deltas_person(d, ev->person_id, next));
        if (conf->alert_top_tier_move && ev->tier == HW_TIER_S) {
                const char *who =
                        ev->person_name ? ev->person_name : ev->person_id;
                char summary[700];
                const char *kv[] = {"person_id",  ev->person_id, "from_org",
                                    ev->from_org, "from_lab",    ev->from_lab,
                                    "to_org",     ev->to_org,    "to_lab",
                                    ev->to_lab,   "tier",        "S"};
                snprintf(summary, sizeof(summary),
                         "%s (tier S) moved from %s to %s", who,
                         ev->from_lab ? ev->from_lab : ev->from_org,
                         hw_event_lab(ev));
                TRY(raise(d, ev, "top_tier_move", HW_SEVERITY_WARN, who,
                          summary, kv, sizeof(kv) / sizeof(kv[0])));
        }
        return count_hire(conf, d, ev);
}

hw_err_t hw_proc_offer(const hw_proc_conf_t *conf, const hw_event_t *ev,
                       hw_deltas_t *d) {
        static const char *const status_field[HW_OFFER_STATUS_COUNT] = {
                "extended", "accepted", "declined", "withdrawn"};
        char org[SLUG_MAX], key[KEY_MAX];
        int64_t day = hw_time_day(ev->occurred_at);

        if (conf->alert_mega_offer &&
            (ev->status == HW_OFFER_EXTENDED ||
             ev->status == HW_OFFER_ACCEPTED) &&
            ev->total_value_usd >= conf->alert_mega_usd) {
                const char *who =
                        ev->person_name ? ev->person_name : ev->person_id;
                char usd[32], total[32], summary[700];
                const char *kv[] = {
                        "person_id",       ev->person_id,
                        "offering_org",    ev->offering_org,
                        "offering_lab",    ev->offering_lab,
                        "current_org",     ev->current_org,
                        "status",          hw_offer_status_name(ev->status),
                        "total_value_usd", total};
                snprintf(total, sizeof(total), "%" PRId64, ev->total_value_usd);
                format_usd(ev->total_value_usd, usd, sizeof(usd));
                snprintf(summary, sizeof(summary),
                         "%s offer of %s to %s (%s) %s",
                         ev->offering_lab ? ev->offering_lab : ev->offering_org,
                         usd, who, ev->current_org,
                         ev->status == HW_OFFER_ACCEPTED ? "accepted"
                                                         : "extended");
                TRY(raise(d, ev, "mega_offer", HW_SEVERITY_CRITICAL, who,
                          summary, kv, sizeof(kv) / sizeof(kv[0])));
        }
        hw_slug(ev->offering_org, org, sizeof(org));
        /* The organisation's display name, for readers of its counters. */
        TRY(hw_deltas_set(d, key_of(key, "org:", org, ""), "name",
                          ev->offering_org));
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
