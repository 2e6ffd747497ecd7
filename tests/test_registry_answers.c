/*
 * The Schema Registry client and the codec's registry path against the
 * answers a registry can give, served by an HTTP server inside this
 * program (libmicrohttpd) whose answer to each path each test sets:
 * writer schemas are cached up to the bound given, the least recently
 * used evicted first; an id the registry lacks, or a schema the event
 * model cannot hold, is refused naming why and remembered for a minute;
 * answers that are not the API's (no schema, no id, a schema of another
 * type, more than 8 MiB) are told apart from a missing schema; a list of
 * URLs goes on to the next when one fails and stays on the one that
 * answered; a writer's subject id is checked against the schema it
 * writes; 408 is "not now" like 5xx, 403 refuses the credentials, at
 * most 16 subject ids are kept, and ids 0 or past 2^31-1 are never asked
 * for. Needs no service.
 */
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "hw_codec.h"
#include "hw_registry.h"
#include "hw_test.h"

/* ---- The server ---- */

#define MAX_ROUTES 16
#define MAX_SEEN 128

typedef struct route_s {
        char path[128];
        unsigned status;
        char *body; /* malloc'ed */
} route_t;

static struct {
        struct MHD_Daemon *d;
        int port;
        pthread_mutex_t lock;
        route_t routes[MAX_ROUTES];
        size_t n_routes;
        char seen[MAX_SEEN][160]; /* "METHOD PATH" of each request */
        size_t n_seen;
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Answers path with status and body (replacing an earlier answer). */
static void route(const char *path, unsigned status, const char *body) {
        route_t *r = NULL;
        pthread_mutex_lock(&srv.lock);
        for (size_t i = 0; i < srv.n_routes; i++)
                if (!strcmp(srv.routes[i].path, path))
                        r = &srv.routes[i];
        if (!r && srv.n_routes < MAX_ROUTES)
                r = &srv.routes[srv.n_routes++];
        if (r) {
                snprintf(r->path, sizeof(r->path), "%s", path);
                r->status = status;
                free(r->body);
                r->body = strdup(body);
        }
        pthread_mutex_unlock(&srv.lock);
}

/* Answers GET /schemas/ids/{id} with schema (and schemaType when set). */
static void route_schema(const char *prefix, int id, const char *schema,
                         const char *type) {
        char path[128];
        json_t *o = json_pack("{s:s}", "schema", schema);
        char *body;
        if (type)
                json_object_set_new(o, "schemaType", json_string(type));
        body = json_dumps(o, JSON_COMPACT);
        snprintf(path, sizeof(path), "%s/schemas/ids/%d", prefix, id);
        route(path, 200, body);
        free(body);
        json_decref(o);
}

/* How many requests were "METHOD PATH". */
static int seen(const char *what) {
        int n = 0;
        pthread_mutex_lock(&srv.lock);
        for (size_t i = 0; i < srv.n_seen; i++)
                n += !strcmp(srv.seen[i], what);
        pthread_mutex_unlock(&srv.lock);
        return n;
}

static void reset(void) {
        pthread_mutex_lock(&srv.lock);
        for (size_t i = 0; i < srv.n_routes; i++) {
                free(srv.routes[i].body);
                srv.routes[i].body = NULL;
        }
        srv.n_routes = srv.n_seen = 0;
        pthread_mutex_unlock(&srv.lock);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **con_cls) {
        static int started;
        struct MHD_Response *r;
        enum MHD_Result ret;
        unsigned status = 404;
        char *body = NULL;
        (void)cls;
        (void)version;
        (void)data;
        if (!*con_cls) { /* the headers: a body may follow */
                *con_cls = &started;
                return MHD_YES;
        }
        if (*data_size) {
                *data_size = 0;
                return MHD_YES;
        }
        pthread_mutex_lock(&srv.lock);
        if (srv.n_seen < MAX_SEEN)
                snprintf(srv.seen[srv.n_seen++], sizeof(srv.seen[0]), "%s %s",
                         method, url);
        for (size_t i = 0; i < srv.n_routes; i++)
                if (!strcmp(srv.routes[i].path, url)) {
                        status = srv.routes[i].status;
                        body = strdup(srv.routes[i].body);
                }
        pthread_mutex_unlock(&srv.lock);
        if (!body)
                body = strdup("{\"error_code\":40403,\"message\":\"Schema "
                              "not found\"}");
        r = body ? MHD_create_response_from_buffer(strlen(body), body,
                                                   MHD_RESPMEM_MUST_FREE)
                 : NULL;
        if (!r) {
                free(body);
                return MHD_NO;
        }
        ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

static int server_start(void) {
        struct sockaddr_in sin = {.sin_family = AF_INET};
        const union MHD_DaemonInfo *info;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                 on_request, NULL, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&sin, MHD_OPTION_END);
        info = srv.d ? MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT)
                     : NULL;
        if (!info)
                return -1;
        srv.port = info->port;
        return 0;
}

