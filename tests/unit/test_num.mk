DEPS_test_num := src/emu/num.c src/common/err.c
