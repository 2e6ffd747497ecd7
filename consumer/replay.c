#include "replay.h"

#include <inttypes.h>
#include <string.h>

#include "hw_time.h"

#define QUERY_TIMEOUT_MS 10000

rd_kafka_topic_partition_list_t *
hw_replay_offsets_at(rd_kafka_t *rk, const hw_target_t *t, size_t n, int64_t at,
                     int timeout_ms, rd_kafka_resp_err_t *err) {
        rd_kafka_topic_partition_list_t *list =
                rd_kafka_topic_partition_list_new((int)n);
        for (size_t i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(list, t[i].topic,
                                                  t[i].partition)
                        ->offset = at;
        *err = rd_kafka_offsets_for_times(rk, list, timeout_ms);
        return list;
}

hw_err_t hw_replay_resolve_start(rd_kafka_t *rk, hw_target_t *t, size_t n,
                                 const char *from, char *errstr, size_t size) {
        int64_t ms = -1;
        rd_kafka_topic_partition_list_t *list;
        rd_kafka_resp_err_t err;

        if (strcmp(from, "earliest") && hw_time_parse_iso(from, &ms))
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "--from %s: expected earliest or an ISO 8601 "
                               "time (2025-06-01T00:00:00Z)",
                               from);
        for (size_t i = 0; i < n; i++)
                t[i].from_ms = ms;
        if (ms < 0)
                return HW_OK;
        list = hw_replay_offsets_at(rk, t, n, ms, QUERY_TIMEOUT_MS, &err);
        for (size_t i = 0; !err && i < n; i++) {
                const rd_kafka_topic_partition_t *p = &list->elems[i];
                if (!p->err && p->offset >= t[i].start && p->offset <= t[i].end)
                        t[i].start = t[i].done = t[i].kept_from = p->offset;
        }
        rd_kafka_topic_partition_list_destroy(list);
        if (err)
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "cannot find the offsets at %s: %s", from,
                               rd_kafka_err2str(err));
        return HW_OK;
}

int hw_replay_skip(hw_target_t *t, const rd_kafka_message_t *m) {
        rd_kafka_timestamp_type_t type;
        int64_t ts;

        if (t->from_ms < 0)
                return 0;
        ts = rd_kafka_message_timestamp(m, &type);
        if (type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts < t->from_ms) {
                t->done = t->kept_from = m->offset + 1;
                return 1;
        }
        t->from_ms = -1; /* the first message at or after the time */
        return 0;
}

int64_t hw_replay_dropped(const hw_target_t *t, int64_t live_next) {
        int64_t upto = live_next < t->kept_from ? live_next : t->kept_from;
        return upto > t->first ? upto - t->first : 0;
}

int hw_replay_complete(const hw_target_t *t, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (t[i].done < t[i].end)
                        return 0;
        return 1;
}

void hw_replay_progress(FILE *out, int terminal, const hw_target_t *t, size_t n,
                        uint64_t events, double seconds, int final) {
        int64_t total = 0, done = 0;
        size_t complete = 0;
        double rate = seconds > 0 ? (double)events / seconds : 0;

        if (!terminal && !final)
                return;
        for (size_t i = 0; i < n; i++) {
                total += t[i].end - t[i].start;
                done += t[i].done - t[i].start;
                complete += t[i].done >= t[i].end;
        }
        if (final) {
                fprintf(out,
                        "%sreplay: %" PRId64 " of %" PRId64 " offsets on %zu "
                        "partitions, %" PRIu64 " events in %.1f s (%.0f "
                        "events/s)\n",
                        terminal ? "\r\033[K" : "", done, total, n, events,
                        seconds, rate);
        } else {
                /* Offsets left over the offsets rate so far. */
                double per_s = seconds > 0 ? (double)done / seconds : 0;
                double eta = per_s > 0 ? (double)(total - done) / per_s : 0;
                fprintf(out,
                        "\r\033[Kreplay: partitions %zu/%zu done, offsets "
                        "%" PRId64 "/%" PRId64 " (%.0f%%), %.0f events/s, "
                        "ETA %.0f s",
                        complete, n, done, total,
                        total ? 100.0 * (double)done / (double)total : 100.0,
                        rate, eta);
        }
        fflush(out);
}
