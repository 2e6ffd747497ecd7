/*
 * Unit tests of the Schema Registry client and of the codec's registry
 * path that need no registry: settings are checked at creation, a registry
 * that cannot be reached is HW_ERR_SERVICE (asked again each time, never
 * remembered as a missing schema), no password shows in an error, and a
 * codec with a registry never falls back to the local ids. The answers of
 * a live registry are tested by integration.schema_registry.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw_codec.h"
#include "hw_config.h"
#include "hw_registry.h"
#include "hw_test.h"

static char errstr[1024];

static void test_new_checks_urls(void) {
        static const char *bad[] = {"", " , ", "ftp://x", "localhost:8081",
                                    "http://ok:8081,file:///etc/passwd"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                hw_registry_conf_t conf = {.url = bad[i], .timeout_ms = 1000};
                HW_CONTEXT("url \"%s\"", bad[i]);
                HW_CHECK_NULL(hw_registry_new(&conf, errstr, sizeof(errstr)));
                HW_CHECK_CONTAINS(errstr, "schema.registry.url: ");
        }
        {
                hw_registry_conf_t conf = {
                        .url = "https://a:8081/, http://b:8081",
                        .timeout_ms = 1000};
                hw_registry_t *r =
                        hw_registry_new(&conf, errstr, sizeof(errstr));
                HW_CHECK(r != NULL);
                hw_registry_destroy(r);
        }
        hw_registry_destroy(NULL);
}

static void test_unreachable_is_service_and_masked(void) {
        char url[128];
        int port = hw_test_closed_port();
        hw_registry_conf_t conf = {.url = url, .timeout_ms = 2000};
        hw_registry_t *r;
        hw_registry_stats_t st;
        char *json = (char *)"x";
        int32_t id = -1;

        snprintf(url, sizeof(url), "http://hw:Sup3rSecret@127.0.0.1:%d", port);
        r = hw_registry_new(&conf, errstr, sizeof(errstr));
        if (!HW_CHECK(r != NULL))
                return;
        HW_CHECK(hw_registry_reachable(r));
        HW_CHECK_EQ_INT(hw_registry_schema(r, 7, &json, errstr, sizeof(errstr)),
                        HW_ERR_SERVICE);
        HW_CHECK_NULL(json);
        HW_CHECK_CONTAINS(errstr, "schema registry http://hw:***@127.0.0.1:");
        HW_CHECK_CONTAINS(errstr, "unreachable");
        HW_CHECK_MSG(!strstr(errstr, "Sup3rSecret"), "password in \"%s\"",
                     errstr);
        HW_CHECK(!hw_registry_reachable(r));
        HW_CHECK_EQ_INT(hw_registry_topic_id(r, "talent.hires",
                                             hw_codec_schema_json(2), &id,
                                             errstr, sizeof(errstr)),
                        HW_ERR_SERVICE);
        HW_CHECK_EQ_INT(id, -1);
        st = hw_registry_stats(r);
        HW_CHECK_EQ_INT((int)st.requests, 2);
        HW_CHECK_EQ_INT((int)st.errors, 2);
        hw_registry_destroy(r);
}

/* A framed v2 hire, encoded with the local registry. */
static int framed_hire(hw_codec_t *codec, hw_buf_t *out) {
        hw_event_t ev;
        int ok;

        hw_event_init(&ev);
        hw_event_reset(&ev, HW_EVENT_HIRE);
        ev.event_id = "e-1";
        ev.person_id = "p-1";
        ev.from_org = "OpenAI";
        ev.to_org = "Meta";
        ev.from_country = "US";
        ev.to_country = "US";
        ev.occurred_at = 1750000000000;
        ok = hw_codec_encode(codec, &ev, 0, out, errstr, sizeof(errstr)) ==
             HW_OK;
        hw_event_reset(&ev, HW_EVENT_NONE);
        hw_event_release(&ev);
        return ok;
}

