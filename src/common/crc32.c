/*
 * crc32.c - table-driven CRC-32 (reflected, polynomial 0xEDB88320).
 *
 * Slicing-by-8 because every DynamoDB response body is checksummed and
 * bodies reach 16 MB for large Query pages.
 */
#include "crc32.h"

#include <pthread.h>

static uint32_t crc32_table[8][256];
static pthread_once_t crc32_once = PTHREAD_ONCE_INIT;

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc32_table[0][i] = c;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++) {
            uint32_t c = crc32_table[t - 1][i];
            crc32_table[t][i] = (c >> 8) ^ crc32_table[0][c & 0xff];
        }
}

uint32_t crc32_compute(const void *data, size_t len)
{
    pthread_once(&crc32_once, crc32_init);
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    while (len >= 8) {
        uint32_t a = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                          (uint32_t)p[3] << 24);
        c = crc32_table[7][a & 0xff] ^ crc32_table[6][(a >> 8) & 0xff] ^
            crc32_table[5][(a >> 16) & 0xff] ^ crc32_table[4][a >> 24] ^
            crc32_table[3][p[4]] ^ crc32_table[2][p[5]] ^ crc32_table[1][p[6]] ^
            crc32_table[0][p[7]];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = crc32_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}
