# The pgbench baselines: the database's own rate on the same cluster and
# table, with the same row size.  They run after the gateway's phases (and
# the audit): their rows, deleted afterwards, must not bloat the table the
# gateway writes to while it is measured.

# lt_pgbench NAME SCRIPT ROWS CLIENTS DURATION [RATE]: baselines/NAME.env
# with tps, rows_per_s, latency_ms, clients and the CPU used; deletes its
# rows.  With RATE (transactions/s, pgbench -R) also latency_p50_ms and
# latency_p99_ms of every transaction, counted from its scheduled start.
lt_pgbench() {
    local name=$1 script=$2 rows=$3 clients=$4 duration=$5 rate=${6:-} out pid
    local paced=()
    mkdir -p "$LT_OUTDIR/baselines"
    out=$LT_OUTDIR/baselines/$name.txt
    lt_say "baseline $name: pgbench $script, $rows row(s) a transaction, $clients clients, ${duration}s${rate:+, $rate transactions/s}"
    if [ -n "$rate" ]; then
        rm -rf "$LT_OUTDIR/baselines/$name.log"
        mkdir -p "$LT_OUTDIR/baselines/$name.log"
        paced=(-R "$rate" --log --log-prefix="$LT_OUTDIR/baselines/$name.log/tx")
    fi
    lt_pg_checkpoint
    local end_ms=$(( ${EPOCHREALTIME/./} / 1000 + duration * 1000 - 300 ))
    # -n: no vacuum of pgbench's own tables (there are none here)
    timeout -k 5 $((duration + 60)) "$DG_PG_BIN/pgbench" -n -h "$DG_VAR/pg/run" \
        -p "$DOSSIER_PG_PORT" -U gateway -c "$clients" -j 2 -T "$duration" \
        "${paced[@]}" \
        -D rows="$rows" -D body="$(cat "$LT_HOME/pgbench/body.json")" \
        -f "$LT_HOME/pgbench/$script" dossier >"$out" 2>&1 &
    pid=$!
    lt_observe_prepare /dev/null "$pid"
    lt_observe_start
    # the counters just before -T's end, while pgbench still runs (once it
    # and its parent have exited, their CPU time is out of sight)
    lt_sleep_until "$end_ms" "$pid"
    lt_observe_stop
    wait "$pid" || { cat "$out" >&2; lt_die "pgbench failed"; }
    awk -v rows="$rows" -v clients="$clients" -v secs="$duration" -v script="$script" '
        /^tps = / { tps = $3 }
        /^latency average = / { lat = $4 }
        END { printf "script=%s\ntps=%s\nrows_per_tx=%d\nrows_per_s=%.1f\nlatency_ms=%s\nclients=%d\nduration_s=%d\n",
                     script, tps, rows, tps * rows, lat, clients, secs }' \
        "$out" >"$LT_OUTDIR/baselines/$name.env"
    lt_observe_write "$LT_OUTDIR/baselines/$name.env"
    if [ -n "$rate" ]; then
        # pgbench's log: client, transaction, latency in µs, ...
        awk '{ print "all\t" $3 }' "$LT_OUTDIR/baselines/$name.log"/tx* \
            | sort -k2,2n | awk -f "$LT_HOME/lib/pct.awk" \
            | awk -F '\t' '{ printf "latency_p50_ms=%s\nlatency_p99_ms=%s\n", $3, $5 }' \
            >>"$LT_OUTDIR/baselines/$name.env"
    fi
    dg_psql -c "DELETE FROM dossiers WHERE ma_ho_so LIKE 'PGB-%'"
    dg_psql -c "VACUUM dossiers"
    lt_say "baseline $name: $(lt_get "$LT_OUTDIR/baselines/$name.env" rows_per_s) rows/s"
}

# lt_pgbench_all: the four baselines.  pgbench-1 has as many clients as
# the load has connections (one commit per request); the others have the
# gateway's PostgreSQL connections (2 workers x dossier_pg_pool_size 4).
lt_pgbench_all() {
    local pool=${LT_PGBENCH_POOL:-8} dur=$LT_BASELINE_DURATION
    if ! lt_pg_ok; then
        lt_say "no PostgreSQL socket in $DG_VAR/pg/run: pgbench baselines skipped"
        return 0
    fi
    lt_pgbench pgbench-1 insert.sql 1 "$LT_CONNECTIONS" "$dur"
    lt_pgbench pgbench-32 insert.sql 32 "$pool" "$dur"
    lt_pgbench pgbench-fn-1 submit-batch.sql 1 "$pool" "$dur"
    lt_pgbench pgbench-fn-32 submit-batch.sql 32 "$pool" "$dur"
    lt_pgbench_half "$pool" "$dur"
}

# lt_pgbench_half CLIENTS DURATION: the commits of phase half (as many
# dossiers a call, as many calls a second) made by pgbench alone, their
# p99 beside the gateway's: what the storage's own commits cost on this
# machine at that rate (the floor of the half-peak latency goal).
lt_pgbench_half() {
    local P=$LT_OUTDIR/phases/half rows rate
    rows=$(lt_get "$P/stats.env" pg_batch_items)
    rate=$(lt_get "$P/stats.env" durable_rps)
    [ -n "$rows" ] && [ -n "$rate" ] || return 0
    rows=$(lt_calc "int($rows + 0.5) > 0 ? int($rows + 0.5) : 1")
    rate=$(lt_calc "int($rate / $rows + 0.5)")
    [ "$rate" -gt 0 ] || return 0
    lt_pgbench pgbench-fn-half submit-batch.sql "$rows" "$1" "$2" "$rate"
}
