DEPS_test_common := src/common/err.c src/common/crc32.c src/common/log.c
