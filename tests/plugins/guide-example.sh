#!/bin/sh
# The plugin guide's example, checked as a sector team would use it: the
# code between the README's example markers (which must be
# plugins/guide-example/example.c verbatim, under 60 lines) is built in a
# scratch directory with only -Iplugins/include, then run with
# dossier-plugin-check; the output must be the one the README documents.
#
# Run from the repository root after `make all`; B is the build directory
# (default build), CC the compiler (default cc).  Exits non-zero on failure.

set -eu

B=${B:-build}
CC=${CC:-cc}
readme=plugins/README.md
check=$B/bin/dossier-plugin-check

fail() {
    echo "guide-example: $*" >&2
    exit 1
}

[ -x "$check" ] || fail "$check missing (make all)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/guide-example.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# the lines between a marker pair, without the code fence around them
between() {
    sed -n "/<!-- $1:begin -->/,/<!-- $1:end -->/p" "$readme" \
        | sed '1,2d;$d' | sed '$d'
}

between example > "$tmp/example.c"
between example-output > "$tmp/expected"

[ -s "$tmp/example.c" ] || fail "no example between the markers in $readme"
[ -s "$tmp/expected" ] || fail "no documented output in $readme"

cmp -s "$tmp/example.c" plugins/guide-example/example.c \
    || fail "$readme and plugins/guide-example/example.c differ"

lines=$(wc -l < "$tmp/example.c")
[ "$lines" -lt 60 ] || fail "the example has $lines lines, not under 60"

# only the public header, strict C99, no warnings
"$CC" -std=c99 -pedantic-errors -Wall -Werror -shared -fPIC \
    -Iplugins/include -o "$tmp/example.so" "$tmp/example.c" \
    || fail "the example does not build with only plugins/include"

status=0
"$check" --core --now 20250615100000 "$tmp/example.so" \
    plugins/guide-example/dossier-ok.json \
    plugins/guide-example/dossier-too-many.json > "$tmp/out" || status=$?

[ "$status" -eq 1 ] || fail "exit status $status, the guide says 1"

diff -u "$tmp/expected" "$tmp/out" >&2 \
    || fail "the output differs from the one the guide documents"

status=0
"$check" --core --now 20250615100000 --set max_copies=20 "$tmp/example.so" \
    plugins/guide-example/dossier-ok.json \
    plugins/guide-example/dossier-too-many.json > "$tmp/out" || status=$?

[ "$status" -eq 0 ] || fail "with max_copies=20: exit status $status, not 0"

status=0
"$check" --set max_copy=20 "$tmp/example.so" \
    plugins/guide-example/dossier-ok.json > "$tmp/out" 2> "$tmp/err" \
    || status=$?

[ "$status" -eq 2 ] && grep -q 'unknown setting "max_copy"' "$tmp/err" \
    || fail "a misspelt setting was not refused as the guide says"

echo "guide-example: ok"
