#include "hw_registry.h"

#include <avro.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_avro_schema.h"
#include "hw_buf.h"

#define REGISTRY_MAX_URLS 8
#define REGISTRY_MAX_ANSWER (8 * 1024 * 1024)
#define REGISTRY_MAX_SUBJECTS 16
#define CONTENT_TYPE "application/vnd.schemaregistry.v1+json"

/* One base URL: as given to libcurl, and as shown in messages. */
typedef struct registry_url_s {
        char *url;
        char *shown; /* the user info's password masked */
} registry_url_t;

/* A writer's answered subject lookup. */
typedef struct subject_id_s {
        char *subject;
        char *schema_json;
        int32_t id;
} subject_id_t;

struct hw_registry_s {
        CURL *curl;
        struct curl_slist *headers;
        registry_url_t urls[REGISTRY_MAX_URLS];
        size_t n_urls;
        size_t good; /* the URL that answered last */
        hw_buf_t answer;
        int answer_too_large;
        int reachable;
        hw_registry_stats_t stats;
        int auto_register;
        subject_id_t subjects[REGISTRY_MAX_SUBJECTS];
        size_t n_subjects;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg) {
        hw_registry_t *r = arg;
        if (r->answer.len + size * n > REGISTRY_MAX_ANSWER) {
                r->answer_too_large = 1;
                return 0; /* libcurl fails the transfer */
        }
        return hw_buf_append(&r->answer, data, size * n) ? 0 : size * n;
}

/* Copies a base URL, without trailing slashes, and its shown form with the
 * password of "scheme://user:password@host" replaced by "***". */
static int add_url(hw_registry_t *r, const char *s, size_t len) {
        registry_url_t *u = &r->urls[r->n_urls];
        const char *host, *at, *colon;

        while (len && s[len - 1] == '/')
                len--;
        u->url = strndup(s, len);
        if (!u->url)
                return -1;
        host = strstr(u->url, "://");
        host = host ? host + 3 : u->url;
        at = memchr(host, '@', strcspn(host, "/"));
        colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
        if (colon) {
                size_t head = (size_t)(colon + 1 - u->url);
                u->shown = malloc(head + 3 + strlen(at) + 1);
                if (!u->shown)
                        return -1;
                memcpy(u->shown, u->url, head);
                strcpy(u->shown + head, "***");
                strcat(u->shown, at);
        } else if (!(u->shown = strdup(u->url))) {
                return -1;
        }
        r->n_urls++;
        return 0;
}

hw_registry_t *hw_registry_new(const hw_registry_conf_t *conf, char *errstr,
                               size_t size) {
        hw_registry_t *r = calloc(1, sizeof(*r));
        const char *p = conf->url;

        if (!r)
                goto nomem;
        hw_buf_init(&r->answer);
        r->reachable = 1;
        r->auto_register = conf->auto_register;
        while (p && *p) {
                size_t len;
                p += strspn(p, " ,");
                len = strcspn(p, ",");
                while (len && p[len - 1] == ' ')
                        len--;
                if (!len)
                        break;
                if (strncmp(p, "http://", 7) && strncmp(p, "https://", 8)) {
                        hw_fail(HW_ERR_ARG, errstr, size,
                                "schema.registry.url: \"%.*s\" is not an "
                                "http:// or https:// URL",
                                (int)strcspn(p, "@,"), p);
                        goto fail;
                }
                if (r->n_urls == REGISTRY_MAX_URLS) {
                        hw_fail(HW_ERR_ARG, errstr, size,
                                "schema.registry.url: more than %d URLs",
                                REGISTRY_MAX_URLS);
                        goto fail;
                }
                if (add_url(r, p, len))
                        goto nomem;
                p += len;
        }
        if (!r->n_urls) {
                hw_fail(HW_ERR_ARG, errstr, size,
                        "schema.registry.url: no URL given");
                goto fail;
        }

        pthread_once(&curl_once, curl_init_once);
        r->curl = curl_easy_init();
        r->headers = curl_slist_append(NULL, "Accept: " CONTENT_TYPE
                                             ", application/json");
        if (r->headers)
                r->headers = curl_slist_append(r->headers,
                                               "Content-Type: " CONTENT_TYPE);
        if (!r->curl || !r->headers)
                goto nomem;
        curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, r->headers);
        curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, (long)conf->timeout_ms);
        curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(r->curl, CURLOPT_USERAGENT, "hirewire/" HW_VERSION);
        curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        if (conf->user_info && *conf->user_info) {
                curl_easy_setopt(r->curl, CURLOPT_HTTPAUTH,
                                 (long)CURLAUTH_BASIC);
                curl_easy_setopt(r->curl, CURLOPT_USERPWD, conf->user_info);
        }
        if (conf->ca_location && *conf->ca_location)
                curl_easy_setopt(r->curl, CURLOPT_CAINFO, conf->ca_location);
        if (conf->cert_location && *conf->cert_location)
                curl_easy_setopt(r->curl, CURLOPT_SSLCERT, conf->cert_location);
        if (conf->key_location && *conf->key_location)
                curl_easy_setopt(r->curl, CURLOPT_SSLKEY, conf->key_location);
        if (conf->key_password && *conf->key_password)
                curl_easy_setopt(r->curl, CURLOPT_KEYPASSWD,
                                 conf->key_password);
        return r;

