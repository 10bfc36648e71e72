DEPS_test_lam_esm_lanes := src/emu/lam_esm_lanes.c src/emu/lam_esm_logic.c
