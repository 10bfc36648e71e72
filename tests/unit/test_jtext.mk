DEPS_test_jtext := src/common/jtext.c
