DEPS_test_gen := src/emu/gen.c src/emu/gen_record.c src/emu/gen_kin.c src/common/sigv4.c src/common/digest.c src/common/sigv4_curl.c \
	src/common/base64.c src/common/buf.c src/emu/curl_lazy.c src/common/log.c
