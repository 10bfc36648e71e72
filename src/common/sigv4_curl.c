/*
 * sigv4_curl.c - a SigV4-signed request's headers as a libcurl list (see
 * sigv4_curl.h).
 */
#include "sigv4_curl.h"

#include <stdio.h>

struct curl_slist *sigv4_curl_headers(const sigv4_header *sh, size_t n, const char *authz)
{
    char line[5000];
    struct curl_slist *h = NULL, *t;
    for (size_t i = 0; i < n + 2; i++) {
        if (i < n)
            snprintf(line, sizeof line, "%s: %s", sh[i].name, sh[i].value);
        else if (i == n && authz == NULL)
            continue;
        else if (i == n)
            snprintf(line, sizeof line, "Authorization: %s", authz);
        else
            snprintf(line, sizeof line, "Expect:");
        if ((t = curl_slist_append(h, line)) == NULL) {
            curl_slist_free_all(h);
            return NULL;
        }
        h = t;
    }
    return h;
}
