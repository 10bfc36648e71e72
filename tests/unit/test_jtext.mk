DEPS_test_jtext := src/common/jtext.c src/common/base64.c
