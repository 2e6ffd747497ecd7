#include "hw_webhook.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw_log.h"
#include "hw_store.h"
#include "hw_time.h"
#include "hw_validate.h"

#define WEBHOOK_BATCH 50
#define IDLE_MS 300

struct hw_webhook_s {
        const hw_config_t *conf;
        hw_metrics_t *metrics; /* deliveries and failures, or NULL */
        hw_store_t *store;     /* own connection */
        CURL *curl;
        struct curl_slist *headers;
        hw_store_alert_t alerts[WEBHOOK_BATCH];
        pthread_t thread;
        atomic_int stop;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Sleeps up to ms, waking early when asked to stop. */
static void nap(hw_webhook_t *w, int ms) {
        for (int slept = 0; slept < ms && !atomic_load(&w->stop); slept += 50) {
                struct timespec ts = {0, 50 * 1000000L};
                nanosleep(&ts, NULL);
        }
}

/* Sleeps *backoff ms (or until stopped), then doubles it up to
 * alerts.webhook.retry.max.ms for the next failure in a row. */
static void back_off(hw_webhook_t *w, int *backoff) {
        nap(w, *backoff);
        *backoff =
                hw_backoff_next(*backoff, w->conf->alert_webhook_retry_max_ms);
}

/* The JSON string of s, or null when s is not UTF-8 (Jansson refuses
 * it; the events an alert comes from were checked, so it is not
 * expected). NULL only when out of memory. */
static json_t *string_of(const char *s) {
        json_t *v = json_string(s);
        return v || hw_utf8_valid(s, strlen(s)) ? v : json_null();
}

/* Sets o[key] to the string s; a NULL s is left out. -1 when out of
 * memory. */
static int set_string(json_t *o, const char *key, const char *s) {
        return s ? json_object_set_new(o, key, string_of(s)) : 0;
}

/* The alert as the JSON body of the POST. NULL when out of memory: a
 * body with a field missing is never sent (it would count as delivered). */
static char *alert_json(const hw_alert_t *a) {
        json_t *o = json_object(), *ids = json_array(), *attrs = json_object();
        char *text = NULL;
        int bad = !o || !ids || !attrs;

        for (size_t i = 0; !bad && i < a->n_event_ids; i++)
                bad = a->event_ids[i] &&
                      json_array_append_new(ids, string_of(a->event_ids[i]));
        for (size_t i = 0; !bad && i < a->n_attributes; i++)
                bad = set_string(attrs, a->attributes[i].key,
                                 a->attributes[i].value);
        if (!bad &&
            !(set_string(o, "alert_id", a->alert_id) ||
              set_string(o, "rule", a->rule) ||
              set_string(o, "severity", hw_severity_name(a->severity)) ||
              set_string(o, "subject", a->subject) ||
              set_string(o, "summary", a->summary) ||
              json_object_set_new(o, "event_time",
                                  json_integer(a->event_time)) ||
              json_object_set_new(o, "raised_at", json_integer(a->raised_at)) ||
              json_object_set(o, "event_ids", ids) ||
              json_object_set(o, "attributes", attrs)))
                text = json_dumps(o, JSON_COMPACT);
        json_decref(ids);
        json_decref(attrs);
        json_decref(o);
        return text;
}

/* Drops the answer's body: only its status counts (libcurl would write it
 * on stdout). */
static size_t discard_body(char *data, size_t size, size_t n, void *arg) {
        (void)data;
        (void)arg;
        return size * n;
}

/* POSTs one alert. Returns 0 on a 2xx answer, else -1 (logged). */
static int post(hw_webhook_t *w, const hw_alert_t *a) {
        char *body = alert_json(a);
        long status = 0;
        CURLcode rc;

        if (!body) {
                HW_WARN("webhook", "alert %s not delivered: out of memory",
                        a->alert_id);
                return -1;
        }
        curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
        rc = curl_easy_perform(w->curl);
        free(body);
        if (rc == CURLE_OK)
                curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OK && status >= 200 && status < 300) {
                hw_metrics_add(w->metrics, HW_M_WEBHOOK_DELIVERED, 1);
                return 0;
        }
        hw_metrics_add(w->metrics, HW_M_WEBHOOK_FAILED, 1);
        if (rc != CURLE_OK)
                HW_WARN("webhook", "alert %s not delivered: %s", a->alert_id,
                        curl_easy_strerror(rc));
        else
                HW_WARN("webhook", "alert %s not delivered: HTTP status %ld",
                        a->alert_id, status);
        return -1;
}

