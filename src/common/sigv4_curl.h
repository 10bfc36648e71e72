/*
 * sigv4_curl.h - a SigV4-signed request's headers as a libcurl list, for
 * the two clients: ./handler's DynamoDB client and `emu generate`'s
 * Kinesis client.  Kept apart from sigv4.c, which needs no libcurl.
 */
#ifndef EMU_SIGV4_CURL_H
#define EMU_SIGV4_CURL_H

#include <stddef.h>
#include <curl/curl.h>
#include "sigv4.h"

/* "name: value" for each of the n signed headers, then "Authorization:
 * authz" (left out when authz is NULL: an unsigned request), then an empty
 * "Expect:" so that libcurl sends a body without a 100-continue round
 * trip.  NULL when out of memory; caller frees with curl_slist_free_all. */
struct curl_slist *sigv4_curl_headers(const sigv4_header *sh, size_t n, const char *authz);

#endif
