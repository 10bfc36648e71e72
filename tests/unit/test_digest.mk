DEPS_test_digest := src/common/digest.c
