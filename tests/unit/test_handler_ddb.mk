DEPS_test_handler_ddb := src/handler/ddb_client.c src/handler/config.c src/common/sigv4.c src/common/digest.c src/common/sigv4_curl.c src/common/buf.c
