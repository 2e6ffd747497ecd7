#include "hw_proc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hw_keys.h"
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

/* The names a batch derives from a lab's or an organisation's display
 * name: its slug and the keys named after it, interned once per batch. */
typedef struct slug_names_s {
        hw_name_t slug;
        hw_name_t lab, origin, nationality, alma_mater, tier, hires;
        hw_name_t org, losses, offers;
} slug_names_t;

/* The fixed names the processors use: fields and families. */
typedef struct fixed_names_s {
        hw_name_t members, name, labs, flow_in, flow_out, flow_pair;
        hw_name_t status[HW_OFFER_STATUS_COUNT], extended_usd, mega;
} fixed_names_t;

/* Interns len bytes of s into *out. */
static hw_err_t intern_n(hw_deltas_t *d, const char *s, size_t len,
                         hw_name_t *out) {
        int64_t n;

        if ((n = hw_deltas_intern(d, s, len)) < 0)
                return HW_ERR_NOMEM;
        *out = (hw_name_t)n;
        return HW_OK;
}

/* Interns lab slug's key part into *out. */
static hw_err_t intern_lab(hw_deltas_t *d, const char *slug, hw_keys_lab_t part,
                           hw_name_t *out) {
        char key[KEY_MAX];
        size_t len = hw_keys_lab(key, sizeof(key), "", slug, part);
        return len ? intern_n(d, key, len, out) : HW_ERR_ARG;
}

/* Interns organisation slug's key part into *out. */
static hw_err_t intern_org(hw_deltas_t *d, const char *slug, hw_keys_org_t part,
                           hw_name_t *out) {
        char key[KEY_MAX];
        size_t len = hw_keys_org(key, sizeof(key), "", slug, part);
        return len ? intern_n(d, key, len, out) : HW_ERR_ARG;
}

static hw_err_t intern(hw_deltas_t *d, const char *s, hw_name_t *out) {
        size_t len = strlen(s);

        if (len > HW_DELTAS_NAME_MAX)
                return HW_ERR_ARG;
        return intern_n(d, s, len, out);
}

/* Interns the flow pair "<from>><to>" of two country codes into *out. */
static hw_err_t intern_pair(hw_deltas_t *d, const char *from, const char *to,
                            hw_name_t *out) {
        char pair[16];
        size_t lf = strlen(from), lt = strlen(to);

        if (lf + 1 + lt > sizeof(pair))
                return HW_ERR_ARG;
        memcpy(pair, from, lf);
        pair[lf] = '>';
        memcpy(pair + lf + 1, to, lt);
        return intern_n(d, pair, lf + 1 + lt, out);
}

/* The names derived from display name (memoised per batch under 'N'). */
static hw_err_t slug_names(hw_deltas_t *d, const char *name,
                           const slug_names_t **out) {
        char key[SLUG_MAX + 2], slug[SLUG_MAX];
        size_t len = strlen(name);
        int created;
        const void **slot;
        slug_names_t *n;

        if (len >= SLUG_MAX)
                len = SLUG_MAX - 1; /* names are at most 200 bytes */
        key[0] = 'N';
        memcpy(key + 1, name, len);
        if (!(slot = hw_deltas_memo(d, key, len + 1, &created)))
                return HW_ERR_NOMEM;
        if (!created) {
                *out = *slot;
                return HW_OK;
        }
        if (!(n = hw_deltas_memo_alloc(d, sizeof(*n))))
                return HW_ERR_NOMEM;
        *slot = n;
        hw_slug(name, slug, sizeof(slug));
        TRY(intern_n(d, slug, strlen(slug), &n->slug));
        TRY(intern_lab(d, slug, HW_KEY_LAB, &n->lab));
        TRY(intern_lab(d, slug, HW_KEY_LAB_ORIGIN, &n->origin));
        TRY(intern_lab(d, slug, HW_KEY_LAB_NATIONALITY, &n->nationality));
        TRY(intern_lab(d, slug, HW_KEY_LAB_ALMA_MATER, &n->alma_mater));
        TRY(intern_lab(d, slug, HW_KEY_LAB_TIER, &n->tier));
        TRY(intern_lab(d, slug, HW_KEY_LAB_HIRES, &n->hires));
        TRY(intern_org(d, slug, HW_KEY_ORG, &n->org));
        TRY(intern_org(d, slug, HW_KEY_ORG_LOSSES, &n->losses));
        TRY(intern_org(d, slug, HW_KEY_ORG_OFFERS, &n->offers));
        *out = n;
        return HW_OK;
}

/* The fixed names (memoised per batch under 'F'). */
static hw_err_t fixed_names(hw_deltas_t *d, const fixed_names_t **out) {
        static const char *const status[HW_OFFER_STATUS_COUNT] = {
                "extended", "accepted", "declined", "withdrawn"};
        int created;
        const void **slot = hw_deltas_memo(d, "F", 1, &created);
        fixed_names_t *n;

        if (!slot)
                return HW_ERR_NOMEM;
        if (!created) {
                *out = *slot;
                return HW_OK;
        }
        if (!(n = hw_deltas_memo_alloc(d, sizeof(*n))))
                return HW_ERR_NOMEM;
        *slot = n;
        TRY(intern(d, "members", &n->members));
        TRY(intern(d, "name", &n->name));
        TRY(intern(d, HW_KEY_LABS, &n->labs));
        TRY(intern(d, HW_KEY_FLOW_IN, &n->flow_in));
        TRY(intern(d, HW_KEY_FLOW_OUT, &n->flow_out));
        TRY(intern(d, HW_KEY_FLOW_PAIR, &n->flow_pair));
        for (size_t i = 0; i < HW_OFFER_STATUS_COUNT; i++)
                TRY(intern(d, status[i], &n->status[i]));
        TRY(intern(d, "extended_usd", &n->extended_usd));
        TRY(intern(d, "mega", &n->mega));
        *out = n;
        return HW_OK;
}

