DEPS_test_base64 := src/common/base64.c
