/*
 * base64.c - strict standard base64 codec (see base64.h).
 */
#include "base64.h"

#include <stdlib.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Character -> 6-bit value + 1; 0 for anything outside the alphabet
 * (including '=', which the decoder handles by position).  b64_val()
 * turns 0 into a value with the high bits set. */
static const unsigned char b64_table[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
    ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
    ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
    ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
    ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
    ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
    ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

static inline unsigned b64_val(char c)
{
    return b64_table[(unsigned char)c] - 1u;
}

size_t base64_encode_to(char *out, const unsigned char *data, size_t len)
{
    size_t i, o = 0;
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
    return o;
}

char *base64_encode(const unsigned char *data, size_t len, size_t *out_len)
{
    char *out = malloc(BASE64_ENCODED_LEN(len) + 1);
    if (out == NULL)
        return NULL;
    size_t o = base64_encode_to(out, data, len);
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
    /* Every quad but the last: four table look-ups, one validity test
     * (an invalid character has bits above the sixth set). */
    size_t body = len >= 4 ? len - 4 : 0;
    for (i = 0; i < body; i += 4) {
        unsigned a = b64_val(s[i]), b = b64_val(s[i + 1]);
        unsigned c = b64_val(s[i + 2]), d = b64_val(s[i + 3]);
        if ((a | b | c | d) & ~63u)
            goto fail;
        buf[o++] = (unsigned char)(a << 2 | b >> 4);
        buf[o++] = (unsigned char)(b << 4 | c >> 2);
        buf[o++] = (unsigned char)(c << 6 | d);
    }
    for (; i < len; i += 4) {
        unsigned v[4];
        for (int k = 0; k < 4; k++) {
            /* '=' is only allowed as the final pad characters. */
            if ((size_t)k >= 4 - pad) {
                v[k] = 0;
                continue;
            }
            if ((v[k] = b64_val(s[i + k])) & ~63u)
                goto fail;
        }
        unsigned long w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
                          (unsigned long)v[2] << 6 | (unsigned long)v[3];
        /* Non-zero bits under the padding would give a second spelling. */
        if (pad == 2 && (w & 0xFFFF) != 0)
            goto fail;
        if (pad == 1 && (w & 0xFF) != 0)
            goto fail;
        buf[o++] = (unsigned char)(w >> 16);
        if (pad < 2)
            buf[o++] = (unsigned char)(w >> 8);
        if (pad < 1)
            buf[o++] = (unsigned char)w;
    }
    *out = buf;
    *out_len = o;
    return 0;
fail:
    free(buf);
    return -1;
}
