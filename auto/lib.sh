# Shared by auto/run, auto/test, tests/ and loadtest/: start and stop the
# gateway's PostgreSQL, Redis and nginx under one project-local directory.
# Source it; every function works on the directory in $DG_VAR.
#
# Environment (defaults are the development stack of CONTRACT.md §5):
#   DG_VAR               state directory            (ROOT/var)
#   DOSSIER_PUBLIC_PORT  public listener             (8080)
#   DOSSIER_ADMIN_PORT   admin listener              (8081)
#   DOSSIER_PG_PORT      PostgreSQL (loopback + unix socket)  (5433)
#   DOSSIER_REDIS_PORT   Redis (loopback)            (6380)
#   DOSSIER_WORKERS      nginx worker processes      (2)
#   DG_PG_HOST           where psql finds PostgreSQL (DG_VAR/pg/run)
#   DG_PG_SERVER         the servers of nginx's conninfo
#                        (host=DG_VAR/pg/run port=DOSSIER_PG_PORT)
#   DG_REDIS_SERVER      nginx's dossier_redis  (127.0.0.1:DOSSIER_REDIS_PORT)
#   DG_PG_INITDB_OPTS    more initdb options of a new cluster (the fault
#                        suite: its WAL on a file system of its own)
#   DG_PG_CONF_EXTRA     more lines of its gateway.conf

DG_ROOT=${DG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
DG_VAR=${DG_VAR:-$DG_ROOT/var}
DG_BUILD=${DG_BUILD:-$DG_ROOT/build}
DOSSIER_PUBLIC_PORT=${DOSSIER_PUBLIC_PORT:-8080}
DOSSIER_ADMIN_PORT=${DOSSIER_ADMIN_PORT:-8081}
DOSSIER_PG_PORT=${DOSSIER_PG_PORT:-5433}
DOSSIER_REDIS_PORT=${DOSSIER_REDIS_PORT:-6380}
DOSSIER_WORKERS=${DOSSIER_WORKERS:-2}

DG_PG_BIN=${DG_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null \
                         | sort -V | tail -n 1)}

dg_say() { printf '%s\n' "$*" >&2; }
dg_die() { dg_say "error: $*"; exit 1; }

# dg_bind_retry LOG COMMAND...: runs COMMAND (a server start) until it
# succeeds or fails for another reason than its port being taken.  The
# ports sit in Linux's ephemeral range, where a client connection of
# anything on the machine may hold one, closed, for a minute (TIME_WAIT).
dg_bind_retry() {
    local log=$1 err i size
    shift
    err=$(mktemp)
    for i in $(seq 90); do
        size=$(stat -c %s "$log" 2>/dev/null || echo 0)
        "$@" 2>"$err" && { rm -f "$err"; return 0; }
        # no "grep -q" in a pipe: under pipefail its early exit fails it
        tail -c +"$((size + 1))" "$log" >>"$err" 2>/dev/null
        if ! grep -q -i "address already in use" "$err"; then
            cat "$err" >&2
            rm -f "$err"
            return 1
        fi
        [ "$i" = 1 ] && dg_say "a port is taken, waiting for it (up to 90 s)"
        sleep 1
    done
    cat "$err" >&2
    rm -f "$err"
    return 1
}

# Started as root, PostgreSQL runs as "postgres" and nginx's workers as
# "nobody": both must reach DG_VAR.  A checkout in a private directory
# (mode 700, as mktemp -d makes) hides it from them; the state then lives
# in /var/tmp/dossier-gateway/ and DG_VAR's usual place links to it.
# dg_prune_state: removes the state under /var/tmp/dossier-gateway of
# checkouts that are gone (every fresh clone leaves some: up to 256 MB for
# a full auto/test); auto/run and auto/test call it once.  A directory
# goes when its checkout's link no longer points at it (one from before
# .checkout: when nothing in it changed for a day), and no process names
# it.
dg_prune_state() {
    local d owner

    [ "$(id -u)" = 0 ] && [ -d /var/tmp/dossier-gateway ] || return 0

    for d in /var/tmp/dossier-gateway/*/; do
        d=${d%/}
        # only what dg_reachable_var makes
        [[ ${d##*/} =~ ^[0-9a-f]{16}$ ]] || continue

        if [ -f "$d/.checkout" ]; then
            owner=$(cat "$d/.checkout")
            [ "$(readlink "$owner" 2>/dev/null)" = "$d" ] && continue
        elif [ -n "$(find "$d" -newermt '1 day ago' -print -quit 2>/dev/null)" ]
        then
            continue
        fi

        pgrep -f -- "$d/" >/dev/null && continue
        rm -rf "$d"
    done
}

