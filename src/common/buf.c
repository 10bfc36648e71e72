/*
 * buf.c - growable byte buffers (see buf.h).
 */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

int buf_append(char **buf, size_t *len, size_t *cap, size_t max, const void *data, size_t n)
{
    if (*len + n + 1 > max)
        return -1;
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n + 1)
            c *= 2;
        char *p = realloc(*buf, c);
        if (p == NULL)
            return -1;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}
