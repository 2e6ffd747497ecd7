/*
 * Round trip 1's replies checked, in the order step_reads.c queued them:
 * fenced, stale, refused, or go on (with the values the step read).
 */
#include "hw_store_int.h"

/* Parses a counter's value as Redis's HINCRBY does: an optional '-', then
 * digits without a leading zero, within int64. -1 if it is not one. */
static int parse_counter(const char *p, size_t len, int64_t *out) {
        char buf[24], *end;
        long long v;

        if (!len || len > 20 || (p[0] == '0' && len > 1) ||
            (p[0] == '-' && (len == 1 || p[1] == '0')) ||
            !((p[0] >= '0' && p[0] <= '9') || p[0] == '-'))
                return -1;
        memcpy(buf, p, len);
        buf[len] = '\0';
        errno = 0;
        v = strtoll(buf, &end, 10);
        if (errno || *end)
                return -1;
        *out = v;
        return 0;
}

/* Whether r is an array of n replies. */
static int is_array(const redisReply *r, size_t n) {
        return r->type == REDIS_REPLY_ARRAY && r->elements == n;
}

/* The refusal of a step whose read of prefix+key got r, not the array it
 * asked for. */
static hw_err_t not_array(const redisReply *r, const char *prefix,
                          const char *key, char *errstr, size_t size) {
        return hw_fail(
                HW_ERR_INTERNAL, errstr, size, "Redis atomic step: %s (%s%s)",
                r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply",
                prefix, key);
}

/* The name of the bucket log of day ymd under prefix P, for a message. */
static const char *log_name(char out[160], const char *P, const char *ymd) {
        hw_keys_log(out, 160, P, ymd);
        return out;
}

