/*
 * test_util.h - helpers shared by the unit tests: where fixtures live, and
 * reading one whole.  Header-only (static inline) so a test picks it up by
 * including it, whatever its .mk links.
 *
 * Fixtures are under fixtures/ of the repository root (the tests run from
 * there), or under $FIXTURES_DIR when it is set.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

/* The path of fixture rel (e.g. "records/x.json") in path[0..size). */
static inline const char *test_fixture_path(const char *rel, char *path, size_t size)
{
    const char *dir = getenv("FIXTURES_DIR");
    snprintf(path, size, "%s/%s", dir ? dir : "fixtures", rel);
    return path;
}

/* The whole of fixture rel, NUL-terminated, its length in *len; caller
 * frees.  Aborts the test when the file cannot be read: a missing
 * fixture is a broken checkout, not a result. */
static inline char *test_fixture(const char *rel, size_t *len)
{
    char path[512];
    test_fixture_path(rel, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

#endif
