/*
 * fi_log.c - JSON log lines on stderr; see fi_log.h.
 */
#include "fi_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char request_id[128];
static int min_rank = 1;

static int rank(const char *level)
{
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++)
        if (level && strcmp(level, names[i]) == 0)
            return i;
    return 1;
}

void fi_log_set_request_id(const char *id)
{
    snprintf(request_id, sizeof request_id, "%s", id ? id : "");
}

void fi_log_set_level(const char *level) { min_rank = rank(level); }

void fi_log(const char *level, const char *msg, json_t *fields)
{
    char ts[32], date[24];
    struct timespec now;
    struct tm tm;
    if (rank(level) < min_rank) {
        json_decref(fields);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts, sizeof ts, "%s.%03dZ", date, (int)(now.tv_nsec / 1000000) % 1000);
    json_t *line = json_pack("{s:s, s:s, s:s}", "time", ts, "level", level, "msg", msg ? msg : "");
    if (line && request_id[0])
        json_object_set_new(line, "requestId", json_string(request_id));
    if (line && json_is_object(fields))
        json_object_update(line, fields);
    json_decref(fields);
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (text)
        fprintf(stderr, "%s\n", text);
    else
        fprintf(stderr, "{\"level\":\"error\",\"msg\":\"log line lost (out of memory)\"}\n");
    free(text);
    json_decref(line);
}
