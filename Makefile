# emu + handler: an offline Kinesis -> Lambda -> DynamoDB pipeline.
#
#   make            build ./emu and ./handler
#   make emu        build ./emu only
#   make test       unit tests (ASan+UBSan) and end-to-end tests against a live emu
#   make bench      benchmark against the peers (see tests/bench/)
#   make deps       install missing Debian/npm packages
#   V=1             show the commands
#
# Sources are picked up by folder: src/common (shared), src/emu, src/handler.
# Every src/<prog>/main.c holds that program's main(); all other objects are
# also linked into the unit tests (tests/unit/test_*.c, one per module).

CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libcurl libcrypto
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -D_GNU_SOURCE $(WARN) -MMD -MP $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := -Wl,--as-needed $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmicrohttpd -ljansson -lsqlite3 -lcurl -lcrypto) -lpthread -lm
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

ifeq ($(V),1)
Q :=
else
Q := @
endif

COMMON_SRC  := $(wildcard src/common/*.c)
EMU_SRC     := $(wildcard src/emu/*.c)
HANDLER_SRC := $(wildcard src/handler/*.c)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)

obj = $(patsubst src/%.c,$(1)/%.o,$(2))
LIB_SRC = $(COMMON_SRC) $(filter-out src/emu/main.c,$(EMU_SRC)) $(filter-out src/handler/main.c,$(HANDLER_SRC))

.PHONY: all test unit e2e bench deps clean asan
all: emu handler

DEPS_OK := build/.deps-ok
$(DEPS_OK):
	$(Q)./.ci/deps build
	$(Q)mkdir -p build && touch $@

emu: $(call obj,build/rel,$(COMMON_SRC) $(EMU_SRC))
	@echo "  LD    $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

handler: $(call obj,build/rel,$(COMMON_SRC) $(HANDLER_SRC))
	@echo "  LD    $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/rel/%.o: src/%.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

build/asan/%.o: src/%.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo "  CC    $< (asan)"
	$(Q)$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

build/asan/bin/emu: $(call obj,build/asan,$(COMMON_SRC) $(EMU_SRC))
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

build/asan/bin/handler: $(call obj,build/asan,$(COMMON_SRC) $(HANDLER_SRC))
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

# A unit test links the objects named in tests/unit/<test>.mk as
#   DEPS_<test> := src/emu/num.c src/common/err.c
# or, without that file, every library object.
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(UNIT_SRC))
-include $(wildcard tests/unit/*.mk)
define unit_rule
build/asan/tests/$(1): tests/unit/$(1).c $$(call obj,build/asan,$$(or $$(DEPS_$(1)),$$(LIB_SRC))) | $$(DEPS_OK)
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$< (asan)"
	$$(Q)$$(CC) $$(CFLAGS) $$(SAN) -Isrc -o $$@ $$^ $$(LDLIBS) -lcmocka
endef
$(foreach t,$(UNIT_NAMES),$(eval $(call unit_rule,$(t))))

UNIT_BIN := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))

asan: build/asan/bin/emu build/asan/bin/handler

# Unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
unit: $(UNIT_BIN)
	$(Q)./tests/run-unit $(UNIT_BIN)

# End-to-end tests: real clients against a live emu (sanitizer build).
e2e: asan all
	$(Q)./.ci/deps test
	$(Q)EMU_BIN=build/asan/bin/emu HANDLER_BIN=build/asan/bin/handler ./tests/run-e2e

test: unit e2e

bench: all
	$(Q)./tests/bench/run

deps:
	$(Q)./.ci/deps build test

clean:
	rm -rf build emu handler

-include $(shell find build -name '*.d' 2>/dev/null)
