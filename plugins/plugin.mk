# plugin.mk: the build kit of a dossier gateway plugin, as PGXS is
# PostgreSQL's.  A plugin's whole Makefile is
#
#     PLUGIN = ct
#     SRCS = ct.c
#     include /path/to/dossier-gateway/plugins/plugin.mk
#
#   make          builds $(PLUGIN).so with only the gateway's public header
#   make check    runs dossier-plugin-check over dossiers/*.json as the
#                 gateway would (core rules, then the plugin) and compares
#                 each answer, results/NAME.out, with expected/NAME.out
#   make load     loads the plugin into the running development stack
#                 (auto/plugin load); make unload takes it out
#   make clean
#
# Optional: SETTINGS = key=value... (the plugin's settings, for the check
# and the stack), DOSSIERS (the samples), CHECK_NOW = yyyyMMddHHmmss (a
# fixed clock for the check), CFLAGS, DG_VAR (another stack).

DG_GATEWAY := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
DG_BUILD   ?= $(DG_GATEWAY)/build
DG_CHECK   ?= $(DG_BUILD)/bin/dossier-plugin-check

ifndef PLUGIN
$(error set PLUGIN (the file name, "ct" for ct.so) before including plugin.mk)
endif
ifndef SRCS
$(error set SRCS (the plugin's C files) before including plugin.mk)
endif

CFLAGS    ?= -O2 -g -Wall -Wextra -Wno-unused-parameter
DOSSIERS  ?= $(wildcard dossiers/*.json)
SETTINGS  ?=
CHECK_NOW ?=

DG_SO      = $(PLUGIN).so
DG_FLAGS   = --core $(if $(CHECK_NOW),--now $(CHECK_NOW)) \
             $(addprefix --set ,$(SETTINGS))

all: $(DG_SO)

# Written aside and moved into place: a copy the gateway has loaded is
# replaced, never overwritten under its workers.
$(DG_SO): $(SRCS) $(DG_GATEWAY)/plugins/include/dossier_plugin.h
	$(CC) -I$(DG_GATEWAY)/plugins/include $(CPPFLAGS) $(CFLAGS) -fPIC \
	    -shared -o $@.tmp $(SRCS) $(LDFLAGS) $(LDLIBS)
	mv -f $@.tmp $@

check: $(DG_SO)
	@test -x $(DG_CHECK) || { echo "check: $(DG_CHECK) is missing:" \
	    "run auto/build in $(DG_GATEWAY)" >&2; exit 2; }
	@test -n "$(DOSSIERS)" || { echo "check: no sample dossiers" \
	    "(dossiers/*.json)" >&2; exit 2; }
	@mkdir -p results; failed=0; \
	for f in $(DOSSIERS); do \
	    n=$$(basename $$f .json); rc=0; \
	    $(DG_CHECK) $(DG_FLAGS) $(CURDIR)/$(DG_SO) $$f >results/$$n.out \
	        || rc=$$?; \
	    if [ $$rc -gt 1 ]; then \
	        echo "check: $$f: the checker failed (above)"; failed=1; \
	    elif [ ! -f expected/$$n.out ]; then \
	        echo "check: $$f: no expected/$$n.out; if results/$$n.out" \
	             "is the right answer, copy it there"; failed=1; \
	    elif ! diff -u expected/$$n.out results/$$n.out; then \
	        echo "check: $$f: not the answer of expected/$$n.out"; failed=1; \
	    else \
	        echo "check: $$f: as expected"; \
	    fi; \
	done; exit $$failed

load: $(DG_SO)
	$(DG_GATEWAY)/auto/plugin load $(CURDIR)/$(DG_SO) $(SETTINGS)

unload:
	$(DG_GATEWAY)/auto/plugin unload $(CURDIR)/$(DG_SO)

clean:
	rm -rf $(DG_SO) $(DG_SO).tmp results

.PHONY: all check load unload clean
