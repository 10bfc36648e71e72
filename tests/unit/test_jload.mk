DEPS_test_jload := src/common/jload.c src/common/jtext.c src/common/base64.c
