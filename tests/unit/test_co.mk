DEPS_test_co := src/emu/co.c
