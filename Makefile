# keel: one Makefile. `make` builds build/keel (MODE=release keeps assertions).
# Modes: MODE=release|debug|asan|ubsan; each builds under build/<mode>/ and
# release also links build/keel. `make test` installs what is missing, builds,
# runs every suite and prints one line "N passed, N failed".

MODE ?= release
CC ?= cc
# clang builds go to their own directory so both compilers can be checked side by side.
BUILD_DIR := build/$(MODE)$(if $(findstring clang,$(CC)),-clang)

WARNINGS := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wconversion -Wsign-conversion -Wvla \
            -Wnull-dereference -Wstrict-prototypes -Wmissing-prototypes -Wimplicit-fallthrough
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g -MMD -MP -Isrc $(WARNINGS)
LIBS := -luring -lxxhash -lnettle -lm

ifeq ($(MODE),release)
  CFLAGS_MODE := -O2
else ifeq ($(MODE),debug)
  CFLAGS_MODE := -O0 -DKEEL_VERIFY
else ifeq ($(MODE),asan)
  CFLAGS_MODE := -O1 -DKEEL_VERIFY -DKEEL_NO_ALLOCATION_WATCH -fno-omit-frame-pointer \
                 -fsanitize=address,undefined -fno-sanitize-recover=all
  LDFLAGS_MODE := -fsanitize=address,undefined
else ifeq ($(MODE),ubsan)
  CFLAGS_MODE := -O1 -DKEEL_VERIFY -fsanitize=undefined -fno-sanitize-recover=all
  LDFLAGS_MODE := -fsanitize=undefined
else
  $(error MODE must be release, debug, asan or ubsan)
endif

CFLAGS := $(CFLAGS_BASE) $(CFLAGS_MODE) $(EXTRA_CFLAGS)
LDFLAGS := $(LDFLAGS_MODE) $(EXTRA_LDFLAGS)

SOURCES := $(wildcard src/*.c)
OBJECTS := $(patsubst src/%.c,$(BUILD_DIR)/%.o,$(SOURCES))
LIBRARY_OBJECTS := $(filter-out $(BUILD_DIR)/main.o,$(OBJECTS))

UNIT_SOURCES := $(wildcard tests/unit/test_*.c)
UNIT_BINARIES := $(patsubst tests/unit/%.c,$(BUILD_DIR)/tests/%,$(UNIT_SOURCES))

.PHONY: all test unit integration run deps clean check-plan tidy fuzz

all: $(BUILD_DIR)/keel
ifeq ($(MODE)$(findstring clang,$(CC)),release)
all: build/keel
build/keel: $(BUILD_DIR)/keel
	ln -sf release/keel build/keel
endif

$(BUILD_DIR)/keel: $(OBJECTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD_DIR)/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests link the modules they test; the list test uses a failure-injecting heap.
UNIT_CFLAGS := $(filter-out -Wmissing-prototypes,$(CFLAGS))
$(BUILD_DIR)/tests/test_list: tests/unit/test_list.c tests/unit/fake_heap.c \
		$(BUILD_DIR)/list.o $(BUILD_DIR)/base.o
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) -lcriterion $(LIBS)

$(BUILD_DIR)/tests/test_%: tests/unit/test_%.c $(LIBRARY_OBJECTS)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBRARY_OBJECTS) -lcriterion $(LIBS)

unit: $(UNIT_BINARIES) $(BUILD_DIR)/tests/no_io_uring

# A wrapper that forbids io_uring_setup (seccomp), for the epoll fallback test.
$(BUILD_DIR)/tests/no_io_uring: tests/tools/no_io_uring.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o $@ $<

# libFuzzer targets (clang, ASan + UBSan). `make fuzz` builds them; scripts/fuzz.sh runs them.
FUZZ_DIR := build/fuzz
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all -DKEEL_VERIFY
fuzz: $(FUZZ_DIR)/fuzz_resp $(FUZZ_DIR)/fuzz_command

$(FUZZ_DIR)/fuzz_resp: tests/fuzz/fuzz_resp.c src/resp.c src/base.c src/resp.h src/base.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_resp.c src/resp.c src/base.c

# The canary: the same target with a planted parser bug, which the fuzzer must find.
$(FUZZ_DIR)/fuzz_resp_canary: tests/fuzz/fuzz_resp.c src/resp.c src/base.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -DKEEL_FUZZ_CANARY -o $@ tests/fuzz/fuzz_resp.c src/resp.c src/base.c

# The whole command path in process (tests/fuzz/fuzz_command.c): every module but main.c
# (the harness includes it for its startup steps), instrumented for coverage. The clock is
# frozen by renaming clock_gettime in server.c; dispatch and the data-heap allocators are
# wrapped at link time (the per-command oracles, fault injection).
FUZZ_OBJ_DIR := $(FUZZ_DIR)/obj
FUZZ_OBJ_FLAGS := $(filter-out -fsanitize=%,$(FUZZ_FLAGS)) \
                  -fsanitize=fuzzer-no-link,address,undefined -DKEEL_NO_ALLOCATION_WATCH -MMD -MP
FUZZ_COMMAND_OBJECTS := $(patsubst src/%.c,$(FUZZ_OBJ_DIR)/%.o,$(filter-out src/main.c,$(SOURCES)))
$(FUZZ_OBJ_DIR)/server.o: FUZZ_OBJ_EXTRA := -Dclock_gettime=fuzz_clock_gettime

$(FUZZ_OBJ_DIR)/%.o: src/%.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_OBJ_FLAGS) $(FUZZ_OBJ_EXTRA) -c -o $@ $<

$(FUZZ_DIR)/fuzz_command: tests/fuzz/fuzz_command.c src/main.c $(FUZZ_COMMAND_OBJECTS)
	clang $(FUZZ_FLAGS) -DKEEL_NO_ALLOCATION_WATCH -MMD -MP -o $@ tests/fuzz/fuzz_command.c \
		$(FUZZ_COMMAND_OBJECTS) -Wl,--wrap=commands_dispatch -Wl,--wrap=heap_alloc \
		-Wl,--wrap=heap_alloc_movable $(LIBS)

-include $(FUZZ_COMMAND_OBJECTS:.o=.d) $(FUZZ_DIR)/fuzz_command.d

deps:
	@scripts/deps.sh

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory CC=clang all
	@$(MAKE) --no-print-directory unit
	@scripts/test.sh

run: deps all
	./build/keel

check-plan: all
	./build/keel --check-plan

tidy:
	@scripts/tidy.sh

clean:
	rm -rf build

-include $(OBJECTS:.o=.d)
