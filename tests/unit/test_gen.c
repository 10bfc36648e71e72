/*
 * test_gen.c - unit tests of `emu generate` (src/emu/gen*.c): the PRNG,
 * collections, the face-search record builder (determinism and the
 * formats.md section 1 schema), ranges, options and the token bucket.
 * No network: the Kinesis client is covered by tests/e2e/test_generate.py.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu/gen.h"

#define ARN "arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam/1"

/* ------------------------------------------------------------ helpers */

typedef struct fixture {
    gen_collection coll;
    gen_source src;
} fixture;

static void fixture_open(fixture *f, int flo, int fhi, int mlo, int mhi, uint64_t seed)
{
    char err[GEN_ERR_MAX];
    gen_params p = {{flo, fhi}, {mlo, mhi}, 1717430400.0, 5, ARN};
    assert_int_equal(gen_collection_builtin(&f->coll), 0);
    assert_int_equal(gen_source_init(&f->src, &p, &f->coll, seed, err), 0);
}

static void fixture_close(fixture *f)
{
    gen_source_free(&f->src);
    gen_collection_free(&f->coll);
}

static char *next_text(gen_source *s)
{
    json_t *rec = gen_record_new(s);
    assert_non_null(rec);
    char *t = gen_record_dump(rec);
    assert_non_null(t);
    json_decref(rec);
    return t;
}

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/test_gen_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static void check_unit_box(json_t *box)
{
    assert_true(json_is_object(box));
    assert_int_equal(json_object_size(box), 4);
    double w = num(box, "Width"), h = num(box, "Height"), l = num(box, "Left"), t = num(box, "Top");
    assert_true(w > 0 && w <= 1 && h > 0 && h <= 1);
    assert_true(l >= 0 && l <= 1 && t >= 0 && t <= 1);
    assert_true(l + w <= 1.00001 && t + h <= 1.00001);
}

/* ---------------------------------------------------------------- PRNG */

static void test_rng_deterministic(void **state)
{
    (void)state;
    gen_rng a, b, c;
    gen_rng_seed(&a, 42);
    gen_rng_seed(&b, 42);
    gen_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = gen_rng_next(&a);
        assert_true(x == gen_rng_next(&b));
        differ += x != gen_rng_next(&c);
    }
    assert_true(differ > 990);
}

static void test_rng_ranges(void **state)
{
    (void)state;
    gen_rng r;
    int seen[7] = {0};
    gen_rng_seed(&r, 1);
    for (int i = 0; i < 10000; i++) {
        double u = gen_rng_unit(&r), v = gen_rng_range(&r, 80, 100);
        assert_true(u >= 0 && u < 1);
        assert_true(v >= 80 && v < 100);
        uint64_t k = gen_rng_below(&r, 7);
        assert_true(k < 7);
        seen[k]++;
    }
    for (int i = 0; i < 7; i++)
        assert_true(seen[i] > 1200 && seen[i] < 1650);
}

static void test_partition_key(void **state)
{
    (void)state;
    gen_rng r;
    char pk[16];
    gen_rng_seed(&r, 9);
    for (int i = 0; i < 1000; i++) {
        gen_partition_key(&r, pk);
        size_t n = strlen(pk);
        assert_true(n >= 1 && n <= 10);
        assert_true(strspn(pk, "0123456789") == n);
    }
}

/* ------------------------------------------------------------- records */

