/*
 * av.c - the AttributeValue codec (see av.h): validation and in-place
 * normalisation, DynamoDB item sizes, equality, ordering and key encoding.
 *
 * Validation runs in two passes, because DynamoDB does: the request body is
 * first deserialised against the AttributeValue shape (wrong JSON kinds are
 * a SerializationException; unknown members and JSON nulls are dropped, as
 * the service's deserialiser ignores them), and only then are the values
 * validated (ValidationException: empty value, several types, bad numbers,
 * empty or duplicate sets, nesting depth).  The wording of every message is
 * DynamoDB's as recorded by dynalite's validations/index.js, updated for
 * the 2020 change that allows empty S and B values (also inside sets).
 *
 * Entry points: av_type, av_type_name, av_type_parse, av_validate,
 * av_validate_item, av_item_size, av_value_size, av_equal, av_compare,
 * av_key_encode, av_binary_decode.
 */
#include "av.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/base64.h"
#include "num.h"

/* DynamoDB accepts 32 levels: a top-level value is level 1, each L or M
 * around it adds one (31 wraps pass, 32 fail, measured against AWS). */
#define AV_MAX_DEPTH 32

#define MSG_INVALID "One or more parameter values were invalid: "
#define MSG_EMPTY_AV \
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
#define MSG_MULTI_AV                                                                      \
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of " \
    "the supported datatypes"
#define MSG_DEPTH                                                                    \
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested " \
    "levels beyond supported limit"
#define MSG_NOT_NUMBER "A value provided cannot be converted into a number"

static const char *const av_names[] = {
    [AV_INVALID] = "", [AV_S] = "S",   [AV_N] = "N",   [AV_B] = "B",   [AV_BOOL] = "BOOL",
    [AV_NULL] = "NULL", [AV_L] = "L",  [AV_M] = "M",   [AV_SS] = "SS", [AV_NS] = "NS",
    [AV_BS] = "BS",
};
#define AV_NTYPES (sizeof(av_names) / sizeof(av_names[0]))

const char *av_type_name(av_type_t t)
{
    return (unsigned)t < AV_NTYPES ? av_names[t] : "";
}

/* By hand rather than a strcmp per name: every AttributeValue of every
 * request is typed two or three times (validation, size, key encoding). */
av_type_t av_type_parse(const char *name)
{
    if (name == NULL)
        return AV_INVALID;
    switch (name[0]) {
    case 'S':
        return name[1] == '\0' ? AV_S : strcmp(name + 1, "S") == 0 ? AV_SS : AV_INVALID;
    case 'N':
        return name[1] == '\0'                ? AV_N
               : strcmp(name + 1, "S") == 0   ? AV_NS
               : strcmp(name + 1, "ULL") == 0 ? AV_NULL
                                              : AV_INVALID;
    case 'B':
        return name[1] == '\0'                ? AV_B
               : strcmp(name + 1, "S") == 0   ? AV_BS
               : strcmp(name + 1, "OOL") == 0 ? AV_BOOL
                                              : AV_INVALID;
    case 'L':
        return name[1] == '\0' ? AV_L : AV_INVALID;
    case 'M':
        return name[1] == '\0' ? AV_M : AV_INVALID;
    default:
        return AV_INVALID;
    }
}

/* The type of a one-member AttributeValue and, through *inner, that
 * member's value (NULL when the type is invalid): one iterator step
 * instead of a type lookup and then a hash lookup. */
static av_type_t av_split(const json_t *av, json_t **inner)
{
    *inner = NULL;
    if (!json_is_object(av) || json_object_size(av) != 1)
        return AV_INVALID;
    void *it = json_object_iter((json_t *)av);
    av_type_t t = av_type_parse(json_object_iter_key(it));
    if (t != AV_INVALID)
        *inner = json_object_iter_value(it);
    return t;
}

av_type_t av_type(const json_t *av)
{
    json_t *inner;
    return av_split(av, &inner);
}

/* ---- pass 1: shape (SerializationException) ---------------------------------------------- */

/* What the deserialiser expects at a position. */
typedef enum { WANT_STRING, WANT_BLOB, WANT_BOOL, WANT_LIST, WANT_MAP, WANT_STRUCT } av_want;