/* Adds sign (+1 or -1) of a person to the gauges of their lab; *origin
 * is the name of their origin. */
static hw_err_t count_member(hw_deltas_t *d, const fixed_names_t *fx,
                             const hw_person_t *p, int sign,
                             hw_name_t *origin_out) {
        const slug_names_t *lab;
        hw_name_t origin, nationality, alma_mater, tier;

        TRY(slug_names(d, p->lab, &lab));
        TRY(intern(d, p->origin, &origin));
        *origin_out = origin;
        TRY(intern(d, p->nationality, &nationality));
        TRY(intern(d, p->alma_mater, &alma_mater));
        TRY(intern(d, p->tier, &tier));
        TRY(hw_deltas_add_n(d, HW_DELTA_GAUGE, lab->lab, fx->members, 0, sign));
        if (sign > 0)
                TRY(hw_deltas_set_n(d, lab->lab, fx->name, p->lab));
        TRY(hw_deltas_add_n(d, HW_DELTA_GAUGE, lab->origin, origin, 0, sign));
        TRY(hw_deltas_add_n(d, HW_DELTA_GAUGE, lab->nationality, nationality, 0,
                            sign));
        TRY(hw_deltas_add_n(d, HW_DELTA_GAUGE, lab->alma_mater, alma_mater, 0,
                            sign));
        TRY(hw_deltas_add_n(d, HW_DELTA_GAUGE, lab->tier, tier, 0, sign));
        return hw_deltas_add_n(d, HW_DELTA_RANK, fx->labs, lab->slug, 0, sign);
}

/* The windowed counters of a hire: hires into the lab, losses of the
 * origin (from: the name of ev->from_org), and cross-border flows. */
static hw_err_t count_hire(const hw_proc_conf_t *conf, hw_deltas_t *d,
                           const fixed_names_t *fx, const slug_names_t *lab,
                           const hw_event_t *ev, hw_name_t from) {
        const slug_names_t *org;
        int64_t day = hw_time_day(ev->occurred_at);

        TRY(slug_names(d, ev->from_org, &org));
        TRY(hw_deltas_add_n(d, HW_DELTA_WINDOW, lab->hires, from, day, 1));
        if (conf->alert_raid)
                TRY(hw_deltas_evidence_n(d, lab->hires, from, day,
                                         ev->event_id));
        TRY(hw_deltas_add_n(d, HW_DELTA_WINDOW, org->losses, lab->slug, day,
                            1));
        if (strcmp(ev->from_country, ev->to_country)) {
                hw_name_t to, out, p;
                TRY(intern(d, ev->to_country, &to));
                TRY(intern(d, ev->from_country, &out));
                TRY(intern_pair(d, ev->from_country, ev->to_country, &p));
                TRY(hw_deltas_add_n(d, HW_DELTA_WINDOW, fx->flow_in, to, day,
                                    1));
                TRY(hw_deltas_add_n(d, HW_DELTA_WINDOW, fx->flow_out, out, day,
                                    1));
                TRY(hw_deltas_add_n(d, HW_DELTA_WINDOW, fx->flow_pair, p, day,
                                    1));
                if (conf->alert_brain_drain)
                        TRY(hw_deltas_evidence_n(d, fx->flow_out, out, day,
                                                 ev->event_id));
        }
        return HW_OK;
}

hw_err_t hw_proc_hire(const hw_proc_conf_t *conf, const hw_event_t *ev,
                      const hw_person_t *cur, hw_person_t *next,
                      hw_hire_outcome_t *outcome, hw_deltas_t *d) {
        const fixed_names_t *fx;
        const slug_names_t *lab;
        hw_name_t from;

        TRY(fixed_names(d, &fx));
        TRY(slug_names(d, hw_event_lab(ev), &lab));
        if (cur->lab) {
                const slug_names_t *was;
                TRY(slug_names(d, cur->lab, &was));
                if (was->slug == lab->slug) {
                        *outcome = HW_HIRE_REPEATED;
                        return HW_OK;
                }
                if (ev->occurred_at < cur->at) {
                        *outcome = HW_HIRE_LATE;
                        TRY(intern(d, ev->from_org, &from));
                        return count_hire(conf, d, fx, lab, ev, from);
                }
                TRY(count_member(d, fx, cur, -1, &from));
        }
        *outcome = HW_HIRE_MOVE;
        hw_proc_person_of(ev, next);
        /* The new member's origin is the hire's from_org. */
        TRY(count_member(d, fx, next, +1, &from));
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
        return count_hire(conf, d, fx, lab, ev, from);
}

hw_err_t hw_proc_offer(const hw_proc_conf_t *conf, const hw_event_t *ev,
                       hw_deltas_t *d) {
        const fixed_names_t *fx;
        const slug_names_t *org;
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
        TRY(fixed_names(d, &fx));
        TRY(slug_names(d, ev->offering_org, &org));
        /* The organisation's display name, for readers of its counters. */
        TRY(hw_deltas_set_n(d, org->org, fx->name, ev->offering_org));
        TRY(hw_deltas_add_n(d, HW_DELTA_WINDOW, org->offers,
                            fx->status[ev->status], day, 1));
        if (ev->status == HW_OFFER_EXTENDED) {
                TRY(hw_deltas_add_n(d, HW_DELTA_WINDOW, org->offers,
                                    fx->extended_usd, day,
                                    ev->total_value_usd));
                if (ev->total_value_usd >= conf->mega_threshold_usd)
                        TRY(hw_deltas_add_n(d, HW_DELTA_WINDOW, org->offers,
                                            fx->mega, day, 1));
        }
        return HW_OK;
}
