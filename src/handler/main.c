/*
 * main.c - ./handler: the face-ingest Lambda as a custom runtime or a command.
 *
 *   AWS_LAMBDA_RUNTIME_API=host:port ./handler   serve invocations forever
 *   ./handler < event.json                       handle one event
 *   ./handler --event FILE                       handle one event from FILE
 *
 * In command mode the response JSON goes to stdout and the exit status is
 * 0; a function error prints {"errorType","errorMessage","stackTrace"} and
 * exits 1; a usage or configuration error exits 2.  Logs (JSON lines) go to
 * stderr.  Owns: argument parsing and wiring config -> client -> logic.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ddb_client.h"
#include "face_ingest.h"
#include "fi_log.h"
#include "runtime.h"

#define FI_MAX_INPUT (64u << 20)

static void usage(FILE *f)
{
    fprintf(f, "usage: handler [--event FILE]\n"
               "  With AWS_LAMBDA_RUNTIME_API set (and no --event), serves the Lambda Runtime API.\n"
               "  Otherwise reads one Kinesis event (stdin or FILE) and prints the response.\n"
               "  Environment: TABLE_NAME, DEDUP_MODE (sighting|first-seen|summary), AWS_REGION,\n"
               "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,\n"
               "  AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL, DDB_MAX_ATTEMPTS,\n"
               "  DDB_BACKOFF_BASE_MS, DDB_BACKOFF_MAX_MS, DDB_TIMEOUT_MS, LOG_LEVEL.\n");
}

/* Read all of f into *out (caller frees); -1 on error or when too large. */
static int read_all(FILE *f, char **out, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (cap - n - 1 == 0) {
            char *p = cap < FI_MAX_INPUT ? realloc(buf, cap * 2) : NULL;
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    if (!buf || ferror(f)) {
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int run_once(fi_ctx *ctx, const char *path)
{
    char *event = NULL;
    size_t len = 0;
    json_t *resp = NULL, *doc = NULL;
    fi_error err = {{0}, {0}};
    int rc = 2;
    FILE *f = path ? fopen(path, "rb") : stdin;
    if (!f || read_all(f, &event, &len) < 0) {
        fprintf(stderr, "handler: cannot read %s\n", path ? path : "stdin");
        goto out;
    }
    if (face_ingest_handle(ctx, event, len, &resp, NULL, &err) == 0) {
        doc = resp;
        rc = 0;
    } else {
        doc = rt_error_body(err.type, err.message);
        rc = 1;
    }
    if (doc) {
        json_dumpf(doc, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    }
out:
    if (f && f != stdin)
        fclose(f);
    if (doc != resp)
        json_decref(doc);
    json_decref(resp);
    free(event);
    return rc;
}

int main(int argc, char **argv)
{
    const char *event_path = NULL;
    char why[512];
    fi_config cfg;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--event") == 0 && i + 1 < argc) {
            event_path = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (getenv("LOG_LEVEL"))
        fi_log_set_level(getenv("LOG_LEVEL"));
    const char *api = event_path ? NULL : getenv("AWS_LAMBDA_RUNTIME_API");
    if (fi_config_load(&cfg, why, sizeof why) < 0) {
        fi_log("error", "invalid configuration", json_pack("{s:s}", "reason", why));
        if (api && *api)
            rt_init_error(api, "Handler.InvalidConfiguration", why);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ddbc_client *client = ddbc_new(&cfg);
    int rc = 2;
    if (!client) {
        fi_log("error", "cannot create the DynamoDB client", json_pack("{s:s}", "endpoint", cfg.endpoint));
        if (api && *api)
            rt_init_error(api, "Handler.InitError", "cannot create the DynamoDB client");
        goto out;
    }
    fi_ctx ctx = {&cfg, ddbc_as_fi_ddb(client)};
    rc = (api && *api) ? (rt_run(&ctx, api) < 0 ? 1 : 0) : run_once(&ctx, event_path);
out:
    ddbc_free(client);
    curl_global_cleanup();
    return rc;
}