dg_reachable_var() {
    local want=$DG_VAR real

    [ "$(id -u)" = 0 ] || return 0
    mkdir -p "$(dirname "$want")"
    runuser -u nobody -- test -x "$(dirname "$want")" 2>/dev/null && return 0

    real=/var/tmp/dossier-gateway/$(printf '%s' "$want" | md5sum | cut -c1-16)
    mkdir -p "$real"
    chmod 755 /var/tmp/dossier-gateway "$real"
    printf '%s\n' "$want" >"$real/.checkout"

    if [ -L "$want" ]; then
        ln -sfn "$real" "$want"
    elif [ ! -e "$want" ]; then
        ln -s "$real" "$want"
    else
        dg_die "$want is out of reach of the postgres and nobody users;" \
               "move it away (it will be recreated under /var/tmp)"
    fi

    DG_VAR=$real
}

dg_reachable_var

DG_PG_HOST=${DG_PG_HOST:-$DG_VAR/pg/run}

# PostgreSQL refuses to run as root: use the postgres account then.
dg_as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

dg_psql() {
    PGOPTIONS="-c client_min_messages=warning" "$DG_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DG_PG_HOST" \
        -p "$DOSSIER_PG_PORT" -U gateway -d dossier "$@"
}

dg_pg_init() {
    local d=$DG_VAR/pg
    [ -f "$d/data/PG_VERSION" ] && return 0

    mkdir -p "$d/run"
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres: "$d"
        runuser -u postgres -- test -x "$d" \
            || dg_die "the postgres user cannot reach $d: make its parent" \
                      "directories world-searchable (chmod o+x)"
    fi

    # shellcheck disable=SC2086
    dg_as_pg "$DG_PG_BIN/initdb" -D "$d/data" -A trust -U postgres \
        -E UTF8 --locale=C.UTF-8 ${DG_PG_INITDB_OPTS:-} >"$d/initdb.log" \
        || dg_die "initdb failed, see $d/initdb.log"
}

# The gateway's settings, rewritten at every start so that an existing
# cluster in var/ follows changes to them.
dg_pg_conf() {
    local d=$DG_VAR/pg
    grep -q "^include_if_exists = 'gateway.conf'" "$d/data/postgresql.conf" \
        || echo "include_if_exists = 'gateway.conf'" \
           | dg_as_pg tee -a "$d/data/postgresql.conf" >/dev/null
    { cat <<CONF
# written by auto/lib.sh: the development/test cluster of the gateway
listen_addresses = '127.0.0.1'
port = $DOSSIER_PG_PORT
unix_socket_directories = '$d/run'
CONF
      dg_pg_settings
    } | dg_as_pg tee "$d/data/gateway.conf" >/dev/null
}

# The gateway's server settings, shared with auto/cluster's Patroni
# members (their custom_conf).
dg_pg_settings() {
    cat <<CONF
max_connections = 100
shared_buffers = 128MB
fsync = on
synchronous_commit = on
log_min_messages = warning
# per-statement counts: tests check the gateway's queries with them
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
${DG_PG_CONF_EXTRA:-}
CONF
}

dg_pg_start() {
    local d=$DG_VAR/pg
    dg_pg_init
    if ! dg_as_pg "$DG_PG_BIN/pg_ctl" -D "$d/data" status >/dev/null 2>&1
    then
        dg_pg_conf
        dg_bind_retry "$d/postgres.log" \
            dg_as_pg "$DG_PG_BIN/pg_ctl" -D "$d/data" -l "$d/postgres.log" \
                -w -t 30 start >/dev/null \
            || dg_die "PostgreSQL did not start, see $d/postgres.log"
    fi
    dg_pg_setup
}

dg_pg_stop() {
    local d=$DG_VAR/pg
    [ -f "$d/data/postmaster.pid" ] || return 0
    dg_as_pg "$DG_PG_BIN/pg_ctl" -D "$d/data" -m fast -w -t 30 stop \
        >/dev/null 2>&1 || true
}

