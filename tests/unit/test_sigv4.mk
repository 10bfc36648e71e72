DEPS_test_sigv4 := src/common/sigv4.c src/common/digest.c
