/*
 * lam_esm_lanes.c - lanes of a ParallelizationFactor > 1 mapping: key
 * routing and the safe checkpoint of a chunk.  See lam_esm_lanes.h.
 */
#include "lam_esm_lanes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int lam_lane_of(const char *key, int nlanes)
{
    if (nlanes <= 1)
        return 0;
    uint64_t h = 1469598103934665603ull; /* FNV-1a 64 */
    for (const unsigned char *p = (const unsigned char *)(key ? key : ""); *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return (int)(h % (uint64_t)nlanes);
}

int lam_lanes_init(lam_lanes *ls, const char *const *keys, size_t n, int nlanes)
{
    memset(ls, 0, sizeof *ls);
    if (nlanes < 1)
        nlanes = 1;
    if (nlanes > LAM_LANES_MAX)
        nlanes = LAM_LANES_MAX;
    ls->nlanes = nlanes;
    ls->n = n;
    ls->idx = malloc((n > 0 ? n : 1) * sizeof *ls->idx);
    unsigned char *lane = malloc(n > 0 ? n : 1);
    if (ls->idx == NULL || lane == NULL) {
        free(lane);
        lam_lanes_free(ls);
        return -1;
    }
    size_t count[LAM_LANES_MAX] = {0};
    for (size_t i = 0; i < n; i++) {
        lane[i] = (unsigned char)lam_lane_of(keys[i], nlanes);
        count[lane[i]]++;
    }
    for (int k = 0; k < nlanes; k++)
        ls->start[k + 1] = ls->start[k] + count[k];
    size_t fill[LAM_LANES_MAX];
    memcpy(fill, ls->start, sizeof fill);
    for (size_t i = 0; i < n; i++) /* stable: each lane keeps sequence order */
        ls->idx[fill[lane[i]]++] = i;
    free(lane);
    return 0;
}

void lam_lanes_free(lam_lanes *ls)
{
    free(ls->idx);
    ls->idx = NULL;
}

const size_t *lam_lanes_get(const lam_lanes *ls, int k, size_t *count)
{
    if (k < 0 || k >= ls->nlanes) {
        *count = 0;
        return ls->idx;
    }
    *count = ls->start[k + 1] - ls->start[k];
    return ls->idx + ls->start[k];
}

size_t lam_lanes_ack(lam_lanes *ls, int k, size_t done)
{
    if (k >= 0 && k < ls->nlanes) {
        size_t count = ls->start[k + 1] - ls->start[k];
        if (done > count)
            done = count;
        if (done > ls->done[k])
            ls->done[k] = done;
    }
    size_t safe = ls->n;
    for (int j = 0; j < ls->nlanes; j++) {
        size_t count = ls->start[j + 1] - ls->start[j];
        if (ls->done[j] < count && ls->idx[ls->start[j] + ls->done[j]] < safe)
            safe = ls->idx[ls->start[j] + ls->done[j]];
    }
    if (safe > ls->safe)
        ls->safe = safe;
    return ls->safe;
}