# Role, database, numbered migrations (each once, in order, recorded in
# schema_version) and the sample catalog, on the server at DG_PG_HOST.
dg_pg_setup() {
    local f v
    PGOPTIONS="-c client_min_messages=warning" \
    "$DG_PG_BIN/psql" -X -q -h "$DG_PG_HOST" -p "$DOSSIER_PG_PORT" -U postgres \
        -d postgres -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT 'CREATE ROLE gateway LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gateway')\gexec
SELECT 'CREATE DATABASE dossier OWNER gateway'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'dossier')\gexec
\c dossier
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
GRANT pg_read_all_stats TO gateway;
GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO gateway;
SQL
    dg_psql -c "CREATE TABLE IF NOT EXISTS schema_version (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())"
    for f in "$DG_ROOT"/sql/migrations/[0-9]*.sql; do
        v=$(basename "$f" | sed 's/^0*\([0-9][0-9]*\)_.*/\1/')
        if [ -z "$(dg_psql -tA -c \
                   "SELECT 1 FROM schema_version WHERE version = $v")" ]
        then
            dg_psql --single-transaction -f "$f" \
                -c "INSERT INTO schema_version (version, name)
                    VALUES ($v, '$(basename "$f")')" >/dev/null
        fi
    done
    dg_psql -f "$DG_ROOT/sql/seed/sample-catalog.sql" >/dev/null
}

# dg_redis_start [ARGS]: ARGS go to redis-server (auto/cluster: a
# replica's --replicaof).
dg_redis_start() {
    local d=$DG_VAR/redis
    mkdir -p "$d"
    [ -f "$d/redis.pid" ] && kill -0 "$(cat "$d/redis.pid")" 2>/dev/null \
        && return 0
    dg_bind_retry "$d/redis.log" dg_redis_run "$@" \
        || dg_die "Redis is not answering, see $d/redis.log"
}

dg_redis_run() {
    local d=$DG_VAR/redis i size
    size=$(stat -c %s "$d/redis.log" 2>/dev/null || echo 0)
    # a cache only: nothing is persisted, a restart starts empty
    redis-server --bind 127.0.0.1 --port "$DOSSIER_REDIS_PORT" \
        --dir "$d" --daemonize yes --pidfile "$d/redis.pid" \
        --logfile "$d/redis.log" --save "" --appendonly no "$@" \
        || return 1
    for i in $(seq 50); do
        redis-cli -p "$DOSSIER_REDIS_PORT" ping >/dev/null 2>&1 && return 0
        # daemonized: a failed start shows only in the log
        [ "$(tail -c +"$((size + 1))" "$d/redis.log" | grep -c aborting)" = 0 ] \
            || return 1
        sleep 0.1
    done
    return 1
}

dg_redis_stop() {
    dg_stop_pidfile "$DG_VAR/redis/redis.pid"
}

# Renders conf/nginx.conf.in into $DG_VAR/nginx/nginx.conf.
dg_nginx_conf() {
    local d=$DG_VAR/nginx user_line=""
    mkdir -p "$d/logs" "$d/tmp" "$d/conf.d"
    if [ "$(id -u)" = 0 ]; then
        user_line="user nobody nogroup;"
        chown nobody:nogroup "$d/tmp"
    fi
    sed -e "s|@VAR@|$DG_VAR|g" \
        -e "s|@ROOT@|$DG_ROOT|g" \
        -e "s|@BUILD@|$DG_BUILD|g" \
        -e "s|@MODULE@|$DG_BUILD/nginx/objs/ngx_http_dossier_module.so|g" \
        -e "s|@USER_LINE@|$user_line|g" \
        -e "s|@WORKERS@|$DOSSIER_WORKERS|g" \
        -e "s|@PUBLIC_PORT@|$DOSSIER_PUBLIC_PORT|g" \
        -e "s|@ADMIN_PORT@|$DOSSIER_ADMIN_PORT|g" \
        -e "s|@PG_PORT@|$DOSSIER_PG_PORT|g" \
        -e "s|@PG_SERVER@|${DG_PG_SERVER:-host=$DG_VAR/pg/run port=$DOSSIER_PG_PORT}|g" \
        -e "s|@REDIS_SERVER@|${DG_REDIS_SERVER:-127.0.0.1:$DOSSIER_REDIS_PORT}|g" \
        -e "s|@REDIS_PORT@|$DOSSIER_REDIS_PORT|g" \
        "${DG_NGINX_TEMPLATE:-$DG_ROOT/conf/nginx.conf.in}" >"$d/nginx.conf"
}