/* DynamoDB's deserialiser messages for a JSON value of the wrong kind. */
static int shape_error(err_t *err, const json_t *v, av_want want)
{
    static const char *const target[] = {
        [WANT_STRING] = "an String", [WANT_BLOB] = "a Blob", [WANT_BOOL] = "an Boolean",
    };

    if (json_is_array(v) && want != WANT_LIST)
        return err_set(err, ERR_DDB_SERIALIZATION, "Start of list found where not expected");
    if (json_is_object(v) && want != WANT_MAP && want != WANT_STRUCT)
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    if (want == WANT_LIST)
        return err_set(err, ERR_DDB_SERIALIZATION, "Expected list or null");
    if (want == WANT_MAP)
        return err_set(err, ERR_DDB_SERIALIZATION, "Expected map or null");
    if (want == WANT_STRUCT)
        return err_set(err, ERR_DDB_SERIALIZATION, "Expected null");
    if (json_is_number(v) && want == WANT_STRING)
        return err_set(err, ERR_DDB_SERIALIZATION, "NUMBER_VALUE cannot be converted to String");
    if (json_is_number(v))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not "
                       "be converted to %s", target[want]);
    if (json_is_boolean(v))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "class java.lang.Boolean can not be converted to %s", target[want]);
    /* A string where a boolean was expected. */
    return err_set(err, ERR_DDB_SERIALIZATION, "'%s' can not be converted to %s",
                   json_string_value(v), target[want]);
}

/* A B value must be strict base64; the messages name the first fault. */
static int shape_blob(const json_t *v, err_t *err)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), i;
    unsigned char *bytes = NULL;
    size_t len;

    if (n % 4 != 0)
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "'%s' can not be converted to a Blob: Base64 encoded length is expected "
                       "a multiple of 4 bytes but found: %zu", s, n);
    for (i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/' || (c == '=' && (i + 1 == n || s[i + 1] == '='));
        if (!ok)
            return err_set(err, ERR_DDB_SERIALIZATION,
                           "'%s' can not be converted to a Blob: Invalid Base64 character: '%c'",
                           s, c == '=' ? '=' : c);
    }
    if (base64_decode(s, n, &bytes, &len) != 0)
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "'%s' can not be converted to a Blob: Invalid last non-pad Base64 "
                       "character dectected", s);
    free(bytes);
    return 0;
}

/* BOOL/NULL: the deserialiser also takes "true"/"1"/"yes" and their
 * negatives in any case, so those strings are turned into JSON booleans. */
static int shape_bool(json_t *av, const char *key, json_t *v, err_t *err)
{
    static const char *const yes[] = {"true", "1", "yes"}, *const no[] = {"false", "0", "no"};
    const char *s = json_string_value(v);

    if (json_is_boolean(v))
        return 0;
    if (s == NULL)
        return shape_error(err, v, WANT_BOOL);
    for (int i = 0; i < 3; i++) {
        int t = strcasecmp(s, yes[i]) == 0, f = strcasecmp(s, no[i]) == 0;
        if (!t && !f)
            continue;
        if (json_object_set_new(av, key, json_boolean(t)) != 0)
            return err_set(err, ERR_INTERNAL, "out of memory");
        return 0;
    }
    char up[64];
    size_t k;
    for (k = 0; s[k] != '\0' && k + 1 < sizeof(up); k++)
        up[k] = (char)(s[k] >= 'a' && s[k] <= 'z' ? s[k] - 'a' + 'A' : s[k]);
    up[k] = '\0';
    return err_set(err, ERR_DDB_SERIALIZATION, "'%s' can not be converted to an Boolean", up);
}

static int av_shape(json_t *av, int depth, err_t *err);

