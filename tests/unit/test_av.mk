DEPS_test_av := src/emu/av.c src/emu/num.c src/common/base64.c src/common/err.c
