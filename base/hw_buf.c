#include "hw_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hw_buf_init(hw_buf_t *buf) {
        buf->data = NULL;
        buf->len = buf->cap = 0;
}

void hw_buf_release(hw_buf_t *buf) {
        free(buf->data);
        hw_buf_init(buf);
}

int hw_buf_reserve(hw_buf_t *buf, size_t extra) {
        size_t need = buf->len + extra, cap;
        char *p;

        if (need < buf->len)
                return -1;
        if (need <= buf->cap)
                return 0;
        cap = buf->cap ? buf->cap : 256;
        while (cap < need) {
                if (cap * 2 < cap)
                        return -1;
                cap *= 2;
        }
        p = realloc(buf->data, cap);
        if (!p)
                return -1;
        buf->data = p;
        buf->cap = cap;
        return 0;
}

int hw_grow_more(void **arr, size_t *cap, size_t n, size_t size) {
        size_t c = *cap ? *cap : 256;
        void *p;

        if (n <= *cap)
                return 0;
        while (c < n) {
                if (c * 2 < c)
                        return -1;
                c *= 2;
        }
        if (size && c > (size_t)-1 / size)
                return -1;
        p = realloc(*arr, c * size);
        if (!p)
                return -1;
        *arr = p;
        *cap = c;
        return 0;
}

int hw_buf_append(hw_buf_t *buf, const void *data, size_t len) {
        if (!len)
                return 0;
        if (hw_buf_reserve(buf, len) == -1)
                return -1;
        memcpy(buf->data + buf->len, data, len);
        buf->len += len;
        return 0;
}

int hw_buf_printf(hw_buf_t *buf, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || hw_buf_reserve(buf, (size_t)n + 1) == -1)
                return -1;
        va_start(ap, fmt);
        vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        buf->len += (size_t)n;
        return 0;
}

int hw_slots_double(void **slots, size_t *n_slots, size_t size) {
        size_t n = *n_slots ? *n_slots * 2 : 64;
        void *fresh = n > SIZE_MAX / size ? NULL : calloc(n, size);

        if (!fresh)
                return -1;
        free(*slots);
        *slots = fresh;
        *n_slots = n;
        return 0;
}

void hw_wipe(void *p, size_t n) {
        volatile unsigned char *v = p;
        while (n--)
                *v++ = 0;
}

size_t hw_decimal_more(char *out, int64_t v) {
        static const char pairs[] = "00010203040506070809"
                                    "10111213141516171819"
                                    "20212223242526272829"
                                    "30313233343536373839"
                                    "40414243444546474849"
                                    "50515253545556575859"
                                    "60616263646566676869"
                                    "70717273747576777879"
                                    "80818283848586878889"
                                    "90919293949596979899";
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        size_t len = 1 + (v < 0);
        char *p;

        /* The length first, so the digits go straight to their place
         * (copying them there would be a call to memcpy). */
        for (uint64_t t = u; t >= 10; t /= 10)
                len++;
        p = out + len;
        /* Two digits at a time, from the last. */
        for (; u >= 100; u /= 100) {
                const char *d = &pairs[(u % 100) * 2];
                *--p = d[1];
                *--p = d[0];
        }
        if (u >= 10) {
                *--p = pairs[u * 2 + 1];
                *--p = pairs[u * 2];
        } else {
                *--p = (char)('0' + u);
        }
        if (v < 0)
                *--p = '-';
        return len;
}

int hw_buf_json_string(hw_buf_t *buf, const char *s, size_t len) {
        static const char hex[] = "0123456789ABCDEF";
        char *o;

        /* At most 6 bytes a byte (\u00XX), and the quotes. */
        if (len > (SIZE_MAX - 2) / 6 || hw_buf_reserve(buf, len * 6 + 2))
                return -1;
        o = buf->data + buf->len;
        *o++ = '"';
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c >= 0x20 && c != '"' && c != '\\') {
                        *o++ = (char)c;
                        continue;
                }
                *o++ = '\\';
                switch (c) {
                case '"':
                case '\\':
                        *o++ = (char)c;
                        break;
                case '\b':
                        *o++ = 'b';
                        break;
                case '\f':
                        *o++ = 'f';
                        break;
                case '\n':
                        *o++ = 'n';
                        break;
                case '\r':
                        *o++ = 'r';
                        break;
                case '\t':
                        *o++ = 't';
                        break;
                default:
                        *o++ = 'u';
                        *o++ = '0';
                        *o++ = '0';
                        *o++ = hex[c >> 4];
                        *o++ = hex[c & 15];
                }
        }
        *o++ = '"';
        buf->len = (size_t)(o - buf->data);
        return 0;
}
