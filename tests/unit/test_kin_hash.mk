DEPS_test_kin_hash := src/emu/kin_hash.c src/common/digest.c
