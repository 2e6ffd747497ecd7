/*
 * Confluent Schema Registry client (libcurl), for `schema.registry.url`.
 *
 * Readers fetch writer schemas by id (GET /schemas/ids/{id}); writers find
 * the id of the schema they write under a subject, registering it
 * (POST /subjects/{subject}/versions) or taking the subject's latest
 * version (GET /subjects/{subject}/versions/latest), which must then be the
 * same schema. Several base URLs may be given, comma-separated: a request
 * that cannot reach one tries the next. Basic auth comes from the URL's
 * user info or `basic.auth.user.info`; HTTPS takes a CA file and a client
 * certificate and key.
 *
 * A registry handle keeps one HTTP connection alive and is not
 * thread-safe: use one per thread. Errors never show a password.
 */
#ifndef HW_REGISTRY_H
#define HW_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "hw_err.h"

typedef struct hw_registry_s hw_registry_t;

typedef struct hw_registry_conf_s {
        const char *url;           /* base URL(s), comma-separated */
        const char *user_info;     /* "user:password", or NULL */
        const char *ca_location;   /* CA bundle for HTTPS, or NULL */
        const char *cert_location; /* client certificate (PEM), or NULL */
        const char *key_location;  /* its private key (PEM), or NULL */
        const char *key_password;  /* the key's passphrase, or NULL */
        int timeout_ms;            /* per request, connection included */
        int auto_register;         /* writers register their schema (1),
                                     * or take the latest version (0) */
} hw_registry_conf_t;

/* What the registry handle has done, for metrics. */
typedef struct hw_registry_stats_s {
        uint64_t requests; /* HTTP requests sent */
        uint64_t errors;   /* of which unreachable or failed */
} hw_registry_stats_t;

/*
 * Creates a handle for conf (copied). Returns NULL with errstr naming the
 * bad setting (an empty or non-http(s) URL) or an out-of-memory condition.
 * Nothing is sent yet.
 */
hw_registry_t *hw_registry_new(const hw_registry_conf_t *conf, char *errstr,
                               size_t errstr_size);

/* Destroys the handle; accepts NULL. */
void hw_registry_destroy(hw_registry_t *r);

/*
 * GET /schemas/ids/{id}: the writer schema of id, as a malloc'ed JSON text
 * in *json (the caller frees it). Returns HW_ERR_UNKNOWN_SCHEMA when the
 * registry says the id does not exist or the schema is not Avro, and
 * HW_ERR_SERVICE when no registry answered usefully (unreachable, timed
 * out, 5xx, refused credentials, an answer that is not the API's JSON): a
 * caller retries those. errstr names the URL (without password) and what
 * went wrong.
 */
hw_err_t hw_registry_schema(hw_registry_t *r, int32_t id, char **json,
                            char *errstr, size_t errstr_size);

/*
 * The id of schema_json for the values of topic, under the TopicNameStrategy
 * subject <topic>-value. With auto_register, registers it (a schema the
 * subject holds already keeps its id); without, takes the subject's latest
 * version, which must be the same schema (compared as parsed Avro).
 * Answers are cached per subject and schema text, so a writer asks once. Returns HW_ERR_SERVICE as for hw_registry_schema, and
 * HW_ERR_ARG when the registry refuses the schema (incompatible, invalid),
 * the subject has no version, or its latest version is another schema.
 */
hw_err_t hw_registry_topic_id(hw_registry_t *r, const char *topic,
                              const char *schema_json, int32_t *id,
                              char *errstr, size_t errstr_size);

/* Whether the last request reached a registry that answered (a 404 counts
 * as an answer). True before the first request. */
int hw_registry_reachable(const hw_registry_t *r);

/* Counts of requests and failures since the handle was created. */
hw_registry_stats_t hw_registry_stats(const hw_registry_t *r);

#endif
