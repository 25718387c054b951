#!/usr/bin/env bash
# The plugin guide's path as a sector team follows it: the commands between
# the devkit markers of plugins/README.md, verbatim but for the gateway's
# checkout and the port, run from an empty directory against a development
# stack of this test's own (DG_VAR build/devkit-stack, the ports of
# DOSSIER_TEST_*_PORT), stopped on exit.  The plugin must refuse one sample
# with its pointer and code, accept the other, and be gone once unloaded.
#
# Run from the repository root after auto/build.  Exits non-zero on failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

state=$root/build/devkit-stack
export DG_VAR=$state
export DOSSIER_PUBLIC_PORT=${DOSSIER_TEST_PUBLIC_PORT:-18080}
export DOSSIER_ADMIN_PORT=${DOSSIER_TEST_ADMIN_PORT:-18081}
export DOSSIER_PG_PORT=${DOSSIER_TEST_PG_PORT:-15433}
export DOSSIER_REDIS_PORT=${DOSSIER_TEST_REDIS_PORT:-16380}
export DOSSIER_WORKERS=2

. "$root/auto/lib.sh"

fail() {
    echo "devkit: $*" >&2
    exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/devkit.XXXXXX")
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
dg_stack_start

# the guide's commands, with this checkout and this stack's port
readme=$root/plugins/README.md
sed -n '/<!-- devkit:begin -->/,/<!-- devkit:end -->/p' "$readme" \
    | sed '1,2d;$d' | sed '$d' >"$tmp/guide.sh"

grep -q '^GATEWAY=/path/to/dossier-gateway ' "$tmp/guide.sh" \
    || fail "no GATEWAY=/path/to/dossier-gateway line between the devkit" \
            "markers of $readme"
sed -i -e "s|^GATEWAY=/path/to/dossier-gateway |GATEWAY=$root |" \
    -e "s|http://127\.0\.0\.1:8080/|http://127.0.0.1:$DOSSIER_PUBLIC_PORT/|g" \
    "$tmp/guide.sh"

mkdir "$tmp/team"
status=0
(cd "$tmp/team" && bash -e "$tmp/guide.sh") >"$tmp/out" 2>&1 || status=$?
cat "$tmp/out"
[ "$status" -eq 0 ] || fail "the guide's commands failed (exit $status)"

grep -qx 'check: dossiers/refused.json: as expected' "$tmp/out" \
    && grep -qx 'check: dossiers/valid.json: as expected' "$tmp/out" \
    || fail "make check did not find both samples as expected"

# refused by the plugin first, then the valid one stored
# (a body ends without a newline: the next status line follows it)
[ "$(grep -o 'HTTP/1\.1 [0-9]*' "$tmp/out" | tr '\n' ' ')" \
  = "HTTP/1.1 422 HTTP/1.1 201 " ] \
    || fail "the two signed requests were not answered 422 then 201"
grep -qF '"pointer":"/DuLieuChuyenNganh/SoBanSao","code":"ct.copies"' \
    "$tmp/out" || fail "the 422 lacks the plugin's pointer and code"

# unloaded: no line left, nothing of it in the gateway, its rule gone
[ ! -s "$DG_PLUGINS_CONF" ] \
    || fail "a line of ct is left in $DG_PLUGINS_CONF"
plugins=$(curl -fsS -H 'Authorization: Bearer demo-admin-token' \
              "http://127.0.0.1:$DOSSIER_ADMIN_PORT/admin/plugins")
case $plugins in
*'"name":"btxh"'*) ;;
*) fail "GET /admin/plugins does not answer as expected: $plugins" ;;
esac
case $plugins in
*'"name":"ct"'*) fail "ct is still loaded after auto/plugin unload" ;;
esac

# the refused sample was not stored then: now it is, as a first time
status=$("$root/auto/sign-request.sh" POST \
             "http://127.0.0.1:$DOSSIER_PUBLIC_PORT/v1/dossiers" \
             "$tmp/team/ct/dossiers/refused.json" demo-portal \
             demo-portal-secret -o /dev/null -w '%{http_code}')
[ "$status" = 201 ] \
    || fail "the refused sample got $status after the unload, not 201"

echo "devkit: ok"
