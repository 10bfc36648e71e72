/*
 * svc.c - the AWS JSON protocol engine (see svc.h).
 */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/crc32.h"
#include "../common/jload.h"
#include "../common/jtext.h"
#include "../common/log.h"

static int svc_op_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const svc_op *)elem)->name);
}

/* Copy src into dst[cap] as snprintf("%s") would, truncating, without
 * the formatting machinery (two per request showed in profiles). */
static void svc_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The request's resource (TableName, StreamName...) for its log line. */
static void svc_log_resource(const svc *s, http_req *req, const json_t *in)
{
    json_t *res = json_object_get(in, s->resource_key);
    if (json_is_string(res))
        svc_copy(req->log_resource, sizeof req->log_resource, json_string_value(res));
}

/* Finish the response: body, content type, request id, checksum. */
static void svc_reply(const svc *s, http_resp *resp, int status, char *body)
{
    char rid[37];
    http_request_id(rid);
    size_t len = strlen(body);
    http_resp_body(resp, status, s->content_type, body, len);
    http_resp_header(resp, "x-amzn-RequestId", rid);
    if (s->crc32) {
        char crc[JTEXT_UINT_MAX + 1];
        crc[jtext_uint(crc, crc32_compute(body, len))] = '\0';
        http_resp_header(resp, "x-amz-crc32", crc);
    }
}

char *svc_splice(json_t *rest, const char *name, const char *open, const char *raw, size_t len,
                 const char *close)
{
    char *tail = jtext_dump(rest, NULL);
    json_decref(rest);
    if (tail == NULL)
        return NULL;
    size_t nl = strlen(name), ol = strlen(open), cl = strlen(close), tl = strlen(tail);
    char *out = malloc(nl + ol + len + cl + tl + 8);
    if (out != NULL) {
        char *p = out;
        *p++ = '{';
        *p++ = '"';
        memcpy(p, name, nl), p += nl;
        *p++ = '"';
        *p++ = ':';
        memcpy(p, open, ol), p += ol;
        if (len)
            memcpy(p, raw, len), p += len;
        memcpy(p, close, cl), p += cl;
        if (tl > 2)
            *p++ = ','; /* tail is "{...}": its members follow */
        memcpy(p, tail + 1, tl); /* the members after '{', with the NUL */
    }
    free(tail);
    return out;
}

void svc_error(const svc *s, http_resp *resp, err_t *err)
{
    if (err->code == ERR_INTERNAL || err->code == ERR_NONE)
        err->code = s->internal;
    json_t *body = err->extra ? err->extra : json_object();
    err->extra = NULL;
    json_object_set_new(body, "__type", json_string(err_type(err->code)));
    if (err->msg[0])
        json_object_set_new(body, "message", json_string(err->msg));
    char *text = jtext_dump(body, NULL);
    json_decref(body);
    int status = err_http_status(err->code);
    if (status >= 500)
        log_error("%s: %s", err_type(err->code), err->msg);
    svc_reply(s, resp, status, text ? text : strdup("{}"));
    err_clear(err);
}

void svc_handle(const svc *s, struct emu *emu, http_req *req, http_resp *resp)
{
    err_t err = {0};
    json_t *in = NULL, *out = NULL;
    const char *target = http_req_header(req, "X-Amz-Target");
    const char *opname = target ? target + strlen(s->target_prefix) : "";
    svc_copy(req->log_op, sizeof req->log_op, opname);

    const svc_op *op = bsearch(opname, s->ops, s->nops, sizeof *s->ops, svc_op_cmp);
    if (op == NULL) {
        err_set(&err, s->unknown_operation, "%s", "");
        err.msg[0] = '\0';
        goto fail;
    }
    char *text = NULL;
    if (op->fast != NULL && op->fast(emu, req->body, req->body_len, &in, &text, &err) != 0) {
        svc_log_resource(s, req, in);
        if (text == NULL)
            goto fail;
        goto reply;
    }
    json_error_t jerr;
    /* jload_fast declines what it cannot build exactly as jansson would;
     * jansson then parses it and owns every error. */
    in = jload_fast(req->body, req->body_len);
    if (in == NULL)
        in = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (in == NULL || !json_is_object(in)) {
        err_set(&err, s->serialization, "%s",
                in == NULL ? "Start of structure or map found where not expected." :
                             "Unexpected value type in payload");
        goto fail;
    }
    svc_log_resource(s, req, in);
    if (op->validate != NULL && op->validate(in, &err) != 0)
        goto fail;
    if (op->execute_raw != NULL) {
        if ((text = op->execute_raw(emu, in, &err)) == NULL)
            goto fail;
        goto reply;
    }
    if ((out = op->execute(emu, in, &err)) == NULL)
        goto fail;
    text = jtext_dump(out, NULL);
    json_decref(out);
    if (text == NULL) {
        err_set(&err, s->serialization, "cannot serialise response");
        goto fail;
    }
reply:
    json_decref(in);
    svc_reply(s, resp, 200, text);
    return;
fail:
    json_decref(in);
    svc_error(s, resp, &err);
}