/* A refusal: the error a step Redis would refuse gets (nothing written). */
#define REFUSED(...) hw_fail(HW_ERR_INTERNAL, errstr, size, __VA_ARGS__)

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
                             size_t size) {
        const char *P = s->conf->prefix;
        size_t n_logs = hw_step_slide_logs(s);
        char name[160];

        *outcome = HW_STORE_APPLIED;
        for (size_t k = 0; k < s->n_reads; k++) {
                const hw_step_read_t *rd = &s->reads[k];
                const redisReply *r = rep[k];
                if (r->type == REDIS_REPLY_ERROR &&
                    (hw_redis_fault(r->str) != HW_REDIS_REFUSED ||
                     (rd->what != READ_LOG && rd->what != READ_COUNTER &&
                      rd->what != READ_RAID && rd->what != READ_RAISED &&
                      rd->what != READ_LAB_NAME)))
                        return hw_step_error_reply(s, r, "atomic step", errstr,
                                                   size);
                switch (rd->what) {
                case READ_WATCH:
                        break;
                case READ_FENCES: {
                        const redisReply *e;
                        const char *epoch;
                        int64_t new_wm, d_old, d_new;
                        if (r->type != REDIS_REPLY_ARRAY ||
                            r->elements != 2 + n_offsets)
                                return REFUSED("Redis atomic step: "
                                               "unexpected reply to MGET");
                        e = r->element[0];
                        epoch = e->type == REDIS_REPLY_STRING ? e->str : "";
                        if (strcmp(epoch, s->epoch)) {
                                *outcome = HW_STORE_FENCED;
                                hw_fail(HW_OK, errstr, size,
                                        "%s" HW_KEY_EPOCH " holds \"%s\"", P,
                                        epoch);
                                return HW_OK;
                        }
                        for (size_t i = 0; i < n_offsets; i++) {
                                e = r->element[2 + i];
                                if ((e->type == REDIS_REPLY_STRING
                                             ? strtoll(e->str, NULL, 10)
                                             : -1) != offsets[i].expected) {
                                        *outcome = HW_STORE_FENCED;
                                        hw_fail(HW_OK, errstr, size,
                                                "%s holds \"%s\"", keys[i],
                                                e->type == REDIS_REPLY_STRING
                                                        ? e->str
                                                        : "");
                                        return HW_OK;
                                }
                        }
                        e = r->element[1];
                        f->watermark = -1;
                        if (e->type == REDIS_REPLY_STRING &&
                            parse_counter(e->str, e->len, &f->watermark))
                                return REFUSED("Redis atomic step: hirewire "
                                               "store: %s" HW_KEY_WATERMARK
                                               " is not a number",
                                               P);
                        new_wm = f->watermark > d->watermark ? f->watermark
                                                             : d->watermark;
                        d_old = f->watermark >= 0 ? hw_time_day(f->watermark)
                                                  : -1;
                        d_new = new_wm >= 0 ? hw_time_day(new_wm) : -1;
                        if (d_old != s->slide.day || d_new != plan->day) {
                                *outcome = HW_STORE_STALE;
                                s->watermark = f->watermark;
                                hw_fail(HW_OK, errstr, size,
                                        "%s" HW_KEY_WATERMARK " holds \"%s\"",
                                        P,
                                        e->type == REDIS_REPLY_STRING ? e->str
                                                                      : "");
                                return HW_OK;
                        }
                        break;
                }
                case READ_LEAVING:
                        if (r->elements != s->slide.n_leaving)
                                goto stale_days;
                        for (size_t i = 0; i < r->elements; i++)
                                if (r->element[i]->len != 8 ||
                                    memcmp(r->element[i]->str, s->logs[i].ymd,
                                           8))
                                        goto stale_days;
                        break;
                case READ_GONE:
                        f->gone = r;
                        break;
                case READ_GONE_SEEN:
                        f->gone_seen = r;
                        break;
                case READ_LOG:
                        if (r->type != REDIS_REPLY_INTEGER)
                                return REFUSED(
                                        "Redis atomic step: WRONGTYPE "
                                        "hirewire store: %s is "
                                        "not a bucket log",
                                        log_name(name, P, s->logs[rd->i].ymd));
                        f->len[rd->i] = r->integer;
                        if (rd->i < s->slide.n_leaving &&
                            (size_t)r->integer != s->logs[rd->i].len) {
                                *outcome = HW_STORE_STALE;
                                hw_fail(HW_OK, errstr, size,
                                        "%s was written to",
                                        log_name(name, P, s->logs[rd->i].ymd));
                                return HW_OK;
                        }
                        break;
                case READ_GENS:
                        for (size_t i = 0; i < n_logs; i++) {
                                const redisReply *e =
                                        i < r->elements ? r->element[i] : NULL;
                                f->gen[i] = 0;
                                /* A compaction's HINCRBY of it would fail
                                 * inside the transaction, every other
                                 * write of which Redis would apply. */
                                if (e && e->type == REDIS_REPLY_STRING &&
                                    (parse_counter(e->str, e->len,
                                                   &f->gen[i]) ||
                                     f->gen[i] == INT64_MAX))
                                        return REFUSED(
                                                "Redis atomic step: hirewire "
                                                "store: %s" HW_KEY_B_GEN
                                                " field %.8s holds \"%.*s\", "
                                                "not a generation number",
                                                P, s->logs[i].ymd, (int)e->len,
                                                e->str);
                                if (i < s->slide.n_leaving &&
                                    f->gen[i] != s->logs[i].gen) {
                                        hw_fail(HW_OK, errstr, size,
                                                "%s was compacted",
                                                log_name(name, P,
                                                         s->logs[i].ymd));
                                        *outcome = HW_STORE_STALE;
                                        return HW_OK;
                                }
                        }
                        break;
                case READ_TYPE:
                        if (r->type == REDIS_REPLY_STATUS &&
                            strcmp(r->str, "none") && strcmp(r->str, rd->want))
                                return REFUSED("Redis atomic step: WRONGTYPE "
                                               "hirewire store: %s is a %s, "
                                               "not a %s",
                                               rd->key, r->str, rd->want);
                        break;
                case READ_TURN:
                        if (r->type == REDIS_REPLY_STRING &&
                            strcmp(r->str, s->id)) {
                                /* Another consumer's turn: let its step
                                 * apply first. */
                                s->others_turn = 1;
                                *outcome = HW_STORE_STALE;
                                hw_fail(HW_OK, errstr, size,
                                        "another consumer's turn");
                                return HW_OK;
                        }
                        break;
                case READ_STEPS:
                        s->steps_seen = -2;
                        if (r->type == REDIS_REPLY_NIL)
                                s->steps_seen = 0;
                        else if (r->type == REDIS_REPLY_STRING &&
                                 (parse_counter(r->str, r->len,
                                                &s->steps_seen) ||
                                  s->steps_seen == INT64_MAX))
                                /* Its INCR would fail inside the
                                 * transaction, every other write of which
                                 * Redis would apply. */
                                return REFUSED("Redis atomic step: hirewire "
                                               "store: %s" HW_KEY_STEPS
                                               " holds \"%.*s\", not a "
                                               "number it can increment",
                                               P, (int)r->len, r->str);
                        if (s->steps_seen == s->steps_after) {
                                s->vals_trusted = 1;
                                break;
                        }
                        hw_step_forget_values(s);
                        if (s->vals_used) {
                                /* Planned on values another step changed:
                                 * read them all. */
                                *outcome = HW_STORE_STALE;
                                hw_fail(HW_OK, errstr, size,
                                        "another step applied since this "
                                        "consumer's last");
                                return HW_OK;
                        }
                        break;
                case READ_COUNTER: {
                        const hw_plan_key_t *pk = &plan->keys[rd->i];
                        size_t at = 0;
                        if (r->type == REDIS_REPLY_ERROR)
                                return REFUSED("Redis atomic step: %s (%s%.*s)",
                                               r->str, P, (int)pk->len,
                                               pk->key);
                        if (r->type != REDIS_REPLY_ARRAY ||
                            r->elements != s->n_unread[rd->i])
                                return REFUSED("Redis atomic step: unexpected "
                                               "reply reading %s%.*s",
                                               P, (int)pk->len, pk->key);
                        for (size_t j = 0; pk->zset && j < pk->n; j++) {
                                const redisReply *e = r->element[j];
                                f->zafter[pk->first + j] =
                                        (e->type == REDIS_REPLY_STRING
                                                 ? strtod(e->str, NULL)
                                                 : 0) +
                                        (double)plan->changes[pk->first + j]
                                                .delta;
                        }
                        for (size_t j = 0; !pk->zset && j < pk->n; j++) {
                                const redisReply *e;
                                const hw_plan_change_t *ch =
                                        &plan->changes[pk->first + j];
                                int64_t v = 0, sum;
                                if (hw_step_known(s, plan, pk, pk->first + j))
                                        continue; /* below */
                                e = r->element[at++];
                                if (e->type == REDIS_REPLY_STRING &&
                                    parse_counter(e->str, e->len, &v))
                                        return REFUSED(
                                                "Redis atomic step: hirewire "
                                                "store: %s%.*s %.*s holds "
                                                "\"%.*s\", not a number",
                                                P, (int)pk->len, pk->key,
                                                (int)ch->len, ch->field,
                                                (int)e->len, e->str);
                                if (__builtin_add_overflow(v, ch->delta, &sum))
                                        return REFUSED(
                                                "Redis atomic step: hirewire "
                                                "store: %s%.*s %.*s would "
                                                "overflow",
                                                P, (int)pk->len, pk->key,
                                                (int)ch->len, ch->field);
                                f->after[pk->first + j] = sum;
                        }
                        break;
                }
                case READ_FLOW: {
                        size_t w = rd->i / 2, first = s->win_first[w];
                        int io = (int)(rd->i % 2);
                        for (size_t k = first; k < s->win_first[w + 1]; k++) {
                                const hw_map_entry_t *e = &s->codes.entries[k];
                                const redisReply *v =
                                        k - first < r->elements
                                                ? r->element[k - first]
                                                : NULL;
                                int64_t now = 0;
                                if (v && v->type == REDIS_REPLY_STRING &&
                                    parse_counter(v->str, v->len, &now))
                                        now = 0;
                                /* The counter's own read refuses this
                                 * too, but not before this one when the
                                 * step knew its value (read none). */
                                if (__builtin_add_overflow(
                                            now, io ? e->aux : e->v.i,
                                            io ? &f->out[k] : &f->in[k])) {
                                        char fk[64];
                                        hw_keys_window(fk, sizeof(fk), "",
                                                       io ? HW_KEY_FLOW_OUT
                                                          : HW_KEY_FLOW_IN,
                                                       s->wname[w]);
                                        return REFUSED(
                                                "Redis atomic step: hirewire "
                                                "store: %s%s %.*s would "
                                                "overflow",
                                                P, fk, (int)e->len - 1,
                                                e->key + 1);
                                }
                        }
                        break;
                }
                case READ_RAID: {
                        /* Month raid_lo + rd->i of the pairs not known, in
                         * order; the months come in order. */
                        char key[160];
                        hw_step_raid_key(s, key, s->raid_lo + (int64_t)rd->i,
                                         1);
                        if (!is_array(r, s->raid_unread))
                                return not_array(r, "", key, errstr, size);
                        for (size_t i = 0, at = 0; i < s->n_rpairs; i++) {
                                raid_pair_t *rp = &s->rpairs[i];
                                if (rp->known)
                                        continue;
                                if (!rd->i) {
                                        rp->list = NULL;
                                        rp->n = 0;
                                }
                                if (!hw_step_raid_append(s, rp,
                                                         r->element[at++],
                                                         plan->raids[i].n_ev))
                                        continue;
                                if (errno == ENOMEM)
                                        return hw_fail(HW_ERR_NOMEM, errstr,
                                                       size, "out of memory");
                                return REFUSED("Redis atomic step: %s field "
                                               "%s is not a raid index "
                                               "(docs/redis-keys.md)",
                                               key, rp->field);
                        }
                        break;
                }
                case READ_RAISED:
                        if (!is_array(r, plan->n_raids))
                                return not_array(
                                        r, hw_config_alerts_prefix(s->conf),
                                        HW_KEY_ALERT_RAID, errstr, size);
                        for (size_t i = 0; i < plan->n_raids; i++) {
                                raid_pair_t *rp = &s->rpairs[i];
                                const redisReply *v = r->element[i];
                                size_t cap;
                                int n;
                                if (v->type != REDIS_REPLY_STRING)
                                        continue;
                                cap = v->len / 2 + 1;
                                rp->raised = hw_arena_alloc(
                                        &s->scratch, cap * sizeof(*rp->raised));
                                if (!rp->raised)
                                        return hw_fail(HW_ERR_NOMEM, errstr,
                                                       size, "out of memory");
                                n = hw_raid_days_decode(v->str, v->len,
                                                        rp->raised, cap);
                                if (n < 0)
                                        return REFUSED("Redis atomic step: "
                                                       "%s" HW_KEY_ALERT_RAID
                                                       " field %s is "
                                                       "not a list of days "
                                                       "(docs/redis-keys.md)",
                                                       hw_config_alerts_prefix(
                                                               s->conf),
                                                       rp->field);
                                rp->n_raised = (size_t)n;
                        }
                        break;
                case READ_LAB_NAME: {
                        hw_map_entry_t *e = hw_map_find(&s->lab_names, rd->key,
                                                        strlen(rd->key));
                        if (r->type == REDIS_REPLY_ERROR)
                                return REFUSED(
                                        "Redis atomic step: %s (%s)", r->str,
                                        hw_keys_lab(name, sizeof(name), P,
                                                    rd->key, HW_KEY_LAB)
                                                ? name
                                                : rd->key);
                        if (e)
                                e->v.p = r->type == REDIS_REPLY_STRING ? r
                                                                       : NULL;
                        break;
                }
                case READ_ALERT_IDS:
                        if (r->type != REDIS_REPLY_ARRAY ||
                            r->elements != d->alerts.count)
                                return REFUSED(
                                        "Redis atomic step: unexpected "
                                        "reply reading %s" HW_KEY_ALERT_IDS,
                                        hw_config_alerts_prefix(s->conf));
                        for (size_t i = 0; i < r->elements; i++)
                                s->alert_new[i] = r->element[i]->type ==
                                                          REDIS_REPLY_INTEGER &&
                                                  r->element[i]->integer == 0;
                        break;
                }
        }
        /* The counters whose value this consumer's last step left. */
        for (size_t i = 0; s->vals_used && i < plan->n_keys; i++) {
                const hw_plan_key_t *pk = &plan->keys[i];
                for (size_t j = 0; j < pk->n; j++) {
                        size_t at = pk->first + j;
                        const hw_plan_change_t *ch = &plan->changes[at];
                        if (hw_step_known(s, plan, pk, at) &&
                            __builtin_add_overflow(s->vals[ch->slot], ch->delta,
                                                   &f->after[at]))
                                return REFUSED(
                                        "Redis atomic step: hirewire store: "
                                        "%s%.*s %.*s would overflow",
                                        P, (int)pk->len, pk->key, (int)ch->len,
                                        ch->field);
                }
        }
        return HW_OK;
stale_days:
        *outcome = HW_STORE_STALE;
        hw_fail(HW_OK, errstr, size,
                "%s" HW_KEY_B_DAYS " has other days in the slide's range", P);
        return HW_OK;
}
