#!/usr/bin/env bash
# What a team meets when a plugin line goes wrong in the development stack
# (its own DG_VAR build/stackerr-stack, the ports of DOSSIER_TEST_*_PORT,
# stopped on exit):
#   - a leftover line whose file is gone makes ./auto/run fail, naming the
#     include file and the line, and auto/plugin unload repairs it;
#   - the same after a load makes auto/reload fail the same way, the stack
#     going on with its configuration;
#   - auto/plugin load refuses, with the nginx -t message, a plugin file
#     any user may write or that neither root nor the worker user owns,
#     and leaves the include as it was.
#
# Run from the repository root after auto/build.  Exits non-zero on failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

state=$root/build/stackerr-stack
export DG_VAR=$state
export DOSSIER_PUBLIC_PORT=${DOSSIER_TEST_PUBLIC_PORT:-18080}
export DOSSIER_ADMIN_PORT=${DOSSIER_TEST_ADMIN_PORT:-18081}
export DOSSIER_PG_PORT=${DOSSIER_TEST_PG_PORT:-15433}
export DOSSIER_REDIS_PORT=${DOSSIER_TEST_REDIS_PORT:-16380}
export DOSSIER_WORKERS=2

. "$root/auto/lib.sh"

fail() {
    echo "stack-errors: $*" >&2
    exit 1
}

# has FILE TEXT: the output holds the text (fixed string)
has() {
    grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "no \"$2\" in the output"; }
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stack-errors.XXXXXX")
# stopped and removed, whatever happens; the log first when it failed
cleanup() {
    local status=$?
    [ "$status" -eq 0 ] || tail -n 20 "$DG_VAR/nginx/logs/error.log" >&2 || :
    dg_stack_stop
    rm -rf "$tmp" "$DG_VAR" "$state"
}
trap cleanup EXIT

dg_stack_stop
rm -rf "$DG_VAR"

healthy() {
    curl -fs "http://127.0.0.1:$DOSSIER_ADMIN_PORT/healthz" >/dev/null
}


# 1. ./auto/run with a line left behind (line 2: its plugin's file gone)
mkdir -p "$(dirname "$DG_PLUGINS_CONF")"
printf '%s\n' '# plugins of the development stack' \
    "dossier_plugin $tmp/gone/ct.so max_copies=5; # plugin ct" \
    >"$DG_PLUGINS_CONF"

status=0
timeout 300 "$root/auto/run" >"$tmp/run.out" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "./auto/run started with a broken plugin line"
has "$tmp/run.out" "error: line 2 of $DG_PLUGINS_CONF breaks the"
has "$tmp/run.out" "dossier_plugin $tmp/gone/ct.so max_copies=5; # plugin ct"
has "$tmp/run.out" "plugin file $tmp/gone/ct.so: No such file or directory"
has "$tmp/run.out" "take it out with: $root/auto/plugin unload ct"
! healthy || fail "a gateway answers after ./auto/run failed"

# the advice works, even with the stack down
"$root/auto/plugin" unload ct >"$tmp/unload.out" 2>&1 \
    || { cat "$tmp/unload.out"; fail "auto/plugin unload ct failed"; }
has "$tmp/unload.out" "is not running: it applies at its next start"
[ "$(cat "$DG_PLUGINS_CONF")" = '# plugins of the development stack' ] \
    || fail "unload did not remove exactly the plugin's line"


# 2. auto/reload once a loaded plugin's file is gone
dg_stack_start

mkdir "$tmp/team"
cc -shared -fPIC -I"$root/plugins/include" -o "$tmp/team/example.so" \
    "$root/plugins/guide-example/example.c"
"$root/auto/plugin" load "$tmp/team/example.so" max_copies=5 \
    >"$tmp/load.out" 2>&1 || { cat "$tmp/load.out"; fail "load failed"; }

rm "$tmp/team/example.so"
status=0
"$root/auto/reload" >"$tmp/reload.out" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "auto/reload passed with the plugin's file gone"
has "$tmp/reload.out" "error: line 2 of $DG_PLUGINS_CONF breaks the"
has "$tmp/reload.out" "take it out with: $root/auto/plugin unload example"
has "$tmp/reload.out" "nothing reloaded"
healthy || fail "the stack stopped answering after a refused reload"

"$root/auto/plugin" unload example >/dev/null 2>&1 \
    || fail "auto/plugin unload example failed"
"$root/auto/reload" >/dev/null 2>&1 || fail "auto/reload failed when clean"


# 3. plugin files others could change are refused by nginx -t
cc -shared -fPIC -I"$root/plugins/include" -o "$tmp/team/example.so" \
    "$root/plugins/guide-example/example.c"
cp -p "$DG_PLUGINS_CONF" "$tmp/before"

refused() {
    status=0
    "$root/auto/plugin" load "$tmp/team/example.so" >"$tmp/refused.out" 2>&1 \
        || status=$?
    [ "$status" -ne 0 ] || fail "a plugin file was loaded that should not be"
    has "$tmp/refused.out" "$1"
    has "$tmp/refused.out" "is as it was"
    cmp -s "$tmp/before" "$DG_PLUGINS_CONF" \
        || fail "a refused load changed $DG_PLUGINS_CONF"
}

chmod 0666 "$tmp/team/example.so"
refused "plugin file $tmp/team/example.so: writable by any user (mode 0666)"
chmod 0644 "$tmp/team/example.so"

if [ "$(id -u)" = 0 ]; then
    # nginx runs its workers as nobody here: root and nobody may own it
    chown 4242 "$tmp/team/example.so"
    refused "plugin file $tmp/team/example.so: owned by uid 4242 (no such"
    has "$tmp/refused.out" \
        "not by root or the worker user uid $(id -u nobody) (nobody)"

    chown nobody "$tmp/team/example.so"
    "$root/auto/plugin" load "$tmp/team/example.so" >"$tmp/load.out" 2>&1 \
        || { cat "$tmp/load.out"; fail "a file of the worker user's refused"; }
    "$root/auto/plugin" unload example >/dev/null 2>&1
else
    echo "stack-errors: not root: the owner checks are left to the unit tests"
fi

echo "stack-errors: ok"
