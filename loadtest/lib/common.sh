# Shared by loadtest/run, loadtest/audit and loadtest/test-audit: paths,
# messages and auto/lib.sh (the stack functions the integration tests use).
# Source it after setting DG_VAR and the DOSSIER_*_PORT variables.

LT_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DG_ROOT=$(cd "$LT_HOME/.." && pwd)
. "$DG_ROOT/auto/lib.sh"

lt_say() { printf 'loadtest: %s\n' "$*" >&2; }
lt_die() { printf 'loadtest: error: %s\n' "$*" >&2; exit 1; }

# lt_get FILE KEY: the value of KEY=value in FILE (empty when absent).
lt_get() {
    [ -f "$1" ] || return 0
    sed -n "s/^$2=//p" "$1" | tail -n 1
}

# lt_calc EXPR: floating-point arithmetic (awk), e.g. lt_calc "3 / 7".
lt_calc() {
    awk "BEGIN { printf \"%.6g\", ($1) }"
}