dg_nginx() {
    nginx -p "$DG_VAR/nginx/" -c "$DG_VAR/nginx/nginx.conf" "$@"
}

# The include file of the stack's plugins (auto/plugin load and unload).
DG_PLUGINS_CONF=$DG_VAR/nginx/conf.d/plugins.conf

dg_nginx_running() {
    [ -f "$DG_VAR/nginx/nginx.pid" ] \
        && kill -0 "$(cat "$DG_VAR/nginx/nginx.pid")" 2>/dev/null
}

# nginx -t of the stack's configuration, its messages on stderr.  When the
# line at fault is in an include of conf.d (a plugin left behind whose file
# is gone, say), says which file and line, and how to take it out.
dg_nginx_check() {
    local out where file line text name

    out=$(dg_nginx -t -q 2>&1) && return 0
    printf '%s\n' "$out" >&2

    # nginx ends the message with " in FILE:LINE"
    where=$(printf '%s\n' "$out" \
            | sed -n 's/.*\[emerg\] .* in \(\/.*\):\([0-9][0-9]*\)$/\1:\2/p' \
            | head -n 1)
    file=${where%:*}
    line=${where##*:}

    case $file in
    "$DG_VAR"/nginx/conf.d/*)
        text=$(sed -n "${line}p" "$file")
        dg_say "error: line $line of $file breaks the configuration:"
        dg_say "    $text"
        name=$(printf '%s\n' "$text" \
               | sed -n 's/.*; # plugin \([a-z0-9_]*\)$/\1/p')
        if [ -n "$name" ]; then
            dg_say "take it out with: $DG_ROOT/auto/plugin unload $name"
        else
            dg_say "fix or delete that line (the file is yours: $file)"
        fi ;;
    ?*)
        dg_say "error: line $line of $file breaks the configuration" ;;
    esac

    return 1
}

# Reloads the running nginx of $DG_VAR and waits until it has settled: the
# workers of the old configuration gone (they finish their requests first),
# so that every request from now on meets the new one.
dg_nginx_reload() {
    local master old pid i left out

    dg_nginx_running || { dg_say "error: no nginx runs in $DG_VAR"; return 1; }
    master=$(cat "$DG_VAR/nginx/nginx.pid")
    old=$(ps --ppid "$master" -o pid= || true)

    # quiet unless it fails: nginx -s notes "signal process started"
    out=$(dg_nginx -s reload 2>&1) || { printf '%s\n' "$out" >&2; return 1; }

    for i in $(seq 300); do
        left=
        for pid in $old; do
            kill -0 "$pid" 2>/dev/null && left="$left $pid"
        done
        [ -z "$left" ] && return 0
        sleep 0.1
    done

    dg_say "error: the workers of the old configuration ($left) still run" \
           "after 30 s; see $DG_VAR/nginx/logs/error.log"
    return 1
}

dg_nginx_start() {
    dg_nginx_conf
    # the test binds the listeners too
    dg_bind_retry "$DG_VAR/nginx/logs/error.log" dg_nginx_check \
        || dg_die "nginx configuration test failed"
    dg_bind_retry "$DG_VAR/nginx/logs/error.log" dg_nginx \
        || dg_die "nginx did not start, see $DG_VAR/nginx/logs/error.log"
    # ready: every worker asked has PostgreSQL and the catalog
    local i ok=0
    for i in $(seq 100); do
        if curl -fs "http://127.0.0.1:$DOSSIER_ADMIN_PORT/readyz" >/dev/null
        then
            ok=$((ok + 1))
            [ $ok -ge "$DOSSIER_WORKERS" ] && return 0
        fi
        sleep 0.1
    done
    dg_die "the gateway is not ready on $DOSSIER_ADMIN_PORT," \
           "see $DG_VAR/nginx/logs/error.log"
}

dg_nginx_stop() {
    dg_stop_pidfile "$DG_VAR/nginx/nginx.pid"
}

# Stops the process whose pid the file holds (TERM, then KILL after 10 s).
dg_stop_pidfile() {
    local f=$1 pid i
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

dg_stack_start() {
    dg_pg_start
    dg_redis_start
    dg_nginx_start
}

dg_stack_stop() {
    dg_nginx_stop
    dg_redis_stop
    dg_pg_stop
}