static void test_same_seed_identical(void **state)
{
    (void)state;
    fixture a, b;
    fixture_open(&a, 0, 3, 0, 2, 42);
    fixture_open(&b, 0, 3, 0, 2, 42);
    for (int i = 0; i < 300; i++) {
        char *x = next_text(&a.src), *y = next_text(&b.src);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    fixture_close(&a);
    fixture_close(&b);
}

static void test_different_seed_differs(void **state)
{
    (void)state;
    fixture a, b;
    fixture_open(&a, 0, 3, 0, 2, 42);
    fixture_open(&b, 0, 3, 0, 2, 43);
    int same = 0;
    for (int i = 0; i < 50; i++) {
        char *x = next_text(&a.src), *y = next_text(&b.src);
        same += strcmp(x, y) == 0;
        free(x);
        free(y);
    }
    assert_true(same < 5);   /* only a face-less frame in the same fragment could match */
    fixture_close(&a);
    fixture_close(&b);
}

/* The collection face behind a match must be exactly one of ours. */
static void check_match(const gen_collection *c, json_t *m, double *prev_sim)
{
    double sim = num(m, "Similarity");
    assert_true(sim >= 80 && sim <= 100);
    assert_true(sim <= *prev_sim);   /* best match first */
    *prev_sim = sim;
    json_t *face = json_object_get(m, "Face");
    check_unit_box(json_object_get(face, "BoundingBox"));
    double conf = num(face, "Confidence");
    assert_true(conf >= 0 && conf <= 100);
    const char *fid = json_string_value(json_object_get(face, "FaceId"));
    const char *iid = json_string_value(json_object_get(face, "ImageId"));
    json_t *ext = json_object_get(face, "ExternalImageId");
    assert_non_null(fid);
    assert_non_null(iid);
    size_t i;
    for (i = 0; i < c->n && strcmp(c->people[i].face_id, fid) != 0; i++)
        ;
    assert_true(i < c->n);
    const gen_person *p = &c->people[i];
    assert_string_equal(p->image_id, iid);
    if (p->external_image_id)
        assert_string_equal(p->external_image_id, json_string_value(ext));
    else
        assert_null(ext);
    assert_true(conf == p->confidence);
}

static void check_detected(json_t *d)
{
    static const char *const types[5] = {"eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"};
    check_unit_box(json_object_get(d, "BoundingBox"));
    double conf = num(d, "Confidence");
    assert_true(conf >= 0 && conf <= 100);
    json_t *lm = json_object_get(d, "Landmarks");
    assert_int_equal(json_array_size(lm), 5);
    for (int i = 0; i < 5; i++) {
        json_t *l = json_array_get(lm, i);
        assert_string_equal(json_string_value(json_object_get(l, "Type")), types[i]);
        assert_true(num(l, "X") >= 0 && num(l, "X") <= 1 && num(l, "Y") >= 0 && num(l, "Y") <= 1);
    }
    json_t *pose = json_object_get(d, "Pose"), *q = json_object_get(d, "Quality");
    assert_true(fabs(num(pose, "Pitch")) <= 90 && fabs(num(pose, "Roll")) <= 180);
    assert_true(fabs(num(pose, "Yaw")) <= 90);
    assert_true(num(q, "Brightness") >= 0 && num(q, "Brightness") <= 100);
    assert_true(num(q, "Sharpness") >= 0 && num(q, "Sharpness") <= 100);
}

/* Schema checks on one record; counts faces and matches per face. */
static void check_record(const gen_collection *c, json_t *rec, int nfaces[], int nmatch[],
                         char prev_frag[48], double *prev_frame)
{
    json_t *kv = json_object_get(json_object_get(rec, "InputInformation"), "KinesisVideo");
    assert_string_equal(json_string_value(json_object_get(kv, "StreamArn")), ARN);
    const char *frag = json_string_value(json_object_get(kv, "FragmentNumber"));
    assert_non_null(frag);
    assert_int_equal(strlen(frag), 47);
    assert_int_equal(strspn(frag, "0123456789"), 47);
    assert_true(strcmp(frag, prev_frag) >= 0);
    strcpy(prev_frag, frag);
    double prod = num(kv, "ProducerTimestamp"), off = num(kv, "FrameOffsetInSeconds");
    assert_true(num(kv, "ServerTimestamp") > prod);
    assert_true(off >= 0 && off < 2.3);
    assert_true(prod + off > *prev_frame);
    *prev_frame = prod + off;
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(rec, "StreamProcessorInformation"), "Status")), "RUNNING");
    json_t *faces = json_object_get(rec, "FaceSearchResponse");
    assert_true(json_is_array(faces));
    nfaces[json_array_size(faces)]++;
    for (size_t i = 0; i < json_array_size(faces); i++) {
        json_t *f = json_array_get(faces, i), *m = json_object_get(f, "MatchedFaces");
        check_detected(json_object_get(f, "DetectedFace"));
        assert_true(json_is_array(m));
        nmatch[json_array_size(m)]++;
        double prev = 100;
        for (size_t j = 0; j < json_array_size(m); j++) {
            check_match(c, json_array_get(m, j), &prev);
            for (size_t k = 0; k < j; k++)   /* distinct collection faces */
                assert_string_not_equal(
                    json_string_value(json_object_get(json_object_get(json_array_get(m, k), "Face"), "FaceId")),
                    json_string_value(json_object_get(json_object_get(json_array_get(m, j), "Face"), "FaceId")));
        }
    }
}

