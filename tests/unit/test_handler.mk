DEPS_test_handler := src/handler/face_ingest.c src/handler/fi_record.c src/handler/fi_json.c \
	src/handler/fi_jdoc.c src/common/jtext.c \
	src/handler/fi_write.c src/handler/fi_summary.c src/handler/fi_log.c src/handler/config.c \
	src/common/sigv4.c src/common/digest.c src/common/base64.c src/common/buf.c
