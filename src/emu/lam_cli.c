/*
 * lam_cli.c - `emu event kinesis`: fetch a ready Lambda Kinesis event from a
 * running emu and print it on stdout, e.g. for `./handler < event.json`.
 *
 *   emu event kinesis --stream NAME|ARN [--shard ID] [--limit N]
 *                     [--after SEQ] [--function NAME] [--endpoint URL]
 *
 * It calls GET /_emu/lambda/event/kinesis (lam_event.c) over HTTP rather
 * than opening the database, so it works with --in-memory servers and
 * never races the server's writer.  The endpoint defaults to $EMU_ENDPOINT,
 * else http://127.0.0.1:$EMU_PORT (8000).  Exit status: 0 ok, 1 error,
 * 2 usage.
 */
#include "lam.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char lam_cli_usage[] =
    "usage: emu event kinesis --stream NAME|ARN [--shard ID] [--limit N] [--after SEQ]\n"
    "                         [--function NAME] [--endpoint URL]\n"
    "Prints the Lambda event for the next records of one shard (the first shard\n"
    "holding records, from the oldest record or after SEQ) of a running emu.\n";

static size_t lam_cli_write(char *p, size_t size, size_t n, void *arg)
{
    return fwrite(p, size, n, (FILE *)arg) * size;
}

/* Append "&key=escaped(value)" to url (cap bytes). */
static void lam_cli_param(CURL *c, char *url, size_t cap, const char *key, const char *value)
{
    if (value == NULL)
        return;
    char *esc = curl_easy_escape(c, value, 0);
    if (esc == NULL)
        return;
    size_t len = strlen(url);
    snprintf(url + len, cap - len, "%s%s=%s", strchr(url, '?') ? "&" : "?", key, esc);
    curl_free(esc);
}

int lam_cli_event(int argc, char **argv)
{
    static const struct option opts[] = {
        {"stream", required_argument, 0, 's'}, {"shard", required_argument, 0, 'S'},
        {"limit", required_argument, 0, 'l'}, {"after", required_argument, 0, 'a'},
        {"function", required_argument, 0, 'f'}, {"endpoint", required_argument, 0, 'e'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *v[6] = {0}; /* stream shard limit after function endpoint */
    if (argc < 2 || strcmp(argv[1], "kinesis") != 0) {
        fputs(lam_cli_usage, stderr);
        return 2;
    }
    optind = 1;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        const char *keys = "sSlafe";
        const char *k = c == 'h' || c == '?' ? NULL : strchr(keys, c);
        if (k == NULL) {
            fputs(lam_cli_usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
        v[k - keys] = optarg;
    }
    if (v[0] == NULL) {
        fputs(lam_cli_usage, stderr);
        return 2;
    }
    char base[256], url[2048];
    const char *env = getenv("EMU_ENDPOINT"), *port = getenv("EMU_PORT");
    snprintf(base, sizeof base, "%s", v[5] ? v[5] : env && *env ? env : "");
    if (base[0] == '\0')
        snprintf(base, sizeof base, "http://127.0.0.1:%s", port && *port ? port : "8000");
    size_t bl = strlen(base);
    if (bl > 0 && base[bl - 1] == '/')
        base[bl - 1] = '\0';
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return 1;
    snprintf(url, sizeof url, "%s/_emu/lambda/event/kinesis", base);
    static const char *const names[] = {"stream", "shard", "limit", "after", "function"};
    for (int i = 0; i < 5; i++)
        lam_cli_param(curl, url, sizeof url, names[i], v[i]);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, lam_cli_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, stdout);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 0L);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
        fprintf(stderr, "emu event: %s: %s\n", base, curl_easy_strerror(rc));
        return 1;
    }
    putchar('\n');
    return status == 200 ? 0 : 1;
}
