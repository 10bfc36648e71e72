/*
 * lam_event.h - building the Lambda event for a batch of Kinesis records
 * (lam_event.c).  Used by the ESM pollers and the /_emu/lambda/event
 * extension.  Ownership: inputs borrowed; results new (caller frees).
 */
#ifndef EMU_LAM_EVENT_H
#define EMU_LAM_EVENT_H

#include <jansson.h>

#include "kin.h"
#include "lam_int.h"

typedef struct lam_event_src {
    const char *shard_id;    /* eventID prefix */
    const char *stream_arn;  /* eventSourceARN */
    const char *region;      /* awsRegion */
    const char *role;        /* invokeIdentityArn: the function's role */
} lam_event_src;

/* The text of {"Records":[...]} for records r[0..n), compact, its length
 * in *len (may be NULL); NULL when out of memory. */
char *lam_event_kinesis(const lam_event_src *src, const kin_record *r, size_t n, size_t *len);
/* GET /_emu/lambda/event/kinesis (see lam_event.c). */
void lam_event_http(lam_state *l, http_req *req, http_resp *resp);

#endif
