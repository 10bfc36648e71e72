/*
 * base64.h - standard base64 (RFC 4648 alphabet "+/", "=" padding).
 *
 * Used for DynamoDB B/BS values and Kinesis/Lambda payloads.  The decoder
 * is strict: the length must be a multiple of 4, only alphabet characters
 * may appear before the padding, at most two '=' and only at the end, and
 * the unused bits of the last character must be zero, so every byte string
 * has exactly one accepted encoding (what DynamoDB requires of B values).
 */
#ifndef COMMON_BASE64_H
#define COMMON_BASE64_H

#include <stddef.h>

/* Encode len bytes; returns a NUL-terminated malloc'd string (caller
 * frees) and its length in *out_len (may be NULL), or NULL when out of
 * memory. */
char *base64_encode(const unsigned char *data, size_t len, size_t *out_len);
/* The encoding of len bytes is BASE64_ENCODED_LEN(len) characters;
 * base64_encode_to writes them at out (no NUL) and returns that count. */
#define BASE64_ENCODED_LEN(len) (((len) + 2) / 3 * 4)
size_t base64_encode_to(char *out, const unsigned char *data, size_t len);

/* Decode the len characters at s (need not be NUL-terminated).  On success
 * returns 0 with a malloc'd buffer in *out (caller frees; non-NULL even
 * for empty input) and its size in *out_len; returns -1 on invalid input
 * or out of memory, leaving *out NULL. */
int base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len);

/* Decoded size of a valid encoding of len characters ending in `s`
 * (counts the padding); 0 for invalid lengths.  Lets callers size binary
 * values without decoding them. */
size_t base64_decoded_len(const char *s, size_t len);

#endif
