/*
 * Unit tests of the names of the Redis keys (processors/hw_keys.h): each
 * writer's output against the names docs/redis-keys.md gives (with the
 * default prefix hw:), and what a buffer too small gets.
 */
#include <stdio.h>
#include <string.h>

#include "hw_keys.h"
#include "hw_test.h"

#define P "hw:"

/* Checks that a writer returned the length of want and wrote want. */
#define CHECK_KEY(len, buf, want)                                              \
        do {                                                                   \
                HW_CHECK_EQ_INT((len), strlen(want));                          \
                HW_CHECK_STR((buf), (want));                                   \
        } while (0)

static void test_fixed(void) {
        static const struct {
                const char *name, *key;
        } fixed[] = {
                {HW_KEY_WATERMARK, "hw:watermark"},
                {HW_KEY_EPOCH, "hw:epoch"},
                {HW_KEY_STEPS, "hw:steps"},
                {HW_KEY_STEPS_AT, "hw:steps:at"},
                {HW_KEY_TURN, "hw:turn"},
                {HW_KEY_LAYOUT, "hw:layout"},
                {HW_KEY_LABS, "hw:labs"},
                {HW_KEY_RAID, "hw:raid"},
                {HW_KEY_B_DAYS, "hw:b:days"},
                {HW_KEY_B_GEN, "hw:b:gen"},
                {HW_KEY_SEEN_DAYS, "hw:seen:days"},
                {HW_KEY_ALERTS, "hw:alerts"},
                {HW_KEY_ALERT_IDS, "hw:alert:ids"},
                {HW_KEY_ALERT_DRAIN, "hw:alert:drain"},
                {HW_KEY_ALERT_RAID, "hw:alert:raid"},
                {HW_KEY_ALERTS_RELAYED, "hw:alerts:relayed"},
                {HW_KEY_ALERTS_WEBHOOK, "hw:alerts:webhook"},
        };
        char buf[64];

        for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++) {
                HW_CONTEXT("%s", fixed[i].key);
                CHECK_KEY(hw_keys_name(buf, sizeof(buf), P, fixed[i].name), buf,
                          fixed[i].key);
        }
        HW_CONTEXT("%s", "");
        HW_CHECK_EQ_INT(HW_KEY_LEN(HW_KEY_SEEN_DAYS), 9);
        HW_CHECK_STR(HW_KEY_PREFIX_DEFAULT, "hw:");
        /* Without a prefix: the name alone. */
        CHECK_KEY(hw_keys_name(buf, sizeof(buf), "", HW_KEY_B_GEN), buf,
                  "b:gen");
}

static void test_lab_org(void) {
        const char *slug = "meta-superintelligence-labs";
        char buf[128];

        CHECK_KEY(hw_keys_lab(buf, sizeof(buf), P, slug, HW_KEY_LAB), buf,
                  "hw:lab:meta-superintelligence-labs");
        CHECK_KEY(hw_keys_lab(buf, sizeof(buf), P, slug, HW_KEY_LAB_ORIGIN),
                  buf, "hw:lab:meta-superintelligence-labs:origin");
        CHECK_KEY(
                hw_keys_lab(buf, sizeof(buf), P, slug, HW_KEY_LAB_NATIONALITY),
                buf, "hw:lab:meta-superintelligence-labs:nationality");
        CHECK_KEY(hw_keys_lab(buf, sizeof(buf), P, slug, HW_KEY_LAB_ALMA_MATER),
                  buf, "hw:lab:meta-superintelligence-labs:alma_mater");
        CHECK_KEY(hw_keys_lab(buf, sizeof(buf), P, slug, HW_KEY_LAB_TIER), buf,
                  "hw:lab:meta-superintelligence-labs:tier");
        /* A family: the bucket suffix X, without a prefix. */
        CHECK_KEY(hw_keys_lab(buf, sizeof(buf), "", slug, HW_KEY_LAB_HIRES),
                  buf, "lab:meta-superintelligence-labs:hires");
        CHECK_KEY(hw_keys_org(buf, sizeof(buf), P, "apple", HW_KEY_ORG), buf,
                  "hw:org:apple");
        CHECK_KEY(hw_keys_org(buf, sizeof(buf), "", "apple", HW_KEY_ORG_LOSSES),
                  buf, "org:apple:losses");
        CHECK_KEY(hw_keys_org(buf, sizeof(buf), "", "meta", HW_KEY_ORG_OFFERS),
                  buf, "org:meta:offers");
}

