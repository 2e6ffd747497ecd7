/*
 * libFuzzer target: the answers of a Confluent Schema Registry, through
 * the registry client (wire/hw_registry.c) and what takes them in. A small
 * HTTP server in the process (libmicrohttpd on a loopback port) answers
 * every request of the client with the input:
 *
 *   byte 0       bits 0-1: the request; bits 2-5: the HTTP status
 *                (statuses[] below)
 *   then         the body of the answer, up to the first NUL byte
 *   after it     for the consumer's request, the Avro body of the message
 *
 * The requests:
 *   0  the consumer's: a framed message with a fresh schema id through a
 *      codec that reads the registry's schemas (hw_codec_decode), so the
 *      answer's schema is parsed, checked to be a hirewire event, and the
 *      message walked and validated with it
 *   1  a writer registering its schema (hw_registry_topic_id, POST)
 *   2  a writer taking the subject's latest version (GET), compared with
 *      its own schema
 *   3  the writer schema of an id alone (hw_registry_schema)
 *
 * Whatever the answer, the client must give one of the errors its header
 * promises, never a crash or a leak, and no message may show the URL's
 * password (unless the answer quoted holds it). Fresh ids
 * and subjects each time keep the caches from answering instead of the
 * server.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_codec.h"
#include "hw_event.h"
#include "hw_registry.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01: a fixed clock */
#define PASSWORD "pw-7Kq2ZxV9rT4mB"   /* must never show in a message */
#define CONTENT_TYPE "application/vnd.schemaregistry.v1+json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned statuses[16] = {200, 200, 200, 201, 204, 301, 400, 401,
                                      403, 404, 408, 409, 422, 429, 500, 503};

/* The answer the server gives, set before each request. A copy of the
 * input's: a request the client gave up on (its timeout, on a loaded
 * machine) can still be answered after the input is gone. */
static pthread_mutex_t answer_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *answer_body;
static size_t answer_len, answer_cap;
static unsigned answer_status;

_Noreturn static void fail(const char *what, const char *errstr) {
        fprintf(stderr, "fuzz_registry: %s: %s\n", what, errstr);
        abort();
}

/* Answers every request, once its body (a POST's) has arrived, with the
 * current answer. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
        static int started;
        struct MHD_Response *r;
        enum MHD_Result ret;
        unsigned status;

        (void)cls;
        (void)url;
        (void)method;
        (void)version;
        (void)upload;
        if (!*con_cls) { /* the headers: the body, if any, follows */
                *con_cls = &started;
                return MHD_YES;
        }
        if (*upload_size) {
                *upload_size = 0;
                return MHD_YES;
        }
        pthread_mutex_lock(&answer_lock);
        r = MHD_create_response_from_buffer(answer_len, (void *)answer_body,
                                            MHD_RESPMEM_MUST_COPY);
        status = answer_status;
        pthread_mutex_unlock(&answer_lock);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, "Content-Type", CONTENT_TYPE);
        ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

/* Starts the server on a free loopback port; its base URL, with a user
 * and password, into url. */
static void start_server(char *url, size_t size) {
        struct sockaddr_in sin = {.sin_family = AF_INET};
        const union MHD_DaemonInfo *info;
        struct MHD_Daemon *d;

        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                             on_request, NULL, MHD_OPTION_SOCK_ADDR,
                             (struct sockaddr *)&sin, MHD_OPTION_END);
        info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
        if (!info)
                fail("start", "cannot start the HTTP server");
        snprintf(url, size, "http://hw:" PASSWORD "@127.0.0.1:%u",
                 (unsigned)info->port);
}

static hw_registry_t *new_registry(const char *url, int auto_register) {
        hw_registry_conf_t conf = {
                .url = url, .timeout_ms = 5000, .auto_register = auto_register};
        char errstr[512];
        hw_registry_t *r = hw_registry_new(&conf, errstr, sizeof(errstr));

        if (!r)
                fail("hw_registry_new", errstr);
        return r;
}

/* Whether an HTTP status is one the client must take as no answer (the
 * registry down, overloaded or refusing the credentials). */
