# The private gateway stack of a load-test run and the bare-nginx baseline.

# lt_stack_start: a fresh stack (PostgreSQL, Redis, nginx with the module)
# in $DG_VAR on the ports in the environment, exactly as
# tests/integration/run starts its own.  The caller traps lt_stack_stop.
# LT_SECTOR_QUOTA=shadow (the steady profile's): the development
# configuration's per-sector quota only counts (dossier_limit ... shadow),
# so that a peak measures the gateway, not the quota; the work of the
# limit is done all the same.  The per-address limit is always in shadow
# mode.
# LT_WAL_PREWARM=N (loadtest/run's: a phase's worth, about one a second at
# peak): the cluster starts with N WAL segments to recycle (at most 64,
# kept by min_wal_size), unless the profile configures PostgreSQL itself
# (DG_PG_CONF_EXTRA, as faults does).
lt_stack_start() {
    local prewarm=0 owner shadowed
    [ -f "$DG_BUILD/nginx/objs/ngx_http_dossier_module.so" ] \
        || lt_die "the module is not built: run auto/build first"
    # one run at a time on a stack: another run's start would stop this
    # one's servers and remove its state
    owner=$(cat "$DG_VAR.run" 2>/dev/null || true)
    if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then
        lt_die "load-test run $owner uses $DG_VAR (LT_STACK_VAR and the LT_*_PORT variables give a second stack)"
    fi
    echo $$ >"$DG_VAR.run"
    if [ "${LT_WAL_PREWARM:-0}" -gt 0 ] && [ -z "${DG_PG_CONF_EXTRA+set}" ]
    then
        export DG_PG_CONF_EXTRA="min_wal_size = 1GB"
        prewarm=$((LT_WAL_PREWARM < 64 ? LT_WAL_PREWARM : 64))
    fi
    dg_stack_stop
    rm -rf "$DG_VAR"
    mkdir -p "$DG_VAR"
    # every request of the kit comes from 127.0.0.1: the per-address limit
    # (20 000/s in the development configuration) would cut the 422 path
    # short, so it only counts
    shadowed='addr'
    [ "${LT_SECTOR_QUOTA:-on}" != shadow ] || shadowed='addr|sector'
    sed -E "/^ *dossier_limit ($shadowed) /s/;\$/ shadow;/" \
        "${DG_NGINX_TEMPLATE:-$DG_ROOT/conf/nginx.conf.in}" \
        >"$DG_VAR/nginx.conf.in"
    if [ "${LT_SECTOR_QUOTA:-on}" = shadow ]; then
        grep -q '^ *dossier_limit sector .* shadow;$' "$DG_VAR/nginx.conf.in" \
            || lt_die "no per-sector dossier_limit to put in shadow mode"
    fi
    export DG_NGINX_TEMPLATE=$DG_VAR/nginx.conf.in
    dg_stack_start
    if [ "$prewarm" -gt 0 ]; then
        lt_say "making $prewarm WAL segments to recycle"
        lt_pg_wal_prewarm "$prewarm"
    fi
}

# lt_stack_stop: this run's stack, not another run's
lt_stack_stop() {
    if [ "$(cat "$DG_VAR.run" 2>/dev/null)" = $$ ]; then
        dg_stack_stop
        rm -f "$DG_VAR.run"
    fi
}

# lt_bare_start DIR PORT: nginx answering 200 to everything
# (nginx/bare.conf.in), with the gateway's worker count.
lt_bare_start() {
    local d=$1 port=$2 user_line=""
    mkdir -p "$d/tmp"
    if [ "$(id -u)" = 0 ]; then
        user_line="user nobody nogroup;"
        chown nobody:nogroup "$d/tmp"
    fi
    sed -e "s|@DIR@|$d|g" -e "s|@PORT@|$port|g" \
        -e "s|@WORKERS@|$DOSSIER_WORKERS|g" \
        -e "s|@USER_LINE@|$user_line|g" \
        "$LT_HOME/nginx/bare.conf.in" >"$d/nginx.conf"
    nginx -p "$d/" -c "$d/nginx.conf" -t -q \
        || lt_die "bare nginx: configuration test failed"
    nginx -p "$d/" -c "$d/nginx.conf" \
        || lt_die "bare nginx did not start, see $d/error.log"
    local i
    for i in $(seq 50); do
        curl -fs -o /dev/null -X POST -H 'Content-Type: application/json' \
            --data '{}' "http://127.0.0.1:$port/v1/dossiers" && return 0
        sleep 0.1
    done
    lt_die "bare nginx is not answering on $port"
}

lt_bare_stop() {
    dg_stop_pidfile "$1/nginx.pid"
}
