DEPS_test_handler_jdoc := src/handler/fi_jdoc.c src/common/jtext.c src/handler/fi_record.c \
	src/handler/fi_json.c src/common/sigv4.c src/common/digest.c src/common/base64.c