nomem:
        hw_fail(HW_ERR_NOMEM, errstr, size,
                "out of memory creating the schema registry client");
fail:
        hw_registry_destroy(r);
        return NULL;
}

void hw_registry_destroy(hw_registry_t *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n_urls; i++) {
                free(r->urls[i].url);
                free(r->urls[i].shown);
        }
        for (size_t i = 0; i < r->n_subjects; i++) {
                free(r->subjects[i].subject);
                free(r->subjects[i].schema_json);
        }
        if (r->curl)
                curl_easy_cleanup(r->curl);
        curl_slist_free_all(r->headers);
        hw_buf_release(&r->answer);
        free(r);
}

int hw_registry_reachable(const hw_registry_t *r) {
        return r->reachable;
}

hw_registry_stats_t hw_registry_stats(const hw_registry_t *r) {
        return r->stats;
}

/* Whether an HTTP status means "not now" (overloaded, timed out, down)
 * rather than an answer about the request. */
static int transient_status(long status) {
        return status >= 500 || status == 408 || status == 429;
}

/*
 * Sends one request (body NULL: GET, else POST) to each base URL in turn,
 * from the one that answered last, until one answers with a status that
 * is not transient. On HW_OK, *status is the HTTP status and *answer the
 * parsed JSON body (NULL if the body is not JSON; the caller decrefs it).
 * HW_ERR_SERVICE when no URL answered, with errstr naming the last one and
 * its failure, or when the credentials were refused (401, 403).
 */
static hw_err_t request(hw_registry_t *r, const char *path, const char *body,
                        long *status, json_t **answer, char *errstr,
                        size_t size) {
        char url[2048];
        hw_err_t err = HW_ERR_SERVICE;

        *answer = NULL;
        for (size_t tries = 0; tries < r->n_urls; tries++) {
                const registry_url_t *u =
                        &r->urls[(r->good + tries) % r->n_urls];
                CURLcode rc;

                snprintf(url, sizeof(url), "%s%s", u->url, path);
                r->answer.len = 0;
                r->answer_too_large = 0;
                curl_easy_setopt(r->curl, CURLOPT_URL, url);
                if (body)
                        curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
                else
                        curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
                r->stats.requests++;
                rc = curl_easy_perform(r->curl);
                *status = 0;
                if (rc == CURLE_OK)
                        curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE,
                                          status);
                if (rc != CURLE_OK) {
                        hw_fail(HW_ERR_SERVICE, errstr, size,
                                "schema registry %s unreachable: %s", u->shown,
                                r->answer_too_large ? "answer larger than 8 MiB"
                                                    : curl_easy_strerror(rc));
                } else if (transient_status(*status)) {
                        hw_fail(HW_ERR_SERVICE, errstr, size,
                                "schema registry %s answered HTTP %ld to "
                                "%s %s",
                                u->shown, *status, body ? "POST" : "GET", path);
                } else {
                        r->good = (r->good + tries) % r->n_urls;
                        err = HW_OK;
                        break;
                }
                r->stats.errors++;
        }
        r->reachable = err == HW_OK;
        if (err)
                return err;
        *answer = json_loadb(r->answer.data ? r->answer.data : "",
                             r->answer.len, 0, NULL);
        if (*status == 401 || *status == 403) {
                r->reachable = 0;
                r->stats.errors++;
                json_decref(*answer);
                *answer = NULL;
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "schema registry %s refused the credentials "
                               "(HTTP %ld): check "
                               "schema.registry.basic.auth.user.info",
                               r->urls[r->good].shown, *status);
        }
        return HW_OK;
}

/* An answer (2xx, 3xx) without what the request asks for: the registry
 * is not usable, as if it had not answered. */
static hw_err_t unusable_answer(hw_registry_t *r, long status, const char *what,
                                const char *method, const char *path,
                                char *errstr, size_t size) {
        r->reachable = 0;
        return hw_fail(HW_ERR_SERVICE, errstr, size,
                       "schema registry %s answered HTTP %ld without %s to "
                       "%s %s",
                       r->urls[r->good].shown, status, what, method, path);
}

/* The registry's own explanation of an error answer, for messages. */
static const char *answer_message(json_t *answer) {
        const char *m = json_string_value(json_object_get(answer, "message"));
        return m ? m : "no explanation";
}

