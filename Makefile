# berth: plain `make` builds build/berthd and build/berth.
# `make run` installs what is missing, builds, and starts berthd in the foreground.
# `make test` installs what is missing and runs the whole suite.
CC      ?= cc
VERSION := 0.1.0
PKGS    := libmicrohttpd jansson sqlite3 libsodium libcurl libssh libarchive libcrypto
BUILD   ?= build
SAN     ?=
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wno-format-nonliteral
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
ifneq ($(SAN),)
  CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  HARDEN := -fPIE
endif
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DBERTH_VERSION=\"$(VERSION)\" $(CFLAGS) $(WARN) $(HARDEN) -Isrc \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
# every file under src/ is compiled with lib/banned.h (functions berth does not call)
BANNED  := -include src/lib/banned.h
LDFLAGS ?=
ALL_LDFLAGS = $(CFLAGS) -pie -Wl,-z,relro,-z,now $(LDFLAGS)
LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

LIB_SRC    := $(wildcard src/lib/*.c)
DAEMON_SRC := $(wildcard src/store/*.c src/svc/*.c src/api/*.c src/drivers/*.c src/core/*.c src/jobs/*.c src/ops/*.c src/render/*.c)
CLI_SRC    := $(wildcard src/cli/*.c)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test-deps run test unit integration asan clean check-deps check-layers console fuzz
all: check-deps $(BUILD)/berthd $(BUILD)/berth $(BUILD)/tests/engine_stream_probe \
	$(BUILD)/tests/fuzz_nginx_sample console

# The web console (web/, docs/console.md): built into web/dist by npm when its sources or its
# lock changed; without node and npm, `make` builds berthd anyway and says how to get them.
WEB_SRC   := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts \
	web/tsconfig.json web/package.json web/package-lock.json web/scripts/size.mjs
WEB_STAMP := web/dist/.built
console:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(WEB_STAMP); \
	else \
		echo "console: node and npm are missing, the web console is not built (scripts/install-deps.sh installs them; make run and make test do)"; \
	fi
$(WEB_STAMP): $(WEB_SRC)
	@cd web && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }
	@cd web && npm run --silent build
	@touch $@

check-deps:
	@pkg-config --exists $(PKGS) || { echo "missing build dependencies: run scripts/install-deps.sh (as root)"; exit 1; }

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(BANNED) -c $< -o $@

# made afresh: `ar r` would keep the member of a source file that was removed
$(BUILD)/libberth.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/libberthd.a: $(DAEMON_OBJ)
	rm -f $@ && ar rcs $@ $(filter-out %/berthd_main.o,$^)

$(BUILD)/berthd: $(BUILD)/obj/src/berthd_main.o $(BUILD)/libberthd.a $(BUILD)/libberth.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/berth: $(CLI_OBJ) $(BUILD)/libberth.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libberthd.a $(BUILD)/libberth.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

# test tools (tests/tools/*.c) linking the daemon's library, for integration tests
$(BUILD)/tests/engine_stream_probe: tests/tools/engine_stream_probe.c $(BUILD)/libberthd.a $(BUILD)/libberth.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# renders the nginx fuzz target's inputs into a configuration tree for `nginx -t`
# (tests/integration/test_fuzz_nginx.py)
$(BUILD)/tests/fuzz_nginx_sample: tests/fuzz/nginx_sample.c tests/fuzz/common.c $(BUILD)/libberthd.a $(BUILD)/libberth.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# ---- fuzzing (tests/fuzz, docs/fuzzing.md) ----
# libFuzzer targets, built by clang with AddressSanitizer and UBSan in build/fuzz from the same
# sources as the daemon (the ones the validators and renderers need). scripts/fuzz.sh runs them.
FUZZ_CC      ?= clang
FUZZ_BUILD   := build/fuzz
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -DBERTH_VERSION=\"$(VERSION)\" -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined $(WARN) -Isrc -Itests/fuzz \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_LIB_SRC := $(LIB_SRC) $(wildcard src/render/*.c) src/core/settings.c src/core/backup_rules.c
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
fuzz: $(FUZZ_BIN)
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP $(BANNED) -c $< -o $@
$(FUZZ_BUILD)/libberth-fuzz.a: $(FUZZ_LIB_OBJ) $(FUZZ_BUILD)/obj/tests/fuzz/common.o
	rm -f $@ && ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libberth-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

deps:
	scripts/install-deps.sh build
test-deps:
	scripts/install-deps.sh test

run: deps
	$(MAKE) all
	scripts/run.sh

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

integration: all
	/usr/bin/python3 -m pytest -q tests/integration

check-layers:
	@scripts/check-layers.sh

asan:
	$(MAKE) BUILD=build/asan SAN=1 all unit

test: test-deps
	scripts/test.sh

clean:
	rm -rf $(BUILD) web/dist

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