/* ---- Helpers ---- */

static char g_url[256];

/* A registry client of base URL(s) url (NULL: the server). */
static hw_registry_t *registry(const char *url, int auto_register) {
        hw_registry_conf_t conf = {.url = url ? url : g_url,
                                   .timeout_ms = 5000,
                                   .auto_register = auto_register};
        hw_registry_t *r = hw_registry_new(&conf, errstr, sizeof(errstr));
        if (!r)
                fprintf(stderr, "test: registry: %s\n", errstr);
        return r;
}

/* ev encoded with local schema local_id, framed with registry id id. */
static void framed(const hw_event_t *ev, int local_id, int id, hw_buf_t *out) {
        hw_buf_init(out);
        if (encode(ev, local_id, out) != HW_OK) {
                fprintf(stderr, "test: encode: %s\n", errstr);
                exit(2);
        }
        hw_codec_set_frame_id(out, id);
}

static hw_err_t decode_at(hw_codec_t *c, const hw_buf_t *m, int64_t now,
                          hw_event_t *ev) {
        errstr[0] = '\0';
        return hw_codec_decode(c, m->data, m->len, now, ev, errstr,
                               sizeof(errstr));
}

/* A HireEvent writer schema with the fields a hire needs, the field
 * `extra` (JSON of one field, or "") added after them. */
static const char *hire_writer(char *out, size_t size, const char *extra) {
        snprintf(out, size,
                 "{\"type\":\"record\",\"name\":\"HireEvent\","
                 "\"namespace\":\"hirewire\",\"fields\":["
                 "{\"name\":\"event_id\",\"type\":\"string\"},"
                 "{\"name\":\"occurred_at\",\"type\":\"long\"},"
                 "{\"name\":\"person_id\",\"type\":\"string\"},"
                 "{\"name\":\"from_org\",\"type\":\"string\"},"
                 "{\"name\":\"to_org\",\"type\":\"string\"},"
                 "{\"name\":\"from_country\",\"type\":\"string\"},"
                 "{\"name\":\"to_country\",\"type\":\"string\"}%s%s]}",
                 *extra ? "," : "", extra);
        return out;
}

/* ---- Tests ---- */

/* 1. Writer schemas are fetched once each and kept up to the bound, the
 * least recently used given up first and fetched again when next
 * needed; each decodes its messages (a v1 hire with v2's defaults). */