hw_err_t hw_registry_schema(hw_registry_t *r, int32_t id, char **json,
                            char *errstr, size_t size) {
        char path[64];
        long status;
        json_t *answer;
        const char *schema, *type;
        hw_err_t err;

        *json = NULL;
        snprintf(path, sizeof(path), "/schemas/ids/%" PRId32, id);
        if ((err = request(r, path, NULL, &status, &answer, errstr, size)))
                return err;
        schema = json_string_value(json_object_get(answer, "schema"));
        type = json_string_value(json_object_get(answer, "schemaType"));
        if (status == 200 && schema && (!type || !strcmp(type, "AVRO"))) {
                *json = strdup(schema);
                err = *json ? HW_OK
                            : hw_fail(HW_ERR_NOMEM, errstr, size,
                                      "out of memory");
        } else if (status == 200 && schema) {
                err = hw_fail(HW_ERR_UNKNOWN_SCHEMA, errstr, size,
                              "schema id %" PRId32 " is a %s schema, not Avro",
                              id, type);
        } else if (status >= 400) {
                err = hw_fail(HW_ERR_UNKNOWN_SCHEMA, errstr, size,
                              "schema id %" PRId32 " is not in the schema "
                              "registry (HTTP %ld: %s)",
                              id, status, answer_message(answer));
        } else {
                err = unusable_answer(r, status, "a schema", "GET", path,
                                      errstr, size);
        }
        json_decref(answer);
        return err;
}

/* Whether two schema texts parse to the same Avro schema. */
static int same_schema(const char *a, const char *b) {
        avro_schema_t sa = NULL, sb = NULL;
        char why[256];
        int same = 0;

        if (!hw_avro_schema_parse(a, strlen(a), &sa, why, sizeof(why)) &&
            !hw_avro_schema_parse(b, strlen(b), &sb, why, sizeof(why)))
                same = avro_schema_equal(sa, sb);
        if (sa)
                avro_schema_decref(sa);
        if (sb)
                avro_schema_decref(sb);
        return same;
}

/* Asks the registry for the id (see hw_registry_topic_id). */
static hw_err_t ask_subject_id(hw_registry_t *r, const char *subject,
                               const char *schema_json, int32_t *id,
                               char *errstr, size_t size) {
        int auto_register = r->auto_register;
        char path[1024];
        char *escaped = curl_easy_escape(r->curl, subject, 0), *body = NULL;
        json_t *answer = NULL, *req;
        json_int_t got;
        long status;
        hw_err_t err;

        if (!escaped)
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        snprintf(path, sizeof(path), "/subjects/%s/versions%s", escaped,
                 auto_register ? "" : "/latest");
        curl_free(escaped);
        if (auto_register) {
                req = json_pack("{s:s}", "schema", schema_json);
                body = req ? json_dumps(req, JSON_COMPACT) : NULL;
                json_decref(req);
                if (!body)
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory");
        }
        err = request(r, path, body, &status, &answer, errstr, size);
        free(body);
        if (err)
                return err;
        got = json_integer_value(json_object_get(answer, "id"));
        if (status == 200 && got > 0 && got <= INT32_MAX &&
            (auto_register ||
             same_schema(schema_json,
                         json_string_value(json_object_get(answer, "schema"))
                                 ?: "null"))) {
                *id = (int32_t)got;
        } else if (status == 200 && got > 0 && !auto_register) {
                err = hw_fail(HW_ERR_ARG, errstr, size,
                              "subject %s: its latest version (id "
                              "%" JSON_INTEGER_FORMAT
                              ") is not the schema written here; register "
                              "it, or set schema.registry.auto.register = 1",
                              subject, got);
        } else if (status == 404 && !auto_register) {
                err = hw_fail(HW_ERR_ARG, errstr, size,
                              "subject %s has no version in the schema "
                              "registry (%s); register the schema, or set "
                              "schema.registry.auto.register = 1",
                              subject, answer_message(answer));
        } else if (status >= 400) {
                err = hw_fail(HW_ERR_ARG, errstr, size,
                              "subject %s: the schema registry refused the "
                              "schema (HTTP %ld: %s)",
                              subject, status, answer_message(answer));
        } else {
                err = unusable_answer(r, status, "an id",
                                      auto_register ? "POST" : "GET", path,
                                      errstr, size);
        }
        json_decref(answer);
        return err;
}

hw_err_t hw_registry_topic_id(hw_registry_t *r, const char *topic,
                              const char *schema_json, int32_t *id,
                              char *errstr, size_t size) {
        char subject[300];
        subject_id_t *s;
        hw_err_t err;

        snprintf(subject, sizeof(subject), "%s-value", topic);
        for (size_t i = 0; i < r->n_subjects; i++) {
                s = &r->subjects[i];
                if (!strcmp(s->subject, subject) &&
                    !strcmp(s->schema_json, schema_json)) {
                        *id = s->id;
                        return HW_OK;
                }
        }
        if ((err = ask_subject_id(r, subject, schema_json, id, errstr, size)))
                return err;
        if (r->n_subjects < REGISTRY_MAX_SUBJECTS) {
                s = &r->subjects[r->n_subjects];
                s->subject = strdup(subject);
                s->schema_json = strdup(schema_json);
                s->id = *id;
                if (s->subject && s->schema_json) {
                        r->n_subjects++;
                } else {
                        free(s->subject);
                        free(s->schema_json);
                }
        }
        return HW_OK;
}
