/*
 * crc32.h - CRC-32 (IEEE 802.3, as zlib), for DynamoDB's x-amz-crc32 header.
 */
#ifndef EMU_CRC32_H
#define EMU_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_compute(const void *data, size_t len);

#endif
