/* A growable byte buffer (caller storage). */
#ifndef HW_BUF_H
#define HW_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct hw_buf_s {
        char *data;
        size_t len;
        size_t cap;
} hw_buf_t;

/* Prepares an empty buffer; allocates nothing. */
void hw_buf_init(hw_buf_t *buf);

/* Frees the memory; the buffer is empty and reusable afterwards. */
void hw_buf_release(hw_buf_t *buf);

/* Makes room for at least `extra` more bytes. Returns 0, or -1 when out of
 * memory (the buffer is unchanged). */
int hw_buf_reserve(hw_buf_t *buf, size_t extra);

/* Appends bytes; -1 when out of memory (the buffer is unchanged). */
int hw_buf_append(hw_buf_t *buf, const void *data, size_t len);

/* Grows an array of `size`-byte elements (*arr, *cap of them) to hold at
 * least n, doubling from 256. Returns 0, or -1 when out of memory or on
 * overflow (the array is unchanged). Inline while it holds n already
 * (it comes before every element added); hw_grow_more grows it. */
int hw_grow_more(void **arr, size_t *cap, size_t n, size_t size);
static inline int hw_grow(void **arr, size_t *cap, size_t n, size_t size) {
        return n <= *cap ? 0 : hw_grow_more(arr, cap, n, size);
}

/* A hash table's slots (*n_slots of `size` bytes at *slots) replaced by
 * zeroed ones, twice as many (64 the first time), for the caller to place
 * its keys again: what the maps do to keep their load under 1/2. Returns
 * 0, or -1 when out of memory (the slots are unchanged). */
int hw_slots_double(void **slots, size_t *n_slots, size_t size);

/* Overwrites n bytes in a way the compiler cannot drop as a dead store
 * (for secrets). */
void hw_wipe(void *p, size_t n);

/* Writes v in decimal at out (room for 21 bytes), no NUL; returns the
 * length. By hand, not printf: it runs for every number of every step,
 * and inline for 0 to 99 (most are the lengths of RESP arguments);
 * hw_decimal_more writes any. */
size_t hw_decimal_more(char *out, int64_t v);
static inline size_t hw_decimal(char *out, int64_t v) {
        if (v >= 0 && v < 10) {
                out[0] = (char)('0' + v);
                return 1;
        }
        if (v >= 10 && v < 100) {
                out[0] = (char)('0' + v / 10);
                out[1] = (char)('0' + v % 10);
                return 2;
        }
        return hw_decimal_more(out, v);
}

/* Appends s (len bytes of UTF-8) as a JSON string, quoted and escaped as
 * Jansson writes one: a backslash before " and \, the short escapes of
 * backspace, form feed, newline, carriage return and tab, \u00XX for the
 * other bytes below 0x20, every other byte as it is. -1 when out of
 * memory. */
int hw_buf_json_string(hw_buf_t *buf, const char *s, size_t len);

/* Appends formatted text (kept NUL-terminated past len); -1 on failure. */
int hw_buf_printf(hw_buf_t *buf, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#endif
