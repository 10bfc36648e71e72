DEPS_test_jload := src/common/jload.c src/common/jtext.c
