# The nginx-free parts: the core library, unit tests (plain and under
# ASan/UBSan), sector plugins and the plugin checker.  The nginx module
# itself is built by auto/build through nginx's own configure.

B        ?= build
CC       ?= cc
WARN      = -Wall -Wextra -Wno-unused-parameter
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -fPIC -std=gnu11
CPPFLAGS += -Imodule/core -Iplugins/include
LIBS      = -ljansson -lhiredis -lcrypto -ldl
SAN       = -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all

CORE_SRC  = $(wildcard module/core/*.c)
UNIT_SRC  = $(wildcard tests/unit/*.c)
ITEST_SRC = $(wildcard tests/integration/*.c)
PLUGINS   = $(patsubst plugins/%/,%,$(dir $(wildcard plugins/*/plugin.c)))
TOOLS_SRC = $(wildcard plugins/tools/*.c)

CORE_OBJ  = $(CORE_SRC:%.c=$(B)/obj/%.o)
SAN_OBJ   = $(CORE_SRC:%.c=$(B)/san/%.o)
HEADERS   = $(wildcard module/core/*.h plugins/include/*.h tests/unit/*.h \
                      tests/integration/*.h)

all: core unit integration plugins tools
core: $(B)/libdgcore.a
unit: $(B)/unit-tests $(B)/unit-tests-san
integration: $(B)/integration-tests $(B)/fixtures/fault-send.so \
             $(B)/fixtures/slow-cache.so
plugins: $(PLUGINS:%=$(B)/plugins/%.so)
tools: $(TOOLS_SRC:plugins/tools/%.c=$(B)/bin/%)

$(B)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/san/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c -o $@ $<

$(B)/libdgcore.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/libdgcore-san.a: $(SAN_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/unit-tests: $(UNIT_SRC:%.c=$(B)/obj/%.o) $(B)/libdgcore.a
	$(CC) $(CFLAGS) -o $@ $^ -lcunit $(LIBS) -rdynamic

$(B)/unit-tests-san: $(UNIT_SRC:%.c=$(B)/san/%.o) $(B)/libdgcore-san.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcunit $(LIBS) -rdynamic

# Integration tests talk HTTP to a running stack (tests/integration/run).
$(B)/integration-tests: $(ITEST_SRC:%.c=$(B)/obj/%.o) \
                        $(B)/obj/tests/unit/main.o
	$(CC) $(CFLAGS) -o $@ $^ -lcunit -lcurl -lpq -ljansson -lcrypto -lpthread

$(B)/obj/tests/integration/%.o: CPPFLAGS += -Itests/unit -I/usr/include/postgresql

# Preloaded into nginx by tests that need a send to PostgreSQL to fail.
$(B)/fixtures/fault-send.so: tests/integration/fixtures/fault_send.c
	@mkdir -p $(dir $@)
	$(CC) -I/usr/include/postgresql $(CFLAGS) -shared -o $@ $< -ldl

# Preloaded into nginx by tests that need the cache writes to be late.
$(B)/fixtures/slow-cache.so: tests/integration/fixtures/slow_cache.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $< -ldl -lcrypto

# A plugin sees only plugins/include: it links no gateway or nginx symbol.
$(B)/plugins/%.so: plugins/%/plugin.c plugins/include/*.h
	@mkdir -p $(dir $@)
	$(CC) -Iplugins/include $(CFLAGS) -shared -o $@ $<

$(B)/bin/%: plugins/tools/%.c $(B)/libdgcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LIBS)

# libFuzzer targets (tests/fuzz, run by auto/fuzz): the core and the
# sector plugins rebuilt with clang's coverage, ASan and UBSan.
FUZZ_CC   ?= clang-16
FUZZ_SAN  = -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_OBJ  = $(CORE_SRC:%.c=$(B)/fuzz/obj/%.o) $(B)/fuzz/obj/tests/fuzz/fuzz.o

fuzz: $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%) \
      $(PLUGINS:%=$(B)/fuzz/plugins/%.so)

$(B)/fuzz/obj/%.o: %.c $(HEADERS) tests/fuzz/fuzz.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	    -c -o $@ $<

$(B)/fuzz/obj/tests/fuzz/%.o: CPPFLAGS += -Itests/fuzz \
    -DDG_FUZZ_ROOT='"$(CURDIR)"' \
    -DDG_FUZZ_PLUGINS='"$(abspath $(B))/fuzz/plugins"'

$(B)/fuzz/fuzz_%: $(B)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJ)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS) \
	    -rdynamic

$(B)/fuzz/plugins/%.so: plugins/%/plugin.c plugins/include/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -Iplugins/include $(CFLAGS) $(FUZZ_SAN) \
	    -fsanitize=fuzzer-no-link -shared -o $@ $<

clean:
	rm -rf $(B)/obj $(B)/san $(B)/plugins $(B)/bin $(B)/fixtures $(B)/*.a \
	       $(B)/unit-tests $(B)/unit-tests-san $(B)/integration-tests

.PHONY: all core unit integration plugins tools fuzz clean
