DEPS_test_expr := src/emu/expr_lex.c src/emu/expr_ast.c src/emu/expr_parse.c src/emu/expr_cond.c \
	src/emu/expr_eval.c src/emu/expr_update.c src/emu/expr_key.c src/emu/expr_legacy.c \
	src/emu/expr_reserved.c src/emu/num.c src/emu/av.c src/common/err.c src/common/base64.c