static void test_schema_and_ranges(void **state)
{
    (void)state;
    fixture f;
    int nfaces[8] = {0}, nmatch[8] = {0};
    char frag[48] = "";
    double frame = 0;
    fixture_open(&f, 0, 3, 0, 2, 7);
    for (int i = 0; i < 2000; i++) {
        char *text = next_text(&f.src);
        json_t *rec = json_loads(text, 0, NULL);   /* the bytes parse back */
        assert_non_null(rec);
        check_record(&f.coll, rec, nfaces, nmatch, frag, &frame);
        json_decref(rec);
        free(text);
    }
    for (int k = 0; k <= 3; k++)
        assert_true(nfaces[k] > 300);   /* every face count appears */
    for (int k = 0; k <= 2; k++)
        assert_true(nmatch[k] > 300);   /* every match count appears */
    assert_int_equal(nfaces[4] + nmatch[3], 0);
    fixture_close(&f);
}

static void test_narrow_ranges(void **state)
{
    (void)state;
    static const int cases[][4] = {{0, 0, 0, 0}, {2, 2, 0, 0}, {1, 1, 3, 3}, {5, 5, 20, 20}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fixture f;
        int nfaces[8] = {0}, nmatch[32] = {0};
        char frag[48] = "";
        double frame = 0;
        fixture_open(&f, cases[c][0], cases[c][1], cases[c][2], cases[c][3], c);
        for (int i = 0; i < 50; i++) {
            json_t *rec = gen_record_new(&f.src);
            check_record(&f.coll, rec, nfaces, nmatch, frag, &frame);
            json_decref(rec);
        }
        assert_int_equal(nfaces[cases[c][0]], 50);
        assert_int_equal(nmatch[cases[c][2]], 50 * cases[c][0]);
        fixture_close(&f);
    }
}

static void test_numbers_as_written(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, 3, 3, 2, 2, 5);
    char *t = next_text(&f.src);
    /* rounded values print short: no binary noise like 0.18342000000000001 */
    assert_null(strstr(t, "00000000"));
    assert_null(strstr(t, "99999999"));
    assert_non_null(strstr(t, "\"ProducerTimestamp\":1717430400.0"));
    assert_true(strncmp(t, "{\"InputInformation\":{\"KinesisVideo\":{\"StreamArn\":", 49) == 0);
    free(t);
    fixture_close(&f);
}

/* --------------------------------------------------------- collections */

static void test_builtin_collection(void **state)
{
    (void)state;
    gen_collection a, b;
    assert_int_equal(gen_collection_builtin(&a), 0);
    assert_int_equal(gen_collection_builtin(&b), 0);
    assert_int_equal(a.n, 20);
    int no_ext = 0, non_ascii = 0;
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.people[i].face_id, b.people[i].face_id);
        assert_string_equal(a.people[i].image_id, b.people[i].image_id);
        assert_int_equal(strlen(a.people[i].face_id), 36);
        const char *e = a.people[i].external_image_id;
        no_ext += e == NULL;
        for (; e && *e; e++)
            if ((unsigned char)*e >= 0x80) {
                non_ascii++;
                break;
            }
    }
    assert_int_equal(no_ext, 1);
    assert_int_equal(non_ascii, 1);
    gen_collection_free(&a);
    gen_collection_free(&b);
}

static void test_collection_load(void **state)
{
    (void)state;
    char *path = write_temp(
        "{\"Faces\":[{\"FaceId\":\"f1\",\"ImageId\":\"i1\",\"ExternalImageId\":\"x\","
        "\"Confidence\":99.5,\"BoundingBox\":{\"Width\":0.1,\"Height\":0.2,\"Left\":0.3,"
        "\"Top\":0.4}},{\"FaceId\":\"f2\",\"ImageId\":\"i2\"}]}");
    gen_collection c;
    char err[GEN_ERR_MAX];
    assert_int_equal(gen_collection_load(path, &c, err), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.people[0].external_image_id, "x");
    assert_true(c.people[0].confidence == 99.5 && c.people[0].box[3] == 0.4);
    assert_null(c.people[1].external_image_id);
    assert_true(c.people[1].confidence > 99 && c.people[1].box[0] > 0);
    gen_collection_free(&c);
    unlink(path);
    free(path);
    /* the committed fixture loads, when the test runs from the repo root */
    if (access("fixtures/collection.json", R_OK) == 0) {
        assert_int_equal(gen_collection_load("fixtures/collection.json", &c, err), 0);
        assert_true(c.n >= 2);
        gen_collection_free(&c);
    }
}