static int no_answer(unsigned status) {
        return status >= 500 || status == 408 || status == 429 ||
               status == 401 || status == 403;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static hw_registry_t *readers, *registering, *latest;
        static hw_codec_t *codec;
        static uint32_t serial;
        char errstr[1024], topic[32];
        const uint8_t *nul;
        unsigned status;
        int32_t id = -1;
        hw_err_t err;

        if (!codec) {
                char url[128];
                start_server(url, sizeof(url));
                readers = new_registry(url, 1);
                registering = new_registry(url, 1);
                latest = new_registry(url, 0);
                if (!(codec = hw_codec_new(errstr, sizeof(errstr))))
                        fail("hw_codec_new", errstr);
                if (hw_codec_use_registry(codec, readers, 4))
                        fail("hw_codec_use_registry", "out of memory");
        }
        if (!size)
                return 0;
        status = statuses[(data[0] >> 2) & 15];
        nul = memchr(data + 1, '\0', size - 1);
        pthread_mutex_lock(&answer_lock);
        answer_len = nul ? (size_t)(nul - (data + 1)) : size - 1;
        if (answer_len > answer_cap) {
                uint8_t *grown = realloc(answer_body, answer_len);
                if (!grown)
                        fail("answer", "out of memory");
                answer_body = grown;
                answer_cap = answer_len;
        }
        if (answer_len)
                memcpy(answer_body, data + 1, answer_len);
        answer_status = status;
        pthread_mutex_unlock(&answer_lock);
        serial = serial % INT32_MAX + 1;
        snprintf(topic, sizeof(topic), "fuzz.%" PRIu32, serial);
        errstr[0] = '\0';

        switch (data[0] & 3) {
        case 0: {
                static hw_event_t ev;
                static int ev_ready;
                size_t body = nul ? size - (size_t)(nul + 1 - data) : 0;
                unsigned char *msg = malloc(5 + body);

                if (!msg)
                        return 0;
                if (!ev_ready) {
                        hw_event_init(&ev);
                        ev_ready = 1;
                }
                msg[0] = 0;
                msg[1] = (unsigned char)(serial >> 24);
                msg[2] = (unsigned char)(serial >> 16);
                msg[3] = (unsigned char)(serial >> 8);
                msg[4] = (unsigned char)serial;
                if (body)
                        memcpy(msg + 5, nul + 1, body);
                err = hw_codec_decode(codec, msg, 5 + body, NOW_MS, &ev, errstr,
                                      sizeof(errstr));
                free(msg);
                if (err != HW_OK && err != HW_ERR_UNKNOWN_SCHEMA &&
                    err != HW_ERR_DECODE && err != HW_ERR_INVALID_FIELD &&
                    err != HW_ERR_TOO_LARGE && err != HW_ERR_SERVICE)
                        fail("hw_codec_decode: not a rejection class", errstr);
                /* Too large a message is refused before the registry
                 * is asked. */
                if (no_answer(status) && err != HW_ERR_SERVICE &&
                    err != HW_ERR_TOO_LARGE)
                        fail("hw_codec_decode: a failed registry is not "
                             "HW_ERR_SERVICE",
                             errstr);
                break;
        }
        case 1:
        case 2:
                err = hw_registry_topic_id(
                        (data[0] & 3) == 1 ? registering : latest, topic,
                        hw_codec_schema_json(HW_SCHEMA_HIRE_V2), &id, errstr,
                        sizeof(errstr));
                if (err != HW_OK && err != HW_ERR_SERVICE &&
                    err != HW_ERR_ARG && err != HW_ERR_NOMEM)
                        fail("hw_registry_topic_id: an error it does not "
                             "give",
                             errstr);
                if (err == HW_OK && (id <= 0 || status != 200))
                        fail("hw_registry_topic_id: an id from no answer",
                             errstr);
                if (no_answer(status) && err != HW_ERR_SERVICE)
                        fail("hw_registry_topic_id: a failed registry is "
                             "not HW_ERR_SERVICE",
                             errstr);
                break;
        default: {
                char *json = NULL;
                err = hw_registry_schema(registering, (int32_t)serial, &json,
                                         errstr, sizeof(errstr));
                if (err != HW_OK && err != HW_ERR_UNKNOWN_SCHEMA &&
                    err != HW_ERR_SERVICE && err != HW_ERR_NOMEM)
                        fail("hw_registry_schema: an error it does not give",
                             errstr);
                if ((err == HW_OK) != (json != NULL))
                        fail("hw_registry_schema: a schema with an error, "
                             "or none without",
                             errstr);
                free(json);
                break;
        }
        }
        /* The password shows only where the answer itself holds it. */
        if (strstr(errstr, PASSWORD) &&
            !memmem(data, size, PASSWORD, strlen(PASSWORD)))
                fail("the password shows", errstr);
        return 0;
}