/* The elements of SS/NS/BS (scalars) or L (AttributeValues). */
static int shape_list(json_t *list, av_type_t t, int depth, err_t *err)
{
    size_t i;
    json_t *x;

    if (!json_is_array(list))
        return shape_error(err, list, WANT_LIST);
    json_array_foreach(list, i, x) {
        if (t == AV_L) {
            if (av_shape(x, depth + 1, err) != 0)
                return -1;
        } else if (json_is_null(x)) {
            continue; /* reported by the value pass, with the set's message */
        } else if (!json_is_string(x)) {
            return shape_error(err, x, t == AV_BS ? WANT_BLOB : WANT_STRING);
        } else if (t == AV_BS && shape_blob(x, err) != 0) {
            return -1;
        }
    }
    return 0;
}

static int shape_member(json_t *av, const char *key, av_type_t t, int depth, err_t *err)
{
    json_t *v = json_object_get(av, key), *x;
    const char *k;

    switch (t) {
    case AV_S:
    case AV_N:
        return json_is_string(v) ? 0 : shape_error(err, v, WANT_STRING);
    case AV_B:
        return !json_is_string(v) ? shape_error(err, v, WANT_BLOB) : shape_blob(v, err);
    case AV_BOOL:
    case AV_NULL:
        return shape_bool(av, key, v, err);
    case AV_M:
        if (!json_is_object(v))
            return shape_error(err, v, WANT_MAP);
        json_object_foreach(v, k, x) {
            if (av_shape(x, depth + 1, err) != 0)
                return -1;
        }
        return 0;
    default:
        return shape_list(v, t, depth, err);
    }
}

/* Check one AttributeValue's shape, dropping members the deserialiser
 * would ignore (unknown names, JSON nulls). */