static void test_collection_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not json", "[]", "{\"people\":[]}", "{\"other\":[1]}", "[1]",
        "[{\"FaceId\":\"f\"}]", "[{\"FaceId\":\"\",\"ImageId\":\"i\"}]",
        "[{\"FaceId\":\"f\",\"ImageId\":\"i\"},{\"FaceId\":3,\"ImageId\":\"i\"}]",
        "[{\"FaceId\":\"f\",\"ImageId\":\"i\",\"ExternalImageId\":5}]",
        "[{\"FaceId\":\"f\",\"ImageId\":\"i\",\"Confidence\":\"high\"}]",
        "[{\"FaceId\":\"f\",\"ImageId\":\"i\",\"BoundingBox\":[]}]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *path = write_temp(bad[i]);
        gen_collection c = {0};
        char err[GEN_ERR_MAX] = "";
        assert_int_equal(gen_collection_load(path, &c, err), -1);
        assert_true(err[0] != '\0');
        assert_null(c.people);
        unlink(path);
        free(path);
    }
    gen_collection c;
    char err[GEN_ERR_MAX];
    assert_int_equal(gen_collection_load("/nonexistent/collection.json", &c, err), -1);
}

static void test_matches_exceed_collection(void **state)
{
    (void)state;
    gen_collection c;
    gen_source s;
    char err[GEN_ERR_MAX];
    gen_params p = {{0, 3}, {0, 21}, 0, 5, ARN};
    assert_int_equal(gen_collection_builtin(&c), 0);
    assert_int_equal(gen_source_init(&s, &p, &c, 1, err), -1);
    assert_non_null(strstr(err, "collection"));
    p.matches.hi = 20;
    assert_int_equal(gen_source_init(&s, &p, &c, 1, err), 0);
    gen_source_free(&s);
    p.fps = 0;
    assert_int_equal(gen_source_init(&s, &p, &c, 1, err), -1);
    gen_collection_free(&c);
}

/* ------------------------------------------------------ ranges, options */

