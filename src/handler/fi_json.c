/*
 * fi_json.c - shortest number format and AttributeValue helpers; see
 * fi_json.h.  (A number's original text now comes from fi_jdoc.)
 */
#include "fi_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fi_json_format_number(double v, char *buf, size_t cap)
{
    if (!isfinite(v)) {
        snprintf(buf, cap, "0");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, cap, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

json_t *fi_av_s(const char *s)
{
    return s ? json_pack("{s:s}", "S", s) : NULL;
}

json_t *fi_av_n(const char *text)
{
    return text ? json_pack("{s:s}", "N", text) : NULL;
}

json_t *fi_av_nn(const char *text, size_t len)
{
    return text ? json_pack("{s:s%}", "N", text, len) : NULL;
}

static const char *av_get(const json_t *item, const char *name, const char *type)
{
    json_t *av = json_object_get(item, name);
    return json_string_value(json_object_get(av, type));
}

const char *fi_av_get_s(const json_t *item, const char *name) { return av_get(item, name, "S"); }
const char *fi_av_get_n(const json_t *item, const char *name) { return av_get(item, name, "N"); }
