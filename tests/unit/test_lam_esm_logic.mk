DEPS_test_lam_esm_logic := src/emu/lam_esm_logic.c
