#include "hw_alert.h"

#include <string.h>

static const char *const severity_names[HW_SEVERITY_COUNT] = {"INFO", "WARN",
                                                              "CRITICAL"};

void hw_alert_init(hw_alert_t *alert) {
        memset(alert, 0, sizeof(*alert));
        hw_arena_init(&alert->arena);
}

void hw_alert_reset(hw_alert_t *alert) {
        hw_arena_t arena = alert->arena;
        hw_arena_reset(&arena);
        memset(alert, 0, sizeof(*alert));
        alert->arena = arena;
}

void hw_alert_release(hw_alert_t *alert) {
        hw_arena_release(&alert->arena);
        memset(alert, 0, sizeof(*alert));
}

const char *hw_alert_strdup(hw_alert_t *alert, const char *s, size_t len) {
        return hw_arena_strndup(&alert->arena, s, len);
}

int hw_alert_alloc_event_ids(hw_alert_t *alert, size_t n) {
        alert->event_ids =
                hw_arena_alloc(&alert->arena, n ? n * sizeof(char *) : 1);
        if (!alert->event_ids)
                return -1;
        memset(alert->event_ids, 0, n * sizeof(char *));
        alert->n_event_ids = n;
        return 0;
}

int hw_alert_alloc_attributes(hw_alert_t *alert, size_t n) {
        alert->attributes = hw_arena_alloc(&alert->arena,
                                           n ? n * sizeof(hw_alert_attr_t) : 1);
        if (!alert->attributes)
                return -1;
        memset(alert->attributes, 0, n * sizeof(hw_alert_attr_t));
        alert->n_attributes = n;
        return 0;
}

const char *hw_severity_name(hw_severity_t severity) {
        return (unsigned)severity < HW_SEVERITY_COUNT ? severity_names[severity]
                                                      : "?";
}

int hw_severity_parse(const char *name) {
        for (int i = 0; i < HW_SEVERITY_COUNT; i++)
                if (!strcmp(severity_names[i], name))
                        return i;
        return -1;
}