static void test_codec_with_unreachable_registry(void) {
        char url[64];
        hw_registry_conf_t conf = {.url = url, .timeout_ms = 2000};
        hw_codec_t *codec = hw_codec_new(errstr, sizeof(errstr));
        hw_registry_t *r;
        hw_event_t ev;
        hw_buf_t msg;

        snprintf(url, sizeof(url), "http://127.0.0.1:%d",
                 hw_test_closed_port());
        r = hw_registry_new(&conf, errstr, sizeof(errstr));
        hw_buf_init(&msg);
        hw_event_init(&ev);
        if (!HW_CHECK(codec && r) || !HW_CHECK(framed_hire(codec, &msg)))
                goto cleanup;
        /* Local id 2 decodes without a registry... */
        HW_CHECK_EQ_INT(hw_codec_decode(codec, msg.data, msg.len, 1760000000000,
                                        &ev, errstr, sizeof(errstr)),
                        HW_OK);
        /* ...and with one, id 2 is the registry's: asked each time, never
         * remembered as missing, never the local schema. */
        HW_CHECK_EQ_INT(hw_codec_use_registry(codec, r, 4), HW_OK);
        for (int i = 0; i < 2; i++)
                HW_CHECK_EQ_INT(hw_codec_decode(codec, msg.data, msg.len,
                                                1760000000000, &ev, errstr,
                                                sizeof(errstr)),
                                HW_ERR_SERVICE);
        HW_CHECK_CONTAINS(errstr, "unreachable");
        HW_CHECK_EQ_INT((int)hw_registry_stats(r).requests, 2);
        HW_CHECK_EQ_INT((int)hw_codec_cached_schemas(codec), 0);
        /* A frame id rewrite keeps the body. */
        hw_codec_set_frame_id(&msg, 0x01020304);
        HW_CHECK_MEM(msg.data, "\0\1\2\3\4", 5);
cleanup:
        hw_event_release(&ev);
        hw_buf_release(&msg);
        hw_codec_destroy(codec);
        hw_registry_destroy(r);
}

static void test_config_keys(void) {
        hw_config_t c;
        hw_registry_conf_t rc;

        if (!HW_CHECK_EQ_INT(hw_config_init(&c), HW_OK))
                return;
        HW_CHECK_NULL(c.registry_url);
        HW_CHECK_EQ_INT(c.registry_timeout_ms, 5000);
        HW_CHECK_EQ_INT(c.registry_cache_max, 1000);
        HW_CHECK_EQ_INT(c.registry_outage_dlq, 0);
        HW_CHECK_EQ_INT(c.registry_auto_register, 1);

        HW_CHECK_EQ_INT(hw_config_set(&c, "schema.registry.url",
                                      "ftp://u:Pw0rd9@h", errstr,
                                      sizeof(errstr)),
                        HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "schema.registry.url: expected http://");
        HW_CHECK_MSG(!strstr(errstr, "Pw0rd9"), "secret in \"%s\"", errstr);
        HW_CHECK_EQ_INT(hw_config_set_pair(&c, "--set", "",
                                           "schema.registry.url=https://a:1,"
                                           "http://u:Pw0rd9@b:2",
                                           errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(hw_config_set(&c, "schema.registry.unavailable", "drop",
                                      errstr, sizeof(errstr)),
                        HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "is not one of retry, dlq");
        HW_CHECK_EQ_INT(hw_config_set(&c, "schema.registry.unavailable", "dlq",
                                      errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(c.registry_outage_dlq, 1);
        HW_CHECK_EQ_INT(hw_config_set(&c, "schema.registry.cache.max", "0",
                                      errstr, sizeof(errstr)),
                        HW_ERR_ARG);
        HW_CHECK_EQ_INT(hw_config_set(&c,
                                      "schema.registry.basic.auth.user.info",
                                      "hw:Pw0rd9", errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(hw_config_set_pair(&c, "-X", "kafka.", "=Pw0rd9",
                                           errstr, sizeof(errstr)),
                        HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "-X =...: expected key=value");
        HW_CHECK_EQ_INT(hw_config_validate(&c, errstr, sizeof(errstr)), HW_OK);
        rc = hw_config_registry(&c);
        HW_CHECK_STR(rc.url, "https://a:1,http://u:Pw0rd9@b:2");
        HW_CHECK_STR(rc.user_info, "hw:Pw0rd9");
        HW_CHECK_EQ_INT(rc.timeout_ms, 5000);
        /* An empty URL list turns the registry off. */
        HW_CHECK_EQ_INT(hw_config_set(&c, "schema.registry.url", "", errstr,
                                      sizeof(errstr)),
                        HW_OK);
        HW_CHECK_NULL(c.registry_url);
        hw_config_release(&c);
}

int main(void) {
        HW_RUN(test_new_checks_urls);
        HW_RUN(test_unreachable_is_service_and_masked);
        HW_RUN(test_codec_with_unreachable_registry);
        HW_RUN(test_config_keys);
        return hw_test_summary();
}
