/*
 * base64.c - strict standard base64 codec (see base64.h).
 */
#include "base64.h"

#include <stdlib.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Character -> 6-bit value, or -1 for anything outside the alphabet
 * (including '=', which the decoder handles by position). */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

char *base64_encode(const unsigned char *data, size_t len, size_t *out_len)
{
    size_t n = (len + 2) / 3 * 4, i, o = 0;
    char *out = malloc(n + 1);

    if (out == NULL)
        return NULL;
    for (i = 0; i + 2 < len; i += 3) {
        unsigned long v = (unsigned long)data[i] << 16 | (unsigned long)data[i + 1] << 8 | data[i + 2];
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (i < len) {
        unsigned long v = (unsigned long)data[i] << 16;
        if (i + 1 < len)
            v |= (unsigned long)data[i + 1] << 8;
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    if (out_len != NULL)
        *out_len = o;
    return out;
}

size_t base64_decoded_len(const char *s, size_t len)
{
    size_t pad = 0;

    if (len % 4 != 0)
        return 0;
    if (len >= 1 && s[len - 1] == '=') {
        pad++;
        if (len >= 2 && s[len - 2] == '=')
            pad++;
    }
    return len / 4 * 3 - pad;
}

int base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
    size_t n = base64_decoded_len(s, len), i, o = 0;
    size_t pad = len ? len / 4 * 3 - n : 0;
    unsigned char *buf = NULL;

    *out = NULL;
    if (len % 4 != 0)
        goto fail;
    buf = malloc(n ? n : 1);
    if (buf == NULL)
        goto fail;
    for (i = 0; i < len; i += 4) {
        int v[4], k, last = i + 4 == len;
        for (k = 0; k < 4; k++) {
            /* '=' is only allowed as the final pad characters. */
            if (last && (size_t)k >= 4 - pad) {
                v[k] = 0;
                continue;
            }
            if ((v[k] = b64_value((unsigned char)s[i + k])) < 0)
                goto fail;
        }
        unsigned long w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
                          (unsigned long)v[2] << 6 | (unsigned long)v[3];
        /* Non-zero bits under the padding would give a second spelling. */
        if (last && pad == 2 && (w & 0xFFFF) != 0)
            goto fail;
        if (last && pad == 1 && (w & 0xFF) != 0)
            goto fail;
        buf[o++] = (unsigned char)(w >> 16);
        if (!last || pad < 2)
            buf[o++] = (unsigned char)(w >> 8);
        if (!last || pad < 1)
            buf[o++] = (unsigned char)w;
    }
    *out = buf;
    *out_len = o;
    return 0;
fail:
    free(buf);
    return -1;
}