static void test_cache_bound(void) {
        hw_registry_t *r = registry(NULL, 1);
        hw_codec_t *c = hw_codec_new(errstr, sizeof(errstr));
        hw_event_t hire = full_hire(), offer = an_offer(HW_OFFER_EXTENDED), ev;
        hw_buf_t m100, m101, m102;

        if (!HW_CHECK(r && c))
                goto out;
        reset();
        route_schema("", 100, hw_codec_schema_json(HW_SCHEMA_HIRE_V2), NULL);
        route_schema("", 101, hw_codec_schema_json(HW_SCHEMA_HIRE_V1), "AVRO");
        route_schema("", 102, hw_codec_schema_json(HW_SCHEMA_OFFER_V1), NULL);
        framed(&hire, HW_SCHEMA_HIRE_V2, 100, &m100);
        framed(&hire, HW_SCHEMA_HIRE_V1, 101, &m101);
        framed(&offer, HW_SCHEMA_OFFER_V1, 102, &m102);
        hw_event_init(&ev);
        HW_CHECK_EQ_INT(hw_codec_use_registry(c, r, 2), HW_OK);

        CHECK_ERR(decode_at(c, &m100, NOW, &ev), HW_OK);
        check_event_equal(&ev, &hire, "v2 hire by registry id 100");
        CHECK_ERR(decode_at(c, &m101, NOW, &ev), HW_OK);
        HW_CHECK_EQ_INT(ev.tier, HW_TIER_UNRATED);
        HW_CHECK_NULL(ev.alma_mater);
        CHECK_ERR(decode_at(c, &m100, NOW, &ev), HW_OK); /* 100 used last */
        HW_CHECK_EQ_INT(hw_codec_cached_schemas(c), 2);
        CHECK_ERR(decode_at(c, &m102, NOW, &ev), HW_OK); /* evicts 101 */
        check_event_equal(&ev, &offer, "offer by registry id 102");
        HW_CHECK_EQ_INT(hw_codec_cached_schemas(c), 2);
        CHECK_ERR(decode_at(c, &m100, NOW, &ev), HW_OK);
        CHECK_ERR(decode_at(c, &m102, NOW, &ev), HW_OK);
        HW_CHECK_EQ_INT(seen("GET /schemas/ids/100"), 1);
        HW_CHECK_EQ_INT(seen("GET /schemas/ids/102"), 1);
        CHECK_ERR(decode_at(c, &m101, NOW, &ev), HW_OK); /* fetched again */
        HW_CHECK_EQ_INT(seen("GET /schemas/ids/101"), 2);
        HW_CHECK_EQ_INT(hw_registry_stats(r).errors, 0);

        /* A new bound (0 means 1) empties the cache. */
        HW_CHECK_EQ_INT(hw_codec_use_registry(c, r, 0), HW_OK);
        HW_CHECK_EQ_INT(hw_codec_cached_schemas(c), 0);
        CHECK_ERR(decode_at(c, &m100, NOW, &ev), HW_OK);
        CHECK_ERR(decode_at(c, &m102, NOW, &ev), HW_OK);
        HW_CHECK_EQ_INT(hw_codec_cached_schemas(c), 1);
        HW_CHECK_EQ_INT(seen("GET /schemas/ids/100"), 2);
        hw_event_release(&ev);
        hw_buf_release(&m100);
        hw_buf_release(&m101);
        hw_buf_release(&m102);
out:
        hw_codec_destroy(c);
        hw_registry_destroy(r);
}

/* 2. Writer schemas the event model cannot hold are refused as
 * unknown_schema, naming the schema and what is wrong; the refusal is
 * remembered for a minute (no request), then asked again. */