static void test_windows(void) {
        char buf[128];

        CHECK_KEY(hw_keys_window_name(buf, sizeof(buf), 7), buf, "7d");
        CHECK_KEY(hw_keys_window_name(buf, sizeof(buf), 365), buf, "365d");
        CHECK_KEY(hw_keys_window_name(buf, sizeof(buf), 0), buf, "all");
        HW_CHECK_STR(HW_KEY_WINDOW_ALL, "all");
        /* The windowed keys of every family of docs/redis-keys.md. */
        CHECK_KEY(hw_keys_window(buf, sizeof(buf), P,
                                 "lab:meta-superintelligence-labs:hires",
                                 "30d"),
                  buf, "hw:lab:meta-superintelligence-labs:hires:30d");
        CHECK_KEY(
                hw_keys_window(buf, sizeof(buf), P, "org:apple:losses", "30d"),
                buf, "hw:org:apple:losses:30d");
        CHECK_KEY(
                hw_keys_window(buf, sizeof(buf), P, "org:meta:offers", "365d"),
                buf, "hw:org:meta:offers:365d");
        CHECK_KEY(hw_keys_window(buf, sizeof(buf), P, HW_KEY_FLOW_IN, "7d"),
                  buf, "hw:flow:7d:in");
        CHECK_KEY(hw_keys_window(buf, sizeof(buf), P, HW_KEY_FLOW_OUT, "all"),
                  buf, "hw:flow:all:out");
        CHECK_KEY(hw_keys_window(buf, sizeof(buf), P, HW_KEY_FLOW_PAIR, "90d"),
                  buf, "hw:flow:90d:pair");
        HW_CHECK_STR(HW_KEY_FLOW_IN, "flow:in");
        HW_CHECK_STR(HW_KEY_FLOW_OUT, "flow:out");
        HW_CHECK_STR(HW_KEY_FLOW_PAIR, "flow:pair");
        /* The flow ZSETs. */
        CHECK_KEY(hw_keys_flow_net(buf, sizeof(buf), P, "365d"), buf,
                  "hw:flow:365d:net");
        CHECK_KEY(hw_keys_flow_index(buf, sizeof(buf), P, "365d", NULL), buf,
                  "hw:flow:365d:index");
        CHECK_KEY(hw_keys_flow_index(buf, sizeof(buf), P, "365d", "oecd"), buf,
                  "hw:flow:365d:index:oecd");
        /* A SCAN pattern: "*" for the window. */
        CHECK_KEY(hw_keys_flow_index(buf, sizeof(buf), "", "*", NULL), buf,
                  "flow:*:index");
}

static void test_hires_lab(void) {
        size_t len = 0;
        const char *lab = hw_keys_hires_lab("lab:openai:hires", &len);

        if (HW_CHECK(lab != NULL)) {
                HW_CHECK_EQ_INT(len, 6);
                HW_CHECK(!memcmp(lab, "openai", 6));
        }
        HW_CHECK(hw_keys_hires_lab("lab::hires", &len) == NULL);
        HW_CHECK(hw_keys_hires_lab("org:openai:losses", &len) == NULL);
        HW_CHECK(hw_keys_hires_lab("lab:openai", &len) == NULL);
        HW_CHECK(hw_keys_hires_lab(HW_KEY_FLOW_IN, &len) == NULL);
}

static void test_bookkeeping(void) {
        char buf[128];

        CHECK_KEY(hw_keys_offset(buf, sizeof(buf), P, "hirewire",
                                 "talent.hires", 3),
                  buf, "hw:offset:hirewire:talent.hires:3");
        CHECK_KEY(hw_keys_ends(buf, sizeof(buf), P, "hirewire"), buf,
                  "hw:ends:hirewire");
        HW_CHECK(!strncmp(buf + 3, HW_KEY_ENDS_HEAD,
                          HW_KEY_LEN(HW_KEY_ENDS_HEAD)));
        HW_CHECK_STR(HW_KEY_OFFSET_HEAD, "offset:");
        CHECK_KEY(hw_keys_persons(buf, sizeof(buf), P, 0), buf, "hw:persons:0");
        CHECK_KEY(hw_keys_persons(buf, sizeof(buf), P, 255), buf,
                  "hw:persons:255");
        CHECK_KEY(hw_keys_seen(buf, sizeof(buf), P, "20250616"), buf,
                  "hw:seen:20250616");
        CHECK_KEY(hw_keys_log(buf, sizeof(buf), P, "20250616"), buf,
                  "hw:b:20250616");
        CHECK_KEY(hw_keys_replay_prefix(buf, sizeof(buf), P), buf,
                  "replay:hw:");
        CHECK_KEY(hw_keys_replay_lock(buf, sizeof(buf), P), buf,
                  "replay:lock:hw:");
}

