/*
 * fi_log.h - structured (JSON, one object per line) logs on stderr.
 *
 * Owns the handler's log format: {"level","msg", "requestId"?, ...fields}.
 * CloudWatch and humans both read one line per event.
 */
#ifndef FI_LOG_H
#define FI_LOG_H

#include <jansson.h>

/* Set (or clear with NULL) the request id added to every line. */
void fi_log_set_request_id(const char *id);

/* Set the minimum level printed: "debug", "info", "warn", "error", "off". */
void fi_log_set_level(const char *level);

/* Print one line; steals `fields` (an object or NULL). */
void fi_log(const char *level, const char *msg, json_t *fields);

#endif