static void test_refused_writers(void) {
        static const struct {
                const char *extra, *want;
        } fields[] = {
                {"{\"name\":\"person_name\",\"type\":[\"string\",\"null\"]}",
                 "field person_name has a type the event model cannot hold"},
                {"{\"name\":\"person_name\",\"type\":[\"null\",\"long\"]}",
                 "field person_name has a type"},
                {"{\"name\":\"person_name\",\"type\":[\"null\",\"string\","
                 "\"long\"]}",
                 "field person_name has a type"},
                {"{\"name\":\"compensation_usd\",\"type\":[\"null\",\"int\"]}",
                 "field compensation_usd has a type"},
                {"{\"name\":\"tier\",\"type\":\"string\"}",
                 "field tier has a type"},
                {"{\"name\":\"source_url\",\"type\":\"string\"}",
                 "field source_url has a type"},
        };
        hw_registry_t *r = registry(NULL, 1);
        hw_codec_t *c = hw_codec_new(errstr, sizeof(errstr));
        hw_event_t hire = full_hire(), ev;
        char json[2048], want[256];
        hw_buf_t m;

        if (!HW_CHECK(r && c))
                goto out;
        reset();
        hw_event_init(&ev);
        HW_CHECK_EQ_INT(hw_codec_use_registry(c, r, 16), HW_OK);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                int id = 200 + (int)i;
                HW_CONTEXT("writer with %s", fields[i].extra);
                route_schema("", id,
                             hire_writer(json, sizeof(json), fields[i].extra),
                             NULL);
                framed(&hire, HW_SCHEMA_HIRE_V2, id, &m);
                CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_UNKNOWN_SCHEMA);
                snprintf(want, sizeof(want), "schema id %d: %s", id,
                         fields[i].want);
                HW_CHECK_CONTAINS(errstr, want);
                hw_buf_release(&m);
        }
        HW_CONTEXT("%s", "an occurred_at that is a string");
        route_schema("", 220,
                     "{\"type\":\"record\",\"name\":\"HireEvent\","
                     "\"namespace\":\"hirewire\",\"fields\":["
                     "{\"name\":\"event_id\",\"type\":\"string\"},"
                     "{\"name\":\"occurred_at\",\"type\":\"string\"}]}",
                     NULL);
        framed(&hire, HW_SCHEMA_HIRE_V2, 220, &m);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "field occurred_at has a type");
        /* Remembered: no new request within the minute, asked after. */
        CHECK_ERR(decode_at(c, &m, NOW + 59000, &ev), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "field occurred_at has a type");
        HW_CHECK_EQ_INT(seen("GET /schemas/ids/220"), 1);
        route_schema("", 220, hw_codec_schema_json(HW_SCHEMA_HIRE_V2), NULL);
        CHECK_ERR(decode_at(c, &m, NOW + 61000, &ev), HW_OK);
        HW_CHECK_EQ_INT(seen("GET /schemas/ids/220"), 2);
        hw_buf_release(&m);

        HW_CONTEXT("%s", "an event_id that is a number");
        route_schema("", 225,
                     "{\"type\":\"record\",\"name\":\"HireEvent\","
                     "\"namespace\":\"hirewire\",\"fields\":["
                     "{\"name\":\"event_id\",\"type\":\"long\"}]}",
                     NULL);
        framed(&hire, HW_SCHEMA_HIRE_V2, 225, &m);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr,
                          "schema id 225: field event_id has a type the "
                          "event model cannot hold");
        hw_buf_release(&m);

        HW_CONTEXT("%s", "a writer lacking a field with no default");
        route_schema("", 221,
                     "{\"type\":\"record\",\"name\":\"HireEvent\","
                     "\"namespace\":\"hirewire\",\"fields\":["
                     "{\"name\":\"event_id\",\"type\":\"string\"}]}",
                     NULL);
        framed(&hire, HW_SCHEMA_HIRE_V2, 221, &m);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "schema id 221 lacks field occurred_at, "
                                  "which has no default");
        hw_buf_release(&m);

        HW_CONTEXT("%s", "not a record; another record; bad JSON");
        route_schema("", 222, "\"string\"", NULL);
        route_schema("", 223,
                     "{\"type\":\"record\",\"name\":\"Salary\",\"namespace\":"
                     "\"payroll\",\"fields\":[{\"name\":\"usd\",\"type\":"
                     "\"long\"}]}",
                     NULL);
        route_schema("", 224, "{\"type\":\"record\",", NULL);
        framed(&hire, HW_SCHEMA_HIRE_V2, 222, &m);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "schema id 222 is a string, not a record");
        hw_codec_set_frame_id(&m, 223);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "schema id 223 is record payroll.Salary, "
                                  "not a hirewire event");
        hw_codec_set_frame_id(&m, 224);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "schema id 224 does not parse");
        hw_buf_release(&m);
        HW_CONTEXT("%s", "");
        hw_event_release(&ev);
out:
        hw_codec_destroy(c);
        hw_registry_destroy(r);
}

/* 3. Alerts by registry id: the Alert schema this version reads decodes;
 * another Alert schema is refused; an id the registry lacks says so. */