static int av_shape(json_t *av, int depth, err_t *err)
{
    const char *key;
    json_t *v;
    void *tmp;

    if (depth > AV_MAX_DEPTH)
        return err_set(err, ERR_DDB_VALIDATION, MSG_DEPTH);
    if (av == NULL || json_is_null(av))
        return 0; /* reported as empty by the value pass */
    if (!json_is_object(av))
        return shape_error(err, av, WANT_STRUCT);
    json_object_foreach_safe(av, tmp, key, v) {
        av_type_t t = av_type_parse(key);
        if (t == AV_INVALID || json_is_null(v)) {
            json_object_del(av, key);
            continue;
        }
        if (shape_member(av, key, t, depth, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- pass 2: values (ValidationException) ------------------------------------------------ */

typedef struct {
    const char *s;
    size_t n;
} av_str;

static int str_cmp(const void *a, const void *b)
{
    const av_str *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
    return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* True when the array of strings holds a repeated value.  NS elements are
 * canonical by now, so equal numbers ("1", "1.0") are equal strings. */
static bool has_duplicates(const json_t *arr)
{
    size_t n = json_array_size(arr), i;
    av_str *v = malloc((n ? n : 1) * sizeof(*v));
    bool dup = false;

    if (v == NULL)
        return false;
    for (i = 0; i < n; i++) {
        v[i].s = json_string_value(json_array_get(arr, i));
        v[i].n = json_string_length(json_array_get(arr, i));
    }
    qsort(v, n, sizeof(*v), str_cmp);
    for (i = 1; i < n && !dup; i++)
        dup = str_cmp(&v[i - 1], &v[i]) == 0;
    free(v);
    return dup;
}

/* "[a, b, c]" for duplicate messages; err_set truncates what does not fit. */
static void list_str(const json_t *arr, char *buf, size_t size)
{
    size_t i, o = 0;
    json_t *x;

    o += (size_t)snprintf(buf, size, "[");
    json_array_foreach(arr, i, x) {
        if (o >= size)
            break;
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", json_string_value(x));
    }
    if (o < size)
        snprintf(buf + o, size - o, "]");
}

/* Normalise one number string in place. */
static int check_number(json_t *v, err_t *err)
{
    char buf[NUM_STR_MAX];
    const char *s = json_string_value(v);

    /* An embedded NUL would hide the rest of the string from num_parse. */
    if (s == NULL || strlen(s) != json_string_length(v))
        return err_set(err, ERR_DDB_VALIDATION, MSG_NOT_NUMBER);
    if (num_normalize(s, buf, err) != 0)
        return -1;
    if (strcmp(buf, s) != 0 && json_string_set(v, buf) != 0)
        return err_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

static int check_set(json_t *set, av_type_t t, err_t *err)
{
    static const char *const empty[] = {
        [AV_SS] = MSG_INVALID "An string set  may not be empty",
        [AV_NS] = MSG_INVALID "An number set  may not be empty",
        [AV_BS] = MSG_INVALID "Binary sets should not be empty",
    };
    char list[1024];
    size_t i;
    json_t *x;

    if (json_array_size(set) == 0)
        return err_set(err, ERR_DDB_VALIDATION, "%s", empty[t]);
    json_array_foreach(set, i, x) {
        if (t == AV_NS && check_number(x, err) != 0)
            return -1;
        if (t == AV_BS && !json_is_string(x))
            return err_set(err, ERR_DDB_VALIDATION,
                           MSG_INVALID "Binary sets may not contain null or empty values");
        if (t == AV_SS && !json_is_string(x))
            return err_set(err, ERR_DDB_VALIDATION,
                           MSG_INVALID "An string set may not have a null member");
    }
    if (!has_duplicates(set))
        return 0;
    if (t == AV_NS)
        return err_set(err, ERR_DDB_VALIDATION, "Input collection contains duplicates");
    list_str(set, list, sizeof(list));
    if (t == AV_BS)
        return err_set(err, ERR_DDB_VALIDATION,
                       MSG_INVALID "Input collection %sof type BS contains duplicates.", list);
    return err_set(err, ERR_DDB_VALIDATION, MSG_INVALID "Input collection %s contains duplicates.",
                   list);
}

static int av_check(json_t *av, err_t *err);

static int check_member(json_t *v, av_type_t t, err_t *err)
{
    const char *k;
    json_t *x;
    size_t i;

    switch (t) {
    case AV_N:
        return check_number(v, err);
    case AV_NULL:
        if (!json_is_true(v))
            return err_set(err, ERR_DDB_VALIDATION,
                           MSG_INVALID "Null attribute value types must have the value of true");
        return 0;
    case AV_SS:
    case AV_NS:
    case AV_BS:
        return check_set(v, t, err);
    case AV_M:
        json_object_foreach(v, k, x) {
            if (av_check(x, err) != 0)
                return -1;
        }
        return 0;
    case AV_L:
        json_array_foreach(v, i, x) {
            if (av_check(x, err) != 0)
                return -1;
        }
        return 0;
    default:
        return 0; /* S, B, BOOL: fully checked by their shape */
    }
}

/* Members are checked in order and "more than one datatype" last, which is
 * the order DynamoDB reports them in ({"S":"a","N":"x"} is a number error). */
static int av_check(json_t *av, err_t *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(av) || json_object_size(av) == 0)
        return err_set(err, ERR_DDB_VALIDATION, MSG_EMPTY_AV);
    json_object_foreach(av, key, v) {
        if (check_member(v, av_type_parse(key), err) != 0)
            return -1;
    }
    if (json_object_size(av) > 1)
        return err_set(err, ERR_DDB_VALIDATION, MSG_MULTI_AV);
    return 0;
}

int av_validate(json_t *av, err_t *err)
{
    if (av_shape(av, 1, err) != 0)
        return -1;
    return av_check(av, err);
}

int av_validate_item(json_t *item, err_t *err)
{
    const char *k;
    json_t *v;

    if (item == NULL || !json_is_object(item))
        return shape_error(err, item, WANT_MAP);
    /* Every shape error in the request outranks any value error. */
    json_object_foreach(item, k, v) {
        if (av_shape(v, 1, err) != 0)
            return -1;
    }
    json_object_foreach(item, k, v) {
        if (av_check(v, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- size -------------------------------------------------------------------------------- */

/*
 * A number is stored as base-100 digits aligned on its decimal exponent:
 * 1 byte of header, one byte per digit pair (a leading pad digit when the
 * scientific exponent is even), 1 more for negatives; zero is 1 byte.
 * This is the formula dynalite measured against DynamoDB.
 */
static size_t num_size(const char *s)
{
    num_t n;

    if (s == NULL || num_parse(s, &n, NULL) != 0)
        return s ? strlen(s) : 0;
    if (n.ndigits == 0)
        return 1;
    int pad = (n.exp - 1) % 2 == 0; /* scientific exponent = exp - 1 */
    return 1 + (size_t)(n.ndigits + pad + 1) / 2 + (n.sign < 0);
}

static size_t scalar_size(const json_t *v, av_type_t t)
{
    if (!json_is_string(v))
        return 0;
    if (t == AV_N || t == AV_NS)
        return num_size(json_string_value(v));
    if (t == AV_B || t == AV_BS)
        return base64_decoded_len(json_string_value(v), json_string_length(v));
    return json_string_length(v); /* UTF-8 bytes */
}

size_t av_value_size(const json_t *av)
{
    json_t *v, *x;
    av_type_t t = av_split(av, &v);
    size_t size = 0, i;
    const char *k;

    switch (t) {
    case AV_S:
    case AV_N:
    case AV_B:
        return scalar_size(v, t);
    case AV_BOOL:
    case AV_NULL:
        return 1;
    case AV_SS:
    case AV_NS:
    case AV_BS:
        json_array_foreach(v, i, x)
            size += scalar_size(x, t);
        return size;
    case AV_L:
        /* 3 bytes for the list, 1 per element. */
        json_array_foreach(v, i, x)
            size += 1 + av_value_size(x);
        return 3 + size;
    case AV_M:
        json_object_foreach(v, k, x)
            size += 1 + strlen(k) + av_value_size(x);
        return 3 + size;
    default:
        return 0;
    }
}

size_t av_item_size(const json_t *item)
{
    const char *k;
    json_t *v;
    size_t size = 0;

    json_object_foreach((json_t *)item, k, v)
        size += strlen(k) + av_value_size(v);
    return size;
}

/* ---- equality and order ------------------------------------------------------------------ */

static bool str_equal(const json_t *a, const json_t *b)
{
    size_t n = json_string_length(a);
    return json_is_string(a) && json_is_string(b) && n == json_string_length(b) &&
           memcmp(json_string_value(a), json_string_value(b), n) == 0;
}

/* Numbers compare by value; strings that are not numbers by spelling. */
static bool num_equal(const json_t *a, const json_t *b)
{
    num_t x, y;

    if (num_parse(json_string_value(a), &x, NULL) != 0 ||
        num_parse(json_string_value(b), &y, NULL) != 0)
        return str_equal(a, b);
    return num_cmp(&x, &y) == 0;
}

static int num_cmp_qsort(const void *a, const void *b)
{
    return num_cmp(a, b);
}

/* Sets are equal when their sorted members are; sorting keeps this
 * O(n log n) for the large sets a 400 KB item can hold. */
static bool set_equal(const json_t *a, const json_t *b, av_type_t t)
{
    size_t n = json_array_size(a), i, esz = t == AV_NS ? sizeof(num_t) : sizeof(av_str);
    unsigned char *va = NULL, *vb = NULL;
    bool eq = false;

    if (!json_is_array(a) || !json_is_array(b) || n != json_array_size(b))
        return false;
    va = malloc((n ? n : 1) * esz);
    vb = malloc((n ? n : 1) * esz);
    if (va == NULL || vb == NULL)
        goto out;
    for (i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
        if (!json_is_string(x) || !json_is_string(y))
            goto out;
        if (t == AV_NS) {
            if (num_parse(json_string_value(x), (num_t *)va + i, NULL) != 0 ||
                num_parse(json_string_value(y), (num_t *)vb + i, NULL) != 0)
                goto out;
        } else {
            ((av_str *)va)[i] = (av_str){json_string_value(x), json_string_length(x)};
            ((av_str *)vb)[i] = (av_str){json_string_value(y), json_string_length(y)};
        }
    }
    int (*cmp)(const void *, const void *) = t == AV_NS ? num_cmp_qsort : str_cmp;
    qsort(va, n, esz, cmp);
    qsort(vb, n, esz, cmp);
    eq = true;
    for (i = 0; i < n && eq; i++)
        eq = cmp(va + i * esz, vb + i * esz) == 0;
out:
    free(va);
    free(vb);
    return eq;
}

bool av_equal(const json_t *a, const json_t *b)
{
    json_t *x, *y, *e;
    av_type_t t = av_split(a, &x);
    const char *k;
    size_t i;

    if (t == AV_INVALID || av_split(b, &y) != t)
        return false;
    switch (t) {
    case AV_S:
    case AV_B: /* strict base64 is canonical: same bytes, same text */
        return str_equal(x, y);
    case AV_N:
        return num_equal(x, y);
    case AV_BOOL:
        return json_is_true(x) == json_is_true(y);
    case AV_NULL:
        return true;
    case AV_L:
        if (!json_is_array(x) || !json_is_array(y) || json_array_size(x) != json_array_size(y))
            return false;
        json_array_foreach(x, i, e) {
            if (!av_equal(e, json_array_get(y, i)))
                return false;
        }
        return true;
    case AV_M:
        if (!json_is_object(x) || !json_is_object(y) || json_object_size(x) != json_object_size(y))
            return false;
        json_object_foreach(x, k, e) {
            if (!av_equal(e, json_object_get(y, k)))
                return false;
        }
        return true;
    default:
        return set_equal(x, y, t);
    }
}

static int bytes_cmp(const unsigned char *a, size_t na, const unsigned char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c != 0 ? c : (na > nb) - (na < nb);
}

int av_compare(const json_t *a, const json_t *b, int *cmp)
{
    json_t *x, *y;
    av_type_t t = av_split(a, &x);
    unsigned char *ba = NULL, *bb = NULL;
    size_t na, nb;
    num_t p, q;
    int rc = -1;

    if ((t != AV_S && t != AV_N && t != AV_B) || av_split(b, &y) != t)
        return -1;
    if (!json_is_string(x) || !json_is_string(y))
        return -1;
    if (t == AV_S) {
        /* UTF-8 byte order, which is code point order: DynamoDB's. */
        *cmp = bytes_cmp((const unsigned char *)json_string_value(x), json_string_length(x),
                         (const unsigned char *)json_string_value(y), json_string_length(y));
        return 0;
    }
    if (t == AV_N) {
        if (num_parse(json_string_value(x), &p, NULL) != 0 ||
            num_parse(json_string_value(y), &q, NULL) != 0)
            return -1;
        *cmp = num_cmp(&p, &q);
        return 0;
    }
    if (av_binary_decode(x, &ba, &na) != 0 || av_binary_decode(y, &bb, &nb) != 0)
        goto out;
    *cmp = bytes_cmp(ba, na, bb, nb);
    rc = 0;
out:
    free(ba);
    free(bb);
    return rc;
}

/* ---- keys and binaries ------------------------------------------------------------------- */

int av_key_encode(const json_t *av, unsigned char **out, size_t *len, err_t *err)
{
    json_t *v;
    av_type_t t = av_split(av, &v);
    num_t n;

    *out = NULL;
    *len = 0;
    if ((t != AV_S && t != AV_N && t != AV_B) || !json_is_string(v))
        return err_set(err, ERR_DDB_VALIDATION,
                       MSG_INVALID "Key attributes must be of type S, N or B, not %s",
                       t == AV_INVALID ? "an invalid AttributeValue" : av_type_name(t));
    if (t == AV_B) {
        if (av_binary_decode(v, out, len) != 0)
            return err_set(err, ERR_DDB_VALIDATION, MSG_INVALID "Invalid binary key value");
        return 0;
    }
    if (t == AV_N) {
        if (num_parse(json_string_value(v), &n, err) != 0)
            return -1;
        *out = malloc(NUM_KEY_MAX);
        if (*out == NULL)
            return err_set(err, ERR_INTERNAL, "out of memory");
        *len = num_key_encode(&n, *out);
        return 0;
    }
    *len = json_string_length(v);
    *out = malloc(*len ? *len : 1);
    if (*out == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    memcpy(*out, json_string_value(v), *len);
    return 0;
}

int av_binary_decode(const json_t *b_string, unsigned char **out, size_t *len)
{
    *out = NULL;
    if (!json_is_string(b_string))
        return -1;
    return base64_decode(json_string_value(b_string), json_string_length(b_string), out, len);
}