static void test_kinds(void) {
        HW_CHECK(hw_keys_is_log("b:20250616"));
        HW_CHECK(!hw_keys_is_log("b:days"));
        HW_CHECK(!hw_keys_is_log("b:gen"));
        HW_CHECK(!hw_keys_is_log("b:2025061"));
        HW_CHECK(!hw_keys_is_log("b:202506160"));
        HW_CHECK(!hw_keys_is_log("seen:20250616"));
        HW_CHECK(hw_keys_is_alert(HW_KEY_ALERTS));
        HW_CHECK(hw_keys_is_alert(HW_KEY_ALERT_IDS));
        HW_CHECK(hw_keys_is_alert(HW_KEY_ALERT_DRAIN));
        HW_CHECK(hw_keys_is_alert(HW_KEY_ALERT_RAID));
        HW_CHECK(hw_keys_is_alert(HW_KEY_ALERTS_RELAYED));
        HW_CHECK(hw_keys_is_alert(HW_KEY_ALERTS_WEBHOOK));
        HW_CHECK(!hw_keys_is_alert(HW_KEY_RAID));
        HW_CHECK(!hw_keys_is_alert("alertsx"));
        HW_CHECK(!hw_keys_is_alert(HW_KEY_LABS));
}

/* A buffer exactly one byte short gets 0 and ""; one that fits the name
 * and its NUL gets it. */
static void test_too_small(void) {
        const char *want = "hw:lab:openai:nationality";
        size_t n = strlen(want);
        char buf[64];

        memset(buf, 'x', sizeof(buf));
        HW_CHECK_EQ_INT(
                hw_keys_lab(buf, n, P, "openai", HW_KEY_LAB_NATIONALITY), 0);
        HW_CHECK_STR(buf, "");
        CHECK_KEY(hw_keys_lab(buf, n + 1, P, "openai", HW_KEY_LAB_NATIONALITY),
                  buf, want);
        /* Every writer, with a buffer of 4 bytes. */
        memset(buf, 'x', sizeof(buf));
        HW_CHECK_EQ_INT(hw_keys_name(buf, 4, P, HW_KEY_WATERMARK), 0);
        HW_CHECK_STR(buf, "");
        HW_CHECK_EQ_INT(hw_keys_org(buf, 4, P, "apple", HW_KEY_ORG), 0);
        HW_CHECK_EQ_INT(hw_keys_window(buf, 4, "", HW_KEY_FLOW_IN, "7d"), 0);
        HW_CHECK_EQ_INT(hw_keys_window(buf, 4, "", "org:a:offers", "7d"), 0);
        HW_CHECK_EQ_INT(hw_keys_window_name(buf, 4, 3650), 0);
        HW_CHECK_EQ_INT(hw_keys_window_name(buf, 3, 0), 0);
        HW_CHECK_EQ_INT(hw_keys_flow_net(buf, 4, "", "7d"), 0);
        HW_CHECK_EQ_INT(hw_keys_flow_index(buf, 4, "", "7d", "oecd"), 0);
        HW_CHECK_EQ_INT(hw_keys_offset(buf, 4, P, "g", "t", 0), 0);
        HW_CHECK_EQ_INT(hw_keys_ends(buf, 4, P, "g"), 0);
        HW_CHECK_EQ_INT(hw_keys_persons(buf, 4, P, 7), 0);
        HW_CHECK_EQ_INT(hw_keys_seen(buf, 4, P, "20250616"), 0);
        HW_CHECK_EQ_INT(hw_keys_log(buf, 4, P, "20250616"), 0);
        HW_CHECK_EQ_INT(hw_keys_replay_prefix(buf, 4, P), 0);
        HW_CHECK_EQ_INT(hw_keys_replay_lock(buf, 4, P), 0);
        HW_CHECK_STR(buf, "");
        /* No room at all: nothing written. */
        buf[0] = 'x';
        HW_CHECK_EQ_INT(hw_keys_name(buf, 0, "", ""), 0);
        HW_CHECK_EQ_INT(buf[0], 'x');
        /* The empty name fits one byte. */
        CHECK_KEY(hw_keys_name(buf, 1, "", ""), buf, "");
}

int main(void) {
        HW_RUN(test_fixed);
        HW_RUN(test_lab_org);
        HW_RUN(test_windows);
        HW_RUN(test_hires_lab);
        HW_RUN(test_bookkeeping);
        HW_RUN(test_kinds);
        HW_RUN(test_too_small);
        return hw_test_summary();
}