static void test_alert_schemas(void) {
        hw_registry_t *r = registry(NULL, 1);
        hw_codec_t *c = hw_codec_new(errstr, sizeof(errstr));
        hw_alert_t a, got;
        hw_buf_t m;
        const char *ids[] = {"hire-1", "hire-2"};

        if (!HW_CHECK(r && c))
                goto out;
        reset();
        hw_alert_init(&a);
        hw_alert_init(&got);
        hw_buf_init(&m);
        a.alert_id = "raid:apple:msl:20250630";
        a.rule = "raid";
        a.severity = HW_SEVERITY_WARN;
        a.raised_at = NOW;
        a.event_time = NOW - 1000;
        a.subject = "Apple -> MSL";
        a.summary = "four hires";
        a.event_ids = ids;
        a.n_event_ids = 2;
        HW_CHECK_EQ_INT(
                hw_codec_encode_alert(c, &a, &m, errstr, sizeof(errstr)),
                HW_OK);
        HW_CHECK_EQ_INT(hw_codec_use_registry(c, r, 4), HW_OK);
        route_schema("", 300, hw_codec_schema_json(HW_SCHEMA_ALERT_V1), NULL);
        route_schema("", 301,
                     "{\"type\":\"record\",\"name\":\"Alert\",\"namespace\":"
                     "\"hirewire\",\"fields\":[{\"name\":\"alert_id\","
                     "\"type\":\"string\"}]}",
                     NULL);
        hw_codec_set_frame_id(&m, 300);
        CHECK_ERR(hw_codec_decode_alert(c, m.data, m.len, &got, errstr,
                                        sizeof(errstr)),
                  HW_OK);
        HW_CHECK_STR(got.alert_id, "raid:apple:msl:20250630");
        HW_CHECK_EQ_INT(got.n_event_ids, 2);
        hw_codec_set_frame_id(&m, 301);
        CHECK_ERR(hw_codec_decode_alert(c, m.data, m.len, &got, errstr,
                                        sizeof(errstr)),
                  HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "schema id 301 is not the Alert schema "
                                  "this version reads");
        hw_codec_set_frame_id(&m, 302);
        CHECK_ERR(hw_codec_decode_alert(c, m.data, m.len, &got, errstr,
                                        sizeof(errstr)),
                  HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "schema id 302 is not in the schema "
                                  "registry (HTTP 404: Schema not found)");
        hw_alert_release(&got);
        hw_buf_release(&m);
out:
        hw_codec_destroy(c);
        hw_registry_destroy(r);
}

/* 4. Answers that are not the API's: a schema of another type is no Avro
 * schema (unknown_schema); a 200 without a schema, or one too large to
 * read, means the registry is not usable now (service, not cached: asked
 * again). */
static void test_unusable_answers(void) {
        hw_registry_t *r = registry(NULL, 1);
        hw_codec_t *c = hw_codec_new(errstr, sizeof(errstr));
        hw_event_t hire = full_hire(), ev;
        char *json = NULL, *big;
        size_t big_len = 9 * 1024 * 1024;
        hw_buf_t m;

        if (!HW_CHECK(r && c))
                goto out;
        reset();
        route_schema("", 400, "syntax = \"proto3\";", "PROTOBUF");
        CHECK_ERR(hw_registry_schema(r, 400, &json, errstr, sizeof(errstr)),
                  HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "schema id 400 is a PROTOBUF schema, not "
                                  "Avro");
        HW_CHECK(hw_registry_reachable(r));

        route("/schemas/ids/401", 200, "<html>login</html>");
        CHECK_ERR(hw_registry_schema(r, 401, &json, errstr, sizeof(errstr)),
                  HW_ERR_SERVICE);
        HW_CHECK_CONTAINS(errstr, "answered HTTP 200 without a schema to GET "
                                  "/schemas/ids/401");
        HW_CHECK(!hw_registry_reachable(r));
        HW_CHECK_NULL(json);

        big = malloc(big_len + 1);
        if (big) {
                memset(big, ' ', big_len);
                memcpy(big, "{\"schema\":\"", 11);
                memcpy(big + big_len - 2, "\"}", 2);
                big[big_len] = '\0';
                route("/schemas/ids/402", 200, big);
                free(big);
                CHECK_ERR(hw_registry_schema(r, 402, &json, errstr,
                                             sizeof(errstr)),
                          HW_ERR_SERVICE);
                HW_CHECK_CONTAINS(errstr, "unreachable: answer larger than "
                                          "8 MiB");
        }

        /* Through the codec: not cached, asked again. */
        hw_event_init(&ev);
        HW_CHECK_EQ_INT(hw_codec_use_registry(c, r, 4), HW_OK);
        framed(&hire, HW_SCHEMA_HIRE_V2, 401, &m);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_SERVICE);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_SERVICE);
        HW_CHECK_EQ_INT(seen("GET /schemas/ids/401"), 3);
        HW_CHECK_EQ_INT(hw_codec_cached_schemas(c), 0);
        route_schema("", 401, hw_codec_schema_json(HW_SCHEMA_HIRE_V2), NULL);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_OK);
        HW_CHECK(hw_registry_reachable(r));
        hw_buf_release(&m);
        hw_event_release(&ev);