static void *webhook_main(void *arg) {
        hw_webhook_t *w = arg;
        int backoff = w->conf->alert_webhook_retry_min_ms;
        /* Redis errors back off on their own: a Redis down for long is
         * retried (and logged) at the capped pace, not every min ms. */
        int redis_backoff = w->conf->alert_webhook_retry_min_ms;
        char last[48], errstr[512];

        while (!atomic_load(&w->stop)) {
                size_t n = 0, done = 0;
                if (hw_store_get_alert_position(w->store, HW_KEY_ALERTS_WEBHOOK,
                                                last, sizeof(last), errstr,
                                                sizeof(errstr)) ||
                    hw_store_read_alerts(w->store, last, w->alerts,
                                         WEBHOOK_BATCH, &n, errstr,
                                         sizeof(errstr))) {
                        HW_WARN("webhook", "%s", errstr);
                        back_off(w, &redis_backoff);
                        continue;
                }
                redis_backoff = w->conf->alert_webhook_retry_min_ms;
                if (!n) {
                        nap(w, IDLE_MS);
                        continue;
                }
                for (; done < n && !atomic_load(&w->stop); done++) {
                        const hw_alert_t *a = &w->alerts[done].alert;
                        if (a->alert_id && post(w, a))
                                break;
                        if (hw_store_set_alert_position(
                                    w->store, HW_KEY_ALERTS_WEBHOOK,
                                    w->alerts[done].id, errstr,
                                    sizeof(errstr))) {
                                HW_WARN("webhook", "%s", errstr);
                                break;
                        }
                        backoff = w->conf->alert_webhook_retry_min_ms;
                }
                if (done < n)
                        back_off(w, &backoff);
        }
        return NULL;
}

hw_webhook_t *hw_webhook_start(const hw_config_t *conf, const char *group,
                               hw_metrics_t *metrics, char *errstr,
                               size_t size) {
        hw_webhook_t *w = calloc(1, sizeof(*w));

        if (!w) {
                hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                return NULL;
        }
        pthread_once(&curl_once, curl_init_once);
        w->conf = conf;
        w->metrics = metrics;
        atomic_init(&w->stop, 0);
        for (size_t i = 0; i < WEBHOOK_BATCH; i++)
                hw_alert_init(&w->alerts[i].alert);
        w->store = hw_store_new(conf, group, errstr, size);
        w->curl = curl_easy_init();
        w->headers = curl_slist_append(NULL, "Content-Type: application/json");
        if (!w->store || !w->curl || !w->headers) {
                if (w->store)
                        hw_fail(HW_ERR_NOMEM, errstr, size,
                                "cannot create the HTTP client");
                goto fail;
        }
        curl_easy_setopt(w->curl, CURLOPT_URL, conf->alert_webhook_url);
        curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, w->headers);
        curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, discard_body);
        curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS,
                         (long)conf->alert_webhook_timeout_ms);
        curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(w->curl, CURLOPT_USERAGENT, "hirewire/" HW_VERSION);
        if (pthread_create(&w->thread, NULL, webhook_main, w)) {
                hw_fail(HW_ERR_INTERNAL, errstr, size,
                        "cannot start the webhook thread");
                goto fail;
        }
        return w;
fail:
        if (w->headers)
                curl_slist_free_all(w->headers);
        if (w->curl)
                curl_easy_cleanup(w->curl);
        hw_store_destroy(w->store);
        for (size_t i = 0; i < WEBHOOK_BATCH; i++)
                hw_alert_release(&w->alerts[i].alert);
        free(w);
        return NULL;
}

void hw_webhook_stop(hw_webhook_t *w) {
        if (!w)
                return;
        atomic_store(&w->stop, 1);
        pthread_join(w->thread, NULL);
        curl_slist_free_all(w->headers);
        curl_easy_cleanup(w->curl);
        hw_store_destroy(w->store);
        for (size_t i = 0; i < WEBHOOK_BATCH; i++)
                hw_alert_release(&w->alerts[i].alert);
        free(w);
}