static void test_range_parse(void **state)
{
    (void)state;
    static const struct { const char *in; int rc, lo, hi; } cases[] = {
        {"0-3", 0, 0, 3}, {"2", 0, 2, 2}, {"0", 0, 0, 0}, {"10-10", 0, 10, 10},
        {"3-1", -1, 0, 0}, {"", -1, 0, 0}, {"-", -1, 0, 0}, {"a-b", -1, 0, 0},
        {"1-", -1, 0, 0}, {"-1", -1, 0, 0}, {"0-101", -1, 0, 0}, {"1--2", -1, 0, 0},
        {" 1", -1, 0, 0}, {"1-2-3", -1, 0, 0}, {"99999999999", -1, 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gen_range r = {-7, -7};
        assert_int_equal(gen_range_parse(cases[i].in, 100, &r), cases[i].rc);
        if (cases[i].rc == 0)
            assert_true(r.lo == cases[i].lo && r.hi == cases[i].hi);
    }
    gen_range r;
    assert_int_equal(gen_range_parse(NULL, 100, &r), -1);
}

static void test_options(void **state)
{
    (void)state;
    static const struct { const char *args; int rc; } cases[] = {
        {"--stream s", 0},
        {"--stream s --rate 200 --duration 30s --faces 0-3 --matches 0-2 --seed 42", 0},
        {"--stream s --count 10 --create --shards 4 --endpoint http://h:1 --region eu-west-1", 0},
        {"--out f --count 5", 0}, {"--out f --duration 2m --rate 10", 0},
        {"--stream arn:aws:kinesis:us-east-1:1:stream/s --rate 0 --count 1", 0},
        {"--help", 1},
        {"", -1}, {"--stream", -1}, {"--stream s --rate", -1}, {"--stream s --rate -1", -1},
        {"--stream s --rate abc", -1}, {"--stream s --rate nan", -1}, {"--stream s --rate inf", -1},
        {"--stream s --duration 0", -1}, {"--stream s --duration 5x", -1},
        {"--stream s --count 0", -1}, {"--stream s --count -3", -1}, {"--stream s --count 1e3", -1},
        {"--stream s --faces 3-1", -1}, {"--stream s --matches x", -1},
        {"--stream s --seed", -1}, {"--stream s --seed -1", -1}, {"--stream s --bogus", -1},
        {"--stream s extra", -1}, {"--stream s --count 5 --duration 5s", -1},
        {"--out f", -1}, {"--out f --duration 5s --rate 0", -1}, {"--out f --count 1 --create", -1},
        {"--stream s --shards 0", -1}, {"--stream s --max-attempts 0", -1},
        {"--stream s --fps 0", -1}, {"--stream s --start-time yesterday", -1},
        {"--stream= --count 1", -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[512], *argv[32] = {"generate"};
        int argc = 1;
        snprintf(buf, sizeof buf, "%s", cases[i].args);
        for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
            argv[argc++] = t;
        gen_options o;
        char err[GEN_ERR_MAX] = "";
        FILE *saved = stdout;
        if (cases[i].rc == 1)
            stdout = fopen("/dev/null", "w");
        int rc = gen_options_parse(argc, argv, &o, err);
        if (cases[i].rc == 1) {
            fclose(stdout);
            stdout = saved;
        }
        if (rc != cases[i].rc)
            fail_msg("'%s': rc %d, want %d (%s)", cases[i].args, rc, cases[i].rc, err);
        if (rc < 0)
            assert_true(err[0] != '\0');
    }
}

static void test_option_values(void **state)
{
    (void)state;
    char *argv[] = {"generate", "--stream", "faces", "--rate", "200", "--duration", "500ms",
                    "--faces", "1-4", "--seed", "42", NULL};
    gen_options o;
    char err[GEN_ERR_MAX];
    assert_int_equal(gen_options_parse(11, argv, &o, err), 0);
    assert_string_equal(o.stream, "faces");
    assert_true(o.rate == 200 && fabs(o.duration - 0.5) < 1e-9);
    assert_true(o.faces.lo == 1 && o.faces.hi == 4 && o.matches.lo == 0 && o.matches.hi == 2);
    assert_true(o.have_seed && o.seed == 42 && o.start_time == 1717430400.0);
    assert_int_equal(o.max_attempts, 8);
}

/* -------------------------------------------------------- token bucket */

static void test_bucket(void **state)
{
    (void)state;
    gen_bucket b;
    gen_bucket_init(&b, 100, 10, 0.0);
    assert_true(fabs(gen_bucket_wait(&b, 10, 0.0) - 0.1) < 1e-9);
    assert_int_equal(gen_bucket_take(&b, 500, 0.05), 5);
    assert_true(fabs(gen_bucket_wait(&b, 10, 0.05) - 0.1) < 1e-9);
    assert_true(gen_bucket_wait(&b, 10, 0.15) == 0);
    assert_int_equal(gen_bucket_take(&b, 3, 0.15), 3);   /* bounded by max */
    assert_int_equal(gen_bucket_take(&b, 500, 100.0), 10); /* bounded by cap */
    assert_int_equal(gen_bucket_take(&b, 500, 50.0), 0);   /* clock going back: nothing */
    assert_true(fabs(gen_bucket_wait(&b, 50, 100.0) - 0.1) < 1e-9); /* need capped at cap */
}

static void test_kin_bad_endpoint(void **state)
{
    (void)state;
    static const char *const bad[] = {"localhost:8000", "ftp://h/", "http://", "http:///x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gen_kin_config cfg = {bad[i], "us-east-1", "a", "s", NULL, 3};
        char err[GEN_ERR_MAX] = "";
        assert_null(gen_kin_new(&cfg, err));
        assert_non_null(strstr(err, "endpoint"));
    }
    gen_kin_config ok = {"http://127.0.0.1:1", "us-east-1", "a", "s", NULL, 3};
    char err[GEN_ERR_MAX];
    gen_kin *k = gen_kin_new(&ok, err);
    assert_non_null(k);
    gen_kin_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_deterministic),
        cmocka_unit_test(test_rng_ranges),
        cmocka_unit_test(test_partition_key),
        cmocka_unit_test(test_same_seed_identical),
        cmocka_unit_test(test_different_seed_differs),
        cmocka_unit_test(test_schema_and_ranges),
        cmocka_unit_test(test_narrow_ranges),
        cmocka_unit_test(test_numbers_as_written),
        cmocka_unit_test(test_builtin_collection),
        cmocka_unit_test(test_collection_load),
        cmocka_unit_test(test_collection_bad),
        cmocka_unit_test(test_matches_exceed_collection),
        cmocka_unit_test(test_range_parse),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_option_values),
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_kin_bad_endpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