out:
        hw_codec_destroy(c);
        hw_registry_destroy(r);
}

/* 5. Several URLs: one answering 503 is skipped for the next, and the
 * one that answered is asked first afterwards; when none answers, the
 * error names the last one tried. Credentials refused are said so. */
static void test_url_list(void) {
        char urls[600];
        hw_registry_t *r;
        char *json = NULL;

        reset();
        snprintf(urls, sizeof(urls), "%s/a/ , %s/b//", g_url, g_url);
        r = registry(urls, 1);
        if (!HW_CHECK(r != NULL))
                return;
        route("/a/schemas/ids/7", 503, "{\"message\":\"overloaded\"}");
        route_schema("/b", 7, hw_codec_schema_json(HW_SCHEMA_HIRE_V2), NULL);
        route_schema("/b", 8, hw_codec_schema_json(HW_SCHEMA_OFFER_V1), NULL);
        CHECK_ERR(hw_registry_schema(r, 7, &json, errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK(json && strstr(json, "HireEvent"));
        free(json);
        CHECK_ERR(hw_registry_schema(r, 8, &json, errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK(json && strstr(json, "OfferEvent"));
        free(json);
        json = NULL;
        HW_CHECK_EQ_INT(seen("GET /a/schemas/ids/7"), 1);
        HW_CHECK_EQ_INT(seen("GET /a/schemas/ids/8"), 0);
        HW_CHECK_EQ_INT(seen("GET /b/schemas/ids/8"), 1);
        HW_CHECK_EQ_INT(hw_registry_stats(r).requests, 3);
        HW_CHECK_EQ_INT(hw_registry_stats(r).errors, 1);

        route("/a/schemas/ids/9", 500, "{}");
        route("/b/schemas/ids/9", 429, "{}");
        CHECK_ERR(hw_registry_schema(r, 9, &json, errstr, sizeof(errstr)),
                  HW_ERR_SERVICE);
        HW_CHECK_CONTAINS(errstr, "/a answered HTTP 500 to GET "
                                  "/schemas/ids/9");

        route("/b/schemas/ids/10", 401, "{}");
        route("/a/schemas/ids/10", 403, "{}");
        CHECK_ERR(hw_registry_schema(r, 10, &json, errstr, sizeof(errstr)),
                  HW_ERR_SERVICE);
        HW_CHECK_CONTAINS(errstr, "refused the credentials (HTTP 40");
        HW_CHECK(!hw_registry_reachable(r));
        hw_registry_destroy(r);

        /* At most 8 URLs. */
        {
                hw_registry_conf_t conf = {
                        .url = "http://a,http://b,http://c,http://d,http://e,"
                               "http://f,http://g,http://h,http://i",
                        .timeout_ms = 1000};
                HW_CHECK_NULL(hw_registry_new(&conf, errstr, sizeof(errstr)));
                HW_CHECK_CONTAINS(errstr, "schema.registry.url: more than 8 "
                                          "URLs");
        }
}

/* 6. A writer's id under <topic>-value: without auto-registering, the
 * subject's latest version must be the schema written (compared as
 * parsed Avro), else it is refused naming the subject; registering, a
 * refusal is named with the registry's reason; an answer without an id
 * means the registry is not usable; an id found is asked once. */
static void test_subject_ids(void) {
        const char *v2 = hw_codec_schema_json(HW_SCHEMA_HIRE_V2);
        hw_registry_t *latest = registry(NULL, 0), *reg = registry(NULL, 1);
        json_t *o;
        char *body;
        int32_t id = -1;

        if (!HW_CHECK(latest && reg))
                goto out;
        reset();
        o = json_pack("{s:s,s:i,s:i,s:s}", "subject", "t1-value", "version", 3,
                      "id", 41, "schema",
                      hw_codec_schema_json(HW_SCHEMA_HIRE_V1));
        body = json_dumps(o, JSON_COMPACT);
        route("/subjects/t1-value/versions/latest", 200, body);
        free(body);
        json_decref(o);
        CHECK_ERR(hw_registry_topic_id(latest, "t1", v2, &id, errstr,
                                       sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "subject t1-value: its latest version (id "
                                  "41) is not the schema written here");

        o = json_pack("{s:s,s:i,s:i,s:s}", "subject", "t2-value", "version", 1,
                      "id", 42, "schema", v2);
        body = json_dumps(o, JSON_COMPACT);
        route("/subjects/t2-value/versions/latest", 200, body);
        free(body);
        json_decref(o);
        CHECK_ERR(hw_registry_topic_id(latest, "t2", v2, &id, errstr,
                                       sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(id, 42);
        id = -1;
        CHECK_ERR(hw_registry_topic_id(latest, "t2", v2, &id, errstr,
                                       sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(id, 42);
        HW_CHECK_EQ_INT(seen("GET /subjects/t2-value/versions/latest"), 1);

        route("/subjects/t3-value/versions/latest", 200, "{\"version\":1}");
        CHECK_ERR(hw_registry_topic_id(latest, "t3", v2, &id, errstr,
                                       sizeof(errstr)),
                  HW_ERR_SERVICE);
        HW_CHECK_CONTAINS(errstr, "answered HTTP 200 without an id to GET "
                                  "/subjects/t3-value/versions/latest");

        route("/subjects/t4-value/versions", 422,
              "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
        CHECK_ERR(hw_registry_topic_id(reg, "t4", v2, &id, errstr,
                                       sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "subject t4-value: the schema registry "
                                  "refused the schema (HTTP 422: Invalid "
                                  "schema)");
        HW_CHECK_EQ_INT(seen("POST /subjects/t4-value/versions"), 1);
        route("/subjects/t5-value/versions", 200, "{\"id\":0}");
        CHECK_ERR(hw_registry_topic_id(reg, "t5", v2, &id, errstr,
                                       sizeof(errstr)),
                  HW_ERR_SERVICE);
        HW_CHECK_CONTAINS(errstr, "without an id to POST "
                                  "/subjects/t5-value/versions");
out:
        hw_registry_destroy(latest);
        hw_registry_destroy(reg);
}

/* 7. More answers: 408 is "not now" like 5xx (the next URL is asked);
 * 403 refuses the credentials; an error answer without a message says
 * so; a subject without a version, or an id beyond 32 bits, is refused
 * naming the subject; ids of subjects past the 16 kept are asked again;
 * with a registry, ids 0 and above 2^31-1 are not looked up. */
static void test_more_answers(void) {
        const char *v2 = hw_codec_schema_json(HW_SCHEMA_HIRE_V2);
        hw_registry_t *latest = registry(NULL, 0), *reg = registry(NULL, 1),
                      *two = NULL;
        hw_codec_t *c = hw_codec_new(errstr, sizeof(errstr));
        hw_event_t hire = full_hire(), ev;
        char urls[600], path[128];
        char *json = NULL;
        int32_t id = -1;
        hw_buf_t m;

        hw_event_init(&ev);
        if (!HW_CHECK(latest && reg && c))
                goto out;
        reset();
        snprintf(urls, sizeof(urls), "%s/a,%s/b", g_url, g_url);
        two = registry(urls, 1);
        if (!HW_CHECK(two != NULL))
                goto out;
        route("/a/schemas/ids/11", 408, "{}");
        route_schema("/b", 11, v2, NULL);
        CHECK_ERR(hw_registry_schema(two, 11, &json, errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK(json && strstr(json, "HireEvent"));
        free(json);
        json = NULL;
        HW_CHECK_EQ_INT(seen("GET /a/schemas/ids/11"), 1);

        route("/schemas/ids/12", 403, "{\"message\":\"forbidden\"}");
        CHECK_ERR(hw_registry_schema(reg, 12, &json, errstr, sizeof(errstr)),
                  HW_ERR_SERVICE);
        HW_CHECK_CONTAINS(errstr, "refused the credentials (HTTP 403)");
        HW_CHECK(!hw_registry_reachable(reg));
        route("/schemas/ids/13", 404, "not json");
        CHECK_ERR(hw_registry_schema(reg, 13, &json, errstr, sizeof(errstr)),
                  HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "schema id 13 is not in the schema registry "
                                  "(HTTP 404: no explanation)");
        HW_CHECK(hw_registry_reachable(reg));
        HW_CHECK_NULL(json);

        /* Subjects: none registered, an id beyond 32 bits. */
        route("/subjects/t6-value/versions/latest", 404,
              "{\"error_code\":40401,\"message\":\"Subject not found\"}");
        CHECK_ERR(hw_registry_topic_id(latest, "t6", v2, &id, errstr,
                                       sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "subject t6-value has no version in the "
                                  "schema registry (Subject not found)");
        route("/subjects/t7-value/versions", 404, "{}");
        CHECK_ERR(hw_registry_topic_id(reg, "t7", v2, &id, errstr,
                                       sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "subject t7-value: the schema registry "
                                  "refused the schema (HTTP 404: no "
                                  "explanation)");
        route("/subjects/t8-value/versions", 200, "{\"id\":4294967297}");
        CHECK_ERR(hw_registry_topic_id(reg, "t8", v2, &id, errstr,
                                       sizeof(errstr)),
                  HW_ERR_SERVICE);
        HW_CHECK_CONTAINS(errstr, "without an id to POST");
        HW_CHECK_EQ_INT(id, -1);

        /* 16 subjects are kept; the 17th is asked each time. */
        reset();
        for (int t = 0; t < 17; t++) {
                char topic[32], body[32];
                snprintf(topic, sizeof(topic), "s%d", t);
                snprintf(path, sizeof(path), "/subjects/s%d-value/versions", t);
                snprintf(body, sizeof(body), "{\"id\":%d}", 100 + t);
                route(path, 200, body);
                for (int k = 0; k < 2; k++) {
                        HW_CONTEXT("subject s%d-value, ask %d", t, k);
                        if (CHECK_ERR(hw_registry_topic_id(reg, topic, v2, &id,
                                                           errstr,
                                                           sizeof(errstr)),
                                      HW_OK))
                                HW_CHECK_EQ_INT(id, 100 + t);
                }
                if (t == 7) {
                        /* The routes table is full: start again. */
                        HW_CHECK_EQ_INT(
                                seen("POST /subjects/s0-value/versions"), 1);
                        HW_CHECK_EQ_INT(
                                seen("POST /subjects/s7-value/versions"), 1);
                        reset();
                }
        }
        HW_CONTEXT("%s", "");
        HW_CHECK_EQ_INT(seen("POST /subjects/s16-value/versions"), 2);

        /* Through the codec: ids the registry cannot have. */
        HW_CHECK_EQ_INT(hw_codec_use_registry(c, reg, 4), HW_OK);
        reset();
        framed(&hire, HW_SCHEMA_HIRE_V2, 0, &m);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "schema id 0 is not in the registry");
        hw_codec_set_frame_id(&m, INT32_MIN);
        CHECK_ERR(decode_at(c, &m, NOW, &ev), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "schema id 2147483648 is not in the "
                                  "registry");
        pthread_mutex_lock(&srv.lock);
        HW_CHECK_EQ_INT(srv.n_seen, 0);
        pthread_mutex_unlock(&srv.lock);
        HW_CHECK_EQ_INT(hw_codec_cached_schemas(c), 0);
        hw_buf_release(&m);
out:
        hw_event_release(&ev);
        hw_codec_destroy(c);
        hw_registry_destroy(two);
        hw_registry_destroy(latest);
        hw_registry_destroy(reg);
}

static void run(void) {
        if (!HW_CHECK_MSG(server_start() == 0, "cannot start the server"))
                return;
        snprintf(g_url, sizeof(g_url), "http://127.0.0.1:%d", srv.port);
        HW_RUN(test_cache_bound);
        HW_RUN(test_refused_writers);
        HW_RUN(test_alert_schemas);
        HW_RUN(test_unusable_answers);
        HW_RUN(test_url_list);
        HW_RUN(test_subject_ids);
        HW_RUN(test_more_answers);
        MHD_stop_daemon(srv.d);
        reset();
}

int main(void) {
        return fixtures_main(run);
}
